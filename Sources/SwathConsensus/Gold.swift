import Foundation
import SwathGeometry

/// Known truth for part of the area (WGS84): `objects` are all the true objects inside `area`,
/// and `area` says where that truth is complete. Inside the area the output is these objects
/// themselves, and the annotator model is estimated from how each annotator did there.
public struct GoldStandard: Sendable {
  public var objects: [LabelFeature]
  public var area: MultiPolygon

  public init(objects: [LabelFeature], area: MultiPolygon) {
    self.objects = objects
    self.area = area
  }
}

/// What a cluster inside the gold area is: one gold object (with the shapes matched to it), or
/// a shape that matched none.
enum GoldRole: Sendable, Hashable {
  case object(Int)
  case falseShape
}

/// The gold standard in the local frame of the working CRS.
struct LocalGold: Sendable {
  /// The gold objects whose centre lies inside the area, in canonical order.
  let objects: [(feature: LabelFeature, measured: Measured)]
  /// Gold objects left out because their centre lies outside the area.
  let outside: Int
  private let parts: [MultiPolygon]
  private let index: SpatialIndex

  init(_ gold: GoldStandard, crs: WorkingCRS, frame: LocalFrame, chips: [LocalChip]) throws {
    let area = frame.toLocal(try crs.fromWGS84(gold.area))
    guard !area.polygons.isEmpty, Planar.area(area) > 0 else {
      throw ConsensusError("the gold area is empty")
    }
    let check = Topology.validity(area)
    guard check.isValid else {
      throw ConsensusError(
        "the gold area is not valid in the working CRS: \(check.reason ?? "unknown reason")")
    }
    parts = area.polygons.map { MultiPolygon($0) }
    index = SpatialIndex(parts.map { $0.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) })
    let projected = try crs.fromWGS84(gold.objects.map(\.geometry))
    var inside: [(feature: LabelFeature, measured: Measured)] = []
    var outside = 0
    for (position, feature) in gold.objects.enumerated() {
      let geometry = frame.toLocal(projected[position])
      let check = Topology.validity(geometry)
      guard check.isValid else {
        throw ConsensusError(
          "gold object \(position) is not valid in the working CRS: \(check.reason ?? "unknown reason")")
      }
      let measured = Measured(geometry)
      guard measured.area > 0 else { throw ConsensusError("gold object \(position) has zero area") }
      if Self.contains(parts, index, measured.envelope.center) {
        inside.append((feature, measured))
      } else {
        outside += 1
      }
    }
    // Canonical order: the gold file's order never matters.
    objects = inside.sorted { a, b in
      let ea = a.measured.envelope
      let eb = b.measured.envelope
      return (ea.minY, ea.minX, ea.maxY, ea.maxX, a.measured.area, a.feature.label ?? "")
        < (eb.minY, eb.minX, eb.maxY, eb.maxX, b.measured.area, b.feature.label ?? "")
    }
    self.outside = outside
    if !chips.isEmpty {
      let covered = try chips.contains { chip in
        try parts.contains { part in Planar.area(try Topology.intersection(part, chip.footprint)) > 0 }
      }
      guard covered else { throw ConsensusError("the gold area covers none of the \(chips.count) chips") }
    }
  }

  /// Whether `point` lies inside the gold area.
  func covers(_ point: Point) -> Bool { Self.contains(parts, index, point) }

  private static func contains(_ parts: [MultiPolygon], _ index: SpatialIndex, _ point: Point) -> Bool {
    var inside = false
    index.visit(BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)) { part in
      if !inside, Topology.contains(parts[part], point) { inside = true }
    }
    return inside
  }

  /// The clusters inside the area: each annotator's shapes there (`inside`) matched optimally to
  /// the gold objects (most matches, then most IoU, at least `threshold`), one cluster per gold
  /// object (the object's own shape, its matched shapes as members, none when nobody drew it)
  /// and one per shape that matched no gold object.
  func clusters(_ shapes: [WorkShape], inside: [Int], threshold: Double) throws -> [Cluster] {
    let goldIndex = SpatialIndex(objects.map(\.measured.envelope))
    var members = [[Int]](repeating: [], count: objects.count)
    var unmatched: [Int] = []
    let byAnnotator = Dictionary(grouping: inside) { shapes[$0].annotator }.sorted { $0.key < $1.key }
    for (_, own) in byAnnotator {
      let own = own.sorted()
      var edges: [(row: Int, column: Int, weight: Double)] = []
      for (row, shape) in own.enumerated() {
        let measured = shapes[shape].measured
        for column in goldIndex.query(measured.envelope).sorted() {
          let iou = try measured.iou(objects[column].measured, floor: threshold)
          if iou >= threshold { edges.append((row, column, iou)) }
        }
      }
      let assignment = Assignment.sparse(rows: own.count, columns: objects.count, edges: edges)
      for (row, shape) in own.enumerated() {
        if let column = assignment[row] { members[column].append(shape) } else { unmatched.append(shape) }
      }
    }
    var result: [Cluster] = []
    for (position, object) in objects.enumerated() {
      let own = members[position].sorted()
      result.append(
        Cluster(
          members: own, merged: object.measured, kind: object.feature.shape,
          memberIoU: try own.map { try shapes[$0].measured.iou(object.measured) }, conflicts: [],
          gold: .object(position)))
    }
    for shape in unmatched.sorted() {
      let measured = shapes[shape].measured
      result.append(
        Cluster(
          members: [shape], merged: measured, kind: shapes[shape].kind, memberIoU: [1], conflicts: [],
          gold: .falseShape))
    }
    return result
  }

  /// The attributes of gold object `position` that the schema defines for its label.
  func attributes(of position: Int, schema: LabelSchema?) -> [String: JSONValue] {
    let feature = objects[position].feature
    guard let schema, let label = feature.label, let definition = schema.label(named: label) else {
      return [:]
    }
    var values: [String: JSONValue] = [:]
    for attribute in definition.attributes {
      if let value = feature.properties[attribute.name], !value.isNull { values[attribute.name] = value }
    }
    return values
  }
}
