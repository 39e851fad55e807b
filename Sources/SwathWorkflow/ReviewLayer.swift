import Foundation
import SwathGeometry
import SwathStore

extension Review {
  /// The review fields every exported object carries.
  static let fieldNames = ["review_state", "decision", "reason", "reviewer", "reviewed_at"]

  /// The final layer: a run's objects with the review decisions applied, then the objects
  /// reviewers added. An undecided object keeps the consensus status unless its state decides it
  /// (auto_accepted, auto_rejected); a rejected one is `rejected`, any other decision `accepted`.
  static func finalLayer(_ run: ConsensusRunRecord, task: TaskRecord, in store: any StoreReader) throws
    -> [Export.Object]
  {
    var layer: [Export.Object] = []
    try FinalLayer(run, task: task, in: store).forEachObject { layer.append($0) }
    return layer
  }

  /// What a run's final layer is made of, read in one transaction (the run with its stored
  /// result, the decisions, the thresholds); its objects are then made one at a time outside
  /// it, so a large layer is never held whole.
  struct FinalLayer: Sendable {
    let run: ConsensusRunRecord
    let thresholds: Thresholds
    /// The first decision on each object index.
    let decisions: [Int: ReviewDecisionRecord]
    /// The objects reviewers drew.
    let added: [ReviewDecisionRecord]

    init(_ run: ConsensusRunRecord, task: TaskRecord, in store: any StoreReader) throws {
      self.run = run
      thresholds = try Review.thresholds(task, in: store)
      let all = try store.reviewDecisions(ofRun: run.id!)
      decisions = Dictionary(
        all.compactMap { decision in decision.objectIndex.map { ($0, decision) } },
        uniquingKeysWith: { first, _ in first })
      added = all.filter { $0.decision == .add }
    }

    /// Calls `body` with each object of the final layer in order. With `readGeometry` false the
    /// stored geometries are not parsed and every object's geometry is empty (a pass that needs
    /// only the properties).
    func forEachObject(readGeometry: Bool = true, _ body: (Export.Object) throws -> Void) throws {
      var index = 0
      try Export.forEachStoredObject(in: run.result, readGeometry: readGeometry) { stored in
        defer { index += 1 }
        try body(finalObject(stored, index: index, readGeometry: readGeometry))
      }
      for added in added {
        guard var object = addedObject(added) else { continue }
        if !readGeometry { object.geometry = MultiPolygon([]) }
        try body(object)
      }
    }

    private func finalObject(_ object: Export.Object, index: Int, readGeometry: Bool) -> Export.Object {
      let (confidence, consensusStatus, conflicts) = stateInputs(object.properties)
      let state = Review.state(
        confidence: confidence, status: consensusStatus, conflicts: conflicts, thresholds)
      return Review.finalObject(
        object, state: state, status: consensusStatus, decision: decisions[index], readGeometry: readGeometry)
    }
  }

  /// One object of a run as the final layer has it: its review state and decision applied.
  static func finalObject(_ object: Object) -> Export.Object {
    finalObject(
      Export.Object(geometry: object.geometry, properties: object.properties), state: object.state,
      status: object.status, decision: object.decision, readGeometry: true)
  }

  /// A consensus object with its review state and its decision (if any) applied: an undecided
  /// object keeps `status` unless its state decides it; a rejected one is `rejected`, any other
  /// decision `accepted`, with the decision's label, attributes and geometry.
  static func finalObject(
    _ object: Export.Object, state: State, status consensusStatus: String, decision: ReviewDecisionRecord?,
    readGeometry: Bool
  ) -> Export.Object {
    var properties = object.properties
    var geometry = object.geometry
    properties["review_state"] = .string(state.rawValue)
    var status = consensusStatus
    switch state {
    case .autoAccepted: status = "accepted"
    case .autoRejected: status = "rejected"
    case .needsReview: break
    }
    if let decision {
      properties.merge(fields(of: decision)) { _, new in new }
      status = decision.decision == .reject ? "rejected" : "accepted"
      if let label = decision.label { properties["label"] = .string(label) }
      if let text = decision.attributes, let values = try? JSONValue(parsing: Data(text.utf8)).objectValue {
        properties.merge(values) { _, new in new }
      }
      if readGeometry, let text = decision.geometry, let replaced = GeoJSONGeometry.multiPolygon(text: text) {
        geometry = replaced
      }
    } else {
      for name in fieldNames.dropFirst() { properties[name] = .null }
    }
    properties["status"] = .string(status)
    return Export.Object(geometry: geometry, properties: properties)
  }

  /// An object a reviewer added, as the final layer has it; nil for any other decision.
  static func addedObject(_ added: ReviewDecisionRecord) -> Export.Object? {
    guard added.decision == .add, let text = added.geometry,
      let geometry = GeoJSONGeometry.multiPolygon(text: text)
    else { return nil }
    var properties: [String: JSONValue] = [:]
    if let text = added.attributes, let values = try? JSONValue(parsing: Data(text.utf8)).objectValue {
      properties = values
    }
    properties.merge(fields(of: added)) { _, new in new }
    properties["review_state"] = .string("added")
    properties["label"] = added.label.map { .string($0) } ?? .null
    properties["shape"] = .string("polygon")
    properties["status"] = .string("accepted")
    // The reviewer is the one annotator who drew it.
    properties["support"] = .integer(1)
    properties["assigned"] = .integer(1)
    properties["iou_mean"] = .number(1)
    properties["score"] = .number(1)
    properties["annotators"] = .array([.string(added.reviewer)])
    properties["votes"] = .object(added.label.map { [$0: .integer(1)] } ?? [:])
    properties["conflicts"] = .array([])
    return Export.Object(geometry: geometry, properties: properties)
  }

  static func fields(of decision: ReviewDecisionRecord) -> [String: JSONValue] {
    [
      "decision": .string(decision.decision.rawValue),
      "reason": decision.reason.map { .string($0) } ?? .null,
      "reviewer": .string(decision.reviewer),
      "reviewed_at": .string(decision.decidedAt),
    ]
  }

  /// Carries the decisions on `previous` to `run`: each to the new object it matches best at
  /// IoU `iou` or more (an object takes one decision), added objects as they are. Returns how
  /// many were carried and the decisions that matched nothing. Inside the run's transaction.
  static func carryDecisions(
    from previous: ConsensusRunRecord, to run: ConsensusRunRecord, objects: [MultiPolygon], iou: Double,
    in store: any StoreWriter
  ) throws -> (carried: Int, unmatched: [ReviewDecisionRecord]) {
    let decisions = try store.reviewDecisions(ofRun: previous.id!)
    guard !decisions.isEmpty else { return (0, []) }
    let old = try Export.parseResult(previous.result)
    let boxes = objects.map(\.envelope)
    var taken: Set<Int> = []
    var carried = 0
    var unmatched: [ReviewDecisionRecord] = []
    for decision in decisions {
      var copy = decision
      copy.id = nil
      copy.runId = run.id!
      copy.carriedFrom = decision.id
      if let index = decision.objectIndex {
        guard old.indices.contains(index), let box = old[index].geometry.envelope else {
          unmatched.append(decision)
          continue
        }
        var best: (index: Int, iou: Double)?
        for (candidate, candidateBox) in boxes.enumerated() where !taken.contains(candidate) {
          guard let candidateBox, box.intersects(candidateBox) else { continue }
          let value = try IoU.polygons(old[index].geometry, objects[candidate])
          if value >= iou, value > (best?.iou ?? 0) { best = (candidate, value) }
        }
        guard let best else {
          unmatched.append(decision)
          continue
        }
        taken.insert(best.index)
        copy.objectIndex = best.index
      }
      try store.insert(&copy)
      carried += 1
    }
    return (carried, unmatched)
  }
}
