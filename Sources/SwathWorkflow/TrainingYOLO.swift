import Foundation
import SwathGeometry
import SwathSupport

/// YOLO (Ultralytics layout): `labels/CHIP.txt` beside `images/CHIP.png` (the loader finds a
/// label file by replacing `images` with `labels`), one line per object, class index from 0;
/// `train.txt`, `val.txt`, `test.txt` list the images of each split; `data.yaml` names them
/// with `nc` and `names`.
///
/// Detection (`yolo`): `class cx cy w h`, the clipped object's box normalised by the chip size.
/// Segmentation (`yolo-seg`): `class x1 y1 x2 y2 ...`, one line per polygon part, normalised.
/// A YOLO polygon has no holes, so a hole is joined to its shell by a zero-width cut between
/// their nearest vertices (as Ultralytics itself merges segments): the filled outline is the
/// polygon with its hole.
enum TrainingYOLO {
  static func write(_ job: TrainingExport.Job, segmentation: Bool) throws {
    let labels = job.folder.appendingPathComponent("labels")
    try FileManager.default.createDirectory(at: labels, withIntermediateDirectories: true)
    _ = try Parallel.map(0..<job.chips.count, maxThreads: ProcessInfo.processInfo.activeProcessorCount) {
      position in
      let chip = job.chips[position]
      let size = Double(chip.size)
      var text = ""
      for object in chip.objects {
        let category = object.category - 1
        if segmentation {
          for polygon in object.pixels.polygons {
            let outline = keyholed(polygon)
            guard outline.count >= 3 else { continue }
            text += "\(category)"
            for point in outline {
              text += " " + number(clamped(point.x / size)) + " " + number(clamped(point.y / size))
            }
            text += "\n"
          }
        } else {
          let box = object.box
          text +=
            "\(category) \(number(clamped(box.center.x / size))) \(number(clamped(box.center.y / size))) \(number(clamped(box.width / size))) \(number(clamped(box.height / size)))\n"
        }
      }
      try TrainingFiles.write(Data(text.utf8), to: labels.appendingPathComponent("\(chip.stem).txt"))
    }
    for split in TrainingExport.Split.allCases {
      let list = job.chips.filter { $0.split == split }.map { "./images/\($0.fileName)\n" }.joined()
      try TrainingFiles.write(Data(list.utf8), to: job.folder.appendingPathComponent("\(split.rawValue).txt"))
    }
    // YAML: the names as JSON strings, which YAML reads as double-quoted scalars.
    var yaml = """
      # Swath training export of task \(job.task.name), consensus run #\(job.run.id!) (\(segmentation ? "segmentation" : "detection")).
      # Paths are relative to this file's folder.
      train: train.txt
      val: val.txt
      test: test.txt
      nc: \(job.classes.count)
      names:

      """
    for (position, name) in job.classes.enumerated() {
      yaml += "  \(position): \(JSONValue.string(name).jsonText)\n"
    }
    try TrainingFiles.write(Data(yaml.utf8), to: job.folder.appendingPathComponent("data.yaml"))
  }

  static func clamped(_ value: Double) -> Double { min(1, max(0, value)) }

  static func number(_ value: Double) -> String { String(format: "%.6f", value) }

  /// The shell (open) with each hole spliced in at the nearest pair of vertices.
  static func keyholed(_ polygon: Polygon) -> Ring {
    var outline = TrainingCOCO.openRing(polygon.shell)
    for hole in polygon.holes {
      let inner = TrainingCOCO.openRing(hole)
      guard !inner.isEmpty, !outline.isEmpty else { continue }
      var best = (outer: 0, inner: 0, distance: Double.infinity)
      for (i, a) in outline.enumerated() {
        for (j, b) in inner.enumerated() {
          let distance = (a.x - b.x) * (a.x - b.x) + (a.y - b.y) * (a.y - b.y)
          if distance < best.distance { best = (i, j, distance) }
        }
      }
      let loop = Array(inner[best.inner...]) + Array(inner[..<best.inner]) + [inner[best.inner]]
      outline.insert(contentsOf: loop + [outline[best.outer]], at: best.outer + 1)
    }
    return outline
  }
}
