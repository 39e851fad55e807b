import Foundation
import SwathGDAL
import SwathGeometry

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
