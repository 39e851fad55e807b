import Foundation
import GRDB

/// Rows use snake_case columns; Swift properties are camelCase.
public protocol StoreRecord: Codable, Sendable, FetchableRecord, MutablePersistableRecord {}

extension StoreRecord {
  public static var databaseColumnDecodingStrategy: DatabaseColumnDecodingStrategy {
    .convertFromSnakeCase
  }
  public static var databaseColumnEncodingStrategy: DatabaseColumnEncodingStrategy {
    .convertToSnakeCase
  }
}

public struct ImageRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "images"
  public var id: Int64?
  public var name: String
  public var path: String
  public var sha256: String
  public var sizeBytes: Int64
  public var width: Int
  public var height: Int
  public var bands: Int
  public var dataType: String
  public var crsWkt: String?
  public var epsg: Int?
  public var geotransform: [Double]?
  public var footprint: String?
  public var addedAt: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public enum TaskState: String, Codable, Sendable {
  case open
  case closed
}

public struct TaskRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "tasks"
  public var id: Int64?
  public var name: String
  public var imageId: Int64
  public var region: String
  public var labels: [String]
  public var chipSize: Int
  public var overlap: Int
  public var replicas: Int
  public var iou: Double
  public var quorum: Double
  public var state: TaskState
  public var chipDirectory: String
  public var createdAt: String
  public var closedAt: String?

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct ChipRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "chips"
  public var id: Int64?
  public var taskId: Int64
  public var chipKey: String
  public var columnOffset: Int
  public var rowOffset: Int
  public var width: Int
  public var height: Int
  public var geotransform: [Double]
  public var footprint: String
  public var minLon: Double
  public var minLat: Double
  public var maxLon: Double
  public var maxLat: Double
  public var validFraction: Double
  public var path: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public enum AssignmentState: String, Codable, Sendable {
  case pending
  case submitted
}

public struct AssignmentRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "assignments"
  public var id: Int64?
  public var chipId: Int64
  public var annotator: String
  public var state: AssignmentState
  public var assignedAt: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public enum SubmissionStatus: String, Codable, Sendable {
  /// Stored, not yet validated: what a process killed mid-submit leaves behind.
  case received
  case accepted
  case rejected
  case superseded
}

public struct SubmissionRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "submissions"
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64?
  public var requestedChip: String?
  public var annotator: String
  public var fileName: String
  public var pixelCoordinates: Bool
  public var raw: Data
  public var receivedAt: String
  public var receiverPid: Int32?
  public var status: SubmissionStatus
  public var report: String?
  public var reason: String?
  public var supersedes: Int64?
  public var sourceId: Int64?
  public var finalisedAt: String?

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct SubmissionFeatureRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "submission_features"
  public var id: Int64?
  public var submissionId: Int64
  public var featureIndex: Int
  public var label: String?
  public var shape: String
  public var geometry: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct ConsensusRunRecord: StoreRecord, Identifiable {
  public static let databaseTableName = "consensus_runs"
  public var id: Int64?
  public var taskId: Int64
  public var parameters: String
  public var runAt: String
  public var submissionCount: Int
  public var objectCount: Int
  public var result: String
  public var report: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

public struct AuditEntry: StoreRecord, Identifiable {
  public static let databaseTableName = "audit_log"
  public var id: Int64?
  public var at: String
  public var actor: String
  public var command: String
  public var action: String
  public var detail: String

  public mutating func didInsert(_ inserted: InsertionSuccess) { id = inserted.rowID }
}

extension Database {
  /// Records a change in the audit log, inside the caller's transaction.
  public func audit(actor: String, command: String, action: String, detail: String) throws {
    var entry = AuditEntry(
      id: nil, at: Clock.now(), actor: actor, command: command, action: action, detail: detail)
    try entry.insert(self)
  }
}
