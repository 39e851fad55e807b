import Foundation
import SwathGeometry
import SwathStore

/// Promoting reviewed chips to gold (issue #12, "or a reviewed chip promoted to gold"): the
/// chip's final layer after review (the consensus with the reviewers' decisions, the layer
/// `swath export` writes), clipped to the chip, becomes its truth, added to the task's gold.
extension Gold {
  /// Why a chip's review is complete: a reviewer validated the whole chip, or every object on it
  /// that needed a review was decided (and at least one decision was made there).
  public enum ReviewedBy: String, Sendable {
    case validation = "validated"
    case decisions = "decided"
  }

  /// One promoted chip: its key, how it was reviewed, and how many gold objects it added.
  public struct Promoted: Sendable, Hashable {
    public var chip: String
    public var reviewedBy: ReviewedBy
    public var objects: Int
  }

  /// How the chip's review is complete, or the error that says why it is not. A chip counts as
  /// reviewed when its latest chip review is `validated` (the reviewer vouched for the whole
  /// chip, missed objects included), or when no object on it still needs a review and a reviewer
  /// decided at least one object on it (the thresholds vouch for the objects they decided).
  /// Auto states alone are not a review: a chip nobody looked at is refused.
  static func reviewedBy(
    _ chip: ChipRecord, objects: [Review.Object], added: [ReviewDecisionRecord],
    latestReview: ChipReviewRecord?
  ) throws -> ReviewedBy {
    switch latestReview?.verdict {
    case .validated?: return .validation
    case .invalidated?:
      throw WorkflowError(
        "chip '\(chip.chipKey)' was invalidated by \(latestReview!.reviewer) and is back in annotation; validate it first",
        kind: .conflict)
    case nil: break
    }
    let onChip = objects.filter { $0.chips.contains(chip.chipKey) }
    let open = onChip.filter { $0.state == .needsReview && $0.decision == nil }
    guard open.isEmpty else {
      throw WorkflowError(
        "chip '\(chip.chipKey)' has \(open.count) object(s) still needing a review (\(open.prefix(3).map(\.id).joined(separator: ", "))); decide them or validate the chip",
        kind: .conflict)
    }
    let footprint = GeoJSONGeometry.multiPolygon(text: chip.footprint)?.envelope
    let addedHere = added.contains { decision in
      guard let footprint, let text = decision.geometry,
        let box = GeoJSONGeometry.multiPolygon(text: text)?.envelope
      else { return false }
      return Review.overlaps(box, footprint)
    }
    guard onChip.contains(where: { $0.decision != nil }) || addedHere else {
      throw WorkflowError(
        "chip '\(chip.chipKey)' has nothing reviewed; validate it (swath review chip) or decide its objects first",
        kind: .conflict)
    }
    return .decisions
  }

  /// The accepted objects of the final layer, clipped to `footprint` (pieces with no area
  /// dropped), leaving out those that match a gold object already there (clipped the same way)
  /// at IoU `iou`: the analyst's truth wins over the reviewed consensus.
  static func truth(
    of layer: [Export.Object], on footprint: MultiPolygon, existing: [MultiPolygon], iou: Double
  ) throws -> [(object: Export.Object, geometry: MultiPolygon)] {
    func clipped(_ shape: MultiPolygon) throws -> MultiPolygon? {
      let part = try Topology.intersection(shape, footprint)
      return part.isEmpty || Topology.area(part) <= 0 ? nil : part
    }
    let there = try existing.compactMap(clipped)
    var truth: [(Export.Object, MultiPolygon)] = []
    for object in layer where object.properties["status"]?.stringValue ?? "accepted" == "accepted" {
      guard let part = try clipped(object.geometry) else { continue }
      if try there.contains(where: { try IoU.polygons(part, $0) >= iou }) { continue }
      truth.append((object, part))
    }
    return truth
  }

  /// The attributes a gold object keeps: the values of the label's schema attributes, as a JSON
  /// object (nil when the task has no label schema), as `gold add` stores them.
  static func attributes(of object: Export.Object, label: String, schema: LabelSchema?) -> String? {
    guard let schema else { return nil }
    var values: [String: JSONValue] = [:]
    for attribute in schema.label(named: label)?.attributes ?? [] {
      if let value = object.properties[attribute.name], value != .null { values[attribute.name] = value }
    }
    return JSONValue.object(values).jsonText
  }
}

extension Workspace {
  /// Promotes reviewed chips of a task to gold: each chip's final layer (latest run with the
  /// review decisions) clipped to the chip becomes its gold objects, added to the task's gold
  /// (nothing already there is replaced), and every answer on the gold chips is scored again.
  /// A chip not reviewed (see `Gold.reviewedBy`), already gold, or not the task's is one error,
  /// and nothing is stored. Analysts and admins only; audited.
  public func promoteToGold(task name: String, chips keys: [String], by caller: Caller) throws
    -> [Gold.Promoted]
  {
    try caller.require(.manageGold)
    guard !keys.isEmpty else { throw WorkflowError("name at least one chip to promote") }
    if let repeated = Dictionary(grouping: keys, by: { $0 }).first(where: { $0.value.count > 1 })?.key {
      throw WorkflowError("chip '\(repeated)' is named twice")
    }
    return try store.write { store in
      let task = try store.requireTask(named: name)
      let chips = try keys.map { key in
        guard let chip = try store.chip(taskId: task.id!, key: key) else {
          throw WorkflowError("task '\(name)' has no chip '\(key)'", kind: .notFound)
        }
        return chip
      }
      let gold = Set(try store.goldChips(ofTask: task.id!).map(\.chipId))
      if let already = chips.first(where: { gold.contains($0.id!) }) {
        throw WorkflowError("chip '\(already.chipKey)' of task '\(name)' is already gold", kind: .conflict)
      }
      let run = try Review.latestRun(task, in: store)
      let objects = try Review.objects(of: run, task: task, in: store)
      let added = try store.reviewDecisions(ofRun: run.id!).filter { $0.decision == .add }
      var latestReview: [Int64: ChipReviewRecord] = [:]
      for review in try store.chipReviews(ofTask: task.id!) { latestReview[review.chipId] = review }
      let reviewed = try chips.map { chip in
        try Gold.reviewedBy(chip, objects: objects, added: added, latestReview: latestReview[chip.id!])
      }

      let layer = try Review.finalLayer(run, task: task, in: store)
      let schema = try task.validationSchema()
      var existing = try store.goldObjects(ofTask: task.id!)
      var nextIndex = (existing.map(\.featureIndex).max() ?? -1) + 1
      let now = Timestamp.now()
      var promoted: [Gold.Promoted] = []
      for (chip, how) in zip(chips, reviewed) {
        guard let footprint = GeoJSONGeometry.multiPolygon(text: chip.footprint) else {
          throw WorkflowError("chip '\(chip.chipKey)' has no footprint", kind: .environment)
        }
        let truth = try Gold.truth(
          of: layer, on: footprint,
          existing: existing.compactMap { GeoJSONGeometry.multiPolygon(text: $0.geometry) }, iou: task.iou)
        var record = GoldChipRecord(taskId: task.id!, chipId: chip.id!, addedBy: caller.name, addedAt: now)
        try store.insert(&record)
        for (object, geometry) in truth {
          let label = object.properties["label"]?.stringValue ?? ""
          var row = GoldObjectRecord(
            taskId: task.id!, featureIndex: nextIndex, label: label,
            shape: object.properties["shape"]?.stringValue ?? "polygon",
            geometry: GeoJSONGeometry.text(geometry),
            attributes: Gold.attributes(of: object, label: label, schema: schema))
          try store.insert(&row)
          existing.append(row)
          nextIndex += 1
        }
        promoted.append(Gold.Promoted(chip: chip.chipKey, reviewedBy: how, objects: truth.count))
      }
      // Answers already on the new gold chips are scored now, so the gold record is right.
      try Gold.rescore(task, in: store)
      try store.audit(
        actor: caller.name, command: caller.command, action: "gold.promote",
        detail: "task=\(name) run=\(run.id!) "
          + promoted.map { "\($0.chip):\($0.reviewedBy.rawValue):\($0.objects)" }.joined(separator: ","))
      return promoted
    }
  }
}
