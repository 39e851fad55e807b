import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// Masks, per chip, the chip's size and georeference (`.pgw` and `.png.aux.xml`, as the chip):
/// `masks/semantic/CHIP.png`, 8-bit, the class id (0 background, then the classes in order);
/// `masks/instance/CHIP.png`, 16-bit, the object's number in the chip (0 background). Burnt by
/// GDAL's rasterizer (a pixel belongs to a shape when its centre does), larger objects first so
/// a small object on a large one stays visible. `masks.json` lists the classes and, per chip,
/// what each instance number is.
enum TrainingMasks {
  static func write(_ job: TrainingExport.Job) throws {
    let semantic = job.folder.appendingPathComponent("masks/semantic")
    let instance = job.folder.appendingPathComponent("masks/instance")
    for folder in [semantic, instance] {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }
    guard job.classes.count <= 255 else {
      throw WorkflowError("task '\(job.task.name)' has \(job.classes.count) classes; an 8-bit mask holds 255")
    }
    let entries = try Parallel.map(
      0..<job.chips.count, maxThreads: ProcessInfo.processInfo.activeProcessorCount
    ) {
      position -> JSONValue in
      let chip = job.chips[position]
      guard chip.objects.count <= 65535 else {
        throw WorkflowError("chip \(chip.key) has \(chip.objects.count) objects; a 16-bit mask holds 65535")
      }
      let order = chip.objects.indices.sorted { chip.objects[$0].area > chip.objects[$1].area }
      let shapes = order.map { number in
        MaskRaster.Shape(
          polygons: coordinates(chip.objects[number].pixels),
          values: [Double(chip.objects[number].category), Double(number + 1)])
      }
      let bands = try MaskRaster.burn(width: chip.size, height: chip.size, bands: 2, shapes: shapes)
      for (band, folder, sixteenBit) in [(0, semantic, false), (1, instance, true)] {
        try MaskRaster.writePNG(
          bands[band], width: chip.size, height: chip.size, sixteenBit: sixteenBit,
          to: folder.appendingPathComponent(chip.fileName).path)
        try TrainingFiles.writeSidecars(
          forPNG: chip.fileName, in: folder, geotransform: chip.record.geotransform, reference: job.reference)
      }
      return .object([
        "chip": .string(chip.key), "split": .string(chip.split.rawValue),
        "image": .string("images/\(chip.fileName)"),
        "semantic": .string("masks/semantic/\(chip.fileName)"),
        "instance": .string("masks/instance/\(chip.fileName)"),
        "instances": .array(
          chip.objects.enumerated().map { number, object in
            .object([
              "id": .integer(Int64(number + 1)), "class": .integer(Int64(object.category)),
              "label": .string(object.label), "object_index": .integer(Int64(object.index)),
              "truncated": .bool(object.truncated),
            ])
          }),
      ])
    }
    let classes =
      [JSONValue.object(["id": .integer(0), "name": .string("background")])]
      + job.classes.enumerated().map { .object(["id": .integer(Int64($0 + 1)), "name": .string($1)]) }
    try TrainingFiles.writeJSON(
      .object(["task": .string(job.task.name), "classes": .array(classes), "chips": .array(entries)]),
      to: job.folder.appendingPathComponent("masks.json"))
  }

  /// Polygons → rings → (x, y), as GDAL's geometry builder takes them.
  static func coordinates(_ geometry: MultiPolygon) -> [[[(x: Double, y: Double)]]] {
    geometry.polygons.map { polygon in polygon.rings.map { ring in ring.map { (x: $0.x, y: $0.y) } } }
  }
}
