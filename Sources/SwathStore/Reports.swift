import Foundation
import GRDB

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
  public var png: String
  public var window: PixelWindow
  public var validFraction: Double
  public var footprint: PolygonGeometry
  public var labels: [String]
  public var assignedAt: String

  enum CodingKeys: String, CodingKey {
    case task, chip, png, window, footprint, labels
    case validFraction = "valid_fraction"
    case assignedAt = "assigned_at"
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
    enum CodingKeys: String, CodingKey {
      case chip, assigned, submitted
      case acceptedSubmissions = "accepted_submissions"
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
  public var chips: Int
  public var assignments: Int
  public var assignmentsSubmitted: Int
  public var submissions: [String: Int]
  public var consensusRuns: Int
  public var perChip: [ChipProgress]
  public var perAnnotator: [AnnotatorProgress]

  enum CodingKeys: String, CodingKey {
    case task, state, chips, assignments, submissions
    case assignmentsSubmitted = "assignments_submitted"
    case consensusRuns = "consensus_runs"
    case perChip = "per_chip"
    case perAnnotator = "per_annotator"
  }
}

public enum Reports {
  public static func queue(annotator: String, task: String?, in store: Store) throws -> QueueReport {
    try Assignments.validateAnnotator(annotator)
    return try store.read { db in
      var sql = """
        SELECT t.name AS task, t.labels, c.chip_key, c.path, c.column_offset, c.row_offset,
               c.width, c.height, c.valid_fraction, c.footprint, a.assigned_at
        FROM assignments a JOIN chips c ON c.id = a.chip_id JOIN tasks t ON t.id = c.task_id
        WHERE a.annotator = ? AND a.state = 'pending' AND t.state = 'open'
        """
      var arguments: StatementArguments = [annotator]
      if let task {
        _ = try TaskCatalog.find(task, in: db)
        sql += " AND t.name = ?"
        arguments += [task]
      }
      sql += " ORDER BY t.name, c.id"
      let items = try Row.fetchAll(db, sql: sql, arguments: arguments).map { row -> QueueItem in
        let labelsText: String = row["labels"]
        let labels = (try? JSONDecoder().decode([String].self, from: Data(labelsText.utf8))) ?? []
        let relative: String = row["path"]
        return QueueItem(
          task: row["task"], chip: row["chip_key"],
          png: store.workspace.appendingPathComponent(relative).path,
          window: PixelWindow(
            column: row["column_offset"], row: row["row_offset"], width: row["width"],
            height: row["height"]),
          validFraction: row["valid_fraction"],
          footprint: PolygonGeometry.decode(row["footprint"])
            ?? PolygonGeometry(type: "Polygon", coordinates: []),
          labels: labels, assignedAt: row["assigned_at"])
      }
      return QueueReport(annotator: annotator, pending: items)
    }
  }

  public static func status(task name: String, in store: Store) throws -> StatusReport {
    try store.read { db in
      let task = try TaskCatalog.find(name, in: db)
      let taskId = task.id!
      let chips = try Row.fetchAll(
        db, sql: "SELECT id, chip_key FROM chips WHERE task_id = ? ORDER BY id",
        arguments: [taskId])
      let assignments = try Row.fetchAll(
        db,
        sql: """
          SELECT a.chip_id, a.annotator, a.state FROM assignments a
          JOIN chips c ON c.id = a.chip_id WHERE c.task_id = ? ORDER BY a.annotator
          """, arguments: [taskId])
      let submissions = try Row.fetchAll(
        db, sql: "SELECT chip_id, annotator, status FROM submissions WHERE task_id = ?",
        arguments: [taskId])

      var assignedOn: [Int64: [String]] = [:]
      var submittedOn: [Int64: [String]] = [:]
      var annotators: [String: StatusReport.AnnotatorProgress] = [:]
      func progress(_ name: String) -> StatusReport.AnnotatorProgress {
        annotators[name]
          ?? .init(
            annotator: name, assigned: 0, submitted: 0, pending: 0, accepted: 0, rejected: 0,
            superseded: 0)
      }
      for row in assignments {
        let chip: Int64 = row["chip_id"]
        let annotator: String = row["annotator"]
        let state: String = row["state"]
        assignedOn[chip, default: []].append(annotator)
        var entry = progress(annotator)
        entry.assigned += 1
        if state == AssignmentState.submitted.rawValue {
          submittedOn[chip, default: []].append(annotator)
          entry.submitted += 1
        } else {
          entry.pending += 1
        }
        annotators[annotator] = entry
      }
      var acceptedOn: [Int64: Int] = [:]
      var byStatus: [String: Int] = [:]
      for status in ["received", "accepted", "rejected", "superseded"] { byStatus[status] = 0 }
      for row in submissions {
        let annotator: String = row["annotator"]
        let status: String = row["status"]
        byStatus[status, default: 0] += 1
        var entry = progress(annotator)
        switch status {
        case "accepted":
          entry.accepted += 1
          if let chip: Int64 = row["chip_id"] { acceptedOn[chip, default: 0] += 1 }
        case "rejected": entry.rejected += 1
        case "superseded": entry.superseded += 1
        default: break
        }
        annotators[annotator] = entry
      }
      let perChip = chips.map { row -> StatusReport.ChipProgress in
        let id: Int64 = row["id"]
        return .init(
          chip: row["chip_key"], assigned: assignedOn[id] ?? [], submitted: submittedOn[id] ?? [],
          acceptedSubmissions: acceptedOn[id] ?? 0)
      }
      let runs =
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM consensus_runs WHERE task_id = ?", arguments: [taskId])
        ?? 0
      return StatusReport(
        task: task.name, state: task.state.rawValue, chips: chips.count,
        assignments: assignments.count,
        assignmentsSubmitted: assignments.filter {
          ($0["state"] as String) == AssignmentState.submitted.rawValue
        }.count,
        submissions: byStatus, consensusRuns: runs, perChip: perChip,
        perAnnotator: annotators.values.sorted { $0.annotator < $1.annotator })
    }
  }
}

extension JSONEncoder {
  /// Stable, readable JSON for command output.
  public static var swathOutput: JSONEncoder {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}
