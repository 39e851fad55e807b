import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// The review of a consensus run: every object gets a review state from its confidence and
/// conflicts, reviewers lease the least certain objects one at a time and decide them, and the
/// final layer is the consensus with their decisions applied.
public enum Review {
  /// An object's state after a consensus run, before any decision.
  public enum State: String, Sendable, CaseIterable {
    case autoAccepted = "auto_accepted"
    case needsReview = "needs_review"
    case autoRejected = "auto_rejected"
  }

  /// A task's thresholds on an object's confidence.
  public struct Thresholds: Sendable, Hashable {
    public var accept: Double
    public var reject: Double

    /// Chosen on the 3-annotator simulated panel of the sample scene (README, "Review").
    public static let defaults = Thresholds(uncheckedAccept: 0.9, reject: 0.2)

    public init(accept: Double, reject: Double) throws {
      guard (0...1).contains(accept), (0...1).contains(reject), reject <= accept else {
        throw WorkflowError(
          "review thresholds must lie in 0...1 with reject <= accept, found accept \(accept), reject \(reject)"
        )
      }
      self.accept = accept
      self.reject = reject
    }

    init(uncheckedAccept accept: Double, reject: Double) {
      self.accept = accept
      self.reject = reject
    }
  }

  /// The reasons a reject names; any other non-empty text is taken as given.
  public static let reasons = ["not_an_object", "duplicate", "wrong_label", "bad_geometry"]

  /// One object of a run as reviewers see it.
  public struct Object: Sendable {
    /// `RUN-INDEX`: stable within a run.
    public var id: String
    public var run: Int64
    public var index: Int
    public var state: State
    public var confidence: Double
    public var label: String?
    public var status: String
    public var conflicts: [String]
    /// The chips the object lies on, and who annotated them.
    public var chips: [String]
    public var chipAnnotators: Set<String>
    public var decision: ReviewDecisionRecord?
    public var geometry: MultiPolygon
    public var properties: [String: JSONValue]

    /// How far from a coin toss: the least certain objects are worth a decision first.
    var certainty: Double { Review.certainty(confidence) }
  }

  /// What a reviewer decides about an object.
  public enum Decision: Sendable {
    case accept
    case reject(reason: String)
    case relabel(String)
    case attributes([String: JSONValue])
    /// A GeoJSON Feature or one-feature FeatureCollection, as an annotator would submit it.
    case geometry(Data, pixelChip: String?)
  }

  /// A run's objects with their states and decisions, and the decisions of earlier runs that
  /// matched nothing in it.
  public struct Listing: Sendable {
    public var run: ConsensusRunRecord
    public var thresholds: Thresholds
    public var objects: [Object]
    public var added: [ReviewDecisionRecord]
    public var unmatched: [ReviewDecisionRecord]
    public var chipReviews: [ChipReviewRecord]
    /// Chip keys by chip id, for the chip reviews.
    public var chipKeys: [Int64: String]
  }

  public static func objectId(run: Int64, index: Int) -> String { "\(run)-\(index)" }

  static func parseObjectId(_ text: String) throws -> (run: Int64, index: Int) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let run = Int64(parts[0]), let index = Int(parts[1]), run > 0, index >= 0 else {
      throw WorkflowError("object id '\(text)' is not RUN-INDEX (e.g. 4-17)")
    }
    return (run, index)
  }

  static func thresholds(_ task: TaskRecord, in store: any StoreReader) throws -> Thresholds {
    guard let settings = try store.reviewSettings(ofTask: task.id!) else { return .defaults }
    return Thresholds(uncheckedAccept: settings.accept, reject: settings.reject)
  }

  /// What an object's review state is made of, from its consensus properties: `confidence`
  /// (else `score`, else 0), `status` (else `accepted`) and `conflicts`.
  public static func stateInputs(_ properties: [String: JSONValue]) -> (
    confidence: Double, status: String, conflicts: [String]
  ) {
    (
      properties["confidence"]?.doubleValue ?? properties["score"]?.doubleValue ?? 0,
      properties["status"]?.stringValue ?? "accepted",
      properties["conflicts"]?.arrayValue?.compactMap(\.stringValue) ?? []
    )
  }

  /// How far a confidence is from a coin toss.
  public static func certainty(_ confidence: Double) -> Double { abs(confidence - 0.5) }

  /// Whether the review queue offers object `a` before `b`: the least certain first, then the
  /// lower index.
  public static func queuePrecedes(
    _ a: (confidence: Double, index: Int), _ b: (confidence: Double, index: Int)
  ) -> Bool {
    (certainty(a.confidence), a.index) < (certainty(b.confidence), b.index)
  }

  /// The indices of the `needs_review` objects in the order the review queue offers them (with
  /// no decisions, leases or reviewer's own chips to skip).
  public static func queueOrder(states: [State], confidences: [Double]) -> [Int] {
    states.indices.filter { states[$0] == .needsReview }.sorted {
      queuePrecedes((confidences[$0], $0), (confidences[$1], $1))
    }
  }

  /// The review state of an object (the rules of the table in README, "Review").
  public static func state(confidence: Double, status: String, conflicts: [String], _ thresholds: Thresholds)
    -> State
  {
    if !conflicts.isEmpty { return .needsReview }
    if status == "accepted" && confidence >= thresholds.accept { return .autoAccepted }
    if confidence < thresholds.reject { return .autoRejected }
    return .needsReview
  }

  /// Every object of `run` with its state, chips and decision.
  static func objects(
    of run: ConsensusRunRecord, task: TaskRecord, in store: any StoreReader
  ) throws -> [Object] {
    let thresholds = try thresholds(task, in: store)
    let decisions = Dictionary(
      try store.reviewDecisions(ofRun: run.id!).compactMap { decision in
        decision.objectIndex.map { ($0, decision) }
      }, uniquingKeysWith: { first, _ in first })
    let chips = try store.chips(ofTask: task.id!).compactMap { chip in
      GeoJSONGeometry.multiPolygon(text: chip.footprint)?.envelope.map { (chip, $0) }
    }
    var annotatorsOf: [Int64: Set<String>] = [:]
    for submission in try store.submissionSummaries(ofTask: task.id!)
    where submission.status == .accepted || submission.status == .superseded {
      if let chip = submission.chipId { annotatorsOf[chip, default: []].insert(submission.annotator) }
    }
    for assignment in try store.assignments(ofTask: task.id!) {
      annotatorsOf[assignment.chipId, default: []].insert(assignment.annotator)
    }
    return try Export.parseResult(run.result).enumerated().map { index, object in
      let properties = object.properties
      let (confidence, status, conflicts) = stateInputs(properties)
      var onChips: [String] = []
      var chipAnnotators: Set<String> = []
      if let box = object.geometry.envelope {
        for (chip, footprint) in chips where Self.overlaps(box, footprint) {
          onChips.append(chip.chipKey)
          chipAnnotators.formUnion(annotatorsOf[chip.id!] ?? [])
        }
      }
      return Object(
        id: objectId(run: run.id!, index: index), run: run.id!, index: index,
        state: state(confidence: confidence, status: status, conflicts: conflicts, thresholds),
        confidence: confidence, label: properties["label"]?.stringValue, status: status,
        conflicts: conflicts, chips: onChips, chipAnnotators: chipAnnotators, decision: decisions[index],
        geometry: object.geometry, properties: properties)
    }
  }

  /// Boxes that share area (touching chips do not hold the object).
  static func overlaps(_ a: BoundingBox, _ b: BoundingBox) -> Bool {
    min(a.maxX, b.maxX) > max(a.minX, b.minX) && min(a.maxY, b.maxY) > max(a.minY, b.minY)
  }

  static func latestRun(_ task: TaskRecord, in store: any StoreReader) throws -> ConsensusRunRecord {
    guard let run = try store.latestConsensusRun(ofTask: task.id!) else {
      throw WorkflowError(
        "task '\(task.name)' has no consensus run yet (swath consensus \(task.name))", kind: .conflict)
    }
    return run
  }
}

extension Caller {
  /// Throws `forbidden` when the caller annotated one of `chips`, unless they are an admin
  /// (who may override; the decision records it). Returns whether it was overridden.
  func requireNotAnnotator(of annotators: Set<String>, _ what: String) throws -> Bool {
    guard annotators.contains(name) else { return false }
    guard role == .admin else {
      throw WorkflowError("\(name) annotated \(what) and may not review it", kind: .forbidden)
    }
    return true
  }
}

extension Workspace {
  /// A task's review thresholds (the defaults until set).
  public func reviewThresholds(task name: String, by caller: Caller) throws -> Review.Thresholds {
    try caller.require(.viewReviews)
    return try store.read { store in try Review.thresholds(try store.requireTask(named: name), in: store) }
  }

  /// Sets a task's review thresholds; audited.
  public func setReviewThresholds(task name: String, _ thresholds: Review.Thresholds, by caller: Caller)
    throws
  {
    try caller.require(.manageTasks)
    try store.write { store in
      let task = try store.requireTask(named: name)
      var settings = ReviewSettingsRecord(
        taskId: task.id!, accept: thresholds.accept, reject: thresholds.reject)
      try store.save(&settings)
      // The states of undecided objects follow the thresholds, and the layer with them.
      if let run = try store.latestConsensusRun(ofTask: task.id!) {
        try Review.rebuildLayer(task, run: run, in: store)
      }
      try store.audit(
        actor: caller.name, command: caller.command, action: "review.thresholds",
        detail: "task=\(name) accept=\(thresholds.accept) reject=\(thresholds.reject)")
    }
  }

  /// The latest run's objects with their review states and decisions, the objects reviewers
  /// added, the decisions of the previous run that matched nothing, and the chip reviews.
  public func reviewList(task name: String, by caller: Caller) throws -> Review.Listing {
    try caller.require(.viewReviews)
    return try store.read { store in
      let task = try store.requireTask(named: name)
      let run = try Review.latestRun(task, in: store)
      let decisions = try store.reviewDecisions(ofTask: task.id!)
      let carried = Set(decisions.filter { $0.runId == run.id }.compactMap(\.carriedFrom))
      let previous = decisions.filter { $0.runId != run.id }.map(\.runId).max()
      return Review.Listing(
        run: run, thresholds: try Review.thresholds(task, in: store),
        objects: try Review.objects(of: run, task: task, in: store),
        added: decisions.filter { $0.runId == run.id && $0.decision == .add },
        unmatched: decisions.filter { $0.runId == previous && !carried.contains($0.id!) },
        chipReviews: try store.chipReviews(ofTask: task.id!),
        chipKeys: Dictionary(
          uniqueKeysWithValues: try store.chips(ofTask: task.id!).map { ($0.id!, $0.chipKey) }))
    }
  }

  /// Leases `reviewer` the next object of the task's latest run that needs a review, the least
  /// certain first, skipping objects decided, leased to another reviewer, or on chips the
  /// reviewer annotated; objects the reviewer released come last. Asking again returns the
  /// running lease. Nil when nothing is left.
  public func nextReview(task name: String, reviewer: String, by caller: Caller) throws -> (
    object: Review.Object, lease: ReviewLeaseRecord
  )? {
    try caller.require(.review)
    guard caller.name == reviewer || caller.role.may(.actForOthers) else {
      throw WorkflowError("\(caller.name) may not lease review work for '\(reviewer)'", kind: .forbidden)
    }
    return try store.write { store in
      let task = try store.requireTask(named: name)
      let run = try Review.latestRun(task, in: store)
      let objects = try Review.objects(of: run, task: task, in: store)
      let now = Date()
      let nowText = Timestamp.string(from: now)
      let running = try store.reviewLeases(ofTask: task.id!, runningAt: nowText).filter { $0.runId == run.id }
      if let theirs = running.first(where: { $0.reviewer == reviewer }),
        objects.indices.contains(theirs.objectIndex), objects[theirs.objectIndex].decision == nil
      {
        return (objects[theirs.objectIndex], theirs)
      }
      let leased = Set(running.map(\.objectIndex))
      let open = objects.filter {
        $0.state == .needsReview && $0.decision == nil && !leased.contains($0.index)
          && !$0.chipAnnotators.contains(reviewer)
      }
      // Objects this reviewer gave back undecided come after every other, the longest ago
      // first: skipping one moves on, and going round the queue comes back to it.
      var released: [Int: String] = [:]
      for ended in try store.endedReviewLeases(ofRun: run.id!, reviewer: reviewer) {
        if let at = ended.endedAt { released[ended.objectIndex] = max(released[ended.objectIndex] ?? "", at) }
      }
      guard
        let next = open.min(by: { a, b in
          let (ra, rb) = (released[a.index] ?? "", released[b.index] ?? "")
          if ra != rb { return ra < rb }
          return Review.queuePrecedes((a.confidence, a.index), (b.confidence, b.index))
        })
      else {
        return nil
      }
      var lease = ReviewLeaseRecord(
        taskId: task.id!, runId: run.id!, objectIndex: next.index, reviewer: reviewer, leasedAt: nowText,
        expiresAt: Timestamp.string(from: now.addingTimeInterval(TimeInterval(task.leaseSeconds))))
      try store.insert(&lease)
      try store.audit(
        actor: reviewer, command: caller.command, action: "review.lease",
        detail: "#\(lease.id!) task=\(name) object=\(next.id) until=\(lease.expiresAt)")
      return (next, lease)
    }
  }
}

extension Workspace {
  /// Gives back a running review lease undecided: the object returns to the queue at once, for
  /// other reviewers first (the releasing reviewer is offered it again only after every other
  /// open object). Only the lease's reviewer or an admin may; anyone else is told there is no
  /// such lease. A lease that already ended (decided, released or expired) is a conflict.
  public func releaseReviewLease(task name: String, lease id: Int64, by caller: Caller) throws -> (
    lease: ReviewLeaseRecord, object: String
  ) {
    try caller.require(.review)
    return try store.write { store in
      let task = try store.requireTask(named: name)
      guard var lease = try store.reviewLease(id: id), lease.taskId == task.id,
        lease.reviewer == caller.name || caller.role.may(.actForOthers)
      else {
        throw WorkflowError("\(caller.name) holds no review lease #\(id) in task '\(name)'", kind: .notFound)
      }
      let object = Review.objectId(run: lease.runId, index: lease.objectIndex)
      let now = Timestamp.now()
      if let ended = lease.endedAt {
        throw WorkflowError(
          "review lease #\(id) on object \(object) already ended at \(ended) (decided or released)",
          kind: .conflict)
      }
      guard lease.isActive(at: now) else {
        throw WorkflowError(
          "review lease #\(id) on object \(object) expired at \(lease.expiresAt); ask for the next object",
          kind: .conflict)
      }
      lease.endedAt = now
      try store.update(lease)
      try store.audit(
        actor: caller.name, command: caller.command, action: "review.release",
        detail: "#\(id) task=\(name) object=\(object) reviewer=\(lease.reviewer)")
      return (lease, object)
    }
  }
}

extension Workspace {
  /// The caller a local admin acts as for `swath review --reviewer NAME`: a registered, enabled
  /// reviewer (or admin), with their own role, so the review rules apply to them.
  public func reviewer(named name: String, command: String, by caller: Caller) throws -> Caller {
    try caller.require(.actForOthers)
    return try store.read { store in
      guard let user = try store.user(named: name) else {
        throw WorkflowError("no reviewer named '\(name)' (register users first)", kind: .notFound)
      }
      guard user.role == .reviewer || user.role == .admin else {
        throw WorkflowError("user '\(name)' has the role \(user.role.rawValue), not reviewer")
      }
      guard !user.disabled else { throw WorkflowError("reviewer '\(name)' is disabled", kind: .conflict) }
      return Caller(name: user.name, role: user.role, command: command)
    }
  }
}
