import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// A sample town with a consensus run, through the CLI as people run it: a pre-cut task and an
/// on-demand task over the same region (the same chips, one as files, one rendered), each
/// annotated by a simulated panel of three, and a third task without a consensus run.
struct TrainingWorkspace {
  let root: URL
  let workspace: URL

  init(size: Int, seed: Int, chipSize: Int, onDemand: Bool) throws {
    root = try TestSupport.temporaryDirectory("swath-training")
    workspace = root.appendingPathComponent("ws")
    let tiles = root.appendingPathComponent("tiles")
    let truth = tiles.appendingPathComponent("truth.geojson").path
    _ = try run(["scene", tiles.path, "--size", "\(size)", "--seed", "\(seed)"])
    _ = try run(["init", workspace.path])
    _ = try run(["image", "add", tiles.appendingPathComponent("town.tif").path, "--name", "town"])
    for annotator in ["ana", "ben", "chloe"] {
      _ = try run(["user", "add", annotator, "--role", "annotator"])
    }
    var tasks = [("roofs", "precut")]
    if onDemand { tasks.append(("roofs-live", "on-demand")) }
    for (task, chips) in tasks + [("untouched", "precut")] {
      _ = try run([
        "task", "create", "--image", "town", "--region", "px:0,0,\(size),\(size)", "--labels",
        "building,vehicle", "--chip-size", "\(chipSize)", "--overlap", "0", "--replicas", "3", "--name", task,
        "--chips", chips,
      ])
    }
    for (task, _) in tasks {
      _ = try run(["task", "assign", task, "--annotators", "ana,ben,chloe"])
      let panel = root.appendingPathComponent("panel-\(task)")
      _ = try run([
        "task", "simulate", task, "--truth", truth, "--out", panel.path, "--profiles",
        "careful,careful,average",
      ])
      let manifest = try String(contentsOf: panel.appendingPathComponent("manifest.tsv"), encoding: .utf8)
      for line in manifest.split(separator: "\n").dropFirst() {
        let fields = line.split(separator: "\t").map(String.init)
        var arguments = ["submit", task, "--annotator", fields[0], fields[2], "--chip", fields[1]]
        if fields[3] == "1" { arguments.append("--pixel") }
        _ = try swath(arguments)
      }
      _ = try run(["consensus", task])
    }
  }

  func remove() { try? FileManager.default.removeItem(at: root) }

  func swath(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    try TestSupport.swath(arguments, environment: ["SWATH_WORKSPACE": workspace.path])
  }

  @discardableResult
  func run(_ arguments: [String]) throws -> String {
    let result = try swath(arguments)
    #expect(result.status == 0, "swath \(arguments.joined(separator: " ")): \(result.stderr)")
    return result.stdout
  }

  func path(_ name: String) -> String { root.appendingPathComponent(name).path }

  /// tools/training_check.py's verdict on an export.
  func check(_ format: String, _ folder: String, extra: [String] = []) throws -> [String: Any] {
    let python = TestSupport.packageRoot.appendingPathComponent("tools/.venv-training/bin/python")
    let script = TestSupport.packageRoot.appendingPathComponent("tools/training_check.py")
    let result = try TestSupport.run(python, [script.path, format, folder] + extra)
    #expect(result.status == 0, "\(result.stderr)")
    let verdict = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any], "\(result.stdout)")
    #expect(verdict["ok"] as? Bool == true, "\(format): \(verdict["problems"] ?? "")")
    return verdict["stats"] as? [String: Any] ?? [:]
  }
}

@Suite(
  .enabled(
    if: TestSupport.isCI
      || FileManager.default.isExecutableFile(
        atPath: TestSupport.packageRoot.appendingPathComponent("tools/.venv-training/bin/python").path),
    "needs tools/.venv-training (tools/setup)"),
  .serialized)
struct TrainingExportTests {
  /// Every format, read back by the readers people train with; seed 1's town has courtyards,
  /// so COCO carries RLE segmentations.
  @Test(.sqliteFileOnly) func everyFormatReadsBackWithTheReadersPeopleUse() throws {
    let town = try TrainingWorkspace(size: 768, seed: 1, chipSize: 256, onDemand: true)
    defer { town.remove() }
    let common = ["--block-size", "1", "--seed", "3"]
    for format in ["coco", "yolo", "yolo-seg", "masks", "stac"] {
      let output = try town.run(["export", "roofs", "--format", format, "--out", town.path(format)] + common)
      #expect(output.contains("exported 9 chip(s)"), "\(output)")
    }

    let coco = try town.check("coco", town.path("coco"))
    let splits = try #require(coco["splits"] as? [String: [String: Int]])
    #expect(splits.values.reduce(0) { $0 + $1["images"]! } == 9)
    #expect(splits.values.allSatisfy { $0["images"]! > 0 }, "\(splits)")
    #expect((coco["rle_annotations"] as? Int ?? 0) >= 1, "courtyards are RLE: \(coco)")
    #expect((coco["area_total_relative_error"] as? Double ?? 1) < 0.01, "\(coco)")

    for format in ["yolo", "yolo-seg"] {
      let yolo = try town.check(format, town.path(format))
      #expect(yolo["nc"] as? Int == 2)
      #expect(yolo["names"] as? [String] == ["building", "vehicle"])
      #expect(yolo["images_listed"] as? Int == 9)
      #expect((yolo["labels"] as? Int ?? 0) > 50, "\(yolo)")
    }

    let masks = try town.check("masks", town.path("masks"), extra: [town.path("coco")])
    #expect(masks["chips"] as? Int == 9)
    #expect((masks["instances_compared"] as? Int ?? 0) > 50, "\(masks)")
    #expect((masks["instance_iou_mean"] as? Double ?? 0) > 0.95, "\(masks)")

    let stac = try town.check("stac", town.path("stac"))
    #expect(stac["items"] as? Int == 18)
    #expect(stac["label_items"] as? Int == 9)
    #expect(stac["validated"] as? Int == 20, "every item, the collection and the catalogue: \(stac)")

    // The splits are by block, recorded, and the same for the same seed in every format.
    let record = try JSONValue(contentsOf: URL(fileURLWithPath: town.path("coco/splits.json")))
    let blocks = try #require(record["blocks"]?.arrayValue)
    #expect(blocks.count == 9)
    for format in ["yolo", "masks", "stac"] {
      #expect(try JSONValue(contentsOf: URL(fileURLWithPath: town.path("\(format)/splits.json"))) == record)
    }
    // Blocks of 2 × 2 chips: a block's chips are in one split, and the COCO files agree.
    _ = try town.run(
      [
        "export", "roofs", "--format", "coco", "--out", town.path("coco-blocks"), "--block-size", "2",
        "--seed", "5",
      ])
    let grouped = try JSONValue(contentsOf: URL(fileURLWithPath: town.path("coco-blocks/splits.json")))
    let groupBlocks = try #require(grouped["blocks"]?.arrayValue)
    #expect(groupBlocks.count == 4)  // 3 × 3 chips in blocks of 2: 2 × 2 blocks
    var splitOfChip: [String: String] = [:]
    for block in groupBlocks {
      for chip in block["chips"]?.arrayValue ?? [] {
        splitOfChip[chip.stringValue!] = block["split"]?.stringValue
      }
    }
    #expect(splitOfChip.count == 9)
    for split in ["train", "val", "test"] {
      let file = URL(fileURLWithPath: town.path("coco-blocks/annotations/instances_\(split).json"))
      for image in try JSONValue(contentsOf: file)["images"]?.arrayValue ?? [] {
        #expect(splitOfChip[image["chip_id"]!.stringValue!] == split)
      }
    }

    // Objects cut by a chip edge are clipped and flagged; --min-visible leaves out the ones
    // mostly outside.
    let all = try annotations(town.path("coco"))
    #expect(all.contains { $0["truncated"]?.boolValue == true })
    #expect(all.allSatisfy { $0["truncated"]?.boolValue == true || $0["visible_fraction"]?.doubleValue == 1 })
    _ = try town.run(
      ["export", "roofs", "--format", "coco", "--out", town.path("coco-visible"), "--min-visible", "0.5"]
        + common)
    let visible = try annotations(town.path("coco-visible"))
    #expect(visible.count < all.count)
    #expect(visible.allSatisfy { ($0["visible_fraction"]?.doubleValue ?? 0) >= 0.5 })
    #expect(visible.count == all.filter { ($0["visible_fraction"]?.doubleValue ?? 0) >= 0.5 }.count)

    // Chips rendered on demand are written like pre-cut ones: the same pixels, the same labels.
    _ = try town.run(["export", "roofs-live", "--format", "coco", "--out", town.path("live")] + common)
    _ = try town.check("coco", town.path("live"))
    let images = try FileManager.default.contentsOfDirectory(atPath: town.path("live/images"))
      .filter { $0.hasSuffix(".png") }
    #expect(images.count == 9)
    for image in images {
      let live = try TestSupport.rasterBytes(town.path("live/images/\(image)"))
      let cut = try TestSupport.rasterBytes(town.path("coco/images/\(image)"))
      #expect(live.bytes == cut.bytes && live.width == cut.width, "\(image)")
      let sidecar = try String(contentsOfFile: town.path("live/images/\(image).aux.xml"), encoding: .utf8)
      #expect(sidecar.contains("<GeoTransform>") && sidecar.contains("UTM"), "\(sidecar)")
    }
  }

  func annotations(_ folder: String) throws -> [JSONValue] {
    try ["train", "val", "test"].flatMap { split in
      try JSONValue(contentsOf: URL(fileURLWithPath: "\(folder)/annotations/instances_\(split).json"))[
        "annotations"]?.arrayValue ?? []
    }
  }

  @Test(.sqliteFileOnly) func badInputIsOneClearLineAndNothingHalfWritten() throws {
    let town = try TrainingWorkspace(size: 512, seed: 3, chipSize: 256, onDemand: false)
    defer { town.remove() }
    let out = town.path("export")

    // A folder that exists and is not empty: refused, untouched; replaced with --force.
    try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: false)
    try Data("keep".utf8).write(to: URL(fileURLWithPath: out + "/notes.txt"))
    let refused = try town.swath(["export", "roofs", "--format", "coco", "--out", out])
    #expect(refused.status != 0)
    #expect(refused.stderr.split(separator: "\n").count == 1, "\(refused.stderr)")
    #expect(
      refused.stderr.contains("is not empty") && refused.stderr.contains("--force"), "\(refused.stderr)")
    #expect(FileManager.default.fileExists(atPath: out + "/notes.txt"))
    try town.run(["export", "roofs", "--format", "coco", "--out", out, "--force"])
    #expect(!FileManager.default.fileExists(atPath: out + "/notes.txt"))
    #expect(FileManager.default.fileExists(atPath: out + "/annotations/instances_train.json"))
    // An empty folder is simply filled.
    let empty = town.path("empty")
    try FileManager.default.createDirectory(atPath: empty, withIntermediateDirectories: false)
    try town.run(["export", "roofs", "--format", "yolo", "--out", empty])
    #expect(FileManager.default.fileExists(atPath: empty + "/data.yaml"))

    let unknown = try town.swath(["export", "roofs", "--format", "voc", "--out", town.path("voc")])
    #expect(unknown.status != 0)
    #expect(
      unknown.stderr
        == "swath: --format 'voc': expected geojson, gpkg or fgb, or a training format: coco, yolo, yolo-seg, masks or stac\n",
      "\(unknown.stderr)")

    let mixed = try town.swath(["export", "roofs", "--out", town.path("layer.gpkg"), "--block-size", "2"])
    #expect(mixed.status != 0)
    #expect(mixed.stderr.contains("apply to the training formats"), "\(mixed.stderr)")
    #expect(!FileManager.default.fileExists(atPath: town.path("layer.gpkg")))

    let noRun = try town.swath(["export", "untouched", "--format", "stac", "--out", town.path("stac")])
    #expect(noRun.status != 0)
    #expect(noRun.stderr.contains("has no consensus run yet"), "\(noRun.stderr)")
    #expect(noRun.stderr.split(separator: "\n").count == 1)
    #expect(!FileManager.default.fileExists(atPath: town.path("stac")))

    let badSplit = try town.swath(
      ["export", "roofs", "--format", "coco", "--out", town.path("split"), "--split", "0.8,0.3,0.1"])
    #expect(badSplit.status != 0)
    #expect(badSplit.stderr.contains("add up to 1"), "\(badSplit.stderr)")

    // Killed half-way: no output folder at all.
    let killed = town.path("killed")
    #expect(try stopAndKill(["stop-in-training-export", town.workspace.path, "roofs", killed, "2"]))
    #expect(!FileManager.default.fileExists(atPath: killed))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: town.root.path).filter {
      $0.hasPrefix(".killed.tmp-")
    }
    #expect(leftovers.count == 1, "the temporary folder is hidden beside it: \(leftovers)")
    // The next export to the same place is not disturbed by it, and clears it away.
    try town.run(["export", "roofs", "--format", "coco", "--out", killed])
    #expect(FileManager.default.fileExists(atPath: killed + "/splits.json"))
    let cleared = try FileManager.default.contentsOfDirectory(atPath: town.root.path).filter {
      $0.hasPrefix(".killed.tmp-")
    }
    #expect(cleared.isEmpty, "\(cleared)")
  }
}
