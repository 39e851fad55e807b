import Foundation
import SwathGeometry

/// A group of shapes taken to be one object: at most one shape per annotator.
struct Cluster: Sendable {
  /// Shape indices, ascending (so by annotator).
  var members: [Int]
  var merged: Measured
  var kind: ShapeKind
  /// IoU of each member to the merged shape.
  var memberIoU: [Double]
  var conflicts: [String]
  /// Annotators asked to label where it lies, and how many (non-submitters included).
  var asked: [Int] = []
  var assignedCount = 0
  /// Inside the gold area: the gold object it is, or a shape that matched none.
  var gold: GoldRole? = nil
}

/// Shapes that may belong to one object: connected by envelope overlap that leaves room for
/// an IoU of at least `floor`. Each group is clustered on its own.
enum Components {
  /// Shapes marked in `skip` (those inside the gold area) take no part.
  static func of(_ shapes: [WorkShape], floor: Double, skip: [Bool] = []) -> [[Int]] {
    var sets = DisjointSets(shapes.count)
    let index = SpatialIndex(shapes.map(\.measured.envelope))
    let skipped = { (shape: Int) in !skip.isEmpty && skip[shape] }
    for (a, b) in index.intersectingPairs() where shapes[a].annotator != shapes[b].annotator {
      if skipped(a) || skipped(b) { continue }
      if bound(shapes[a].measured, shapes[b].measured) >= floor { sets.union(a, b) }
    }
    let groups = sets.groups()
    return skip.isEmpty ? groups : groups.filter { !skipped($0[0]) }
  }

  /// An upper bound of IoU from envelopes and areas alone.
  static func bound(_ a: Measured, _ b: Measured) -> Double {
    let overlap =
      max(0, min(a.envelope.maxX, b.envelope.maxX) - max(a.envelope.minX, b.envelope.minX))
      * max(0, min(a.envelope.maxY, b.envelope.maxY) - max(a.envelope.minY, b.envelope.minY))
    let larger = max(a.area, b.area)
    return larger > 0 ? min(a.area, b.area, overlap) / larger : 0
  }
}

/// Union–find whose groups come out in ascending order of their smallest element.
struct DisjointSets {
  private var parent: [Int]

  init(_ count: Int) { parent = Array(0..<count) }

  mutating func find(_ element: Int) -> Int {
    var root = element
    while parent[root] != root { root = parent[root] }
    var current = element
    while parent[current] != root {
      let next = parent[current]
      parent[current] = root
      current = next
    }
    return root
  }

  mutating func union(_ a: Int, _ b: Int) {
    let rootA = find(a)
    let rootB = find(b)
    if rootA != rootB { parent[max(rootA, rootB)] = min(rootA, rootB) }
  }

  mutating func groups() -> [[Int]] {
    var byRoot: [Int: Int] = [:]
    var groups: [[Int]] = []
    for element in parent.indices {
      let root = find(element)
      if let position = byRoot[root] {
        groups[position].append(element)
      } else {
        byRoot[root] = groups.count
        groups.append([element])
      }
    }
    return groups
  }
}

/// Clusters one component: every annotator's shapes are assigned optimally (most matches, then
/// most IoU) to the current consensus shapes, the consensus shapes are merged again, until the
/// assignment is stable.
struct Clusterer: Sendable {
  let shapes: [WorkShape]
  let threshold: Double
  let merger: Merger
  let maxRounds = 6

  init(shapes: [WorkShape], options: ConsensusOptions) {
    self.shapes = shapes
    threshold = options.iouThreshold.value
    merger = Merger(polygonMerge: options.polygonMerge, boxMerge: options.boxMerge)
  }

  func clusters(of component: [Int]) throws -> [Cluster] {
    if component.count == 1 {
      let shape = shapes[component[0]]
      let merged = try merger.merge([shape])
      return [try finished(component, merged)]
    }
    // Fast path: one shape per annotator, all close to their merged shape.
    let annotators = Set(component.map { shapes[$0].annotator })
    if annotators.count == component.count {
      let merged = try merger.merge(component.map { shapes[$0] })
      let cluster = try finished(component, merged)
      if cluster.memberIoU.allSatisfy({ $0 >= threshold }) { return [cluster] }
      // One outlier (a sloppy or shifted shape): merge the others again; when they all hold and
      // the outlier stays out, that is where the iteration below would settle, at a third of the cost.
      let outliers = zip(component, cluster.memberIoU).filter { $0.1 < threshold }.map(\.0)
      if outliers.count == 1, component.count >= 3 {
        let kept = component.filter { $0 != outliers[0] }
        let remerged = try merger.merge(kept.map { shapes[$0] })
        let settled = try finished(kept, remerged)
        let outlier = shapes[outliers[0]].measured
        if settled.memberIoU.allSatisfy({ $0 >= threshold }),
          try outlier.iou(remerged.measured, floor: threshold) < threshold
        {
          return [settled, try finished(outliers, try merger.merge([shapes[outliers[0]]]))]
        }
      }
    }
    return try iterate(component)
  }

  private func iterate(_ component: [Int]) throws -> [Cluster] {
    let byAnnotator = Dictionary(grouping: component) { shapes[$0].annotator }
      .sorted { $0.key < $1.key }.map { $0.value.sorted() }
    // Seed: annotators in id order, each matched optimally to the clusters so far at half the
    // threshold: two careful boxes of a small car may overlap by less than the threshold while
    // both sit well on their merged box, which the refinement below then checks.
    var groups: [[Int]] = []
    var prototypes: [Merged] = []
    for own in byAnnotator {
      let assignment = try assign(own, to: prototypes.map(\.measured), threshold: threshold / 2)
      var touched: Set<Int> = []
      for (row, shape) in own.enumerated() {
        if let column = assignment[row] {
          groups[column].append(shape)
          touched.insert(column)
        } else {
          groups.append([shape])
          prototypes.append(try merger.prototype([shapes[shape]]))
        }
      }
      for column in touched.sorted() {
        groups[column].sort()
        prototypes[column] = try merger.prototype(groups[column].map { shapes[$0] })
      }
    }
    // Refine: everyone against the merged shapes at once, until nothing moves. Most groups
    // survive a round unchanged; their prototypes are kept rather than merged again.
    var known = [[Int]: Merged](minimumCapacity: groups.count)
    for (group, prototype) in zip(groups, prototypes) { known[group.sorted()] = prototype }
    for _ in 0..<maxRounds {
      var next = [[Int]](repeating: [], count: groups.count)
      var singles: [[Int]] = []
      for own in byAnnotator {
        let assignment = try assign(own, to: prototypes.map(\.measured), threshold: threshold)
        for (row, shape) in own.enumerated() {
          if let column = assignment[row] { next[column].append(shape) } else { singles.append([shape]) }
        }
      }
      let normalized = Self.normalized(next.filter { !$0.isEmpty } + singles)
      if normalized == Self.normalized(groups) { break }
      groups = normalized
      prototypes = try groups.map { group in
        if let prototype = known[group] { return prototype }
        let prototype = try merger.prototype(group.map { shapes[$0] })
        known[group] = prototype
        return prototype
      }
    }
    // Members that ended below the threshold leave as clusters of their own.
    var result: [Cluster] = []
    for group in groups {
      let cluster = try finished(group, try merger.merge(group.map { shapes[$0] }))
      let kept = zip(group, cluster.memberIoU).filter { $0.1 >= threshold }.map(\.0)
      if kept.count == group.count || kept.isEmpty {
        result.append(cluster)
        continue
      }
      result.append(try finished(kept, try merger.merge(kept.map { shapes[$0] })))
      for shape in group where !kept.contains(shape) {
        result.append(try finished([shape], try merger.merge([shapes[shape]])))
      }
    }
    return result.sorted { $0.members[0] < $1.members[0] }
  }

  private static func normalized(_ groups: [[Int]]) -> [[Int]] {
    groups.map { $0.sorted() }.sorted { $0[0] < $1[0] }
  }

  private func finished(_ members: [Int], _ merged: Merged) throws -> Cluster {
    let ious = try members.map { try shapes[$0].measured.iou(merged.measured) }
    return Cluster(
      members: members.sorted(), merged: merged.measured, kind: merged.kind, memberIoU: ious,
      conflicts: merged.conflicts)
  }

  /// One annotator's shapes against the prototypes: the optimal assignment among pairs with
  /// IoU ≥ threshold, solved separately on each connected block of candidate pairs.
  private func assign(_ own: [Int], to prototypes: [Measured], threshold: Double) throws -> [Int?] {
    guard !prototypes.isEmpty else { return Array(repeating: nil, count: own.count) }
    let index = prototypes.count > 16 ? SpatialIndex(prototypes.map(\.envelope)) : nil
    var edges: [(row: Int, column: Int, weight: Double)] = []
    for (row, shape) in own.enumerated() {
      let measured = shapes[shape].measured
      let candidates = index?.query(measured.envelope).sorted() ?? Array(prototypes.indices)
      for column in candidates {
        let iou = try measured.iou(prototypes[column], floor: threshold)
        if iou >= threshold { edges.append((row, column, iou)) }
      }
    }
    return Assignment.sparse(rows: own.count, columns: prototypes.count, edges: edges)
  }
}
