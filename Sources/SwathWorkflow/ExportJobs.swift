import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport
import Synchronization

/// What an export job writes: a task's final layer in one format, as a ZIP archive kept in the
/// store, so that whichever node a client asks can hand it over.
public struct ExportRequest: Codable, Sendable, Hashable {
  /// A layer file or a folder of training data.
  public enum Format: Sendable, Hashable {
    case file(Export.Format)
    case training(TrainingExport.Format)

    /// `geojson`, `gpkg`, `fgb`, `coco`, `yolo`, `yolo-seg`, `masks` or `stac`.
    public init?(rawValue: String) {
      if let file = Export.Format(rawValue: rawValue) {
        self = .file(file)
      } else if let training = TrainingExport.Format(rawValue: rawValue) {
        self = .training(training)
      } else {
        return nil
      }
    }

    public var rawValue: String {
      switch self {
      case .file(let format): format.rawValue
      case .training(let format): format.rawValue
      }
    }

    public static var names: [String] {
      Export.Format.allCases.map(\.rawValue) + TrainingExport.Format.allCases.map(\.rawValue)
    }
  }

  /// The training formats' choices (`TrainingExport.Options`), as a request carries them.
  public struct Training: Codable, Sendable, Hashable {
    public var statuses: [String]?
    public var reviewStates: [String]?
    public var minValid: Double?
    public var minVisible: Double?
    /// Train, val and test fractions.
    public var split: [Double]?
    public var seed: UInt64?
    public var blockSize: Int?

    public init(
      statuses: [String]? = nil, reviewStates: [String]? = nil, minValid: Double? = nil,
      minVisible: Double? = nil, split: [Double]? = nil, seed: UInt64? = nil, blockSize: Int? = nil
    ) {
      self.statuses = statuses
      self.reviewStates = reviewStates
      self.minValid = minValid
      self.minVisible = minVisible
      self.split = split
      self.seed = seed
      self.blockSize = blockSize
    }

    /// The export's options: what is not given keeps the CLI's default.
    public func options() throws -> TrainingExport.Options {
      var options = TrainingExport.Options()
      if let statuses { options.statuses = Set(statuses) }
      if let reviewStates { options.reviewStates = Set(reviewStates) }
      if let minValid { options.minValidFraction = minValid }
      if let minVisible { options.minVisibleFraction = minVisible }
      if let split {
        guard split.count == 3 else {
          throw WorkflowError("split: expected three fractions train, val, test such as [0.8, 0.1, 0.1]")
        }
        options.fractions = [.train: split[0], .val: split[1], .test: split[2]]
      }
      if let seed { options.seed = seed }
      if let blockSize { options.blockSize = blockSize }
      try options.validate()
      return options
    }
  }

  public var task: String
  public var format: Format
  public var crs: Export.TargetCRS
  public var includeRejected: Bool
  public var training: Training?

  public init(
    task: String, format: Format, crs: Export.TargetCRS = .wgs84, includeRejected: Bool = false,
    training: Training? = nil
  ) {
    self.task = task
    self.format = format
    self.crs = crs
    self.includeRejected = includeRejected
    self.training = training
  }
}

extension ExportRequest.Format: Codable {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    guard let format = Self(rawValue: text) else {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: "format \(text)"))
    }
    self = format
  }
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(rawValue)
  }
}

extension Export.TargetCRS: Codable {
  public init(from decoder: any Decoder) throws {
    let text = try decoder.singleValueContainer().decode(String.self)
    self = text == "image" ? .image : .wgs84
  }
  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    try container.encode(self == .image ? "image" : "EPSG:4326")
  }
}

/// A job's archive as a front end hands it over.
public struct ExportArchive: Sendable {
  public var job: Int64
  public var fileName: String
  public var bytes: Int
  public var parts: Int
}

extension Workspace {
  /// The size of the parts an archive is kept in: a few round trips for a layer, and no part
  /// near a database's limit for one value.
  static let archivePartBytes = 4 << 20

  /// How long an export's archive is kept after its job finished; the next job any worker runs
  /// after that removes it (the export can be queued again).
  public static let archiveLifetime: TimeInterval = 7 * 24 * 3600

  /// When this process last removed expired archives: at most once every ten minutes, since idle
  /// workers look for jobs several times a second.
  private static let lastArchiveSweep = Mutex(Date.distantPast)

  /// Removes the archives of export jobs that finished more than `archiveLifetime` ago, when this
  /// process has not done so in the last ten minutes (or always, with `now` given).
  @discardableResult
  func removeExpiredArchives(now: Date? = nil) throws -> Int {
    let moment = now ?? Date()
    if now == nil {
      let due = Self.lastArchiveSweep.withLock { last in
        guard moment.timeIntervalSince(last) >= 600 else { return false }
        last = moment
        return true
      }
      guard due else { return 0 }
    }
    let before = Timestamp.string(from: moment.addingTimeInterval(-Self.archiveLifetime))
    // Looked for in a snapshot first, so that an idle worker writes only when there is something.
    let expired = try store.read { store in
      try store.jobs(inState: .succeeded).contains { $0.kind == .export && ($0.finishedAt ?? "") < before }
    }
    guard expired else { return 0 }
    return try store.write { store in try store.deleteArchives(finishedBefore: before) }
  }

  /// Queues an export of a task's final layer; refused at once when it cannot work (no such
  /// task, no consensus run yet).
  public func enqueueExport(_ request: ExportRequest, by caller: Caller) throws -> JobRecord {
    try caller.require(.exportLayers)
    switch request.format {
    case .file:
      if request.training != nil {
        throw WorkflowError(
          "training options apply to the training formats (\(TrainingExport.Format.allCases.map(\.rawValue).joined(separator: ", ")))"
        )
      }
    case .training:
      if request.crs == .image || request.includeRejected {
        throw WorkflowError("crs and include_rejected apply to the layer files (geojson, gpkg, fgb)")
      }
      _ = try (request.training ?? ExportRequest.Training()).options()
    }
    try store.read { store in
      let task = try store.requireTask(named: request.task)
      guard try store.latestConsensusRun(ofTask: task.id!) != nil else {
        throw WorkflowError(
          "task '\(request.task)' has no consensus run yet: run consensus before exporting", kind: .conflict)
      }
    }
    return try enqueue(.export, parameters: request, by: caller)
  }

  /// Writes the export into a temporary folder, archives it and keeps the archive in the store
  /// (replacing one an earlier attempt of the same job left), so running the job twice leaves
  /// one archive.
  func runExport(job id: Int64, _ request: ExportRequest, by caller: Caller, progress: any ProgressReporter)
    throws -> JSONValue
  {
    let scratch = FileManager.default.temporaryDirectory
      .appendingPathComponent("swath-export-\(id)-\(UUID().uuidString)", isDirectory: true)
    // The archive holds one folder named after the task, so unpacking it never scatters files.
    let packed = scratch.appendingPathComponent("archive", isDirectory: true)
    let content = packed.appendingPathComponent(request.task, isDirectory: true)
    do {
      try FileManager.default.createDirectory(at: packed, withIntermediateDirectories: true)
    } catch {
      throw WorkflowError("cannot create \(packed.path): \(error.localizedDescription)", kind: .environment)
    }
    defer { try? FileManager.default.removeItem(at: scratch) }
    var summary: [String: JSONValue] = [
      "task": .string(request.task), "format": .string(request.format.rawValue),
    ]
    switch request.format {
    case .file(let format):
      try FileManager.default.createDirectory(at: content, withIntermediateDirectories: true)
      let file = content.appendingPathComponent("\(request.task).\(format.fileExtension)")
      let outcome = try export(
        task: request.task, out: file.path, format: format, crs: request.crs,
        includeRejected: request.includeRejected, by: caller, progress: progress)
      summary["objects"] = .integer(Int64(outcome.features))
      summary["run"] = .integer(outcome.run)
      summary["crs"] = .string(outcome.crs)
    case .training(let format):
      let outcome = try exportTraining(
        task: request.task, format: format, out: content.path,
        options: try (request.training ?? ExportRequest.Training()).options(), by: caller, progress: progress)
      summary["images"] = .integer(Int64(outcome.images))
      summary["annotations"] = .integer(Int64(outcome.annotations))
      summary["run"] = .integer(outcome.run)
    }
    let archive = scratch.appendingPathComponent("archive.zip")
    do {
      try ZipArchive.write(folder: packed, to: archive)
    } catch let error as GDALError {
      throw WorkflowError(error.message, kind: .environment)
    }
    let input: FileHandle
    do {
      input = try FileHandle(forReadingFrom: archive)
    } catch {
      throw WorkflowError("cannot read \(archive.path): \(error.localizedDescription)", kind: .environment)
    }
    defer { try? input.close() }
    let bytes = try store.write { store -> Int in
      try store.deleteArchive(ofJob: id)
      var index = 0
      var total = 0
      while let part = try input.read(upToCount: Self.archivePartBytes), !part.isEmpty {
        try store.insertArchivePart(ofJob: id, index: index, bytes: part)
        index += 1
        total += part.count
      }
      return total
    }
    summary["bytes"] = .integer(Int64(bytes))
    summary["archive"] = .string("/api/v1/jobs/\(id)/archive")
    return .object(summary)
  }

  /// The archive an export job left, for whoever may see the job and export layers.
  public func exportArchive(job id: Int64, by caller: Caller) throws -> ExportArchive {
    try caller.require(.exportLayers)
    let job = try self.job(id, by: caller)
    guard job.kind == .export else { throw WorkflowError("job #\(id) is not an export", kind: .notFound) }
    guard job.state == .succeeded else {
      throw WorkflowError(
        job.state == .failed
          ? "export job #\(id) failed: \(job.error ?? "no reason recorded")"
          : "export job #\(id) is \(job.state.rawValue); its archive is ready when the job has succeeded",
        kind: .conflict)
    }
    let request = try JSONDecoder().decode(ExportRequest.self, from: Data(job.parameters.utf8))
    guard let archive = try store.read({ store in try store.archive(ofJob: id) }) else {
      throw WorkflowError(
        "the archive of export job #\(id) was removed \(Int(Self.archiveLifetime / 86400)) days after the job finished; queue the export again",
        kind: .notFound)
    }
    return ExportArchive(
      job: id, fileName: "\(request.task)-\(request.format.rawValue)-job\(id).zip", bytes: archive.bytes,
      parts: archive.parts)
  }

  /// Part `index` of an archive `exportArchive` described (a finished job's archive never changes).
  public func exportArchivePart(_ archive: ExportArchive, index: Int) throws -> Data {
    guard let part = try store.read({ store in try store.archivePart(ofJob: archive.job, index: index) })
    else {
      throw WorkflowError("export job #\(archive.job) lost part \(index) of its archive", kind: .environment)
    }
    return part
  }
}
