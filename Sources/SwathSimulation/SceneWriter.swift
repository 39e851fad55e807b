import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// Where a scene was written.
public struct SceneFiles: Sendable {
  public var image: URL
  public var truth: URL
  /// `labels.json`: the truth's label schema, for task creation.
  public var schema: URL
}

extension SceneGenerator {
  public static let imageName = "town.tif"
  public static let truthName = "truth.geojson"
  public static let schemaName = "labels.json"

  /// The scene's label schema document (`SceneTruth.labelSchema`), pretty-printed.
  public static func schemaDocument() -> String {
    SceneTruth.labelSchema.json.jsonText(format: .pretty) + "\n"
  }

  /// The town's pixels: RGB, pixel-interleaved, top row first; nodata (0,0,0) outside the collar.
  public static func render(_ truth: SceneTruth) -> [UInt8] {
    var renderer = TownRenderer(truth: truth)
    return renderer.render()
  }

  /// Generates, renders and writes `town.tif`, `truth.geojson` and `labels.json` into
  /// `directory` (created when missing). The files appear whole or not at all.
  @discardableResult
  public static func write(_ options: SceneOptions, to directory: URL) throws -> (SceneTruth, SceneFiles) {
    try options.validate()
    try prepare(directory)
    let truth = try generate(options)
    let image = directory.appendingPathComponent(imageName)
    let truthURL = directory.appendingPathComponent(truthName)
    // Both are written in full before either is renamed into place.
    let imageFile = AtomicFile(destination: image, keepExtension: true)
    let truthFile = AtomicFile(destination: truthURL)
    let schemaURL = directory.appendingPathComponent(schemaName)
    let schemaFile = AtomicFile(destination: schemaURL)
    do {
      let geojson = try truthGeoJSON(truth)
      for (file, text) in [(truthFile, geojson), (schemaFile, schemaDocument())] {
        do {
          try Data(text.utf8).write(to: file.temporary)
        } catch {
          throw SceneError("cannot write \(file.temporary.path): \(reason(error))")
        }
      }
      try writeGeoTIFF(truth, pixels: render(truth), to: imageFile.temporary)
      try commit(imageFile)
      try commit(truthFile)
      try commit(schemaFile)
    } catch {
      imageFile.discard()
      truthFile.discard()
      schemaFile.discard()
      throw error
    }
    return (truth, SceneFiles(image: image, truth: truthURL, schema: schemaURL))
  }

  private static func commit(_ file: AtomicFile) throws {
    do {
      try file.commit()
    } catch let error as FileWriteError {
      throw SceneError(error.message)
    }
  }

  static func reason(_ error: Error) -> String {
    if let cocoa = error as? CocoaError, let underlying = cocoa.userInfo[NSUnderlyingErrorKey] as? NSError,
      underlying.domain == NSPOSIXErrorDomain
    {
      return String(cString: strerror(Int32(underlying.code)))
    }
    return (error as NSError).localizedDescription
  }

  /// Makes sure `directory` exists and we can create files in it.
  static func prepare(_ directory: URL) throws {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: directory.path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else { throw SceneError("\(directory.path): exists and is not a folder") }
    } else {
      // mkdir(2) one level at a time, so the message names the level that failed and why.
      var path = ""
      for component in directory.standardizedFileURL.path.split(separator: "/") {
        path += "/" + component
        if mkdir(path, 0o777) != 0, errno != EEXIST {
          throw SceneError(
            "cannot create folder \(directory.path) (at \(path): \(String(cString: strerror(errno))))")
        }
      }
    }
    // access(2) says yes to root everywhere; only a real file tells.
    let probe = directory.appendingPathComponent(
      ".swath-write-probe.\(ProcessInfo.processInfo.processIdentifier).tmp")
    guard manager.createFile(atPath: probe.path, contents: Data()) else {
      throw SceneError("cannot write to folder \(directory.path): \(String(cString: strerror(errno)))")
    }
    try? manager.removeItem(at: probe)
  }

  /// A tiled, DEFLATE-compressed RGB GeoTIFF with nodata 0 on every band.
  static func writeGeoTIFF(_ truth: SceneTruth, pixels: [UInt8], to url: URL) throws {
    let options = [
      "TILED=YES", "BLOCKXSIZE=256", "BLOCKYSIZE=256", "COMPRESS=DEFLATE", "PREDICTOR=2", "PHOTOMETRIC=RGB",
      "INTERLEAVE=PIXEL", "NUM_THREADS=ALL_CPUS",
    ]
    let width = truth.width
    let height = truth.height
    let dataset = try RasterWriter(
      creating: url.path, driver: "GTiff", width: width, height: height, bands: 3, type: .byte,
      options: options)
    do {
      try dataset.setGeoTransform(truth.geoTransform)
      try dataset.setSpatialReference(try SpatialReference(epsg: truth.epsg))
      for (index, interpretation) in ["Red", "Green", "Blue"].enumerated() {
        try? dataset.setNoDataValue(0, band: index + 1)
        try? dataset.setColorInterpretation(interpretation, band: index + 1)
      }
      // Strips of one block row keep GDAL's cache small.
      let strip = 256
      try pixels.withUnsafeBufferPointer { buffer in
        var row = 0
        while row < height {
          let rows = min(strip, height - row)
          try dataset.write(
            window: PixelWindow(x: 0, y: row, width: width, height: rows),
            from: buffer.baseAddress! + row * width * 3,
            layout: BufferLayout(
              width: width, height: rows, type: .byte, pixelSpace: 3, lineSpace: width * 3, bandSpace: 1))
          row += rows
        }
      }
    } catch {
      dataset.abandon()
      throw error
    }
    try dataset.close()
  }

  /// The truth as an RFC 7946 FeatureCollection in WGS84, one Feature a line, fixed number
  /// formatting so the same options give the same bytes.
  public static func truthGeoJSON(_ truth: SceneTruth) throws -> String {
    let features = try truth.wgs84Features()
    let options = truth.options
    // One member per line at the top, one feature per line: diffable, and still plain GeoJSON.
    var writer = JSONWriter(format: JSONFormat(indent: 0, colon: ": ", inlineSeparator: ", "))
    writer.beginObject()
    writer.key("type")
    writer.string("FeatureCollection")
    writer.key("scene")
    writer.beginObject(inline: true)
    writer.key("image")
    writer.string(imageName)
    writer.key("crs")
    writer.string("EPSG:\(options.epsg)")
    writer.key("width")
    writer.integer(truth.width)
    writer.key("height")
    writer.integer(truth.height)
    writer.key("gsd")
    writer.number(options.gsd, fixedDecimals: 3)
    writer.key("seed")
    writer.integer(options.seed)
    writer.key("geotransform")
    writer.beginArray()
    for coefficient in truth.geoTransform.coefficients { writer.number(coefficient, fixedDecimals: 3) }
    writer.endArray()
    writer.key("buildings")
    writer.integer(truth.buildings.count)
    writer.key("vehicles")
    writer.integer(truth.vehicles.count)
    writer.endObject()
    writer.key("features")
    writer.beginArray()
    for (object, feature) in zip(truth.objects, features) {
      writer.beginObject(inline: true)
      writer.key("type")
      writer.string("Feature")
      writer.key("id")
      writer.string(object.id)
      writer.key("properties")
      writer.beginObject()
      // The label, the shape and the schema's attributes (`labels.json`), nothing else: every
      // truth feature validates against the scene's schema. The id is the Feature's own.
      for (key, value) in [("label", object.label), ("shape", object.shape.rawValue)] {
        writer.key(key)
        writer.string(value)
      }
      for attribute in object.attributes {
        writer.key(attribute.name)
        writer.value(attribute.value)
      }
      writer.endObject()
      writer.key("geometry")
      writer.beginObject()
      writer.key("type")
      writer.string("Polygon")
      writer.key("coordinates")
      writer.beginArray()
      for ring in feature.geometry.polygons[0].rings {
        writer.beginArray()
        for point in ring {
          writer.beginArray()
          writer.number(point.x, fixedDecimals: 9)
          writer.number(point.y, fixedDecimals: 9)
          writer.endArray()
        }
        writer.endArray()
      }
      writer.endArray()
      writer.endObject()
      writer.endObject()
    }
    writer.endArray()
    writer.endObject()
    return writer.text + "\n"
  }
}
