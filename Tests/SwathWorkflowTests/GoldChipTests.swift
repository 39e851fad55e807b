import Foundation
import GRDB
import SwathGeometry
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// `swath gold add/list`: the analyst's known truth on chips of a task, validated as a submission
/// is; a bad file is one error and stores nothing.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct GoldChipTests {
  static func feature(_ label: String, _ ring: [[Double]]) -> String {
    LabelSchemaWorkflowTests.feature(#""label":"\#(label)""#, ring)
  }

  @Test func goldIsStoredOnTheChipsTheObjectsFallInOrOnTheChipsNamed() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let analyst = Caller(name: "olga", role: .analyst, command: "test")
    // Two objects well inside r0001_c0001 (its pixels 224–480 of the image; neighbours start at 448).
    let truth = LabelSchemaWorkflowTests.collection([
      Self.feature("building", try task.lonLatRing(chip: "r0001_c0001", 60, 60, 120, 120)),
      Self.feature("vehicle", try task.lonLatRing(chip: "r0001_c0001", 150, 150, 160, 158)),
    ])
    let file = try task.file("truth.geojson", truth)
    let added = try task.swath(["gold", "add", "roofs", "--truth", file.path])
    #expect(added.status == 0, "\(added.stderr)")
    #expect(added.stdout == "task 'roofs': 1 gold chip(s) (r0001_c0001), 2 gold object(s)\n")
    var listing = try task.store.gold(task: "roofs", by: analyst)
    #expect(listing.chips.map(\.chip) == ["r0001_c0001"] && listing.chips.map(\.objects) == [2])
    #expect(listing.objects.map(\.label) == ["building", "vehicle"])
    #expect(listing.objects.map(\.featureIndex) == [0, 1])
    // Stored in lon/lat as given.
    let stored = try #require(GeoJSONGeometry.multiPolygon(text: listing.objects[0].geometry))
    let given = try task.lonLatRing(chip: "r0001_c0001", 60, 60, 120, 120)
    #expect(abs(stored.polygons[0].shell[0].x - given[0][0]) < 1e-9)

    // Named chips: a chip with nothing on it is gold too; adding again replaces the task's gold.
    listing = try task.store.addGold(
      task: "roofs", truth: Data(truth.utf8), chips: ["r0001_c0001", "r0000_c0000"], by: analyst)
    #expect(listing.chips.map(\.chip) == ["r0000_c0000", "r0001_c0001"])
    #expect(listing.chips.map(\.objects) == [0, 2] && listing.objects.count == 2)
    let printed = try task.swath(["gold", "list", "roofs"])
    #expect(
      printed.stdout.split(separator: "\n").map { $0.split(separator: "\t").prefix(2).joined(separator: " ") }
        == ["r0000_c0000 0", "r0001_c0001 2"])
    let json = try JSONValue(parsing: try task.swath(["gold", "list", "roofs", "--json"]).stdout)
    #expect(json["objects"]?["features"]?.arrayValue?.count == 2)
    #expect(
      json["objects"]?["features"]?.arrayValue?.first?["properties"]?["label"]?.stringValue == "building")
  }

  @Test func aBadTruthFileIsOneErrorAndStoresNothing() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let analyst = Caller(name: "olga", role: .analyst, command: "test")
    let inside = try task.lonLatRing(chip: "r0001_c0001", 60, 60, 120, 120)
    let good = LabelSchemaWorkflowTests.collection([Self.feature("building", inside)])
    _ = try task.store.addGold(task: "roofs", truth: Data(good.utf8), chips: nil, by: analyst)
    let before = try task.store.gold(task: "roofs", by: analyst)

    let bowtie = [inside[0], inside[2], inside[1], inside[3], inside[0]]
    let far = inside.map { [$0[0] + 10, $0[1]] }
    let cases: [(String, [String]?, String, WorkflowError.Kind)] = [
      (LabelSchemaWorkflowTests.collection([Self.feature("tree", inside)]), nil, "label outside", .invalid),
      (
        LabelSchemaWorkflowTests.collection([Self.feature("building", bowtie)]), nil, "gold: invalid file",
        .invalid
      ),
      (
        LabelSchemaWorkflowTests.collection([Self.feature("building", far)]), nil,
        "gold: feature 0 lies outside every chip of task 'roofs'", .invalid
      ),
      (good, ["r0002_c0002"], "gold: feature 0 lies outside the chips named (r0002_c0002)", .invalid),
      (good, ["r9_c9"], "task 'roofs' has no chip 'r9_c9'", .notFound),
      (LabelSchemaWorkflowTests.collection([]), nil, "gold: the file has no objects", .invalid),
      ("{not json", nil, "gold: invalid file", .invalid),
    ]
    for (text, chips, message, kind) in cases {
      let error = #expect(throws: WorkflowError.self) {
        try task.store.addGold(task: "roofs", truth: Data(text.utf8), chips: chips, by: analyst)
      }
      #expect(error?.kind == kind && error?.message.contains(message) == true, "\(error?.message ?? "")")
      let after = try task.store.gold(task: "roofs", by: analyst)
      #expect(after.chips == before.chips && after.objects == before.objects)
    }
    // The CLI says it in one line, with a non-zero status.
    let file = try task.file(
      "bad.geojson", LabelSchemaWorkflowTests.collection([Self.feature("building", far)]))
    let refused = try task.swath(["gold", "add", "roofs", "--truth", file.path])
    #expect(
      refused.status == 1
        && refused.stderr == "swath: gold: feature 0 lies outside every chip of task 'roofs'\n")
    // Annotators may not see or add gold.
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    #expect(throws: WorkflowError.self) { try task.store.gold(task: "roofs", by: ana) }
  }
}
