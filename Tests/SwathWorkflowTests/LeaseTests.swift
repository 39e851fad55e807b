import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Synchronization
import Testing

@testable import SwathWorkflow

/// A leased task over the Atlanta scene: 900 px square, 256 px chips with 32 px overlap.
struct LeasedTask {
  let url: URL
  let store: Workspace

  init(replicas: Int) throws {
    (url, store) = try Fixtures.workspace()
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(AtlantaTask.image).path)
    _ = try store.registerImage(inspection, name: "atlanta", by: .test)
    _ = try store.createTask(
      TaskParameters(
        name: "roofs", imageName: "atlanta", region: "px:0,0,900,900", labels: ["building", "vehicle"],
        chipSize: 256, overlap: 32, replicas: replicas, distribution: .leased, leaseSeconds: 3600),
      by: .test)
  }

  func remove() { try? FileManager.default.removeItem(at: url) }

  func chipKey(_ lease: LeaseRecord?) throws -> String? { try lease.map { try store.chipKey(of: $0) } }

  func submit(_ annotator: String, chip: String) throws -> SubmissionOutcomeReport {
    let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))])
    return try store.submit(
      task: "roofs", annotator: annotator, fileName: "\(annotator).geojson", raw: Data(file.utf8), chip: chip,
      pixel: true, by: Caller(name: annotator, role: .annotator, command: "test"))
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct LeaseTests {
  static func annotator(_ name: String) -> Caller { Caller(name: name, role: .annotator, command: "test") }

  @Test func fewestAnswersFirstThenChipOrderOneLeasePerAnnotator() throws {
    let task = try LeasedTask(replicas: 2)
    defer { task.remove() }
    let store = task.store
    let ana = try #require(try store.lease(task: "roofs", annotator: "ana", by: Self.annotator("ana")))
    #expect(try task.chipKey(ana) == "r0000_c0000")
    // Asking again gives the running lease, not a second one.
    #expect(try store.lease(task: "roofs", annotator: "ana", by: Self.annotator("ana"))?.id == ana.id)
    // Two slots per chip: ben shares chip 0, chloe gets chip 1.
    let ben = try store.lease(task: "roofs", annotator: "ben", by: Self.annotator("ben"))
    #expect(try task.chipKey(ben) == "r0000_c0000")
    let chloe = try store.lease(task: "roofs", annotator: "chloe", by: Self.annotator("chloe"))
    #expect(try task.chipKey(chloe) == "r0000_c0001")

    // An answer ends the lease; the next lease skips the chip answered and prefers fewer answers.
    let answer = try task.submit("ana", chip: "r0000_c0000")
    #expect(answer.results.map(\.status) == ["accepted"])
    #expect(try store.runningLeases(of: "ana", by: Self.annotator("ana")).isEmpty)
    let ended = try #require(try store.store.read { try $0.lease(id: ana.id!) })
    #expect(ended.endReason == "answered" && ended.endedAt != nil)
    let next = try store.lease(task: "roofs", annotator: "ana", by: Self.annotator("ana"))
    #expect(try task.chipKey(next) == "r0000_c0001")
    // Without a running lease on the chip, a file is refused (and kept, as every file is).
    let stray = try task.submit("dan", chip: "r0000_c0002")
    #expect(stray.results.map(\.status) == ["rejected"])
    #expect(stray.results.first?.reason?.contains("holds no running lease on chip 'r0000_c0002'") == true)

    // Released: the chip's slot is free again; a released lease cannot be extended.
    _ = try store.releaseLease(chloe!.id!, by: Self.annotator("chloe"))
    #expect(
      try task.chipKey(store.lease(task: "roofs", annotator: "dan", by: Self.annotator("dan")))
        == "r0000_c0001")
    let extend = #expect(throws: WorkflowError.self) {
      try store.extendLease(chloe!.id!, by: Self.annotator("chloe"))
    }
    #expect(extend?.kind == .conflict)
    // Another annotator's lease does not exist for ben.
    let foreign = #expect(throws: WorkflowError.self) {
      try store.releaseLease(next!.id!, by: Self.annotator("ben"))
    }
    #expect(foreign?.kind == .notFound && foreign?.message == "no lease #\(next!.id!)")
  }

  @Test(.sqliteFileOnly) func expiredLeasesReturnTheChipAndExtendingMovesTheEnd() throws {
    let task = try LeasedTask(replicas: 1)
    defer { task.remove() }
    let store = task.store
    let ana = try #require(try store.lease(task: "roofs", annotator: "ana", by: Self.annotator("ana")))
    let extended = try store.extendLease(ana.id!, by: Self.annotator("ana"))
    #expect(extended.expiresAt >= ana.expiresAt)
    // Let it run out (its end moved into the past from the test side): the chip is free again.
    try store.sqlWrite { db in
      try db.execute(
        sql: "UPDATE leases SET expires_at = '2000-01-01T00:00:00.000Z' WHERE id = ?", arguments: [ana.id!])
    }
    #expect(
      try task.chipKey(store.lease(task: "roofs", annotator: "ben", by: Self.annotator("ben")))
        == "r0000_c0000")
    let late = #expect(throws: WorkflowError.self) {
      try store.extendLease(ana.id!, by: Self.annotator("ana"))
    }
    #expect(late?.kind == .conflict && late?.message.contains("expired") == true)
    #expect(try task.submit("ana", chip: "r0000_c0000").results.map(\.status) == ["rejected"])
  }

  @Test func modesExcludeEachOther() throws {
    let task = try LeasedTask(replicas: 1)
    defer { task.remove() }
    let assign = #expect(throws: WorkflowError.self) {
      try task.store.assign(task: "roofs", annotators: ["ana"], by: .test)
    }
    #expect(assign?.kind == .conflict)
    try Fixtures.seedTask(task.store, name: "walls", chipSize: 400)
    let lease = #expect(throws: WorkflowError.self) {
      try task.store.lease(task: "walls", annotator: "ana", by: Self.annotator("ana"))
    }
    #expect(lease?.kind == .conflict && lease?.message.contains("gives out no leases") == true)
  }

  /// 16 processes ask at once for one-answer chips: 16 different chips, one lease each.
  @Test(.sqliteFileOnly) func sixteenConcurrentClaimsNeverShareASlot() throws {
    let task = try LeasedTask(replicas: 1)
    defer { task.remove() }
    let names = (1...8).map { "annotator\($0)" } + (9...16).map { "annotator\($0)" }
    for name in names.suffix(8) { _ = try task.store.addUser(name, role: .annotator, by: .test) }
    let processes = names.map { name -> Process in
      let process = Process()
      process.executableURL = TestSupport.swathBinary
      process.arguments = ["lease", "roofs", "--annotator", name, "--json", "--workspace", task.url.path]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      return process
    }
    for process in processes { try process.run() }
    for process in processes { process.waitUntilExit() }
    #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 16))
    let leases = try task.store.sql { db in try LeaseRecord.fetchAll(db) }
    #expect(leases.count == 16)
    #expect(Set(leases.map(\.annotator)).count == 16)
    #expect(Set(leases.map(\.chipId)).count == 16)
    try checkConsistency(task.store)
  }

  /// Twenty annotators on threads of their own lease and answer until no chip needs them: on
  /// PostgreSQL their writes run side by side (each in the annotator's own scope, chips claimed
  /// with SKIP LOCKED), and still every chip ends with exactly its two answers, nobody answers a
  /// chip twice, and no lease is left running.
  @Test func annotatorsLeasingAndAnsweringAtOnceFillEverySlotExactly() throws {
    let task = try LeasedTask(replicas: 2)
    defer { task.remove() }
    let names = (1...20).map { "worker\($0)" }
    for name in names { _ = try task.store.addUser(name, role: .annotator, by: .test) }
    let failures = Mutex<[String]>([])
    let answered = Mutex<[String: [String]]>([:])
    let done = DispatchGroup()
    for name in names {
      done.enter()
      Thread.detachNewThread {
        defer { done.leave() }
        do {
          while let lease = try task.store.lease(task: "roofs", annotator: name, by: Self.annotator(name)) {
            let chip = try task.chipKey(lease) ?? "?"
            let statuses = try task.submit(name, chip: chip).results.map(\.status)
            guard statuses == ["accepted"] else { throw WorkflowError("\(name) on \(chip): \(statuses)") }
            answered.withLock { $0[chip, default: []].append(name) }
          }
        } catch {
          failures.withLock { $0.append("\(name): \(error)") }
        }
      }
    }
    done.wait()
    #expect(failures.withLock { $0 } == [])
    let chips = try task.store.count("SELECT COUNT(*) FROM chips")
    let answers = answered.withLock { $0 }
    #expect(answers.count == chips)
    #expect(
      answers.values.allSatisfy { $0.count == 2 && Set($0).count == 2 },
      "\(answers.filter { $0.value.count != 2 || Set($0.value).count != 2 })")
    #expect(try task.store.count("SELECT COUNT(*) FROM submissions WHERE status = 'accepted'") == 2 * chips)
    #expect(try task.store.count("SELECT COUNT(*) FROM leases WHERE ended_at IS NULL") == 0)
    #expect(try task.store.count("SELECT COUNT(*) FROM leases") == 2 * chips)
    try checkConsistency(task.store)
  }

  @Test func consensusOnALeasedTaskCountsTheAnnotatorsWhoAnswered() throws {
    let task = try LeasedTask(replicas: 2)
    defer { task.remove() }
    // Both lease before either answers (afterwards the chip with fewer answers would come first).
    for annotator in ["ana", "ben"] {
      let lease = try task.store.lease(task: "roofs", annotator: annotator, by: Self.annotator(annotator))
      #expect(try task.chipKey(lease) == "r0000_c0000")
    }
    for annotator in ["ana", "ben"] {
      #expect(try task.submit(annotator, chip: "r0000_c0000").results.map(\.status) == ["accepted"])
    }
    let run = try task.store.runConsensus(task: "roofs", by: .test)
    #expect(run.accepted == 1 && run.annotators == 2 && run.unsubmitted == 0)
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ChipFlagTests {
  static func annotator(_ name: String) -> Caller { Caller(name: name, role: .annotator, command: "test") }

  @Test func flagsAreNoVotesAndTwoBadImageryReportsWithdrawAChip() throws {
    let task = try LeasedTask(replicas: 3)
    defer { task.remove() }
    let store = task.store
    for name in ["ana", "ben", "chloe"] {
      #expect(
        try task.chipKey(store.lease(task: "roofs", annotator: name, by: Self.annotator(name)))
          == "r0000_c0000")
    }
    _ = try store.flagChip(
      task: "roofs", chip: "r0000_c0000", annotator: "ana", kind: .badImagery, comment: "cloud",
      by: Self.annotator("ana"))
    // The flag ended ana's lease, and the chip is not offered to her again.
    #expect(try store.runningLeases(of: "ana", by: Self.annotator("ana")).isEmpty)
    #expect(
      try task.chipKey(store.lease(task: "roofs", annotator: "ana", by: Self.annotator("ana")))
        == "r0000_c0001")
    #expect(try store.status(task: "roofs", by: .test).withdrawnChips.isEmpty)
    // A skip is no report of bad imagery.
    _ = try store.flagChip(
      task: "roofs", chip: "r0000_c0000", annotator: "chloe", kind: .skip, comment: nil,
      by: Self.annotator("chloe"))
    #expect(try store.status(task: "roofs", by: .test).withdrawnChips.isEmpty)
    _ = try store.flagChip(
      task: "roofs", chip: "r0000_c0000", annotator: "ben", kind: .badImagery, comment: nil,
      by: Self.annotator("ben"))
    #expect(try store.status(task: "roofs", by: .test).withdrawnChips == ["r0000_c0000"])
    // Withdrawn: dan, who never saw it, is not offered it either.
    #expect(
      try task.chipKey(store.lease(task: "roofs", annotator: "dan", by: Self.annotator("dan")))
        == "r0000_c0001")
    // No votes were cast: nothing to run consensus on.
    #expect(throws: WorkflowError.self) { try store.runConsensus(task: "roofs", by: .test) }
    // Only a chip one holds can be flagged; flags are in the audit log with their comment stored.
    let stray = #expect(throws: WorkflowError.self) {
      try store.flagChip(
        task: "roofs", chip: "r0000_c0002", annotator: "ana", kind: .skip, comment: nil,
        by: Self.annotator("ana"))
    }
    #expect(stray?.kind == .conflict)
    let flags = try store.store.read { store in try store.chipFlags(ofTask: store.task(named: "roofs")!.id!) }
    #expect(flags.map(\.kind) == [.badImagery, .skip, .badImagery] && flags.first?.comment == "cloud")
    let status = try TestSupport.swath(["status", "roofs", "--workspace", task.url.path])
    #expect(
      status.stdout.contains("withdrawn as bad imagery (look at them): r0000_c0000"), "\(status.stdout)")
    let cli = try TestSupport.swath([
      "flag", "roofs", "r0000_c0001", "skip", "--annotator", "ana", "--workspace", task.url.path,
    ])
    #expect(
      cli.status == 0 && cli.stdout == "chip r0000_c0001 of task 'roofs' flagged skip by ana\n",
      "\(cli.stderr)")
  }
}
