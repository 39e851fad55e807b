import Foundation
import SwathStore

/// Leased tasks: an annotator asks for the next chip that still needs an answer and works on it
/// alone until they answer, release it, or the lease runs out and the chip returns to the pool.
extension Workspace {
  /// Leases `annotator` the next chip of `task` that still needs an answer and that they have not
  /// answered: fewest answers first, then chip order. An annotator holds at most one lease per
  /// task: asking again returns the running one. Nil when no chip needs this annotator.
  ///
  /// One write transaction in the annotator's own scope reads the answers and running leases,
  /// claims a chip with a row lock and records the lease. Annotators asking at once take
  /// different chips (the row lock skips a chip another is claiming), and a chip is counted again
  /// once its lock is held, so no two ever take the same slot.
  public func lease(task name: String, annotator: String, by caller: Caller) throws -> LeaseRecord? {
    try Assignments.validateAnnotator(annotator)
    guard caller.mayActAs(annotator: annotator) else {
      throw WorkflowError("\(caller.name) may not lease chips for '\(annotator)'", kind: .forbidden)
    }
    // When every chip that may need them is held by others, the next attempt waits for the
    // first of them instead of skipping it.
    var waitForFirst = false
    for _ in 0..<1000 {
      let outcome = try store.write(scope: .user(annotator)) { store -> Leases.Claim in
        try Leases.claim(
          task: name, annotator: annotator, waitForFirst: waitForFirst, command: caller.command, in: store)
      }
      switch outcome {
      case .leased(let lease): return lease
      case .none: return nil
      case .contended: waitForFirst = true
      }
    }
    return nil
  }

  /// Extends a running lease by the task's lease time from now.
  public func extendLease(_ id: Int64, by caller: Caller) throws -> LeaseRecord {
    try changeLease(id, by: caller, action: "lease.extend") { lease, task, now in
      lease.expiresAt = Timestamp.string(from: now.addingTimeInterval(TimeInterval(task.leaseSeconds)))
    }
  }

  /// Gives a running lease back: the chip returns to the pool at once.
  public func releaseLease(_ id: Int64, by caller: Caller) throws -> LeaseRecord {
    try changeLease(id, by: caller, action: "lease.release") { lease, _, now in
      lease.endedAt = Timestamp.string(from: now)
      lease.endReason = "released"
    }
  }

  /// The name of the task a lease belongs to.
  public func taskName(of lease: LeaseRecord) throws -> String {
    try store.read { store in
      guard let task = try store.task(id: lease.taskId) else {
        throw WorkflowError("lease #\(lease.id ?? 0) refers to a missing task", kind: .environment)
      }
      return task.name
    }
  }

  /// The chip id (`r0003_c0007`) a lease is on.
  public func chipKey(of lease: LeaseRecord) throws -> String {
    try store.read { store in
      guard let chip = try store.chip(id: lease.chipId) else {
        throw WorkflowError("lease #\(lease.id ?? 0) refers to a missing chip", kind: .environment)
      }
      return chip.chipKey
    }
  }

  /// An annotator's running leases, in every open task.
  public func runningLeases(of annotator: String, by caller: Caller) throws -> [LeaseRecord] {
    try caller.requireAnnotationWork("leases")
    guard caller.mayActAs(annotator: annotator) else {
      throw WorkflowError("no annotator named '\(annotator)'", kind: .notFound)
    }
    let now = Timestamp.now()
    return try store.read { store in
      try store.tasks().filter { $0.state == .open && $0.distribution == .leased }.flatMap { task in
        try store.leases(ofTask: task.id!, annotator: annotator, runningAt: now)
      }
    }
  }

  /// Changes a running lease of the caller's in one transaction. A lease that is not the
  /// caller's does not exist for them.
  private func changeLease(
    _ id: Int64, by caller: Caller, action: String,
    _ change: (inout LeaseRecord, TaskRecord, Date) -> Void
  ) throws -> LeaseRecord {
    try caller.requireAnnotationWork("leases")
    return try store.write(scope: .user(caller.name)) { store in
      guard var lease = try store.lease(id: id), caller.mayActAs(annotator: lease.annotator) else {
        throw WorkflowError("no lease #\(id)", kind: .notFound)
      }
      guard let task = try store.task(id: lease.taskId) else {
        throw WorkflowError("lease #\(id) refers to a missing task", kind: .environment)
      }
      try Leases.requireLeasedAndOpen(task)
      let now = Date()
      guard lease.isActive(at: Timestamp.string(from: now)) else {
        throw WorkflowError(
          "lease #\(id) has \(lease.endedAt == nil ? "expired" : "ended"); lease a chip again",
          kind: .conflict)
      }
      change(&lease, task, now)
      try store.update(lease)
      try store.audit(
        actor: lease.annotator, command: caller.command, action: action,
        detail: "#\(id) task=\(task.name) until=\(lease.expiresAt)")
      return lease
    }
  }
}

enum Leases {
  enum Claim {
    case leased(LeaseRecord)
    /// No chip needs the annotator.
    case none
    /// Chips that may need them are held by other transactions right now.
    case contended
  }

  /// With `waitForFirst`, waits for the lock on the first chip that may need the annotator
  /// rather than skipping it. Only a transaction's first chip lock is ever waited for, so no two
  /// transactions can wait for each other.
  static func claim(
    task name: String, annotator: String, waitForFirst: Bool, command: String, in store: any StoreWriter
  ) throws -> Claim {
    _ = try Users.requireAnnotator(annotator, in: store)
    let task = try store.requireTask(named: name)
    try requireLeasedAndOpen(task)
    let now = Date()
    let nowText = Timestamp.string(from: now)
    if let theirs = try store.leasesHoldingSlots(ofTask: task.id!, at: nowText).first(where: {
      $0.annotator == annotator
    }) {
      return .leased(theirs)
    }
    var candidates = try openChips(for: annotator, task, at: nowText, in: store)
    if waitForFirst, let first = candidates.first { try store.lockChips([first]) }
    var skipped = false
    while let chipId = try store.lockFirstFreeChip(among: candidates) {
      let position = candidates.firstIndex(of: chipId)!
      skipped = skipped || position > 0
      candidates.removeFirst(position + 1)
      // Counted again under the chip's lock: a lease or answer committed since the first count.
      guard try openChips(for: annotator, task, at: nowText, in: store).contains(chipId),
        let chip = try store.chip(id: chipId)
      else { continue }
      var lease = LeaseRecord(
        taskId: task.id!, chipId: chipId, annotator: annotator, leasedAt: nowText,
        expiresAt: Timestamp.string(from: now.addingTimeInterval(TimeInterval(task.leaseSeconds))))
      try store.insert(&lease)
      try store.audit(
        actor: annotator, command: command, action: "lease.take",
        detail: "#\(lease.id!) task=\(task.name) chip=\(chip.chipKey) until=\(lease.expiresAt)")
      return .leased(lease)
    }
    return skipped || !candidates.isEmpty ? .contended : .none
  }

  /// The chips that still need `annotator`'s answer, the one to lease first first: fewest
  /// answers, then chip order.
  static func openChips(for annotator: String, _ task: TaskRecord, at now: String, in store: any StoreReader)
    throws -> [Int64]
  {
    let running = try store.leasesHoldingSlots(ofTask: task.id!, at: now)
    // Answers of annotators below the task's minimum gold F1 do not count.
    let answers = try Gold.keptAnswerCounts(task, in: store)
    let theirAnswers = try answeredChips(by: annotator, task, in: store)
    var leasedNow: [Int64: Int] = [:]
    for lease in running { leasedNow[lease.chipId, default: 0] += 1 }
    let closedToThem = try ChipFlags.withdrawn(task, in: store)
      .union(ChipFlags.givenBack(by: annotator, task, in: store))
    // A chip a reviewer invalidated asks for one more answer per invalidation.
    let reopened = try ReviewChips.invalidations(task, in: store)
    return try store.chipIds(ofTask: task.id!).enumerated()
      .filter { _, chip in
        !theirAnswers.contains(chip) && !closedToThem.contains(chip)
          && (answers[chip] ?? 0) + (leasedNow[chip] ?? 0) < task.replicas + (reopened[chip] ?? 0)
      }
      .sorted { a, b in ((answers[a.element] ?? 0), a.offset) < ((answers[b.element] ?? 0), b.offset) }
      .map(\.element)
  }

  static func requireLeasedAndOpen(_ task: TaskRecord) throws {
    guard task.distribution == .leased else {
      throw WorkflowError(
        "task '\(task.name)' assigns its chips up front; it gives out no leases", kind: .conflict)
    }
    guard task.state == .open else { throw WorkflowError("task '\(task.name)' is closed", kind: .conflict) }
  }

  /// The chips `annotator` answered (an accepted submission, current or superseded).
  static func answeredChips(by annotator: String, _ task: TaskRecord, in store: any StoreReader) throws
    -> Set<Int64>
  {
    Set(
      try store.submissionSummaries(ofTask: task.id!, annotator: annotator).compactMap { submission in
        submission.status == .accepted || submission.status == .superseded ? submission.chipId : nil
      })
  }

  /// The chips `annotator` held a lease on at `time`: where their file of that time may go.
  static func chipsLeased(
    to annotator: String, in task: TaskRecord, at time: String, store: any StoreReader
  ) throws -> Set<Int64> {
    Set(try store.leases(ofTask: task.id!, annotator: annotator, runningAt: time).map(\.chipId))
  }
}
