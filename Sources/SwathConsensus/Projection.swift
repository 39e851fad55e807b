import Foundation
import SwathGeometry

/// Batched reprojection: one transform call per batch, not one per feature.
enum Projection {
  static func forward(_ geometries: [MultiPolygon], crs: WorkingCRS) throws -> [MultiPolygon] {
    try batched(geometries) { try crs.fromWGS84($0) }
  }

  static func inverse(_ geometries: [MultiPolygon], crs: WorkingCRS) throws -> [MultiPolygon] {
    try batched(geometries) { try crs.toWGS84($0) }
  }

  private static func batched(
    _ geometries: [MultiPolygon], _ transform: (MultiPolygon) throws -> MultiPolygon
  ) throws -> [MultiPolygon] {
    guard !geometries.isEmpty else { return [] }
    let all = try transform(MultiPolygon(geometries.flatMap(\.polygons)))
    guard all.polygons.count == geometries.reduce(0, { $0 + $1.polygons.count }) else {
      throw ConsensusError("reprojection changed the number of polygons")
    }
    var result: [MultiPolygon] = []
    result.reserveCapacity(geometries.count)
    var position = 0
    for geometry in geometries {
      let count = geometry.polygons.count
      result.append(MultiPolygon(Array(all.polygons[position..<position + count])))
      position += count
    }
    return result
  }
}

/// Coordinates about a local origin, so overlays work on small numbers (full precision in
/// metres) rather than on six-figure UTM eastings.
struct LocalFrame: Sendable {
  let origin: Point

  init(_ geometries: [MultiPolygon]) {
    var box: BoundingBox?
    for geometry in geometries {
      guard let envelope = geometry.envelope else { continue }
      box = box?.union(envelope) ?? envelope
    }
    let center = box?.center ?? Point(0, 0)
    origin = Point(center.x.rounded(), center.y.rounded())
  }

  func toLocal(_ geometry: MultiPolygon) -> MultiPolygon {
    geometry.mapPoints { Point($0.x - origin.x, $0.y - origin.y) }
  }

  func toWorld(_ geometry: MultiPolygon) -> MultiPolygon {
    geometry.mapPoints { Point($0.x + origin.x, $0.y + origin.y) }
  }
}
