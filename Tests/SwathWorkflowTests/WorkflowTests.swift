import Foundation
import GRDB
import SwathGeometry
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// The README's main job, command by command, on a small sample scene: init, image add, task
/// create, assign three annotators, submit simulated shapes (one annotator in pixel coordinates,
/// one file invalid), consensus, export GeoJSON and GeoPackage.
@Suite(.serialized)
struct WorkflowTests {
  @Test(.sqliteFileOnly) func theWholeFlowOnTheSampleScene() throws {
    let root = try TestSupport.temporaryDirectory("swath-flow")
    defer { try? FileManager.default.removeItem(at: root) }
    let workspace = root.appendingPathComponent("ws")
    func swath(_ arguments: [String]) throws -> TestSupport.ProcessResult {
      try TestSupport.swath(arguments, environment: ["SWATH_WORKSPACE": workspace.path])
    }
    func run(_ arguments: [String]) throws -> String {
      let result = try swath(arguments)
      #expect(result.status == 0, "swath \(arguments.joined(separator: " ")): \(result.stderr)")
      return result.stdout
    }
    let tiles = root.appendingPathComponent("tiles")
    _ = try run(["scene", tiles.path, "--size", "768", "--seed", "3"])
    let truth = tiles.appendingPathComponent("truth.geojson").path
    _ = try run(["init", workspace.path])
    _ = try run(["image", "add", tiles.appendingPathComponent("town.tif").path, "--name", "town"])
    _ = try run([
      "task", "create", "--image", "town", "--region", "px:0,0,768,768", "--labels", "building,vehicle",
      "--chip-size", "384", "--overlap", "32", "--replicas", "3", "--name", "town-roofs",
    ])
    for annotator in ["ana", "ben", "chloe"] {
      let token = try run(["user", "add", annotator, "--role", "annotator"])
      #expect(token.hasPrefix("swath_") && token.count > 40)
    }
    _ = try run(["task", "assign", "town-roofs", "--annotators", "ana,ben,chloe"])
    let panel = root.appendingPathComponent("panel")
    _ = try run([
      "task", "simulate", "town-roofs", "--truth", truth, "--out", panel.path, "--profiles",
      "careful,average,careful", "--pixel-annotators", "ben", "--invalid-annotator", "chloe",
    ])
    let manifest = try String(contentsOf: panel.appendingPathComponent("manifest.tsv"), encoding: .utf8)
    let lines = manifest.split(separator: "\n").dropFirst().map { $0.split(separator: "\t").map(String.init) }
    #expect(lines.count == 27)  // 9 chips × 3 annotators
    var rejected: [String] = []
    for line in lines {
      var arguments = ["submit", "town-roofs", "--annotator", line[0], line[2], "--chip", line[1]]
      if line[3] == "1" { arguments.append("--pixel") }
      let result = try swath(arguments)
      if result.status != 0 { rejected.append(line[0] + " " + result.stderr) }
    }
    // chloe's deliberately broken file is refused for its bow tie (simulated jitter may, rarely,
    // break another shape too).
    #expect(
      rejected.contains { $0.hasPrefix("chloe swath: submission #") && $0.contains("Self-intersection") },
      "\(rejected)")
    #expect(rejected.count <= 3, "\(rejected)")

    let statusText = try run(["status", "town-roofs", "--json"])
    let statusFile = root.appendingPathComponent("status.json")
    try Data(statusText.utf8).write(to: statusFile)
    #expect(try TestSupport.schemaProblems(schema: "status.schema.json", instances: [statusFile]) == [])
    let status = try JSONDecoder().decode(StatusReport.self, from: Data(statusText.utf8))
    #expect(status.submissions["accepted"] == 27 - rejected.count)
    #expect(status.submissions["rejected"] == rejected.count)
    #expect(status.assignmentsSubmitted == 27 - rejected.count)

    // ben's files were in pixel coordinates: stored in WGS84 all the same.
    let store = try Workspace.open(workspace)
    let benFeatures = try store.sql { db in
      try String.fetchAll(
        db,
        sql: """
          SELECT f.geometry FROM submission_features f JOIN submissions s ON s.id = f.submission_id
          WHERE s.annotator = 'ben' AND s.pixel_coordinates = 1
          """)
    }
    #expect(!benFeatures.isEmpty)
    let lonLat = benFeatures.compactMap { GeoJSONGeometry.multiPolygon(text: $0) }.flatMap {
      Array($0.allPoints)
    }
    #expect(lonLat.allSatisfy { abs($0.x) <= 180 && abs($0.y) <= 90 && abs($0.x) > 1 })

    let consensus = try run(["consensus", "town-roofs", "--truth", truth])
    #expect(consensus.contains("consensus run #1"), "\(consensus)")
    let stored = try #require(try store.sql { db in try ConsensusRunRecord.fetchOne(db) })
    #expect(stored.objectCount > 10)
    let score = try store.score(run: stored, truth: truth, iou: 0.5, by: .test)
    // Two careful annotators and an average one agree on most real objects.
    #expect(score.f1 > 0.8, "\(score)")
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(stored.report.utf8)) as? [String: Any])
    #expect((report["annotators"] as? [Any])?.count == 3)

    let geojson = root.appendingPathComponent("town-roofs.geojson").path
    let gpkg = root.appendingPathComponent("town-roofs.gpkg").path
    _ = try run(["export", "town-roofs", "--out", geojson])
    _ = try run(["export", "town-roofs", "--out", gpkg, "--format", "gpkg", "--crs", "image"])
    // The export is the consensus layer the merge documents, and the run's report its report.
    #expect(
      try TestSupport.schemaProblems(
        schema: "consensus.schema.json", instances: [URL(fileURLWithPath: geojson)]) == [])
    let reportFile = root.appendingPathComponent("report.json")
    try Data(stored.report.utf8).write(to: reportFile)
    #expect(
      try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [reportFile])
        == [])
    let geojsonInfo = try TestSupport.tool("ogrinfo", ["-al", "-so", geojson]).stdout
    let gpkgInfo = try TestSupport.tool("ogrinfo", ["-al", "-so", gpkg]).stdout
    #expect(geojsonInfo.contains("Feature Count: \(stored.objectCount)\n"), "\(geojsonInfo)")
    #expect(geojsonInfo.contains("ID[\"EPSG\",4326]"))
    #expect(gpkgInfo.contains("Feature Count: \(stored.objectCount)\n"), "\(gpkgInfo)")
    #expect(gpkgInfo.contains("UTM zone"), "\(gpkgInfo)")
    #expect(gpkgInfo.contains("SWATH_TASK=town-roofs"))
  }
}
