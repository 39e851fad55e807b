import Foundation
import SwathGDAL
import SwathStore
import SwathTiling

/// One chip as an annotator (or an analyst) sees it: where it lies in the image and on the map,
/// and what to label. The JSON of `GET /api/v1/tasks/{task}/chips/{chip}`.
public struct ChipDetails: Codable, Sendable {
  public var task: String
  public var chip: String
  public var window: PixelWindow
  /// GDAL order: origin x, pixel width, row rotation, origin y, column rotation, pixel height,
  /// in the image's CRS.
  public var geotransform: [Double]
  public var footprint: PolygonGeometry
  public var validFraction: Double
  public var labels: [String]
  /// The caller's relation to the chip: `pending` or `submitted` (an assignment), `leased` (a
  /// running lease) or `answered` (a leased chip they answered); nil for analysts and admins
  /// who have none.
  public var assignment: String?
  /// The task's instructions to annotators; nil when it has none.
  public var instructions: String?

  enum CodingKeys: String, CodingKey {
    case task, chip, window, geotransform, footprint, labels, assignment, instructions
    case validFraction = "valid_fraction"
  }
}

// Use cases for a front end that acts for the signed-in annotator (the HTTP API): the caller is
// the annotator, and a chip or task they have no assignment in does not exist for them.
extension Workspace {
  /// The caller's own pending chips: annotators (and admins, for themselves) only.
  public func ownQueue(task: String? = nil, by caller: Caller) throws -> QueueReport {
    try caller.require(.annotate)
    if let task, caller.role == .annotator {
      // A task they have no assignment in answers as an unknown one.
      _ = try store.read { store in try Self.assignedChips(caller, task: task, in: store) }
    }
    return try queue(annotator: caller.name, task: task, by: caller)
  }

  /// One chip's window, geotransform, footprint and labels. Annotators see only chips they are
  /// assigned to; analysts, reviewers and admins see every chip.
  public func chipDetails(task: String, chip: String, by caller: Caller) throws -> ChipDetails {
    try store.read { store in
      let (taskRecord, chipRecord, relation) = try Self.visibleChip(
        task: task, chip: chip, caller: caller, in: store)
      return ChipDetails(
        task: taskRecord.name, chip: chipRecord.chipKey,
        window: PixelWindow(
          column: chipRecord.columnOffset, row: chipRecord.rowOffset, width: chipRecord.width,
          height: chipRecord.height),
        geotransform: chipRecord.geotransform,
        footprint: PolygonGeometry.decode(chipRecord.footprint)
          ?? PolygonGeometry(type: "Polygon", coordinates: []),
        validFraction: chipRecord.validFraction, labels: taskRecord.labels,
        assignment: relation, instructions: taskRecord.instructions)
    }
  }

  /// The chip's PNG under the same rules as `chipDetails`: the pre-cut file of a `precut` task, or
  /// a render from the scene for an `on-demand` one. Nothing is read or rendered yet, so a client
  /// holding the tag gets its 304 without either.
  public func chipPicture(task: String, chip: String, by caller: Caller) throws -> ChipPicture {
    let (taskRecord, chipRecord, image) = try store.read { store in
      let (taskRecord, chipRecord, _) = try Self.visibleChip(
        task: task, chip: chip, caller: caller, in: store)
      return (taskRecord, chipRecord, try store.image(id: taskRecord.imageId))
    }
    return try picture(of: chipRecord, task: taskRecord, image: image)
  }

  /// A chip's PNG, whichever way the task keeps its chips: the pre-cut file, or a render from
  /// the scene with the task's recorded look. Shared by the API's chip image and the training
  /// export.
  func picture(of chipRecord: ChipRecord, task taskRecord: TaskRecord, image: ImageRecord?) throws
    -> ChipPicture
  {
    let task = taskRecord.name
    let chip = chipRecord.chipKey
    guard taskRecord.chipSource == .onDemand else {
      let url = try chipFile(chipRecord)
      let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
      let size = (attributes?[.size] as? NSNumber)?.int64Value ?? 0
      let modified = (attributes?[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
      return ChipPicture(
        tag: "\(String(size, radix: 16))-\(String(Int64(modified * 1000), radix: 16))", rendered: false,
        render: {
          do {
            return try Data(contentsOf: url)
          } catch {
            throw WorkflowError("chip \(chip): cannot read its file", kind: .environment)
          }
        })
    }
    guard let image else { throw WorkflowError("task '\(task)' has lost its image", kind: .environment) }
    guard let look = taskRecord.chipLook.flatMap(ChipLook.init(json:)) else {
      throw WorkflowError("task '\(task)' renders its chips but has no recorded look", kind: .environment)
    }
    let window = SwathGDAL.PixelWindow(
      x: chipRecord.columnOffset, y: chipRecord.rowOffset, width: chipRecord.width, height: chipRecord.height)
    let size = taskRecord.chipSize
    // What decides the pixels: the scene's identity, the window, the chip size and the look.
    let tag =
      "\(image.sha256.prefix(16))-\(window.x)-\(window.y)-\(window.width)x\(window.height)-\(size)-\(look.fingerprint)"
    let scene = image.path
    return ChipPicture(
      tag: tag, rendered: true,
      render: {
        do {
          return try ChipRenderer.shared.chip(scene: scene, look: look, size: size, window: window)
        } catch let error as ChipError {
          throw WorkflowError("chip \(chip): cannot render it: \(error.message)", kind: .sceneUnreadable)
        }
      })
  }

  /// The chip's image file (PNG), inside the workspace, under the same rules as `chipDetails`.
  public func chipImage(task: String, chip: String, by caller: Caller) throws -> URL {
    let record = try store.read { store in
      try Self.visibleChip(task: task, chip: chip, caller: caller, in: store).chip
    }
    return try chipFile(record)
  }

  /// The pre-cut file of a chip, refused when it would lie outside the workspace or is missing.
  func chipFile(_ record: ChipRecord) throws -> URL {
    guard !record.path.isEmpty else {
      throw WorkflowError("chip \(record.chipKey) is rendered on demand and has no file", kind: .notFound)
    }
    let root = folder.standardizedFileURL.resolvingSymlinksInPath()
    let file = folder.appendingPathComponent(record.path).standardizedFileURL.resolvingSymlinksInPath()
    // The stored path is relative and written by the tiling engine; refuse anything that would
    // leave the workspace all the same.
    guard file.path.hasPrefix(root.path + "/") else {
      throw WorkflowError("chip \(record.chipKey) points outside the workspace", kind: .environment)
    }
    guard FileManager.default.isReadableFile(atPath: file.path) else {
      throw WorkflowError("chip \(record.chipKey): file \(record.path) is missing", kind: .environment)
    }
    return file
  }

  /// Submits the caller's own answer for one chip: the caller must be assigned to it (else the
  /// chip does not exist for them), then the usual `submit`.
  public func submitOwn(
    task: String, chip: String, fileName: String, raw: Data, coordinates: CoordinateFrame,
    by caller: Caller
  ) throws -> SubmissionOutcomeReport {
    try caller.require(.annotate)
    let relation = try store.read { store in
      try Self.visibleChip(task: task, chip: chip, caller: caller, in: store).relation
    }
    guard relation != nil else { throw Self.noChip(chip, task: task) }
    return try submit(
      task: task, annotator: caller.name, fileName: fileName, raw: raw, chip: chip,
      coordinates: coordinates, by: caller)
  }

  /// The task, chip and the caller's relation to it (see `ChipDetails.assignment`); `notFound`
  /// with one message whether the task or chip is missing or the chip is not the annotator's.
  static func visibleChip(task: String, chip: String, caller: Caller, in store: any StoreReader)
    throws -> (task: TaskRecord, chip: ChipRecord, relation: String?)
  {
    // Reviewers are not assigned to tasks: any task's review work may reach them, over its chips.
    let seesAll = caller.role.may(.viewTaskStatus) || caller.role.may(.review)
    guard seesAll || caller.role.may(.annotate) else {
      throw WorkflowError(
        "\(caller.name) (\(caller.role.rawValue)) may not see chips", kind: .forbidden)
    }
    guard ChipKeys.isPlausible(chip), let taskRecord = try store.task(named: task),
      let chipRecord = try store.chip(taskId: taskRecord.id!, key: chip)
    else { throw noChip(chip, task: task) }
    var relation = try store.assignments(ofTask: taskRecord.id!).first {
      $0.chipId == chipRecord.id && $0.annotator == caller.name
    }?.state.rawValue
    if relation == nil, taskRecord.distribution == .leased {
      let now = Timestamp.now()
      if try store.leases(ofTask: taskRecord.id!, annotator: caller.name, runningAt: now).contains(where: {
        $0.chipId == chipRecord.id
      }) {
        relation = "leased"
      } else if try Leases.answeredChips(by: caller.name, taskRecord, in: store).contains(chipRecord.id!) {
        relation = "answered"
      }
    }
    guard seesAll || relation != nil else { throw noChip(chip, task: task) }
    return (taskRecord, chipRecord, relation)
  }

  /// The chips of `task` assigned to the caller; `notFound` when there are none (or no task).
  static func assignedChips(_ caller: Caller, task: String, in store: any StoreReader) throws
    -> [AssignmentRecord]
  {
    guard let taskRecord = try store.task(named: task) else {
      throw WorkflowError("no task named '\(task)'", kind: .notFound)
    }
    let chipIds = Set(try store.chips(ofTask: taskRecord.id!).compactMap(\.id))
    let mine = try store.assignments(ofTask: taskRecord.id!).filter {
      $0.annotator == caller.name && chipIds.contains($0.chipId)
    }
    guard !mine.isEmpty else { throw WorkflowError("no task named '\(task)'", kind: .notFound) }
    return mine
  }

  static func noChip(_ chip: String, task: String) -> WorkflowError {
    WorkflowError("no chip '\(chip)' in task '\(task)'", kind: .notFound)
  }
}

enum ChipKeys {
  /// Chip ids are the tiling engine's `rNNNN_cNNNN` (or a fixture's `rN_cN`): letters, digits
  /// and `_`, `-`, `.` only, never a path. Anything else is unknown without a look-up.
  static func isPlausible(_ key: String) -> Bool {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "_-."))
    return !key.isEmpty && key.count <= 200 && !key.contains("..")
      && key.unicodeScalars.allSatisfy { allowed.contains($0) && $0.isASCII }
  }
}

/// A chip's PNG, not yet read or rendered: `render` does it (blocking, possibly for a remote
/// scene's timeout), so a caller checks `tag` against the client's first.
public struct ChipPicture: Sendable {
  /// A strong ETag's value (without quotes): equal tags, equal bytes.
  public var tag: String
  /// Rendered from the scene (an `on-demand` task), not read from a pre-cut file.
  public var rendered: Bool
  public var render: @Sendable () throws -> Data
}

/// The scene around a chip as a PNG (see `ChipContext`), and where it lies relative to the chip.
public struct ChipContextImage: Sendable {
  /// The largest margin asked for, in pixels.
  public static let maxMargin = ChipContext.maxMargin
  public var png: Data
  /// The image's top-left corner relative to the chip's top-left corner (≤ 0), in pixels.
  public var offsetX: Int
  public var offsetY: Int
  /// Changes whenever the picture could: the scene's checksum, the chip's window and the margin.
  public var tag: String
}

extension Workspace {
  /// The neighbouring imagery of a chip, for context: the chip's window grown by `margin` pixels
  /// and clipped to the scene, stretched as the chip was. The same rule as `chipImage`: only who
  /// may see the chip may see around it.
  public func chipContext(task: String, chip: String, margin: Int, by caller: Caller) throws
    -> ChipContextImage
  {
    guard (0...ChipContext.maxMargin).contains(margin) else {
      throw WorkflowError("margin \(margin) is outside 0…\(ChipContext.maxMargin) pixels")
    }
    let (taskRecord, chipRecord, image) = try store.read { store in
      let (taskRecord, chipRecord, _) = try Self.visibleChip(
        task: task, chip: chip, caller: caller, in: store)
      guard let image = try store.image(id: taskRecord.imageId) else {
        throw WorkflowError("task '\(task)' has lost its image", kind: .environment)
      }
      return (taskRecord, chipRecord, image)
    }
    let rendered: ChipContext.Rendered
    do {
      if let look = taskRecord.chipLook.flatMap(ChipLook.init(json:)) {
        // The chip's own renderer, with the look recorded at task creation.
        rendered = try ChipRenderer.shared.context(
          scene: image.path, look: look,
          chip: SwathGDAL.PixelWindow(
            x: chipRecord.columnOffset, y: chipRecord.rowOffset, width: chipRecord.width,
            height: chipRecord.height), margin: margin)
      } else {
        // A task made before the look was recorded: from its index, or worked out again.
        let index = folder.appendingPathComponent(taskRecord.chipDirectory, isDirectory: true)
          .appendingPathComponent(ChipIndex.fileName)
        rendered = try ChipContext.render(
          imagePath: image.path, index: FileManager.default.fileExists(atPath: index.path) ? index : nil,
          chipSize: taskRecord.chipSize, x: chipRecord.columnOffset, y: chipRecord.rowOffset,
          width: chipRecord.width, height: chipRecord.height, margin: margin)
      }
    } catch let error as ChipError {
      // The request was checked above: what is left is the scene's trouble.
      throw WorkflowError("chip \(chip): cannot render its context: \(error.message)", kind: .sceneUnreadable)
    }
    let tag =
      "\(image.sha256.prefix(16))-\(chipRecord.columnOffset)-\(chipRecord.rowOffset)-\(chipRecord.width)x\(chipRecord.height)-\(margin)"
    return ChipContextImage(png: rendered.png, offsetX: rendered.offsetX, offsetY: rendered.offsetY, tag: tag)
  }
}
