import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

@Suite struct MergeGoldTests {
  @Test func goldMergesToSchemaValidOutputs() throws {
    let folder = try TestSupport.temporaryDirectory("merge-gold")
    defer { try? FileManager.default.removeItem(at: folder) }
    let simulate = try TestSupport.swath([
      "simulate-panel", "--out", folder.path, "--objects", "300", "--profiles", "careful,weak",
      "--gold-fraction", "0.25", "--seed", "3",
    ])
    #expect(simulate.status == 0, "\(simulate.stderr)")
    let path = { (name: String) in folder.appendingPathComponent(name).path }
    let out = folder.appendingPathComponent("consensus.geojson")
    let report = folder.appendingPathComponent("report.json")
    let merge = try TestSupport.swath([
      "merge", path("annotator-1.geojson"), path("annotator-2.geojson"), "--chips", path("chips.geojson"),
      "--gold", path("gold-truth.geojson"), "--gold-area", path("gold-area.geojson"), "--out", out.path,
      "--report", report.path, "--include-rejected",
    ])
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("with weighted"))
    #expect(try TestSupport.schemaProblems(schema: "consensus.schema.json", instances: [out]) == [])
    #expect(try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [report]) == [])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let annotators = json["annotators"] as! [[String: Any]]
    #expect(annotators.map { $0["estimated_from"] as? String } == ["gold", "gold"])
    let gold = json["gold"] as! [String: Any]
    let truth = try GeoJSONReader.read(
      contentsOf: URL(fileURLWithPath: path("gold-truth.geojson")), options: ValidationOptions(minArea: 0))
    #expect(gold["objects"] as? Int == truth.features.count)
    let layer = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
    let features = layer["features"] as! [[String: Any]]
    let marked = features.filter { ($0["properties"] as! [String: Any])["gold"] as? Bool == true }
    #expect(marked.count == truth.features.count)
  }

  @Test func badGoldStopsWithOneLine() throws {
    let folder = try TestSupport.temporaryDirectory("merge-gold-bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    let simulate = try TestSupport.swath([
      "simulate-panel", "--out", folder.path, "--objects", "100", "--profiles", "careful,weak", "--seed", "3",
    ])
    #expect(simulate.status == 0, "\(simulate.stderr)")
    let path = { (name: String) in folder.appendingPathComponent(name).path }
    let bowTie = """
      {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"label": "building"},
      "geometry": {"type": "Polygon", "coordinates": [[[13, 47], [13.001, 47.001], [13.001, 47], [13, 47.001], [13, 47]]]}}]}
      """
    try Data(bowTie.utf8).write(to: URL(fileURLWithPath: path("bad-truth.geojson")))
    let far = """
      {"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {},
      "geometry": {"type": "Polygon", "coordinates": [[[10, 40], [10.001, 40], [10.001, 40.001], [10, 40.001], [10, 40]]]}}]}
      """
    try Data(far.utf8).write(to: URL(fileURLWithPath: path("far-area.geojson")))
    let out = folder.appendingPathComponent("consensus.geojson")
    let base = [
      "merge", path("annotator-1.geojson"), path("annotator-2.geojson"), "--chips", path("chips.geojson"),
      "--out", out.path,
    ]
    let invalid = try TestSupport.swath(
      base + ["--gold", path("bad-truth.geojson"), "--gold-area", path("chips.geojson")])
    #expect(invalid.status == 1)
    #expect(
      invalid.stderr.hasPrefix("swath: gold \(path("bad-truth.geojson")): feature 0:"), "\(invalid.stderr)")
    #expect(invalid.stderr.split(separator: "\n").count == 1, "\(invalid.stderr)")
    let nowhere = try TestSupport.swath(
      base + ["--gold", path("truth.geojson"), "--gold-area", path("far-area.geojson")])
    #expect(nowhere.status == 1)
    #expect(nowhere.stderr.contains("the gold area covers none of the"), "\(nowhere.stderr)")
    #expect(nowhere.stderr.split(separator: "\n").count == 1, "\(nowhere.stderr)")
    let alone = try TestSupport.swath(base + ["--gold", path("truth.geojson")])
    #expect(alone.status == 2)
    #expect(alone.stderr.contains("--gold and --gold-area go together"), "\(alone.stderr)")
    #expect(!FileManager.default.fileExists(atPath: out.path))
  }
}
