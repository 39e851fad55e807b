import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// Geometries through a GDAL coordinate transformation, all points in one call.
enum Reprojection {
  static func apply(_ geometry: MultiPolygon, _ transform: CoordinateTransform) throws
    -> MultiPolygon
  {
    var xs = Array(geometry.allPoints.map(\.x))
    var ys = Array(geometry.allPoints.map(\.y))
    try transform.transform(xs: &xs, ys: &ys)
    var index = 0
    return geometry.mapPoints { _ in
      defer { index += 1 }
      return Point(xs[index], ys[index])
    }
  }

}

/// A pixel frame of a scene: WGS84 lon/lat to column/row (0,0 the top-left corner of the first
/// pixel) through the image's CRS and the inverse of a geotransform: the image's own (scene
/// pixels) or a chip's (chip pixels).
struct PixelFrame {
  private let toImageCRS: CoordinateTransform
  private let toPixels: GeoTransform

  /// The scene's frame.
  init(_ image: ImageRecord) throws {
    try self.init(image, geotransform: image.geotransform)
  }

  /// The frame of `geotransform` (a chip's) in the image's CRS.
  init(_ image: ImageRecord, geotransform coefficients: [Double]?) throws {
    guard let wkt = image.crsWkt, let coefficients, coefficients.count == 6 else {
      throw WorkflowError("image '\(image.name)' has no CRS or geotransform", kind: .environment)
    }
    guard let inverse = GeoTransform(coefficients).inverted() else {
      throw WorkflowError("image '\(image.name)' has a degenerate geotransform", kind: .environment)
    }
    toImageCRS = try CoordinateTransform(
      from: SpatialReference.wgs84(), to: SpatialReference(definition: wkt))
    toPixels = inverse
  }

  /// A WGS84 geometry in this frame's pixels.
  func pixels(_ geometry: MultiPolygon) throws -> MultiPolygon {
    try Reprojection.apply(geometry, toImageCRS).mapPoints { point in
      let (column, row) = toPixels.apply(column: point.x, row: point.y)
      return Point(column, row)
    }
  }
}
