import Foundation
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathSupport

/// A job as a front end shows it.
public struct JobView: Codable, Sendable {
  public var id: Int64
  public var kind: String
  public var state: String
  public var step: String?
  public var done: Int
  public var total: Int?
  /// done / total, when the total is known.
  public var percent: Double?
  public var result: JSONValue?
  public var error: String?
  public var createdBy: String
  public var createdAt: String
  public var startedAt: String?
  public var finishedAt: String?

  enum CodingKeys: String, CodingKey {
    case id, kind, state, step, done, total, percent, result, error
    case createdBy = "created_by"
    case createdAt = "created_at"
    case startedAt = "started_at"
    case finishedAt = "finished_at"
  }

  public init(_ job: JobRecord) {
    id = job.id ?? 0
    kind = job.kind.rawValue
    state = job.state.rawValue
    step = job.step
    done = job.done
    total = job.total
    percent = job.total.flatMap { $0 > 0 ? min(100, 100 * Double(job.done) / Double($0)) : nil }
    result = job.result.flatMap { try? JSONValue(parsing: $0) }
    error = job.error
    createdBy = job.createdBy
    createdAt = job.createdAt
    startedAt = job.startedAt
    finishedAt = job.finishedAt
  }
}

/// What a consensus job runs with (the task's own settings where nil).
struct ConsensusJobParameters: Codable, Sendable {
  var task: String
  var iou: Double?
  var quorum: String?
  var method: String?
  var minConfidence: Double?
}

/// Background jobs: cutting a task and running consensus take from seconds to minutes, so a
/// front end queues them and shows their progress; a worker (`swath serve` runs one) claims them
/// one at a time. A job whose worker died is queued again.
extension Workspace {
  /// Queues the creation of a task; refused at once when the request cannot work (bad
  /// parameters, an unknown image, a name taken).
  public func enqueueTaskCreation(_ parameters: TaskParameters, by caller: Caller) throws -> JobRecord {
    try caller.require(.manageTasks)
    try parameters.validate()
    try store.read { store in
      _ = try store.requireImage(named: parameters.imageName)
      if try store.task(named: parameters.name) != nil {
        throw WorkflowError("a task named '\(parameters.name)' already exists", kind: .conflict)
      }
    }
    return try enqueue(.createTask, parameters: parameters, by: caller)
  }

  /// Queues a consensus run of a task.
  public func enqueueConsensus(
    task: String, iou: IoUThreshold? = nil, quorum: Quorum? = nil, method: ConsensusMethod? = nil,
    minConfidence: Double? = nil, by caller: Caller
  ) throws -> JobRecord {
    try caller.require(.runConsensus)
    _ = try store.read { store in try store.requireTask(named: task) }
    let parameters = ConsensusJobParameters(
      task: task, iou: iou?.value, quorum: quorum?.description, method: method?.rawValue,
      minConfidence: minConfidence)
    return try enqueue(.consensus, parameters: parameters, by: caller)
  }

  /// A job, for the user who queued it and for analysts; nobody else learns it exists.
  public func job(_ id: Int64, by caller: Caller) throws -> JobRecord {
    guard let job = try store.read({ store in try store.job(id: id) }),
      job.createdBy == caller.name || caller.role.may(.viewTaskStatus)
    else { throw WorkflowError("no job #\(id)", kind: .notFound) }
    return job
  }

  /// How often a worker says it is still working on its job, and how long after its last word
  /// another worker takes the job over (a machine that died says nothing).
  public struct Heartbeat: Sendable {
    public var interval: TimeInterval
    public var lapse: TimeInterval
    public static let standard = Heartbeat(interval: 5, lapse: 30)

    public init(interval: TimeInterval, lapse: TimeInterval) {
      self.interval = interval
      self.lapse = lapse
    }
  }

  /// Claims the oldest queued job, or a running one whose worker is gone (its process ended on
  /// this machine, or its heartbeat lapsed on any), runs it with the rights of the user who
  /// queued it while beating its heartbeat, and records its outcome. Nil when there is nothing
  /// to do. A job is claimed by one worker at a time, and running it twice leaves one result.
  @discardableResult
  public func runNextJob(worker: String = Idempotency.thisProcess, heartbeat: Heartbeat = .standard) throws
    -> JobRecord?
  {
    // Looked for in a snapshot first: every idle worker asks several times a second, and a write
    // transaction would take the store's write lock each time for nothing.
    let orphaned = { (store: any StoreReader) in
      try store.jobs(inState: .running).filter { Idempotency.ownerIsGone($0.worker) }
    }
    if try !store.read(orphaned).isEmpty {
      try store.write { store in
        for var orphan in try orphaned(store) {
          orphan.state = .queued
          orphan.worker = nil
          try store.update(orphan)
        }
      }
    }
    try removeExpiredArchives()
    let now = Date()
    guard
      var job = try store.claimJob(
        worker: worker, now: Timestamp.string(from: now),
        staleBefore: Timestamp.string(from: now.addingTimeInterval(-heartbeat.lapse)))
    else { return nil }
    let beat = HeartbeatThread(job: job.id!, worker: worker, store: store, interval: heartbeat.interval)
    defer { beat.stop() }
    let caller = Caller(name: job.createdBy, role: job.createdByRole, command: "job #\(job.id!)")
    let progress = JobProgress(job: job.id!, worker: worker, store: store)
    do {
      let result: JSONValue
      switch job.kind {
      case .createTask:
        let parameters = try JSONDecoder().decode(TaskParameters.self, from: Data(job.parameters.utf8))
        // A worker that died after recording the task but before recording the job's outcome
        // left the task behind: its audit entry (same transaction) says this job made it.
        if try !taskCreated(byJob: job.id!, named: parameters.name) {
          _ = try createTask(parameters, by: caller, progress: progress)
        }
        result = try JSONValueEncoder().encode(try taskSummary(named: parameters.name, by: caller))
      case .consensus:
        let parameters = try JSONDecoder().decode(
          ConsensusJobParameters.self, from: Data(job.parameters.utf8))
        // A worker that died after recording the run, before recording the job's outcome: the
        // run's audit entry (same transaction) says this job made it, so it is not run again.
        if let recorded = try consensusRun(byJob: job.id!) {
          result = recorded
          break
        }
        let outcome = try runConsensus(
          task: parameters.task, iou: try parameters.iou.map(IoUThreshold.init),
          quorum: parameters.quorum.flatMap(Quorum.init),
          method: parameters.method.flatMap(ConsensusMethod.init),
          minConfidence: parameters.minConfidence, by: caller, progress: progress)
        result = .object([
          "task": .string(parameters.task), "run": .integer(outcome.run.id ?? 0),
          "accepted": .integer(Int64(outcome.accepted)), "rejected": .integer(Int64(outcome.rejected)),
          "annotators": .integer(Int64(outcome.annotators)),
          "unsubmitted": .integer(Int64(outcome.unsubmitted)),
        ])
      case .export:
        let request = try JSONDecoder().decode(ExportRequest.self, from: Data(job.parameters.utf8))
        result = try runExport(job: job.id!, request, by: caller, progress: progress)
      }
      progress.flush()
      job = try finish(job.id!, worker: worker) {
        $0.state = .succeeded
        $0.result = result.jsonText
      }
    } catch let error as StoreError where error.unavailable {
      // The database went away: the job is not failed, only unfinished. Another worker takes it
      // over when its heartbeat lapses.
      throw error
    } catch {
      progress.flush()
      let message = (error as? WorkflowError)?.message ?? (error as? StoreError)?.message ?? "\(error)"
      job = try finish(job.id!, worker: worker) {
        $0.state = .failed
        $0.error = message
      }
    }
    return job
  }

  /// The run a consensus job recorded, as its result, from the run's audit entry
  /// (`#RUN task=NAME submissions=N accepted=A rejected=R`).
  private func consensusRun(byJob id: Int64) throws -> JSONValue? {
    guard
      let entry = try store.read({ store in
        try store.auditLog().last { $0.action == "consensus.run" && $0.command == "job #\(id)" }
      })
    else { return nil }
    var fields: [String: String] = [:]
    for part in entry.detail.split(separator: " ") {
      if part.hasPrefix("#") { fields["run"] = String(part.dropFirst()) }
      if let equals = part.firstIndex(of: "=") {
        fields[String(part[..<equals])] = String(part[part.index(after: equals)...])
      }
    }
    return .object([
      "task": .string(fields["task"] ?? ""), "run": .integer(Int64(fields["run"] ?? "") ?? 0),
      "accepted": .integer(Int64(fields["accepted"] ?? "") ?? 0),
      "rejected": .integer(Int64(fields["rejected"] ?? "") ?? 0), "resumed": .bool(true),
    ])
  }

  private func taskCreated(byJob id: Int64, named name: String) throws -> Bool {
    try store.read { store in
      guard try store.task(named: name) != nil else { return false }
      return try store.auditLog().contains {
        $0.action == "task.create" && $0.command == "job #\(id)" && $0.detail.hasPrefix("\(name) ")
      }
    }
  }

  func enqueue(_ kind: JobKind, parameters: some Encodable, by caller: Caller) throws -> JobRecord {
    let text = String(decoding: try JSONValueEncoder().encodeData(parameters), as: UTF8.self)
    return try store.write { store in
      var job = JobRecord(
        kind: kind, parameters: text, createdBy: caller.name, createdByRole: caller.role,
        createdAt: Timestamp.now())
      try store.insert(&job)
      try store.audit(
        actor: caller.name, command: caller.command, action: "job.queue",
        detail: "#\(job.id!) \(kind.rawValue)")
      return job
    }
  }

  /// Records a job's outcome, unless another worker took the job over meanwhile (this one was
  /// thought dead): then that worker's outcome stands.
  private func finish(_ id: Int64, worker: String, _ change: (inout JobRecord) -> Void) throws -> JobRecord {
    try store.write { store in
      guard var job = try store.job(id: id) else {
        throw WorkflowError("job #\(id) vanished from the store", kind: .environment)
      }
      guard job.state == .running, job.worker == worker else { return job }
      change(&job)
      job.finishedAt = Timestamp.now()
      try store.update(job)
      return job
    }
  }
}

/// A job's progress, written to its row at most twice a second (each write its own transaction).
final class JobProgress: ProgressReporter, @unchecked Sendable {
  // @unchecked: the mutable fields are only touched under `lock`.
  private let lock = NSLock()
  private let job: Int64
  private let worker: String
  private let store: any ProjectStore
  private var step: String?
  private var done = 0
  private var total: Int?
  private var written = Date.distantPast

  init(job: Int64, worker: String, store: any ProjectStore) {
    self.job = job
    self.worker = worker
    self.store = store
  }

  func begin(_ step: String, unit: String, total: Int?) {
    lock.withLock {
      self.step = step
      self.total = total
      done = 0
    }
    flush()
  }

  func advance(by count: Int) {
    let due = lock.withLock { () -> Bool in
      done += count
      return Date().timeIntervalSince(written) >= 0.5
    }
    if due { flush() }
  }

  func end() {}

  /// Writes the current state now; a failure to write progress never stops the job.
  func flush() {
    let (step, done, total) = lock.withLock { () -> (String?, Int, Int?) in
      written = Date()
      return (self.step, self.done, self.total)
    }
    try? store.write { store in
      guard var record = try store.job(id: job), record.state == .running, record.worker == worker else {
        return
      }
      record.step = step
      record.done = done
      record.total = total
      try store.update(record)
    }
  }
}

/// Beats a running job's heartbeat on a thread of its own until stopped, so that a long step
/// (cutting a 40,000² scene, a consensus over a region) never looks like a dead worker.
final class HeartbeatThread: @unchecked Sendable {
  // @unchecked: `stopped` is only touched under `condition`.
  private let condition = NSCondition()
  private var stopped = false

  init(job: Int64, worker: String, store: any ProjectStore, interval: TimeInterval) {
    let thread = Thread { [self] in
      condition.lock()
      defer { condition.unlock() }
      while !stopped {
        _ = condition.wait(until: Date().addingTimeInterval(interval))
        if stopped { break }
        condition.unlock()
        // A database that is briefly away costs one beat; the next one may reach it.
        let mine = (try? store.heartbeat(job: job, worker: worker, now: Timestamp.now())) ?? true
        condition.lock()
        if !mine { break }
      }
    }
    thread.name = "swath-heartbeat-\(job)"
    thread.start()
  }

  func stop() {
    condition.lock()
    stopped = true
    condition.signal()
    condition.unlock()
  }
}
