import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct ImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image",
    abstract: "Register and list scenes.",
    subcommands: [ImageAddCommand.self, ImageListCommand.self])
}

struct ImageAddCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "add",
    abstract: "Register a scene GDAL can read, with its checksum, CRS and footprint.",
    discussion: """
      The file stays where it is; the store keeps its absolute path, SHA-256, size, bands, data type, CRS, geotransform and WGS84 footprint. A file GDAL cannot open is refused with GDAL's reason.

      An http(s) URL (best a cloud-optimised GeoTIFF) is read in byte ranges through GDAL's /vsicurl/, never downloaded whole; the store keeps the URL, the size the server gives and, for its SHA-256, the hash of that size and the file's first 64 KiB. A URL the server answers with an error is refused with the server's words.

      Example:
        swath image add /data/atlanta_pan.tif --name atlanta --workspace ~/projects/atlanta
        swath image add https://data.example.org/scenes/atlanta_cog.tif --name atlanta-cog
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The raster file, or an http(s) URL of one.")
  var path: String

  @Option(help: "The name tasks refer to (default: the file name without extension).")
  var name: String?

  func run() throws {
    let workspace = try self.workspace.open()
    let inspection = try workflowCall { try ImageCatalog.inspect(path: path) }
    let chosen = name ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let image = try workflowCall {
      try workspace.registerImage(inspection, name: chosen, by: processCaller)
    }
    let crs = image.epsg.map { "EPSG:\($0)" } ?? (image.crsWkt == nil ? "no CRS" : "custom CRS")
    print(
      "registered image '\(image.name)': \(image.width)×\(image.height), \(image.bands) band(s) \(image.dataType), \(crs), sha256 \(image.sha256.prefix(12))…"
    )
  }
}

struct ImageListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List the registered scenes.",
    discussion: """
      Example:
        swath image list --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  struct Entry: Encodable {
    var name: String
    var path: String
    var sha256: String
    var size_bytes: Int64
    var width: Int
    var height: Int
    var bands: Int
    var data_type: String
    var epsg: Int?
    var geotransform: [Double]?
    var footprint: PolygonGeometry?
    var added_at: String
  }

  func run() throws {
    let workspace = try self.workspace.open()
    let images = try workflowCall { try workspace.images(by: processCaller) }
    if json {
      try printJSON(
        images.map {
          Entry(
            name: $0.name, path: $0.path, sha256: $0.sha256, size_bytes: $0.sizeBytes,
            width: $0.width, height: $0.height, bands: $0.bands, data_type: $0.dataType,
            epsg: $0.epsg, geotransform: $0.geotransform,
            footprint: $0.footprint.flatMap {
              try? JSONDecoder().decode(PolygonGeometry.self, from: Data($0.utf8))
            }, added_at: $0.addedAt)
        })
      return
    }
    if images.isEmpty {
      print("no images registered (swath image add PATH)")
      return
    }
    for image in images {
      let crs = image.epsg.map { "EPSG:\($0)" } ?? (image.crsWkt == nil ? "-" : "custom")
      print(
        "\(image.name)\t\(image.width)×\(image.height)×\(image.bands) \(image.dataType)\t\(crs)\t\(image.path)"
      )
    }
  }
}
