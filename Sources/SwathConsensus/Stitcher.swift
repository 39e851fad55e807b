import Foundation
import SwathGeometry
import SwathSupport

/// Joins an annotator's pieces of one object before matching: same annotator and label, and either
/// overlapping by a real area (an object drawn twice where two chips overlap) or, with chips,
/// touching along a chip edge (an object cut by the seam).
struct Stitcher {
  /// Share of the smaller piece two pieces must overlap by; less is two neighbours drawn sloppily.
  static let minimumOverlap = 0.05
  let tolerance: Double
  private let bands: [(envelope: BoundingBox, band: MultiPolygon)]
  /// Each chip edge's envelope grown by the tolerance.
  private let edges: [BoundingBox]

  init(chips: [LocalChip], tolerance: Double) throws {
    self.tolerance = tolerance
    var edges: [BoundingBox] = []
    for chip in chips {
      for ring in chip.footprint.polygons.flatMap(\.rings) where ring.count > 1 {
        for (start, end) in zip(ring, ring.dropFirst()) {
          edges.append(
            BoundingBox(
              minX: min(start.x, end.x) - tolerance, minY: min(start.y, end.y) - tolerance,
              maxX: max(start.x, end.x) + tolerance, maxY: max(start.y, end.y) + tolerance))
        }
      }
    }
    self.edges = edges
    // The strip within `tolerance` of each chip's edge.
    bands = try chips.compactMap { chip in
      let outer = try Topology.buffer(chip.footprint, distance: tolerance)
      let inner = try Topology.buffer(chip.footprint, distance: -tolerance)
      let band = inner.isEmpty ? outer : try Topology.difference(outer, inner)
      guard let envelope = band.envelope else { return nil }
      return (envelope, band)
    }
  }

  /// `shapes` in canonical order; returns them stitched, still in canonical order.
  ///
  /// Every step is spread over all cores by pair, piece or group rather than by annotator (a
  /// handful of annotators on a few cores would leave cores idle): decisions on pairs do not
  /// depend on one another, and the groups do not depend on the order of the unions.
  func stitch(_ shapes: [WorkShape], annotators: Int) throws -> [WorkShape] {
    let pairs = candidatePairs(shapes, annotators: annotators)
    let overlapping = try Parallel.map(pairs.indices) { index in
      try overlaps(shapes[pairs[index].0].measured, shapes[pairs[index].1].measured)
    }
    let seamCandidates =
      bands.isEmpty
      ? []
      : zip(pairs, overlapping).filter { pair, overlap in
        !overlap && nearEdge(shapes[pair.0].measured, shapes[pair.1].measured)
      }.map(\.0)
    // A piece near a seam usually meets several neighbours: buffer it once.
    let buffered = Array(Set(seamCandidates.flatMap { [$0.0, $0.1] })).sorted()
    let buffers = try Parallel.map(buffered.indices) { index in
      try Topology.buffer(shapes[buffered[index]].measured.geometry, distance: tolerance)
    }
    let bufferOf = Dictionary(uniqueKeysWithValues: zip(buffered, buffers))
    let touching = try Parallel.map(seamCandidates.indices) { index in
      let (a, b) = seamCandidates[index]
      return try touchAtSeam(bufferOf[a]!, bufferOf[b]!)
    }
    let seamJoins = zip(seamCandidates, touching).filter(\.1).map(\.0)
    let joins = zip(pairs, overlapping).filter(\.1).map(\.0) + seamJoins
    guard !joins.isEmpty else { return shapes }

    let groups = Self.groups(joins, seamJoins: seamJoins, count: shapes.count)
    let joined = try Parallel.map(groups.indices) { index in
      (
        first: groups[index].pieces[0],
        shape: try join(groups[index].pieces.map { shapes[$0] }, acrossSeam: groups[index].acrossSeam)
      )
    }

    // The result is what a stable sort of all groups, in order of their first piece, gives:
    // canonical order, ties by first piece. Shapes left alone are in that order already; the
    // joined ones are sorted and merged in.
    func precedes(_ a: WorkShape, first firstA: Int, _ b: WorkShape, first firstB: Int) -> Bool {
      WorkShape.canonicalOrder(a, b) || (!WorkShape.canonicalOrder(b, a) && firstA < firstB)
    }
    let sortedJoined = joined.sorted { precedes($0.shape, first: $0.first, $1.shape, first: $1.first) }
    var inGroup = [Bool](repeating: false, count: shapes.count)
    for group in groups { for piece in group.pieces { inGroup[piece] = true } }
    var result: [WorkShape] = []
    result.reserveCapacity(shapes.count)
    var next = sortedJoined.startIndex
    for index in shapes.indices where !inGroup[index] {
      while next < sortedJoined.endIndex,
        precedes(sortedJoined[next].shape, first: sortedJoined[next].first, shapes[index], first: index)
      {
        result.append(sortedJoined[next].shape)
        next += 1
      }
      result.append(shapes[index])
    }
    result.append(contentsOf: sortedJoined[next...].map(\.shape))
    return result
  }

  /// The groups `joins` make, in order of their first piece as `DisjointSets.groups` gives them,
  /// and whether a seam join is among them. Only joined pieces are visited, not every shape.
  private static func groups(_ joins: [(Int, Int)], seamJoins: [(Int, Int)], count: Int)
    -> [(pieces: [Int], acrossSeam: Bool)]
  {
    var sets = DisjointSets(count)
    for (a, b) in joins { sets.union(a, b) }
    var groups: [(pieces: [Int], acrossSeam: Bool)] = []
    var groupOfRoot: [Int: Int] = [:]
    for piece in Set(joins.flatMap { [$0.0, $0.1] }).sorted() {
      let root = sets.find(piece)
      if let position = groupOfRoot[root] {
        groups[position].pieces.append(piece)
      } else {
        groupOfRoot[root] = groups.count
        groups.append(([piece], false))
      }
    }
    for (piece, _) in seamJoins { groups[groupOfRoot[sets.find(piece)]!].acrossSeam = true }
    return groups
  }

  /// Same annotator, same label, envelopes within `tolerance` of each other: (lower, higher) index.
  private func candidatePairs(_ shapes: [WorkShape], annotators: Int) -> [(Int, Int)] {
    var grouped = [[Int]](repeating: [], count: annotators)
    for (index, shape) in shapes.enumerated() { grouped[shape.annotator].append(index) }
    let byAnnotator = grouped
    return Parallel.map(0..<annotators) { annotator -> [(Int, Int)] in
      let own = byAnnotator[annotator]
      guard own.count > 1 else { return [] }
      let grown = own.map { index -> BoundingBox in
        let box = shapes[index].measured.envelope
        return BoundingBox(
          minX: box.minX - tolerance, minY: box.minY - tolerance, maxX: box.maxX + tolerance,
          maxY: box.maxY + tolerance)
      }
      return SpatialIndex(grown).intersectingPairs().compactMap { pair in
        let a = own[min(pair.0, pair.1)]
        let b = own[max(pair.0, pair.1)]
        return shapes[a].label == shapes[b].label ? (a, b) : nil
      }
    }
    .flatMap { $0 }
  }

  private func overlaps(_ a: Measured, _ b: Measured) throws -> Bool {
    let needed = min(a.area, b.area) * Self.minimumOverlap
    let envelopeOverlap =
      max(0, min(a.envelope.maxX, b.envelope.maxX) - max(a.envelope.minX, b.envelope.minX))
      * max(0, min(a.envelope.maxY, b.envelope.maxY) - max(a.envelope.minY, b.envelope.minY))
    if envelopeOverlap <= needed { return false }
    if a.isBox && b.isBox {
      let box = a.envelope
      let other = b.envelope
      let overlap =
        max(0, min(box.maxX, other.maxX) - max(box.minX, other.minX))
        * max(0, min(box.maxY, other.maxY) - max(box.minY, other.minY))
      return overlap > needed
    }
    guard Components.bound(a, b) > 0 else { return false }
    return try IoU.intersectionArea(a.geometry, b.geometry) > needed
  }

  /// The pieces' grown envelopes meet near a chip edge at all: the cheap test before buffering.
  private func nearEdge(_ a: Measured, _ b: Measured) -> Bool {
    let near = BoundingBox(
      minX: max(a.envelope.minX, b.envelope.minX) - tolerance,
      minY: max(a.envelope.minY, b.envelope.minY) - tolerance,
      maxX: min(a.envelope.maxX, b.envelope.maxX) + tolerance,
      maxY: min(a.envelope.maxY, b.envelope.maxY) + tolerance)
    return near.minX <= near.maxX && near.minY <= near.maxY && edges.contains(where: { $0.intersects(near) })
  }

  /// The pieces, grown by `tolerance`, meet over at least `tolerance` square metres (half a
  /// metre of edge within `tolerance` of each other), and most of that contact lies in one
  /// chip's edge band.
  private func touchAtSeam(_ grownA: MultiPolygon, _ grownB: MultiPolygon) throws -> Bool {
    // The contact lies within both grown envelopes; bands that miss them hold none of it.
    guard let envelopeA = grownA.envelope, let envelopeB = grownB.envelope else { return false }
    let nearBands = bands.filter { $0.envelope.intersects(envelopeA) && $0.envelope.intersects(envelopeB) }
    guard !nearBands.isEmpty else { return false }
    let contact = try IoU.intersectionAreas(grownA, grownB, within: nearBands.map(\.band))
    guard contact.both >= tolerance else { return false }
    return contact.within.contains { $0 >= contact.both * 0.5 }
  }

  private func join(_ pieces: [WorkShape], acrossSeam: Bool) throws -> WorkShape {
    let first = pieces[0]
    let measured: Measured
    if pieces.allSatisfy({ $0.kind == .bbox }) {
      // Boxes join into the box around them; no overlay needed.
      measured = Measured(
        box: pieces.dropFirst().reduce(first.measured.envelope) { $0.union($1.measured.envelope) })
    } else {
      var geometry = try Topology.union(pieces.map(\.measured.geometry))
      if acrossSeam {
        // Close the hairline gap a seam leaves between pieces: grow, then shrink back.
        geometry = try Topology.buffer(
          try Topology.buffer(geometry, distance: tolerance), distance: -tolerance)
      }
      if !Topology.validity(geometry).isValid { geometry = try Topology.makeValid(geometry) }
      measured = Measured(geometry)
    }
    return WorkShape(
      annotator: first.annotator, label: first.label, kind: first.kind, measured: measured,
      sources: pieces.flatMap(\.sources).sorted())
  }
}
