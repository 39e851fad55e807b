import Foundation
import SwathConsensus
import SwathGeometry
import SwathStore

extension Gold {
  /// Scores an accepted submission's shapes on a chip against the chip's gold objects, both
  /// clipped to the chip's footprint, at the task's IoU threshold, and stores the score; nothing
  /// when the chip is not gold. Runs inside the submission's own write transaction.
  static func score(
    submission: Int64, chipId: Int64, annotator: String, features: [String], task: TaskRecord,
    in store: any StoreWriter
  ) throws {
    guard try store.goldChips(ofTask: task.id!).contains(where: { $0.chipId == chipId }),
      let chip = try store.chip(id: chipId),
      let footprint = GeoJSONGeometry.multiPolygon(text: chip.footprint)
    else { return }
    func clipped(_ texts: [String]) throws -> [MultiPolygon] {
      try texts.compactMap { text in
        guard let shape = GeoJSONGeometry.multiPolygon(text: text) else { return nil }
        let part = try Topology.intersection(shape, footprint)
        return part.isEmpty || Topology.area(part) <= 0 ? nil : part
      }
    }
    let drawn = try clipped(features)
    let truth = try clipped(try store.goldObjects(ofTask: task.id!).map(\.geometry))
    let result = try LayerScore.compare(drawn, against: truth, iou: task.iou)
    var record = GoldScoreRecord(
      taskId: task.id!, chipId: chipId, submissionId: submission, annotator: annotator,
      truePositives: result.truePositives, falsePositives: result.falsePositives,
      falseNegatives: result.falseNegatives, meanIou: result.meanIoU, scoredAt: Timestamp.now())
    try store.insert(&record)
  }

  /// Scores again every current answer on the task's gold chips, after the gold changed (added,
  /// replaced or grown by a promotion): the old scores go, each accepted submission on a gold
  /// chip is scored against the gold as it is now. Inside the change's write transaction.
  static func rescore(_ task: TaskRecord, in store: any StoreWriter) throws {
    try store.deleteGoldScores(ofTask: task.id!)
    let gold = Set(try store.goldChips(ofTask: task.id!).map(\.chipId))
    let answers = try store.submissionSummaries(ofTask: task.id!).filter { submission in
      submission.status == .accepted && submission.chipId.map(gold.contains) == true
    }
    guard !answers.isEmpty else { return }
    let features = Dictionary(
      grouping: try store.features(ofSubmissions: answers.map(\.id)), by: \.submissionId)
    for answer in answers {
      try score(
        submission: answer.id, chipId: answer.chipId!, annotator: answer.annotator,
        features: (features[answer.id] ?? []).map(\.geometry), task: task, in: store)
    }
  }

  /// One annotator's record on a task's gold chips: their current answers (superseded ones left
  /// out) pooled, at the task's IoU threshold.
  public struct AnnotatorRecord: Sendable, Hashable {
    public var annotator: String
    public var chips: Int
    public var score: LayerScore

    public var json: JSONValue {
      .object([
        "annotator": .string(annotator), "chips": .integer(Int64(chips)),
        "true_positives": .integer(Int64(score.truePositives)),
        "false_positives": .integer(Int64(score.falsePositives)),
        "false_negatives": .integer(Int64(score.falseNegatives)),
        "precision": .number(score.precision), "recall": .number(score.recall), "f1": .number(score.f1),
        "mean_iou": .number(score.meanIoU),
      ])
    }
  }

  static func records(_ task: TaskRecord, in store: any StoreReader) throws -> [AnnotatorRecord] {
    let current = Set(
      try store.submissionSummaries(ofTask: task.id!).filter { $0.status == .accepted }.map(\.id))
    var pooled: [String: (chips: Int, tp: Int, fp: Int, fn: Int, iouSum: Double)] = [:]
    for score in try store.goldScores(ofTask: task.id!) where current.contains(score.submissionId) {
      var entry = pooled[score.annotator] ?? (0, 0, 0, 0, 0)
      entry.chips += 1
      entry.tp += score.truePositives
      entry.fp += score.falsePositives
      entry.fn += score.falseNegatives
      entry.iouSum += score.meanIou * Double(score.truePositives)
      pooled[score.annotator] = entry
    }
    return pooled.keys.sorted().map { name in
      let entry = pooled[name]!
      return AnnotatorRecord(
        annotator: name, chips: entry.chips,
        score: LayerScore(
          truePositives: entry.tp, falsePositives: entry.fp, falseNegatives: entry.fn,
          meanIoU: entry.tp > 0 ? entry.iouSum / Double(entry.tp) : 0))
    }
  }
}

extension Gold {
  /// Annotators whose gold F1 is below the task's minimum: left out of consensus, and their
  /// answers not counted when chips are leased. Empty without a minimum.
  static func excluded(_ task: TaskRecord, in store: any StoreReader) throws -> Set<String> {
    guard let settings = try store.goldSettings(ofTask: task.id!) else { return [] }
    return Set(try records(task, in: store).filter { $0.score.f1 < settings.minF1 }.map(\.annotator))
  }

  /// How many kept answers each chip has: `answerCounts` without the excluded annotators'.
  static func keptAnswerCounts(_ task: TaskRecord, in store: any StoreReader) throws -> [Int64: Int] {
    var counts = try store.answerCounts(ofTask: task.id!)
    let excluded = try excluded(task, in: store)
    guard !excluded.isEmpty else { return counts }
    var answered: Set<[String]> = []
    for submission in try store.submissionSummaries(ofTask: task.id!)
    where excluded.contains(submission.annotator)
      && (submission.status == .accepted || submission.status == .superseded)
    {
      guard let chip = submission.chipId, answered.insert([submission.annotator, String(chip)]).inserted
      else { continue }
      counts[chip] = max(0, (counts[chip] ?? 0) - 1)
    }
    return counts
  }
}

extension Workspace {
  /// Sets the task's minimum gold F1 (0...1), or removes it with nil; audited.
  public func setGoldMinF1(task name: String, _ value: Double?, by caller: Caller) throws {
    try caller.require(.manageGold)
    if let value, !(0...1).contains(value) {
      throw WorkflowError("the minimum gold F1 must lie in 0...1, found \(value)")
    }
    try store.write { store in
      let task = try store.requireTask(named: name)
      var settings = GoldSettingsRecord(taskId: task.id!, minF1: value ?? 0)
      try store.save(&settings)
      try store.audit(
        actor: caller.name, command: caller.command, action: "gold.min-f1",
        detail: "task=\(name) min_f1=\(value ?? 0)")
    }
  }

  /// Each annotator's record on the task's gold chips (analysts only).
  public func goldRecord(task name: String, by caller: Caller) throws -> [Gold.AnnotatorRecord] {
    try caller.require(.manageGold)
    return try store.read { store in try Gold.records(try store.requireTask(named: name), in: store) }
  }
}
