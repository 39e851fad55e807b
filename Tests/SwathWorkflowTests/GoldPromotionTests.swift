import Foundation
import GRDB
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// `swath gold promote`: a reviewed chip's final layer becomes its truth, added to the task's
/// gold, and the answers already on it are scored; a chip not reviewed, already gold or not the
/// task's is one error and nothing is stored.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct GoldPromotionTests {
  static let analyst = Caller(name: "olga", role: .analyst, command: "test")

  func goldRows(_ store: Workspace) throws -> (chips: Int, objects: Int, scores: Int) {
    (
      try store.count("SELECT COUNT(*) FROM gold_chips"),
      try store.count("SELECT COUNT(*) FROM gold_objects"),
      try store.count("SELECT COUNT(*) FROM gold_scores")
    )
  }

  @Test(.sqliteFileOnly) func aReviewedChipsFinalLayerBecomesItsGoldAndItsAnswersAreScored() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    let analyst = Self.analyst
    // The analyst's own gold on another chip first: promotion adds to it.
    let known = LabelSchemaWorkflowTests.collection([
      GoldChipTests.feature("vehicle", try task.task.lonLatRing(chip: "r0002_c0002", 60, 60, 90, 80))
    ])
    _ = try store.addGold(task: "roofs", truth: Data(known.utf8), chips: nil, by: analyst)
    // No run yet: nothing to promote.
    let noRun = #expect(throws: WorkflowError.self) {
      try store.promoteToGold(task: "roofs", chips: ["r0000_c0000"], by: analyst)
    }
    #expect(noRun?.kind == .conflict && noRun?.message.contains("no consensus run yet") == true)
    // A quorum above one of two: the squares one annotator drew need a review.
    _ = try store.runConsensus(task: "roofs", quorum: Quorum("0.6"), by: .test)
    var listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    let lonely = try [4, 5].map { try task.object(listing, square: $0) }
    #expect(lonely.allSatisfy { $0.state == .needsReview })

    let before = try goldRows(store)
    #expect(before.chips == 1 && before.objects == 1)
    let cases: [([String], Caller, String, WorkflowError.Kind)] = [
      (["r0000_c0000"], analyst, "chip 'r0000_c0000' has ", .conflict),
      (["r0001_c0002"], analyst, "chip 'r0001_c0002' has nothing reviewed", .conflict),
      (["r0002_c0002"], analyst, "chip 'r0002_c0002' of task 'roofs' is already gold", .conflict),
      (["r9_c9"], analyst, "task 'roofs' has no chip 'r9_c9'", .notFound),
      ([], analyst, "name at least one chip", .invalid),
      (["r0000_c0000"], ReviewedTask.rev, "rev (reviewer) may not manage gold chips", .forbidden),
      (
        ["r0000_c0000"], Caller(name: "ana", role: .annotator, command: "test"), "may not manage gold chips",
        .forbidden
      ),
    ]
    for (chips, caller, message, kind) in cases {
      let error = #expect(throws: WorkflowError.self) {
        try store.promoteToGold(task: "roofs", chips: chips, by: caller)
      }
      #expect(error?.kind == kind && error?.message.contains(message) == true, "\(error?.message ?? "")")
      #expect(try goldRows(store) == before)
    }
    // A chip of another task is not this task's.
    try task.task.run([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,900,128", "--labels", "building",
      "--chip-size", "128", "--overlap", "0", "--name", "strip",
    ])
    let strips = try store.sql { db in
      try Int.fetchOne(
        db,
        sql:
          "SELECT COUNT(*) FROM chips JOIN tasks ON chips.task_id = tasks.id WHERE tasks.name = 'strip' AND chip_key = 'r0000_c0006'"
      )
    }
    #expect(strips == 1)
    let other = #expect(throws: WorkflowError.self) {
      try store.promoteToGold(task: "roofs", chips: ["r0000_c0006"], by: analyst)
    }
    #expect(other?.kind == .notFound && other?.message == "task 'roofs' has no chip 'r0000_c0006'")

    // rev decides every object needing a review on the chip: square 4 (only ana's) becomes a
    // vehicle, square 5 (only ben's) is rejected, the others are accepted.
    listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    for object in listing.objects where object.state == .needsReview {
      let decision: Review.Decision =
        object.id == lonely[0].id
        ? .relabel("vehicle") : object.id == lonely[1].id ? .reject(reason: "duplicate") : .accept
      _ = try store.decide(task: "roofs", object: object.id, decision, by: ReviewedTask.rev)
    }
    // One chip of two not reviewed: nothing is stored.
    #expect(throws: WorkflowError.self) {
      try store.promoteToGold(task: "roofs", chips: ["r0000_c0000", "r0001_c0002"], by: analyst)
    }
    #expect(try goldRows(store) == before)

    let promoted = try store.promoteToGold(task: "roofs", chips: ["r0000_c0000"], by: analyst)
    #expect(promoted == [Gold.Promoted(chip: "r0000_c0000", reviewedBy: .decisions, objects: 5)])
    let gold = try store.gold(task: "roofs", by: analyst)
    #expect(
      gold.chips.map(\.chip) == ["r0000_c0000", "r0002_c0002"]
        || gold.chips.map(\.chip) == ["r0002_c0002", "r0000_c0000"])
    #expect(
      Dictionary(uniqueKeysWithValues: gold.chips.map { ($0.chip, $0.objects) }) == [
        "r0000_c0000": 5, "r0002_c0002": 1,
      ])
    // The analyst's object kept, the five reviewed ones added after it, with the review's label
    // and the schema's attributes.
    #expect(gold.objects.map(\.featureIndex) == [0, 1, 2, 3, 4, 5])
    #expect(gold.objects.filter { $0.label == "vehicle" }.count == 2)
    #expect(
      gold.objects.filter { $0.label == "building" }.allSatisfy { object in
        object.attributes.flatMap { try? JSONValue(parsing: $0) }?["roof"]?.stringValue == "flat"
      })
    // Inside the chip: every promoted object lies within its footprint.
    let footprint = try #require(
      GeoJSONGeometry.multiPolygon(text: try task.task.chip("r0000_c0000").footprint))
    for object in gold.objects.dropFirst() {
      let shape = try #require(GeoJSONGeometry.multiPolygon(text: object.geometry))
      let inside = Topology.area(try Topology.intersection(shape, footprint))
      #expect(abs(inside - Topology.area(shape)) <= 1e-9 * Topology.area(shape))
    }
    // The answers already on the chip were scored: ana drew the five, ben four and the rejected one.
    let records = try store.goldRecord(task: "roofs", by: analyst)
    #expect(records.map(\.annotator) == ["ana", "ben"])
    #expect(records[0].chips == 1 && records[0].score.f1 == 1)
    let ben = records[1].score
    #expect(ben.truePositives == 4 && ben.falsePositives == 1 && ben.falseNegatives == 1)
    #expect(try goldRows(store) == (2, 6, 2))

    // Promoting it again: already gold, nothing changes.
    let again = #expect(throws: WorkflowError.self) {
      try store.promoteToGold(task: "roofs", chips: ["r0000_c0000"], by: analyst)
    }
    #expect(again?.kind == .conflict && again?.message.contains("already gold") == true)
    #expect(try goldRows(store) == (2, 6, 2))

    // An invalidated chip is back in annotation; validated, it is reviewed (with nothing on it).
    _ = try store.reviewChip(
      task: "roofs", chip: "r0001_c0002", verdict: .invalidated, comment: "missed the sheds",
      by: ReviewedTask.rev)
    let invalidated = #expect(throws: WorkflowError.self) {
      try store.promoteToGold(task: "roofs", chips: ["r0001_c0002"], by: analyst)
    }
    #expect(invalidated?.kind == .conflict && invalidated?.message.contains("invalidated by rev") == true)
    _ = try store.reviewChip(
      task: "roofs", chip: "r0001_c0002", verdict: .validated, comment: nil, by: ReviewedTask.rev)
    let cli = try task.task.swath(["gold", "promote", "roofs", "--chips", "r0001_c0002"])
    #expect(cli.status == 0, "\(cli.stderr)")
    #expect(cli.stdout == "task 'roofs': chip r0001_c0002 (validated) is gold with 0 object(s)\n")
    let refused = try task.task.swath(["gold", "promote", "roofs", "--chips", "r0001_c0002"])
    #expect(
      refused.status == 1 && refused.stderr == "swath: chip 'r0001_c0002' of task 'roofs' is already gold\n")
    let audit = try store.auditLog(by: .test).filter { $0.action == "gold.promote" }.map(\.detail)
    #expect(
      audit.count == 2 && audit[0].hasSuffix("r0000_c0000:decided:5")
        && audit[1].hasSuffix("r0001_c0002:validated:0"))
  }

  @Test func addingGoldAgainScoresTheAnswersAlreadyGiven() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let building = try task.lonLatRing(chip: "r0001_c0001", 60, 60, 120, 120)
    let file = try task.file(
      "ana.geojson", LabelSchemaWorkflowTests.collection([GoldChipTests.feature("building", building)]))
    try task.run(["submit", "roofs", "--annotator", "ana", file.path, "--chip", "r0001_c0001"])
    // Gold added after the answer: the answer is scored at once.
    let truth = LabelSchemaWorkflowTests.collection([GoldChipTests.feature("building", building)])
    _ = try task.store.addGold(task: "roofs", truth: Data(truth.utf8), chips: nil, by: Self.analyst)
    var records = try task.store.goldRecord(task: "roofs", by: Self.analyst)
    #expect(records.count == 1 && records[0].score.f1 == 1)
    // Replaced by a truth that has another object: scored again, the old score gone.
    let other = LabelSchemaWorkflowTests.collection([
      GoldChipTests.feature("building", try task.lonLatRing(chip: "r0001_c0001", 150, 150, 200, 200))
    ])
    _ = try task.store.addGold(
      task: "roofs", truth: Data(other.utf8), chips: ["r0001_c0001"], by: Self.analyst)
    records = try task.store.goldRecord(task: "roofs", by: Self.analyst)
    #expect(records.count == 1 && records[0].chips == 1 && records[0].score.f1 == 0)
  }
}
