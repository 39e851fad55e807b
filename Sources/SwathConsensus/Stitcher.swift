import Foundation
import SwathGeometry

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
  func stitch(_ shapes: [WorkShape], annotators: Int) throws -> [WorkShape] {
    var grouped = [[Int]](repeating: [], count: annotators)
    for (index, shape) in shapes.enumerated() { grouped[shape.annotator].append(index) }
    let byAnnotator = grouped
    let perAnnotator = try Parallel.map(0..<annotators) { annotator in
      try stitch(byAnnotator[annotator].map { shapes[$0] })
    }
    return perAnnotator.flatMap { $0 }.sorted(by: WorkShape.canonicalOrder)
  }

  private func stitch(_ own: [WorkShape]) throws -> [WorkShape] {
    guard own.count > 1 else { return own }
    let grown = own.map { shape -> BoundingBox in
      let box = shape.measured.envelope
      return BoundingBox(
        minX: box.minX - tolerance, minY: box.minY - tolerance, maxX: box.maxX + tolerance,
        maxY: box.maxY + tolerance)
    }
    var sets = DisjointSets(own.count)
    var seams: Set<Int> = []  // roots of groups joined across a seam
    var joined = false
    // A piece near a seam usually meets several neighbours: buffer it once.
    var buffers = [MultiPolygon?](repeating: nil, count: own.count)
    func buffered(_ index: Int) throws -> MultiPolygon {
      if let buffer = buffers[index] { return buffer }
      let buffer = try Topology.buffer(own[index].measured.geometry, distance: tolerance)
      buffers[index] = buffer
      return buffer
    }
    for (a, b) in SpatialIndex(grown).intersectingPairs().map({ (min($0.0, $0.1), max($0.0, $0.1)) }).sorted(
      by: <)
    {
      guard own[a].label == own[b].label else { continue }
      if try overlaps(own[a].measured, own[b].measured) {
        sets.union(a, b)
        joined = true
      } else if !bands.isEmpty,
        try touchAtSeam(own[a].measured, own[b].measured, buffered: { try buffered(a) }, { try buffered(b) })
      {
        sets.union(a, b)
        seams.insert(a)
        joined = true
      }
    }
    guard joined else { return own }
    let seamRoots = Set(seams.map { sets.find($0) })
    var result: [WorkShape] = []
    for group in sets.groups() {
      if group.count == 1 {
        result.append(own[group[0]])
        continue
      }
      let pieces = group.map { own[$0] }
      result.append(try join(pieces, acrossSeam: seamRoots.contains(sets.find(group[0]))))
    }
    return result
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

  /// The pieces come within `tolerance` of each other along at least half a metre, and that
  /// contact lies on a chip edge. `bufferedA` and `bufferedB` give the pieces grown by
  /// `tolerance`.
  private func touchAtSeam(
    _ a: Measured, _ b: Measured, buffered bufferedA: () throws -> MultiPolygon,
    _ bufferedB: () throws -> MultiPolygon
  ) throws -> Bool {
    // Cheap first: the pieces' grown envelopes must meet near a chip edge at all.
    let near = BoundingBox(
      minX: max(a.envelope.minX, b.envelope.minX) - tolerance,
      minY: max(a.envelope.minY, b.envelope.minY) - tolerance,
      maxX: min(a.envelope.maxX, b.envelope.maxX) + tolerance,
      maxY: min(a.envelope.maxY, b.envelope.maxY) + tolerance)
    guard near.minX <= near.maxX, near.minY <= near.maxY,
      edges.contains(where: { $0.intersects(near) })
    else { return false }
    let grownA = try bufferedA()
    let grownB = try bufferedB()
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
    var geometry = try Topology.union(pieces.map(\.measured.geometry))
    if acrossSeam {
      // Close the hairline gap a seam leaves between pieces: grow, then shrink back.
      geometry = try Topology.buffer(try Topology.buffer(geometry, distance: tolerance), distance: -tolerance)
    }
    if !Topology.validity(geometry).isValid { geometry = try Topology.makeValid(geometry) }
    let measured =
      pieces.allSatisfy({ $0.kind == .bbox })
      ? Measured(box: pieces.dropFirst().reduce(first.measured.envelope) { $0.union($1.measured.envelope) })
      : Measured(geometry)
    return WorkShape(
      annotator: first.annotator, label: first.label, kind: first.kind, measured: measured,
      sources: pieces.flatMap(\.sources).sorted())
  }
}
