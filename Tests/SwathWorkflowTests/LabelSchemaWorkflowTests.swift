import Foundation
import GRDB
import SwathGeometry
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// A task made with `--labels-file`: submissions are checked against the schema through the CLI,
/// attributes are stored with defaults filled in, and schema changes keep the answers given.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct LabelSchemaWorkflowTests {
  static let schema = """
    {"labels": [
      {"name": "building", "color": "#D62728", "shapes": ["polygon"], "min_area": 2000,
       "attributes": [
         {"name": "roof", "type": "enum", "values": ["flat", "gable", "hip"], "required": true},
         {"name": "occluded", "type": "boolean", "default": false},
         {"name": "floors", "type": "integer", "minimum": 1, "maximum": 100}]},
      {"name": "vehicle", "shapes": ["bbox"],
       "attributes": [{"name": "kind", "type": "enum", "values": ["car", "van", "truck"], "default": "car"}]}
    ]}
    """

  static func feature(_ properties: String, _ ring: [[Double]]) -> String {
    let coordinates = ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
    return
      #"{"type":"Feature","properties":{\#(properties)},"geometry":{"type":"Polygon","coordinates":[[\#(coordinates)]]}}"#
  }

  static func collection(_ features: [String]) -> String {
    #"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#
  }

  @Test(.sqliteFileOnly) func attributesAreCheckedStoredWithDefaultsAndLocatedWhenWrong() throws {
    let task = try AtlantaTask(labelSchema: Self.schema)
    defer { task.remove() }
    // Pixels of about 0.5 m: 200 × 200 px is some 8,000 m², above the building's 2,000 m²;
    // 40 × 40 px some 340 m², below.
    let big = GeoJSONFixture.pixelSquare(10, 10, 210, 210)
    let good = try task.file(
      "ana.geojson",
      Self.collection([
        Self.feature(#""label":"building","roof":"gable","floors":3.0"#, big),
        Self.feature(#""label":"vehicle","shape":"bbox""#, GeoJSONFixture.pixelSquare(220, 220, 240, 240)),
      ]))
    let accepted = try task.swath([
      "submit", "roofs", "--annotator", "ana", good.path, "--chip", "r0001_c0001", "--pixel",
    ])
    #expect(accepted.status == 0, "\(accepted.stderr)")
    let stored = try task.store.sql { db in
      try SubmissionFeatureRecord.order(Column("feature_index")).fetchAll(db)
    }
    #expect(stored.count == 2)
    // Defaults filled in, a whole real number stored as an integer.
    #expect(
      try JSONValue(parsing: stored[0].attributes ?? "")
        == .object(["roof": .string("gable"), "floors": .integer(3), "occluded": .bool(false)]))
    #expect(try JSONValue(parsing: stored[1].attributes ?? "") == .object(["kind": .string("car")]))

    let bad = try task.file(
      "ben.geojson",
      Self.collection([
        Self.feature(#""label":"building","roof":"dome","colour":"red""#, big),
        Self.feature(#""label":"building","shape":"bbox","roof":"flat""#, big),
        Self.feature(#""label":"building","floors":0"#, big),
        Self.feature(#""label":"building","roof":"flat""#, GeoJSONFixture.pixelSquare(10, 10, 50, 50)),
      ]))
    let rejected = try task.swath([
      "submit", "roofs", "--annotator", "ben", bad.path, "--chip", "r0001_c0001", "--pixel",
    ])
    #expect(rejected.status != 0)
    let row = try #require(try task.submissions().last)
    #expect(row.status == .rejected)
    let report = try JSONValue(parsing: row.report ?? "")
    let issues = report["issues"]?.arrayValue ?? []
    let found = Set(
      issues.compactMap { issue -> String? in
        guard let code = issue["code"]?.stringValue, let path = issue["path"]?.stringValue else { return nil }
        return "\(code) \(path)"
      })
    for expected in [
      "invalid-attribute features[0].properties.roof", "unknown-attribute features[0].properties.colour",
      "shape-not-allowed features[1].properties.shape", "missing-attribute features[2].properties",
      "invalid-attribute features[2].properties.floors",
      "area-below-minimum features[3].geometry.coordinates",
    ] {
      #expect(found.contains(expected), "\(expected) not in \(found.sorted())")
    }
    let message = issues.first { $0["code"]?.stringValue == "invalid-attribute" }?["message"]?.stringValue
    #expect(message == #"attribute "roof" must be one of "flat", "gable", "hip", found "dome""#)
  }

  @Test(.sqliteFileOnly) func schemaChangesKeepEveryAnswerGiven() throws {
    let task = try AtlantaTask(labelSchema: Self.schema)
    defer { task.remove() }
    func change(_ document: String) throws -> TestSupport.ProcessResult {
      let file = try task.file("change.json", document)
      return try task.swath(["task", "labels", "roofs", "--labels-file", file.path])
    }
    // Before any submission anything goes, even removing a label.
    let narrowed = Self.schema.replacingOccurrences(of: #""maximum": 100"#, with: #""maximum": 50"#)
    #expect(try change(narrowed).status == 0)
    #expect(try change(Self.schema).status == 0)

    let file = try task.file(
      "ana.geojson",
      Self.collection([
        Self.feature(#""label":"building","roof":"hip""#, GeoJSONFixture.pixelSquare(10, 10, 210, 210))
      ]))
    #expect(
      try task.swath(["submit", "roofs", "--annotator", "ana", file.path, "--chip", "r0001_c0001", "--pixel"])
        .status == 0)

    let refused = try change(
      narrowed.replacingOccurrences(of: #", "hip""#, with: "")
        .replacingOccurrences(of: #"{"name": "occluded", "type": "boolean", "default": false},"#, with: ""))
    #expect(refused.status != 0)
    for part in [
      #"attribute "roof" of label "building" loses the value "hip""#,
      #"attribute "occluded" of label "building" is removed (or renamed)"#,
      #"attribute "floors" of label "building": the maximum falls to 50"#,
    ] {
      #expect(refused.stderr.contains(part), "\(refused.stderr)")
    }
    #expect(
      try change(Self.schema.replacingOccurrences(of: #""name": "vehicle""#, with: #""name": "car""#)).stderr
        .contains(#"label "vehicle" is removed (or renamed)"#))

    // Widening and adding an optional attribute or a label is allowed, and the schema is then in force.
    let widened = Self.schema
      .replacingOccurrences(of: #""hip"]"#, with: #""hip", "dome"]"#)
      .replacingOccurrences(
        of: #""maximum": 100}"#, with: #""maximum": 200}, {"name": "note", "type": "text"}"#
      )
      .replacingOccurrences(of: "\n]}", with: #", {"name": "tree", "shapes": ["polygon"]}]}"#)
    let accepted = try change(widened)
    #expect(accepted.status == 0, "\(accepted.stderr)")
    let printed = try task.run(["task", "labels", "roofs"]).stdout
    let shownFile = try task.file("shown.json", printed)
    let invalidFile = try task.file(
      "invalid.json",
      #"{"labels": [{"name": "a", "attributes": [{"name": "status", "type": "enum", "values": []}, {"name": "n", "type": "text", "minimum": 1}]}]}"#
    )
    #expect(try TestSupport.schemaProblems(schema: "label-schema.schema.json", instances: [shownFile]) == [])
    // The JSON Schema refuses what the reader refuses, where it can say it.
    #expect(
      try TestSupport.schemaProblems(schema: "label-schema.schema.json", instances: [invalidFile]).count >= 3)
    let shown = try JSONValue(parsing: printed)
    let schema = try LabelSchema(json: shown)
    #expect(schema.names == ["building", "vehicle", "tree"])
    #expect(
      schema.label(named: "building")?.attribute(named: "roof")?.values == ["flat", "gable", "hip", "dome"])
    #expect(schema.label(named: "building")?.color == "#d62728")
    let audit = try task.store.sql { db in
      try String.fetchAll(db, sql: "SELECT detail FROM audit_log WHERE action = 'task.labels' ORDER BY id")
    }
    #expect(audit.count == 3 && audit.last == "roofs labels=building,vehicle,tree")
  }

  @Test func validateChecksAFileOfflineAgainstASchema() throws {
    let directory = try TestSupport.temporaryDirectory("swath-schema")
    defer { try? FileManager.default.removeItem(at: directory) }
    let schema = try Fixtures.writeJSON(Self.schema, in: directory, name: "labels.json")
    // 13.4°E 52.5°N: 0.0005° squares are about 34 × 56 m (1,900 m², under the building's 2,000).
    let square = { (x: Double) -> [[Double]] in
      [[x, 52.5], [x + 0.0005, 52.5], [x + 0.0005, 52.5005], [x, 52.5005], [x, 52.5]]
    }
    let file = try Fixtures.writeJSON(
      Self.collection([
        Self.feature(#""label":"building","roof":"flat""#, square(13.4)),
        Self.feature(#""label":"vehicle","shape":"bbox","kind":"tank""#, square(13.41)),
      ]), in: directory, name: "file.geojson")
    let result = try TestSupport.swath(["validate", file.path, "--schema", schema.path])
    #expect(result.status == 1)
    #expect(result.stdout.contains("features[0].geometry.coordinates: error area-below-minimum"))
    #expect(result.stdout.contains(#"for label "building""#))
    #expect(
      result.stdout.contains(
        #"features[1].properties.kind: error invalid-attribute: attribute "kind" must be one of "car", "van", "truck", found "tank""#
      ))

    let broken = try Fixtures.writeJSON(
      #"{"labels":[{"name":"a"},{"name":"a"}]}"#, in: directory, name: "broken.json")
    let refused = try TestSupport.swath(["validate", file.path, "--schema", broken.path])
    #expect(refused.status == 2)
    #expect(refused.stderr.contains(#"label schema labels[1].name: label "a" is listed twice"#))
  }
}
