import Foundation
import PostgresNIO
import SwathStore

/// A record type and its table.
protocol PostgresRecord: StoreRecord {
  static var table: String { get }
}

extension ImageRecord: PostgresRecord { static let table = "images" }
extension TaskRecord: PostgresRecord { static let table = "tasks" }
extension ChipRecord: PostgresRecord { static let table = "chips" }
extension AssignmentRecord: PostgresRecord { static let table = "assignments" }
extension SubmissionRecord: PostgresRecord { static let table = "submissions" }
extension SubmissionFeatureRecord: PostgresRecord { static let table = "submission_features" }
extension ConsensusRunRecord: PostgresRecord { static let table = "consensus_runs" }
extension AuditEntry: PostgresRecord { static let table = "audit_log" }
extension UserRecord: PostgresRecord { static let table = "users" }
extension LeaseRecord: PostgresRecord { static let table = "leases" }
extension ChipFlagRecord: PostgresRecord { static let table = "chip_flags" }
extension IdempotencyRecord: PostgresRecord { static let table = "idempotency_keys" }
extension JobRecord: PostgresRecord { static let table = "jobs" }
extension ReviewDecisionRecord: PostgresRecord { static let table = "review_decisions" }
extension ReviewLeaseRecord: PostgresRecord { static let table = "review_leases" }
extension ChipReviewRecord: PostgresRecord { static let table = "chip_reviews" }
extension ReviewSettingsRecord: PostgresRecord { static let table = "review_settings" }
extension GoldChipRecord: PostgresRecord { static let table = "gold_chips" }
extension GoldObjectRecord: PostgresRecord { static let table = "gold_objects" }
extension GoldScoreRecord: PostgresRecord { static let table = "gold_scores" }
extension GoldSettingsRecord: PostgresRecord { static let table = "gold_settings" }
extension LayerObjectRecord: PostgresRecord { static let table = "layer_objects" }
extension LayerBuildRecord: PostgresRecord { static let table = "layer_builds" }

/// The store's reads and writes on one connection, inside the caller's snapshot or transaction.
/// Every query states its order, so both backends list rows alike.
struct PostgresTransaction: StoreWriter {
  let connection: PostgresConnection

  init(_ connection: PostgresConnection) { self.connection = connection }

  // MARK: Statements

  private func query(_ sql: String, _ values: [ColumnValue]) -> PostgresQuery {
    var bindings = PostgresBindings(capacity: values.count)
    for value in values { value.bind(into: &bindings) }
    return PostgresQuery(unsafeSQL: sql, binds: bindings)
  }

  func rows(_ sql: String, _ values: [ColumnValue] = []) throws -> [PostgresRow] {
    try connection.rows(query(sql, values))
  }

  func execute(_ sql: String, _ values: [ColumnValue] = []) throws { try connection.run(query(sql, values)) }

  func all<R: PostgresRecord>(_ sql: String, _ values: [ColumnValue] = []) throws -> [R] {
    try records(rows(sql, values))
  }

  private func records<R: PostgresRecord>(_ rows: [PostgresRow]) throws -> [R] {
    try rows.map { try R(from: ColumnDecoder(row: $0, table: R.table)) }
  }

  func one<R: PostgresRecord>(_ sql: String, _ values: [ColumnValue] = []) throws -> R? {
    let found: [R] = try all(sql, values)
    return found.first
  }

  private func byId<R: PostgresRecord>(_ id: Int64) throws -> R? {
    try one("SELECT * FROM \(R.table) WHERE id = $1", [.integer(id)])
  }

  func insertRecord<R: PostgresRecord>(_ record: inout R) throws {
    let columns = try RecordColumns.of(record)
    var names: [String] = []
    var values: [ColumnValue] = []
    for (name, value) in zip(columns.names, columns.values) where !(name == "id" && value == .null) {
      names.append("\"\(name)\"")
      values.append(value)
    }
    let placeholders = (1...values.count).map { "$\($0)" }.joined(separator: ", ")
    let inserted = try rows(
      "INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES (\(placeholders)) RETURNING id",
      values)
    record.id = try inserted.first?.decode(Int64.self)
  }

  /// Inserts `records` 500 to a statement and sets their ids. A statement's rows may come back in
  /// any order, so each id is matched by a unique key: `key`, an SQL expression of the table's
  /// columns giving text, and `keyOf`, the same key of a record.
  func insertRecords<R: PostgresRecord>(_ records: inout [R], key: String, keyOf: (R) -> String) throws {
    for start in stride(from: 0, to: records.count, by: 500) {
      let end = min(start + 500, records.count)
      var names: [String] = []
      var values: [ColumnValue] = []
      var tuples: [String] = []
      for index in start..<end {
        let columns = try RecordColumns.of(records[index])
        let kept = zip(columns.names, columns.values).filter { $0.0 != "id" }
        if names.isEmpty { names = kept.map { "\"\($0.0)\"" } }
        let first = values.count + 1
        values += kept.map(\.1)
        tuples.append("(" + (first..<first + kept.count).map { "$\($0)" }.joined(separator: ", ") + ")")
      }
      let inserted = try rows(
        """
        INSERT INTO \(R.table) (\(names.joined(separator: ", "))) VALUES \(tuples.joined(separator: ", "))
        RETURNING id, \(key)
        """, values)
      var ids: [String: Int64] = [:]
      for row in inserted {
        let (id, key) = try row.decode((Int64, String).self)
        ids[key] = id
      }
      for index in start..<end { records[index].id = ids[keyOf(records[index])] }
    }
  }

  func updateRecord<R: PostgresRecord>(_ record: R) throws {
    guard let id = record.id else {
      throw StoreError("\(R.table): cannot update a row that was never inserted")
    }
    let columns = try RecordColumns.of(record)
    var assignments: [String] = []
    var values: [ColumnValue] = []
    for (name, value) in zip(columns.names, columns.values) where name != "id" {
      values.append(value)
      assignments.append("\"\(name)\" = $\(values.count)")
    }
    values.append(.integer(id))
    try execute(
      "UPDATE \(R.table) SET \(assignments.joined(separator: ", ")) WHERE id = $\(values.count)", values)
  }

  /// `record` in the place of `existing` (a task's one row of settings), or inserted.
  private func replace<R: PostgresRecord>(_ record: inout R, existing: R?) throws {
    if let existing {
      record.id = existing.id
      try updateRecord(record)
    } else {
      try insertRecord(&record)
    }
  }

  // MARK: Images

  func images() throws -> [ImageRecord] { try all("SELECT * FROM images ORDER BY name") }

  func image(named name: String) throws -> ImageRecord? {
    try one("SELECT * FROM images WHERE name = $1", [.text(name)])
  }

  func image(id: Int64) throws -> ImageRecord? { try byId(id) }

  func insert(_ image: inout ImageRecord) throws { try insertRecord(&image) }

  // MARK: Tasks and chips

  func tasks() throws -> [TaskRecord] { try all("SELECT * FROM tasks ORDER BY name") }

  func task(named name: String) throws -> TaskRecord? {
    try one("SELECT * FROM tasks WHERE name = $1", [.text(name)])
  }

  func task(id: Int64) throws -> TaskRecord? { try byId(id) }

  func insert(_ task: inout TaskRecord) throws { try insertRecord(&task) }

  func update(_ task: TaskRecord) throws { try updateRecord(task) }

  func chips(ofTask taskId: Int64) throws -> [ChipRecord] {
    try all("SELECT * FROM chips WHERE task_id = $1 ORDER BY id", [.integer(taskId)])
  }

  func chips(ofTask taskId: Int64, overlapping box: LonLatBox) throws -> [ChipRecord] {
    try all(
      "SELECT * FROM chips WHERE task_id = $1 AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326) ORDER BY id",
      [.integer(taskId), .real(box.minLon), .real(box.minLat), .real(box.maxLon), .real(box.maxLat)])
  }

  func chipIds(ofTask taskId: Int64) throws -> [Int64] {
    try rows("SELECT id FROM chips WHERE task_id = $1 ORDER BY id", [.integer(taskId)]).map {
      try $0.decode(Int64.self)
    }
  }

  func chip(id: Int64) throws -> ChipRecord? { try byId(id) }

  func chip(taskId: Int64, key: String) throws -> ChipRecord? {
    try one("SELECT * FROM chips WHERE task_id = $1 AND chip_key = $2", [.integer(taskId), .text(key)])
  }

  func insert(_ chip: inout ChipRecord) throws { try insertRecord(&chip) }

  // MARK: Assignments

  func assignments(ofTask taskId: Int64) throws -> [AssignmentRecord] {
    try all(
      """
      SELECT a.* FROM assignments a JOIN chips c ON c.id = a.chip_id
      WHERE c.task_id = $1 ORDER BY a.annotator, a.chip_id
      """, [.integer(taskId)])
  }

  func queue(annotator: String, taskId: Int64?) throws -> [QueueEntry] {
    var sql = """
      SELECT a.* FROM assignments a JOIN chips c ON c.id = a.chip_id JOIN tasks t ON t.id = c.task_id
      WHERE a.annotator = $1 AND a.state = 'pending' AND t.state = 'open'
      """
    var values: [ColumnValue] = [.text(annotator)]
    if let taskId {
      sql += " AND t.id = $2"
      values.append(.integer(taskId))
    }
    sql += " ORDER BY t.name, c.id"
    let assignments: [AssignmentRecord] = try all(sql, values)
    var tasks: [Int64: TaskRecord] = [:]
    return try assignments.map { assignment in
      guard let chip = try chip(id: assignment.chipId) else {
        throw StoreError("assignment #\(assignment.id ?? 0) has no chip")
      }
      if tasks[chip.taskId] == nil { tasks[chip.taskId] = try task(id: chip.taskId) }
      guard let task = tasks[chip.taskId] else { throw StoreError("chip #\(chip.id ?? 0) has no task") }
      return QueueEntry(task: task, chip: chip, assignment: assignment)
    }
  }

  func insert(_ assignment: inout AssignmentRecord) throws { try insertRecord(&assignment) }

  func markSubmitted(chipId: Int64, annotator: String) throws {
    try execute(
      "UPDATE assignments SET state = 'submitted' WHERE chip_id = $1 AND annotator = $2",
      [.integer(chipId), .text(annotator)])
  }

  func reopenAssignments(chipId: Int64) throws {
    try execute("UPDATE assignments SET state = 'pending' WHERE chip_id = $1", [.integer(chipId)])
  }

  // MARK: Submissions

  func submission(id: Int64) throws -> SubmissionRecord? { try byId(id) }

  func submissionSummaries(ofTask taskId: Int64) throws -> [SubmissionSummary] {
    try summaries(
      rows(
        "SELECT id, chip_id, annotator, status FROM submissions WHERE task_id = $1 ORDER BY id",
        [.integer(taskId)]))
  }

  func submissionSummaries(ofTask taskId: Int64, annotator: String) throws -> [SubmissionSummary] {
    try summaries(
      rows(
        """
        SELECT id, chip_id, annotator, status FROM submissions WHERE task_id = $1 AND annotator = $2
        ORDER BY id
        """, [.integer(taskId), .text(annotator)]))
  }

  private func summaries(_ rows: [PostgresRow]) throws -> [SubmissionSummary] {
    try rows.map { row in
      let (id, chipId, annotator, status) = try row.decode((Int64, Int64?, String, String).self)
      guard let parsed = SubmissionStatus(rawValue: status) else {
        throw StoreError("submission #\(id) has an unknown status '\(status)'")
      }
      return SubmissionSummary(id: id, chipId: chipId, annotator: annotator, status: parsed)
    }
  }

  func answerCounts(ofTask taskId: Int64) throws -> [Int64: Int] {
    var counts: [Int64: Int] = [:]
    for row in try rows(
      """
      SELECT chip_id, COUNT(DISTINCT annotator) FROM submissions
      WHERE task_id = $1 AND chip_id IS NOT NULL AND status IN ('accepted', 'superseded')
      GROUP BY chip_id
      """, [.integer(taskId)])
    {
      let (chip, answers) = try row.decode((Int64, Int64).self)
      counts[chip] = Int(answers)
    }
    return counts
  }

  func submissions(withStatus status: SubmissionStatus) throws -> [SubmissionRecord] {
    try all("SELECT * FROM submissions WHERE status = $1 ORDER BY id", [.text(status.rawValue)])
  }

  func acceptedSubmissions(taskId: Int64, chipId: Int64, annotator: String) throws
    -> [SubmissionRecord]
  {
    try all(
      """
      SELECT * FROM submissions
      WHERE task_id = $1 AND chip_id = $2 AND annotator = $3 AND status = 'accepted' ORDER BY id
      """, [.integer(taskId), .integer(chipId), .text(annotator)])
  }

  func insert(_ submission: inout SubmissionRecord) throws { try insertRecord(&submission) }

  func update(_ submission: SubmissionRecord) throws { try updateRecord(submission) }

  func features(ofSubmissions ids: [Int64]) throws -> [SubmissionFeatureRecord] {
    guard !ids.isEmpty else { return [] }
    var bindings = PostgresBindings()
    bindings.append(ids)
    return try records(
      connection.rows(
        PostgresQuery(
          unsafeSQL: """
            SELECT * FROM submission_features WHERE submission_id = ANY($1)
            ORDER BY submission_id, feature_index
            """, binds: bindings)))
  }

  func insert(_ feature: inout SubmissionFeatureRecord) throws { try insertRecord(&feature) }

  // One statement per submission instead of one per shape: a file of 40 shapes was 40 round trips.
  func insert(_ features: inout [SubmissionFeatureRecord]) throws {
    try insertRecords(&features, key: "submission_id::text || '/' || feature_index::text") {
      "\($0.submissionId)/\($0.featureIndex)"
    }
  }

  // MARK: Consensus runs

  func latestConsensusRun(ofTask taskId: Int64) throws -> ConsensusRunRecord? {
    try one("SELECT * FROM consensus_runs WHERE task_id = $1 ORDER BY id DESC LIMIT 1", [.integer(taskId)])
  }

  func consensusRunCount(ofTask taskId: Int64) throws -> Int {
    let count = try rows("SELECT COUNT(*) FROM consensus_runs WHERE task_id = $1", [.integer(taskId)])
    return Int(try count.first?.decode(Int64.self) ?? 0)
  }

  func insert(_ run: inout ConsensusRunRecord) throws { try insertRecord(&run) }

  // MARK: Leases

  private static let running = "leased_at <= $1 AND expires_at > $1 AND (ended_at IS NULL OR ended_at > $1)"

  func leases(ofTask taskId: Int64, runningAt time: String) throws -> [LeaseRecord] {
    try all(
      "SELECT * FROM leases WHERE task_id = $2 AND \(Self.running) ORDER BY id",
      [.text(time), .integer(taskId)])
  }

  func leasesHoldingSlots(ofTask taskId: Int64, at time: String) throws -> [LeaseRecord] {
    try all(
      """
      SELECT * FROM leases WHERE task_id = $2 AND expires_at > $1 AND (ended_at IS NULL OR ended_at > $1)
      ORDER BY id
      """, [.text(time), .integer(taskId)])
  }

  func leases(ofTask taskId: Int64, annotator: String, runningAt time: String) throws -> [LeaseRecord] {
    try all(
      "SELECT * FROM leases WHERE task_id = $2 AND annotator = $3 AND \(Self.running) ORDER BY id",
      [.text(time), .integer(taskId), .text(annotator)])
  }

  func lease(id: Int64) throws -> LeaseRecord? { try byId(id) }

  func insert(_ lease: inout LeaseRecord) throws { try insertRecord(&lease) }

  func update(_ lease: LeaseRecord) throws { try updateRecord(lease) }

  // MARK: Chip flags

  func chipFlags(ofTask taskId: Int64) throws -> [ChipFlagRecord] {
    try all("SELECT * FROM chip_flags WHERE task_id = $1 ORDER BY id", [.integer(taskId)])
  }

  func insert(_ flag: inout ChipFlagRecord) throws { try insertRecord(&flag) }

  // MARK: Idempotency keys

  func idempotencyRecord(user: String, key: String) throws -> IdempotencyRecord? {
    try one("SELECT * FROM idempotency_keys WHERE \"user\" = $1 AND key = $2", [.text(user), .text(key)])
  }

  func idempotencyRecord(id: Int64) throws -> IdempotencyRecord? { try byId(id) }

  func insert(_ record: inout IdempotencyRecord) throws { try insertRecord(&record) }

  func update(_ record: IdempotencyRecord) throws { try updateRecord(record) }

  func deleteIdempotencyRecord(id: Int64) throws {
    try execute("DELETE FROM idempotency_keys WHERE id = $1", [.integer(id)])
  }

  // MARK: Jobs

  func job(id: Int64) throws -> JobRecord? { try byId(id) }

  func jobs(inState state: JobState) throws -> [JobRecord] {
    try all("SELECT * FROM jobs WHERE state = $1 ORDER BY id", [.text(state.rawValue)])
  }

  func insert(_ job: inout JobRecord) throws { try insertRecord(&job) }

  func update(_ job: JobRecord) throws { try updateRecord(job) }

  func archive(ofJob id: Int64) throws -> JobArchive? {
    guard
      let row = try rows(
        "SELECT COUNT(*), COALESCE(SUM(LENGTH(bytes)), 0)::BIGINT FROM job_archives WHERE job_id = $1",
        [.integer(id)]
      ).first
    else { return nil }
    let (parts, bytes) = try row.decode((Int64, Int64).self)
    return parts > 0 ? JobArchive(bytes: Int(bytes), parts: Int(parts)) : nil
  }

  func archivePart(ofJob id: Int64, index: Int) throws -> Data? {
    guard
      let row = try rows(
        "SELECT bytes FROM job_archives WHERE job_id = $1 AND part = $2",
        [.integer(id), .integer(Int64(index))]
      ).first
    else { return nil }
    return Data(try row.decode(ByteBuffer.self).readableBytesView)
  }

  func deleteArchives(finishedBefore time: String) throws -> Int {
    let counted = try rows(
      """
      WITH gone AS (
        DELETE FROM job_archives
        WHERE job_id IN (SELECT id FROM jobs WHERE finished_at IS NOT NULL AND finished_at < $1)
        RETURNING job_id)
      SELECT COUNT(DISTINCT job_id) FROM gone
      """, [.text(time)])
    return Int(try counted.first?.decode(Int64.self) ?? 0)
  }

  func deleteArchive(ofJob id: Int64) throws {
    try execute("DELETE FROM job_archives WHERE job_id = $1", [.integer(id)])
  }

  func insertArchivePart(ofJob id: Int64, index: Int, bytes: Data) throws {
    try execute(
      "INSERT INTO job_archives (job_id, part, bytes) VALUES ($1, $2, $3)",
      [.integer(id), .integer(Int64(index)), .bytes(Array(bytes))])
  }

  // MARK: Review

  func reviewDecisions(ofTask taskId: Int64) throws -> [ReviewDecisionRecord] {
    try all("SELECT * FROM review_decisions WHERE task_id = $1 ORDER BY id", [.integer(taskId)])
  }

  func reviewDecisions(ofRun runId: Int64) throws -> [ReviewDecisionRecord] {
    try all("SELECT * FROM review_decisions WHERE run_id = $1 ORDER BY id", [.integer(runId)])
  }

  func reviewLeases(ofTask taskId: Int64, runningAt time: String) throws -> [ReviewLeaseRecord] {
    try all(
      "SELECT * FROM review_leases WHERE task_id = $2 AND \(Self.running) ORDER BY id",
      [.text(time), .integer(taskId)])
  }

  func reviewLease(id: Int64) throws -> ReviewLeaseRecord? { try byId(id) }

  func endedReviewLeases(ofRun runId: Int64, reviewer: String) throws -> [ReviewLeaseRecord] {
    try all(
      """
      SELECT * FROM review_leases WHERE run_id = $1 AND reviewer = $2 AND ended_at IS NOT NULL ORDER BY id
      """, [.integer(runId), .text(reviewer)])
  }

  func chipReviews(ofTask taskId: Int64) throws -> [ChipReviewRecord] {
    try all("SELECT * FROM chip_reviews WHERE task_id = $1 ORDER BY id", [.integer(taskId)])
  }

  func reviewSettings(ofTask taskId: Int64) throws -> ReviewSettingsRecord? {
    try one("SELECT * FROM review_settings WHERE task_id = $1", [.integer(taskId)])
  }

  func insert(_ decision: inout ReviewDecisionRecord) throws { try insertRecord(&decision) }

  func insert(_ lease: inout ReviewLeaseRecord) throws { try insertRecord(&lease) }

  func update(_ lease: ReviewLeaseRecord) throws { try updateRecord(lease) }

  func insert(_ review: inout ChipReviewRecord) throws { try insertRecord(&review) }

  func save(_ settings: inout ReviewSettingsRecord) throws {
    try replace(&settings, existing: reviewSettings(ofTask: settings.taskId))
  }

  // MARK: Gold

  func goldChips(ofTask taskId: Int64) throws -> [GoldChipRecord] {
    try all("SELECT * FROM gold_chips WHERE task_id = $1 ORDER BY chip_id", [.integer(taskId)])
  }

  func goldObjects(ofTask taskId: Int64) throws -> [GoldObjectRecord] {
    try all("SELECT * FROM gold_objects WHERE task_id = $1 ORDER BY feature_index, id", [.integer(taskId)])
  }

  func deleteGold(ofTask taskId: Int64) throws {
    try execute("DELETE FROM gold_chips WHERE task_id = $1", [.integer(taskId)])
    try execute("DELETE FROM gold_objects WHERE task_id = $1", [.integer(taskId)])
  }

  func deleteGoldScores(ofTask taskId: Int64) throws {
    try execute("DELETE FROM gold_scores WHERE task_id = $1", [.integer(taskId)])
  }

  func insert(_ gold: inout GoldChipRecord) throws { try insertRecord(&gold) }

  func insert(_ object: inout GoldObjectRecord) throws { try insertRecord(&object) }

  func goldScores(ofTask taskId: Int64) throws -> [GoldScoreRecord] {
    try all("SELECT * FROM gold_scores WHERE task_id = $1 ORDER BY id", [.integer(taskId)])
  }

  func insert(_ score: inout GoldScoreRecord) throws { try insertRecord(&score) }

  func goldSettings(ofTask taskId: Int64) throws -> GoldSettingsRecord? {
    try one("SELECT * FROM gold_settings WHERE task_id = $1", [.integer(taskId)])
  }

  func save(_ settings: inout GoldSettingsRecord) throws {
    try replace(&settings, existing: goldSettings(ofTask: settings.taskId))
  }

  // MARK: Users

  func users() throws -> [UserRecord] { try all("SELECT * FROM users ORDER BY name") }

  func user(named name: String) throws -> UserRecord? {
    try one("SELECT * FROM users WHERE name = $1", [.text(name)])
  }

  func user(tokenHash: String) throws -> UserRecord? {
    try one("SELECT * FROM users WHERE token_hash = $1", [.text(tokenHash)])
  }

  func insert(_ user: inout UserRecord) throws { try insertRecord(&user) }

  func update(_ user: UserRecord) throws { try updateRecord(user) }

  // MARK: Audit log

  func auditLog() throws -> [AuditEntry] { try all("SELECT * FROM audit_log ORDER BY id") }

  func audit(actor: String, command: String, action: String, detail: String) throws {
    var entry = AuditEntry(
      at: Timestamp.now(), actor: actor, command: command, action: action, detail: detail)
    try insertRecord(&entry)
  }

  // MARK: Row locks shared by scoped writes

  func lockFirstFreeChip(among chipIds: [Int64]) throws -> Int64? {
    guard !chipIds.isEmpty else { return nil }
    var bindings = PostgresBindings()
    bindings.append(chipIds)
    let found = try connection.rows(
      PostgresQuery(
        unsafeSQL: """
          SELECT id FROM chips WHERE id = ANY($1)
          ORDER BY array_position($1, id) LIMIT 1 FOR UPDATE SKIP LOCKED
          """, binds: bindings))
    return try found.first?.decode(Int64.self)
  }

  func lockChips(_ chipIds: [Int64]) throws {
    guard !chipIds.isEmpty else { return }
    var bindings = PostgresBindings()
    bindings.append(chipIds)
    // One order for every locker, so two of them never wait for each other.
    try connection.run(
      PostgresQuery(
        unsafeSQL: "SELECT id FROM chips WHERE id = ANY($1) ORDER BY id FOR UPDATE", binds: bindings))
  }
}
