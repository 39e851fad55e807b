import Foundation
import GRDB

/// A shape of an accepted submission, ready to store: WGS84 GeoJSON geometry.
public struct AcceptedFeature: Sendable, Hashable {
  public var index: Int
  public var label: String?
  public var shape: String
  public var geometry: String

  public init(index: Int, label: String?, shape: String, geometry: String) {
    self.index = index
    self.label = label
    self.shape = shape
    self.geometry = geometry
  }
}

/// What validation decided about one received file.
public enum SubmissionOutcome: Sendable {
  /// Features grouped by the chip each belongs to (one group per chip the file covers).
  case accepted(parts: [(chipId: Int64, features: [AcceptedFeature])], report: String)
  /// `chipId` when the chip was known; `report` is the whole validation report as JSON.
  case rejected(reason: String, report: String, chipId: Int64?)
}

/// What `swath submit` reports back, one entry per stored row.
public struct SubmissionResult: Sendable, Codable, Hashable {
  public var id: Int64
  public var chip: String?
  public var status: String
  public var features: Int
  public var supersedes: Int64?
  public var reason: String?
}

/// The storage side of `swath submit`.
///
/// The raw file is committed first, in its own transaction, as `received`; validation then runs
/// outside any transaction and a second transaction stores its outcome. A process killed in
/// between leaves a `received` row holding the exact bytes, which the next `submit` or
/// `consensus` re-processes (`recoverStale`), so nothing received is ever lost and the
/// finalising transaction is all or nothing. Finalising is compare-and-set on
/// `status = 'received'`, so two processes recovering the same row cannot both apply it.
public enum Submissions {
  /// Stores the file exactly as received; returns the new row's id.
  public static func receive(
    task name: String, annotator: String, fileName: String, raw: Data, requestedChip: String?,
    pixelCoordinates: Bool, in store: Store, command: String
  ) throws -> Int64 {
    try Assignments.validateAnnotator(annotator)
    return try store.write { db in
      let task = try TaskCatalog.find(name, in: db)
      var row = SubmissionRecord(
        id: nil, taskId: task.id!, chipId: nil, requestedChip: requestedChip,
        annotator: annotator, fileName: fileName, pixelCoordinates: pixelCoordinates, raw: raw,
        receivedAt: Clock.now(), receiverPid: ProcessInfo.processInfo.processIdentifier,
        status: .received, report: nil, reason: nil, supersedes: nil, sourceId: nil,
        finalisedAt: nil)
      try row.insert(db)
      try db.audit(
        actor: annotator, command: command, action: "submission.receive",
        detail: "#\(row.id!) task=\(task.name) file=\(fileName) bytes=\(raw.count)")
      return row.id!
    }
  }

  /// Stores validation's outcome for a `received` row in one transaction. Returns nil when
  /// another process already finalised it.
  public static func finalise(
    id: Int64, outcome: SubmissionOutcome, in store: Store, command: String
  ) throws -> [SubmissionResult]? {
    try store.write { db in
      guard var row = try SubmissionRecord.fetchOne(db, key: id) else {
        throw StoreError("submission #\(id) vanished from the store")
      }
      guard row.status == .received else { return nil }
      let task = try TaskRecord.fetchOne(db, key: row.taskId)!
      let now = Clock.now()
      var outcome = outcome
      if task.state == .closed, case .accepted(_, let report) = outcome {
        outcome = .rejected(
          reason: "task '\(task.name)' was closed before the submission was stored", report: report,
          chipId: nil)
      }
      switch outcome {
      case .rejected(let reason, let report, let chipId):
        row.status = .rejected
        row.reason = reason
        row.report = report
        row.chipId = chipId
        row.finalisedAt = now
        try row.update(db)
        try db.audit(
          actor: row.annotator, command: command, action: "submission.reject",
          detail: "#\(id) task=\(task.name): \(reason)")
        return [
          SubmissionResult(
            id: id, chip: try chipKey(chipId, db), status: row.status.rawValue, features: 0,
            supersedes: nil, reason: reason)
        ]
      case .accepted(let parts, let report):
        guard !parts.isEmpty else {
          throw StoreError("internal: an accepted submission must cover at least one chip")
        }
        var results: [SubmissionResult] = []
        for (partIndex, part) in parts.enumerated() {
          var partRow = row
          if partIndex > 0 {
            // Each chip a file covers gets its own row, so supersession stays per chip.
            partRow.id = nil
            partRow.sourceId = id
          }
          partRow.chipId = part.chipId
          partRow.status = .accepted
          partRow.report = report
          partRow.finalisedAt = now
          if partIndex == 0 { try partRow.update(db) } else { try partRow.insert(db) }
          let partId = partRow.id!
          for feature in part.features {
            var featureRow = SubmissionFeatureRecord(
              id: nil, submissionId: partId, featureIndex: feature.index, label: feature.label,
              shape: feature.shape, geometry: feature.geometry)
            try featureRow.insert(db)
          }
          // The newest received (highest id) stays accepted for this annotator and chip.
          let competing =
            try SubmissionRecord
            .filter(Column("task_id") == row.taskId && Column("chip_id") == part.chipId)
            .filter(Column("annotator") == row.annotator && Column("status") == "accepted")
            .filter(Column("id") != partId)
            .order(Column("id"))
            .fetchAll(db)
          var supersedes: Int64?
          for var older in competing where older.id! < partId {
            older.status = .superseded
            try older.update(db)
            supersedes = older.id
          }
          if competing.contains(where: { $0.id! > partId }) {
            partRow.status = .superseded
          }
          partRow.supersedes = supersedes
          try partRow.update(db)
          try db.execute(
            sql: "UPDATE assignments SET state = 'submitted' WHERE chip_id = ? AND annotator = ?",
            arguments: [part.chipId, row.annotator])
          let key = try chipKey(part.chipId, db)
          try db.audit(
            actor: row.annotator, command: command, action: "submission.accept",
            detail:
              "#\(partId) task=\(task.name) chip=\(key ?? "?") features=\(part.features.count)"
              + (supersedes.map { " supersedes=#\($0)" } ?? ""))
          results.append(
            SubmissionResult(
              id: partId, chip: key, status: partRow.status.rawValue,
              features: part.features.count, supersedes: supersedes, reason: nil))
        }
        return results
      }
    }
  }

  /// `received` rows whose receiving process is gone: killed between storing and finalising.
  public static func stale(in store: Store) throws -> [SubmissionRecord] {
    try store.read { db in
      try SubmissionRecord.filter(Column("status") == "received").order(Column("id")).fetchAll(db)
    }.filter { row in
      guard let pid = row.receiverPid, pid > 0 else { return true }
      if pid == ProcessInfo.processInfo.processIdentifier { return false }
      return kill(pid, 0) != 0 && errno == ESRCH
    }
  }

  static func chipKey(_ chipId: Int64?, _ db: Database) throws -> String? {
    guard let chipId else { return nil }
    return try String.fetchOne(db, sql: "SELECT chip_key FROM chips WHERE id = ?", arguments: [chipId])
  }
}
