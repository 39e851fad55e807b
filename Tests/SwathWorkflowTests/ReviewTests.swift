import Foundation
import GRDB
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathTestSupport
import Synchronization
import Testing

@testable import SwathWorkflow

/// A two-annotator task with a label schema, answered on chip r0000_c0000 by ana and ben: four
/// squares both drew (quorum), one only ana drew and one only ben drew.
struct ReviewedTask {
  static let schema = """
    {"labels": [
      {"name": "building", "shapes": ["polygon"],
       "attributes": [{"name": "roof", "type": "enum", "values": ["flat", "gable"], "default": "flat"}]},
      {"name": "vehicle", "shapes": ["polygon"]}
    ]}
    """
  static let squares: [[[Double]]] = [
    GeoJSONFixture.pixelSquare(20, 20, 70, 70), GeoJSONFixture.pixelSquare(90, 20, 140, 70),
    GeoJSONFixture.pixelSquare(160, 20, 210, 70), GeoJSONFixture.pixelSquare(20, 100, 70, 150),
    GeoJSONFixture.pixelSquare(90, 100, 140, 150), GeoJSONFixture.pixelSquare(160, 100, 210, 150),
  ]
  static let rev = Caller(name: "rev", role: .reviewer, command: "test")
  static let ida = Caller(name: "ida", role: .reviewer, command: "test")

  let task: AtlantaTask
  var store: Workspace { task.store }

  init() throws {
    task = try AtlantaTask(replicas: 2, annotators: "ana,ben", labelSchema: Self.schema)
    _ = try store.addUser("rev", role: .reviewer, by: .test)
    _ = try store.addUser("ida", role: .reviewer, by: .test)
    try answer("ana", squares: [0, 1, 2, 3, 4])
    try answer("ben", squares: [0, 1, 2, 3, 5], shift: 1)
  }

  func answer(_ annotator: String, squares: [Int], shift: Double = 0) throws {
    let features = squares.map { index in
      (label: "building", ring: Self.squares[index].map { [$0[0] + shift, $0[1] + shift] })
    }
    let outcome = try store.submit(
      task: "roofs", annotator: annotator, fileName: "\(annotator).geojson",
      raw: Data(GeoJSONFixture.collection(features).utf8), chip: "r0000_c0000", pixel: true,
      by: Caller(name: annotator, role: .annotator, command: "test"))
    #expect(outcome.results.map(\.status) == ["accepted"], "\(outcome.results)")
  }

  func remove() { task.remove() }

  func decisionRows() throws -> [ReviewDecisionRecord] {
    try store.store.read { store in try store.reviewDecisions(ofTask: store.task(named: "roofs")!.id!) }
  }

  /// The object whose pixel square `index` it is (by its centre), in a listing.
  func object(_ listing: Review.Listing, square index: Int) throws -> Review.Object {
    let ring = try task.lonLatRing(
      chip: "r0000_c0000", Self.squares[index][0][0] + 5, Self.squares[index][0][1] + 5,
      Self.squares[index][2][0] - 5, Self.squares[index][2][1] - 5)
    let box = MultiPolygon(Polygon(shell: ring.map { Point($0[0], $0[1]) })).envelope!
    return try #require(listing.objects.first { Review.overlaps($0.geometry.envelope!, box) })
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ReviewTests {
  @Test func statesFollowTheThresholdsAndReviewersGetTheLeastCertainFirst() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    // A quorum above one of two, so that the squares one annotator drew fall below it.
    _ = try store.runConsensus(task: "roofs", quorum: Quorum("0.6"), by: .test)
    #expect(try store.reviewThresholds(task: "roofs", by: ReviewedTask.rev) == .defaults)
    var listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    #expect(listing.objects.count == 6)
    for object in listing.objects {
      let expected: Review.State =
        !object.conflicts.isEmpty
        ? .needsReview
        : object.status == "accepted" && object.confidence >= 0.9
          ? .autoAccepted : object.confidence < 0.2 ? .autoRejected : .needsReview
      #expect(object.state == expected, "\(object.id) \(object.confidence) \(object.status)")
    }
    // The objects one annotator drew are below quorum and reviewable, not dropped.
    let lonely = try [4, 5].map { try task.object(listing, square: $0) }
    #expect(
      lonely.allSatisfy { $0.status == "rejected" && $0.state == .needsReview },
      "\(listing.objects.map { ($0.status, $0.confidence, $0.conflicts, $0.state) })")

    // Thresholds that put every object up for review: the least certain comes first, and asking
    // again returns the same lease.
    #expect(throws: WorkflowError.self) {
      try store.setReviewThresholds(task: "roofs", .defaults, by: ReviewedTask.rev)
    }
    try store.setReviewThresholds(
      task: "roofs", try Review.Thresholds(accept: 1.01 - 0.01, reject: 0), by: .test)
    #expect(throws: WorkflowError.self) { try Review.Thresholds(accept: 0.2, reject: 0.5) }
    listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    let reviewable = listing.objects.filter { $0.state == .needsReview }
    #expect(reviewable.count >= 2)
    let sorted = reviewable.sorted {
      (abs($0.confidence - 0.5), $0.index) < (abs($1.confidence - 0.5), $1.index)
    }
    let first = try #require(try store.nextReview(task: "roofs", reviewer: "rev", by: ReviewedTask.rev))
    #expect(first.object.id == sorted[0].id)
    #expect(
      try store.nextReview(task: "roofs", reviewer: "rev", by: ReviewedTask.rev)?.lease.id == first.lease.id)
    // Another reviewer gets the next one: a leased object is offered to no one else.
    let second = try #require(try store.nextReview(task: "roofs", reviewer: "ida", by: ReviewedTask.ida))
    #expect(second.object.id == sorted[1].id)
    // ...and cannot decide rev's.
    let leased = #expect(throws: WorkflowError.self) {
      try store.decide(task: "roofs", object: first.object.id, .accept, by: ReviewedTask.ida)
    }
    #expect(leased?.kind == .conflict && leased?.message.contains("leased to rev") == true)
    // An annotator and an analyst have no review rights; an analyst may see the list.
    let annotator = Caller(name: "ana", role: .annotator, command: "test")
    #expect(
      (#expect(throws: WorkflowError.self) { try store.reviewList(task: "roofs", by: annotator) })?.kind
        == .forbidden)
    let analyst = Caller(name: "alice", role: .analyst, command: "test")
    #expect(try store.reviewList(task: "roofs", by: analyst).objects.count == 6)
    #expect(
      (#expect(throws: WorkflowError.self) {
        try store.nextReview(task: "roofs", reviewer: "alice", by: analyst)
      })?.kind == .forbidden)
  }

  @Test func everyDecisionIsCheckedStoredAuditedAndExported() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    _ = try store.runConsensus(task: "roofs", by: .test)
    let listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    let ids = try (0..<6).map { try task.object(listing, square: $0).id }
    let rev = ReviewedTask.rev

    let accepted = try store.decide(task: "roofs", object: ids[0], .accept, by: rev)
    #expect(accepted.decision == .accept && accepted.reviewer == "rev" && !accepted.overridden)
    let rejected = try store.decide(task: "roofs", object: ids[4], .reject(reason: "duplicate"), by: rev)
    #expect(rejected.reason == "duplicate")
    let relabelled = try store.decide(task: "roofs", object: ids[1], .relabel("vehicle"), by: rev)
    #expect(relabelled.label == "vehicle")
    let attributes = try store.decide(
      task: "roofs", object: ids[2], .attributes(["roof": .string("gable")]), by: rev)
    #expect(attributes.attributes == #"{"roof":"gable"}"#)
    let moved = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(20, 100, 75, 155))])
    let geometry = try store.decide(
      task: "roofs", object: ids[3], .geometry(Data(moved.utf8), pixelChip: "r0000_c0000"), by: rev)
    let replaced = try #require(geometry.geometry.flatMap { GeoJSONGeometry.multiPolygon(text: $0) })
    let expected = try task.task.lonLatRing(chip: "r0000_c0000", 20, 100, 75, 155)
    #expect(abs(replaced.envelope!.minX - expected.map { $0[0] }.min()!) < 1e-9)
    let added = try store.addObject(
      task: "roofs",
      Data(GeoJSONFixture.collection([("vehicle", GeoJSONFixture.pixelSquare(20, 180, 40, 200))]).utf8),
      pixelChip: "r0000_c0000", by: rev)
    #expect(added.decision == .add && added.label == "vehicle" && added.objectIndex == nil)

    // Bad input is refused with a kind and stores nothing.
    let before = try task.decisionRows().count
    let audited = try store.store.read { try $0.auditLog().count }
    let refusals: [(Review.Decision, String, WorkflowError.Kind, String)] = [
      (.accept, ids[0], .conflict, "was already decided (accept) by rev"),
      (.reject(reason: "  "), ids[5], .invalid, "a reject needs a reason"),
      (.relabel("tree"), ids[5], .invalid, "label 'tree' is not one of the task's"),
      (.attributes(["roof": .string("pink")]), ids[5], .invalid, "attribute 'roof': "),
      (.attributes(["floors": .integer(2)]), ids[5], .invalid, "label 'building' has no attribute 'floors'"),
      (
        .geometry(Data(#"{"type":"FeatureCollection","features":[]}"#.utf8), pixelChip: nil), ids[5],
        .invalid,
        "exactly one feature"
      ),
      (
        .geometry(
          Data(GeoJSONFixture.collection([("tree", GeoJSONFixture.pixelSquare(1, 1, 9, 9))]).utf8),
          pixelChip: "r0000_c0000"),
        ids[5], .invalid, "tree"
      ),
      (.accept, "1-99", .notFound, "has no object 99"),
      (.accept, "nonsense", .invalid, "is not RUN-INDEX"),
    ]
    for (decision, id, kind, message) in refusals {
      let error = #expect(throws: WorkflowError.self) {
        try store.decide(task: "roofs", object: id, decision, by: rev)
      }
      #expect(error?.kind == kind && error?.message.contains(message) == true, "\(String(describing: error))")
    }
    #expect(try task.decisionRows().count == before)
    #expect(try store.store.read { try $0.auditLog().count } == audited)

    // The annotator of the chip may not review it; an admin may, and it is recorded.
    let ana = Caller(name: "ana", role: .reviewer, command: "test")
    let own = #expect(throws: WorkflowError.self) {
      try store.decide(task: "roofs", object: ids[5], .accept, by: ana)
    }
    #expect(own?.kind == .forbidden && own?.message == "ana annotated chip r0000_c0000 and may not review it")
    #expect(try store.nextReview(task: "roofs", reviewer: "ana", by: ana) == nil)
    let override = try store.decide(
      task: "roofs", object: ids[5], .accept, by: Caller(name: "ana", role: .admin, command: "test"))
    #expect(override.overridden)
    let log = try store.store.read { try $0.auditLog() }.filter { $0.action.hasPrefix("review.") }
    #expect(
      log.map(\.action) == Array(repeating: "review.decide", count: 5) + ["review.add", "review.decide"])
    #expect(log.last?.detail.hasSuffix("accept override") == true && log.last?.actor == "ana")

    // The export carries each object's review fields, the decisions applied.
    let path = task.task.url.appendingPathComponent("final.geojson").path
    _ = try store.export(task: "roofs", out: path, includeRejected: true, by: .test)
    let features = try #require(
      try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: path)))["features"]?.arrayValue)
    #expect(features.count == 7)
    func properties(decision: String) -> [String: JSONValue] {
      features.compactMap { $0["properties"]?.objectValue }.first { $0["decision"]?.stringValue == decision }
        ?? [:]
    }
    let reject = properties(decision: "reject")
    #expect(reject["status"]?.stringValue == "rejected" && reject["reason"]?.stringValue == "duplicate")
    #expect(
      reject["reviewer"]?.stringValue == "rev" && reject["reviewed_at"]?.stringValue == rejected.decidedAt)
    #expect(properties(decision: "relabel")["label"]?.stringValue == "vehicle")
    #expect(properties(decision: "attributes")["roof"]?.stringValue == "gable")
    #expect(properties(decision: "add")["review_state"]?.stringValue == "added")
    #expect(properties(decision: "accept")["status"]?.stringValue == "accepted")
    let problems = try TestSupport.schemaProblems(
      schema: "consensus.schema.json", instances: [URL(fileURLWithPath: path)])
    #expect(problems == [], "\(problems)")
    // Without the rejected objects, the reviewer's reject leaves the layer.
    _ = try store.export(task: "roofs", out: path, by: .test)
    let kept = try #require(
      try JSONValue(parsing: Data(contentsOf: URL(fileURLWithPath: path)))["features"]?.arrayValue)
    #expect(!kept.contains { $0["properties"]?["decision"]?.stringValue == "reject" })
  }

  @Test(arguments: ["gpkg", "fgb"])
  func geoPackageAndFlatGeobufCarryTheReviewFields(_ format: String) throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    _ = try store.runConsensus(task: "roofs", by: .test)
    let listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    let rejected = try store.decide(
      task: "roofs", object: try task.object(listing, square: 4).id, .reject(reason: "bad_geometry"),
      by: ReviewedTask.rev)
    let path = task.task.url.appendingPathComponent("final.\(format)").path
    _ = try store.export(task: "roofs", out: path, includeRejected: true, by: .test)
    let info = try TestSupport.tool("ogrinfo", ["-al", "-ro", path])
    #expect(info.status == 0, "\(info.stderr)")
    let lines = info.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
    for expected in [
      "decision (String) = reject", "reason (String) = bad_geometry", "reviewer (String) = rev",
      "reviewed_at (String) = \(rejected.decidedAt)", "status (String) = rejected",
    ] {
      #expect(lines.contains(expected), "\(expected) in \(info.stdout.prefix(3000))")
    }
    // Every object has its review state; the undecided ones no decision (null in GPKG, absent in FGB).
    #expect(lines.filter { $0.hasPrefix("review_state (String) = ") }.count == 6)
    #expect(lines.filter { $0.hasPrefix("decision (String) = ") && !$0.hasSuffix("(null)") }.count == 1)
  }

  @Test func aNewRunKeepsTheDecisionsThatStillMatchAndListsTheOthers() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    let first = try store.runConsensus(task: "roofs", by: .test)
    let listing = try store.reviewList(task: "roofs", by: ReviewedTask.rev)
    let ids = try (0..<6).map { try task.object(listing, square: $0).id }
    let rev = ReviewedTask.rev
    let gone = try store.decide(task: "roofs", object: ids[0], .reject(reason: "not_an_object"), by: rev)
    _ = try store.decide(task: "roofs", object: ids[1], .relabel("vehicle"), by: rev)
    _ = try store.addObject(
      task: "roofs",
      Data(GeoJSONFixture.collection([("vehicle", GeoJSONFixture.pixelSquare(20, 180, 40, 200))]).utf8),
      pixelChip: "r0000_c0000", by: rev)

    // Both annotators answer again without square 0: its decision matches nothing any more.
    try task.answer("ana", squares: [1, 2, 3, 4])
    try task.answer("ben", squares: [1, 2, 3, 5], shift: 1)
    let second = try store.runConsensus(task: "roofs", by: .test)
    #expect(second.carriedDecisions == 2)
    #expect(second.unmatchedDecisions.map(\.id) == [gone.id])
    let now = try store.reviewList(task: "roofs", by: rev)
    #expect(now.run.id == second.run.id && now.unmatched.map(\.id) == [gone.id])
    #expect(now.added.count == 1 && now.added[0].carriedFrom != nil)
    let relabelled = try task.object(now, square: 1)
    #expect(relabelled.decision?.decision == .relabel && relabelled.decision?.label == "vehicle")
    #expect(relabelled.decision?.carriedFrom != nil)
    let audit = try store.store.read { try $0.auditLog() }.last { $0.action == "review.carry" }
    #expect(
      audit?.detail
        == "task=roofs run=#\(second.run.id!) from=#\(first.run.id!) carried=2 unmatched=\(gone.id!)")

    // A decision on an object of the replaced run is refused.
    let stale = #expect(throws: WorkflowError.self) {
      try store.decide(task: "roofs", object: ids[2], .accept, by: rev)
    }
    #expect(
      stale?.kind == .conflict && stale?.message.contains("which run #\(second.run.id!) replaced") == true)
  }

  @Test func twoReviewersDecidingAtOnceStoreOneDecision() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    _ = try store.runConsensus(task: "roofs", by: .test)
    let id = try task.object(try store.reviewList(task: "roofs", by: ReviewedTask.rev), square: 2).id
    let callers = [ReviewedTask.rev, ReviewedTask.ida]
    let results = Mutex<[Result<ReviewDecisionRecord, WorkflowError>]>([])
    DispatchQueue.concurrentPerform(iterations: 2) { index in
      let result: Result<ReviewDecisionRecord, WorkflowError>
      do {
        result = .success(try store.decide(task: "roofs", object: id, .accept, by: callers[index]))
      } catch let error as WorkflowError {
        result = .failure(error)
      } catch {
        result = .failure(WorkflowError("\(error)", kind: .environment))
      }
      results.withLock { $0.append(result) }
    }
    let outcomes = results.withLock { $0 }
    let successes = outcomes.compactMap { try? $0.get() }
    let failures = outcomes.compactMap { if case .failure(let error) = $0 { error } else { nil } }
    #expect(successes.count == 1 && failures.count == 1)
    #expect(failures.first?.kind == .conflict && failures.first?.message.contains("already decided") == true)
    #expect(try task.decisionRows().count == 1)
  }

  @Test func anInvalidatedChipGoesBackToAnnotationWithTheComment() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    _ = try store.addUser("rev", role: .reviewer, by: .test)
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(AtlantaTask.image).path)
    _ = try store.registerImage(inspection, name: "atlanta", by: .test)
    _ = try store.createTask(
      TaskParameters(
        name: "roofs", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1, distribution: .leased, leaseSeconds: 3600),
      by: .test)
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    let ben = Caller(name: "ben", role: .annotator, command: "test")
    let lease = try #require(try store.lease(task: "roofs", annotator: "ana", by: ana))
    let key = try store.chipKey(of: lease)
    let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))])
    _ = try store.submit(
      task: "roofs", annotator: "ana", fileName: "a.geojson", raw: Data(file.utf8), chip: key, pixel: true,
      by: ana)
    // One replica, answered: nothing for ben.
    #expect(try store.lease(task: "roofs", annotator: "ben", by: ben) == nil)

    let rev = ReviewedTask.rev
    // Answered: the chip waits for a reviewer, but not for the annotator who answered it.
    #expect(try store.nextChipToValidate(task: "roofs", reviewer: "rev", by: rev)?.chip == key)
    let anaReviewing = Caller(name: "ana", role: .reviewer, command: "test")
    #expect(try store.nextChipToValidate(task: "roofs", reviewer: "ana", by: anaReviewing) == nil)
    let noComment = #expect(throws: WorkflowError.self) {
      try store.reviewChip(task: "roofs", chip: key, verdict: .invalidated, comment: " ", by: rev)
    }
    #expect(noComment?.kind == .invalid)
    let own = #expect(throws: WorkflowError.self) {
      try store.reviewChip(
        task: "roofs", chip: key, verdict: .validated, comment: nil,
        by: Caller(name: "ana", role: .reviewer, command: "test"))
    }
    #expect(own?.kind == .forbidden)
    let review = try store.reviewChip(
      task: "roofs", chip: key, verdict: .invalidated, comment: "the sheds behind the houses are missing",
      by: rev)
    #expect(review.verdict == .invalidated && review.reviewer == "rev")
    // Sent back: not offered for validation again until the new answer is in.
    #expect(try store.nextChipToValidate(task: "roofs", reviewer: "rev", by: rev) == nil)
    let again = try #require(try store.lease(task: "roofs", annotator: "ben", by: ben))
    #expect(try store.chipKey(of: again) == key)
    #expect(try store.reviewComment(task: "roofs", chip: key) == "the sheds behind the houses are missing")
    // ana, who answered it, is not offered it again.
    #expect(try store.lease(task: "roofs", annotator: "ana", by: ana) == nil)
    _ = try store.submit(
      task: "roofs", annotator: "ben", fileName: "b.geojson", raw: Data(file.utf8), chip: key, pixel: true,
      by: ben)
    #expect(try store.nextChipToValidate(task: "roofs", reviewer: "rev", by: rev)?.chip == key)
    let validated = try store.reviewChip(task: "roofs", chip: key, verdict: .validated, comment: nil, by: rev)
    #expect(validated.comment == nil)
    #expect(try store.nextChipToValidate(task: "roofs", reviewer: "rev", by: rev) == nil)
    #expect(
      try store.store.read { try $0.auditLog() }.filter { $0.action == "review.chip" }.map(\.detail) == [
        "task=roofs chip=\(key) invalidated", "task=roofs chip=\(key) validated",
      ])
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct AssignedChipReviewTests {
  @Test func anInvalidatedChipOfAnAssignedTaskIsBackInItsAnnotatorsQueues() throws {
    let task = try ReviewedTask()
    defer { task.remove() }
    let store = task.store
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    func queued(_ caller: Caller) throws -> [QueueItem] {
      try store.queue(annotator: caller.name, task: "roofs", by: caller).pending.filter {
        $0.chip == "r0000_c0000"
      }
    }
    #expect(try queued(ana).isEmpty)
    _ = try store.reviewChip(
      task: "roofs", chip: "r0000_c0000", verdict: .invalidated, comment: "roofs drawn too small",
      by: ReviewedTask.rev)
    let back = try queued(ana)
    #expect(back.count == 1 && back.first?.reviewComment == "roofs drawn too small")
    #expect(try queued(Caller(name: "ben", role: .annotator, command: "test")).count == 1)
    // Answered again: out of the queue; the new file supersedes the old one.
    try task.answer("ana", squares: [0, 1])
    #expect(try queued(ana).isEmpty)
  }
}
