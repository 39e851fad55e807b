import Foundation
import GRDB
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// A task with a label schema from submission to export: attributes stored, voted in consensus,
/// and written as typed columns.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct AttributeTests {
  static let schema = LabelSchema(labels: [
    LabelDefinition(
      name: "building",
      attributes: [
        AttributeDefinition(name: "roof", type: .enum, values: ["gable", "hip", "flat"], required: true),
        AttributeDefinition(name: "occluded", type: .boolean, defaultValue: .bool(false)),
        AttributeDefinition(name: "floors", type: .integer, minimum: 1),
        AttributeDefinition(name: "height", type: .number, minimum: 0),
        AttributeDefinition(name: "note", type: .text),
      ]),
    LabelDefinition(name: "vehicle", shapes: [.bbox]),
  ])

  /// The Atlanta scene's top-left 256 px as one chip, assigned to ana, ben and chloe.
  struct SchemaTask {
    let url: URL
    let store: Workspace

    init() throws {
      (url, store) = try Fixtures.workspace()
      let inspection = try ImageCatalog.inspect(path: TestSupport.image(AtlantaTask.image).path)
      _ = try store.registerImage(inspection, name: "atlanta", by: .test)
      _ = try store.createTask(
        TaskParameters(
          name: "roofs", imageName: "atlanta", region: "px:0,0,256,256", schema: AttributeTests.schema,
          chipSize: 256, overlap: 0, replicas: 3),
        by: .test)
      _ = try store.assign(task: "roofs", annotators: ["ana", "ben", "chloe"], by: .test)
    }

    func remove() { try? FileManager.default.removeItem(at: url) }

    /// Buildings in chip pixels, each with its attributes as written in the file's properties.
    func submit(_ annotator: String, _ buildings: [(ring: [[Double]], attributes: String)]) throws {
      let features = buildings.map { building in
        let ring = building.ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
        let extra = building.attributes.isEmpty ? "" : "," + building.attributes
        return
          "{\"type\":\"Feature\",\"properties\":{\"label\":\"building\",\"shape\":\"polygon\"\(extra)},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[\(ring)]]}}"
      }
      let file = "{\"type\":\"FeatureCollection\",\"features\":[\(features.joined(separator: ","))]}"
      let outcome = try store.submit(
        task: "roofs", annotator: annotator, fileName: "\(annotator).geojson", raw: Data(file.utf8),
        chip: "r0000_c0000", pixel: true, by: Caller(name: annotator, role: .annotator, command: "test"))
      #expect(outcome.results.map(\.status) == ["accepted"], "\(String(describing: outcome.report))")
    }
  }

  /// `ogrinfo -al -ro`: the layer's fields and every feature's values.
  func ogrinfo(_ path: String) throws -> String {
    let result = try TestSupport.tool("ogrinfo", ["-al", "-ro", path])
    #expect(result.status == 0, "\(result.stderr)")
    return result.stdout
  }

  /// One feature's `name (Type) = value` lines from `ogrinfo -al`, per feature in file order.
  func featureValues(_ info: String) -> [[String: String]] {
    var features: [[String: String]] = []
    for line in info.split(separator: "\n") {
      let text = line.trimmingCharacters(in: .whitespaces)
      if text.hasPrefix("OGRFeature(") {
        features.append([:])
      } else if !features.isEmpty, let range = text.range(of: ") = ") {
        let name = String(text[..<range.lowerBound]).split(separator: " (").first.map(String.init) ?? ""
        features[features.count - 1][name] = String(text[range.upperBound...])
      }
    }
    return features
  }

  @Test(.sqliteFileOnly) func attributesAreVotedInConsensusAndExportedAsTypedFields() throws {
    let task = try SchemaTask()
    defer { task.remove() }
    let west = GeoJSONFixture.pixelSquare(30, 30, 110, 90)
    let east = GeoJSONFixture.pixelSquare(150, 140, 220, 200)
    func shifted(_ ring: [[Double]], _ dx: Double) -> [[Double]] { ring.map { [$0[0] + dx, $0[1]] } }
    try task.submit(
      "ana",
      [
        (west, "\"roof\":\"gable\",\"floors\":2,\"height\":7.5,\"note\":\"brick\""),
        (east, "\"roof\":\"flat\""),
      ])
    try task.submit(
      "ben",
      [
        (shifted(west, 1), "\"roof\":\"gable\",\"occluded\":false,\"floors\":3,\"height\":8.5"),
        (shifted(east, 1), "\"roof\":\"flat\""),
      ])
    try task.submit(
      "chloe",
      [
        (shifted(west, -1), "\"roof\":\"hip\",\"occluded\":true,\"floors\":4,\"height\":9"),
        (shifted(east, -1), "\"roof\":\"flat\""),
      ])
    // Stored with the defaults filled in.
    let stored = try task.store.sql { db in
      try String.fetchAll(
        db, sql: "SELECT attributes FROM submission_features ORDER BY submission_id, feature_index")
    }
    #expect(stored.count == 6 && stored[1].contains("\"occluded\":false"), "\(stored)")

    let outcome = try task.store.runConsensus(task: "roofs", method: .majority, by: .test)
    #expect(outcome.accepted == 2)
    let objects = try Export.parseResult(outcome.run.result).sorted {
      ($0.geometry.envelope?.minX ?? 0) < ($1.geometry.envelope?.minX ?? 0)
    }
    try #require(objects.count == 2)
    let westObject = objects[0].properties
    #expect(westObject["roof"] == .string("gable"))
    #expect(westObject["occluded"] == .bool(false))
    #expect(westObject["floors"] == .integer(3))
    #expect(westObject["height"] == .number(8.5))
    #expect(westObject["note"] == .string("brick"))
    #expect(
      westObject["conflicts"]
        == .array(
          ["attribute:floors", "attribute:height", "attribute:occluded", "attribute:roof"].map { .string($0) }
        ))
    let eastObject = objects[1].properties
    #expect(eastObject["roof"] == .string("flat") && eastObject["occluded"] == .bool(false))
    #expect(eastObject["floors"] == nil && eastObject["height"] == nil && eastObject["note"] == nil)
    #expect(eastObject["conflicts"] == .array([]))

    // ana: 3 of 5 on the west building, 2 of 2 on the east; ben 6 of 6; chloe 0 of 4, then 2 of 2.
    let agreement = Dictionary(
      uniqueKeysWithValues: outcome.report.annotators.map { ($0.annotator, $0.attributeAgreement) })
    #expect(agreement == ["ana": 0.714286, "ben": 1, "chloe": 0.333333])
    #expect(outcome.report.attributeAgreement?["roof"]?.agreement == 0.833333)
    #expect(outcome.report.conflicts["attribute:roof"] == 1)

    // The stored layer and report are what the schemas describe.
    let layerFile = task.url.appendingPathComponent("layer.json")
    try Data(outcome.run.result.utf8).write(to: layerFile)
    #expect(try TestSupport.schemaProblems(schema: "consensus.schema.json", instances: [layerFile]) == [])
    let reportFile = task.url.appendingPathComponent("report.json")
    try outcome.report.jsonData().write(to: reportFile)
    #expect(
      try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [reportFile]) == [])

    // GeoJSON: the attributes as plain properties, null where the object has none.
    let geojson = task.url.appendingPathComponent("roofs.geojson")
    _ = try task.store.export(task: "roofs", out: geojson.path, by: .test)
    let root = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: geojson)) as? [String: Any])
    let features = try #require(root["features"] as? [[String: Any]]).compactMap {
      $0["properties"] as? [String: Any]
    }
    let westFeature = try #require(features.first { $0["roof"] as? String == "gable" })
    #expect(westFeature["occluded"] as? Bool == false && westFeature["occluded"] is Bool)
    #expect(westFeature["floors"] as? Int == 3 && westFeature["height"] as? Double == 8.5)
    #expect(westFeature["note"] as? String == "brick")
    let eastFeature = try #require(features.first { $0["roof"] as? String == "flat" })
    #expect(
      eastFeature["floors"] is NSNull && eastFeature["height"] is NSNull && eastFeature["note"] is NSNull)

    // GeoPackage and FlatGeobuf: one typed column per attribute of the schema.
    for format in ["gpkg", "fgb"] {
      let path = task.url.appendingPathComponent("roofs.\(format)").path
      _ = try task.store.export(task: "roofs", out: path, by: .test)
      let info = try ogrinfo(path)
      #expect(info.contains("roof: String"), "\(format): \(info)")
      #expect(info.contains("occluded: Integer(Boolean)"), "\(format): \(info)")
      #expect(info.contains("floors: Integer64"), "\(format): \(info)")
      #expect(info.contains("height: Real"), "\(format): \(info)")
      #expect(info.contains("note: String"), "\(format): \(info)")
      let values = featureValues(info)
      let west = try #require(values.first { $0["roof"] == "gable" }, "\(format): \(info)")
      #expect(
        west["occluded"] == "0" && west["floors"] == "3" && west["height"] == "8.5", "\(format): \(west)")
      #expect(west["note"] == "brick", "\(format): \(west)")
      let east = try #require(values.first { $0["roof"] == "flat" }, "\(format): \(info)")
      #expect(east["occluded"] == "0", "\(format): \(east)")
      // FlatGeobuf keeps no null: the value is absent, which OGR reads as unset.
      #expect(
        (east["floors"] ?? "(null)") == "(null)" && (east["height"] ?? "(null)") == "(null)",
        "\(format): \(east)")
    }
    let gpkg = try ogrinfo(task.url.appendingPathComponent("roofs.gpkg").path)
    #expect(gpkg.contains("SWATH_LABEL_SCHEMA="))
  }

  @Test func aTaskWithoutASchemaExportsNoAttributeColumns() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let building = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(60, 60, 120, 110))])
    for annotator in ["ana", "ben", "chloe"] {
      try task.run([
        "submit", "roofs", try task.file("\(annotator).geojson", building).path, "--annotator", annotator,
        "--chip", "r0001_c0001", "--pixel",
      ])
    }
    let outcome = try task.store.runConsensus(task: "roofs", by: .test)
    #expect(outcome.report.attributeAgreement == nil)
    #expect(!String(decoding: try outcome.report.jsonData(), as: UTF8.self).contains("attribute_"))
    let path = task.url.appendingPathComponent("roofs.gpkg").path
    _ = try task.store.export(task: "roofs", out: path, by: .test)
    let info = try ogrinfo(path)
    let fields = info.split(separator: "\n").filter { $0.contains(": ") && $0.contains("(0.0)") }
      .map { String($0.split(separator: ":")[0]) }
    #expect(
      Set(fields) == [
        "annotators", "assigned", "confidence", "conflicts", "iou_mean", "label", "score", "shape",
        "status", "support", "votes",
        // The review's, present before any decision.
        "review_state", "decision", "reason", "reviewer", "reviewed_at",
      ], "\(info)")
    #expect(!info.contains("SWATH_LABEL_SCHEMA"))
  }
}
