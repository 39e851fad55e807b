import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Export a task's latest consensus layer as GeoJSON, GeoPackage or FlatGeobuf.",
    discussion: """
      Writes RFC 7946 GeoJSON (WGS84, 7 decimal places) by default, streamed one object at a time, or GeoPackage / FlatGeobuf through GDAL's drivers (one transaction, spatial index built once at the end). Every object carries its label, shape, support, assigned annotators, score and status; the task's metadata (task, image and checksum, region, labels, consensus run and parameters) goes into the GeoJSON's "swath" member, the GeoPackage's metadata table, and the layer name. The file is written under a temporary name in the same folder and renamed, so a failed export leaves no partial file. --crs image writes in the image's CRS instead of WGS84.

      Examples:
        swath export roofs --out roofs.geojson
        swath export roofs --out roofs.gpkg --format gpkg --crs image
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "The output file.")
  var out: String

  @Option(help: "geojson, gpkg or fgb (default: from --out's extension, else geojson).")
  var format: String?

  @Option(help: "EPSG:4326 or image.")
  var crs = "EPSG:4326"

  @Flag(help: "Also export the objects that did not reach quorum (status = rejected).")
  var includeRejected = false

  @OptionGroup var progress: ProgressOption

  func run() throws {
    let workspace = try self.workspace.open()
    let chosenFormat = try format.map { option in
      guard let format = Export.Format(rawValue: option.lowercased()) else {
        throw SwathFailure("--format '\(option)': expected geojson, gpkg or fgb")
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
}
