import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport
import SwathTiling

/// `swath task create`: the tiling engine cuts the region into a temporary folder of the
/// workspace; only once it has finished are the folder renamed into place and the task and its
/// chips recorded, both inside one write transaction. A run killed while tiling leaves a
/// temporary folder and no rows; the next `task create` removes such leftovers.
public enum TaskCreation {
  static let temporaryPrefix = ".tmp-"

  public struct Outcome: Sendable {
    public var task: TaskRecord
    public var chips: Int
    public var warnings: [String]
  }

  fileprivate static func create(
    _ parameters: TaskParameters, in workspace: Workspace, by caller: Caller,
    progress: any ProgressReporter, warn: (String) -> Void
  ) throws -> Outcome {
    let store = workspace.store
    try parameters.validate()
    let region: ChipRegion?
    do {
      // `all`: the whole image.
      region = parameters.region == "all" ? nil : try ChipRegion.parse(parameters.region)
    } catch let error as ChipError {
      throw WorkflowError(error.message)
    }
    let image = try store.read { store in
      if try store.task(named: parameters.name) != nil {
        throw WorkflowError("a task named '\(parameters.name)' already exists", kind: .conflict)
      }
      return try store.requireImage(named: parameters.imageName)
    }
    guard image.crsWkt != nil, image.geotransform != nil else {
      throw WorkflowError(
        "image '\(image.name)' has no CRS or geotransform; a task needs a georeferenced image")
    }
    // Chips must come from the very file that was registered.
    let checksum = try ImageCatalog.identity(of: image.path).sha256
    guard checksum == image.sha256 else {
      throw WorkflowError(
        "\(image.path) changed since it was registered as '\(image.name)' (sha256 differs); register it again under a new name"
      )
    }
    var options = ChipOptions(size: parameters.chipSize, region: region, edge: .pad)
    do {
      try options.setOverlap(parameters.overlap)
    } catch let error as ChipError {
      throw WorkflowError(error.message)
    }
    if parameters.chips == .onDemand {
      return try createOnDemand(
        parameters, image: image, options: options, in: workspace, by: caller, progress: progress, warn: warn)
    }

    let chipsRoot = workspace.chipsDirectory
    try FileManager.default.createDirectory(at: chipsRoot, withIntermediateDirectories: true)
    removeAbandonedTemporaries(in: chipsRoot)
    let pid = ProcessInfo.processInfo.processIdentifier
    let temporary = chipsRoot.appendingPathComponent(
      "\(temporaryPrefix)\(pid)-\(UUID().uuidString.prefix(8))", isDirectory: true)
    defer { try? FileManager.default.removeItem(at: temporary) }

    let index: ChipIndex
    do {
      index = try Chipper.run(
        imagePath: image.path, outputDirectory: temporary.path, options: options, progress: progress,
        warn: warn)
    } catch let error as ChipError {
      throw WorkflowError(error.message)
    }
    let relativeDirectory = "chips/\(parameters.name)"
    let chips = try newChips(index, parameters: parameters, image: image, directory: relativeDirectory)
    let final = workspace.folder.appendingPathComponent(relativeDirectory, isDirectory: true)
    let task = try store.write { store -> TaskRecord in
      if try store.task(named: parameters.name) != nil {
        throw WorkflowError("a task named '\(parameters.name)' already exists", kind: .conflict)
      }
      // Holding the write lock, a task folder without a task row can only be the leftover of a
      // run killed between its rename and its commit.
      let recorded = Set(try store.tasks().map(\.name))
      for entry in (try? FileManager.default.contentsOfDirectory(atPath: chipsRoot.path)) ?? []
      where !entry.hasPrefix(".") && !recorded.contains(entry) {
        try FileManager.default.removeItem(at: chipsRoot.appendingPathComponent(entry))
      }
      try FileManager.default.moveItem(at: temporary, to: final)
      do {
        return try TaskCatalog.insert(
          parameters, chips: chips, chipDirectory: relativeDirectory,
          look: ChipLook(index: index).json.jsonText, by: caller, in: store)
      } catch {
        try? FileManager.default.moveItem(at: final, to: temporary)
        throw error
      }
    }
    return Outcome(task: task, chips: chips.count, warnings: index.warnings)
  }

  /// A task whose chips are rendered when asked for: the grid, valid fractions and look are worked
  /// out from the scene (its mask read once, strip by strip), no file is written, and the task is
  /// recorded with its look so any node renders the same pixels.
  static func createOnDemand(
    _ parameters: TaskParameters, image: ImageRecord, options: ChipOptions, in workspace: Workspace,
    by caller: Caller, progress: any ProgressReporter, warn: (String) -> Void
  ) throws -> Outcome {
    let index: ChipIndex
    do {
      index = try Chipper.layOut(imagePath: image.path, options: options, progress: progress, warn: warn)
    } catch let error as ChipError {
      throw WorkflowError(error.message)
    }
    let chips = try newChips(index, parameters: parameters, image: image, directory: nil)
    let task = try workspace.store.write { store in
      try TaskCatalog.insert(
        parameters, chips: chips, chipDirectory: "", look: ChipLook(index: index).json.jsonText, by: caller,
        in: store)
    }
    return Outcome(task: task, chips: chips.count, warnings: index.warnings)
  }

  /// The chips of an index as rows to record; `directory` holds their files (nil: none, rendered).
  static func newChips(_ index: ChipIndex, parameters: TaskParameters, image: ImageRecord, directory: String?)
    throws -> [NewChip]
  {
    guard !index.chips.isEmpty else {
      throw WorkflowError(
        "region '\(parameters.region)' holds no chip with valid pixels in image '\(image.name)'")
    }
    return try index.chips.map { chip in
      guard let transform = chip.geoTransform, let footprint = chip.footprint else {
        throw WorkflowError("chip \(chip.id) came out without a georeference")
      }
      return NewChip(
        key: chip.id, columnOffset: chip.x, rowOffset: chip.y, width: chip.width,
        height: chip.height, geotransform: transform.coefficients,
        footprint: footprint.map { Point($0[0], $0[1]) }, validFraction: chip.validFraction,
        path: directory.map { "\($0)/\(chip.path)" } ?? "")
    }
  }

  /// Temporary folders whose creating process is gone.
  static func removeAbandonedTemporaries(in chipsRoot: URL) {
    LocalProcess.removeLeftovers(in: chipsRoot, prefix: temporaryPrefix)
  }
}

extension Workspace {
  /// Cuts a region of a registered image into chips and records them as a task: nothing is
  /// recorded until the tiling engine has finished, and then all of it in one transaction.
  public func createTask(
    _ parameters: TaskParameters, by caller: Caller,
    progress: any ProgressReporter = SilentProgress(), warn: (String) -> Void = { _ in }
  ) throws -> TaskCreation.Outcome {
    try caller.require(.manageTasks)
    return try TaskCreation.create(parameters, in: self, by: caller, progress: progress, warn: warn)
  }
}
