import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status",
    abstract: "Progress of a task, per chip and per annotator.",
    discussion: """
      The JSON form follows Schemas/status.schema.json.

      Example:
        swath status roofs --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let report = try workflowCall { try workspace.status(task: task, by: processCaller) }
    if json { return try printJSON(report) }
    let counts = ["accepted", "rejected", "superseded", "received"].map {
      "\(report.submissions[$0] ?? 0) \($0)"
    }.joined(separator: ", ")
    print(
      "task '\(report.task)' (\(report.state)): \(report.chips) chips, \(report.assignmentsSubmitted)/\(report.assignments) assignments submitted"
    )
    print("submissions: \(counts); consensus runs: \(report.consensusRuns)")
    if !report.withdrawnChips.isEmpty {
      print("withdrawn as bad imagery (look at them): \(report.withdrawnChips.joined(separator: ", "))")
    }
    print("per annotator:")
    for entry in report.perAnnotator {
      print(
        "  \(entry.annotator)\tassigned \(entry.assigned)\tsubmitted \(entry.submitted)\tpending \(entry.pending)\taccepted \(entry.accepted)\trejected \(entry.rejected)\tsuperseded \(entry.superseded)"
      )
    }
    print("per chip:")
    for chip in report.perChip {
      print(
        "  \(chip.chip)\tsubmitted \(chip.submitted.count)/\(chip.assigned.count)\t[\(chip.assigned.joined(separator: ","))]"
      )
    }
  }
}
