import Foundation
import SwathGDAL

/// A metric CRS to measure and compare shapes in, with transforms to and from WGS84.
/// Longitude/latitude (x/y) axis order on both sides, whatever the authority says.
public final class WorkingCRS: @unchecked Sendable {
  public let spatialReference: SpatialReference
  private let forward: CoordinateTransform
  private let inverse: CoordinateTransform

  public init(spatialReference: SpatialReference) throws {
    let wgs84 = SpatialReference.wgs84()
    self.spatialReference = spatialReference
    forward = try CoordinateTransform(from: wgs84, to: spatialReference)
    inverse = try CoordinateTransform(from: spatialReference, to: wgs84)
  }

  public convenience init(epsg: Int) throws {
    try self.init(spatialReference: SpatialReference(epsg: epsg))
  }

  /// Any definition GDAL understands: "EPSG:32633", an image's WKT, a PROJ string.
  public convenience init(definition: String) throws {
    try self.init(spatialReference: SpatialReference(definition: definition))
  }

  /// The WGS84 UTM zone containing a lon/lat position.
  public static func utm(containing lonLat: Point) throws -> WorkingCRS {
    guard lonLat.x.isFinite, lonLat.y.isFinite, abs(lonLat.x) <= 180, abs(lonLat.y) <= 90 else {
      throw GDALError("no UTM zone for position (\(lonLat.x), \(lonLat.y)): not a lon/lat position")
    }
    return try WorkingCRS(
      epsg: SpatialReference.utmEPSG(longitude: lonLat.x, latitude: lonLat.y))
  }

  /// The UTM zone of the centre of the data's joint envelope (lon/lat).
  public static func forData(_ geometries: [MultiPolygon]) throws -> WorkingCRS {
    var joint: BoundingBox?
    for geometry in geometries {
      guard let box = geometry.envelope else { continue }
      joint = joint.map { $0.union(box) } ?? box
    }
    guard let joint else { throw GDALError("no positions to choose a working CRS from") }
    return try utm(containing: joint.center)
  }

  public var epsg: Int? { spatialReference.epsg }

  public func fromWGS84(_ geometry: MultiPolygon) throws -> MultiPolygon {
    try transform(geometry, forward)
  }

  public func toWGS84(_ geometry: MultiPolygon) throws -> MultiPolygon {
    try transform(geometry, inverse)
  }

  public func fromWGS84(_ points: [Point]) throws -> [Point] { try transform(points, forward) }
  public func toWGS84(_ points: [Point]) throws -> [Point] { try transform(points, inverse) }

  /// One PROJ call for all positions of the geometry, structure kept.
  private func transform(_ geometry: MultiPolygon, _ transform: CoordinateTransform) throws
    -> MultiPolygon
  {
    var xs: [Double] = []
    var ys: [Double] = []
    for point in geometry.allPoints {
      xs.append(point.x)
      ys.append(point.y)
    }
    try transform.transform(xs: &xs, ys: &ys)
    var index = 0
    return geometry.mapPoints { _ in
      defer { index += 1 }
      return Point(xs[index], ys[index])
    }
  }

  private func transform(_ points: [Point], _ transform: CoordinateTransform) throws -> [Point] {
    var xs = points.map(\.x)
    var ys = points.map(\.y)
    try transform.transform(xs: &xs, ys: &ys)
    return (0..<points.count).map { Point(xs[$0], ys[$0]) }
  }
}
