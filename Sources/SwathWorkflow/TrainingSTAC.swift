import Foundation
import SwathGeometry
import SwathStore
import SwathSupport

/// A self-contained STAC 1.0.0 catalogue, relative links only:
///
///     catalog.json
///     TASK/collection.json
///     TASK/CHIP/CHIP.json                   an item per chip: the PNG (images/CHIP.png) as its
///                                           asset, footprint and bbox in WGS84, projection
///                                           extension (proj:epsg, proj:transform, proj:shape)
///     TASK/CHIP-labels/CHIP-labels.json     its label item (Label extension: vector labels, the
///     TASK/CHIP-labels/CHIP-labels.geojson  classes of `label`, a `source` link to the chip item)
///
/// The label GeoJSON holds the chip's objects, clipped to it, in WGS84, with every property of
/// the final layer plus `truncated`, `visible_fraction` and `object_index`.
enum TrainingSTAC {
  static let version = "1.0.0"
  static let projection = "https://stac-extensions.github.io/projection/v1.1.0/schema.json"
  static let label = "https://stac-extensions.github.io/label/v1.0.1/schema.json"

  static func write(_ job: TrainingExport.Job) throws {
    let taskFolderName = TrainingFiles.safeName(job.task.name)
    let taskFolder = job.folder.appendingPathComponent(taskFolderName)
    try FileManager.default.createDirectory(at: taskFolder, withIntermediateDirectories: true)
    let datetime = job.run.runAt
    let boxes = try Parallel.map(
      0..<job.chips.count, maxThreads: ProcessInfo.processInfo.activeProcessorCount
    ) {
      position -> [Double] in
      let chip = job.chips[position]
      let record = chip.record
      let footprint = (try? JSONValue(parsing: record.footprint)) ?? .null
      let bbox: [Double] = [record.minLon, record.minLat, record.maxLon, record.maxLat]
      let bboxValue = JSONValue.array(bbox.map { .number($0) })
      let itemFolder = taskFolder.appendingPathComponent(chip.stem)
      let labelFolder = taskFolder.appendingPathComponent("\(chip.stem)-labels")
      for folder in [itemFolder, labelFolder] {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      }
      let links = { (own: String) -> [JSONValue] in
        [
          link("root", "../../catalog.json", "application/json"),
          link("parent", "../collection.json", "application/json"),
          link("collection", "../collection.json", "application/json"),
        ]
      }
      let g = record.geotransform
      var properties: [String: JSONValue] = [
        "datetime": .string(datetime),
        "proj:epsg": job.image.epsg.map { .integer(Int64($0)) } ?? .null,
        // Affine order (a, b, c, d, e, f) from GDAL's (c, a, b, f, d, e).
        "proj:transform": .array(
          g.count == 6 ? [g[1], g[2], g[0], g[4], g[5], g[3]].map { .number($0) } : []),
        "proj:shape": .array([.integer(Int64(chip.size)), .integer(Int64(chip.size))]),
        "swath:chip": .string(chip.key),
        "swath:split": .string(chip.split.rawValue),
        "swath:block": .string(chip.block.id),
        "swath:valid_fraction": .number(record.validFraction),
      ]
      if job.image.epsg == nil, let wkt = job.reference?.wkt { properties["proj:wkt2"] = .string(wkt) }
      let item = JSONValue.object([
        "type": .string("Feature"), "stac_version": .string(version),
        "stac_extensions": .array([.string(projection)]),
        "id": .string(chip.stem), "collection": .string(taskFolderName),
        "geometry": footprint, "bbox": bboxValue, "properties": .object(properties),
        "links": .array(links(chip.stem)),
        "assets": .object([
          "image": .object([
            "href": .string("../../images/\(chip.fileName)"), "type": .string("image/png"),
            "title": .string("chip \(chip.key)"), "roles": .array([.string("data")]),
          ])
        ]),
      ])
      try TrainingFiles.writeJSON(item, to: itemFolder.appendingPathComponent("\(chip.stem).json"))

      // Every object of the chip back to WGS84 in one transformation call.
      let shapes = try job.cutter.wgs84(chip.objects.map(\.pixels), chip: record)
      var text = JSONWriter()
      text.beginObject()
      text.key("type")
      text.string("FeatureCollection")
      text.key("features")
      text.beginArray()
      for (object, geometry) in zip(chip.objects, shapes) {
        var values = object.properties
        values["truncated"] = .bool(object.truncated)
        values["visible_fraction"] = .number(object.visibleFraction)
        values["object_index"] = .integer(Int64(object.index))
        text.beginObject()
        text.key("type")
        text.string("Feature")
        text.key("geometry")
        text.geometry(geometry, options: .rfc7946)
        text.key("properties")
        text.value(.object(values))
        text.endObject()
      }
      text.endArray()
      text.endObject()
      try TrainingFiles.write(
        text.data, to: labelFolder.appendingPathComponent("\(chip.stem)-labels.geojson"))
      let labelItem = JSONValue.object([
        "type": .string("Feature"), "stac_version": .string(version),
        "stac_extensions": .array([.string(label)]),
        "id": .string("\(chip.stem)-labels"), "collection": .string(taskFolderName),
        "geometry": footprint, "bbox": bboxValue,
        "properties": .object([
          "datetime": .string(datetime),
          "label:type": .string("vector"),
          "label:properties": .array([.string("label")]),
          "label:classes": .array([
            .object(["name": .string("label"), "classes": .array(job.classes.map { .string($0) })])
          ]),
          "label:description": .string(
            "Swath final layer of task \(job.task.name) (consensus run #\(job.run.id!) with review decisions) on chip \(chip.key)"
          ),
          "label:tasks": .array([.string("segmentation"), .string("detection")]),
          "label:methods": .array([.string("manual")]),
          "swath:split": .string(chip.split.rawValue),
          "swath:objects": .integer(Int64(chip.objects.count)),
        ]),
        "links": .array(
          links("\(chip.stem)-labels") + [
            .object([
              "rel": .string("source"), "href": .string("../\(chip.stem)/\(chip.stem).json"),
              "type": .string("application/geo+json"), "label:assets": .array([.string("image")]),
            ])
          ]),
        "assets": .object([
          "labels": .object([
            "href": .string("./\(chip.stem)-labels.geojson"), "type": .string("application/geo+json"),
            "title": .string("objects on chip \(chip.key)"), "roles": .array([.string("labels")]),
          ])
        ]),
      ])
      try TrainingFiles.writeJSON(
        labelItem, to: labelFolder.appendingPathComponent("\(chip.stem)-labels.json"))
      return bbox
    }

    var extent = [180.0, 90.0, -180.0, -90.0]
    for box in boxes {
      extent = [
        min(extent[0], box[0]), min(extent[1], box[1]), max(extent[2], box[2]), max(extent[3], box[3]),
      ]
    }
    if boxes.isEmpty { extent = [-180, -90, 180, 90] }
    var collectionLinks = [
      link("root", "../catalog.json", "application/json"),
      link("parent", "../catalog.json", "application/json"),
    ]
    for chip in job.chips {
      collectionLinks.append(link("item", "./\(chip.stem)/\(chip.stem).json", "application/geo+json"))
      collectionLinks.append(
        link("item", "./\(chip.stem)-labels/\(chip.stem)-labels.json", "application/geo+json"))
    }
    let collection = JSONValue.object([
      "type": .string("Collection"), "stac_version": .string(version), "stac_extensions": .array([]),
      "id": .string(taskFolderName),
      "title": .string("Swath task \(job.task.name)"),
      "description": .string(
        "Chips of image \(job.image.name) and the final layer of task \(job.task.name) (consensus run #\(job.run.id!)), labels \(job.classes.joined(separator: ", "))"
      ),
      "license": .string("proprietary"),
      "extent": .object([
        "spatial": .object(["bbox": .array([.array(extent.map { .number($0) })])]),
        "temporal": .object(["interval": .array([.array([.string(datetime), .string(datetime)])])]),
      ]),
      "links": .array(collectionLinks),
    ])
    try TrainingFiles.writeJSON(collection, to: taskFolder.appendingPathComponent("collection.json"))
    let catalog = JSONValue.object([
      "type": .string("Catalog"), "stac_version": .string(version), "stac_extensions": .array([]),
      "id": .string("swath-\(taskFolderName)"),
      "description": .string("Swath training export of task \(job.task.name)"),
      "links": .array([
        link("root", "./catalog.json", "application/json"),
        link("child", "./\(taskFolderName)/collection.json", "application/json"),
      ]),
    ])
    try TrainingFiles.writeJSON(catalog, to: job.folder.appendingPathComponent("catalog.json"))
  }

  static func link(_ rel: String, _ href: String, _ type: String) -> JSONValue {
    .object(["rel": .string(rel), "href": .string(href), "type": .string(type)])
  }
}
