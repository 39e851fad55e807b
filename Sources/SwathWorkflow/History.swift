import Foundation
import SwathGeometry
import SwathStore

/// One entry of the audit log, as analysts read it.
public struct AuditLogEntry: Codable, Sendable, Hashable {
  public var id: Int64
  public var at: String
  public var actor: String
  public var command: String
  public var action: String
  public var detail: String
}

/// An annotator's own submission, with its validation report: what they may see of their work.
public struct OwnSubmission: Codable, Sendable {
  public var id: Int64
  public var task: String
  public var chip: String?
  public var status: String
  public var receivedAt: String
  public var reason: String?
  public var coordinates: String
  /// The validation report as stored (Schemas/validation-report.schema.json's issues).
  public var report: JSONValue?

  enum CodingKeys: String, CodingKey {
    case id, task, chip, status, reason, coordinates, report
    case receivedAt = "received_at"
  }
}

extension Workspace {
  /// The audit log, oldest first, optionally only one user's entries, one task's, or a time range
  /// (ISO 8601 UTC, inclusive `since`, exclusive `until`).
  public func auditLog(
    user: String? = nil, task: String? = nil, since: String? = nil, until: String? = nil,
    by caller: Caller
  ) throws -> [AuditLogEntry] {
    try caller.require(.viewTaskStatus)
    return try store.read { store in
      if let task { _ = try store.requireTask(named: task) }
      return try store.auditLog().filter { entry in
        (user.map { entry.actor == $0 } ?? true)
          && (task.map { History.mentions(entry, task: $0) } ?? true)
          && (since.map { entry.at >= $0 } ?? true) && (until.map { entry.at < $0 } ?? true)
      }.map {
        AuditLogEntry(
          id: $0.id ?? 0, at: $0.at, actor: $0.actor, command: $0.command, action: $0.action,
          detail: $0.detail)
      }
    }
  }

  /// An annotator's own submissions in a task (every one: accepted, rejected, superseded), with
  /// their validation reports. Nothing of anyone else's.
  public func submissions(of annotator: String, task name: String, by caller: Caller) throws
    -> [OwnSubmission]
  {
    try caller.requireAnnotationWork("submissions")
    guard caller.mayActAs(annotator: annotator) else {
      throw WorkflowError("no annotator named '\(annotator)'", kind: .notFound)
    }
    return try store.read { store in
      let task = try store.requireTask(named: name)
      let mine = try store.submissionSummaries(ofTask: task.id!, annotator: annotator)
      return try mine.compactMap { summary in
        guard let row = try store.submission(id: summary.id) else { return nil }
        return OwnSubmission(
          id: summary.id, task: task.name, chip: try row.chipId.flatMap { try store.chip(id: $0)?.chipKey },
          status: row.status.rawValue, receivedAt: row.receivedAt, reason: row.reason,
          coordinates: row.coordinates.rawValue, report: row.report.flatMap { try? JSONValue(parsing: $0) })
      }
    }
  }
}

enum History {
  /// Whether an audit entry is about a task: the details name it as `task=NAME`, or start with
  /// it (task creation, closing, assignment).
  static func mentions(_ entry: AuditEntry, task: String) -> Bool {
    entry.detail.contains("task=\(task) ") || entry.detail.hasSuffix("task=\(task)")
      || entry.detail.contains("task=\(task):")
      || (entry.action.hasPrefix("task.") && (entry.detail == task || entry.detail.hasPrefix("\(task) ")))
  }
}

/// A task the caller can work in now, as the annotator's page lists them.
public struct OwnTask: Codable, Sendable, Hashable {
  public var task: String
  /// `leased` (any annotator takes its chips one at a time) or `assigned`.
  public var distribution: String
  /// The caller's assigned chips not answered yet (assigned tasks only).
  public var pending: Int?
  /// Whether the caller holds a running lease in it (leased tasks only).
  public var leased: Bool?
}

/// An annotator's own progress in one task: nothing about anyone else.
public struct OwnStatistics: Codable, Sendable, Hashable {
  public var task: String
  public var assigned: Int
  public var pending: Int
  public var accepted: Int
  public var rejected: Int
  public var superseded: Int
  public var flagged: Int
}

extension Workspace {
  /// The open tasks the caller can work in: every open leased task (any annotator may lease its
  /// chips) and the open assigned tasks where chips assigned to them wait for an answer. Says
  /// nothing about anyone else's work.
  public func ownTasks(by caller: Caller) throws -> [OwnTask] {
    guard caller.role.may(.annotate) else {
      throw WorkflowError("\(caller.name) (\(caller.role.rawValue)) has no annotation work", kind: .forbidden)
    }
    let me = caller.name
    let now = Timestamp.now()
    return try store.read { store in
      try store.tasks().filter { $0.state == .open }.compactMap { task -> OwnTask? in
        switch task.distribution {
        case .leased:
          let running = try store.leases(ofTask: task.id!, annotator: me, runningAt: now)
          return OwnTask(task: task.name, distribution: "leased", leased: !running.isEmpty)
        case .assigned:
          let pending = try store.assignments(ofTask: task.id!)
            .filter { $0.annotator == me && $0.state == .pending }.count
          return pending == 0 ? nil : OwnTask(task: task.name, distribution: "assigned", pending: pending)
        }
      }
    }
  }

  /// The caller's own counts in every task they have work in (assignments, submissions, flags).
  public func ownStatistics(by caller: Caller) throws -> [OwnStatistics] {
    guard caller.role.may(.annotate) else {
      throw WorkflowError("\(caller.name) (\(caller.role.rawValue)) has no annotation work", kind: .forbidden)
    }
    let me = caller.name
    return try store.read { store in
      try store.tasks().compactMap { task -> OwnStatistics? in
        let assignments = try store.assignments(ofTask: task.id!).filter { $0.annotator == me }
        let submissions = try store.submissionSummaries(ofTask: task.id!, annotator: me)
        let flags = try store.chipFlags(ofTask: task.id!).filter { $0.annotator == me }
        guard !assignments.isEmpty || !submissions.isEmpty || !flags.isEmpty else { return nil }
        return OwnStatistics(
          task: task.name, assigned: assignments.count,
          pending: assignments.filter { $0.state == .pending }.count,
          accepted: submissions.filter { $0.status == .accepted }.count,
          rejected: submissions.filter { $0.status == .rejected }.count,
          superseded: submissions.filter { $0.status == .superseded }.count, flagged: flags.count)
      }
    }
  }
}
