import Foundation
import SwathGDAL
import SwathGeometry
import Testing

/// The one pixel-window footprint against the formulas it replaces, bit for bit.
struct PixelFootprintTests {
  static let utm = GeoTransform([500_000, 0.3, 0, 4_500_000, 0, -0.3])
  static let rotated = GeoTransform([600_000, 0.5, 0.02, 5_000_000, 0.03, -0.5])
  static let southUp = GeoTransform([500_000, 0.3, 0, 4_400_000, 0, 0.3])

  static func toWGS84() throws -> CoordinateTransform {
    try CoordinateTransform(from: SpatialReference(epsg: 32633), to: SpatialReference.wgs84())
  }

  /// Chipper's `footprint(_:)` before PixelFootprint, verbatim but for its inputs.
  static func oldChipper(
    _ geoTransform: GeoTransform, x: Int, y: Int, size: Int, _ toWGS84: CoordinateTransform
  )
    throws -> [[Double]]
  {
    func round9(_ value: Double) -> Double { (value * 1e9).rounded() / 1e9 }
    let size = Double(size)
    let x0 = Double(x)
    let y0 = Double(y)
    let steps = 4
    var pixels: [(Double, Double)] = []
    let corners = [(x0, y0), (x0, y0 + size), (x0 + size, y0 + size), (x0 + size, y0)]
    for side in 0..<4 {
      let (ax, ay) = corners[side]
      let (bx, by) = corners[(side + 1) % 4]
      for step in 0..<steps {
        let t = Double(step) / Double(steps)
        pixels.append((ax + (bx - ax) * t, ay + (by - ay) * t))
      }
    }
    var xs = pixels.map { geoTransform.apply(column: $0.0, row: $0.1).x }
    var ys = pixels.map { geoTransform.apply(column: $0.0, row: $0.1).y }
    try toWGS84.transform(xs: &xs, ys: &ys)
    var ring = zip(xs, ys).map { [round9($0), round9($1)] }
    ring.append(ring[0])
    var twiceArea = 0.0
    for index in 0..<(ring.count - 1) {
      twiceArea += ring[index][0] * ring[index + 1][1] - ring[index + 1][0] * ring[index][1]
    }
    if twiceArea < 0 { ring.reverse() }
    return ring
  }

  /// The store's `ImageCatalog.wgs84Ring` before PixelFootprint, verbatim but for its inputs.
  static func oldStore(
    columnOffset: Double, rowOffset: Double, width: Double, height: Double, transform: GeoTransform,
    _ toWGS84: CoordinateTransform
  ) throws -> [Point] {
    let steps = 16
    var pixels: [(Double, Double)] = []
    for i in 0..<steps { pixels.append((0, height * Double(i) / Double(steps))) }
    for i in 0..<steps { pixels.append((width * Double(i) / Double(steps), height)) }
    for i in 0..<steps { pixels.append((width, height * Double(steps - i) / Double(steps))) }
    for i in 0..<steps { pixels.append((width * Double(steps - i) / Double(steps), 0)) }
    var xs: [Double] = []
    var ys: [Double] = []
    for (column, row) in pixels {
      let point = transform.apply(column: columnOffset + column, row: rowOffset + row)
      xs.append(point.x)
      ys.append(point.y)
    }
    try toWGS84.transform(xs: &xs, ys: &ys)
    var ring = zip(xs, ys).map { Point($0, $1) }
    var sum = 0.0
    for index in ring.indices {
      let a = ring[index]
      let b = ring[(index + 1) % ring.count]
      sum += a.x * b.y - b.x * a.y
    }
    if sum / 2 < 0 { ring.reverse() }
    ring.append(ring[0])
    return ring
  }

  @Test(arguments: [(0, 0, 512), (1024, 512, 512), (300, 7, 256), (5, 9, 1)])
  func matchesChipperBitForBit(_ x: Int, _ y: Int, _ size: Int) throws {
    let toWGS84 = try Self.toWGS84()
    for geoTransform in [Self.utm, Self.rotated, Self.southUp] {
      let ring = try PixelFootprint.ring(
        geoTransform: geoTransform, column: Double(x), row: Double(y), width: Double(size),
        height: Double(size), pointsPerEdge: 4, to: toWGS84)
      let rounded = ring.map { [($0.x * 1e9).rounded() / 1e9, ($0.y * 1e9).rounded() / 1e9] }
      let old = try Self.oldChipper(geoTransform, x: x, y: y, size: size, toWGS84)
      #expect(rounded.map { $0.map(\.bitPattern) } == old.map { $0.map(\.bitPattern) })
      #expect(ring.count == 17 && ring.first == ring.last)
      #expect(Topology.ringSignedArea(ring) > 0)
    }
  }

  @Test(arguments: [(0.0, 0.0, 7_000.0, 5_000.0), (512, 1024, 512, 512), (3, 5, 1001, 333)])
  func matchesTheStoreBitForBitForNorthUpImages(
    _ column: Double, _ row: Double, _ width: Double, _ height: Double
  ) throws {
    let toWGS84 = try Self.toWGS84()
    for transform in [Self.utm, Self.rotated] {
      let ring = try PixelFootprint.ring(
        geoTransform: transform, column: column, row: row, width: width, height: height, pointsPerEdge: 16,
        to: toWGS84)
      let old = try Self.oldStore(
        columnOffset: column, rowOffset: row, width: width, height: height, transform: transform, toWGS84)
      #expect(ring.map(\.x.bitPattern) == old.map(\.x.bitPattern))
      #expect(ring.map(\.y.bitPattern) == old.map(\.y.bitPattern))
    }
  }

  /// A south-up image walks clockwise: both old formulas reversed it, and so does the new one,
  /// keeping the top-left corner first (as Chipper did; the store started at the top-right).
  @Test func southUpIsReversedKeepingTheFirstCorner() throws {
    let toWGS84 = try Self.toWGS84()
    let ring = try PixelFootprint.ring(
      geoTransform: Self.southUp, column: 0, row: 0, width: 100, height: 100, pointsPerEdge: 16, to: toWGS84)
    let old = try Self.oldStore(
      columnOffset: 0, rowOffset: 0, width: 100, height: 100, transform: Self.southUp, toWGS84)
    #expect(Topology.ringSignedArea(ring) > 0)
    #expect(Set(ring.map { [$0.x, $0.y] }) == Set(old.map { [$0.x, $0.y] }))
    let origin = Self.southUp.apply(column: 0, row: 0)
    let first = try toWGS84.transform(x: origin.x, y: origin.y)
    #expect(ring[0] == Point(first.x, first.y))
  }

  @Test func withoutTransformTheRingIsInTheImageCRS() throws {
    let ring = try PixelFootprint.ring(
      geoTransform: Self.utm, column: 10, row: 20, width: 10, height: 10, pointsPerEdge: 1)
    #expect(
      ring == [
        Point(500_003, 4_499_994), Point(500_003, 4_499_991), Point(500_006, 4_499_991),
        Point(500_006, 4_499_994), Point(500_003, 4_499_994),
      ])
  }
}
