import Foundation
import GRDB
import SwathStore

/// The store's reads and writes over one GRDB connection, inside the caller's snapshot or
/// transaction.
struct SQLiteTransaction: StoreWriter {
  let db: Database

  init(_ db: Database) { self.db = db }

  // Every request's look-ups go through statements prepared once per connection: GRDB's query
  // builder generates, prepares and authorizes its SQL again on each call, which was a fifth of
  // the work of a chip image request.
  private func one<R: FetchableRecord>(_ sql: String, _ arguments: StatementArguments) throws -> R? {
    try R.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)
  }

  private func all<R: FetchableRecord>(_ sql: String, _ arguments: StatementArguments) throws -> [R] {
    try R.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
  }

  private func rows(_ sql: String, _ arguments: StatementArguments) throws -> [Row] {
    try Row.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
  }

  // MARK: Images

  func images() throws -> [ImageRecord] { try ImageRecord.order(Column("name")).fetchAll(db) }

  func image(named name: String) throws -> ImageRecord? {
    try one("SELECT * FROM images WHERE name = ?", [name])
  }

  func image(id: Int64) throws -> ImageRecord? { try one("SELECT * FROM images WHERE id = ?", [id]) }

  func insert(_ image: inout ImageRecord) throws { try image.insert(db) }

  // MARK: Tasks and chips

  func tasks() throws -> [TaskRecord] { try TaskRecord.order(Column("name")).fetchAll(db) }

  func task(named name: String) throws -> TaskRecord? {
    try one("SELECT * FROM tasks WHERE name = ?", [name])
  }

  func task(id: Int64) throws -> TaskRecord? { try one("SELECT * FROM tasks WHERE id = ?", [id]) }

  func insert(_ task: inout TaskRecord) throws { try task.insert(db) }

  func update(_ task: TaskRecord) throws { try task.update(db) }

  func chips(ofTask taskId: Int64) throws -> [ChipRecord] {
    try all("SELECT * FROM chips WHERE task_id = ? ORDER BY id", [taskId])
  }

  func chips(ofTask taskId: Int64, overlapping box: LonLatBox) throws -> [ChipRecord] {
    try all(
      """
      SELECT * FROM chips WHERE task_id = ? AND max_lon >= ? AND min_lon <= ? AND max_lat >= ? AND min_lat <= ?
      ORDER BY id
      """, [taskId, box.minLon, box.maxLon, box.minLat, box.maxLat])
  }

  func chipIds(ofTask taskId: Int64) throws -> [Int64] {
    try Int64.fetchAll(
      db.cachedStatement(sql: "SELECT id FROM chips WHERE task_id = ? ORDER BY id"), arguments: [taskId])
  }

  func chip(id: Int64) throws -> ChipRecord? { try one("SELECT * FROM chips WHERE id = ?", [id]) }

  func chip(taskId: Int64, key: String) throws -> ChipRecord? {
    try one("SELECT * FROM chips WHERE task_id = ? AND chip_key = ?", [taskId, key])
  }

  func insert(_ chip: inout ChipRecord) throws { try chip.insert(db) }

  // MARK: Assignments

  func assignments(ofTask taskId: Int64) throws -> [AssignmentRecord] {
    try all(
      """
      SELECT a.* FROM assignments a JOIN chips c ON c.id = a.chip_id
      WHERE c.task_id = ? ORDER BY a.annotator, a.chip_id
      """, [taskId])
  }

  func queue(annotator: String, taskId: Int64?) throws -> [QueueEntry] {
    var sql = """
      SELECT a.* FROM assignments a JOIN chips c ON c.id = a.chip_id JOIN tasks t ON t.id = c.task_id
      WHERE a.annotator = ? AND a.state = 'pending' AND t.state = 'open'
      """
    var arguments: StatementArguments = [annotator]
    if let taskId {
      sql += " AND t.id = ?"
      arguments += [taskId]
    }
    sql += " ORDER BY t.name, c.id"
    let assignments = try AssignmentRecord.fetchAll(db, sql: sql, arguments: arguments)
    var tasks: [Int64: TaskRecord] = [:]
    return try assignments.map { assignment in
      guard let chip = try ChipRecord.fetchOne(db, key: assignment.chipId) else {
        throw StoreError("assignment #\(assignment.id ?? 0) has no chip")
      }
      if tasks[chip.taskId] == nil { tasks[chip.taskId] = try task(id: chip.taskId) }
      guard let task = tasks[chip.taskId] else { throw StoreError("chip #\(chip.id ?? 0) has no task") }
      return QueueEntry(task: task, chip: chip, assignment: assignment)
    }
  }

  func insert(_ assignment: inout AssignmentRecord) throws { try assignment.insert(db) }

  func markSubmitted(chipId: Int64, annotator: String) throws {
    try db.execute(
      sql: "UPDATE assignments SET state = 'submitted' WHERE chip_id = ? AND annotator = ?",
      arguments: [chipId, annotator])
  }

  func reopenAssignments(chipId: Int64) throws {
    try db.execute(sql: "UPDATE assignments SET state = 'pending' WHERE chip_id = ?", arguments: [chipId])
  }

  // MARK: Submissions

  func submission(id: Int64) throws -> SubmissionRecord? {
    try one("SELECT * FROM submissions WHERE id = ?", [id])
  }

  func submissionSummaries(ofTask taskId: Int64) throws -> [SubmissionSummary] {
    try summaries(
      rows("SELECT id, chip_id, annotator, status FROM submissions WHERE task_id = ? ORDER BY id", [taskId]))
  }

  func submissionSummaries(ofTask taskId: Int64, annotator: String) throws -> [SubmissionSummary] {
    try summaries(
      rows(
        "SELECT id, chip_id, annotator, status FROM submissions WHERE task_id = ? AND annotator = ? ORDER BY id",
        [taskId, annotator]))
  }

  func answerCounts(ofTask taskId: Int64) throws -> [Int64: Int] {
    var counts: [Int64: Int] = [:]
    let rows = try Row.fetchCursor(
      db.cachedStatement(
        sql: """
          SELECT chip_id, COUNT(DISTINCT annotator) AS answers FROM submissions
          WHERE task_id = ? AND chip_id IS NOT NULL AND status IN ('accepted', 'superseded')
          GROUP BY chip_id
          """), arguments: [taskId])
    while let row = try rows.next() { counts[row["chip_id"]] = row["answers"] }
    return counts
  }

  private func summaries(_ rows: [Row]) throws -> [SubmissionSummary] {
    try rows.map { row in
      let status: String = row["status"]
      guard let parsed = SubmissionStatus(rawValue: status) else {
        throw StoreError("submission #\(row["id"] as Int64) has an unknown status '\(status)'")
      }
      return SubmissionSummary(
        id: row["id"], chipId: row["chip_id"], annotator: row["annotator"], status: parsed)
    }
  }

  func submissions(withStatus status: SubmissionStatus) throws -> [SubmissionRecord] {
    try SubmissionRecord.filter(Column("status") == status.rawValue).order(Column("id")).fetchAll(db)
  }

  func acceptedSubmissions(taskId: Int64, chipId: Int64, annotator: String) throws
    -> [SubmissionRecord]
  {
    try all(
      """
      SELECT * FROM submissions WHERE task_id = ? AND chip_id = ? AND annotator = ? AND status = 'accepted'
      ORDER BY id
      """, [taskId, chipId, annotator])
  }

  func insert(_ submission: inout SubmissionRecord) throws { try submission.insert(db) }

  func update(_ submission: SubmissionRecord) throws { try submission.update(db) }

  func features(ofSubmissions ids: [Int64]) throws -> [SubmissionFeatureRecord] {
    guard !ids.isEmpty else { return [] }
    return try SubmissionFeatureRecord.filter(ids.contains(Column("submission_id")))
      .order(Column("submission_id"), Column("feature_index")).fetchAll(db)
  }

  func insert(_ feature: inout SubmissionFeatureRecord) throws { try feature.insert(db) }

  // MARK: Consensus runs

  func latestConsensusRun(ofTask taskId: Int64) throws -> ConsensusRunRecord? {
    try ConsensusRunRecord.filter(Column("task_id") == taskId).order(Column("id").desc).fetchOne(db)
  }

  func consensusRunCount(ofTask taskId: Int64) throws -> Int {
    try ConsensusRunRecord.filter(Column("task_id") == taskId).fetchCount(db)
  }

  func insert(_ run: inout ConsensusRunRecord) throws { try run.insert(db) }

  // MARK: Leases

  private static let running = "leased_at <= ?1 AND expires_at > ?1 AND (ended_at IS NULL OR ended_at > ?1)"

  func leases(ofTask taskId: Int64, runningAt time: String) throws -> [LeaseRecord] {
    try all("SELECT * FROM leases WHERE task_id = ?2 AND \(Self.running) ORDER BY id", [time, taskId])
  }

  func leasesHoldingSlots(ofTask taskId: Int64, at time: String) throws -> [LeaseRecord] {
    try all(
      "SELECT * FROM leases WHERE task_id = ?2 AND expires_at > ?1 AND (ended_at IS NULL OR ended_at > ?1) ORDER BY id",
      [time, taskId])
  }

  func leases(ofTask taskId: Int64, annotator: String, runningAt time: String) throws -> [LeaseRecord] {
    try all(
      "SELECT * FROM leases WHERE task_id = ?2 AND annotator = ?3 AND \(Self.running) ORDER BY id",
      [time, taskId, annotator])
  }

  func lease(id: Int64) throws -> LeaseRecord? { try one("SELECT * FROM leases WHERE id = ?", [id]) }

  func insert(_ lease: inout LeaseRecord) throws { try lease.insert(db) }

  func update(_ lease: LeaseRecord) throws { try lease.update(db) }

  // MARK: Chip flags

  func chipFlags(ofTask taskId: Int64) throws -> [ChipFlagRecord] {
    try all("SELECT * FROM chip_flags WHERE task_id = ? ORDER BY id", [taskId])
  }

  func insert(_ flag: inout ChipFlagRecord) throws { try flag.insert(db) }

  // MARK: Idempotency keys

  func idempotencyRecord(user: String, key: String) throws -> IdempotencyRecord? {
    try one("SELECT * FROM idempotency_keys WHERE user = ? AND key = ?", [user, key])
  }

  func idempotencyRecord(id: Int64) throws -> IdempotencyRecord? {
    try one("SELECT * FROM idempotency_keys WHERE id = ?", [id])
  }

  func insert(_ record: inout IdempotencyRecord) throws { try record.insert(db) }

  func update(_ record: IdempotencyRecord) throws { try record.update(db) }

  func deleteIdempotencyRecord(id: Int64) throws { _ = try IdempotencyRecord.deleteOne(db, key: id) }

  // MARK: Jobs

  func job(id: Int64) throws -> JobRecord? { try JobRecord.fetchOne(db, key: id) }

  func jobs(inState state: JobState) throws -> [JobRecord] {
    try JobRecord.filter(Column("state") == state.rawValue).order(Column("id")).fetchAll(db)
  }

  func insert(_ job: inout JobRecord) throws { try job.insert(db) }

  func update(_ job: JobRecord) throws { try job.update(db) }

  func archive(ofJob id: Int64) throws -> JobArchive? {
    guard
      let row = try Row.fetchOne(
        db, sql: "SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0) FROM job_archives WHERE job_id = ?",
        arguments: [id]),
      let parts: Int = row[0], parts > 0
    else { return nil }
    return JobArchive(bytes: row[1], parts: parts)
  }

  func archivePart(ofJob id: Int64, index: Int) throws -> Data? {
    try Data.fetchOne(
      db, sql: "SELECT bytes FROM job_archives WHERE job_id = ? AND part = ?", arguments: [id, index])
  }

  func deleteArchives(finishedBefore time: String) throws -> Int {
    let jobs = try Int64.fetchAll(
      db,
      sql: """
        SELECT DISTINCT job_id FROM job_archives
        WHERE job_id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < ?)
        """, arguments: [time])
    for job in jobs { try deleteArchive(ofJob: job) }
    return jobs.count
  }

  func deleteArchive(ofJob id: Int64) throws {
    try db.execute(sql: "DELETE FROM job_archives WHERE job_id = ?", arguments: [id])
  }

  func insertArchivePart(ofJob id: Int64, index: Int, bytes: Data) throws {
    try db.execute(
      sql: "INSERT INTO job_archives (job_id, part, bytes) VALUES (?, ?, ?)", arguments: [id, index, bytes])
  }

  // MARK: Review

  func reviewDecisions(ofTask taskId: Int64) throws -> [ReviewDecisionRecord] {
    try all("SELECT * FROM review_decisions WHERE task_id = ? ORDER BY id", [taskId])
  }

  func reviewDecisions(ofRun runId: Int64) throws -> [ReviewDecisionRecord] {
    try all("SELECT * FROM review_decisions WHERE run_id = ? ORDER BY id", [runId])
  }

  func reviewLeases(ofTask taskId: Int64, runningAt time: String) throws -> [ReviewLeaseRecord] {
    try all(
      "SELECT * FROM review_leases WHERE task_id = ?2 AND \(Self.running) ORDER BY id", [time, taskId])
  }

  func reviewLease(id: Int64) throws -> ReviewLeaseRecord? {
    try one("SELECT * FROM review_leases WHERE id = ?", [id])
  }

  func endedReviewLeases(ofRun runId: Int64, reviewer: String) throws -> [ReviewLeaseRecord] {
    try all(
      "SELECT * FROM review_leases WHERE run_id = ? AND reviewer = ? AND ended_at IS NOT NULL ORDER BY id",
      [runId, reviewer])
  }

  func chipReviews(ofTask taskId: Int64) throws -> [ChipReviewRecord] {
    try all("SELECT * FROM chip_reviews WHERE task_id = ? ORDER BY id", [taskId])
  }

  func reviewSettings(ofTask taskId: Int64) throws -> ReviewSettingsRecord? {
    try one("SELECT * FROM review_settings WHERE task_id = ?", [taskId])
  }

  func insert(_ decision: inout ReviewDecisionRecord) throws { try decision.insert(db) }

  func insert(_ lease: inout ReviewLeaseRecord) throws { try lease.insert(db) }

  func update(_ lease: ReviewLeaseRecord) throws { try lease.update(db) }

  func insert(_ review: inout ChipReviewRecord) throws { try review.insert(db) }

  func save(_ settings: inout ReviewSettingsRecord) throws {
    if let existing = try reviewSettings(ofTask: settings.taskId) { settings.id = existing.id }
    try settings.save(db)
  }

  // MARK: Gold

  func goldChips(ofTask taskId: Int64) throws -> [GoldChipRecord] {
    try all("SELECT * FROM gold_chips WHERE task_id = ? ORDER BY chip_id", [taskId])
  }

  func goldObjects(ofTask taskId: Int64) throws -> [GoldObjectRecord] {
    try all("SELECT * FROM gold_objects WHERE task_id = ? ORDER BY feature_index, id", [taskId])
  }

  func deleteGold(ofTask taskId: Int64) throws {
    try db.execute(sql: "DELETE FROM gold_chips WHERE task_id = ?", arguments: [taskId])
    try db.execute(sql: "DELETE FROM gold_objects WHERE task_id = ?", arguments: [taskId])
  }

  func deleteGoldScores(ofTask taskId: Int64) throws {
    try db.execute(sql: "DELETE FROM gold_scores WHERE task_id = ?", arguments: [taskId])
  }

  func insert(_ gold: inout GoldChipRecord) throws { try gold.insert(db) }

  func insert(_ object: inout GoldObjectRecord) throws { try object.insert(db) }

  func goldScores(ofTask taskId: Int64) throws -> [GoldScoreRecord] {
    try all("SELECT * FROM gold_scores WHERE task_id = ? ORDER BY id", [taskId])
  }

  func insert(_ score: inout GoldScoreRecord) throws { try score.insert(db) }

  func goldSettings(ofTask taskId: Int64) throws -> GoldSettingsRecord? {
    try one("SELECT * FROM gold_settings WHERE task_id = ?", [taskId])
  }

  func save(_ settings: inout GoldSettingsRecord) throws {
    if let existing = try goldSettings(ofTask: settings.taskId) { settings.id = existing.id }
    try settings.save(db)
  }

  // MARK: Users

  func users() throws -> [UserRecord] { try UserRecord.order(Column("name")).fetchAll(db) }

  func user(named name: String) throws -> UserRecord? {
    try one("SELECT * FROM users WHERE name = ?", [name])
  }

  func user(tokenHash: String) throws -> UserRecord? {
    try one("SELECT * FROM users WHERE token_hash = ?", [tokenHash])
  }

  func insert(_ user: inout UserRecord) throws { try user.insert(db) }

  func update(_ user: UserRecord) throws { try user.update(db) }

  // MARK: Audit log

  func auditLog() throws -> [AuditEntry] { try AuditEntry.order(Column("id")).fetchAll(db) }

  func audit(actor: String, command: String, action: String, detail: String) throws {
    var entry = AuditEntry(
      at: Timestamp.now(), actor: actor, command: command, action: action, detail: detail)
    try entry.insert(db)
  }
}
