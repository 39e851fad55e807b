import GRDB
import SwathStore
import Synchronization

/// Rows use snake_case columns; Swift properties are camelCase.
protocol SQLiteRecord: StoreRecord, FetchableRecord, MutablePersistableRecord {}

// Public only because GRDB's protocols are: nothing outside this module imports GRDB.
extension SQLiteRecord {
  public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
    .custom { column in ColumnNames.Key(stringValue: ColumnNames.property(column)) }
  }
  public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
    .custom { key in ColumnNames.column(key.stringValue) }
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

/// snake_case column ⇄ camelCase property, each name converted once: GRDB's own conversion
/// splits and joins strings for every column of every row, which was most of a lease's time.
enum ColumnNames {
  struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  private static let properties = Mutex<[String: String]>([:])
  private static let columns = Mutex<[String: String]>([:])

  static func property(_ column: String) -> String {
    if let known = properties.withLock({ $0[column] }) { return known }
    var result = ""
    var upperNext = false
    for character in column {
      if character == "_" {
        upperNext = !result.isEmpty
      } else {
        result.append(upperNext ? Character(character.uppercased()) : character)
        upperNext = false
      }
    }
    properties.withLock { $0[column] = result }
    return result
  }

  static func column(_ property: String) -> String {
    if let known = columns.withLock({ $0[property] }) { return known }
    var result = ""
    for character in property {
      if character.isUppercase {
        if !result.isEmpty { result.append("_") }
        result.append(contentsOf: character.lowercased())
      } else {
        result.append(character)
      }
    }
    columns.withLock { $0[property] = result }
    return result
  }
}
