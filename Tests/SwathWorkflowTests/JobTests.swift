import Foundation
import SwathStore
import SwathTestSupport
import Synchronization
import Testing

@testable import SwathWorkflow

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct JobTests {
  /// A fixture workspace with the Atlanta scene registered as `atlanta`.
  static func workspaceWithAtlanta() throws -> (URL, Workspace) {
    let (url, store) = try Fixtures.workspace()
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(AtlantaTask.image).path)
    _ = try store.registerImage(inspection, name: "atlanta", by: .test)
    return (url, store)
  }

  @Test func queuedJobsRunWithTheirCallersRightsAndRecordTheOutcome() throws {
    let (url, store) = try JobTests.workspaceWithAtlanta()
    defer { try? FileManager.default.removeItem(at: url) }
    let analyst = Caller(name: "lena", role: .analyst, command: "test")
    let parameters = TaskParameters(
      name: "small", imageName: "atlanta", region: "px:0,0,512,512", labels: ["building"], chipSize: 256,
      overlap: 0, replicas: 1)
    // Refused at once when it cannot work; queued otherwise, and nothing is done until a worker runs.
    #expect(throws: WorkflowError.self) {
      try store.enqueueTaskCreation(
        TaskParameters(name: "x", imageName: "nope", region: "all", labels: ["building"]), by: analyst)
    }
    let annotator = Caller(name: "ana", role: .annotator, command: "test")
    #expect(throws: WorkflowError.self) { try store.enqueueTaskCreation(parameters, by: annotator) }
    let queued = try store.enqueueTaskCreation(parameters, by: analyst)
    let tasksBefore = try store.taskSummaries(by: analyst)
    #expect(queued.state == .queued && tasksBefore.isEmpty)

    let done = try #require(try store.runNextJob())
    #expect(done.id == queued.id && done.state == .succeeded && done.worker != nil)
    #expect(done.step == "chips" && done.total == 4 && done.done == 4, "\(done)")
    let view = JobView(done)
    #expect(view.percent == 100 && view.result?["chips"]?.integerValue == 4)
    #expect(try store.taskSummary(named: "small", by: analyst).chips == 4)
    // Run as the analyst who queued it: the audit log says so.
    let created = try store.auditLog(task: "small", by: .test).first { $0.action == "task.create" }
    #expect(created?.actor == "lena" && created?.command == "job #\(queued.id!)")
    #expect(try store.runNextJob() == nil)

    // A job that cannot succeed records why; its owner and analysts see it, others do not.
    let consensus = try store.enqueueConsensus(task: "small", by: analyst)
    let failed = try #require(try store.runNextJob())
    #expect(failed.id == consensus.id && failed.state == .failed)
    #expect(failed.error == "task 'small' has no accepted submission yet")
    #expect(try store.job(consensus.id!, by: analyst).state == .failed)
    let hidden = #expect(throws: WorkflowError.self) { try store.job(consensus.id!, by: annotator) }
    #expect(hidden?.kind == .notFound)
  }

  /// A job left running by a worker that died is queued again and run to the end.
  @Test func jobsOfADeadWorkerAreTakenOver() throws {
    let (url, store) = try JobTests.workspaceWithAtlanta()
    defer { try? FileManager.default.removeItem(at: url) }
    let job = try store.enqueueTaskCreation(
      TaskParameters(
        name: "orphan", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: .test)
    // A process that has exited: its pid names nobody now.
    let gone = Process()
    gone.executableURL = URL(fileURLWithPath: "/bin/true")
    try gone.run()
    gone.waitUntilExit()
    try store.store.write { store in
      var record = try #require(try store.job(id: job.id!))
      record.state = .running
      record.worker = "\(gone.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
      try store.update(record)
    }
    let finished = try #require(try store.runNextJob())
    #expect(finished.id == job.id && finished.state == .succeeded)
    #expect(try store.taskSummary(named: "orphan", by: .test).chips == 1)

    // A worker that died after recording its task, before recording the job's outcome: the
    // job, taken over, finds the task it made instead of failing on "task exists".
    let second = try store.enqueueTaskCreation(
      TaskParameters(
        name: "made", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: .test)
    _ = try store.createTask(
      TaskParameters(
        name: "made", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: Caller(name: "test", role: .admin, command: "job #\(second.id!)"))
    try store.store.write { store in
      var record = try #require(try store.job(id: second.id!))
      record.state = .running
      record.worker = "\(gone.processIdentifier)@\(ProcessInfo.processInfo.hostName)"
      try store.update(record)
    }
    let recovered = try #require(try store.runNextJob())
    #expect(recovered.id == second.id && recovered.state == .succeeded, "\(recovered.error ?? "")")
    #expect(JobView(recovered).result?["name"]?.stringValue == "made")
    // Another job asking for a name that exists, made by someone else, still fails.
    _ = try store.enqueueTaskCreation(
      TaskParameters(
        name: "other", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: .test)
    _ = try store.createTask(
      TaskParameters(
        name: "other", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: .test)
    let clash = try #require(try store.runNextJob())
    #expect(clash.state == .failed && clash.error == "a task named 'other' already exists")
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct JobHeartbeatTests {
  /// A worker on another machine died mid-job (its heartbeat stopped): after the lapse another
  /// worker takes the job over; a consensus job whose run was already recorded is not run again.
  @Test func aJobWhoseHeartbeatLapsedIsFinishedOnceByAnotherWorker() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let store = task.store
    let square = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(20, 20, 80, 80))])
    for annotator in ["ana", "ben", "chloe"] {
      try task.run([
        "submit", "roofs", try task.file("\(annotator).geojson", square).path, "--annotator", annotator,
        "--chip", "r0000_c0000", "--pixel",
      ])
    }
    let job = try store.enqueueConsensus(task: "roofs", by: .test)
    // The dead worker claimed the job and recorded the run, then vanished before the outcome.
    let claimed = try #require(
      try store.store.claimJob(
        worker: "4242@elsewhere", now: Timestamp.now(), staleBefore: "2000-01-01T00:00:00.000Z"))
    #expect(claimed.id == job.id)
    let made = try store.runConsensus(
      task: "roofs", by: Caller(name: "test", role: .admin, command: "job #\(job.id!)"))
    // Within the lapse nobody takes it over.
    let patient = Workspace.Heartbeat(interval: 0.1, lapse: 60)
    #expect(try store.runNextJob(worker: "1@here", heartbeat: patient) == nil)
    Thread.sleep(forTimeInterval: 0.3)
    let hasty = Workspace.Heartbeat(interval: 0.1, lapse: 0.2)
    let finished = try #require(try store.runNextJob(worker: "1@here", heartbeat: hasty))
    #expect(finished.id == job.id && finished.state == .succeeded && finished.worker == "1@here")
    let result = try #require(JobView(finished).result)
    #expect(result["run"]?.integerValue == made.run.id && result["resumed"] == .bool(true))
    #expect(result["accepted"]?.integerValue == Int64(made.accepted))
    let record = try #require(try store.store.read { try $0.task(named: "roofs") })
    #expect(try store.store.read { try $0.consensusRunCount(ofTask: record.id!) } == 1)
    // The dead worker, were it to come back, can no longer record an outcome.
    #expect(try !store.store.heartbeat(job: job.id!, worker: "4242@elsewhere", now: Timestamp.now()))
  }

  /// While a job runs, its heartbeat advances on its own.
  @Test func aRunningJobBeatsItsHeartbeat() throws {
    let (url, store) = try JobTests.workspaceWithAtlanta()
    defer { try? FileManager.default.removeItem(at: url) }
    let job = try store.enqueueTaskCreation(
      TaskParameters(
        name: "beating", imageName: "atlanta", region: "all", labels: ["building"], chipSize: 128, overlap: 0,
        replicas: 1),
      by: .test)
    let beats = Mutex<Set<String>>([])
    let watcher = Thread {
      while true {
        guard let record = try? store.store.read({ try $0.job(id: job.id!) }) else { continue }
        if record.state == .succeeded || record.state == .failed { return }
        if let beat = record.heartbeatAt { beats.withLock { _ = $0.insert(beat) } }
        Thread.sleep(forTimeInterval: 0.02)
      }
    }
    watcher.start()
    let done = try #require(try store.runNextJob(heartbeat: .init(interval: 0.05, lapse: 10)))
    #expect(done.state == .succeeded)
    Thread.sleep(forTimeInterval: 0.1)
    // The claim's own stamp and at least one beat after it.
    #expect(beats.withLock { $0.count } >= 2, "\(beats.withLock { $0 })")
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ExportJobTests {
  /// An export job: refused at once without a consensus run; once run, its archive is kept in the
  /// store in parts (any node can hand it over), holds the layer GDAL reads, and a second run of
  /// the same job (a worker that died after writing it) leaves one archive, not two.
  @Test func anExportJobKeepsOneArchiveInTheStore() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let store = task.store
    let analyst = Caller(name: "lena", role: .analyst, command: "test")
    let request = ExportRequest(task: "roofs", format: .file(.geojson))
    let early = #expect(throws: WorkflowError.self) { try store.enqueueExport(request, by: analyst) }
    #expect(early?.kind == .conflict && early?.message.contains("no consensus run") == true)
    let square = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(20, 20, 80, 80))])
    for annotator in ["ana", "ben"] {
      try task.run([
        "submit", "roofs", try task.file("\(annotator).geojson", square).path, "--annotator", annotator,
        "--chip", "r0000_c0000", "--pixel",
      ])
    }
    _ = try store.runConsensus(task: "roofs", by: .test)
    let annotator = Caller(name: "ana", role: .annotator, command: "test")
    #expect(throws: WorkflowError.self) { try store.enqueueExport(request, by: annotator) }
    let job = try store.enqueueExport(request, by: analyst)
    let notYet = #expect(throws: WorkflowError.self) { try store.exportArchive(job: job.id!, by: analyst) }
    #expect(notYet?.kind == .conflict)

    let done = try #require(try store.runNextJob())
    #expect(done.id == job.id && done.state == .succeeded, "\(done)")
    let archive = try store.exportArchive(job: job.id!, by: analyst)
    #expect(archive.fileName == "roofs-geojson-job\(job.id!).zip" && archive.parts == 1)
    let bytes = try store.exportArchivePart(archive, index: 0)
    #expect(
      bytes.count == archive.bytes && JobView(done).result?["bytes"]?.integerValue == Int64(bytes.count))
    let zip = task.url.appendingPathComponent("export.zip")
    try bytes.write(to: zip)
    let info = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/ogrinfo"),
      ["-ro", "-al", "-so", "/vsizip/\(zip.path)/roofs/roofs.geojson"])
    #expect(info.stdout.contains("Feature Count: 1"), "\(info.stdout)\(info.stderr)")
    let hidden = #expect(throws: WorkflowError.self) { try store.exportArchive(job: job.id!, by: annotator) }
    #expect(hidden?.kind == .forbidden)

    // The worker died before recording the outcome: the job runs again, and replaces its archive.
    try store.store.write { store in
      var running = try #require(try store.job(id: job.id!))
      running.state = .queued
      running.finishedAt = nil
      try store.update(running)
    }
    #expect(try store.runNextJob()?.state == .succeeded)
    #expect(try store.store.read { try $0.archive(ofJob: job.id!) }?.parts == 1)
    // The same files (the archive's timestamps may differ by the second).
    #expect(
      try store.exportArchivePart(try store.exportArchive(job: job.id!, by: analyst), index: 0).count
        == bytes.count)

    // Training data the same way: a COCO folder with its chip images, archived whole.
    let refused = #expect(throws: WorkflowError.self) {
      try store.enqueueExport(
        ExportRequest(
          task: "roofs", format: .training(.coco), training: ExportRequest.Training(split: [0.5, 0.5])),
        by: analyst)
    }
    #expect(refused?.message.contains("three fractions") == true)
    let coco = try store.enqueueExport(
      ExportRequest(task: "roofs", format: .training(.coco), training: ExportRequest.Training(seed: 3)),
      by: analyst)
    let cocoDone = try #require(try store.runNextJob())
    #expect(cocoDone.id == coco.id && cocoDone.state == .succeeded, "\(cocoDone)")
    #expect(JobView(cocoDone).result?["annotations"]?.integerValue == 1)
    let cocoArchive = try store.exportArchive(job: coco.id!, by: analyst)
    var cocoBytes = Data()
    for index in 0..<cocoArchive.parts { cocoBytes += try store.exportArchivePart(cocoArchive, index: index) }
    let cocoZip = task.url.appendingPathComponent("coco.zip")
    try cocoBytes.write(to: cocoZip)
    let names = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/env"),
      [
        "python3", "-c", "import sys, zipfile; print('\\n'.join(zipfile.ZipFile(sys.argv[1]).namelist()))",
        cocoZip.path,
      ])
    let listed = Set(names.stdout.split(separator: "\n").map(String.init))
    #expect(
      listed.contains("roofs/splits.json") && listed.contains("roofs/images/r0000_c0000.png"), "\(listed)")
    #expect(listed.contains { $0.hasPrefix("roofs/annotations/instances_") && $0.hasSuffix(".json") })

    // A week after its job finished an archive is removed; a newer one stays.
    try store.store.write { store in
      var old = try #require(try store.job(id: job.id!))
      old.finishedAt = Timestamp.string(from: Date().addingTimeInterval(-8 * 24 * 3600))
      try store.update(old)
    }
    #expect(try store.removeExpiredArchives(now: Date()) == 1)
    let expired = #expect(throws: WorkflowError.self) { try store.exportArchive(job: job.id!, by: analyst) }
    #expect(expired?.kind == .notFound && expired?.message.contains("queue the export again") == true)
    #expect(try store.exportArchive(job: coco.id!, by: analyst).parts == cocoArchive.parts)
    #expect(try store.removeExpiredArchives(now: Date()) == 0)
  }
}
