import Foundation
import SwathGeometry

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
