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

  @Test func acceptedAnswersOnGoldChipsAreScoredAtOnceAndOnlyTheCurrentOnesCount() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let analyst = Caller(name: "olga", role: .analyst, command: "test")
    let building = try task.lonLatRing(chip: "r0001_c0001", 60, 60, 120, 120)
    let vehicle = try task.lonLatRing(chip: "r0001_c0001", 150, 150, 160, 158)
    let truth = LabelSchemaWorkflowTests.collection([
      Self.feature("building", building), Self.feature("vehicle", vehicle),
    ])
    _ = try task.store.addGold(task: "roofs", truth: Data(truth.utf8), chips: nil, by: analyst)
    func submit(_ annotator: String, _ features: [String], chip: String = "r0001_c0001") throws -> String {
      let file = try task.file("\(annotator).geojson", LabelSchemaWorkflowTests.collection(features))
      let result = try task.swath(["submit", "roofs", "--annotator", annotator, file.path, "--chip", chip])
      #expect(result.status == 0, "\(result.stderr)")
      return result.stdout
    }
    // ana draws the truth; ben the building a little off and a made-up shape; chloe answers a
    // chip that is not gold.
    _ = try submit("ana", [Self.feature("building", building), Self.feature("vehicle", vehicle)])
    let shifted = try task.lonLatRing(chip: "r0001_c0001", 62, 62, 122, 122)
    let madeUp = try task.lonLatRing(chip: "r0001_c0001", 200, 20, 230, 50)
    let benSaid = try submit("ben", [Self.feature("building", shifted), Self.feature("building", madeUp)])
    let chloeSaid = try submit(
      "chloe", [Self.feature("building", try task.lonLatRing(chip: "r0000_c0000", 10, 10, 60, 60))],
      chip: "r0000_c0000")
    // The answer an annotator gets says nothing about gold.
    #expect(!benSaid.lowercased().contains("gold") && !chloeSaid.lowercased().contains("gold"))
    var records = try task.store.goldRecord(task: "roofs", by: analyst)
    #expect(records.map(\.annotator) == ["ana", "ben"])
    #expect(records[0].chips == 1 && records[0].score.f1 == 1 && records[0].score.meanIoU > 0.999)
    let ben = records[1].score
    #expect(ben.truePositives == 1 && ben.falsePositives == 1 && ben.falseNegatives == 1)
    #expect(ben.precision == 0.5 && ben.recall == 0.5 && ben.f1 == 0.5)
    // 60 × 60 px shifted by 2 px: IoU 58² / (2 · 60² − 58²).
    #expect(abs(ben.meanIoU - 3364.0 / 3836.0) < 0.01, "\(ben.meanIoU)")
    // ben answers again: only his current answer counts.
    _ = try submit("ben", [Self.feature("building", building), Self.feature("vehicle", vehicle)])
    records = try task.store.goldRecord(task: "roofs", by: analyst)
    #expect(records[1].annotator == "ben" && records[1].score.f1 == 1 && records[1].chips == 1)
    let printed = try task.swath(["gold", "record", "roofs"])
    #expect(
      printed.stdout.contains("ben\t1 chip(s)\tprecision 1.000, recall 1.000, F1 1.000"), "\(printed.stdout)")
  }

  @Test func consensusUsesTheTasksGoldAndSaysWhichModelsCameFromIt() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let analyst = Caller(name: "olga", role: .analyst, command: "test")
    // Six true buildings on the gold chip, well inside it.
    let truth = try (0..<6).map { index in
      let x = 20 + Double(index % 3) * 70
      let y = 20 + Double(index / 3) * 90
      return try task.lonLatRing(chip: "r0001_c0001", x, y, x + 40, y + 40)
    }
    _ = try task.store.addGold(
      task: "roofs",
      truth: Data(LabelSchemaWorkflowTests.collection(truth.map { Self.feature("building", $0) }).utf8),
      chips: nil, by: analyst)
    #expect(try task.store.gold(task: "roofs", by: analyst).chips.map(\.chip) == ["r0001_c0001"])
    // ana draws them all; ben four of them and one that is not there; both draw on another chip.
    let other = try task.lonLatRing(chip: "r0000_c0000", 20, 20, 60, 60)
    let madeUp = try task.lonLatRing(chip: "r0001_c0001", 20, 200, 50, 230)
    for (annotator, shapes) in [("ana", truth), ("ben", Array(truth.prefix(4)) + [madeUp])] {
      let gold = try task.file(
        "\(annotator)-gold.geojson",
        LabelSchemaWorkflowTests.collection(shapes.map { Self.feature("building", $0) }))
      try task.run(["submit", "roofs", "--annotator", annotator, gold.path, "--chip", "r0001_c0001"])
      let plain = try task.file(
        "\(annotator)-other.geojson", LabelSchemaWorkflowTests.collection([Self.feature("building", other)]))
      try task.run(["submit", "roofs", "--annotator", annotator, plain.path, "--chip", "r0000_c0000"])
    }
    let outcome = try task.store.runConsensus(task: "roofs", by: analyst)
    let report = outcome.report
    let byName = Dictionary(uniqueKeysWithValues: report.annotators.map { ($0.annotator, $0) })
    #expect(byName["ana"]?.estimatedFrom == "gold" && byName["ana"]?.goldObjects == 6)
    #expect(byName["ben"]?.estimatedFrom == "gold" && byName["ben"]?.goldObjects == 6)
    #expect(report.gold?.objects == 6)
    // Inside the gold chip the layer is the gold objects themselves; ben's made-up shape is not in it.
    let layer = try JSONValue(parsing: outcome.run.result)
    let features = layer["features"]?.arrayValue ?? []
    let gold = features.filter { $0["properties"]?["gold"]?.boolValue == true }
    #expect(gold.count == 6)
    #expect(gold.allSatisfy { $0["properties"]?["status"]?.stringValue == "accepted" })
  }

  @Test func belowTheMinimumGoldF1AnAnnotatorIsLeftOutAndTheirChipsGoToOthers() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let analyst = Caller(name: "olga", role: .analyst, command: "test")
    // A leased task of two chips, one answer each; its r0000_c0000 is the same window as roofs'.
    try task.run([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,512,256", "--labels", "building,vehicle",
      "--chip-size", "256", "--overlap", "0", "--replicas", "1", "--distribution", "leased", "--lease-time",
      "1h",
      "--name", "walls",
    ])
    let building = try task.lonLatRing(chip: "r0000_c0000", 60, 60, 120, 120)
    let truth = LabelSchemaWorkflowTests.collection([Self.feature("building", building)])
    _ = try task.store.addGold(task: "walls", truth: Data(truth.utf8), chips: nil, by: analyst)
    let wrong = LabelSchemaWorkflowTests.collection([
      Self.feature("building", try task.lonLatRing(chip: "r0000_c0000", 150, 150, 200, 200))
    ])
    let empty = LabelSchemaWorkflowTests.collection([])
    func leaseAndAnswer(_ annotator: String, _ file: String) throws -> String? {
      let caller = Caller(name: annotator, role: .annotator, command: "test")
      guard let lease = try task.store.lease(task: "walls", annotator: annotator, by: caller) else {
        return nil
      }
      let chip = try task.store.chipKey(of: lease)
      let outcome = try task.store.submit(
        task: "walls", annotator: annotator, fileName: "\(annotator).geojson", raw: Data(file.utf8),
        chip: chip,
        pixel: false, by: caller)
      #expect(outcome.results.allSatisfy { $0.status == "accepted" }, "\(outcome)")
      return chip
    }
    // ana answers both chips, the gold one wrongly: F1 0.
    #expect(try leaseAndAnswer("ana", wrong) == "r0000_c0000")
    #expect(try leaseAndAnswer("ana", empty) == "r0000_c0001")
    #expect(try leaseAndAnswer("ben", truth) == nil)
    #expect(try task.store.goldRecord(task: "walls", by: analyst).first?.score.f1 == 0)

    // Outside 0...1: refused.
    for bad in [-0.1, 1.5] {
      let error = #expect(throws: WorkflowError.self) {
        try task.store.setGoldMinF1(task: "walls", bad, by: analyst)
      }
      #expect(error?.kind == .invalid)
    }
    let refused = try task.swath(["gold", "min-f1", "walls", "1.5"])
    #expect(refused.status == 1 && refused.stderr.contains("must lie in 0...1"))
    #expect(try task.swath(["gold", "min-f1", "walls", "0.6"]).status == 0)
    // ana's answers no longer count: both chips are offered to ben, gold first.
    #expect(try leaseAndAnswer("ben", truth) == "r0000_c0000")
    #expect(try leaseAndAnswer("ben", empty) == "r0000_c0001")
    #expect(try leaseAndAnswer("chloe", truth) == nil)
    // Consensus leaves ana out.
    let outcome = try task.store.runConsensus(task: "walls", by: analyst)
    #expect(outcome.report.annotators.map(\.annotator) == ["ben"])
  }
}
