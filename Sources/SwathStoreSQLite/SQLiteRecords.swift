import GRDB
import SwathStore

/// Rows use snake_case columns; Swift properties are camelCase.
protocol SQLiteRecord: StoreRecord, FetchableRecord, MutablePersistableRecord {}

// Public only because GRDB's protocols are: nothing outside this module imports GRDB.
extension SQLiteRecord {
  public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
    .convertFromSnakeCase
  }
  public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
    .convertToSnakeCase
  }
  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension ImageRecord: SQLiteRecord { public static let databaseTableName = "images" }
extension TaskRecord: SQLiteRecord { public static let databaseTableName = "tasks" }
extension ChipRecord: SQLiteRecord { public static let databaseTableName = "chips" }
extension AssignmentRecord: SQLiteRecord { public static let databaseTableName = "assignments" }
extension SubmissionRecord: SQLiteRecord { public static let databaseTableName = "submissions" }
extension SubmissionFeatureRecord: SQLiteRecord {
  public static let databaseTableName = "submission_features"
}
extension ConsensusRunRecord: SQLiteRecord { public static let databaseTableName = "consensus_runs" }
extension AuditEntry: SQLiteRecord { public static let databaseTableName = "audit_log" }
extension UserRecord: SQLiteRecord { public static let databaseTableName = "users" }
extension LeaseRecord: SQLiteRecord { public static let databaseTableName = "leases" }
extension ChipFlagRecord: SQLiteRecord { public static let databaseTableName = "chip_flags" }
extension IdempotencyRecord: SQLiteRecord { public static let databaseTableName = "idempotency_keys" }
extension JobRecord: SQLiteRecord { public static let databaseTableName = "jobs" }
