import Foundation
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathTiling

/// An analyst's map of a task, all in the scene's pixel frame (column, row from the top-left
/// corner of the image): the chip grid with each chip's state, the final layer of the latest
/// consensus run with each object's review state, and each annotator's figures with the pairwise
/// agreement of that run. The JSON of `GET /api/v1/tasks/{task}/map`.
public struct TaskMap: Codable, Sendable {
  /// A chip's state: exactly one per chip, the first of these that holds (in this order).
  public enum ChipState: String, Codable, Sendable, CaseIterable {
    /// The analyst made it a gold chip: its answers are scored against the truth, not voted.
    case gold
    /// A reviewer's latest verdict on the chip is `validated`.
    case reviewed
    /// At least one annotator reported bad imagery (`withdrawn` once enough did).
    case badImagery = "bad_imagery"
    /// Every answer asked for is in: a leased task has `replicas` (plus one per invalidation)
    /// annotators' answers; an assigned task has all its assignments on the chip submitted.
    case answered
    /// An annotator holds a running lease on it.
    case leased
    /// Some answers (an accepted submission, empty ones included), not all that are asked for.
    case partlyAnswered = "partly_answered"
    /// None of the above.
    case waiting
  }

  public struct Scene: Codable, Sendable {
    public var image: String
    public var width: Int
    public var height: Int
  }

  public struct Chip: Codable, Sendable {
    public var chip: String
    /// The chip's window in scene pixels (a padded edge chip reaches past the scene).
    public var x: Int
    public var y: Int
    public var width: Int
    public var height: Int
    public var state: ChipState
    /// Annotators whose accepted (or superseded) answer is on the chip, not counting those below
    /// the task's minimum gold F1 (as leasing counts them).
    public var answers: Int
    /// Answers asked for: replicas (plus invalidations) in a leased task, assignments otherwise.
    public var asked: Int
    public var leases: Int
    public var badImageryReports: Int
    /// Enough annotators reported bad imagery: the chip is out of the queue.
    public var withdrawn: Bool

    enum CodingKeys: String, CodingKey {
      case chip, x, y, width, height, state, answers, asked, leases, withdrawn
      case badImageryReports = "bad_imagery_reports"
    }
  }

  /// An object of the final layer: its review state and its outline in scene pixels.
  public struct Object: Codable, Sendable {
    /// `auto_accepted`, `needs_review`, `auto_rejected` (undecided), or `accepted` / `rejected`
    /// (a reviewer decided it, or added it: `accepted`).
    public var review: String
    /// Whether a reviewer decided (or added) it.
    public var decided: Bool
    public var label: String?
    /// The consensus status after review: `accepted` or `rejected`.
    public var status: String
    public var confidence: Double?
    /// Polygons, each a list of rings (the outer ring first), each a list of [x, y] scene pixels.
    public var polygons: [[[[Double]]]]
  }

  public struct Run: Codable, Sendable {
    public var id: Int64
    public var runAt: String
    public var objects: [Object]
    /// Objects per review state.
    public var counts: [String: Int]

    enum CodingKeys: String, CodingKey {
      case id, objects, counts
      case runAt = "run_at"
    }
  }

  public struct Annotator: Codable, Sendable {
    public var annotator: String
    /// Submissions they sent, whatever became of them.
    public var submissions: Int
    /// Their current accepted submissions.
    public var accepted: Int
    /// F1 of their answers on the gold chips (the gold record); nil without gold answers.
    public var goldF1: Double?
    public var goldChips: Int
    /// F1 against the consensus in the latest run (its annotator report); nil without a run.
    public var agreementF1: Double?

    enum CodingKeys: String, CodingKey {
      case annotator, submissions, accepted
      case goldF1 = "gold_f1"
      case goldChips = "gold_chips"
      case agreementF1 = "agreement_f1"
    }
  }

  public var task: String
  public var state: String
  public var distribution: String
  public var replicas: Int
  public var scene: Scene
  /// The states in precedence order.
  public var states: [String]
  public var counts: [String: Int]
  public var chips: [Chip]
  /// The latest consensus run's final layer; nil before the first run.
  public var run: Run?
  public var annotators: [Annotator]
  /// The latest run's pairwise F1 between annotators (symmetric, 1 on the diagonal); nil before.
  public var agreement: AnnotatorReport.Agreement?

  enum CodingKeys: String, CodingKey {
    case task, state, distribution, replicas, scene, states, counts, chips, run, annotators, agreement
  }
}

extension TaskMap {
  static func make(_ task: TaskRecord, within box: LonLatBox?, in store: any StoreReader) throws -> TaskMap {
    let taskId = task.id!
    let image = try store.requireImage(of: task)
    let chips =
      try box.map { try store.chips(ofTask: taskId, overlapping: $0) } ?? store.chips(ofTask: taskId)
    // As leasing counts them: answers of annotators below the task's minimum gold F1 do not count.
    let answers = try Gold.keptAnswerCounts(task, in: store)
    let gold = Set(try store.goldChips(ofTask: taskId).map(\.chipId))
    var latestVerdict: [Int64: ChipVerdict] = [:]
    for review in try store.chipReviews(ofTask: taskId) { latestVerdict[review.chipId] = review.verdict }
    let invalidations = try ReviewChips.invalidations(task, in: store)
    var badImagery: [Int64: Set<String>] = [:]
    for flag in try store.chipFlags(ofTask: taskId) where flag.kind == .badImagery {
      badImagery[flag.chipId, default: []].insert(flag.annotator)
    }
    let withdrawn = try ChipFlags.withdrawn(task, in: store)
    var leases: [Int64: Int] = [:]
    for lease in try store.leases(ofTask: taskId, runningAt: Timestamp.now()) {
      leases[lease.chipId, default: 0] += 1
    }
    var assigned: [Int64: (all: Int, pending: Int)] = [:]
    for assignment in try store.assignments(ofTask: taskId) {
      var entry = assigned[assignment.chipId] ?? (0, 0)
      entry.all += 1
      if assignment.state == .pending { entry.pending += 1 }
      assigned[assignment.chipId] = entry
    }

    var counts = Dictionary(uniqueKeysWithValues: ChipState.allCases.map { ($0.rawValue, 0) })
    let mapped = chips.map { chip -> Chip in
      let id = chip.id!
      let answerCount = answers[id] ?? 0
      let asked: Int
      let complete: Bool
      switch task.distribution {
      case .leased:
        asked = task.replicas + (invalidations[id] ?? 0)
        complete = answerCount >= asked
      case .assigned:
        let entry = assigned[id] ?? (0, 0)
        asked = entry.all
        complete = entry.all > 0 && entry.pending == 0
      }
      let state: ChipState
      if gold.contains(id) {
        state = .gold
      } else if latestVerdict[id] == .validated {
        state = .reviewed
      } else if !(badImagery[id]?.isEmpty ?? true) {
        state = .badImagery
      } else if complete {
        state = .answered
      } else if (leases[id] ?? 0) > 0 {
        state = .leased
      } else if answerCount > 0 {
        state = .partlyAnswered
      } else {
        state = .waiting
      }
      counts[state.rawValue, default: 0] += 1
      return Chip(
        chip: chip.chipKey, x: chip.columnOffset, y: chip.rowOffset, width: chip.width, height: chip.height,
        state: state, answers: answerCount, asked: asked, leases: leases[id] ?? 0,
        badImageryReports: badImagery[id]?.count ?? 0, withdrawn: withdrawn.contains(id))
    }

    var run: Run?
    var report: AnnotatorReport?
    if let record = try store.latestConsensusRun(ofTask: taskId) {
      let frame = try PixelFrame(image)
      var objects: [Object] = []
      var objectCounts: [String: Int] = [:]
      for object in try Review.finalLayer(record, task: task, in: store) {
        let properties = object.properties
        let decision = properties["decision"]?.stringValue
        let status = properties["status"]?.stringValue ?? "accepted"
        let review: String
        if properties["review_state"]?.stringValue == "added" || decision != nil {
          review = status == "rejected" ? "rejected" : "accepted"
        } else {
          review = properties["review_state"]?.stringValue ?? Review.State.needsReview.rawValue
        }
        objectCounts[review, default: 0] += 1
        let pixels = try frame.pixels(object.geometry)
        objects.append(
          Object(
            review: review, decided: review == "accepted" || review == "rejected",
            label: properties["label"]?.stringValue, status: status,
            confidence: properties["confidence"]?.doubleValue ?? properties["score"]?.doubleValue,
            polygons: pixels.polygons.map { polygon in
              polygon.rings.map { ring in ring.map { [Self.rounded($0.x), Self.rounded($0.y)] } }
            }))
      }
      run = Run(id: record.id!, runAt: record.runAt, objects: objects, counts: objectCounts)
      report = try? JSONDecoder().decode(AnnotatorReport.self, from: Data(record.report.utf8))
    }

    var submitted: [String: (all: Int, accepted: Int)] = [:]
    for submission in try store.submissionSummaries(ofTask: taskId) {
      var entry = submitted[submission.annotator] ?? (0, 0)
      entry.all += 1
      if submission.status == .accepted { entry.accepted += 1 }
      submitted[submission.annotator] = entry
    }
    let goldRecords = Dictionary(
      uniqueKeysWithValues: try Gold.records(task, in: store).map { ($0.annotator, $0) })
    let agreementF1 = Dictionary(
      (report?.annotators ?? []).map { ($0.annotator, $0.f1) }, uniquingKeysWith: { first, _ in first })
    var names = Set(submitted.keys).union(goldRecords.keys).union(agreementF1.keys)
    for assignment in try store.assignments(ofTask: taskId) { names.insert(assignment.annotator) }
    let annotators = names.sorted().map { name in
      Annotator(
        annotator: name, submissions: submitted[name]?.all ?? 0, accepted: submitted[name]?.accepted ?? 0,
        goldF1: goldRecords[name]?.score.f1, goldChips: goldRecords[name]?.chips ?? 0,
        agreementF1: agreementF1[name] ?? nil)
    }

    return TaskMap(
      task: task.name, state: task.state.rawValue, distribution: task.distribution.rawValue,
      replicas: task.replicas, scene: Scene(image: image.name, width: image.width, height: image.height),
      states: ChipState.allCases.map(\.rawValue), counts: counts, chips: mapped, run: run,
      annotators: annotators, agreement: report?.agreement)
  }

  /// A hundredth of a pixel is finer than any screen shows.
  static func rounded(_ value: Double) -> Double { (value * 100).rounded() / 100 }
}

extension Workspace {
  /// A task's map for the analyst: chips, final layer and annotators' figures, in scene pixels.
  /// `within`: only the chips whose boxes overlap it (a region of a large task), from the store's
  /// spatial index; the counts are then of those chips.
  public func taskMap(task name: String, within box: LonLatBox? = nil, by caller: Caller) throws -> TaskMap {
    try caller.require(.viewTaskStatus)
    return try store.read { store in try TaskMap.make(store.requireTask(named: name), within: box, in: store)
    }
  }

  /// The entity tag of a task's overview at `maxSide`: the image's identity (its SHA-256, checked
  /// when it was registered) and the size, so a client's copy can be revalidated without a render.
  public func taskOverviewTag(task name: String, maxSide: Int, by caller: Caller) throws -> String {
    try caller.require(.viewTaskStatus)
    let image = try store.read { store in try store.requireImage(of: store.requireTask(named: name)) }
    return "\"\(image.sha256.prefix(16))-\(maxSide)\""
  }

  /// The overview of a task's scene, the long side at most `maxSide` pixels (16…4096), rendered
  /// by the tiling engine with the chips' bands and stretch, invalid pixels transparent.
  public func taskOverview(task name: String, maxSide: Int, by caller: Caller) throws -> SceneOverview.Image {
    try caller.require(.viewTaskStatus)
    guard (16...4096).contains(maxSide) else {
      throw WorkflowError("max \(maxSide): the overview's long side must lie in 16…4096 pixels")
    }
    let image = try store.read { store in try store.requireImage(of: store.requireTask(named: name)) }
    guard FileManager.default.fileExists(atPath: image.path) else {
      throw WorkflowError("image '\(image.name)': \(image.path) is gone", kind: .environment)
    }
    do {
      return try SceneOverview.render(path: image.path, maxSide: maxSide)
    } catch let error as ChipError {
      throw WorkflowError("image '\(image.name)': \(error.message)", kind: .environment)
    }
  }
}
