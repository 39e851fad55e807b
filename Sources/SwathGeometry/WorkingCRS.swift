import Foundation
import SwathGDAL
import SwathSupport

/// A metric CRS to measure and compare shapes in, with transforms to and from WGS84.
/// Longitude/latitude (x/y) axis order on both sides, whatever the authority says.
public final class WorkingCRS: @unchecked Sendable {
  public let spatialReference: SpatialReference
  private let forward: CoordinateTransform
  private let inverse: CoordinateTransform

  /// About how many m² one degree² of longitude × latitude covers near `latitude`: for
  /// estimates where an exact projection is not worth it.
  public static func squareMetresPerSquareDegree(atLatitude latitude: Double) -> Double {
    let metresPerDegree = 111_319.49
    return metresPerDegree * metresPerDegree * cos(latitude * .pi / 180)
  }

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

  /// Many geometries at once, structure kept.
  public func fromWGS84(_ geometries: [MultiPolygon]) throws -> [MultiPolygon] {
    try transform(geometries, forward, shift: nil)
  }

  /// Many geometries at once, each position first moved by `shift` (from a local frame back to
  /// the CRS's own coordinates) when given.
  public func toWGS84(_ geometries: [MultiPolygon], shift: Point? = nil) throws -> [MultiPolygon] {
    try transform(geometries, inverse, shift: shift)
  }

  /// Large inputs are split into one contiguous part per core, each transformed by its own copy
  /// of the PROJ transformation (one object cannot serve two threads at once). PROJ transforms
  /// each position on its own, so the split does not change a single output bit. A failure
  /// names the first failed position of the whole input, as one call for all would.
  private func transform(_ geometries: [MultiPolygon], _ transform: CoordinateTransform, shift: Point?)
    throws -> [MultiPolygon]
  {
    let parts = geometries.count < 4096 ? 1 : ProcessInfo.processInfo.activeProcessorCount
    let partSize = (geometries.count + parts - 1) / parts
    let ranges = (0..<parts).map { part in
      min(geometries.count, part * partSize)..<min(geometries.count, (part + 1) * partSize)
    }
    let partPoints = ranges.map { geometries[$0].reduce(0) { $0 + Self.pointCount($1) } }
    let firstPointNumbers = ranges.indices.map { partPoints[..<$0].reduce(0, +) }
    let transforms = try ranges.indices.map { $0 == 0 ? transform : try transform.clone() }
    let results = Parallel.map(ranges.indices) { part in
      Result {
        try Self.transform(
          geometries[ranges[part]], transforms[part], shift: shift, firstPointNumber: firstPointNumbers[part])
      }
    }
    var transformed: [MultiPolygon] = []
    transformed.reserveCapacity(geometries.count)
    for result in results { transformed.append(contentsOf: try result.get()) }
    return transformed
  }

  private static func pointCount(_ geometry: MultiPolygon) -> Int {
    var count = 0
    for polygon in geometry.polygons {
      count += polygon.shell.count
      for hole in polygon.holes { count += hole.count }
    }
    return count
  }

  /// One PROJ call for all positions of the geometry, structure kept.
  private func transform(_ geometry: MultiPolygon, _ transform: CoordinateTransform) throws
    -> MultiPolygon
  {
    try Self.transform(CollectionOfOne(geometry), transform, shift: nil, firstPointNumber: 0)[0]
  }

  /// One PROJ call for all positions of `geometries`, gathered into one flat buffer (x values,
  /// then y values): on the stack for a single small shape, as the validator projects them.
  private static func transform(
    _ geometries: some Collection<MultiPolygon>, _ transform: CoordinateTransform, shift: Point?,
    firstPointNumber: Int
  ) throws -> [MultiPolygon] {
    var count = 0
    for geometry in geometries { count += pointCount(geometry) }
    return try withUnsafeTemporaryAllocation(of: Double.self, capacity: 2 * count) { coordinates in
      let xs = UnsafeMutableBufferPointer(rebasing: coordinates[..<count])
      let ys = UnsafeMutableBufferPointer(rebasing: coordinates[count...])
      var next = 0
      for geometry in geometries {
        for polygon in geometry.polygons {
          gather(polygon.shell, into: xs, ys, at: &next, shift: shift)
          for hole in polygon.holes { gather(hole, into: xs, ys, at: &next, shift: shift) }
        }
      }
      try transform.transform(xs: xs, ys: ys, firstPointNumber: firstPointNumber)
      next = 0
      return geometries.map { geometry in
        MultiPolygon(
          geometry.polygons.map { polygon in
            Polygon(
              shell: ring(like: polygon.shell, from: xs, ys, at: &next),
              holes: polygon.holes.map { ring(like: $0, from: xs, ys, at: &next) })
          })
      }
    }
  }

  private static func gather(
    _ ring: Ring, into xs: UnsafeMutableBufferPointer<Double>, _ ys: UnsafeMutableBufferPointer<Double>,
    at next: inout Int, shift: Point?
  ) {
    // Only a given shift is added: adding zero would turn -0.0 into 0.0.
    if let shift {
      for point in ring {
        xs[next] = point.x + shift.x
        ys[next] = point.y + shift.y
        next += 1
      }
    } else {
      for point in ring {
        xs[next] = point.x
        ys[next] = point.y
        next += 1
      }
    }
  }

  private static func ring(
    like original: Ring, from xs: UnsafeMutableBufferPointer<Double>,
    _ ys: UnsafeMutableBufferPointer<Double>,
    at next: inout Int
  ) -> Ring {
    let start = next
    next += original.count
    return Ring(unsafeUninitializedCapacity: original.count) { buffer, initialized in
      for offset in 0..<original.count {
        (buffer.baseAddress! + offset).initialize(to: Point(xs[start + offset], ys[start + offset]))
      }
      initialized = original.count
    }
  }

  private func transform(_ points: [Point], _ transform: CoordinateTransform) throws -> [Point] {
    var xs = points.map(\.x)
    var ys = points.map(\.y)
    try transform.transform(xs: &xs, ys: &ys)
    return (0..<points.count).map { Point(xs[$0], ys[$0]) }
  }
}
