import Foundation
import GRDB
import SwathStore

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
extension ReviewDecisionRecord: SQLiteRecord { public static let databaseTableName = "review_decisions" }
extension ReviewLeaseRecord: SQLiteRecord { public static let databaseTableName = "review_leases" }
extension ChipReviewRecord: SQLiteRecord { public static let databaseTableName = "chip_reviews" }
extension ReviewSettingsRecord: SQLiteRecord { public static let databaseTableName = "review_settings" }
extension GoldChipRecord: SQLiteRecord { public static let databaseTableName = "gold_chips" }
extension GoldObjectRecord: SQLiteRecord { public static let databaseTableName = "gold_objects" }
extension GoldScoreRecord: SQLiteRecord { public static let databaseTableName = "gold_scores" }
extension LayerObjectRecord: SQLiteRecord { public static let databaseTableName = "layer_objects" }
extension LayerBuildRecord: SQLiteRecord { public static let databaseTableName = "layer_builds" }
extension GoldSettingsRecord: SQLiteRecord { public static let databaseTableName = "gold_settings" }

// The records every request reads, decoded by hand: GRDB's Codable decoder costs more than the
// query itself. The contract tests compare each with what was inserted.
extension TaskRecord {
  public init(row: Row) throws {
    self.init(
      id: row["id"], name: row["name"], imageId: row["image_id"], region: row["region"],
      labels: try Self.json([String].self, row, "labels"), chipSize: row["chip_size"],
      overlap: row["overlap"], replicas: row["replicas"], iou: row["iou"], quorum: row["quorum"],
      state: try Self.value(row, "state"), chipDirectory: row["chip_directory"],
      createdAt: row["created_at"], closedAt: row["closed_at"],
      distribution: try Self.value(row, "distribution"), leaseSeconds: row["lease_seconds"],
      labelSchema: row["label_schema"], instructions: row["instructions"],
      chipSource: try Self.value(row, "chip_source"), chipLook: row["chip_look"])
  }
}

extension ChipRecord {
  public init(row: Row) throws {
    self.init(
      id: row["id"], taskId: row["task_id"], chipKey: row["chip_key"], columnOffset: row["column_offset"],
      rowOffset: row["row_offset"], width: row["width"], height: row["height"],
      geotransform: try Self.json([Double].self, row, "geotransform"), footprint: row["footprint"],
      minLon: row["min_lon"], minLat: row["min_lat"], maxLon: row["max_lon"], maxLat: row["max_lat"],
      validFraction: row["valid_fraction"], path: row["path"])
  }
}

extension UserRecord {
  public init(row: Row) throws {
    self.init(
      id: row["id"], name: row["name"], role: try Self.value(row, "role"), tokenHash: row["token_hash"],
      disabled: row["disabled"], createdAt: row["created_at"], tokenIssuedAt: row["token_issued_at"],
      disabledAt: row["disabled_at"])
  }
}

extension LeaseRecord {
  public init(row: Row) throws {
    self.init(
      id: row["id"], taskId: row["task_id"], chipId: row["chip_id"], annotator: row["annotator"],
      leasedAt: row["leased_at"], expiresAt: row["expires_at"], endedAt: row["ended_at"],
      endReason: row["end_reason"])
  }
}

extension SQLiteRecord {
  /// A column holding an enum's raw value.
  static func value<T: RawRepresentable>(_ row: Row, _ column: String) throws -> T
  where T.RawValue == String {
    let text: String = row[column]
    guard let value = T(rawValue: text) else {
      throw StoreError("\(databaseTableName).\(column): unknown value '\(text)'")
    }
    return value
  }

  /// A column holding JSON, as GRDB's Codable encoding writes arrays.
  static func json<T: Decodable>(_ type: T.Type, _ row: Row, _ column: String) throws -> T {
    let text: String = row[column]
    do {
      return try JSONDecoder().decode(T.self, from: Data(text.utf8))
    } catch {
      throw StoreError("\(databaseTableName).\(column): unreadable JSON")
    }
  }
}
