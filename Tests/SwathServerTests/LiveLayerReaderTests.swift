import Foundation
import SwathGeometry
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// GDAL's own OGC API – Features reader against a real `swath serve`: `ogrinfo` sees the
/// collection, `ogr2ogr` copies it whole through several pages and through a bbox filter, and
/// what it gets matches `swath export`'s file of the same task.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct LiveLayerReaderTests {
  /// The features of a GeoJSON file: label and outer-ring coordinates, in file order.
  static func objects(_ file: URL) throws -> [(label: String?, ring: [[Double]])] {
    let json = try JSONValue(parsing: Data(contentsOf: file))
    return (json["features"]?.arrayValue ?? []).map { feature in
      var ring = feature["geometry"]?["coordinates"]?.arrayValue?.first
      if feature["geometry"]?["type"]?.stringValue == "MultiPolygon" { ring = ring?.arrayValue?.first }
      let points = ring?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
      return (feature["properties"]?["label"]?.stringValue, points)
    }
  }

  static func same(_ a: [(label: String?, ring: [[Double]])], _ b: [(label: String?, ring: [[Double]])])
    -> Bool
  {
    guard a.count == b.count else { return false }
    return zip(a, b).allSatisfy { x, y in
      x.label == y.label && x.ring.count == y.ring.count
        && zip(x.ring, y.ring).allSatisfy { p, q in
          p.count == 2 && q.count == 2 && abs(p[0] - q[0]) < 1e-7 && abs(p[1] - q[1]) < 1e-7
        }
    }
  }

  @Test func ogrinfoAndOgr2ogrReadTheLayerAsTheExportWritesIt() throws {
    let (fixture, _) = try LiveLayerRouteTests.layered()
    defer { fixture.remove() }
    let exported = fixture.url.appendingPathComponent("roofs-export.geojson")
    let export = try TestSupport.swath([
      "export", "roofs", "--out", exported.path, "--workspace", fixture.url.path,
    ])
    #expect(export.status == 0, "\(export.stderr)")
    let expected = try Self.objects(exported)
    #expect(expected.count == 5)

    let server = try LiveServer.start(workspace: fixture.url)
    defer { server.stop() }
    let source = "OAPIF:\(server.url)/ogc/collections/roofs"
    let gdal = ["GDAL_HTTP_HEADERS": "Authorization: Bearer \(fixture.tokens["alice"]!)"]
    func tool(_ arguments: [String], environment: [String: String] = gdal) throws -> TestSupport.ProcessResult
    {
      try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), arguments, environment: environment)
    }

    let info = try tool(["ogrinfo", "-ro", "-al", "-so", source])
    #expect(info.status == 0, "\(info.stderr)")
    #expect(info.stdout.contains("Layer name: roofs"), "\(info.stdout)")
    #expect(info.stdout.contains("Feature Count: 5"), "\(info.stdout)")
    #expect(info.stdout.contains("Polygon"), "\(info.stdout)")
    #expect(info.stdout.contains("label: String"), "\(info.stdout)")
    // Without the token GDAL is refused.
    let anonymous = try tool(["ogrinfo", "-ro", "-al", "-so", source], environment: [:])
    #expect(anonymous.status != 0)

    // The whole collection, two features a page: three pages.
    let copied = fixture.url.appendingPathComponent("roofs-oapif.geojson")
    let whole = try tool(["ogr2ogr", "-f", "GeoJSON", copied.path, source, "-oo", "PAGE_SIZE=2"])
    #expect(whole.status == 0, "\(whole.stderr)")
    let copiedText = try String(contentsOf: copied, encoding: .utf8)
    #expect(Self.same(try Self.objects(copied), expected), "\(copiedText)")
    let log = try String(contentsOf: server.log, encoding: .utf8)
    let pages = log.components(separatedBy: "path=/ogc/collections/roofs/items ").count - 1
    #expect(pages >= 3, "items requests: \(pages) in \(log)")

    // A bbox filter around the first object only.
    let ring = expected[0].ring
    try #require(ring.count == 5 && ring.allSatisfy { $0.count == 2 }, "\(ring)")
    let (lons, lats) = (ring.map { $0[0] }, ring.map { $0[1] })
    let (dx, dy) = ((lons.max()! - lons.min()!) / 4, (lats.max()! - lats.min()!) / 4)
    let boxed = fixture.url.appendingPathComponent("roofs-box.geojson")
    let spatial = try tool([
      "ogr2ogr", "-f", "GeoJSON", boxed.path, source, "-oo", "PAGE_SIZE=2", "-spat", "\(lons.min()! + dx)",
      "\(lats.min()! + dy)", "\(lons.max()! - dx)", "\(lats.max()! - dy)",
    ])
    #expect(spatial.status == 0, "\(spatial.stderr)")
    #expect(Self.same(try Self.objects(boxed), [expected[0]]))
  }
}
