import Foundation
import SwathStore

/// What one `swath task assign` did.
public struct AssignmentOutcome: Sendable, Hashable {
  /// New assignments per annotator (annotators given but not needed appear with 0).
  public var added: [String: Int]
  /// Chips that still have fewer than `replicas` distinct annotators.
  public var chipsShort: Int
  /// Assignments still missing over all chips.
  public var missing: Int
  public var totalAdded: Int { added.values.reduce(0, +) }
}

enum Assignments {
  /// Annotator names are identifiers in files and queues: keep them plain.
  static func validateAnnotator(_ name: String) throws {
    try Users.validateName(name, as: "annotator")
  }
}

extension Workspace {
  /// Gives every chip `replicas` distinct annotators, least-loaded annotator first (ties by
  /// name, so the same inputs always give the same assignment). Existing assignments are kept:
  /// re-running with more annotators only fills what is missing.
  public func assign(task name: String, annotators given: [String], by caller: Caller) throws
    -> AssignmentOutcome
  {
    try caller.require(.manageTasks)
    var annotators: [String] = []
    for annotator in given {
      try Assignments.validateAnnotator(annotator)
      if !annotators.contains(annotator) { annotators.append(annotator) }
    }
    guard !annotators.isEmpty else { throw WorkflowError("no annotator given") }
    return try store.write { store in
      let task = try store.requireTask(named: name)
      guard task.state == .open else {
        throw WorkflowError("task '\(name)' is closed; it takes no new assignments", kind: .conflict)
      }
      guard task.distribution == .assigned else {
        throw WorkflowError(
          "task '\(name)' gives out chips by lease; it takes no static assignments", kind: .conflict)
      }
      for annotator in annotators { _ = try Users.requireAnnotator(annotator, in: store) }
      let chips = try store.chips(ofTask: task.id!).map { $0.id! }
      guard !chips.isEmpty else { throw WorkflowError("task '\(name)' has no chips to assign") }
      var assigned: [Int64: Set<String>] = [:]
      var load: [String: Int] = Dictionary(uniqueKeysWithValues: annotators.map { ($0, 0) })
      for existing in try store.assignments(ofTask: task.id!) {
        assigned[existing.chipId, default: []].insert(existing.annotator)
        load[existing.annotator, default: 0] += 1
      }
      var added: [String: Int] = Dictionary(uniqueKeysWithValues: annotators.map { ($0, 0) })
      var chipsShort = 0
      var missing = 0
      let now = Timestamp.now()
      for chip in chips {
        var onChip = assigned[chip] ?? []
        var need = task.replicas - onChip.count
        if need > 0 {
          let candidates = annotators.filter { !onChip.contains($0) }
            .sorted { (load[$0]!, $0) < (load[$1]!, $1) }
          for annotator in candidates.prefix(need) {
            var assignment = AssignmentRecord(
              chipId: chip, annotator: annotator, state: .pending, assignedAt: now)
            try store.insert(&assignment)
            onChip.insert(annotator)
            load[annotator]! += 1
            added[annotator]! += 1
            need -= 1
          }
        }
        if need > 0 {
          chipsShort += 1
          missing += need
        }
      }
      let summary = annotators.map { "\($0)+\(added[$0]!)" }.joined(separator: " ")
      try store.audit(
        actor: caller.name, command: caller.command, action: "task.assign",
        detail: "\(task.name) \(summary) missing=\(missing)")
      return AssignmentOutcome(added: added, chipsShort: chipsShort, missing: missing)
    }
  }
}
