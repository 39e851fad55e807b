import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct QueueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue",
    abstract: "An annotator's pending chips, with their PNG paths and footprints.",
    discussion: """
      Lists the chips assigned to the annotator that they have not submitted yet, in open tasks. The JSON form follows Schemas/queue.schema.json.

      Example:
        swath queue --annotator ana --task roofs --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Option(help: "The annotator.")
  var annotator: String

  @Option(help: "Only this task.")
  var task: String?

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let report = try workflowCall { try workspace.queue(annotator: annotator, task: task, by: processCaller) }
    if json { return try printJSON(report) }
    if report.pending.isEmpty { return print("\(annotator) has no pending chips") }
    for item in report.pending {
      let ring = item.footprint.coordinates.first ?? []
      let lons = ring.compactMap(\.first)
      let lats = ring.compactMap { $0.count > 1 ? $0[1] : nil }
      let box =
        lons.isEmpty
        ? "-"
        : String(
          format: "%.6f,%.6f,%.6f,%.6f", lons.min()!, lats.min()!, lons.max()!, lats.max()!)
      print("\(item.task)\t\(item.chip)\t\(item.png)\tlon/lat \(box)")
    }
  }
}
