import Foundation
import SwathStore

/// "Bad imagery" and "skip": an annotator gives a chip back without shapes. Neither is a vote
/// (an empty file is the vote that there is nothing there). A flag ends the annotator's lease on
/// the chip and the chip is not leased to them again; a chip two annotators report as bad
/// imagery leaves the queue and is listed for the analyst.
extension Workspace {
  /// How many annotators must report bad imagery before a chip leaves the queue.
  public static let badImageryReportsToWithdraw = 2

  public func flagChip(
    task name: String, chip key: String, annotator: String, kind: ChipFlagKind, comment: String?,
    by caller: Caller
  ) throws -> ChipFlagRecord {
    try Assignments.validateAnnotator(annotator)
    guard caller.mayActAs(annotator: annotator) else {
      throw WorkflowError("\(caller.name) may not report chips for '\(annotator)'", kind: .forbidden)
    }
    if let comment, comment.count > 2000 {
      throw WorkflowError("the comment is longer than 2000 characters")
    }
    return try store.write { store in
      _ = try Users.requireAnnotator(annotator, in: store)
      let task = try store.requireTask(named: name)
      guard task.state == .open else { throw WorkflowError("task '\(name)' is closed", kind: .conflict) }
      guard let chip = try store.chip(taskId: task.id!, key: key) else {
        throw WorkflowError("task '\(name)' has no chip '\(key)'", kind: .notFound)
      }
      let now = Timestamp.now()
      if task.distribution == .leased {
        let running = try store.leases(ofTask: task.id!, annotator: annotator, runningAt: now).filter {
          $0.chipId == chip.id
        }
        guard !running.isEmpty else {
          throw WorkflowError(
            "annotator '\(annotator)' holds no running lease on chip '\(key)' of task '\(name)'",
            kind: .conflict)
        }
        for var lease in running {
          lease.endedAt = now
          lease.endReason = kind.rawValue
          try store.update(lease)
        }
      } else {
        guard
          try store.assignments(ofTask: task.id!).contains(where: {
            $0.chipId == chip.id && $0.annotator == annotator
          })
        else {
          throw WorkflowError(
            "annotator '\(annotator)' is not assigned to chip '\(key)' of task '\(name)'", kind: .conflict)
        }
      }
      var flag = ChipFlagRecord(
        taskId: task.id!, chipId: chip.id!, annotator: annotator, kind: kind, comment: comment,
        flaggedAt: now)
      try store.insert(&flag)
      try store.audit(
        actor: annotator, command: caller.command, action: "chip.flag",
        detail: "task=\(name) chip=\(key) \(kind.rawValue)")
      return flag
    }
  }
}

enum ChipFlags {
  /// Chips with bad-imagery reports from enough distinct annotators.
  static func withdrawn(_ task: TaskRecord, in store: any StoreReader) throws -> Set<Int64> {
    var reporters: [Int64: Set<String>] = [:]
    for flag in try store.chipFlags(ofTask: task.id!) where flag.kind == .badImagery {
      reporters[flag.chipId, default: []].insert(flag.annotator)
    }
    return Set(reporters.filter { $0.value.count >= Workspace.badImageryReportsToWithdraw }.keys)
  }

  /// Chips an annotator gave back: not leased to them again.
  static func givenBack(by annotator: String, _ task: TaskRecord, in store: any StoreReader) throws -> Set<
    Int64
  > {
    Set(try store.chipFlags(ofTask: task.id!).filter { $0.annotator == annotator }.map(\.chipId))
  }
}
