import Foundation
import SwathGeometry
import Testing

@Suite struct WorkingCRSTests {
  @Test func utmCentralMeridianAtTheEquator() throws {
    let crs = try WorkingCRS.utm(containing: Point(9, 0))
    #expect(crs.epsg == 32632)
    let projected = try crs.fromWGS84([Point(9, 0)])[0]
    #expect(abs(projected.x - 500_000) < 1e-6)
    #expect(abs(projected.y) < 1e-6)
    let back = try crs.toWGS84([projected])[0]
    #expect(abs(back.x - 9) < 1e-9 && abs(back.y) < 1e-9)
  }

  @Test func southernHemisphereRoundTrip() throws {
    // Johannesburg, zone 35 south: false northing 10,000 km.
    let point = Point(28.0473, -26.2041)
    let crs = try WorkingCRS.utm(containing: point)
    #expect(crs.epsg == 32735)
    let projected = try crs.fromWGS84([point])[0]
    #expect(projected.x > 590_000 && projected.x < 610_000)
    #expect(projected.y > 7_090_000 && projected.y < 7_110_000)
    let back = try crs.toWGS84([projected])[0]
    // Round trip within 1e-6 m: one degree of latitude is about 111 km.
    #expect(abs(back.x - point.x) * 111_000 < 1e-6)
    #expect(abs(back.y - point.y) * 111_000 < 1e-6)
  }

  @Test func webMercatorAndAxisOrder() throws {
    let mercator = try WorkingCRS(epsg: 3857)
    #expect(mercator.epsg == 3857)
    let projected = try mercator.fromWGS84([Point(180, 0), Point(0, 85.0511287798066)])
    #expect(abs(projected[0].x - 20_037_508.342789244) < 1e-6)
    #expect(abs(projected[0].y) < 1e-6)
    #expect(abs(projected[1].y - 20_037_508.342789244) < 1e-3)
    // EPSG:4326's authority order is lat/lon; here x stays longitude.
    let geographic = try WorkingCRS(definition: "EPSG:4326")
    #expect(geographic.epsg == 4326)
    #expect(try geographic.fromWGS84([Point(12.5, 41.9)]) == [Point(12.5, 41.9)])
  }

  @Test func geometryStructureKeptAndWKTDefinitions() throws {
    let utm33 = try WorkingCRS(epsg: 32633)
    let fromWKT = try WorkingCRS(definition: utm33.spatialReference.wkt)
    #expect(fromWKT.epsg == 32633)
    let shape = MultiPolygon(
      Polygon(
        shell: [Point(15, 45), Point(15.01, 45), Point(15.01, 45.01), Point(15, 45.01), Point(15, 45)],
        holes: [[Point(15.004, 45.004), Point(15.004, 45.006), Point(15.006, 45.006), Point(15.004, 45.004)]])
    )
    let projected = try fromWKT.fromWGS84(shape)
    #expect(projected.polygons[0].shell.count == 5)
    #expect(projected.polygons[0].holes[0].count == 4)
    #expect(projected.polygons[0].shell[0] == projected.polygons[0].shell[4])
    // About 787 m by 1,112 m at 45°N.
    let area = Topology.area(projected)
    #expect(area > 0.85e6 && area < 0.9e6)
    let back = try fromWKT.toWGS84(projected)
    for (original, returned) in zip(shape.allPoints, back.allPoints) {
      #expect(abs(original.x - returned.x) < 1e-10 && abs(original.y - returned.y) < 1e-10)
    }
  }

  @Test func dataCentroidChoosesTheZone() throws {
    let london = MultiPolygon(BoundingBox(minX: -0.2, minY: 51.4, maxX: -0.1, maxY: 51.5).polygon)
    let paris = MultiPolygon(BoundingBox(minX: 2.3, minY: 48.8, maxX: 2.4, maxY: 48.9).polygon)
    // Joint envelope centre: lon 1.1, lat 50.15 → zone 31 north.
    #expect(try WorkingCRS.forData([london, paris]).epsg == 32631)
    #expect(
      try WorkingCRS.forData([
        MultiPolygon(BoundingBox(minX: -70.7, minY: -33.5, maxX: -70.6, maxY: -33.4).polygon)
      ]).epsg == 32719)
    #expect(throws: (any Error).self) { try WorkingCRS.forData([]) }
    #expect(throws: (any Error).self) { try WorkingCRS.utm(containing: Point(500_000, 4_000_000)) }
    #expect(throws: (any Error).self) { try WorkingCRS(definition: "EPSG:999999") }
  }
}
