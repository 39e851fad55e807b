import Foundation
import SwathStore
import SwathStorePostgres
import SwathStoreSQLite
import SwathTestSupport
import Synchronization
import Testing

/// The contract every store backend must keep, exercised only through `ProjectStore`, on each
/// backend: SQLite in a temporary file, PostgreSQL in a new database of the tests' own cluster.
enum StoreContract {
  enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres
    var testDescription: String { rawValue }
  }

  /// A new, empty store and a clean-up for it.
  static func makeStore(_ backend: Backend) throws -> (store: any ProjectStore, cleanUp: () -> Void) {
    switch backend {
    case .sqlite:
      let folder = try TestSupport.temporaryDirectory("swath-contract")
      let store = try SQLiteStore(path: folder.appendingPathComponent("swath.sqlite").path)
      return (store, { try? FileManager.default.removeItem(at: folder) })
    case .postgres:
      let store = try PostgresStore(url: try TestPostgres.newDatabase())
      return (store, { store.close() })
    }
  }

  struct Failure: Error {}

  static func image(_ name: String) -> ImageRecord {
    ImageRecord(
      name: name, path: "/data/\(name).tif", sha256: String(repeating: "a", count: 64),
      sizeBytes: 1000, width: 100, height: 80, bands: 3, dataType: "Byte", crsWkt: "WKT",
      epsg: 32633, geotransform: [500_000, 0.3, 0, 5_000_000, 0, -0.3],
      footprint: #"{"type":"Polygon","coordinates":[]}"#, addedAt: Timestamp.now())
  }

  static func task(_ name: String, image: Int64) -> TaskRecord {
    TaskRecord(
      name: name, imageId: image, region: "all", labels: ["building", "vehicle"], chipSize: 64,
      overlap: 0, replicas: 2, iou: 0.5, quorum: 0.5, state: .open, chipDirectory: "chips/\(name)",
      createdAt: Timestamp.now(), closedAt: nil)
  }

  static func chip(_ key: String, task: Int64, column: Int) -> ChipRecord {
    ChipRecord(
      taskId: task, chipKey: key, columnOffset: column, rowOffset: 0, width: 64, height: 64,
      geotransform: [500_000 + Double(column) * 0.3, 0.3, 0, 5_000_000, 0, -0.3],
      footprint: #"{"type":"Polygon","coordinates":[]}"#, minLon: 15, minLat: 45, maxLon: 15.1,
      maxLat: 45.1, validFraction: 0.75, path: "chips/\(key).png")
  }

  static func submission(task: Int64, annotator: String, raw: String) -> SubmissionRecord {
    SubmissionRecord(
      taskId: task, chipId: nil, requestedChip: "r0_c0", annotator: annotator, fileName: "a.geojson",
      pixelCoordinates: false, raw: Data(raw.utf8), receivedAt: Timestamp.now(), receiverPid: 42,
      status: .received, report: nil, reason: nil, supersedes: nil, sourceId: nil, finalisedAt: nil)
  }
}

@Suite struct StoreContractTests {
  @Test(arguments: StoreContract.Backend.allCases) func insertedRowsReadBackEqualWithIds(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let (image, task, chips) = try store.write { store throws in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: try #require(image.id))
      try store.insert(&task)
      var chips: [ChipRecord] = []
      for column in [64, 0] {
        var chip = StoreContract.chip("r0_c\(column / 64)", task: task.id!, column: column)
        try store.insert(&chip)
        chips.append(chip)
      }
      return (image, task, chips)
    }
    try store.read { store throws in
      #expect(try store.image(named: "town") == image)
      #expect(try store.image(id: image.id!) == image)
      #expect(try store.image(named: "nope") == nil)
      #expect(try store.task(named: "roofs") == task)
      #expect(try store.task(id: task.id!)?.labels == ["building", "vehicle"])
      // Chips come back in the order they were recorded, not by key or offset.
      #expect(try store.chips(ofTask: task.id!) == chips)
      #expect(try store.chipIds(ofTask: task.id!) == chips.map { $0.id! })
      #expect(try store.chip(id: chips[1].id!) == chips[1])
      #expect(try store.chip(taskId: task.id!, key: "r0_c1") == chips[0])
      #expect(try store.chip(taskId: task.id!, key: "r9_c9") == nil)
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func listsComeInTheirStatedOrder(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    try store.write { store throws in
      for name in ["b", "c", "a"] {
        var image = StoreContract.image(name)
        try store.insert(&image)
        var task = StoreContract.task("task-\(name)", image: image.id!)
        try store.insert(&task)
      }
    }
    try store.read { store throws in
      #expect(try store.images().map(\.name) == ["a", "b", "c"])
      #expect(try store.tasks().map(\.name) == ["task-a", "task-b", "task-c"])
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func aThrowingWriteLeavesNoRow(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    #expect(throws: StoreContract.Failure.self) {
      try store.write { store throws in
        var image = StoreContract.image("town")
        try store.insert(&image)
        try store.audit(actor: "ana", command: "test", action: "image.add", detail: "town")
        throw StoreContract.Failure()
      }
    }
    try store.read { store throws in
      #expect(try store.images().isEmpty)
      #expect(try store.auditLog().isEmpty)
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func uniqueNamesAreRefusedWithAStoreError(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    try store.write { store throws in
      var image = StoreContract.image("town")
      try store.insert(&image)
    }
    #expect(throws: StoreError.self) {
      try store.write { store throws in
        var image = StoreContract.image("town")
        try store.insert(&image)
      }
    }
    #expect(try store.read { try $0.images().count } == 1)
  }

  @Test(arguments: StoreContract.Backend.allCases) func assignmentsQueueAndSubmittedState(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let (open, closed) = try store.write { store -> (TaskRecord, TaskRecord) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var tasks: [TaskRecord] = []
      for name in ["walls", "roofs"] {
        var task = StoreContract.task(name, image: image.id!)
        try store.insert(&task)
        for column in [0, 64] {
          var chip = StoreContract.chip("r0_c\(column / 64)", task: task.id!, column: column)
          try store.insert(&chip)
          for annotator in ["ben", "ana"] {
            var assignment = AssignmentRecord(
              chipId: chip.id!, annotator: annotator, state: .pending, assignedAt: Timestamp.now())
            try store.insert(&assignment)
          }
        }
        tasks.append(task)
      }
      var closed = tasks[0]
      closed.state = .closed
      closed.closedAt = Timestamp.now()
      try store.update(closed)
      return (tasks[1], closed)
    }
    let chips = try store.read { try $0.chips(ofTask: open.id!) }
    try store.write { store throws in try store.markSubmitted(chipId: chips[0].id!, annotator: "ana") }
    try store.read { store throws in
      let assignments = try store.assignments(ofTask: open.id!)
      #expect(assignments.map(\.annotator) == ["ana", "ana", "ben", "ben"])
      #expect(assignments.map(\.chipId) == [chips[0].id!, chips[1].id!, chips[0].id!, chips[1].id!])
      #expect(assignments.map(\.state) == [.submitted, .pending, .pending, .pending])
      // Closed tasks and submitted assignments are not in the queue.
      let queue = try store.queue(annotator: "ana", taskId: nil)
      #expect(queue.map(\.chip.id) == [chips[1].id])
      #expect(queue.map(\.task.name) == ["roofs"])
      #expect(try store.queue(annotator: "ben", taskId: open.id!).count == 2)
      #expect(try store.queue(annotator: "ben", taskId: closed.id!).isEmpty)
      #expect(try store.task(id: closed.id!)?.state == .closed)
    }
    // Sent back by a reviewer: every assignment on the chip is pending again, the others unchanged.
    try store.write { store throws in
      try store.markSubmitted(chipId: chips[1].id!, annotator: "ben")
      try store.reopenAssignments(chipId: chips[0].id!)
    }
    try store.read { store throws in
      let assignments = try store.assignments(ofTask: open.id!)
      #expect(assignments.map(\.state) == [.pending, .pending, .pending, .submitted])
      #expect(try store.queue(annotator: "ana", taskId: nil).map(\.chip.id) == [chips[0].id, chips[1].id])
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func submissionsKeepTheirBytesStatusAndFeatures(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let raw = "{\"type\":\"FeatureCollection\",\"features\":[]}\u{0}\u{FF}"
    let (task, chip, first, second) = try store.write {
      store -> (TaskRecord, ChipRecord, SubmissionRecord, SubmissionRecord) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      var chip = StoreContract.chip("r0_c0", task: task.id!, column: 0)
      try store.insert(&chip)
      var first = StoreContract.submission(task: task.id!, annotator: "ana", raw: raw)
      try store.insert(&first)
      var second = StoreContract.submission(task: task.id!, annotator: "ana", raw: "{}")
      try store.insert(&second)
      return (task, chip, first, second)
    }
    #expect(try store.read { try $0.submission(id: first.id!) }?.raw == Data(raw.utf8))
    #expect(try store.read { try $0.submissions(withStatus: .received) }.map(\.id) == [first.id, second.id])
    try store.write { store throws in
      for var row in [first, second] {
        row.status = .accepted
        row.chipId = chip.id
        row.finalisedAt = Timestamp.now()
        try store.update(row)
        for index in [1, 0] {
          var feature = SubmissionFeatureRecord(
            submissionId: row.id!, featureIndex: index, label: "building", shape: "polygon",
            geometry: #"{"type":"Polygon","coordinates":[]}"#,
            attributes: index == 0 ? #"{"roof":"flat"}"# : nil)
          try store.insert(&feature)
        }
      }
      // Another annotator's answer, then a rejected file: counted once and not at all.
      var third = StoreContract.submission(task: task.id!, annotator: "ben", raw: "{}")
      third.status = .superseded
      third.chipId = chip.id
      try store.insert(&third)
      var fourth = StoreContract.submission(task: task.id!, annotator: "cyd", raw: "{}")
      fourth.status = .rejected
      fourth.chipId = chip.id
      try store.insert(&fourth)
    }
    try store.read { store throws in
      #expect(try store.submissions(withStatus: .received).isEmpty)
      let accepted = try store.acceptedSubmissions(taskId: task.id!, chipId: chip.id!, annotator: "ana")
      #expect(accepted.map(\.id) == [first.id, second.id])
      #expect(try store.acceptedSubmissions(taskId: task.id!, chipId: chip.id!, annotator: "ben").isEmpty)
      let summaries = try store.submissionSummaries(ofTask: task.id!, annotator: "ana")
      #expect(
        summaries == [
          SubmissionSummary(id: first.id!, chipId: chip.id, annotator: "ana", status: .accepted),
          SubmissionSummary(id: second.id!, chipId: chip.id, annotator: "ana", status: .accepted),
        ])
      #expect(
        try store.submissionSummaries(ofTask: task.id!).map(\.annotator) == ["ana", "ana", "ben", "cyd"])
      #expect(try store.submissionSummaries(ofTask: task.id!, annotator: "dan").isEmpty)
      #expect(try store.answerCounts(ofTask: task.id!) == [chip.id!: 2])
      let features = try store.features(ofSubmissions: [second.id!, first.id!])
      #expect(features.map(\.submissionId) == [first.id!, first.id!, second.id!, second.id!])
      #expect(features.map(\.featureIndex) == [0, 1, 0, 1])
      #expect(features.map(\.attributes) == [#"{"roof":"flat"}"#, nil, #"{"roof":"flat"}"#, nil])
      #expect(try store.features(ofSubmissions: []).isEmpty)
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func consensusRunsNewestFirstAndAuditInOrder(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let task = try store.write { store -> TaskRecord in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      for objects in [3, 5] {
        var run = ConsensusRunRecord(
          taskId: task.id!, parameters: "{}", runAt: Timestamp.now(), submissionCount: 2,
          objectCount: objects, result: "{}", report: "{}")
        try store.insert(&run)
        try store.audit(
          actor: "ana", command: "swath consensus", action: "consensus.run", detail: "\(objects)")
      }
      return task
    }
    try store.read { store throws in
      #expect(try store.consensusRunCount(ofTask: task.id!) == 2)
      #expect(try store.latestConsensusRun(ofTask: task.id!)?.objectCount == 5)
      let log = try store.auditLog()
      #expect(log.map(\.detail) == ["3", "5"])
      #expect(log.allSatisfy { $0.actor == "ana" && $0.action == "consensus.run" && !$0.at.isEmpty })
    }
  }
}

@Suite struct StoreContractAccessTests {
  @Test(arguments: StoreContract.Backend.allCases) func usersByNameAndByTokenHash(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let now = Timestamp.now()
    let ana = try store.write { store throws -> UserRecord in
      var ana = UserRecord(name: "ana", role: .annotator, tokenHash: "aa", createdAt: now, tokenIssuedAt: now)
      try store.insert(&ana)
      var bob = UserRecord(name: "bob", role: .admin, tokenHash: "bb", createdAt: now, tokenIssuedAt: now)
      try store.insert(&bob)
      return ana
    }
    try store.read { store throws in
      #expect(try store.users().map(\.name) == ["ana", "bob"])
      #expect(try store.user(named: "ana") == ana)
      #expect(try store.user(tokenHash: "bb")?.name == "bob")
      #expect(try store.user(tokenHash: "cc") == nil)
    }
    var disabled = ana
    disabled.disabled = true
    disabled.tokenHash = "dd"
    try store.write { store throws in try store.update(disabled) }
    #expect(try store.read { try $0.user(tokenHash: "dd") } == disabled)
    #expect(try store.read { try $0.user(tokenHash: "aa") } == nil)
    // Names and token hashes are unique.
    #expect(throws: StoreError.self) {
      try store.write { store throws in
        var twin = UserRecord(
          name: "ana", role: .analyst, tokenHash: "ee", createdAt: now, tokenIssuedAt: now)
        try store.insert(&twin)
      }
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func leasesFlagsAndIdempotencyRecords(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let (task, chip) = try store.write { store throws -> (TaskRecord, ChipRecord) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      task.distribution = .leased
      task.leaseSeconds = 600
      task.labelSchema = #"{"labels":[{"name":"building"}]}"#
      task.instructions = "Outline every roof.\nBox every car — not the trucks."
      task.chipSource = .onDemand
      task.chipLook =
        #"{"alpha":true,"bands":[1],"stretch":[{"band":1,"max":900,"method":"percentile","min":12}]}"#
      try store.insert(&task)
      var chip = StoreContract.chip("r0_c0", task: task.id!, column: 0)
      try store.insert(&chip)
      return (task, chip)
    }
    #expect(try store.read { try $0.task(id: task.id!) }?.distribution == .leased)
    #expect(try store.read { try $0.task(id: task.id!) }?.labelSchema == #"{"labels":[{"name":"building"}]}"#)
    #expect(
      try store.read { try $0.task(named: "roofs") }?.instructions
        == "Outline every roof.\nBox every car — not the trucks.")
    #expect(try store.read { try $0.task(named: "roofs") }?.chipSource == .onDemand)
    #expect(
      try store.read { try $0.task(named: "roofs") }?.chipLook
        == #"{"alpha":true,"bands":[1],"stretch":[{"band":1,"max":900,"method":"percentile","min":12}]}"#)
    #expect(try store.read { try $0.tasks() }.first?.chipSource == .onDemand)
    let lease = try store.write { store throws -> LeaseRecord in
      var lease = LeaseRecord(
        taskId: task.id!, chipId: chip.id!, annotator: "ana", leasedAt: "2026-01-01T00:00:00.000Z",
        expiresAt: "2026-01-01T00:10:00.000Z")
      try store.insert(&lease)
      var flag = ChipFlagRecord(
        taskId: task.id!, chipId: chip.id!, annotator: "ben", kind: .badImagery, comment: "cloud",
        flaggedAt: "2026-01-01T00:05:00.000Z")
      try store.insert(&flag)
      return lease
    }
    #expect(lease.isActive(at: "2026-01-01T00:09:59.999Z") && !lease.isActive(at: "2026-01-01T00:10:00.000Z"))
    var ended = lease
    ended.endedAt = "2026-01-01T00:01:00.000Z"
    ended.endReason = "released"
    try store.write { store throws in try store.update(ended) }
    let bens = try store.write { store throws -> LeaseRecord in
      var lease = LeaseRecord(
        taskId: task.id!, chipId: chip.id!, annotator: "ben", leasedAt: "2026-01-01T00:02:00.000Z",
        expiresAt: "2026-01-01T00:12:00.000Z")
      try store.insert(&lease)
      return lease
    }
    try store.read { store throws in
      #expect(try store.leases(ofTask: task.id!, runningAt: "2026-01-01T00:05:00.000Z") == [bens])
      #expect(try store.leases(ofTask: task.id!, runningAt: "2026-01-01T00:12:00.000Z").isEmpty)
      #expect(
        try store.leases(ofTask: task.id!, annotator: "ben", runningAt: "2026-01-01T00:11:59.999Z") == [bens])
      // Running at a time: taken by then, not yet ended, not yet expired.
      #expect(try store.leases(ofTask: task.id!, runningAt: "2026-01-01T00:00:30.000Z") == [ended])
      #expect(try store.leases(ofTask: task.id!, runningAt: "2026-01-01T00:01:00.000Z").isEmpty)
      #expect(try store.leases(ofTask: task.id!, runningAt: "2025-12-31T23:59:59.999Z").isEmpty)
      #expect(
        try store.leases(ofTask: task.id!, annotator: "ana", runningAt: "2026-01-01T00:00:00.000Z") == [ended]
      )
      #expect(
        try store.leases(ofTask: task.id!, annotator: "ben", runningAt: "2026-01-01T00:00:30.000Z").isEmpty)
      #expect(
        try store.leases(ofTask: task.id!, annotator: "ana", runningAt: "2026-01-01T00:05:00.000Z").isEmpty)
      // Holding a slot: not ended, not expired, also when stamped after the time asked about.
      #expect(
        try store.leasesHoldingSlots(ofTask: task.id!, at: "2026-01-01T00:00:30.000Z") == [ended, bens])
      #expect(try store.leasesHoldingSlots(ofTask: task.id!, at: "2026-01-01T00:05:00.000Z") == [bens])
      #expect(try store.leasesHoldingSlots(ofTask: task.id!, at: "2026-01-01T00:12:00.000Z").isEmpty)
      #expect(try store.lease(id: lease.id!)?.endReason == "released")
      #expect(try store.chipFlags(ofTask: task.id!).map(\.comment) == ["cloud"])
    }

    let claim = try store.write { store throws -> IdempotencyRecord in
      var record = IdempotencyRecord(
        user: "ana", key: "k1", method: "POST", path: "/x", requestSha256: "abc", createdAt: Timestamp.now())
      try store.insert(&record)
      return record
    }
    var done = claim
    done.status = 201
    done.body = Data([0, 1, 2])
    done.contentType = "application/json"
    try store.write { store throws in try store.update(done) }
    #expect(try store.read { try $0.idempotencyRecord(user: "ana", key: "k1") } == done)
    #expect(try store.read { try $0.idempotencyRecord(user: "ben", key: "k1") } == nil)
    #expect(throws: StoreError.self) {
      try store.write { store throws in
        var twin = IdempotencyRecord(
          user: "ana", key: "k1", method: "POST", path: "/y", requestSha256: "def", createdAt: Timestamp.now()
        )
        try store.insert(&twin)
      }
    }
    try store.write { store throws in try store.deleteIdempotencyRecord(id: claim.id!) }
    #expect(try store.read { try $0.idempotencyRecord(id: claim.id!) } == nil)
  }
}

@Suite struct StoreContractReviewTests {
  @Test(arguments: StoreContract.Backend.allCases) func reviewDecisionsLeasesChipReviewsAndSettings(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let (task, runs, chip) = try store.write { store -> (TaskRecord, [ConsensusRunRecord], ChipRecord) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      var chip = StoreContract.chip("r0_c0", task: task.id!, column: 0)
      try store.insert(&chip)
      var runs: [ConsensusRunRecord] = []
      for _ in 0..<2 {
        var run = ConsensusRunRecord(
          taskId: task.id!, parameters: "{}", runAt: Timestamp.now(), submissionCount: 1, objectCount: 1,
          result: "{}", report: "{}")
        try store.insert(&run)
        runs.append(run)
      }
      return (task, runs, chip)
    }
    let now = Timestamp.now()
    let decisions = try store.write { store -> [ReviewDecisionRecord] in
      var reject = ReviewDecisionRecord(
        taskId: task.id!, runId: runs[0].id!, objectIndex: 2, decision: .reject, reason: "duplicate",
        reviewer: "rev", decidedAt: now)
      try store.insert(&reject)
      var added = ReviewDecisionRecord(
        taskId: task.id!, runId: runs[1].id!, objectIndex: nil, decision: .add, label: "building",
        attributes: #"{"roof":"flat"}"#, geometry: #"{"type":"MultiPolygon","coordinates":[]}"#,
        reviewer: "rev", decidedAt: now, overridden: true)
      try store.insert(&added)
      var carried = reject
      carried.id = nil
      carried.runId = runs[1].id!
      carried.objectIndex = 0
      carried.carriedFrom = reject.id
      try store.insert(&carried)
      return [reject, added, carried]
    }
    #expect(decisions.allSatisfy { $0.id != nil })
    // One decision per object of a run: a second is refused and nothing of its transaction stays.
    #expect(throws: (any Error).self) {
      try store.write { store in
        try store.audit(actor: "x", command: "x", action: "x", detail: "x")
        var again = ReviewDecisionRecord(
          taskId: task.id!, runId: runs[0].id!, objectIndex: 2, decision: .accept, reviewer: "other",
          decidedAt: now)
        try store.insert(&again)
      }
    }
    try store.read { store throws in
      #expect(try store.reviewDecisions(ofTask: task.id!) == decisions)
      #expect(try store.reviewDecisions(ofRun: runs[1].id!) == [decisions[1], decisions[2]])
      #expect(try store.reviewDecisions(ofRun: runs[0].id!).first?.reason == "duplicate")
      #expect(try store.auditLog().isEmpty)
    }

    // Review leases: running until they end or expire.
    let later = Timestamp.string(from: Date().addingTimeInterval(3600))
    let leases = try store.write { store -> [ReviewLeaseRecord] in
      var first = ReviewLeaseRecord(
        taskId: task.id!, runId: runs[1].id!, objectIndex: 0, reviewer: "rev", leasedAt: now, expiresAt: later
      )
      try store.insert(&first)
      var second = ReviewLeaseRecord(
        taskId: task.id!, runId: runs[1].id!, objectIndex: 1, reviewer: "ida", leasedAt: now, expiresAt: later
      )
      try store.insert(&second)
      second.endedAt = now
      try store.update(second)
      return [first, second]
    }
    try store.read { store throws in
      let probe = Timestamp.string(from: Date().addingTimeInterval(1))
      #expect(try store.reviewLeases(ofTask: task.id!, runningAt: probe) == [leases[0]])
      #expect(try store.reviewLeases(ofTask: task.id!, runningAt: later).isEmpty)
    }

    // Chip reviews in order; settings inserted, then replaced.
    try store.write { store in
      var validated = ChipReviewRecord(
        taskId: task.id!, chipId: chip.id!, reviewer: "rev", verdict: .validated, comment: nil,
        reviewedAt: now)
      try store.insert(&validated)
      var invalidated = ChipReviewRecord(
        taskId: task.id!, chipId: chip.id!, reviewer: "rev", verdict: .invalidated, comment: "missed sheds",
        reviewedAt: now, overridden: true)
      try store.insert(&invalidated)
      var settings = ReviewSettingsRecord(taskId: task.id!, accept: 0.9, reject: 0.2)
      try store.save(&settings)
      var replaced = ReviewSettingsRecord(taskId: task.id!, accept: 0.8, reject: 0.1)
      try store.save(&replaced)
      #expect(replaced.id == settings.id)
    }
    try store.read { store throws in
      let reviews = try store.chipReviews(ofTask: task.id!)
      #expect(reviews.map(\.verdict) == [.validated, .invalidated])
      #expect(reviews.last?.comment == "missed sheds" && reviews.last?.overridden == true)
      let settings = try #require(try store.reviewSettings(ofTask: task.id!))
      #expect(settings.accept == 0.8 && settings.reject == 0.1)
      #expect(try store.reviewSettings(ofTask: task.id! + 1) == nil)
    }
  }
}

@Suite struct StoreContractGoldTests {
  @Test(arguments: StoreContract.Backend.allCases)
  func goldChipsAndObjectsAreStoredPerTaskAndReplacedTogether(_ backend: StoreContract.Backend) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let now = Timestamp.now()
    let (task, other, chips) = try store.write { store -> (TaskRecord, TaskRecord, [ChipRecord]) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      var other = StoreContract.task("cars", image: image.id!)
      try store.insert(&other)
      var chips: [ChipRecord] = []
      for column in 0..<3 {
        var chip = StoreContract.chip("r0_c\(column)", task: task.id!, column: column)
        try store.insert(&chip)
        chips.append(chip)
      }
      return (task, other, chips)
    }
    let stored = try store.write { store -> ([GoldChipRecord], [GoldObjectRecord]) in
      // Inserted out of order: listed by chip, objects by feature index.
      var gold: [GoldChipRecord] = []
      for chip in [chips[2], chips[0]] {
        var record = GoldChipRecord(taskId: task.id!, chipId: chip.id!, addedBy: "ana", addedAt: now)
        try store.insert(&record)
        gold.append(record)
      }
      var objects: [GoldObjectRecord] = []
      for index in [1, 0] {
        var object = GoldObjectRecord(
          taskId: task.id!, featureIndex: index, label: "building", shape: "polygon",
          geometry: #"{"type":"Polygon","coordinates":[]}"#,
          attributes: index == 0 ? #"{"roof":"flat"}"# : nil)
        try store.insert(&object)
        objects.append(object)
      }
      return (gold, objects)
    }
    #expect(stored.0.allSatisfy { $0.id != nil } && stored.1.allSatisfy { $0.id != nil })
    try store.read { store throws in
      #expect(try store.goldChips(ofTask: task.id!) == [stored.0[1], stored.0[0]])
      #expect(try store.goldObjects(ofTask: task.id!) == [stored.1[1], stored.1[0]])
      #expect(try store.goldChips(ofTask: other.id!).isEmpty)
      #expect(try store.goldObjects(ofTask: other.id!).isEmpty)
    }
    // A chip is gold once: a second row is refused and nothing of its transaction stays.
    #expect(throws: (any Error).self) {
      try store.write { store in
        try store.audit(actor: "x", command: "x", action: "x", detail: "x")
        var again = GoldChipRecord(taskId: task.id!, chipId: chips[0].id!, addedBy: "ana", addedAt: now)
        try store.insert(&again)
      }
    }
    #expect(try store.read { try $0.auditLog() }.isEmpty)
    // Scores, by id, per task.
    let scores = try store.write { store -> [GoldScoreRecord] in
      var submission = StoreContract.submission(task: task.id!, annotator: "ana", raw: "{}")
      try store.insert(&submission)
      var scores: [GoldScoreRecord] = []
      for (annotator, tp) in [("ben", 1), ("ana", 2)] {
        var score = GoldScoreRecord(
          taskId: task.id!, chipId: chips[0].id!, submissionId: submission.id!, annotator: annotator,
          truePositives: tp, falsePositives: 1, falseNegatives: 0, meanIou: 0.75, scoredAt: now)
        try store.insert(&score)
        scores.append(score)
      }
      return scores
    }
    #expect(try store.read { try $0.goldScores(ofTask: task.id!) } == scores)
    #expect(try store.read { try $0.goldScores(ofTask: other.id!) }.isEmpty)
    // Settings inserted, then replaced.
    try store.write { store in
      var settings = GoldSettingsRecord(taskId: task.id!, minF1: 0.6)
      try store.save(&settings)
      var replaced = GoldSettingsRecord(taskId: task.id!, minF1: 0.7)
      try store.save(&replaced)
      #expect(replaced.id == settings.id)
    }
    #expect(try store.read { try $0.goldSettings(ofTask: task.id!) }?.minF1 == 0.7)
    #expect(try store.read { try $0.goldSettings(ofTask: other.id!) } == nil)
    // Deleting the task's gold removes chips and objects, and only that task's.
    try store.write { store in
      var kept = GoldObjectRecord(
        taskId: other.id!, featureIndex: 0, label: "vehicle", shape: "bbox", geometry: "{}", attributes: nil)
      try store.insert(&kept)
      try store.deleteGold(ofTask: task.id!)
    }
    try store.read { store throws in
      #expect(try store.goldChips(ofTask: task.id!).isEmpty)
      #expect(try store.goldObjects(ofTask: task.id!).isEmpty)
      #expect(try store.goldObjects(ofTask: other.id!).map(\.label) == ["vehicle"])
    }
  }
}

@Suite struct StoreContractJobClaimTests {
  static func queueJobs(_ count: Int, in store: any ProjectStore) throws {
    try store.write { store in
      for index in 0..<count {
        var job = JobRecord(
          kind: .consensus, parameters: #"{"task":"t\#(index)"}"#, createdBy: "lena", createdByRole: .analyst,
          createdAt: Timestamp.now())
        try store.insert(&job)
      }
    }
  }

  /// Eight workers claiming forty jobs at once: each job is claimed exactly once.
  @Test(arguments: StoreContract.Backend.allCases)
  func concurrentClaimsNeverShareAJob(_ backend: StoreContract.Backend) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    try Self.queueJobs(40, in: store)
    let claimed = Mutex<[Int64: String]>([:])
    let failures = Mutex<[String]>([])
    DispatchQueue.concurrentPerform(iterations: 8) { worker in
      let name = "w\(worker)@test"
      while true {
        do {
          let now = Timestamp.now()
          guard let job = try store.claimJob(worker: name, now: now, staleBefore: "2000-01-01T00:00:00.000Z")
          else { return }
          #expect(job.state == .running && job.worker == name && job.heartbeatAt == now)
          claimed.withLock { claims in
            if let first = claims[job.id!] {
              failures.withLock { $0.append("#\(job.id!): \(first) and \(name)") }
            }
            claims[job.id!] = name
          }
        } catch {
          failures.withLock { $0.append("\(error)") }
          return
        }
      }
    }
    #expect(failures.withLock { $0 } == [])
    #expect(claimed.withLock { $0.count } == 40)
    try store.read { store in
      let running = try store.jobs(inState: .running)
      #expect(try running.count == 40 && store.jobs(inState: .queued).isEmpty)
      #expect(
        Dictionary(uniqueKeysWithValues: running.map { ($0.id!, $0.worker!) }) == claimed.withLock { $0 })
    }
  }

  /// A running job is claimed again only once its heartbeat is older than the lapse; its first
  /// worker's heartbeat then fails, and the new worker's holds.
  @Test(arguments: StoreContract.Backend.allCases)
  func aLapsedHeartbeatLetsAnotherWorkerClaimTheJob(_ backend: StoreContract.Backend) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    try Self.queueJobs(1, in: store)
    let first = try #require(
      try store.claimJob(
        worker: "a@one", now: "2026-12-06T10:00:00.000Z", staleBefore: "2026-12-06T09:59:30.000Z"))
    #expect(try store.heartbeat(job: first.id!, worker: "a@one", now: "2026-12-06T10:00:05.000Z"))
    // Not lapsed yet (last beat 10:00:05, lapse boundary 10:00:01): nobody else gets it.
    #expect(
      try store.claimJob(
        worker: "b@two", now: "2026-12-06T10:00:31.000Z", staleBefore: "2026-12-06T10:00:01.000Z")
        == nil)
    let second = try #require(
      try store.claimJob(
        worker: "b@two", now: "2026-12-06T10:00:40.000Z", staleBefore: "2026-12-06T10:00:10.000Z"))
    #expect(
      second.id == first.id && second.worker == "b@two" && second.heartbeatAt == "2026-12-06T10:00:40.000Z")
    #expect(try !store.heartbeat(job: first.id!, worker: "a@one", now: "2026-12-06T10:00:41.000Z"))
    #expect(try store.heartbeat(job: first.id!, worker: "b@two", now: "2026-12-06T10:00:42.000Z"))
    #expect(try store.read { try $0.job(id: first.id!)?.heartbeatAt } == "2026-12-06T10:00:42.000Z")
    // A finished job is nobody's: no heartbeat holds and no claim takes it.
    try store.write { store in
      var job = try #require(try store.job(id: first.id!))
      job.state = .succeeded
      try store.update(job)
    }
    #expect(try !store.heartbeat(job: first.id!, worker: "b@two", now: "2026-12-06T10:00:43.000Z"))
    #expect(
      try store.claimJob(
        worker: "c@three", now: "2026-12-06T11:00:00.000Z", staleBefore: "2026-12-06T10:59:00.000Z")
        == nil)
  }
}

@Suite struct StoreContractSpatialTests {
  /// Chips under a box: overlapping boxes (touching edges count), in the order recorded.
  @Test(arguments: StoreContract.Backend.allCases)
  func chipsOverlappingABoxComeFromTheSpatialIndex(_ backend: StoreContract.Backend) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let taskId = try store.write { store throws -> Int64 in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      // A 3 × 3 grid of 0.1° chips from (15, 45), each with a real footprint.
      for row in 0..<3 {
        for column in 0..<3 {
          let lon = 15 + Double(column) / 10
          let lat = 45 + Double(row) / 10
          var chip = StoreContract.chip("r\(row)_c\(column)", task: task.id!, column: column * 64)
          chip.minLon = lon
          chip.maxLon = lon + 0.1
          chip.minLat = lat
          chip.maxLat = lat + 0.1
          chip.footprint =
            #"{"type":"Polygon","coordinates":[[[\#(lon),\#(lat)],[\#(lon + 0.1),\#(lat)],[\#(lon + 0.1),\#(lat + 0.1)],[\#(lon),\#(lat + 0.1)],[\#(lon),\#(lat)]]]}"#
          try store.insert(&chip)
        }
      }
      return task.id!
    }
    try store.read { store throws in
      func keys(_ box: LonLatBox) throws -> [String] {
        try store.chips(ofTask: taskId, overlapping: box).map(\.chipKey)
      }
      #expect(try keys(LonLatBox(minLon: 15.12, minLat: 45.12, maxLon: 15.18, maxLat: 45.18)) == ["r1_c1"])
      #expect(
        try keys(LonLatBox(minLon: 15.15, minLat: 45.05, maxLon: 15.25, maxLat: 45.15))
          == ["r0_c1", "r0_c2", "r1_c1", "r1_c2"])
      #expect(try keys(LonLatBox(minLon: 16, minLat: 46, maxLon: 17, maxLat: 47)) == [])
      #expect(try keys(LonLatBox(minLon: -180, minLat: -90, maxLon: 180, maxLat: 90)).count == 9)
    }
  }
}

@Suite struct StoreContractFeatureBatchTests {
  /// A submission's shapes inserted at once read back as inserted, each with its own id.
  @Test(arguments: StoreContract.Backend.allCases)
  func featuresInsertedTogetherReadBackWithTheirIds(_ backend: StoreContract.Backend) throws {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    let (submission, features) = try store.write { store throws -> (Int64, [SubmissionFeatureRecord]) in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      var submission = StoreContract.submission(task: task.id!, annotator: "ana", raw: "{}")
      try store.insert(&submission)
      // More than one statement's worth, with and without labels and attributes.
      var features = (0..<1203).map { index in
        SubmissionFeatureRecord(
          submissionId: submission.id!, featureIndex: index, label: index % 3 == 0 ? nil : "building",
          shape: "polygon",
          geometry: #"{"type":"Point","coordinates":[\#(15 + Double(index) / 1e4),45]}"#,
          attributes: index % 2 == 0 ? #"{"roof":"flat"}"# : nil)
      }
      try store.insert(&features)
      return (submission.id!, features)
    }
    #expect(features.allSatisfy { $0.id != nil } && Set(features.compactMap(\.id)).count == features.count)
    #expect(try store.read { try $0.features(ofSubmissions: [submission]) } == features)
  }
}

@Suite struct PostgresScopedWriteTests {
  /// Scoped writes on PostgreSQL: while one annotator's transaction holds a chip, another's skips
  /// it and takes the next at once; a whole-store write and the same annotator's next write wait
  /// until the first transaction ends, and then see what it wrote.
  @Test func scopedWritesSkipHeldChipsAndWholeStoreWritesWaitForThem() throws {
    let (store, cleanUp) = try StoreContract.makeStore(.postgres)
    defer { cleanUp() }
    let chipIds = try store.write { store throws -> [Int64] in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      return try (0..<3).map { column in
        var chip = StoreContract.chip("r0_c\(column)", task: task.id!, column: column * 64)
        try store.insert(&chip)
        return chip.id!
      }
    }
    let held = DispatchSemaphore(value: 0)
    let release = DispatchSemaphore(value: 0)
    let finished = Mutex<[String]>([])
    let done = DispatchGroup()
    func inBackground(_ name: String, _ body: @escaping @Sendable () throws -> Void) {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        do { try body() } catch { finished.withLock { $0.append("\(name) failed: \(error)") } }
        finished.withLock { $0.append(name) }
      }
    }
    inBackground("ana") {
      try store.write(scope: .user("ana")) { store throws in
        #expect(try store.lockFirstFreeChip(among: chipIds) == chipIds[0])
        try store.audit(actor: "ana", command: "test", action: "first", detail: "")
        held.signal()
        release.wait()
      }
    }
    held.wait()
    let taken = try store.write(scope: .user("ben")) { store throws in
      try store.lockFirstFreeChip(among: chipIds)
    }
    #expect(taken == chipIds[1])
    inBackground("whole store") {
      try store.write { store throws in
        #expect(try store.auditLog().map(\.action) == ["first"])
        try store.audit(actor: "lena", command: "test", action: "second", detail: "")
      }
    }
    inBackground("ana again") {
      try store.write(scope: .user("ana")) { store throws in
        #expect(try store.auditLog().first?.action == "first")
      }
    }
    Thread.sleep(forTimeInterval: 0.3)
    // Neither can have finished: the first transaction still holds its locks.
    #expect(finished.withLock { $0 } == [])
    release.signal()
    done.wait()
    #expect(Set(finished.withLock { $0 }) == ["ana", "whole store", "ana again"])
    try store.read { store throws in
      #expect(try store.auditLog().map(\.action).prefix(2) == ["first", "second"])
    }
  }
}
