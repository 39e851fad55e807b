import Foundation
import SwathGeometry

/// One merged shape, with the disagreements found while merging.
struct Merged: Sendable {
  var measured: Measured
  var kind: ShapeKind
  var conflicts: [String]
}

/// Turns a cluster's members into one shape in the working CRS.
struct Merger: Sendable {
  var polygonMerge: PolygonMerge
  var boxMerge: BoxMerge

  func merge(_ members: [WorkShape]) throws -> Merged {
    precondition(!members.isEmpty)
    let boxes = members.filter { $0.kind == .bbox }.count
    let kind: ShapeKind = boxes * 2 > members.count ? .bbox : .polygon
    var conflicts: [String] = []
    if boxes > 0 && boxes < members.count { conflicts.append("shape") }
    if members.count == 1 {
      let only = members[0].measured
      return Merged(
        measured: kind == .bbox && !only.isBox ? Measured(box: only.envelope) : only, kind: kind,
        conflicts: conflicts)
    }
    if kind == .bbox {
      return Merged(
        measured: Measured(box: mergedBox(members.map(\.measured.envelope))), kind: kind, conflicts: conflicts
      )
    }
    let geometries = members.map(\.measured)
    if geometries.allSatisfy({ $0.geometry == geometries[0].geometry }) {
      return Merged(measured: geometries[0], kind: kind, conflicts: conflicts)
    }
    switch polygonMerge {
    case .medoid:
      return Merged(measured: try medoid(geometries), kind: kind, conflicts: conflicts)
    case .vote:
      if let voted = try vote(geometries) {
        return Merged(measured: voted, kind: kind, conflicts: conflicts)
      }
      conflicts.append("merge_fallback")
      return Merged(measured: try medoid(geometries), kind: kind, conflicts: conflicts)
    }
  }

  /// What shapes are matched against while a group is still being clustered: the merged box for
  /// boxes, the medoid for polygons (a vote overlay per step would cost more than the rest of
  /// the merge). The final shape is always `merge`.
  func prototype(_ members: [WorkShape]) throws -> Merged {
    var cheap = self
    cheap.polygonMerge = .medoid
    return try cheap.merge(members)
  }

  private func mergedBox(_ boxes: [BoundingBox]) -> BoundingBox {
    let combine: ([Double]) -> Double =
      boxMerge == .mean
      ? { $0.reduce(0, +) / Double($0.count) }
      : { values in
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
      }
    return BoundingBox(
      minX: combine(boxes.map(\.minX)), minY: combine(boxes.map(\.minY)),
      maxX: combine(boxes.map(\.maxX)), maxY: combine(boxes.map(\.maxY)))
  }

  /// The member with the highest mean IoU to the others; the first such in canonical order.
  func medoid(_ members: [Measured]) throws -> Measured {
    var best = 0
    var bestScore = -1.0
    var iou = [[Double]](repeating: [Double](repeating: 0, count: members.count), count: members.count)
    for i in members.indices {
      for j in members.indices where j > i {
        iou[i][j] = try members[i].iou(members[j])
        iou[j][i] = iou[i][j]
      }
    }
    for i in members.indices {
      let score = iou[i].reduce(0, +)
      if score > bestScore + 1e-12 {
        best = i
        bestScore = score
      }
    }
    return members[best]
  }

  /// The region covered by at least half of the members (a vector overlay), slivers removed;
  /// nil when nothing is left. The overlay is valid and dropping small parts or holes keeps it so.
  func vote(_ members: [Measured]) throws -> Measured? {
    let count = members.count
    var result = try Topology.coverage(members.map(\.geometry), atLeast: (count + 1) / 2)
    let meanArea = members.reduce(0) { $0 + $1.area } / Double(count)
    result = Topology.removeSlivers(result, minArea: max(1e-4, meanArea * 0.01))
    guard !result.isEmpty else { return nil }
    let measured = Measured(result)
    return measured.area > 0 ? measured : nil
  }
}
