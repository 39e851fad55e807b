import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport

/// `swath export TASK --format coco|yolo|yolo-seg|masks|stac --out DIR`: a task's final layer
/// (consensus with the review decisions applied) cut to its chips, in the formats models are
/// trained on. Every format writes the chip PNGs (pre-cut or rendered) into `DIR/images/` with
/// their georeference sidecars, and `DIR/splits.json`: the spatial blocks of chips and the split
/// each went to.
public enum TrainingExport {
  public enum Format: String, Sendable, CaseIterable {
    /// One COCO instances JSON per split (`annotations/instances_train.json`, …).
    case coco
    /// YOLO detection: one text file per chip of normalised boxes, `data.yaml`.
    case yolo
    /// YOLO segmentation: as `yolo`, with normalised polygons instead of boxes.
    case yoloSeg = "yolo-seg"
    /// Per chip a semantic mask (8-bit class index) and an instance mask (16-bit).
    case masks
    /// A STAC catalogue: a collection per task, an item per chip, label items (Label extension).
    case stac
  }

  /// The three splits, in the names YOLO tools expect.
  public enum Split: String, Sendable, CaseIterable, Hashable {
    case train
    case val
    case test
  }

  public struct Options: Sendable {
    /// Object statuses to include (`accepted`, `rejected`); default accepted only, as the
    /// file export.
    public var statuses: Set<String>
    /// Review states to include (`auto_accepted`, `needs_review`, `auto_rejected`, `added`);
    /// nil: every state.
    public var reviewStates: Set<String>?
    /// Chips whose valid (non-nodata, unmasked) fraction is below this are left out.
    public var minValidFraction: Double
    /// An object cut by a chip edge is clipped to the chip and flagged `truncated`; when less
    /// than this fraction of it lies in the chip it is left out of that chip instead.
    public var minVisibleFraction: Double
    /// Fractions of the chips for train, val and test; they add up to 1.
    public var fractions: [Split: Double]
    /// Seeds the shuffle of the blocks.
    public var seed: UInt64
    /// Blocks of `blockSize` × `blockSize` chips (by chip row and column) go to one split whole.
    public var blockSize: Int
    /// Replace an output folder that exists and is not empty.
    public var force: Bool

    public init(
      statuses: Set<String> = ["accepted"], reviewStates: Set<String>? = nil, minValidFraction: Double = 0,
      minVisibleFraction: Double = 0, fractions: [Split: Double] = [.train: 0.8, .val: 0.1, .test: 0.1],
      seed: UInt64 = 0, blockSize: Int = 4, force: Bool = false
    ) {
      self.statuses = statuses
      self.reviewStates = reviewStates
      self.minValidFraction = minValidFraction
      self.minVisibleFraction = minVisibleFraction
      self.fractions = fractions
      self.seed = seed
      self.blockSize = blockSize
      self.force = force
    }

    static let knownStatuses: Set<String> = ["accepted", "rejected"]
    static let knownStates: Set<String> = Set(Review.State.allCases.map(\.rawValue) + ["added"])

    func validate() throws {
      if let unknown = statuses.subtracting(Self.knownStatuses).sorted().first {
        throw WorkflowError("status '\(unknown)': expected accepted or rejected")
      }
      if let unknown = reviewStates?.subtracting(Self.knownStates).sorted().first {
        throw WorkflowError(
          "review state '\(unknown)': expected one of \(Self.knownStates.sorted().joined(separator: ", "))")
      }
      guard (0...1).contains(minValidFraction) else {
        throw WorkflowError("minimum valid fraction \(minValidFraction): expected a number from 0 to 1")
      }
      guard (0...1).contains(minVisibleFraction) else {
        throw WorkflowError("minimum visible fraction \(minVisibleFraction): expected a number from 0 to 1")
      }
      guard blockSize >= 1 else { throw WorkflowError("block size \(blockSize): expected 1 or more chips") }
      let values = Split.allCases.map { fractions[$0] ?? 0 }
      guard values.allSatisfy({ $0 >= 0 && $0 <= 1 }), abs(values.reduce(0, +) - 1) < 1e-6 else {
        throw WorkflowError(
          "split fractions \(values.map { "\($0)" }.joined(separator: ",")): expected three numbers from 0 to 1 (train, val, test) that add up to 1"
        )
      }
    }
  }

  public struct Outcome: Sendable {
    public var path: String
    public var format: Format
    public var run: Int64
    /// Chip images written.
    public var images: Int
    /// Objects written, counted once per chip they appear in.
    public var annotations: Int
    /// Chips left out for their valid fraction.
    public var chipsSkipped: Int
    public var blocks: Int
    public var imagesPerSplit: [Split: Int]
    public var annotationsPerSplit: [Split: Int]
  }

  /// What every format writer is given: the task, its classes, and the chips with their objects.
  struct Job {
    var task: TaskRecord
    var image: ImageRecord
    var run: ConsensusRunRecord
    /// Class names; a class's id is its position + 1 (0 is background).
    var classes: [String]
    var reference: SpatialReference?
    var chips: [TrainingChip]
    var options: Options
    var folder: URL
    var cutter: TrainingCutter
  }
}

extension Workspace {
  /// Writes a task's final layer as training data (`format`) into the folder `out`: built in a
  /// temporary folder beside it and renamed at the end, so an interrupted export leaves no `out`.
  /// A folder that exists and is not empty is refused unless `options.force`.
  public func exportTraining(
    task name: String, format: TrainingExport.Format, out: String,
    options: TrainingExport.Options = TrainingExport.Options(), by caller: Caller,
    progress: any ProgressReporter = SilentProgress()
  ) throws -> TrainingExport.Outcome {
    try caller.require(.exportLayers)
    try options.validate()
    let output = try TrainingOutputFolder(path: out, force: options.force)
    let (task, image, run, chipRecords, layer) = try store.read {
      store -> (TaskRecord, ImageRecord, ConsensusRunRecord, [ChipRecord], [Export.Object]) in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      guard let run = try store.latestConsensusRun(ofTask: task.id!) else {
        throw WorkflowError(
          "task '\(name)' has no consensus run yet (swath consensus \(name))", kind: .conflict)
      }
      return (
        task, image, run, try store.chips(ofTask: task.id!), try Review.finalLayer(run, task: task, in: store)
      )
    }
    let objects = layer.filter { object in
      let status = object.properties["status"]?.stringValue ?? "accepted"
      let state = object.properties["review_state"]?.stringValue ?? ""
      return options.statuses.contains(status) && (options.reviewStates?.contains(state) ?? true)
    }
    var classes = task.labels
    let extra = Set(objects.compactMap { $0.properties["label"]?.stringValue }).subtracting(classes)
    classes += extra.sorted()
    let reference = try image.crsWkt.map { try SpatialReference(definition: $0) }

    let kept = chipRecords.filter { $0.validFraction >= options.minValidFraction }
    let split = TrainingSplit(
      chips: kept, chipSize: task.chipSize, overlap: task.overlap, blockSize: options.blockSize,
      fractions: options.fractions, seed: options.seed)
    let cutter = try TrainingCutter(image: image, objects: objects, classes: classes, options: options)

    return try output.build { folder in
      progress.begin("training export", unit: "chips", total: kept.count)
      defer { progress.end() }
      let imagesFolder = folder.appendingPathComponent("images")
      try FileManager.default.createDirectory(at: imagesFolder, withIntermediateDirectories: true)
      let chips = try Parallel.map(0..<kept.count, maxThreads: ProcessInfo.processInfo.activeProcessorCount) {
        index -> TrainingChip in
        let record = kept[index]
        var chip = try cutter.cut(record, chipSize: task.chipSize)
        chip.split = split.split(of: record)
        chip.block = split.block(of: record)
        chip.imageId = index + 1
        let picture = try picture(of: record, task: task, image: image)
        try TrainingFiles.writePNG(
          try picture.render(), named: chip.fileName, in: imagesFolder, geotransform: record.geotransform,
          reference: reference)
        progress.advance()
        return chip
      }
      let job = TrainingExport.Job(
        task: task, image: image, run: run, classes: classes, reference: reference, chips: chips,
        options: options, folder: folder, cutter: cutter)
      switch format {
      case .coco: try TrainingCOCO.write(job)
      case .yolo: try TrainingYOLO.write(job, segmentation: false)
      case .yoloSeg: try TrainingYOLO.write(job, segmentation: true)
      case .masks: try TrainingMasks.write(job)
      case .stac: try TrainingSTAC.write(job)
      }
      try TrainingFiles.writeJSON(
        split.record(chips, options: options), to: folder.appendingPathComponent("splits.json"))
      var images: [TrainingExport.Split: Int] = [:]
      var annotations: [TrainingExport.Split: Int] = [:]
      for chip in chips {
        images[chip.split, default: 0] += 1
        annotations[chip.split, default: 0] += chip.objects.count
      }
      return TrainingExport.Outcome(
        path: output.destination.path, format: format, run: run.id!, images: chips.count,
        annotations: chips.reduce(0) { $0 + $1.objects.count }, chipsSkipped: chipRecords.count - kept.count,
        blocks: split.blockCount, imagesPerSplit: images, annotationsPerSplit: annotations)
    }
  }
}
