import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ExportTests {
  /// A task with one stored consensus run of two accepted objects and one rejected, in WGS84
  /// inside the Landsat scene: the export path on its own, whatever produced the run.
  func workspaceWithRun() throws -> (URL, Workspace) {
    let (url, store) = try Fixtures.workspace()
    let task = try Fixtures.seedTask(store, chipSize: 400)
    func square(_ lon: Double, _ lat: Double, _ size: Double) -> String {
      "{\"type\":\"Polygon\",\"coordinates\":[[[\(lon),\(lat)],[\(lon + size),\(lat)],[\(lon + size),\(lat + size)],[\(lon),\(lat + size)],[\(lon),\(lat)]]]}"
    }
    let layer = """
      {"type":"FeatureCollection","features":[
      {"type":"Feature","properties":{"label":"building","shape":"polygon","support":3,"assigned":3,"score":0.91,"status":"accepted","annotators":["ana","ben","chloe"]},"geometry":\(square(-77.9, 24.5, 0.01))},
      {"type":"Feature","properties":{"label":"vehicle","shape":"bbox","support":2,"assigned":3,"score":0.55,"status":"accepted","annotators":["ana","ben"]},"geometry":\(square(-77.8, 24.6, 0.005))},
      {"type":"Feature","properties":{"label":"building","shape":"polygon","support":1,"assigned":3,"score":0.2,"status":"rejected","annotators":["chloe"]},"geometry":\(square(-77.7, 24.4, 0.002))}
      ]}
      """
    try store.store.write { store in
      var run = ConsensusRunRecord(
        id: nil, taskId: task.id!, parameters: "{\"iou\":0.5,\"quorum\":\"0.5\"}", runAt: Timestamp.now(),
        submissionCount: 6, objectCount: 2, result: layer, report: "{}")
      try store.insert(&run)
    }
    return (url, store)
  }

  func ogrSummary(_ path: String) throws -> String {
    let result = try TestSupport.tool("ogrinfo", ["-al", "-so", path])
    #expect(result.status == 0, "\(result.stderr)")
    return result.stdout
  }

  @Test(arguments: ["geojson", "gpkg", "fgb"])
  func everyFormatReadsBackWithItsFeaturesAndCRS(format: String) throws {
    let (url, _) = try workspaceWithRun()
    defer { try? FileManager.default.removeItem(at: url) }
    let out = url.appendingPathComponent("roofs.\(format)").path
    let result = try TestSupport.swath([
      "export", "roofs", "--out", out, "--format", format, "--workspace", url.path,
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let summary = try ogrSummary(out)
    #expect(summary.contains("Feature Count: 2"), "\(summary)")
    // OGR's GeoJSON reader reports the type it sees; the others keep the layer's declared type.
    #expect(
      summary.contains(format == "geojson" ? "Geometry: Polygon" : "Geometry: Multi Polygon"), "\(summary)")
    #expect(summary.contains("\"EPSG\",4326") || summary.contains("ID[\"EPSG\",4326]"), "\(summary)")
    #expect(
      summary.contains("label: String")
        && summary.contains(format == "geojson" ? "support: Integer" : "support: Integer64"), "\(summary)")
    #expect(summary.contains("score: Real"), "\(summary)")
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: url.path).filter {
      $0.contains(".tmp-")
    }
    #expect(leftovers.isEmpty)

    let image = url.appendingPathComponent("roofs-utm.\(format)").path
    let projected = try TestSupport.swath([
      "export", "roofs", "--out", image, "--format", format, "--crs", "image", "--include-rejected",
      "--workspace", url.path,
    ])
    #expect(projected.status == 0, "\(projected.stderr)")
    let utm = try ogrSummary(image)
    #expect(utm.contains("Feature Count: 3"), "\(utm)")
    #expect(utm.contains("UTM zone 18N"), "\(utm)")
  }

  @Test func metadataTravelsWithTheFile() throws {
    let (url, _) = try workspaceWithRun()
    defer { try? FileManager.default.removeItem(at: url) }
    let gpkg = url.appendingPathComponent("roofs.gpkg").path
    #expect(try TestSupport.swath(["export", "roofs", "--out", gpkg, "--workspace", url.path]).status == 0)
    let metadata = try TestSupport.tool("ogrinfo", ["-so", "-al", gpkg])
    #expect(metadata.status == 0)
    #expect(metadata.stdout.contains("SWATH_TASK=roofs"), "\(metadata.stdout)")
    #expect(metadata.stdout.contains("SWATH_LABELS=building,vehicle"))

    let geojson = url.appendingPathComponent("roofs.geojson")
    #expect(
      try TestSupport.swath(["export", "roofs", "--out", geojson.path, "--workspace", url.path]).status == 0)
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: geojson)) as? [String: Any])
    let swath = try #require(root["swath"] as? [String: Any])
    #expect(swath["swath_task"] as? String == "roofs")
    #expect((root["features"] as? [Any])?.count == 2)
    #expect(root["crs"] == nil)  // RFC 7946: WGS84 implied, no crs member
  }

  @Test(.sqliteFileOnly) func badRequestsFailWithOneLineAndLeaveNoFile() throws {
    let (url, store) = try workspaceWithRun()
    defer { try? FileManager.default.removeItem(at: url) }
    let locked = url.appendingPathComponent("locked")
    try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: true)
    try FileManager.default.setAttributes([.posixPermissions: 0o500], ofItemAtPath: locked.path)
    defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: locked.path) }
    let cases: [([String], String)] = [
      (["--out", url.appendingPathComponent("nope/x.geojson").path], "does not exist"),
      (
        ["--out", url.appendingPathComponent("x.geojson").path, "--format", "shp"],
        "expected geojson, gpkg or fgb"
      ),
      (
        ["--out", url.appendingPathComponent("x.geojson").path, "--crs", "EPSG:9"],
        "expected EPSG:4326 or image"
      ),
      (["--out", url.path], "is a folder"),
    ]
    for (arguments, message) in cases {
      let result = try TestSupport.swath(["export", "roofs"] + arguments + ["--workspace", url.path])
      #expect(result.status == 1 && result.stderr.contains(message), "\(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
    }
    if getuid() != 0 {
      let result = try TestSupport.swath(
        ["export", "roofs", "--out", locked.appendingPathComponent("x.gpkg").path, "--workspace", url.path])
      #expect(result.status == 1 && result.stderr.contains("not writable"))
    }
    #expect(!FileManager.default.fileExists(atPath: url.appendingPathComponent("x.geojson").path))
    try store.sqlWrite { db in _ = try ConsensusRunRecord.deleteAll(db) }
    let none = try TestSupport.swath([
      "export", "roofs", "--out", url.appendingPathComponent("y.geojson").path, "--workspace", url.path,
    ])
    #expect(none.status == 1 && none.stderr.contains("has no consensus run yet"))
  }
}
