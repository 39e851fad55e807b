import Foundation
import SwathConsensus
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport

/// `swath consensus`: the consensus engine over a task's current accepted submissions,
/// chip-aware, stored as one run (parameters, result layer, annotator report) in one transaction.
public enum ConsensusWorkflow {
  public struct Parameters: Codable, Sendable {
    public var iou: Double
    public var quorum: String
    public var method: String
    public var minConfidence: Double
    public var submissions: [Int64]

    enum CodingKeys: String, CodingKey {
      case iou, quorum, method, submissions
      case minConfidence = "min_confidence"
    }
  }

  public struct Outcome: Sendable {
    public var run: ConsensusRunRecord
    public var accepted: Int
    public var rejected: Int
    public var annotators: Int
    public var report: AnnotatorReport
    /// Assignments whose annotator has not submitted yet: quorum still counts them.
    public var unsubmitted: Int
    /// Review decisions of the previous run carried to this one (they still match an object).
    public var carriedDecisions: Int = 0
    /// Review decisions of the previous run that match no object of this one.
    public var unmatchedDecisions: [ReviewDecisionRecord] = []
  }

  static func run(
    task name: String, iou: IoUThreshold?, quorum: Quorum?, method: ConsensusMethod?,
    minConfidence: Double?, in workspace: Workspace, by caller: Caller,
    progress: any ProgressReporter
  ) throws -> Outcome {
    // Submissions a killed `submit` left half-done take part too.
    _ = try workspace.recoverStaleSubmissions()
    let store = workspace.store

    struct Snapshot {
      var task: TaskRecord
      var image: ImageRecord
      var chips: [ChipRecord]
      var assigned: [Int64: Set<String>]
      var features: [(annotator: String, feature: SubmissionFeatureRecord)]
      var submitters: Set<String>
      var submissionIds: [Int64]
      var unsubmitted: Int
      var goldChips: [GoldChipRecord]
      var goldObjects: [GoldObjectRecord]
    }
    let snapshot = try store.read { store -> Snapshot in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      let chips = try store.chips(ofTask: task.id!)
      var assigned: [Int64: Set<String>] = [:]
      var unsubmitted = 0
      for assignment in try store.assignments(ofTask: task.id!) {
        assigned[assignment.chipId, default: []].insert(assignment.annotator)
        if assignment.state != .submitted { unsubmitted += 1 }
      }
      // Annotators below the task's minimum gold F1 are left out.
      let excluded = try Gold.excluded(task, in: store)
      for annotator in excluded { for chip in assigned.keys { assigned[chip]?.remove(annotator) } }
      let accepted = try store.submissionSummaries(ofTask: task.id!).filter {
        $0.status == .accepted && !excluded.contains($0.annotator)
      }
      // Leased chips were asked of the annotators who answered them.
      if task.distribution == .leased {
        for submission in accepted {
          if let chip = submission.chipId { assigned[chip, default: []].insert(submission.annotator) }
        }
      }
      let annotatorOf = Dictionary(uniqueKeysWithValues: accepted.map { ($0.id, $0.annotator) })
      let features = try store.features(ofSubmissions: accepted.map(\.id)).map {
        (annotator: annotatorOf[$0.submissionId]!, feature: $0)
      }
      return Snapshot(
        task: task, image: image, chips: chips, assigned: assigned, features: features,
        submitters: Set(accepted.map(\.annotator)), submissionIds: accepted.map(\.id),
        unsubmitted: unsubmitted, goldChips: try store.goldChips(ofTask: task.id!),
        goldObjects: try store.goldObjects(ofTask: task.id!))
    }
    guard !snapshot.submitters.isEmpty else {
      throw WorkflowError("task '\(name)' has no accepted submission yet")
    }

    var options = ConsensusOptions()
    do {
      options.iouThreshold = try iou ?? IoUThreshold(snapshot.task.iou)
    } catch {
      throw WorkflowError("task '\(name)': \(error)", kind: .environment)
    }
    options.quorum = quorum ?? Quorum(String(snapshot.task.quorum)) ?? options.quorum
    if let method { options.method = method }
    if let minConfidence { options.minConfidence = minConfidence }
    options.labels = Set(snapshot.task.labels)
    options.schema = try snapshot.task.validationSchema()
    options.includeRejected = true
    if let epsg = snapshot.image.epsg, let crs = try? WorkingCRS(epsg: epsg),
      snapshot.image.crsWkt.map({ (try? SpatialReference(definition: $0))?.isProjected ?? false }) ?? false
    {
      options.workingCRS = crs
    }
    let chipKeys = Dictionary(uniqueKeysWithValues: snapshot.chips.map { ($0.id!, $0.chipKey) })
    options.chips = try snapshot.chips.map { chip in
      guard let footprint = GeoJSONGeometry.multiPolygon(text: chip.footprint) else {
        throw WorkflowError("chip \(chip.chipKey) has an unreadable footprint")
      }
      return ChipFootprint(
        id: chip.chipKey, footprint: footprint, annotators: snapshot.assigned[chip.id!] ?? [])
    }
    options.gold = try gold(snapshot.goldChips, snapshot.goldObjects, chips: snapshot.chips)
    var chipsOf: [String: Set<String>] = [:]
    for (chip, annotators) in snapshot.assigned {
      for annotator in annotators { chipsOf[annotator, default: []].insert(chipKeys[chip]!) }
    }
    var featuresOf: [String: [LabelFeature]] = [:]
    for (annotator, record) in snapshot.features {
      guard let geometry = GeoJSONGeometry.multiPolygon(text: record.geometry) else {
        throw WorkflowError("submission #\(record.submissionId) has an unreadable geometry")
      }
      featuresOf[annotator, default: []].append(
        LabelFeature(
          id: "\(record.submissionId):\(record.featureIndex)", label: record.label,
          shape: ShapeKind(rawValue: record.shape) ?? .polygon, geometry: geometry,
          properties: try attributes(of: record)))
    }
    // Every assigned annotator takes part, an empty answer for one who has not submitted yet, so
    // that an object's quorum counts all the annotators assigned where it lies.
    let everyone = snapshot.submitters.union(chipsOf.keys)
    let submissions = everyone.sorted().map { annotator in
      Submission(
        annotator: annotator, features: featuresOf[annotator] ?? [], chipIDs: chipsOf[annotator] ?? [])
    }
    let result: ConsensusResult
    progress.begin("consensus", unit: "", total: nil)
    defer { progress.end() }
    do {
      result = try ConsensusEngine.run(submissions, options: options)
    } catch let error as ConsensusError {
      throw WorkflowError("consensus: \(error.message)", kind: .environment)
    }
    let parameters = Parameters(
      iou: options.iouThreshold.value, quorum: options.quorum.description, method: options.method.rawValue,
      minConfidence: options.minConfidence, submissions: snapshot.submissionIds)
    let parametersText = String(decoding: try JSONValueEncoder().encodeData(parameters), as: UTF8.self)
    let reportText = String(decoding: try result.report.jsonData(), as: UTF8.self)
    let layer = featureCollection(result.objects, task: snapshot.task.name)
    let accepted = result.objects.filter { $0.status == .accepted }.count
    let (run, carried) = try store.write { store in
      let previous = try store.latestConsensusRun(ofTask: snapshot.task.id!)
      var run = ConsensusRunRecord(
        taskId: snapshot.task.id!, parameters: parametersText, runAt: Timestamp.now(),
        submissionCount: snapshot.submissionIds.count, objectCount: accepted, result: layer,
        report: reportText)
      try store.insert(&run)
      try store.audit(
        actor: caller.name, command: caller.command, action: "consensus.run",
        detail:
          "#\(run.id!) task=\(snapshot.task.name) submissions=\(snapshot.submissionIds.count) accepted=\(accepted) rejected=\(result.objects.count - accepted)"
      )
      // Review work is not lost: decisions follow the objects that still match.
      guard let previous else {
        try Review.rebuildLayer(snapshot.task, run: run, in: store)
        return (run, (carried: 0, unmatched: [ReviewDecisionRecord]()))
      }
      let carried = try Review.carryDecisions(
        from: previous, to: run, objects: result.objects.map(\.geometry), iou: snapshot.task.iou, in: store)
      try Review.rebuildLayer(snapshot.task, run: run, in: store)
      if carried.carried + carried.unmatched.count > 0 {
        try store.audit(
          actor: caller.name, command: caller.command, action: "review.carry",
          detail:
            "task=\(snapshot.task.name) run=#\(run.id!) from=#\(previous.id!) carried=\(carried.carried) unmatched=\(carried.unmatched.compactMap(\.id).map(String.init).joined(separator: ","))"
        )
      }
      return (run, carried)
    }
    return Outcome(
      run: run, accepted: accepted, rejected: result.objects.count - accepted,
      annotators: submissions.count, report: result.report, unsubmitted: snapshot.unsubmitted,
      carriedDecisions: carried.carried, unmatchedDecisions: carried.unmatched)
  }

  /// The task's gold for the engine: the gold objects, complete inside the gold chips' joined
  /// footprints; none without gold objects.
  static func gold(_ goldChips: [GoldChipRecord], _ objects: [GoldObjectRecord], chips: [ChipRecord]) throws
    -> GoldStandard?
  {
    guard !goldChips.isEmpty, !objects.isEmpty else { return nil }
    let ids = Set(goldChips.map(\.chipId))
    let footprints = chips.filter { ids.contains($0.id!) }.compactMap {
      GeoJSONGeometry.multiPolygon(text: $0.footprint)
    }
    let features = try objects.map { object in
      guard let geometry = GeoJSONGeometry.multiPolygon(text: object.geometry) else {
        throw WorkflowError(
          "gold object \(object.featureIndex) has an unreadable geometry", kind: .environment)
      }
      var properties: [String: JSONValue] = [:]
      if let text = object.attributes { properties = (try? JSONValue(parsing: text))?.objectValue ?? [:] }
      return LabelFeature(
        id: "gold:\(object.featureIndex)", label: object.label,
        shape: ShapeKind(rawValue: object.shape) ?? .polygon, geometry: geometry, properties: properties)
    }
    do {
      return GoldStandard(objects: features, area: try Topology.union(footprints))
    } catch {
      throw WorkflowError("the gold chips' footprints cannot be joined: \(error)", kind: .environment)
    }
  }

  /// A stored feature's attributes (its schema's, defaults filled in), as the engine reads them:
  /// the feature's properties. None for a task without a schema.
  static func attributes(of record: SubmissionFeatureRecord) throws -> [String: JSONValue] {
    guard let text = record.attributes else { return [:] }
    guard let object = (try? JSONValue(parsing: Data(text.utf8)))?.objectValue else {
      throw WorkflowError(
        "submission #\(record.submissionId) feature \(record.featureIndex) has unreadable attributes",
        kind: .environment)
    }
    return object
  }

  /// The run's layer: RFC 7946 FeatureCollection in WGS84, every object with its properties.
  static func featureCollection(_ objects: [ConsensusObject], task: String) -> String {
    var writer = JSONWriter()
    writer.beginObject()
    writer.key("type")
    writer.string("FeatureCollection")
    writer.key("name")
    writer.string(task)
    writer.key("features")
    writer.beginArray()
    for object in objects {
      let feature = object.feature
      var properties = feature.properties
      properties["label"] = feature.label.map { .string($0) } ?? .null
      properties["shape"] = .string(feature.shape.rawValue)
      writer.beginObject()
      writer.key("type")
      writer.string("Feature")
      writer.key("properties")
      writer.value(.object(properties))
      writer.key("geometry")
      writer.geometry(feature.geometry)
      writer.endObject()
    }
    writer.endArray()
    writer.endObject()
    return writer.text
  }
}

extension ConsensusWorkflow {
  /// What a run is scored on against a truth file: the file's valid features, the run's accepted
  /// objects, and the CRS to measure IoU in (the image's when projected; nil: the data's UTM zone).
  struct TruthComparison {
    var truth: [LabelFeature]
    var layer: [Export.Object]
    var crs: WorkingCRS?
  }

  static func comparison(run: ConsensusRunRecord, truth path: String, in store: any ProjectStore) throws
    -> TruthComparison
  {
    let document: GeoJSONDocument
    do {
      document = try GeoJSONReader.read(
        contentsOf: URL(fileURLWithPath: path), options: ValidationOptions(minArea: 0, parallelism: 1))
    } catch {
      throw WorkflowError("\(path): cannot read: \(error)")
    }
    let truth = document.features.filter(\.isValid).map(\.feature)
    guard !truth.isEmpty else { throw WorkflowError("\(path): no valid polygon to compare with") }
    let layer = try Export.parseResult(run.result)
      .filter { $0.properties["status"]?.stringValue ?? "accepted" == "accepted" }
    let image = try store.read { store in
      try store.task(id: run.taskId).flatMap { try store.image(id: $0.imageId) }
    }
    let crs = image?.crsWkt.flatMap { try? WorkingCRS(definition: $0) }
    return TruthComparison(
      truth: truth, layer: layer, crs: (crs?.spatialReference.isProjected ?? false) ? crs : nil)
  }

  /// Scores a run's accepted objects against a reference layer (WGS84 GeoJSON), label-agnostic.
  static func score(
    run: ConsensusRunRecord, truth path: String, iou: Double, in store: any ProjectStore
  ) throws -> LayerScore {
    let comparison = try comparison(run: run, truth: path, in: store)
    do {
      return try LayerScore.compare(
        comparison.layer.map(\.geometry), against: comparison.truth.map(\.geometry), iou: iou,
        crs: comparison.crs)
    } catch {
      throw WorkflowError("cannot score against \(path): \(error)")
    }
  }
}

extension Workspace {
  /// Runs the consensus engine over a task's current accepted submissions, chip-aware, and
  /// stores the run (parameters, layer, annotator report) in one transaction. Options not given
  /// come from the task.
  public func runConsensus(
    task: String, iou: IoUThreshold? = nil, quorum: Quorum? = nil, method: ConsensusMethod? = nil,
    minConfidence: Double? = nil, by caller: Caller,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> ConsensusWorkflow.Outcome {
    try caller.require(.runConsensus)
    return try ConsensusWorkflow.run(
      task: task, iou: iou, quorum: quorum, method: method, minConfidence: minConfidence, in: self,
      by: caller, progress: progress)
  }

  /// Scores a run's accepted objects against a reference layer (WGS84 GeoJSON), label-agnostic.
  public func score(run: ConsensusRunRecord, truth path: String, iou: Double, by caller: Caller) throws
    -> LayerScore
  {
    try caller.require(.runConsensus)
    return try ConsensusWorkflow.score(run: run, truth: path, iou: iou, in: store)
  }
}

extension Workspace {
  /// How often a run's voted attributes equal the truth's (same matching as `score`); nil when
  /// the task's schema has no attributes.
  public func attributeAccuracy(run: ConsensusRunRecord, truth path: String, iou: Double, by caller: Caller)
    throws -> AttributeAccuracy?
  {
    try caller.require(.runConsensus)
    let schema = try store.read { store in try store.task(id: run.taskId)?.schema() }
    guard let schema, schema.hasAttributes else { return nil }
    let comparison = try ConsensusWorkflow.comparison(run: run, truth: path, in: store)
    let truth = comparison.truth
    let layer = comparison.layer.map {
      LabelFeature(
        label: $0.properties["label"]?.stringValue, shape: .polygon, geometry: $0.geometry,
        properties: $0.properties)
    }
    do {
      // IoU in metres, in the CRS `score` measures in.
      let crs = try comparison.crs ?? WorkingCRS.forData(truth.map(\.geometry))
      func projected(_ features: [LabelFeature]) throws -> [LabelFeature] {
        try features.map { feature in
          var copy = feature
          copy.geometry = try crs.fromWGS84(feature.geometry)
          return copy
        }
      }
      return AttributeAccuracy.measure(
        try projected(layer), against: try projected(truth),
        attributes: schema.attributesByName.keys.sorted(), iou: iou)
    } catch {
      throw WorkflowError("cannot score the attributes against \(path): \(error)")
    }
  }
}
