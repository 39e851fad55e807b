import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// COCO instances, one JSON per split (`annotations/instances_train.json`, `_val`, `_test`),
/// images in `images/` (`file_name` is relative to it).
///
/// Segmentation is in chip pixels. COCO polygons cannot hold holes (pycocotools fills every
/// polygon it is given), so an object with a hole (a courtyard) is an uncompressed RLE
/// (`{"counts": [...], "size": [h, w]}`, column-major runs starting with background), burnt by
/// GDAL's rasterizer with the same pixel-centre rule as the masks; an object without holes is a
/// list of polygons (`[x1, y1, x2, y2, ...]` per part). `area` is the planar area of the
/// clipped shape in pixel², `bbox` its `[x, y, width, height]`, `iscrowd` 0. Each image carries
/// `chip_id`, `geotransform` (GDAL order, image CRS), `crs`, `valid_fraction`, `split` and
/// `block`; each annotation `truncated`, `visible_fraction` and `object_index` (the object's
/// position in the final layer, the same in every chip that shows it).
enum TrainingCOCO {
  static func write(_ job: TrainingExport.Job) throws {
    let folder = job.folder.appendingPathComponent("annotations")
    try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    let crs = job.image.epsg.map { "EPSG:\($0)" } ?? job.image.crsWkt ?? ""
    // Annotation ids: 1-based over the whole export, in chip order.
    var starts: [Int] = []
    var next = 1
    for chip in job.chips {
      starts.append(next)
      next += chip.objects.count
    }
    let firstId = starts
    // Each chip's annotations encoded on every core; joined per split in chip order.
    let encoded = try Parallel.map(
      0..<job.chips.count, maxThreads: ProcessInfo.processInfo.activeProcessorCount
    ) {
      position -> (image: [UInt8], annotations: [UInt8]) in
      let chip = job.chips[position]
      var image = JSONWriter()
      image.beginObject()
      image.key("id")
      image.integer(chip.imageId)
      image.key("file_name")
      image.string(chip.fileName)
      image.key("width")
      image.integer(chip.size)
      image.key("height")
      image.integer(chip.size)
      image.key("chip_id")
      image.string(chip.key)
      image.key("geotransform")
      image.beginArray(inline: true)
      for value in chip.record.geotransform { image.number(value) }
      image.endArray()
      image.key("crs")
      image.string(crs)
      image.key("valid_fraction")
      image.number(chip.record.validFraction, decimals: 6)
      image.key("split")
      image.string(chip.split.rawValue)
      image.key("block")
      image.string(chip.block.id)
      image.endObject()
      var annotations: [UInt8] = []
      for (number, object) in chip.objects.enumerated() {
        var writer = JSONWriter()
        try annotation(object, chip: chip, id: firstId[position] + number, to: &writer)
        if number > 0 { annotations.append(contentsOf: Array(",\n".utf8)) }
        annotations.append(contentsOf: writer.bytes)
      }
      return (image.bytes, annotations)
    }
    var categories = JSONWriter()
    categories.beginArray()
    for (position, name) in job.classes.enumerated() {
      categories.value(
        .object([
          "id": .integer(Int64(position + 1)), "name": .string(name), "supercategory": .string("object"),
        ]))
    }
    categories.endArray()
    let info = JSONValue.object([
      "description": .string(
        "Swath training export of task \(job.task.name) (final layer of consensus run #\(job.run.id!))"),
      "version": .string("1"),
      "date_created": .string(job.run.runAt),
      "swath_task": .string(job.task.name),
      "swath_image": .string(job.image.name),
      "swath_consensus_run": .integer(job.run.id!),
    ])
    for split in TrainingExport.Split.allCases {
      var data = Data("{\"info\":".utf8)
      data.append(Data(info.jsonText.utf8))
      data.append(Data(",\"licenses\":[],\"categories\":".utf8))
      data.append(contentsOf: categories.bytes)
      data.append(Data(",\"images\":[".utf8))
      var first = true
      for (position, chip) in job.chips.enumerated() where chip.split == split {
        if !first { data.append(Data(",\n".utf8)) }
        first = false
        data.append(contentsOf: encoded[position].image)
      }
      data.append(Data("],\"annotations\":[".utf8))
      first = true
      for (position, chip) in job.chips.enumerated() where chip.split == split && !chip.objects.isEmpty {
        if !first { data.append(Data(",\n".utf8)) }
        first = false
        data.append(contentsOf: encoded[position].annotations)
      }
      data.append(Data("]}\n".utf8))
      try TrainingFiles.write(data, to: folder.appendingPathComponent("instances_\(split.rawValue).json"))
    }
  }

  private static func annotation(
    _ object: TrainingObject, chip: TrainingChip, id: Int, to writer: inout JSONWriter
  ) throws {
    writer.beginObject()
    writer.key("id")
    writer.integer(id)
    writer.key("image_id")
    writer.integer(chip.imageId)
    writer.key("category_id")
    writer.integer(object.category)
    writer.key("segmentation")
    if object.hasHoles {
      try rle(object, size: chip.size, to: &writer)
    } else {
      writer.beginArray()
      for polygon in object.pixels.polygons {
        let ring = openRing(polygon.shell)
        guard ring.count >= 3 else { continue }
        writer.beginArray(inline: true)
        for point in ring {
          writer.number(point.x, decimals: 3)
          writer.number(point.y, decimals: 3)
        }
        writer.endArray()
      }
      writer.endArray()
    }
    writer.key("area")
    writer.number(object.area, decimals: 3)
    writer.key("bbox")
    writer.beginArray(inline: true)
    writer.number(object.box.minX, decimals: 3)
    writer.number(object.box.minY, decimals: 3)
    writer.number(object.box.width, decimals: 3)
    writer.number(object.box.height, decimals: 3)
    writer.endArray()
    writer.key("iscrowd")
    writer.integer(0)
    writer.key("truncated")
    writer.bool(object.truncated)
    writer.key("visible_fraction")
    writer.number(object.visibleFraction, decimals: 6)
    writer.key("object_index")
    writer.integer(object.index)
    writer.endObject()
  }

  /// A ring without its closing point.
  static func openRing(_ ring: Ring) -> Ring {
    ring.count > 1 && ring.first == ring.last ? Array(ring.dropLast()) : ring
  }

  /// The object as an uncompressed COCO RLE over the whole chip. Only the object's box is burnt;
  /// the columns and rows outside it are background runs.
  private static func rle(_ object: TrainingObject, size: Int, to writer: inout JSONWriter) throws {
    let x0 = max(0, min(size, Int(object.box.minX.rounded(.down))))
    let x1 = max(x0, min(size, Int(object.box.maxX.rounded(.up))))
    let y0 = max(0, min(size, Int(object.box.minY.rounded(.down))))
    let y1 = max(y0, min(size, Int(object.box.maxY.rounded(.up))))
    let width = x1 - x0
    let height = y1 - y0
    var mask: [UInt16] = []
    if width > 0, height > 0 {
      let shifted = object.pixels.mapPoints { Point($0.x - Double(x0), $0.y - Double(y0)) }
      mask = try MaskRaster.burn(
        width: width, height: height, bands: 1,
        shapes: [MaskRaster.Shape(polygons: TrainingMasks.coordinates(shifted), values: [1])])[0]
    }
    writer.beginObject()
    writer.key("counts")
    writer.beginArray(inline: true)
    // Column-major (Fortran order) runs, the first one of zeros (possibly empty).
    var value = false
    var run = 0
    for x in 0..<size {
      guard x >= x0, x < x1 else {
        if value {
          writer.integer(run)
          run = 0
          value = false
        }
        run += size
        continue
      }
      for y in 0..<size {
        let pixel = y >= y0 && y < y1 && mask[(y - y0) * width + (x - x0)] != 0
        if pixel != value {
          writer.integer(run)
          run = 0
          value = pixel
        }
        run += 1
      }
    }
    writer.integer(run)
    writer.endArray()
    writer.key("size")
    writer.beginArray(inline: true)
    writer.integer(size)
    writer.integer(size)
    writer.endArray()
    writer.endObject()
  }
}
