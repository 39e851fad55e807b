import Foundation
import SwathConsensus
import SwathGeometry
import SwathStore

/// A task's parameters as the analyst gave them.
public struct TaskParameters: Sendable, Hashable, Codable {
  public var name: String
  public var imageName: String
  public var region: String
  public var labels: [String]
  public var chipSize: Int
  public var overlap: Int
  public var replicas: Int
  public var iou: Double
  public var quorum: Double
  /// Chips assigned up front (`assign`), or leased one at a time (`lease`).
  public var distribution: ChipDistribution
  /// How long a lease lasts, in seconds.
  public var leaseSeconds: Int
  /// The full label schema; nil when the task was given names only (`labels`).
  public var schema: LabelSchema?
  /// What the annotators are asked to do, shown on their page; at most `maxInstructions` characters.
  public var instructions: String?
  /// Chip files cut now (`precut`, the default), or chips rendered from the scene when asked for
  /// (`on-demand`).
  public var chips: ChipSource {
    get { chipSource ?? .precut }
    set { chipSource = newValue }
  }
  /// Optional so that a task-creation job queued by an older Swath still decodes.
  private var chipSource: ChipSource?

  /// Instructions are a page of text, not a manual.
  public static let maxInstructions = 10_000

  public init(
    name: String, imageName: String, region: String, labels: [String], chipSize: Int = 512,
    overlap: Int = 64, replicas: Int = 3, iou: Double = 0.5, quorum: Double = 0.5,
    distribution: ChipDistribution = .assigned, leaseSeconds: Int = 7200
  ) {
    self.distribution = distribution
    self.leaseSeconds = leaseSeconds
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

  /// A task whose labels are a schema: `labels` are its names.
  public init(
    name: String, imageName: String, region: String, schema: LabelSchema, chipSize: Int = 512,
    overlap: Int = 64, replicas: Int = 3, iou: Double = 0.5, quorum: Double = 0.5,
    distribution: ChipDistribution = .assigned, leaseSeconds: Int = 7200
  ) {
    self.init(
      name: name, imageName: imageName, region: region, labels: schema.names, chipSize: chipSize,
      overlap: overlap, replicas: replicas, iou: iou, quorum: quorum, distribution: distribution,
      leaseSeconds: leaseSeconds)
    self.schema = schema
  }

  /// Refuses parameters no task can work with, naming the bad one.
  public func validate() throws {
    try TaskCatalog.validateName(name)
    if let schema, schema.names != labels {
      throw WorkflowError("the labels and the label schema's labels differ")
    }
    guard !labels.isEmpty else { throw WorkflowError("a task needs at least one label") }
    for label in labels where label.isEmpty || label != label.trimmingCharacters(in: .whitespaces) {
      throw WorkflowError("label '\(label)' is empty or has surrounding spaces")
    }
    if Set(labels).count != labels.count { throw WorkflowError("the labels list a label twice") }
    guard chipSize >= 16, chipSize <= 16384 else {
      throw WorkflowError("chip size \(chipSize) is outside 16…16384 pixels")
    }
    guard overlap >= 0, overlap < chipSize else {
      throw WorkflowError("overlap \(overlap) must be ≥ 0 and smaller than the chip size \(chipSize)")
    }
    guard replicas >= 1, replicas <= 100 else {
      throw WorkflowError("replicas \(replicas) is outside 1…100")
    }
    do {
      _ = try IoUThreshold(iou)
    } catch {
      throw WorkflowError(error.message)
    }
    guard quorum.isFinite, quorum > 0, quorum <= 1 else {
      throw WorkflowError("quorum \(quorum) is outside (0, 1]")
    }
    guard leaseSeconds >= 60, leaseSeconds <= 7 * 86_400 else {
      throw WorkflowError("lease time \(leaseSeconds) s is outside 1 minute…7 days")
    }
    // Counted in Unicode scalars, as JSON Schema's maxLength counts (Schemas/openapi.yaml).
    if let instructions, instructions.unicodeScalars.count > Self.maxInstructions {
      throw WorkflowError(
        "instructions of \(instructions.unicodeScalars.count) characters are longer than \(Self.maxInstructions)"
      )
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

enum TaskCatalog {
  static func validateName(_ name: String) throws {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_."))
    guard !name.isEmpty, name.count <= 100, !name.hasPrefix("."),
      name.unicodeScalars.allSatisfy({ allowed.contains($0) })
    else {
      throw WorkflowError(
        "task name '\(name)' must be 1–100 letters, digits, '-', '_' or '.', not starting with '.'")
    }
  }

  /// Records a task and all its chips inside the caller's transaction.
  @discardableResult
  static func insert(
    _ parameters: TaskParameters, chips: [NewChip], chipDirectory: String, look: String? = nil,
    by caller: Caller, in store: any StoreWriter
  ) throws -> TaskRecord {
    try parameters.validate()
    let image = try store.requireImage(named: parameters.imageName)
    if try store.task(named: parameters.name) != nil {
      throw WorkflowError("a task named '\(parameters.name)' already exists", kind: .conflict)
    }
    var task = TaskRecord(
      name: parameters.name, imageId: image.id!, region: parameters.region,
      labels: parameters.labels, chipSize: parameters.chipSize, overlap: parameters.overlap,
      replicas: parameters.replicas, iou: parameters.iou, quorum: parameters.quorum,
      state: .open, chipDirectory: chipDirectory, createdAt: Timestamp.now(), closedAt: nil,
      distribution: parameters.distribution, leaseSeconds: parameters.leaseSeconds,
      labelSchema: parameters.schema.map { $0.json.jsonText },
      instructions: parameters.instructions.flatMap { $0.isEmpty ? nil : $0 }, chipSource: parameters.chips,
      chipLook: look)
    try store.insert(&task)
    for chip in chips {
      let xs = chip.footprint.map(\.x)
      let ys = chip.footprint.map(\.y)
      guard let minX = xs.min(), let maxX = xs.max(), let minY = ys.min(), let maxY = ys.max()
      else { throw WorkflowError("chip \(chip.key) has no footprint") }
      var record = ChipRecord(
        taskId: task.id!, chipKey: chip.key, columnOffset: chip.columnOffset,
        rowOffset: chip.rowOffset, width: chip.width, height: chip.height,
        geotransform: chip.geotransform, footprint: GeoJSONGeometry.polygonText([chip.footprint]),
        minLon: minX, minLat: minY, maxLon: maxX, maxLat: maxY,
        validFraction: chip.validFraction, path: chip.path)
      try store.insert(&record)
    }
    try store.audit(
      actor: caller.name, command: caller.command, action: "task.create",
      detail:
        "\(task.name) image=\(image.name) region=\(task.region) labels=\(task.labels.joined(separator: ",")) chips=\(chips.count)"
    )
    return task
  }

  static func summary(of task: TaskRecord, in store: any StoreReader) throws -> TaskSummary {
    let taskId = task.id!
    let image = try store.image(id: task.imageId)?.name ?? "?"
    let chips = try store.chips(ofTask: taskId).count
    let assignments = try store.assignments(ofTask: taskId)
    let submissions = try store.submissionSummaries(ofTask: taskId)
    return TaskSummary(
      name: task.name, image: image, state: task.state.rawValue, region: task.region,
      labels: task.labels, chipSize: task.chipSize, overlap: task.overlap,
      replicas: task.replicas, iou: task.iou, quorum: task.quorum, chips: chips,
      assignments: assignments.count,
      assignmentsSubmitted: assignments.filter { $0.state == .submitted }.count,
      acceptedSubmissions: submissions.filter { $0.status == .accepted }.count,
      rejectedSubmissions: submissions.filter { $0.status == .rejected }.count,
      consensusRuns: try store.consensusRunCount(ofTask: taskId),
      review: try TaskSummary.ReviewThresholds(Review.thresholds(task, in: store)),
      createdAt: task.createdAt, closedAt: task.closedAt, instructions: task.instructions,
      chipSource: task.chipSource)
  }
}

extension Workspace {
  /// Closes a task: it refuses further submissions and assignments.
  public func closeTask(_ name: String, by caller: Caller) throws -> TaskRecord {
    try caller.require(.manageTasks)
    return try store.write { store in
      var task = try store.requireTask(named: name)
      guard task.state == .open else {
        throw WorkflowError("task '\(name)' is already closed", kind: .conflict)
      }
      task.state = .closed
      task.closedAt = Timestamp.now()
      try store.update(task)
      try store.audit(
        actor: caller.name, command: caller.command, action: "task.close", detail: task.name)
      return task
    }
  }

  /// Every task with its image name and counts, by name.
  public func taskSummaries(by caller: Caller) throws -> [TaskSummary] {
    try caller.require(.viewTaskStatus)
    return try store.read { store in
      try store.tasks().map { try TaskCatalog.summary(of: $0, in: store) }
    }
  }

  /// One task's parameters and progress.
  public func taskSummary(named name: String, by caller: Caller) throws -> TaskSummary {
    try caller.require(.viewTaskStatus)
    return try store.read { store in try TaskCatalog.summary(of: store.requireTask(named: name), in: store) }
  }

  /// The first free name IMAGE-N for a new task on an image.
  public func defaultTaskName(forImage image: String, by caller: Caller) throws -> String {
    try caller.require(.manageTasks)
    let existing = Set(try store.read { store in try store.tasks().map(\.name) })
    var number = 1
    while existing.contains("\(image)-\(number)") { number += 1 }
    return "\(image)-\(number)"
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
  /// The task's review thresholds (the defaults until set).
  public var review: ReviewThresholds
  public var createdAt: String
  public var closedAt: String?
  public var instructions: String?
  /// `precut` (chip files) or `on-demand` (chips rendered when asked for).
  public var chipSource: ChipSource

  /// `{"accept": 0.9, "reject": 0.2}`: the confidences at and above which an object is
  /// `auto_accepted`, and below which `auto_rejected` (README, "Review").
  public struct ReviewThresholds: Codable, Sendable, Hashable {
    public var accept: Double
    public var reject: Double

    init(_ thresholds: Review.Thresholds) {
      accept = thresholds.accept
      reject = thresholds.reject
    }
  }

  enum CodingKeys: String, CodingKey {
    case name, image, state, region, labels, instructions
    case chipSize = "chip_size"
    case chipSource = "chip_source"
    case overlap, replicas, iou, quorum, chips, assignments
    case assignmentsSubmitted = "assignments_submitted"
    case acceptedSubmissions = "accepted_submissions"
    case rejectedSubmissions = "rejected_submissions"
    case consensusRuns = "consensus_runs"
    case review
    case createdAt = "created_at"
    case closedAt = "closed_at"
  }
}
