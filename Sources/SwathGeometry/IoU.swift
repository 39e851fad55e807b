import CGEOS
import Foundation

/// Intersection over union of two shapes.
public enum IoU {
  /// Closed form for axis-aligned boxes; 0 when they are disjoint or only touch.
  public static func boxes(_ a: BoundingBox, _ b: BoundingBox) -> Double {
    a.iou(b)
  }

  /// Exact polygon IoU through GEOS overlay. Both shapes are moved by the joint envelope's
  /// (minX, minY) first, so UTM-sized coordinates keep their precision. Shapes whose
  /// envelopes do not overlap with positive area cannot overlap: 0 without any overlay.
  /// Inputs are expected to be OGC-valid (validated or made valid beforehand).
  public static func polygons(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    guard let boxA = a.envelope, let boxB = b.envelope else { return 0 }
    return try polygons(a, envelope: boxA, b, envelope: boxB)
  }

  /// As `polygons(_:_:)`, with envelopes the caller already has (e.g. from its index).
  public static func polygons(
    _ a: MultiPolygon, envelope boxA: BoundingBox, _ b: MultiPolygon, envelope boxB: BoundingBox
  ) throws -> Double {
    let overlapWidth = min(boxA.maxX, boxB.maxX) - max(boxA.minX, boxB.minX)
    let overlapHeight = min(boxA.maxY, boxB.maxY) - max(boxA.minY, boxB.minY)
    guard overlapWidth > 0, overlapHeight > 0 else { return 0 }
    let origin = Point(min(boxA.minX, boxB.minX), min(boxA.minY, boxB.minY))
    let context = GEOSContext.current
    context.resetMessages()
    let geometryA = try context.makeGeometry(a, origin: origin)
    let geometryB = try context.makeGeometry(b, origin: origin)
    let intersection = try GEOSGeometryBox.check(
      GEOSIntersection_r(context.handle, geometryA.pointer, geometryB.pointer), "intersection",
      context: context)
    let intersectionArea = intersection.area
    guard intersectionArea > 0 else { return 0 }
    let unionArea = geometryA.area + geometryB.area - intersectionArea
    guard unionArea > 0 else { return 0 }
    return min(1, intersectionArea / unionArea)
  }
}
