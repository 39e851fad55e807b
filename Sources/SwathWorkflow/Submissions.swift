import Foundation
import SwathStore
import SwathSupport

/// A shape of an accepted submission, ready to store: WGS84 GeoJSON geometry.
public struct AcceptedFeature: Sendable, Hashable {
  public var index: Int
  public var label: String?
  public var shape: String
  public var geometry: String
  /// The attributes the task's label schema defines, as a JSON object (defaults filled in);
  /// nil for a task without a schema.
  public var attributes: String?

  public init(index: Int, label: String?, shape: String, geometry: String, attributes: String? = nil) {
    self.attributes = attributes
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
enum Submissions {
  /// Stores the file exactly as received; returns the new row's id.
  static func receive(
    task name: String, annotator: String, fileName: String, raw: Data, requestedChip: String?,
    coordinates: CoordinateFrame, in store: any ProjectStore, command: String
  ) throws -> Int64 {
    try Assignments.validateAnnotator(annotator)
    return try store.write(scope: .user(annotator)) { store in
      let task = try store.requireTask(named: name)
      var row = SubmissionRecord(
        taskId: task.id!, chipId: nil, requestedChip: requestedChip,
        annotator: annotator, fileName: fileName, pixelCoordinates: coordinates == .chipPixels, raw: raw,
        receivedAt: Timestamp.now(), receiverPid: ProcessInfo.processInfo.processIdentifier,
        status: .received, report: nil, reason: nil, supersedes: nil, sourceId: nil,
        finalisedAt: nil, coordinates: coordinates)
      try store.insert(&row)
      try store.audit(
        actor: annotator, command: command, action: "submission.receive",
        detail: "#\(row.id!) task=\(task.name) file=\(fileName) bytes=\(raw.count)")
      return row.id!
    }
  }

  /// Stores validation's outcome for a `received` row in one transaction. Returns nil when
  /// another process already finalised it.
  static func finalise(
    id: Int64, annotator: String, outcome: SubmissionOutcome, in store: any ProjectStore, command: String
  ) throws -> [SubmissionResult]? {
    try store.write(scope: .user(annotator)) { store in
      guard var row = try store.submission(id: id) else {
        throw WorkflowError("submission #\(id) vanished from the store", kind: .environment)
      }
      guard row.status == .received else { return nil }
      guard let task = try store.task(id: row.taskId) else {
        throw WorkflowError("submission #\(id) refers to a missing task", kind: .environment)
      }
      let now = Timestamp.now()
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
        try store.update(row)
        try store.audit(
          actor: row.annotator, command: command, action: "submission.reject",
          detail: "#\(id) task=\(task.name): \(reason)")
        return [
          SubmissionResult(
            id: id, chip: try chipKey(chipId, store), status: row.status.rawValue, features: 0,
            supersedes: nil, reason: reason)
        ]
      case .accepted(let parts, let report):
        guard !parts.isEmpty else {
          throw WorkflowError("internal: an accepted submission must cover at least one chip")
        }
        // An answer ends a lease on its chip: other annotators' leases count both at once.
        try store.lockChips(parts.map(\.chipId))
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
          if partIndex == 0 { try store.update(partRow) } else { try store.insert(&partRow) }
          let partId = partRow.id!
          var featureRows = part.features.map { feature in
            SubmissionFeatureRecord(
              submissionId: partId, featureIndex: feature.index, label: feature.label,
              shape: feature.shape, geometry: feature.geometry, attributes: feature.attributes)
          }
          try store.insert(&featureRows)
          try Gold.score(
            submission: partId, chipId: part.chipId, annotator: row.annotator,
            features: part.features.map(\.geometry), task: task, in: store)
          // The newest received (highest id) stays accepted for this annotator and chip.
          let competing = try store.acceptedSubmissions(
            taskId: row.taskId, chipId: part.chipId, annotator: row.annotator
          ).filter { $0.id != partId }
          var supersedes: Int64?
          for var older in competing where older.id! < partId {
            older.status = .superseded
            try store.update(older)
            supersedes = older.id
          }
          if competing.contains(where: { $0.id! > partId }) {
            partRow.status = .superseded
          }
          partRow.supersedes = supersedes
          try store.update(partRow)
          try store.markSubmitted(chipId: part.chipId, annotator: row.annotator)
          // An answer ends the annotator's lease on the chip: it is no longer theirs to hold.
          if task.distribution == .leased {
            for var lease in try store.leases(ofTask: task.id!, annotator: row.annotator, runningAt: now)
            where lease.chipId == part.chipId {
              lease.endedAt = now
              lease.endReason = "answered"
              try store.update(lease)
            }
          }
          let key = try chipKey(part.chipId, store)
          try store.audit(
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
  static func stale(in store: any ProjectStore) throws -> [SubmissionRecord] {
    try store.read { store in try store.submissions(withStatus: .received) }.filter { row in
      guard let pid = row.receiverPid, pid > 0 else { return true }
      if pid == ProcessInfo.processInfo.processIdentifier { return false }
      return LocalProcess.isGone(pid)
    }
  }

  static func chipKey(_ chipId: Int64?, _ store: any StoreReader) throws -> String? {
    guard let chipId else { return nil }
    return try store.chip(id: chipId)?.chipKey
  }
}
