import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

/// `swath iou` as a user runs it.
@Suite struct IoUCommandTests {
  func write(_ features: [[String: Any]], to name: String) throws -> URL {
    let directory = try TestSupport.temporaryDirectory("swath-iou")
    let url = directory.appendingPathComponent(name)
    let collection: [String: Any] = ["type": "FeatureCollection", "features": features]
    try JSONSerialization.data(withJSONObject: collection).write(to: url)
    return url
  }

  func feature(_ id: Any?, _ box: BoundingBox) -> [String: Any] {
    let ring = box.polygon.shell.map { [$0.x, $0.y] }
    var feature: [String: Any] = [
      "type": "Feature", "properties": [:],
      "geometry": ["type": "Polygon", "coordinates": [ring]],
    ]
    if let id { feature["id"] = id }
    return feature
  }

  @Test func planarPairs() throws {
    let url = try write(
      [
        feature("a", BoundingBox(minX: 500_000, minY: 4_000_000, maxX: 500_010, maxY: 4_000_010)),
        feature(7, BoundingBox(minX: 500_005, minY: 4_000_000, maxX: 500_015, maxY: 4_000_010)),
        // Touches "a" along an edge: a candidate pair, IoU 0, not listed.
        feature(nil, BoundingBox(minX: 499_990, minY: 4_000_000, maxX: 500_000, maxY: 4_000_010)),
        feature("far", BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1)),
      ], to: "planar.geojson")
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let result = try TestSupport.swath(["iou", url.path, "--planar"])
    #expect(result.status == 0, "\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(lines.first == "a\t7\t\(50.0 / 150.0)")
    #expect(lines.count == 2)
    #expect(lines.last?.hasPrefix("4 features, 2 candidate pairs evaluated in ") == true)
    #expect(lines.last?.contains("1 with IoU > 0, working CRS planar") == true)

    let jsonResult = try TestSupport.swath(["iou", url.path, "--planar", "--json"])
    #expect(jsonResult.status == 0)
    let report = try #require(
      JSONSerialization.jsonObject(with: Data(jsonResult.stdout.utf8)) as? [String: Any])
    #expect(report["candidatePairs"] as? Int == 2)
    #expect(report["overlappingPairs"] as? Int == 1)
    let pairs = try #require(report["pairs"] as? [[String: Any]])
    #expect(pairs.count == 1)
    #expect(pairs.first?["a"] as? Int == 0 && pairs.first?["b"] as? Int == 1)
    #expect(pairs.first?["bId"] as? String == "7")
    #expect((pairs.first?["iou"] as? NSNumber)?.doubleValue == 50.0 / 150.0)
  }

  @Test func lonLatPairsAreMeasuredInUTM() throws {
    // Two 0.001° boxes near lon 9, lat 45, the second shifted by half its width.
    let url = try write(
      [
        feature("x", BoundingBox(minX: 9.0, minY: 45.0, maxX: 9.001, maxY: 45.001)),
        feature("y", BoundingBox(minX: 9.0005, minY: 45.0, maxX: 9.0015, maxY: 45.001)),
        feature("z", BoundingBox(minX: 9.0, minY: 45.0, maxX: 9.001, maxY: 45.001)),
      ], to: "lonlat.geojson")
    defer { try? FileManager.default.removeItem(at: url.deletingLastPathComponent()) }
    let result = try TestSupport.swath(["iou", url.path, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let report = try #require(
      JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    #expect(report["workingCRS"] as? String == "EPSG:32632")
    let pairs = try #require(report["pairs"] as? [[String: Any]])
    let values = Dictionary(
      uniqueKeysWithValues: pairs.map {
        ("\($0["aId"]!)-\($0["bId"]!)", ($0["iou"] as? NSNumber)?.doubleValue ?? -1)
      })
    #expect(values["x-z"] == 1)
    // Projection is nearly affine at this size: about 1/3, not exactly.
    #expect(abs((values["x-y"] ?? 0) - 1.0 / 3.0) < 1e-3)
    #expect(abs((values["y-z"] ?? 0) - 1.0 / 3.0) < 1e-3)
  }

  @Test func badInputIsReported() throws {
    let directory = try TestSupport.temporaryDirectory("swath-iou")
    defer { try? FileManager.default.removeItem(at: directory) }
    let missing = try TestSupport.swath(["iou", directory.appendingPathComponent("none.geojson").path])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("cannot read"))

    let truncated = directory.appendingPathComponent("truncated.geojson")
    try Data(#"{"type": "FeatureCollection", "features": [{"type": "Fea"#.utf8).write(to: truncated)
    let notJSON = try TestSupport.swath(["iou", truncated.path])
    #expect(notJSON.status == 1)
    #expect(notJSON.stderr.hasPrefix("swath: \(truncated.path): not JSON"), "\(notJSON.stderr)")

    let point = directory.appendingPathComponent("point.geojson")
    try Data(
      #"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {}, "geometry": {"type": "Point", "coordinates": [1, 2]}}]}"#
        .utf8
    ).write(to: point)
    let notPolygonal = try TestSupport.swath(["iou", point.path])
    #expect(notPolygonal.status == 1)
    #expect(notPolygonal.stderr.contains("features[0].geometry"), "\(notPolygonal.stderr)")
    #expect(notPolygonal.stderr.contains("Point is not polygonal"))

    let projected = try write(
      [feature("p", BoundingBox(minX: 500_000, minY: 4_000_000, maxX: 500_010, maxY: 4_000_010))],
      to: "projected.geojson")
    defer { try? FileManager.default.removeItem(at: projected.deletingLastPathComponent()) }
    let outOfRange = try TestSupport.swath(["iou", projected.path])
    #expect(outOfRange.status == 1)
    #expect(outOfRange.stderr.contains("features[0] is not lon/lat"), "\(outOfRange.stderr)")
  }
}
