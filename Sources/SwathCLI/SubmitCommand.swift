import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct SubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit",
    abstract: "Submit an annotator's shapes (GeoJSON) for a task's chips.",
    discussion: """
      The file is stored exactly as received before anything else happens, then validated with the geometry core against the task's labels. Features are in WGS84 longitude/latitude (a legacy crs member is honoured), with --pixel in pixel column/row of the --chip image (converted through the chip's geotransform), or with --coordinates crs in the scene's own CRS, as GIS tools export in a project CRS. Without --chip, each feature goes to the assigned chip it overlaps most. A submission is refused, with the reason, when the annotator is not assigned to the chip, a label is not one of the task's, a feature lies wholly outside the chip, the task is closed, or the file is invalid (the whole validation report is printed); a refused file is still kept as a rejected submission. A new submission by the same annotator for the same chip supersedes the previous one, which stays in the history.

      Examples:
        swath submit roofs --annotator ana ana-r0000_c0001.geojson --chip r0000_c0001
        swath submit roofs --annotator ben drawn.geojson --chip r0001_c0000 --pixel
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "Who drew the shapes.")
  var annotator: String

  @Argument(help: "The GeoJSON file (- for standard input).")
  var file: String

  @Option(help: "The chip the shapes belong to (swath queue lists chip ids).")
  var chip: String?

  @Flag(help: "Coordinates are pixel column/row in the --chip image (--coordinates pixel).")
  var pixel = false

  @Option(
    help: "lonlat (WGS84, the default), pixel (column/row of the --chip image) or crs (the scene's own CRS).")
  var coordinates: CoordinateFrame?

  func validate() throws {
    if pixel, let coordinates, coordinates != .chipPixels {
      throw ValidationError("--pixel and --coordinates \(coordinates.rawValue) contradict each other")
    }
  }

  @Flag(help: "Print JSON instead of text.")
  var json = false

  /// Larger files are refused before storing: a GeoJSON of one chip's shapes is far smaller.
  static let maximumBytes = 256 << 20

  func run() throws {
    let workspace = try self.workspace.open()
    let raw = try readInput()
    let outcome = try workflowCall {
      try workspace.submit(
        task: task, annotator: annotator, fileName: file == "-" ? "<stdin>" : file, raw: raw,
        chip: chip, coordinates: coordinates ?? (pixel ? .chipPixels : .lonLat), by: processCaller)
    }
    for result in outcome.recovered {
      FileHandle.standardError.write(
        Data(
          "swath: note: finished submission #\(result.id) left by an interrupted submit: \(result.status)\n"
            .utf8))
    }
    if json {
      try printJSON(outcome.results)
    } else {
      if let rejected = outcome.results.first(where: { $0.status == "rejected" }),
        let report = outcome.report, !report.issues.isEmpty
      {
        print("validation report for \(file) (submission #\(rejected.id)):")
        for issue in report.issues {
          var location = issue.path
          if let line = issue.line { location += " line \(line)" + (issue.column.map { ":\($0)" } ?? "") }
          print("  \(issue.severity.rawValue): \(location): [\(issue.code)] \(issue.message)")
        }
      }
      for result in outcome.results where result.status != "rejected" {
        print(
          "submission #\(result.id) \(result.status): task '\(task)', chip \(result.chip ?? "?"), \(result.features) feature(s)"
            + (result.supersedes.map { ", supersedes #\($0)" } ?? ""))
      }
    }
    if let rejected = outcome.results.first(where: { $0.status == "rejected" }) {
      throw SwathFailure("submission #\(rejected.id) rejected: \(rejected.reason ?? "invalid")")
    }
  }

  private func readInput() throws -> Data {
    if file == "-" { return FileHandle.standardInput.readDataToEndOfFile() }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
      throw SwathFailure("\(file): no such file")
    }
    guard !isDirectory.boolValue else { throw SwathFailure("\(file): is a folder, not a GeoJSON file") }
    let attributes = try? FileManager.default.attributesOfItem(atPath: file)
    if let size = (attributes?[.size] as? NSNumber)?.intValue, size > Self.maximumBytes {
      throw SwathFailure(
        "\(file): \(size) bytes is over the \(Self.maximumBytes >> 20) MiB a submission may hold")
    }
    return try readFileArgument(file)
  }
}
