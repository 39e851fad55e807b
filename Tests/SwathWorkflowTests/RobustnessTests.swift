import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// Starts `swath` and kills it with SIGKILL after `delay` seconds (if still running): a kill at a
/// random moment, whatever the process is doing then.
func runAndKill(_ arguments: [String], workspace: URL, after delay: Double) throws -> Int32 {
  let process = Process()
  process.executableURL = TestSupport.swathBinary
  process.arguments = arguments
  var environment = ProcessInfo.processInfo.environment
  environment["SWATH_WORKSPACE"] = workspace.path
  process.environment = environment
  process.standardOutput = FileHandle.nullDevice
  process.standardError = FileHandle.nullDevice
  try process.run()
  Thread.sleep(forTimeInterval: delay)
  kill(process.processIdentifier, SIGKILL)
  process.waitUntilExit()
  return process.terminationStatus
}

/// Runs the fault runner, waits until it has stopped itself at its fault point, and kills it
/// there. Returns whether it was seen stopped (and so killed exactly at that point).
func stopAndKill(_ arguments: [String]) throws -> Bool {
  let process = Process()
  process.executableURL = TestSupport.builtExecutable("swath-fault-runner")
  process.arguments = arguments
  process.standardOutput = FileHandle.nullDevice
  try process.run()
  let stopped = TestSupport.waitUntilStopped(process)
  kill(process.processIdentifier, SIGKILL)
  process.waitUntilExit()
  return stopped && process.terminationStatus == SIGKILL
}

/// Invariants a store must keep whatever happened to the processes that wrote it.
func checkConsistency(_ store: Workspace) throws {
  if !TestPostgres.isSelected {
    try store.sql { db throws in
      #expect(try String.fetchAll(db, sql: "PRAGMA integrity_check") == ["ok"])
      #expect(try Row.fetchAll(db, sql: "PRAGMA foreign_key_check").isEmpty)
    }
  }
  let orphanAssignments = try store.count(
    "SELECT COUNT(*) FROM assignments WHERE chip_id NOT IN (SELECT id FROM chips)")
  #expect(orphanAssignments == 0)
  let tasksWithoutChips = try store.count(
    "SELECT COUNT(*) FROM tasks WHERE id NOT IN (SELECT task_id FROM chips)")
  #expect(tasksWithoutChips == 0)
  let featuresOfRefused = try store.count(
    """
    SELECT COUNT(*) FROM submission_features f JOIN submissions s ON s.id = f.submission_id
    WHERE s.status IN ('received', 'rejected')
    """)
  #expect(featuresOfRefused == 0)
  let doubleAccepted = try store.count(
    """
    SELECT COUNT(*) FROM (SELECT chip_id, annotator FROM submissions WHERE status = 'accepted'
    GROUP BY task_id, chip_id, annotator HAVING COUNT(*) > 1) AS doubles
    """)
  #expect(doubleAccepted == 0)
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct RobustnessTests {
  @Test(.sqliteFileOnly) func eightConcurrentSubmitsAllSucceedAndNoneIsLost() throws {
    let annotators = (1...8).map { "annotator\($0)" }
    let task = try AtlantaTask(annotators: annotators.joined(separator: ","))
    defer { task.remove() }
    // One chip of each annotator, and a file for it.
    let jobs: [(annotator: String, chip: String, file: URL)] = try annotators.map { annotator in
      let chip = try task.store.sql { db in
        try String.fetchOne(
          db,
          sql:
            "SELECT c.chip_key FROM assignments a JOIN chips c ON c.id = a.chip_id WHERE a.annotator = ? ORDER BY c.id",
          arguments: [annotator])!
      }
      let file = try task.file(
        "\(annotator).geojson",
        GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))]))
      return (annotator, chip, file)
    }
    let processes = jobs.map { job -> Process in
      let process = Process()
      process.executableURL = TestSupport.swathBinary
      process.arguments = [
        "submit", "roofs", "--annotator", job.annotator, job.file.path, "--chip", job.chip, "--pixel",
        "--workspace", task.url.path,
      ]
      process.standardOutput = FileHandle.nullDevice
      process.standardError = FileHandle.nullDevice
      return process
    }
    for process in processes { try process.run() }
    for process in processes { process.waitUntilExit() }
    #expect(processes.map(\.terminationStatus) == Array(repeating: 0, count: 8))
    let rows = try task.submissions()
    #expect(rows.count == 8)
    #expect(rows.allSatisfy { $0.status == .accepted })
    #expect(Set(rows.map(\.annotator)) == Set(annotators))
    let features = try task.store.sql { db in try SubmissionFeatureRecord.fetchCount(db) }
    #expect(features == 8)
    try checkConsistency(task.store)
  }

  @Test func killingSubmitAtRandomMomentsLosesNothingAccepted() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let file = try task.file(
      "shape.geojson",
      GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))]))
    try task.run(["submit", "roofs", file.path, "--annotator", "ben", "--chip", "r0000_c0000", "--pixel"])
    var generator = SystemRandomNumberGenerator()
    for round in 0..<12 {
      let chip = "r000\(round % 4)_c000\((round / 4) % 4)"
      _ = try runAndKill(
        ["submit", "roofs", file.path, "--annotator", "ana", "--chip", chip, "--pixel"],
        workspace: task.url, after: Double.random(in: 0.05...0.8, using: &generator))
      try checkConsistency(task.store)
    }
    // Kills exactly between storing the raw file and finalising it: the fault runner stops
    // itself there, and is killed once it is seen stopped.
    for chip in ["r0003_c0001", "r0003_c0002", "r0003_c0003"] {
      #expect(try stopAndKill(["stop-after-receive", task.url.path, "roofs", "ana", file.path, chip]))
      try checkConsistency(task.store)
      // Left `received`, bytes intact (the next submit finishes the previous one first).
      let waiting = try task.submissions().filter { $0.status == .received }
      #expect(waiting.map(\.requestedChip) == [chip])
      #expect(waiting.allSatisfy { $0.raw == (try? Data(contentsOf: file)) })
    }
    // The baseline accepted submission is untouched.
    let baseline = try task.submissions().first!
    #expect(baseline.annotator == "ben" && baseline.status == .accepted)
    #expect(baseline.raw == (try Data(contentsOf: file)))
    // A later submit finishes what the killed ones left `received`.
    try task.run(["submit", "roofs", file.path, "--annotator", "chloe", "--chip", "r0000_c0000", "--pixel"])
    let rows = try task.submissions()
    #expect(!rows.contains { $0.status == .received })
    for chip in ["r0003_c0001", "r0003_c0002", "r0003_c0003"] {
      let id = try task.chip(chip).id
      #expect(rows.contains { $0.chipId == id && $0.annotator == "ana" && $0.status == .accepted })
    }
    #expect(rows.allSatisfy { $0.raw == (try? Data(contentsOf: file)) })
    try checkConsistency(task.store)
  }

  @Test(.sqliteFileOnly) func killingTaskCreateLeavesNoHalfTask() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    _ = try TestSupport.swath([
      "image", "add", TestSupport.image(AtlantaTask.image).path, "--name", "atlanta", "--workspace",
      url.path,
    ])
    var generator = SystemRandomNumberGenerator()
    for round in 0..<6 {
      _ = try runAndKill(
        [
          "task", "create", "--image", "atlanta", "--region", "px:0,0,900,900", "--labels",
          "building", "--chip-size", "128", "--overlap", "16", "--name", "t\(round)",
        ], workspace: url, after: Double.random(in: 0.05...1.5, using: &generator))
      try checkConsistency(store)
    }
    let finished = try TestSupport.swath([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,900,900", "--labels", "building",
      "--chip-size", "128", "--overlap", "16", "--name", "final", "--workspace", url.path,
    ])
    #expect(finished.status == 0, "\(finished.stderr)")
    try checkConsistency(store)
    let tasks = try store.sql { db in try TaskRecord.fetchAll(db) }
    #expect(tasks.contains { $0.name == "final" })
    let folders = try FileManager.default.contentsOfDirectory(atPath: store.chipsDirectory.path)
    // Every folder left is a recorded task's: killed runs' temporaries and orphans are gone.
    #expect(Set(folders) == Set(tasks.map(\.name)), "\(folders)")
    for task in tasks {
      let chips = try store.sql { db in
        try SwathStore.ChipRecord.filter(Column("task_id") == task.id!).fetchAll(db)
      }
      #expect(chips.count == 64)
      #expect(
        chips.allSatisfy { FileManager.default.fileExists(atPath: url.appendingPathComponent($0.path).path) })
    }
  }

  /// Killed with 5 chips cut: no task row, and the next task create removes the leftovers.
  @Test func killingTaskCreateWhileTilingLeavesNoTask() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    _ = try TestSupport.swath([
      "image", "add", TestSupport.image(AtlantaTask.image).path, "--name", "atlanta", "--workspace",
      url.path,
    ])
    #expect(try stopAndKill(["stop-while-tiling", url.path, "atlanta", "half", "5"]))
    try checkConsistency(store)
    #expect(try store.taskSummaries(by: .test).isEmpty)
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: store.chipsDirectory.path)
    #expect(leftovers.count == 1 && leftovers[0].hasPrefix(".tmp-"), "\(leftovers)")
    let finished = try TestSupport.swath([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,900,900", "--labels", "building",
      "--chip-size", "128", "--overlap", "16", "--name", "half", "--workspace", url.path,
    ])
    #expect(finished.status == 0, "\(finished.stderr)")
    #expect(try FileManager.default.contentsOfDirectory(atPath: store.chipsDirectory.path) == ["half"])
    #expect(try store.taskSummary(named: "half", by: .test).chips == 64)
  }

  /// Killed while the engine runs: no run row, no audit entry; the next run is whole.
  @Test(.sqliteFileOnly) func killingConsensusWhileTheEngineRunsLeavesNoRun() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let file = try task.file(
      "ana.geojson", GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))]))
    try task.run(["submit", "roofs", file.path, "--annotator", "ana", "--chip", "r0000_c0000", "--pixel"])
    #expect(try stopAndKill(["stop-in-consensus", task.url.path, "roofs"]))
    try checkConsistency(task.store)
    #expect(try task.store.sql { db in try ConsensusRunRecord.fetchCount(db) } == 0)
    #expect(
      try task.store.sql { db in try AuditEntry.filter(Column("action") == "consensus.run").fetchCount(db) }
        == 0)
    let finished = try task.run(["consensus", "roofs"])
    #expect(finished.stdout.contains("consensus run #1 "), "\(finished.stdout)")
  }

  @Test(.sqliteFileOnly) func killingConsensusLeavesOnlyWholeRuns() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    for (index, annotator) in ["ana", "ben", "chloe"].enumerated() {
      let shift = Double(index)
      let file = try task.file(
        "\(annotator).geojson",
        GeoJSONFixture.collection([
          ("building", GeoJSONFixture.pixelSquare(30 + shift, 30, 90 + shift, 80)),
          ("vehicle", GeoJSONFixture.pixelSquare(150, 150 + shift, 170, 162 + shift)),
        ]))
      for chip in ["r0000_c0000", "r0001_c0001", "r0002_c0002"] {
        try task.run(["submit", "roofs", file.path, "--annotator", annotator, "--chip", chip, "--pixel"])
      }
    }
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<8 {
      _ = try runAndKill(
        ["consensus", "roofs"], workspace: task.url,
        after: Double.random(in: 0.05...1.2, using: &generator))
      try checkConsistency(task.store)
      for run in try task.store.sql({ db in try ConsensusRunRecord.fetchAll(db) }) {
        #expect(try Export.parseResult(run.result).count >= run.objectCount)
        #expect((try? JSONSerialization.jsonObject(with: Data(run.report.utf8))) != nil)
      }
    }
    let finished = try task.run(["consensus", "roofs"])
    #expect(finished.stdout.contains("6 object(s) agreed"), "\(finished.stdout)")
    let runs = try task.store.sql { db in try ConsensusRunRecord.fetchAll(db) }
    #expect(runs.last?.objectCount == 6)
    let audit = try task.store.sql { db in
      try AuditEntry.filter(Column("action") == "consensus.run").fetchCount(db)
    }
    #expect(audit == runs.count)
  }
}
