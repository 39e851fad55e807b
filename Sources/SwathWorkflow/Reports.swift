import Foundation
import SwathStore

/// A GeoJSON Polygon as stored in the footprint columns.
public struct PolygonGeometry: Codable, Sendable, Hashable {
  public var type: String
  public var coordinates: [[[Double]]]

  static func decode(_ text: String) -> PolygonGeometry? {
    try? JSONDecoder().decode(PolygonGeometry.self, from: Data(text.utf8))
  }
}

/// A chip's pixel window in its image.
public struct PixelWindow: Codable, Sendable, Hashable {
  public var column: Int
  public var row: Int
  public var width: Int
  public var height: Int
}

/// One chip waiting for an annotator: the JSON of `swath queue --json` (Schemas/queue.schema.json).
public struct QueueItem: Codable, Sendable {
  public var task: String
  public var chip: String
  /// The chip file's absolute path; for a chip rendered on demand, its path on `swath serve`.
  public var png: String
  public var window: PixelWindow
  public var validFraction: Double
  public var footprint: PolygonGeometry
  public var labels: [String]
  public var assignedAt: String
  /// Why a reviewer sent the chip back, when one did.
  public var reviewComment: String?

  enum CodingKeys: String, CodingKey {
    case task, chip, png, window, footprint, labels
    case validFraction = "valid_fraction"
    case assignedAt = "assigned_at"
    case reviewComment = "review_comment"
  }
}

public struct QueueReport: Codable, Sendable {
  public var annotator: String
  public var pending: [QueueItem]
}

/// Progress of a task: the JSON of `swath status --json` (Schemas/status.schema.json).
public struct StatusReport: Codable, Sendable {
  public struct ChipProgress: Codable, Sendable {
    public var chip: String
    public var assigned: [String]
    public var submitted: [String]
    public var acceptedSubmissions: Int
    /// Annotators holding a running lease on the chip (leased tasks).
    public var leasedBy: [String]
    /// bad_imagery / skip reports, one per annotator's flag.
    public var flags: [String]
    enum CodingKeys: String, CodingKey {
      case chip, assigned, submitted, flags
      case acceptedSubmissions = "accepted_submissions"
      case leasedBy = "leased_by"
    }
  }
  public struct AnnotatorProgress: Codable, Sendable {
    public var annotator: String
    public var assigned: Int
    public var submitted: Int
    public var pending: Int
    public var accepted: Int
    public var rejected: Int
    public var superseded: Int
  }
  public var task: String
  public var state: String
  /// `assigned` or `leased`.
  public var distribution: String
  public var chips: Int
  public var assignments: Int
  public var assignmentsSubmitted: Int
  public var submissions: [String: Int]
  public var consensusRuns: Int
  public var perChip: [ChipProgress]
  public var perAnnotator: [AnnotatorProgress]
  /// Chips enough annotators reported as bad imagery: out of the queue, for the analyst.
  public var withdrawnChips: [String]

  enum CodingKeys: String, CodingKey {
    case task, state, distribution, chips, assignments, submissions
    case withdrawnChips = "withdrawn_chips"
    case assignmentsSubmitted = "assignments_submitted"
    case consensusRuns = "consensus_runs"
    case perChip = "per_chip"
    case perAnnotator = "per_annotator"
  }
}

extension Workspace {
  /// An annotator's pending chips in open tasks (optionally one task).
  public func queue(annotator: String, task: String?, by caller: Caller) throws -> QueueReport {
    try Assignments.validateAnnotator(annotator)
    // Another annotator's queue does not exist for this caller.
    guard caller.mayActAs(annotator: annotator) || caller.role.may(.viewTaskStatus) else {
      throw WorkflowError("no annotator named '\(annotator)'", kind: .notFound)
    }
    return try store.read { store in
      let taskId = try task.map { try store.requireTask(named: $0).id! }
      // Reviewers' comments on chips sent back, read once per task.
      var comments: [Int64: [Int64: String]] = [:]
      let items = try store.queue(annotator: annotator, taskId: taskId).map { entry -> QueueItem in
        if comments[entry.task.id!] == nil {
          comments[entry.task.id!] = try ReviewChips.latestComments(entry.task, in: store)
        }
        let chip = entry.chip
        return QueueItem(
          task: entry.task.name, chip: chip.chipKey,
          // An on-demand chip has no file: where `swath serve` renders it.
          png: chip.path.isEmpty
            ? "/api/v1/tasks/\(entry.task.name)/chips/\(chip.chipKey).png"
            : folder.appendingPathComponent(chip.path).path,
          window: PixelWindow(
            column: chip.columnOffset, row: chip.rowOffset, width: chip.width, height: chip.height),
          validFraction: chip.validFraction,
          footprint: PolygonGeometry.decode(chip.footprint)
            ?? PolygonGeometry(type: "Polygon", coordinates: []),
          labels: entry.task.labels, assignedAt: entry.assignment.assignedAt,
          reviewComment: comments[entry.task.id!]?[chip.id!])
      }
      return QueueReport(annotator: annotator, pending: items)
    }
  }

  /// A task's progress per chip and per annotator.
  public func status(task name: String, by caller: Caller) throws -> StatusReport {
    try caller.require(.viewTaskStatus)
    return try store.read { store in
      let task = try store.requireTask(named: name)
      let taskId = task.id!
      let chips = try store.chips(ofTask: taskId)
      let assignments = try store.assignments(ofTask: taskId)
      let submissions = try store.submissionSummaries(ofTask: taskId)

      var assignedOn: [Int64: [String]] = [:]
      var submittedOn: [Int64: [String]] = [:]
      var annotators: [String: StatusReport.AnnotatorProgress] = [:]
      func progress(_ name: String) -> StatusReport.AnnotatorProgress {
        annotators[name]
          ?? .init(
            annotator: name, assigned: 0, submitted: 0, pending: 0, accepted: 0, rejected: 0,
            superseded: 0)
      }
      for assignment in assignments {
        assignedOn[assignment.chipId, default: []].append(assignment.annotator)
        var entry = progress(assignment.annotator)
        entry.assigned += 1
        if assignment.state == .submitted {
          submittedOn[assignment.chipId, default: []].append(assignment.annotator)
          entry.submitted += 1
        } else {
          entry.pending += 1
        }
        annotators[assignment.annotator] = entry
      }
      var acceptedOn: [Int64: Int] = [:]
      var byStatus: [String: Int] = [:]
      for status in SubmissionStatus.allCases { byStatus[status.rawValue] = 0 }
      for submission in submissions {
        byStatus[submission.status.rawValue, default: 0] += 1
        var entry = progress(submission.annotator)
        switch submission.status {
        case .accepted:
          entry.accepted += 1
          if let chip = submission.chipId { acceptedOn[chip, default: 0] += 1 }
        case .rejected: entry.rejected += 1
        case .superseded: entry.superseded += 1
        case .received: break
        }
        annotators[submission.annotator] = entry
      }
      let now = Timestamp.now()
      var leasedOn: [Int64: [String]] = [:]
      for lease in try store.leases(ofTask: taskId, runningAt: now) {
        leasedOn[lease.chipId, default: []].append(lease.annotator)
      }
      var flagsOn: [Int64: [String]] = [:]
      for flag in try store.chipFlags(ofTask: taskId) {
        flagsOn[flag.chipId, default: []].append(flag.kind.rawValue)
      }
      let withdrawn = try ChipFlags.withdrawn(task, in: store)
      let perChip = chips.map { chip -> StatusReport.ChipProgress in
        let id = chip.id!
        return .init(
          chip: chip.chipKey, assigned: assignedOn[id] ?? [], submitted: submittedOn[id] ?? [],
          acceptedSubmissions: acceptedOn[id] ?? 0, leasedBy: (leasedOn[id] ?? []).sorted(),
          flags: flagsOn[id] ?? [])
      }
      return StatusReport(
        task: task.name, state: task.state.rawValue, distribution: task.distribution.rawValue,
        chips: chips.count,
        assignments: assignments.count,
        assignmentsSubmitted: assignments.filter { $0.state == .submitted }.count,
        submissions: byStatus, consensusRuns: try store.consensusRunCount(ofTask: taskId),
        perChip: perChip,
        perAnnotator: annotators.values.sorted { $0.annotator < $1.annotator },
        withdrawnChips: chips.filter { withdrawn.contains($0.id!) }.map(\.chipKey))
    }
  }
}
