import Foundation
import GRDB
import SwathConsensus
import SwathGDAL
import SwathGeometry

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
  }

  public static func run(
    task name: String, iou: Double?, quorum: String?, method: String?, minConfidence: Double?,
    in store: Store, command: String
  ) throws -> Outcome {
    // Submissions a killed `submit` left half-done take part too.
    _ = try SubmissionWorkflow.recoverStale(in: store)

    struct Snapshot {
      var task: TaskRecord
      var image: ImageRecord
      var chips: [ChipRecord]
      var assigned: [Int64: Set<String>]
      var features: [(annotator: String, feature: SubmissionFeatureRecord)]
      var submitters: Set<String>
      var submissionIds: [Int64]
      var unsubmitted: Int
    }
    let snapshot = try store.read { db -> Snapshot in
      let task = try TaskCatalog.find(name, in: db)
      let image = try ImageRecord.fetchOne(db, key: task.imageId)!
      let chips = try ChipRecord.filter(Column("task_id") == task.id!).order(Column("id")).fetchAll(db)
      var assigned: [Int64: Set<String>] = [:]
      var unsubmitted = 0
      for row in try Row.fetchAll(
        db,
        sql: """
          SELECT a.chip_id, a.annotator, a.state FROM assignments a JOIN chips c ON c.id = a.chip_id
          WHERE c.task_id = ?
          """, arguments: [task.id!])
      {
        assigned[row["chip_id"], default: []].insert(row["annotator"])
        if (row["state"] as String) != AssignmentState.submitted.rawValue { unsubmitted += 1 }
      }
      let accepted = try SubmissionRecord.filter(
        Column("task_id") == task.id! && Column("status") == "accepted"
      ).order(Column("id")).fetchAll(db)
      var features: [(String, SubmissionFeatureRecord)] = []
      let annotatorOf = Dictionary(uniqueKeysWithValues: accepted.map { ($0.id!, $0.annotator) })
      if !accepted.isEmpty {
        let rows = try SubmissionFeatureRecord.filter(accepted.map(\.id!).contains(Column("submission_id")))
          .order(Column("submission_id"), Column("feature_index")).fetchAll(db)
        features = rows.map { (annotatorOf[$0.submissionId]!, $0) }
      }
      return Snapshot(
        task: task, image: image, chips: chips, assigned: assigned,
        features: features.map { (annotator: $0.0, feature: $0.1) },
        submitters: Set(accepted.map(\.annotator)), submissionIds: accepted.map(\.id!),
        unsubmitted: unsubmitted)
    }
    guard !snapshot.submitters.isEmpty else {
      throw StoreError("task '\(name)' has no accepted submission yet")
    }

    var options = ConsensusOptions()
    options.iou = iou ?? snapshot.task.iou
    guard options.iou > 0, options.iou <= 1 else {
      throw StoreError("--iou \(options.iou) is outside (0, 1]")
    }
    let quorumText = quorum ?? String(snapshot.task.quorum)
    guard let parsedQuorum = Quorum(quorumText) else {
      throw StoreError("--quorum '\(quorumText)': expected a fraction in (0, 1) or a whole number of votes")
    }
    options.quorum = parsedQuorum
    if let method {
      guard let parsed = ConsensusMethod(rawValue: method) else {
        throw StoreError(
          "--method '\(method)': expected \(ConsensusMethod.allCases.map(\.rawValue).joined(separator: " or "))"
        )
      }
      options.method = parsed
    }
    if let minConfidence { options.minConfidence = minConfidence }
    options.labels = Set(snapshot.task.labels)
    options.includeRejected = true
    if let epsg = snapshot.image.epsg, let crs = try? WorkingCRS(epsg: epsg),
      snapshot.image.crsWkt.map({ (try? SpatialReference(definition: $0))?.isProjected ?? false }) ?? false
    {
      options.workingCRS = crs
    }
    let chipKeys = Dictionary(uniqueKeysWithValues: snapshot.chips.map { ($0.id!, $0.chipKey) })
    options.chips = try snapshot.chips.map { chip in
      guard let footprint = GeoJSONText.multiPolygon(chip.footprint) else {
        throw StoreError("chip \(chip.chipKey) has an unreadable footprint")
      }
      return ChipFootprint(
        id: chip.chipKey, footprint: footprint, annotators: snapshot.assigned[chip.id!] ?? [])
    }
    var chipsOf: [String: Set<String>] = [:]
    for (chip, annotators) in snapshot.assigned {
      for annotator in annotators { chipsOf[annotator, default: []].insert(chipKeys[chip]!) }
    }
    var featuresOf: [String: [LabelFeature]] = [:]
    for (annotator, record) in snapshot.features {
      guard let geometry = GeoJSONText.multiPolygon(record.geometry) else {
        throw StoreError("submission #\(record.submissionId) has an unreadable geometry")
      }
      featuresOf[annotator, default: []].append(
        LabelFeature(
          id: "\(record.submissionId):\(record.featureIndex)", label: record.label,
          shape: ShapeKind(rawValue: record.shape) ?? .polygon, geometry: geometry))
    }
    // Every assigned annotator takes part, an empty answer for one who has not submitted yet, so
    // that an object's quorum counts all the annotators assigned where it lies.
    let everyone = snapshot.submitters.union(chipsOf.keys)
    let submissions = everyone.sorted().map { annotator in
      Submission(
        annotator: annotator, features: featuresOf[annotator] ?? [], chipIDs: chipsOf[annotator] ?? [])
    }
    let result: ConsensusResult
    do {
      result = try ConsensusEngine.run(submissions, options: options)
    } catch let error as ConsensusError {
      throw StoreError("consensus: \(error.message)")
    }
    let parameters = Parameters(
      iou: options.iou, quorum: options.quorum.description, method: options.method.rawValue,
      minConfidence: options.minConfidence, submissions: snapshot.submissionIds)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let parametersText = String(decoding: try encoder.encode(parameters), as: UTF8.self)
    let reportText = String(decoding: try result.report.jsonData(), as: UTF8.self)
    let layer = featureCollection(result.objects, task: snapshot.task.name)
    let accepted = result.objects.filter { $0.status == .accepted }.count
    let run = try store.write { db -> ConsensusRunRecord in
      var run = ConsensusRunRecord(
        id: nil, taskId: snapshot.task.id!, parameters: parametersText, runAt: Clock.now(),
        submissionCount: snapshot.submissionIds.count, objectCount: accepted, result: layer,
        report: reportText)
      try run.insert(db)
      try db.audit(
        actor: Actor.currentUser, command: command, action: "consensus.run",
        detail:
          "#\(run.id!) task=\(snapshot.task.name) submissions=\(snapshot.submissionIds.count) accepted=\(accepted) rejected=\(result.objects.count - accepted)"
      )
      return run
    }
    return Outcome(
      run: run, accepted: accepted, rejected: result.objects.count - accepted,
      annotators: submissions.count, report: result.report, unsubmitted: snapshot.unsubmitted)
  }

  /// The run's layer: RFC 7946 FeatureCollection in WGS84, every object with its properties.
  static func featureCollection(_ objects: [ConsensusObject], task: String) -> String {
    let features = objects.map { object -> String in
      let feature = object.feature
      var properties = feature.properties
      properties["label"] = feature.label.map { .string($0) } ?? .null
      properties["shape"] = .string(feature.shape.rawValue)
      return
        "{\"type\":\"Feature\",\"properties\":\(JSONText.render(.object(properties))),\"geometry\":\(GeoJSONText.geometry(feature.geometry))}"
    }
    return
      "{\"type\":\"FeatureCollection\",\"name\":\(JSONText.render(.string(task))),\"features\":[\(features.joined(separator: ","))]}"
  }
}

enum JSONText {
  static func render(_ value: JSONValue) -> String {
    switch value {
    case .null: return "null"
    case .bool(let flag): return flag ? "true" : "false"
    case .integer(let number): return String(number)
    case .number(let number):
      guard number.isFinite else { return "null" }
      return GeoJSONText.number(number)
    case .string(let text): return JSONAny.string(text).jsonText
    case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
    case .object(let members):
      return "{"
        + members.keys.sorted().map { JSONAny.string($0).jsonText + ":" + render(members[$0]!) }
        .joined(separator: ",") + "}"
    }
  }
}

extension ConsensusWorkflow {
  /// Scores a run's accepted objects against a reference layer (WGS84 GeoJSON), label-agnostic.
  public static func score(
    run: ConsensusRunRecord, truth path: String, iou: Double, in store: Store
  ) throws -> LayerScore {
    let document: GeoJSONDocument
    do {
      document = try GeoJSONReader.read(
        contentsOf: URL(fileURLWithPath: path), options: ValidationOptions(minArea: 0, parallelism: 1))
    } catch {
      throw StoreError("\(path): cannot read: \(error)")
    }
    let reference = document.features.filter(\.isValid).map(\.feature.geometry)
    guard !reference.isEmpty else { throw StoreError("\(path): no valid polygon to compare with") }
    let layer = try Export.parseResult(run.result)
      .filter { $0.properties["status"]?.stringValue ?? "accepted" == "accepted" }
      .map(\.geometry)
    let image = try store.read { db in
      try ImageRecord.fetchOne(
        db, sql: "SELECT i.* FROM images i JOIN tasks t ON t.image_id = i.id WHERE t.id = ?",
        arguments: [run.taskId])
    }
    let crs = image?.crsWkt.flatMap { try? WorkingCRS(definition: $0) }
    do {
      return try LayerScore.compare(
        layer, against: reference, iou: iou,
        crs: (crs?.spatialReference.isProjected ?? false) ? crs : nil)
    } catch {
      throw StoreError("cannot score against \(path): \(error)")
    }
  }
}
