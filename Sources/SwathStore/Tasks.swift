import Foundation
import GRDB
import SwathGeometry

/// A task's parameters as the analyst gave them.
public struct TaskParameters: Sendable, Hashable {
  public var name: String
  public var imageName: String
  public var region: String
  public var labels: [String]
  public var chipSize: Int
  public var overlap: Int
  public var replicas: Int
  public var iou: Double
  public var quorum: Double

  public init(
    name: String, imageName: String, region: String, labels: [String], chipSize: Int = 512,
    overlap: Int = 64, replicas: Int = 3, iou: Double = 0.5, quorum: Double = 0.5
  ) {
    self.name = name
    self.imageName = imageName
    self.region = region
    self.labels = labels
    self.chipSize = chipSize
    self.overlap = overlap
    self.replicas = replicas
    self.iou = iou
    self.quorum = quorum
  }

  /// Refuses parameters no task can work with, naming the bad one.
  public func validate() throws {
    try TaskCatalog.validateName(name)
    guard !labels.isEmpty else { throw StoreError("--labels needs at least one label") }
    for label in labels where label.isEmpty || label != label.trimmingCharacters(in: .whitespaces) {
      throw StoreError("label '\(label)' is empty or has surrounding spaces")
    }
    if Set(labels).count != labels.count { throw StoreError("--labels lists a label twice") }
    guard chipSize >= 16, chipSize <= 16384 else {
      throw StoreError("--chip-size \(chipSize) is outside 16…16384 pixels")
    }
    guard overlap >= 0, overlap < chipSize else {
      throw StoreError("--overlap \(overlap) must be ≥ 0 and smaller than --chip-size \(chipSize)")
    }
    guard replicas >= 1, replicas <= 100 else {
      throw StoreError("--replicas \(replicas) is outside 1…100")
    }
    guard iou.isFinite, iou > 0, iou <= 1 else { throw StoreError("--iou \(iou) is outside (0, 1]") }
    guard quorum.isFinite, quorum > 0, quorum <= 1 else {
      throw StoreError("--quorum \(quorum) is outside (0, 1]")
    }
  }
}

/// One chip as the tiling engine produced it, ready to record.
public struct NewChip: Sendable, Hashable {
  public var key: String
  public var columnOffset: Int
  public var rowOffset: Int
  public var width: Int
  public var height: Int
  public var geotransform: [Double]
  /// WGS84 outline, closed.
  public var footprint: [Point]
  public var validFraction: Double
  /// Relative to the workspace.
  public var path: String

  public init(
    key: String, columnOffset: Int, rowOffset: Int, width: Int, height: Int,
    geotransform: [Double], footprint: [Point], validFraction: Double, path: String
  ) {
    self.key = key
    self.columnOffset = columnOffset
    self.rowOffset = rowOffset
    self.width = width
    self.height = height
    self.geotransform = geotransform
    self.footprint = footprint
    self.validFraction = validFraction
    self.path = path
  }
}

public enum TaskCatalog {
  public static func validateName(_ name: String) throws {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
    guard !name.isEmpty, name.count <= 100, !name.hasPrefix("."),
      name.unicodeScalars.allSatisfy({ allowed.contains($0) })
    else {
      throw StoreError(
        "task name '\(name)' must be 1–100 letters, digits, '-', '_' or '.', not starting with '.'")
    }
  }

  /// Records a task and all its chips; the caller's transaction makes it all or nothing.
  @discardableResult
  public static func insert(
    _ parameters: TaskParameters, chips: [NewChip], chipDirectory: String, actor: String,
    command: String, in db: Database
  ) throws -> TaskRecord {
    try parameters.validate()
    let image = try ImageCatalog.find(parameters.imageName, in: db)
    if try TaskRecord.filter(Column("name") == parameters.name).fetchCount(db) > 0 {
      throw StoreError("a task named '\(parameters.name)' already exists")
    }
    var task = TaskRecord(
      id: nil, name: parameters.name, imageId: image.id!, region: parameters.region,
      labels: parameters.labels, chipSize: parameters.chipSize, overlap: parameters.overlap,
      replicas: parameters.replicas, iou: parameters.iou, quorum: parameters.quorum,
      state: .open, chipDirectory: chipDirectory, createdAt: Clock.now(), closedAt: nil)
    try task.insert(db)
    for chip in chips {
      let xs = chip.footprint.map(\.x)
      let ys = chip.footprint.map(\.y)
      guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max()
      else { throw StoreError("chip \(chip.key) has no footprint") }
      var record = ChipRecord(
        id: nil, taskId: task.id!, chipKey: chip.key, columnOffset: chip.columnOffset,
        rowOffset: chip.rowOffset, width: chip.width, height: chip.height,
        geotransform: chip.geotransform, footprint: GeoJSONText.polygon([chip.footprint]),
        minLon: minX, minLat: minY, maxLon: maxX, maxLat: maxY,
        validFraction: chip.validFraction, path: chip.path)
      try record.insert(db)
    }
    try db.audit(
      actor: actor, command: command, action: "task.create",
      detail:
        "\(task.name) image=\(image.name) region=\(task.region) labels=\(task.labels.joined(separator: ",")) chips=\(chips.count)"
    )
    return task
  }

  public static func find(_ name: String, in db: Database) throws -> TaskRecord {
    guard let task = try TaskRecord.filter(Column("name") == name).fetchOne(db) else {
      let known = try String.fetchAll(db, sql: "SELECT name FROM tasks ORDER BY name")
      throw StoreError(
        "no task named '\(name)'"
          + (known.isEmpty ? " (none created yet)" : " (known: \(known.joined(separator: ", ")))"))
    }
    return task
  }

  public static func close(_ name: String, in store: Store, command: String) throws -> TaskRecord {
    try store.write { db in
      var task = try find(name, in: db)
      guard task.state == .open else { throw StoreError("task '\(name)' is already closed") }
      task.state = .closed
      task.closedAt = Clock.now()
      try task.update(db)
      try db.audit(
        actor: Actor.currentUser, command: command, action: "task.close", detail: task.name)
      return task
    }
  }

  /// Every task with its image name and counts, for `task list`.
  public static func summaries(in store: Store) throws -> [TaskSummary] {
    try store.read { db in
      try TaskRecord.order(Column("name")).fetchAll(db).map { try summary(of: $0, in: db) }
    }
  }

  public static func summary(of task: TaskRecord, in db: Database) throws -> TaskSummary {
    let taskId = task.id!
    let image =
      try String.fetchOne(db, sql: "SELECT name FROM images WHERE id = ?", arguments: [task.imageId]) ?? "?"
    let chips =
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM chips WHERE task_id = ?", arguments: [taskId]) ?? 0
    let counts = try Row.fetchOne(
      db,
      sql: """
        SELECT COUNT(*) AS total, COALESCE(SUM(a.state = 'submitted'), 0) AS submitted
        FROM assignments a JOIN chips c ON c.id = a.chip_id WHERE c.task_id = ?
        """, arguments: [taskId])
    let accepted =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM submissions WHERE task_id = ? AND status = 'accepted'",
        arguments: [taskId]) ?? 0
    let rejected =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM submissions WHERE task_id = ? AND status = 'rejected'",
        arguments: [taskId]) ?? 0
    let runs =
      try Int.fetchOne(
        db, sql: "SELECT COUNT(*) FROM consensus_runs WHERE task_id = ?", arguments: [taskId]) ?? 0
    return TaskSummary(
      name: task.name, image: image, state: task.state.rawValue, region: task.region,
      labels: task.labels, chipSize: task.chipSize, overlap: task.overlap,
      replicas: task.replicas, iou: task.iou, quorum: task.quorum, chips: chips,
      assignments: counts?["total"] ?? 0, assignmentsSubmitted: counts?["submitted"] ?? 0,
      acceptedSubmissions: accepted, rejectedSubmissions: rejected, consensusRuns: runs,
      createdAt: task.createdAt, closedAt: task.closedAt)
  }
}

/// A task at a glance; the JSON of `task list --json` and `task show --json`.
public struct TaskSummary: Codable, Sendable {
  public var name: String
  public var image: String
  public var state: String
  public var region: String
  public var labels: [String]
  public var chipSize: Int
  public var overlap: Int
  public var replicas: Int
  public var iou: Double
  public var quorum: Double
  public var chips: Int
  public var assignments: Int
  public var assignmentsSubmitted: Int
  public var acceptedSubmissions: Int
  public var rejectedSubmissions: Int
  public var consensusRuns: Int
  public var createdAt: String
  public var closedAt: String?

  enum CodingKeys: String, CodingKey {
    case name, image, state, region, labels
    case chipSize = "chip_size"
    case overlap, replicas, iou, quorum, chips, assignments
    case assignmentsSubmitted = "assignments_submitted"
    case acceptedSubmissions = "accepted_submissions"
    case rejectedSubmissions = "rejected_submissions"
    case consensusRuns = "consensus_runs"
    case createdAt = "created_at"
    case closedAt = "closed_at"
  }
}
