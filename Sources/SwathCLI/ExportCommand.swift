import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract:
      "Export a task's latest consensus layer as GeoJSON, GeoPackage or FlatGeobuf, or as training data (COCO, YOLO, masks, STAC).",
    discussion: """
      Writes RFC 7946 GeoJSON (WGS84, 7 decimal places) by default, streamed one object at a time, or GeoPackage / FlatGeobuf through GDAL's drivers (one transaction, spatial index built once at the end). Every object carries its label, shape, support, assigned annotators, score and status; the task's metadata (task, image and checksum, region, labels, consensus run and parameters) goes into the GeoJSON's "swath" member, the GeoPackage's metadata table, and the layer name. The file is written under a temporary name in the same folder and renamed, so a failed export leaves no partial file. --crs image writes in the image's CRS instead of WGS84.

      Examples:
        swath export roofs --out roofs.geojson
        swath export roofs --out roofs.gpkg --format gpkg --crs image

      Training data: --format coco, yolo, yolo-seg, masks or stac writes the folder --out: the chip PNGs in images/ (pre-cut or rendered, with their .pgw and .aux.xml), the objects cut to each chip in chip pixels (clipped at the chip's edge and flagged truncated; --min-visible leaves out those with less of their area in the chip), and splits.json: chips are grouped in blocks of --block-size × --block-size by grid row and column, and whole blocks are dealt to train/val/test (--split, seeded by --seed), never single chips. The folder is built beside --out and renamed at the end; a folder that exists and is not empty is refused unless --force.
        swath export roofs --format coco --out train/roofs-coco
        swath export roofs --format yolo-seg --out train/roofs-yolo --split 0.7,0.2,0.1 --seed 7
        swath export roofs --format masks --out train/roofs-masks --min-valid 0.5 --min-visible 0.3
        swath export roofs --format stac --out train/roofs-stac --status accepted,rejected
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "The output file (a folder for the training formats).")
  var out: String

  @Option(
    help:
      "geojson, gpkg or fgb (default: from --out's extension, else geojson), or a training format: coco, yolo, yolo-seg, masks, stac."
  )
  var format: String?

  @Flag(help: "Training formats: replace an output folder that exists and is not empty.")
  var force = false

  @Option(help: "Training formats: statuses to include, comma-separated (accepted, rejected).")
  var status = "accepted"

  @Option(
    help:
      "Training formats: review states to include, comma-separated (auto_accepted, needs_review, auto_rejected, added); default all."
  )
  var reviewState: String?

  @Option(help: "Training formats: leave out chips with a smaller valid (non-nodata) fraction, 0 to 1.")
  var minValid = 0.0

  @Option(
    help:
      "Training formats: leave out an object cut by a chip edge when less than this fraction of it is in the chip."
  )
  var minVisible = 0.0

  @Option(help: "Training formats: train,val,test fractions of the chips.")
  var split = "0.8,0.1,0.1"

  @Option(help: "Training formats: seed of the shuffle of the blocks.")
  var seed: UInt64 = 0

  @Option(help: "Training formats: blocks of N × N chips go to one split together.")
  var blockSize = 4

  @Option(help: "EPSG:4326 or image.")
  var crs = "EPSG:4326"

  @Flag(help: "Also export the objects that did not reach quorum (status = rejected).")
  var includeRejected = false

  @OptionGroup var progress: ProgressOption

  func run() throws {
    if let format, let training = TrainingExport.Format(rawValue: format.lowercased()) {
      return try runTraining(training)
    }
    if force || status != "accepted" || reviewState != nil || minValid != 0 || minVisible != 0
      || split != "0.8,0.1,0.1" || seed != 0 || blockSize != 4
    {
      throw SwathFailure(
        "--force, --status, --review-state, --min-valid, --min-visible, --split, --seed and --block-size apply to the training formats (--format coco, yolo, yolo-seg, masks or stac)"
      )
    }
    let workspace = try self.workspace.open()
    let chosenFormat = try format.map { option in
      guard let format = Export.Format(rawValue: option.lowercased()) else {
        throw SwathFailure(
          "--format '\(option)': expected geojson, gpkg or fgb, or a training format: coco, yolo, yolo-seg, masks or stac"
        )
      }
      return format
    }
    let target: Export.TargetCRS
    switch crs.lowercased() {
    case "epsg:4326", "wgs84": target = .wgs84
    case "image": target = .image
    default: throw SwathFailure("--crs '\(crs)': expected EPSG:4326 or image")
    }
    let outcome = try workflowCall {
      try workspace.export(
        task: task, out: out, format: chosenFormat, crs: target, includeRejected: includeRejected,
        by: processCaller, progress: progress.reporter)
    }
    print(
      "exported \(outcome.features) object(s) of task '\(task)' (consensus run #\(outcome.run), \(outcome.crs)) to \(outcome.path)"
    )
  }

  func runTraining(_ format: TrainingExport.Format) throws {
    let fractions = split.split(separator: ",").map { Double($0.trimmingCharacters(in: .whitespaces)) }
    guard fractions.count == 3, let train = fractions[0], let val = fractions[1], let test = fractions[2]
    else {
      throw SwathFailure("--split '\(split)': expected three numbers train,val,test such as 0.8,0.1,0.1")
    }
    func list(_ text: String) -> Set<String> {
      Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).lowercased() })
    }
    let options = TrainingExport.Options(
      statuses: list(status), reviewStates: reviewState.map(list), minValidFraction: minValid,
      minVisibleFraction: minVisible, fractions: [.train: train, .val: val, .test: test], seed: seed,
      blockSize: blockSize, force: force)
    let workspace = try self.workspace.open()
    let outcome = try workflowCall {
      try workspace.exportTraining(
        task: task, format: format, out: out, options: options, by: processCaller, progress: progress.reporter
      )
    }
    let perSplit = TrainingExport.Split.allCases.map {
      "\($0.rawValue) \(outcome.imagesPerSplit[$0] ?? 0)/\(outcome.annotationsPerSplit[$0] ?? 0)"
    }
    print(
      "exported \(outcome.images) chip(s) and \(outcome.annotations) object(s) of task '\(task)' (consensus run #\(outcome.run)) as \(format.rawValue) to \(outcome.path)"
    )
    print(
      "splits (chips/objects): \(perSplit.joined(separator: ", ")); \(outcome.blocks) block(s); \(outcome.chipsSkipped) chip(s) below --min-valid left out"
    )
  }
}
