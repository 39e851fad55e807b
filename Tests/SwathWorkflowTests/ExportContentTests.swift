import Foundation
import SwathGeometry
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// What every export format must carry, whatever path writes it: holes, multi-part objects,
/// non-ASCII text, attributes of every type, review decisions (a rejection, a relabel, an edited
/// geometry, an added object) and the image's CRS. Each file is read back by GDAL (`ogr2ogr` to
/// GeoJSON with full precision) and compared with the stored layer.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ExportContentTests {
  /// The attribute tests' schema: an attribute of every type.
  static let schema = AttributeTests.schema

  static let note = "Dach über Café ☕ 屋根 \"quoted\""

  /// Rings in WGS84 inside the Landsat scene (UTM 18N).
  static func ring(_ lon: Double, _ lat: Double, _ size: Double, clockwise: Bool = false) -> [[Double]] {
    let ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return clockwise ? ring.reversed() : ring
  }

  static func text(_ rings: [[[Double]]]) -> String {
    "["
      + rings.map { ring in "[" + ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",") + "]" }
      .joined(separator: ",") + "]"
  }

  /// Shell given clockwise with a counter-clockwise hole, so the RFC 7946 writer must turn both.
  static let holed = [ring(-77.9, 24.5, 0.01, clockwise: true), ring(-77.897, 24.503, 0.002)]
  static let partA = [ring(-77.85, 24.55, 0.004)]
  static let partB = [ring(-77.84, 24.55, 0.003)]
  static let vehicle = [ring(-77.8, 24.6, 0.0005)]
  static let beforeEdit = [ring(-77.75, 24.45, 0.002)]
  static let afterEdit = [ring(-77.7512345678, 24.4512345678, 0.0031)]
  static let relabelled = [ring(-77.72, 24.42, 0.001)]
  static let drawn = [ring(-77.71, 24.41, 0.0007)]

  /// A task with a label schema and one stored run of five objects, with decisions on three and
  /// one object a reviewer added.
  func workspace() throws -> (URL, Workspace) {
    let (url, store) = try Fixtures.workspace()
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(Fixtures.landsat).path)
    _ = try store.registerImage(inspection, name: "landsat", by: .test)
    let task = try store.createTask(
      TaskParameters(
        name: "roofs", imageName: "landsat", region: "px:0,0,256,256", schema: Self.schema, chipSize: 256,
        overlap: 0, replicas: 3),
      by: .test
    ).task
    func feature(
      _ key: String, _ properties: String, polygon: [[[Double]]]? = nil, parts: [[[[Double]]]]? = nil
    )
      -> String
    {
      let geometry =
        parts.map {
          "{\"type\":\"MultiPolygon\",\"coordinates\":[\($0.map(Self.text).joined(separator: ","))]}"
        }
        ?? "{\"coordinates\":\(Self.text(polygon!)),\"type\":\"Polygon\"}"
      return
        "{\"type\":\"Feature\",\"geometry\":\(geometry),\"properties\":{\"key\":\"\(key)\",\"annotators\":[\"ana\",\"ben\"],\"conflicts\":[],\(properties)}}"
    }
    let note = Self.note.replacingOccurrences(of: "\"", with: "\\\"")
    let layer = """
      {"type":"FeatureCollection","name":"roofs","features":[
      \(feature("holed", "\"label\":\"building\",\"shape\":\"polygon\",\"status\":\"accepted\",\"support\":3,\"score\":1,\"roof\":\"gable\",\"occluded\":true,\"floors\":3,\"height\":8.5,\"note\":\"\(note)\"", polygon: Self.holed)),
      \(feature("parts", "\"label\":\"building\",\"shape\":\"polygon\",\"status\":\"accepted\",\"support\":2,\"score\":0.75,\"roof\":\"flat\",\"floors\":2,\"height\":4,\"note\":null", parts: [Self.partA, Self.partB])),
      \(feature("vehicle", "\"label\":\"vehicle\",\"shape\":\"bbox\",\"status\":\"accepted\",\"support\":2,\"score\":0.6,\"occluded\":false", polygon: Self.vehicle)),
      \(feature("edited", "\"label\":\"building\",\"shape\":\"polygon\",\"status\":\"accepted\",\"support\":2,\"score\":0.55,\"roof\":\"hip\"", polygon: Self.beforeEdit)),
      \(feature("relabelled", "\"label\":\"vehicle\",\"shape\":\"bbox\",\"status\":\"rejected\",\"support\":1,\"score\":0.5", polygon: Self.relabelled))
      ]}
      """
    try store.store.write { store in
      var run = ConsensusRunRecord(
        id: nil, taskId: task.id!, parameters: "{\"iou\":0.5,\"quorum\":\"0.5\"}", runAt: Timestamp.now(),
        submissionCount: 6, objectCount: 4, result: layer, report: "{}")
      try store.insert(&run)
      let decisions: [(Int?, ReviewDecisionKind, String?, String?, String?)] = [
        (2, .reject, "duplicate", nil, nil),
        (3, .geometry, nil, nil, "{\"type\":\"Polygon\",\"coordinates\":\(Self.text(Self.afterEdit))}"),
        (4, .relabel, nil, "building", nil),
        (nil, .add, nil, "vehicle", "{\"type\":\"Polygon\",\"coordinates\":\(Self.text(Self.drawn))}"),
      ]
      for (index, kind, reason, label, geometry) in decisions {
        var decision = ReviewDecisionRecord(
          taskId: task.id!, runId: run.id!, objectIndex: index, decision: kind, reason: reason, label: label,
          attributes: kind == .add ? "{\"occluded\":true}" : nil, geometry: geometry, reviewer: "rita",
          decidedAt: "2026-12-06T12:00:00Z")
        try store.insert(&decision)
      }
    }
    return (url, store)
  }

  /// The file read back by GDAL: features keyed by their `key` property (the added one by
  /// `added`), as GeoJSON objects with full-precision coordinates.
  func readBack(_ path: String, reprojectTo crs: String? = nil) throws -> [String: [String: Any]] {
    let out = path + ".readback.geojson"
    defer { try? FileManager.default.removeItem(atPath: out) }
    let result = try TestSupport.tool(
      "ogr2ogr",
      ["-f", "GeoJSON", "-lco", "COORDINATE_PRECISION=15", "-lco", "RFC7946=NO"]
        + (crs.map { ["-t_srs", $0] } ?? [])
        + [out, path])
    #expect(result.status == 0, "\(result.stderr)")
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any])
    var features: [String: [String: Any]] = [:]
    for feature in try #require(root["features"] as? [[String: Any]]) {
      let properties = try #require(feature["properties"] as? [String: Any])
      features[properties["key"] as? String ?? "added"] = feature
    }
    return features
  }

  /// A feature's polygons as rings of points, whatever its geometry type.
  func polygons(_ feature: [String: Any]?) throws -> [[[[Double]]]] {
    let geometry = try #require(feature?["geometry"] as? [String: Any])
    let coordinates = try #require(geometry["coordinates"] as? [Any])
    func rings(_ value: Any) throws -> [[[Double]]] {
      try #require(value as? [[[Double]]])
    }
    return geometry["type"] as? String == "Polygon" ? [try rings(coordinates)] : try coordinates.map(rings)
  }

  /// Two rings hold the same points (either direction, either starting point) within `tolerance`.
  func sameRing(_ a: [[Double]], _ b: [[Double]], tolerance: Double) -> Bool {
    guard a.count == b.count else { return false }
    func close(_ p: [Double], _ q: [Double]) -> Bool {
      abs(p[0] - q[0]) <= tolerance && abs(p[1] - q[1]) <= tolerance
    }
    return a.allSatisfy { p in b.contains { close(p, $0) } }
      && b.allSatisfy { q in a.contains { close(q, $0) } }
  }

  func sameGeometry(_ got: [[[[Double]]]], _ expected: [[[[Double]]]], tolerance: Double) -> Bool {
    got.count == expected.count
      && zip(got, expected).allSatisfy { gotRings, expectedRings in
        gotRings.count == expectedRings.count
          && zip(gotRings, expectedRings).allSatisfy { sameRing($0, $1, tolerance: tolerance) }
      }
  }

  func signedArea(_ ring: [[Double]]) -> Double {
    zip(ring, ring.dropFirst()).reduce(0) { $0 + ($1.0[0] * $1.1[1] - $1.1[0] * $1.0[1]) } / 2
  }

  @Test(arguments: ["geojson", "gpkg", "fgb"])
  func everyFormatKeepsGeometriesFieldsAndDecisions(format: String) throws {
    let (url, store) = try workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let path = url.appendingPathComponent("roofs.\(format)").path
    let outcome = try store.export(task: "roofs", out: path, includeRejected: true, by: .test)
    #expect(outcome.features == 6)
    let features = try readBack(path)
    #expect(Set(features.keys) == ["holed", "parts", "vehicle", "edited", "relabelled", "added"])
    // GeoJSON is rounded to 7 decimal places (RFC 7946, about 1 cm); the others keep every bit.
    let tolerance = format == "geojson" ? 0.5e-7 : 1e-12

    let holed = try polygons(features["holed"])
    #expect(sameGeometry(holed, [Self.holed], tolerance: tolerance), "\(holed)")
    if format == "geojson" {
      // The right-hand rule: shell counter-clockwise, hole clockwise.
      #expect(signedArea(holed[0][0]) > 0 && signedArea(holed[0][1]) < 0)
    }
    #expect(sameGeometry(try polygons(features["parts"]), [Self.partA, Self.partB], tolerance: tolerance))
    #expect(sameGeometry(try polygons(features["edited"]), [Self.afterEdit], tolerance: tolerance))
    #expect(sameGeometry(try polygons(features["added"]), [Self.drawn], tolerance: tolerance))

    func properties(_ key: String) throws -> [String: Any] {
      try #require(features[key]?["properties"] as? [String: Any])
    }
    let first = try properties("holed")
    #expect(first["note"] as? String == Self.note)
    #expect(first["roof"] as? String == "gable" && first["floors"] as? Int == 3)
    #expect(first["height"] as? Double == 8.5)
    // OGR's boolean columns read back as true/false from GeoJSON, as 1/0 from the others.
    #expect(first["occluded"] as? Bool == true || first["occluded"] as? Int == 1, "\(first)")
    #expect(first["support"] as? Int == 3 && first["score"] as? Double == 1)
    // Confidence 1 without conflicts: accepted without review.
    #expect(first["review_state"] as? String == "auto_accepted" && first["status"] as? String == "accepted")
    let parts = try properties("parts")
    #expect(parts["height"] as? Double == 4 && parts["floors"] as? Int == 2)
    #expect(parts["note"] == nil || parts["note"] is NSNull)
    let rejected = try properties("vehicle")
    #expect(rejected["status"] as? String == "rejected" && rejected["decision"] as? String == "reject")
    #expect(rejected["reason"] as? String == "duplicate" && rejected["reviewer"] as? String == "rita")
    #expect(rejected["roof"] == nil || rejected["roof"] is NSNull)
    let relabelled = try properties("relabelled")
    #expect(relabelled["label"] as? String == "building" && relabelled["status"] as? String == "accepted")
    let edited = try properties("edited")
    #expect(edited["decision"] as? String == "geometry" && edited["roof"] as? String == "hip")
    let added = try properties("added")
    #expect(added["review_state"] as? String == "added" && added["label"] as? String == "vehicle")
    #expect(added["occluded"] as? Bool == true || added["occluded"] as? Int == 1, "\(added)")

    // Without --include-rejected the rejected object is left out, and only it.
    let accepted = url.appendingPathComponent("accepted.\(format)").path
    #expect(try store.export(task: "roofs", out: accepted, by: .test).features == 5)
    #expect(Set(try readBack(accepted).keys) == ["holed", "parts", "edited", "relabelled", "added"])
  }

  /// --crs image: the same points as GDAL's own reprojection of the WGS84 export (ogr2ogr
  /// -t_srs), within a millimetre, in every format.
  @Test(arguments: ["geojson", "gpkg", "fgb"])
  func theImageCRSMatchesGDALsReprojection(format: String) throws {
    let (url, store) = try workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let wgs84 = url.appendingPathComponent("roofs-wgs84.gpkg").path
    _ = try store.export(task: "roofs", out: wgs84, includeRejected: true, by: .test)
    let expected = try readBack(wgs84, reprojectTo: "EPSG:32618")
    let path = url.appendingPathComponent("roofs-utm.\(format)").path
    let outcome = try store.export(task: "roofs", out: path, crs: .image, includeRejected: true, by: .test)
    #expect(outcome.crs == "EPSG:32618")
    let info = try TestSupport.tool("ogrinfo", ["-so", "-al", path])
    #expect(info.stdout.contains("UTM zone 18N"), "\(info.stdout)")
    let got = try readBack(path)
    #expect(Set(got.keys) == Set(expected.keys))
    for key in expected.keys {
      let a = try polygons(got[key])
      let b = try polygons(expected[key])
      #expect(sameGeometry(a, b, tolerance: 1e-3), "\(key): \(a) vs \(b)")
      #expect(a.first?.first?.first.map { $0[0] > 100_000 } == true, "\(key): not in metres: \(a)")
    }
  }
}
