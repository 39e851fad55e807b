import Foundation
import SwathGeometry

/// A polygonal shape in the working CRS with what matching needs precomputed.
struct Measured: Sendable {
  var geometry: MultiPolygon
  var envelope: BoundingBox
  var area: Double
  /// An axis-aligned rectangle in the working CRS: IoU in closed form, coordinate-wise merge.
  var isBox: Bool

  init(_ geometry: MultiPolygon) {
    self.geometry = geometry
    envelope = geometry.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0)
    area = Planar.area(geometry)
    // A drawn box survives reprojection as a rectangle up to grid convergence; nearly filling
    // its envelope is the test, so a tilted "box" falls back to exact polygon IoU.
    isBox =
      geometry.polygons.count == 1 && geometry.polygons[0].holes.isEmpty && envelope.area > 0
      && area >= envelope.area * 0.999
  }

  init(box: BoundingBox) {
    geometry = MultiPolygon(box.polygon)
    envelope = box
    area = box.area
    isBox = true
  }

  /// IoU, exact: closed form for two boxes, GEOS overlay otherwise. Pairs whose envelopes prove
  /// the IoU is below `floor` return 0 without an overlay.
  func iou(_ other: Measured, floor: Double = 0) throws -> Double {
    let overlap =
      (min(envelope.maxX, other.envelope.maxX) - max(envelope.minX, other.envelope.minX))
      * (min(envelope.maxY, other.envelope.maxY) - max(envelope.minY, other.envelope.minY))
    guard overlap > 0, envelope.maxX > other.envelope.minX, other.envelope.maxX > envelope.minX else {
      return 0
    }
    if isBox && other.isBox { return envelope.iou(other.envelope) }
    let bound = min(area, other.area, overlap) / max(area, other.area)
    if bound < floor || bound <= 0 { return 0 }
    return try IoU.polygons(geometry, other.geometry)
  }
}

/// Small planar helpers used on hot paths, where a GEOS round trip would cost more than the sum.
enum Planar {
  /// The area the consensus engine measures shapes by (shells minus holes, whatever the
  /// winding). Deliberately not `Topology.area`: it sums trapezoids, (x₀ − x₁)(y₀ + y₁) from the
  /// last position round, where `Topology.ringSignedArea` sums cross products about the ring's
  /// first position. The two agree to rounding but not bit for bit, and this value feeds the
  /// canonical order and the IoU bounds, so switching would change outputs in rare ties; do it
  /// in a change of its own that re-baselines the outputs.
  static func area(_ geometry: MultiPolygon) -> Double {
    var total = 0.0
    for polygon in geometry.polygons {
      total += abs(trapezoidSignedArea(polygon.shell))
      for hole in polygon.holes { total -= abs(trapezoidSignedArea(hole)) }
    }
    return total
  }

  private static func trapezoidSignedArea(_ ring: Ring) -> Double {
    guard ring.count > 2 else { return 0 }
    var sum = 0.0
    var previous = ring[ring.count - 1]
    for point in ring {
      sum += (previous.x - point.x) * (previous.y + point.y)
      previous = point
    }
    return sum / 2
  }

  /// Right-hand rule (RFC 7946): shells counter-clockwise, holes clockwise. Only the sign of
  /// the ring area counts here, and every ring this sees is valid on the output grid, far
  /// from areas where rounding could flip it.
  static func oriented(_ geometry: MultiPolygon) -> MultiPolygon {
    MultiPolygon(
      geometry.polygons.map { polygon in
        Polygon(
          shell: Topology.ringSignedArea(polygon.shell) < 0 ? polygon.shell.reversed() : polygon.shell,
          holes: polygon.holes.map { Topology.ringSignedArea($0) > 0 ? $0.reversed() : $0 })
      })
  }
}
