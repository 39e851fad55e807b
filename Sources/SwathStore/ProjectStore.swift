import Foundation

/// A failure of the store the user can act on: one line, what is wrong and where.
public struct StoreError: Error, CustomStringConvertible, Sendable {
  public let message: String
  /// The database cannot be reached (down, restarting, the connection lost): nothing was
  /// written, and the same request may succeed later.
  public let unavailable: Bool
  public init(_ message: String, unavailable: Bool = false) {
    self.message = message
    self.unavailable = unavailable
  }
  public var description: String { message }
}

/// The project store: persistence only. The workflow layer decides what to read and write;
/// a backend decides how. Every use case runs in one `write` (all or nothing) or reads one
/// consistent snapshot with `read`. Bodies are synchronous and must not block on anything
/// but the store, so a backend may hold a lock or a connection for their duration.
///
/// SQLite (`SwathStoreSQLite`) is the first backend; `Tests/SwathStoreTests/StoreContract*`
/// is the contract every backend must pass.
public protocol ProjectStore: Sendable {
  /// A consistent snapshot of the store.
  func read<T>(_ body: (any StoreReader) throws -> T) throws -> T
  /// One transaction: `body`'s writes commit together when it returns, and none of them when it
  /// throws. Write transactions exclude each other from the start (no read-then-upgrade race).
  func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T
  /// A write that changes only `scope`'s rows. It excludes every whole-store `write` and the
  /// other writes of the same scope, but a backend shared by several nodes may run it beside
  /// writes of other scopes; rows several scopes share are then claimed with `lockFirstFreeChip`
  /// and `lockChips`. A backend whose writes all exclude each other treats it as `write`.
  func write<T>(scope: WriteScope, _ body: (any StoreWriter) throws -> T) throws -> T
  /// Waits up to `timeout` for the store to be reachable and migrated; an unavailable store error
  /// when it is not by then. A store in a local file is always ready.
  func waitUntilReady(timeout: TimeInterval) throws

  /// Claims the oldest job that is queued, or running with a heartbeat older than `staleBefore`
  /// (its worker died), for `worker`, in a transaction of its own: marked running, started and
  /// heartbeat `now`. Two workers claiming at once never get the same job. Nil when none waits.
  func claimJob(worker: String, now: String, staleBefore: String) throws -> JobRecord?
  /// Records that `worker` still runs job `id`; false when the job is no longer its own (claimed
  /// again after its heartbeat lapsed, or finished).
  func heartbeat(job id: Int64, worker: String, now: String) throws -> Bool
}

/// The size of a job's archive and the number of parts it is kept in.
public struct JobArchive: Sendable, Hashable {
  public var bytes: Int
  public var parts: Int
  public init(bytes: Int, parts: Int) {
    self.bytes = bytes
    self.parts = parts
  }
}

/// Whose rows a write changes, so that writes of different people need not wait for each other.
public enum WriteScope: Sendable, Hashable {
  /// One user's own work: their leases, answers and idempotency records.
  case user(String)
}

extension ProjectStore {
  public func waitUntilReady(timeout: TimeInterval) throws {}
  public func write<T>(scope: WriteScope, _ body: (any StoreWriter) throws -> T) throws -> T {
    try write(body)
  }
}

extension StoreWriter {
  public func insert(_ features: inout [SubmissionFeatureRecord]) throws {
    for index in features.indices { try insert(&features[index]) }
  }
  public func lockFirstFreeChip(among chipIds: [Int64]) throws -> Int64? { chipIds.first }
  public func lockChips(_ chipIds: [Int64]) throws {}
}

/// A submission without its file and report: what status and consensus count.
public struct SubmissionSummary: Sendable, Hashable {
  public var id: Int64
  public var chipId: Int64?
  public var annotator: String
  public var status: SubmissionStatus

  public init(id: Int64, chipId: Int64?, annotator: String, status: SubmissionStatus) {
    self.id = id
    self.chipId = chipId
    self.annotator = annotator
    self.status = status
  }
}

/// A box in WGS84 longitude and latitude.
public struct LonLatBox: Sendable, Hashable {
  public var minLon: Double
  public var minLat: Double
  public var maxLon: Double
  public var maxLat: Double

  public init(minLon: Double, minLat: Double, maxLon: Double, maxLat: Double) {
    self.minLon = minLon
    self.minLat = minLat
    self.maxLon = maxLon
    self.maxLat = maxLat
  }
}

/// A pending assignment with its chip and task, for an annotator's queue.
public struct QueueEntry: Sendable, Hashable {
  public var task: TaskRecord
  public var chip: ChipRecord
  public var assignment: AssignmentRecord

  public init(task: TaskRecord, chip: ChipRecord, assignment: AssignmentRecord) {
    self.task = task
    self.chip = chip
    self.assignment = assignment
  }
}

/// What can be read inside a snapshot or a transaction. Lists come in a stable order (stated per
/// call) so that every backend gives the same answers.
public protocol StoreReader {
  /// All images, by name.
  func images() throws -> [ImageRecord]
  func image(named name: String) throws -> ImageRecord?
  func image(id: Int64) throws -> ImageRecord?

  /// All tasks, by name.
  func tasks() throws -> [TaskRecord]
  func task(named name: String) throws -> TaskRecord?
  func task(id: Int64) throws -> TaskRecord?

  func chip(id: Int64) throws -> ChipRecord?
  /// A task's chip by its key (`r0003_c0007`).
  func chip(taskId: Int64, key: String) throws -> ChipRecord?
  /// A task's chips, in the order they were recorded.
  func chips(ofTask taskId: Int64) throws -> [ChipRecord]
  /// A task's chips whose WGS84 bounding boxes overlap `box` (edges touching count), in the order
  /// they were recorded: the spatial index answers (PostGIS GiST on PostgreSQL).
  func chips(ofTask taskId: Int64, overlapping box: LonLatBox) throws -> [ChipRecord]
  /// The ids of a task's chips, in the same order.
  func chipIds(ofTask taskId: Int64) throws -> [Int64]
  /// A task's assignments, by annotator, then chip.
  func assignments(ofTask taskId: Int64) throws -> [AssignmentRecord]
  /// An annotator's pending assignments in open tasks (optionally one task), by task name, then chip.
  func queue(annotator: String, taskId: Int64?) throws -> [QueueEntry]

  func submission(id: Int64) throws -> SubmissionRecord?
  /// A task's submissions without their files, by id.
  func submissionSummaries(ofTask taskId: Int64) throws -> [SubmissionSummary]
  /// One annotator's submissions in a task without their files, by id.
  func submissionSummaries(ofTask taskId: Int64, annotator: String) throws -> [SubmissionSummary]
  /// How many annotators answered each chip of a task (an accepted or superseded submission).
  func answerCounts(ofTask taskId: Int64) throws -> [Int64: Int]
  /// Every submission in a status, with its file, by id.
  func submissions(withStatus status: SubmissionStatus) throws -> [SubmissionRecord]
  /// The accepted submissions of an annotator on a chip, by id.
  func acceptedSubmissions(taskId: Int64, chipId: Int64, annotator: String) throws
    -> [SubmissionRecord]
  /// The shapes of these submissions, by submission, then feature index.
  func features(ofSubmissions ids: [Int64]) throws -> [SubmissionFeatureRecord]

  /// A task's newest consensus run, if any.
  func latestConsensusRun(ofTask taskId: Int64) throws -> ConsensusRunRecord?
  func consensusRunCount(ofTask taskId: Int64) throws -> Int

  /// The audit log, oldest first.
  func auditLog() throws -> [AuditEntry]

  /// A task's leases running at `time` (taken by then, neither ended nor expired), by id.
  func leases(ofTask taskId: Int64, runningAt time: String) throws -> [LeaseRecord]
  /// A task's leases neither ended nor expired at `time`, by id, including those stamped after it:
  /// what holds a chip's slots. A transaction that began earlier, or a node whose clock runs a
  /// little behind, still counts a lease just taken.
  func leasesHoldingSlots(ofTask taskId: Int64, at time: String) throws -> [LeaseRecord]
  /// One annotator's leases in a task running at `time`, by id.
  func leases(ofTask taskId: Int64, annotator: String, runningAt time: String) throws -> [LeaseRecord]
  func lease(id: Int64) throws -> LeaseRecord?

  /// A task's chip flags (bad imagery, skip), by id.
  func chipFlags(ofTask taskId: Int64) throws -> [ChipFlagRecord]

  /// The request a user sent with an idempotency key, if any.
  func idempotencyRecord(user: String, key: String) throws -> IdempotencyRecord?
  func idempotencyRecord(id: Int64) throws -> IdempotencyRecord?

  func job(id: Int64) throws -> JobRecord?
  /// Jobs in a state, oldest first.
  func jobs(inState state: JobState) throws -> [JobRecord]
  /// The archive a job left (an export's ZIP file, kept in parts): nil when it left none.
  func archive(ofJob id: Int64) throws -> JobArchive?
  /// Part `index` (from 0) of a job's archive.
  func archivePart(ofJob id: Int64, index: Int) throws -> Data?

  /// A task's review decisions, every run, by id.
  func reviewDecisions(ofTask taskId: Int64) throws -> [ReviewDecisionRecord]
  /// The review decisions on one consensus run, by id.
  func reviewDecisions(ofRun runId: Int64) throws -> [ReviewDecisionRecord]
  /// A task's review leases running at `time`, by id.
  func reviewLeases(ofTask taskId: Int64, runningAt time: String) throws -> [ReviewLeaseRecord]
  /// One review lease, running or not.
  func reviewLease(id: Int64) throws -> ReviewLeaseRecord?
  /// A reviewer's review leases of one consensus run that ended (by a decision or a release), by id.
  func endedReviewLeases(ofRun runId: Int64, reviewer: String) throws -> [ReviewLeaseRecord]
  /// A task's chip reviews (validated, invalidated), by id.
  func chipReviews(ofTask taskId: Int64) throws -> [ChipReviewRecord]
  /// A task's review thresholds, if set.
  func reviewSettings(ofTask taskId: Int64) throws -> ReviewSettingsRecord?

  /// A task's gold chips, by chip id.
  func goldChips(ofTask taskId: Int64) throws -> [GoldChipRecord]
  /// A task's gold objects, by feature index.
  func goldObjects(ofTask taskId: Int64) throws -> [GoldObjectRecord]
  /// A task's gold scores, by id.
  func goldScores(ofTask taskId: Int64) throws -> [GoldScoreRecord]
  /// A task's gold settings, if set.
  func goldSettings(ofTask taskId: Int64) throws -> GoldSettingsRecord?

  /// All users, by name.
  func users() throws -> [UserRecord]
  func user(named name: String) throws -> UserRecord?
  /// The user whose current token has this SHA-256 (lower-case hex).
  func user(tokenHash: String) throws -> UserRecord?

  /// The id of a task's newest consensus run, without its result (which may be large).
  func latestConsensusRunId(ofTask taskId: Int64) throws -> Int64?
  /// The run a task's layer rows were built from; nil before they were built.
  func layerBuild(ofTask taskId: Int64) throws -> LayerBuildRecord?
  /// A page of a task's final-layer objects in row order (`LayerQuery`): the spatial index
  /// answers the box (SQLite's R*Tree, PostGIS GiST).
  func layerObjects(_ query: LayerQuery) throws -> [LayerObjectRecord]
  /// How many objects `query` matches, whatever its `after` and `limit`, counting no further
  /// than `atMost` (a box over most of a large layer costs its count otherwise).
  func layerObjectCount(_ query: LayerQuery, atMost: Int) throws -> Int
  /// One object of a task's layer by its key.
  func layerObject(taskId: Int64, key: String) throws -> LayerObjectRecord?
  /// The count, joint box and time span of a task's layer objects with `status` (all when nil).
  func layerSummary(ofTask taskId: Int64, status: String?) throws -> LayerSummary
  /// A value the server keeps to itself (the key that signs paging cursors), if made yet.
  func secret(named name: String) throws -> String?
}

/// What a write transaction can do besides reading. Inserts set the record's `id`.
public protocol StoreWriter: StoreReader {
  func insert(_ image: inout ImageRecord) throws
  func insert(_ task: inout TaskRecord) throws
  func update(_ task: TaskRecord) throws
  func insert(_ chip: inout ChipRecord) throws
  func insert(_ assignment: inout AssignmentRecord) throws
  /// Marks an annotator's assignment on a chip submitted.
  func markSubmitted(chipId: Int64, annotator: String) throws
  /// Marks every assignment on a chip pending again: a reviewer sent the chip back.
  func reopenAssignments(chipId: Int64) throws
  func insert(_ submission: inout SubmissionRecord) throws
  func update(_ submission: SubmissionRecord) throws
  func insert(_ feature: inout SubmissionFeatureRecord) throws
  /// A submission's shapes at once (a backend over a network inserts them in one statement).
  func insert(_ features: inout [SubmissionFeatureRecord]) throws
  func insert(_ run: inout ConsensusRunRecord) throws
  func insert(_ lease: inout LeaseRecord) throws
  func update(_ lease: LeaseRecord) throws
  func insert(_ flag: inout ChipFlagRecord) throws
  func insert(_ record: inout IdempotencyRecord) throws
  func update(_ record: IdempotencyRecord) throws
  func deleteIdempotencyRecord(id: Int64) throws
  func insert(_ job: inout JobRecord) throws
  func update(_ job: JobRecord) throws
  /// Removes a job's archive, before it is written again.
  func deleteArchive(ofJob id: Int64) throws
  /// Removes the archives of jobs that finished before `time`; returns how many jobs lost one.
  @discardableResult
  func deleteArchives(finishedBefore time: String) throws -> Int
  func insertArchivePart(ofJob id: Int64, index: Int, bytes: Data) throws
  func insert(_ user: inout UserRecord) throws
  /// Fails when the run already has a decision on the object.
  func insert(_ decision: inout ReviewDecisionRecord) throws
  func insert(_ lease: inout ReviewLeaseRecord) throws
  func update(_ lease: ReviewLeaseRecord) throws
  func insert(_ review: inout ChipReviewRecord) throws
  /// Inserts a task's review thresholds or replaces them.
  func save(_ settings: inout ReviewSettingsRecord) throws
  func update(_ user: UserRecord) throws
  /// Removes a task's gold chips and gold objects.
  func deleteGold(ofTask taskId: Int64) throws
  /// Removes a task's gold scores, before its answers on gold chips are scored again.
  func deleteGoldScores(ofTask taskId: Int64) throws
  /// Fails when the chip is already gold.
  func insert(_ gold: inout GoldChipRecord) throws
  func insert(_ object: inout GoldObjectRecord) throws
  func insert(_ score: inout GoldScoreRecord) throws
  /// Inserts a task's gold settings or replaces them.
  func save(_ settings: inout GoldSettingsRecord) throws
  /// Replaces a task's layer rows with `objects`, built from run `runId` at `builtAt`.
  func replaceLayer(ofTask taskId: Int64, runId: Int64, objects: inout [LayerObjectRecord], builtAt: String)
    throws
  func insert(_ object: inout LayerObjectRecord) throws
  func update(_ object: LayerObjectRecord) throws
  /// Keeps `value` under `name` unless a value is kept there already; returns the value kept.
  func keepSecret(named name: String, value: String) throws -> String
  /// Records a change in the audit log, inside this transaction, stamped now.
  func audit(actor: String, command: String, action: String, detail: String) throws
  /// Locks the first chip of `chipIds`, in their order, that no other transaction holds, until
  /// this one ends (`FOR UPDATE SKIP LOCKED`); nil when others hold them all. A store whose
  /// writes exclude each other returns the first.
  func lockFirstFreeChip(among chipIds: [Int64]) throws -> Int64?
  /// Locks these chips until this transaction ends, waiting for their holders.
  func lockChips(_ chipIds: [Int64]) throws
}

/// Timestamps as the store keeps them: UTC, millisecond precision, ISO 8601, sortable as text.
public enum Timestamp {
  // A value type, so one instance serves every thread (a formatter per call cost more than the
  // rest of a lease).
  private static let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt)

  public static func now() -> String { string(from: Date()) }

  public static func string(from date: Date) -> String { style.format(date) }
}
