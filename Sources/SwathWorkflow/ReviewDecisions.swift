import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// Reviewers' decisions on objects and chips, each in one transaction with its audit entry.
extension Workspace {
  /// Records a decision on object `objectId` (`RUN-INDEX`) of the task's latest run. Refused when
  /// a newer run replaced the object, another reviewer decided it or holds its lease, or the
  /// reviewer annotated a chip it lies on (an admin may override; recorded and audited).
  public func decide(
    task name: String, object objectId: String, _ decision: Review.Decision, by caller: Caller
  ) throws -> ReviewDecisionRecord {
    try caller.require(.review)
    let (runId, index) = try Review.parseObjectId(objectId)
    if case .reject(let reason) = decision { try Self.checkReason(reason) }
    return try store.write { store in
      let task = try store.requireTask(named: name)
      guard task.state == .open else { throw WorkflowError("task '\(name)' is closed", kind: .conflict) }
      let run = try Review.latestRun(task, in: store)
      guard runId == run.id else {
        throw WorkflowError(
          runId < run.id!
            ? "object \(objectId) belongs to consensus run #\(runId), which run #\(run.id!) replaced; ask for the next object again"
            : "task '\(name)' has no consensus run #\(runId)",
          kind: runId < run.id! ? .conflict : .notFound)
      }
      let objects = try Review.objects(of: run, task: task, in: store)
      guard objects.indices.contains(index) else {
        throw WorkflowError("consensus run #\(runId) has no object \(index)", kind: .notFound)
      }
      let object = objects[index]
      if let earlier = object.decision {
        throw WorkflowError(
          "object \(objectId) was already decided (\(earlier.decision.rawValue)) by \(earlier.reviewer) at \(earlier.decidedAt)",
          kind: .conflict)
      }
      let now = Timestamp.now()
      let leases = try store.reviewLeases(ofTask: task.id!, runningAt: now).filter {
        $0.runId == runId && $0.objectIndex == index
      }
      if let other = leases.first(where: { $0.reviewer != caller.name }) {
        throw WorkflowError(
          "object \(objectId) is leased to \(other.reviewer) until \(other.expiresAt)", kind: .conflict)
      }
      let overridden = try caller.requireNotAnnotator(
        of: object.chipAnnotators, "chip \(object.chips.joined(separator: ", "))")
      var record = ReviewDecisionRecord(
        taskId: task.id!, runId: runId, objectIndex: index, decision: .accept, reviewer: caller.name,
        decidedAt: now, overridden: overridden)
      let schema = try task.schema()
      switch decision {
      case .accept:
        break
      case .reject(let reason):
        record.decision = .reject
        record.reason = reason
      case .relabel(let label):
        guard task.labels.contains(label) else {
          throw WorkflowError(
            "label '\(label)' is not one of the task's (\(task.labels.joined(separator: ", ")))")
        }
        record.decision = .relabel
        record.label = label
      case .attributes(let values):
        record.decision = .attributes
        record.attributes = try Self.checkAttributes(
          values, label: object.label, schema: task.labelSchema == nil ? nil : schema
        ).jsonText
      case .geometry(let data, let pixelChip):
        let feature = try Self.readFeature(data, pixelChip: pixelChip, task: task, in: store)
        record.decision = .geometry
        record.geometry = GeoJSONGeometry.text(feature.geometry)
      }
      try store.insert(&record)
      var decided = object
      decided.decision = record
      try Review.refreshLayer(decided, task: task, run: run, in: store)
      for var lease in leases {
        lease.endedAt = now
        try store.update(lease)
      }
      try store.audit(
        actor: caller.name, command: caller.command, action: "review.decide",
        detail: "task=\(name) object=\(objectId) \(Self.describe(record))")
      return record
    }
  }

  /// Adds an object every annotator missed to the task's latest run: a GeoJSON Feature (or
  /// one-feature FeatureCollection) validated as a submission is, in lon/lat or in the pixels of
  /// `pixelChip`.
  public func addObject(task name: String, _ data: Data, pixelChip: String?, by caller: Caller) throws
    -> ReviewDecisionRecord
  {
    try caller.require(.review)
    return try store.write { store in
      let task = try store.requireTask(named: name)
      guard task.state == .open else { throw WorkflowError("task '\(name)' is closed", kind: .conflict) }
      let run = try Review.latestRun(task, in: store)
      let feature = try Self.readFeature(data, pixelChip: pixelChip, task: task, in: store)
      var record = ReviewDecisionRecord(
        taskId: task.id!, runId: run.id!, objectIndex: nil, decision: .add, label: feature.label,
        attributes: feature.properties.isEmpty ? nil : JSONValue.object(feature.properties).jsonText,
        geometry: GeoJSONGeometry.text(feature.geometry), reviewer: caller.name, decidedAt: Timestamp.now())
      try store.insert(&record)
      try Review.addToLayer(record, task: task, run: run, in: store)
      try store.audit(
        actor: caller.name, command: caller.command, action: "review.add",
        detail: "task=\(name) run=\(run.id!) #\(record.id!) label=\(feature.label ?? "")")
      return record
    }
  }

  /// Chip-level validation: `validated`, or `invalidated` with a comment, which sends the chip
  /// back to annotation (a leased task offers it once more; an assigned task puts it back in its
  /// annotators' queues; the comment goes with the lease or the queue entry).
  public func reviewChip(
    task name: String, chip key: String, verdict: ChipVerdict, comment: String?, by caller: Caller
  ) throws -> ChipReviewRecord {
    try caller.require(.review)
    let comment = comment?.trimmingCharacters(in: .whitespacesAndNewlines)
    if verdict == .invalidated, comment?.isEmpty ?? true {
      throw WorkflowError("an invalidated chip needs a comment for the next annotator")
    }
    if let comment, comment.count > 2000 { throw WorkflowError("the comment is longer than 2000 characters") }
    return try store.write { store in
      let task = try store.requireTask(named: name)
      guard task.state == .open else { throw WorkflowError("task '\(name)' is closed", kind: .conflict) }
      guard let chip = try store.chip(taskId: task.id!, key: key) else {
        throw WorkflowError("task '\(name)' has no chip '\(key)'", kind: .notFound)
      }
      var annotators = Set(
        try store.assignments(ofTask: task.id!).filter { $0.chipId == chip.id }.map(\.annotator))
      for submission in try store.submissionSummaries(ofTask: task.id!) where submission.chipId == chip.id {
        annotators.insert(submission.annotator)
      }
      let overridden = try caller.requireNotAnnotator(of: annotators, "chip \(key)")
      var review = ChipReviewRecord(
        taskId: task.id!, chipId: chip.id!, reviewer: caller.name, verdict: verdict,
        comment: comment?.isEmpty ?? true ? nil : comment, reviewedAt: Timestamp.now(), overridden: overridden
      )
      try store.insert(&review)
      // An assigned task asks the chip's annotators again: it is back in their queues.
      if verdict == .invalidated, task.distribution == .assigned {
        try store.reopenAssignments(chipId: chip.id!)
      }
      try store.audit(
        actor: caller.name, command: caller.command, action: "review.chip",
        detail: "task=\(name) chip=\(key) \(verdict.rawValue)\(overridden ? " override" : "")")
      return review
    }
  }

  /// The comment of the latest invalidation of a chip, for the annotator it goes back to.
  public func reviewComment(task name: String, chip key: String) throws -> String? {
    try store.read { store in
      guard let task = try store.task(named: name), let chip = try store.chip(taskId: task.id!, key: key)
      else { return nil }
      return try ReviewChips.latestComment(chip.id!, task, in: store)
    }
  }

  static func checkReason(_ reason: String) throws {
    let trimmed = reason.trimmingCharacters(in: .whitespacesAndNewlines)
    guard !trimmed.isEmpty else {
      throw WorkflowError("a reject needs a reason: \(Review.reasons.joined(separator: ", ")) or free text")
    }
    guard trimmed.count <= 2000 else { throw WorkflowError("the reason is longer than 2000 characters") }
  }

  /// Attributes checked against the schema of the object's label.
  static func checkAttributes(_ values: [String: JSONValue], label: String?, schema: LabelSchema?) throws
    -> JSONValue
  {
    guard let schema else { throw WorkflowError("the task has no label schema with attributes") }
    guard !values.isEmpty else { throw WorkflowError("no attribute to change") }
    guard let definition = label.flatMap(schema.label(named:)) else {
      throw WorkflowError("the object's label '\(label ?? "")' is not in the task's schema")
    }
    for (name, value) in values.sorted(by: { $0.key < $1.key }) {
      guard let attribute = definition.attribute(named: name) else {
        throw WorkflowError("label '\(definition.name)' has no attribute '\(name)'")
      }
      if let problem = attribute.problem(with: value) {
        throw WorkflowError("attribute '\(name)': \(problem)")
      }
    }
    return .object(values)
  }

  /// One feature, validated as a submission is (geometry core, the task's labels and schema),
  /// in WGS84.
  static func readFeature(_ data: Data, pixelChip: String?, task: TaskRecord, in store: any StoreReader)
    throws -> LabelFeature
  {
    let image = try store.requireImage(of: task)
    var options = ValidationOptions(
      labels: Set(task.labels), planar: pixelChip != nil, workingEPSG: image.epsg, parallelism: 1)
    let schema = try task.validationSchema()
    options.schema = schema
    var chip: ChipRecord?
    if let pixelChip {
      guard let found = try store.chip(taskId: task.id!, key: pixelChip) else {
        throw WorkflowError("task '\(task.name)' has no chip '\(pixelChip)'", kind: .notFound)
      }
      chip = found
    }
    guard let wkt = image.crsWkt, let imageTransform = image.geotransform else {
      throw WorkflowError("image '\(image.name)' has no georeference", kind: .environment)
    }
    let imageCRS = try SpatialReference(definition: wkt)
    if schema != nil, let chip {
      options.squareMetresPerPlanarUnit = SubmissionProcessing.squareMetresPerUnit(
        .chipPixels, crs: imageCRS, image: imageTransform, chip: chip.geotransform)
    }
    let document = GeoJSONReader.read(data: data, options: options)
    guard document.isValid else {
      throw WorkflowError(
        SubmissionProcessing.invalidReason(document, labels: task.labels),
        issues: document.issues.filter { $0.severity == .error })
    }
    guard document.features.count == 1, let validated = document.features.first else {
      throw WorkflowError("give exactly one feature, found \(document.features.count)")
    }
    var feature = validated.feature
    if let chip {
      let chipTransform = GeoTransform(chip.geotransform)
      let projected = feature.geometry.mapPoints { point in
        let mapped = chipTransform.apply(column: point.x, row: point.y)
        return Point(mapped.x, mapped.y)
      }
      do {
        let toWGS84 = try CoordinateTransform(from: imageCRS, to: SpatialReference.wgs84())
        feature.geometry = try Reprojection.apply(projected, toWGS84)
      } catch {
        throw WorkflowError("the feature cannot be placed on chip '\(chip.chipKey)': \(error)")
      }
    }
    return feature
  }

  static func describe(_ record: ReviewDecisionRecord) -> String {
    var parts = [record.decision.rawValue]
    if let reason = record.reason { parts.append("reason=\(reason)") }
    if let label = record.label { parts.append("label=\(label)") }
    if let attributes = record.attributes { parts.append("attributes=\(attributes)") }
    if record.geometry != nil { parts.append("geometry") }
    if record.overridden { parts.append("override") }
    return parts.joined(separator: " ")
  }
}

enum ReviewChips {
  /// How many times each chip was invalidated: a leased task asks for that many more answers.
  static func invalidations(_ task: TaskRecord, in store: any StoreReader) throws -> [Int64: Int] {
    var counts: [Int64: Int] = [:]
    for review in try store.chipReviews(ofTask: task.id!) where review.verdict == .invalidated {
      counts[review.chipId, default: 0] += 1
    }
    return counts
  }

  /// The comment of each chip's latest invalidation.
  static func latestComments(_ task: TaskRecord, in store: any StoreReader) throws -> [Int64: String] {
    var comments: [Int64: String] = [:]
    for review in try store.chipReviews(ofTask: task.id!) where review.verdict == .invalidated {
      comments[review.chipId] = review.comment
    }
    return comments
  }

  static func latestComment(_ chipId: Int64, _ task: TaskRecord, in store: any StoreReader) throws -> String?
  {
    try store.chipReviews(ofTask: task.id!).last { $0.chipId == chipId && $0.verdict == .invalidated }?
      .comment
  }
}

extension Workspace {
  /// The next chip for `reviewer` to validate: answered, never reviewed (or invalidated and
  /// answered again since), not annotated by them; the chip with the most objects needing a
  /// review in the latest run first, then chip order. A suggestion, not a lease: a chip validated
  /// twice is harmless. Nil when none is left.
  public func nextChipToValidate(task name: String, reviewer: String, by caller: Caller) throws -> (
    chip: String, needsReview: Int
  )? {
    try caller.require(.review)
    guard caller.name == reviewer || caller.role.may(.actForOthers) else {
      throw WorkflowError("\(caller.name) may not take review work for '\(reviewer)'", kind: .forbidden)
    }
    return try store.read { store in
      let task = try store.requireTask(named: name)
      var needing: [String: Int] = [:]
      if let run = try store.latestConsensusRun(ofTask: task.id!) {
        for object in try Review.objects(of: run, task: task, in: store)
        where object.state == .needsReview && object.decision == nil {
          for chip in object.chips { needing[chip, default: 0] += 1 }
        }
      }
      let answers = try store.answerCounts(ofTask: task.id!)
      let reopened = try ReviewChips.invalidations(task, in: store)
      var latest: [Int64: ChipReviewRecord] = [:]
      for review in try store.chipReviews(ofTask: task.id!) { latest[review.chipId] = review }
      var annotated: Set<Int64> = []
      for submission in try store.submissionSummaries(ofTask: task.id!, annotator: reviewer) {
        if let chip = submission.chipId { annotated.insert(chip) }
      }
      for assignment in try store.assignments(ofTask: task.id!) where assignment.annotator == reviewer {
        annotated.insert(assignment.chipId)
      }
      let open = try store.chips(ofTask: task.id!).enumerated().filter { _, chip in
        let answered = answers[chip.id!] ?? 0
        guard answered > 0, !annotated.contains(chip.id!) else { return false }
        switch latest[chip.id!]?.verdict {
        case nil: return true
        case .validated: return false
        case .invalidated: return answered >= task.replicas + (reopened[chip.id!] ?? 0)
        }
      }
      guard
        let (_, chip) = open.min(by: { a, b in
          (-(needing[a.element.chipKey] ?? 0), a.offset) < (-(needing[b.element.chipKey] ?? 0), b.offset)
        })
      else { return nil }
      return (chip.chipKey, needing[chip.chipKey] ?? 0)
    }
  }
}
