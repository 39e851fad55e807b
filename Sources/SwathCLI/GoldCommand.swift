import ArgumentParser
import Foundation
import SwathGeometry
import SwathWorkflow

/// `swath gold`: analysts make chips of a task gold with their known truth, and list them.
struct GoldCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "gold",
    abstract: "Gold chips: chips of a task whose truth is known.",
    discussion: """
      The truth file is a GeoJSON FeatureCollection in lon/lat, validated as a submission is (the task's labels and label schema). Without --chips the gold chips are the chips the objects' centres fall in; with --chips, the chips named (a chip with nothing on it too), and every object must lie on one of them. Adding gold with a truth file replaces the task's gold (promoted chips included). Promoting adds to it: a reviewed chip (validated, or every object on it that needed a review decided) gets its final layer after review, clipped to the chip, as its truth, and the answers already on it are scored. Annotators get gold chips like any other chip.

      Examples:
        swath gold add roofs --truth known.geojson
        swath gold add roofs --truth known.geojson --chips r0000_c0001,r0002_c0003
        swath gold promote roofs --chips r0001_c0002
        swath gold list roofs
        swath gold record roofs
        swath gold min-f1 roofs 0.6
      """,
    subcommands: [Add.self, Promote.self, List.self, Record.self, MinF1.self])

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Make chips gold with their true objects.")
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Option(help: "A GeoJSON FeatureCollection of the true objects, in lon/lat.") var truth: String
    @Option(help: "The gold chips, comma-separated (default: the chips the objects' centres fall in).")
    var chips: String?

    func run() throws {
      let workspace = try self.workspace.open()
      let data = try readFileArgument(truth)
      let keys = chips.map {
        $0.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
      }
      let listing = try workflowCall {
        try workspace.addGold(task: task, truth: data, chips: keys, by: processCaller)
      }
      print(
        "task '\(task)': \(listing.chips.count) gold chip(s) (\(listing.chips.map(\.chip).joined(separator: ", "))), \(listing.objects.count) gold object(s)"
      )
    }
  }

  struct Promote: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract:
        "Make reviewed chips gold: each chip's final layer after review, clipped to it, becomes its truth (added to the task's gold)."
    )
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Option(help: "The chips to promote, comma-separated.") var chips: String

    func run() throws {
      let workspace = try self.workspace.open()
      let keys = chips.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
      let promoted = try workflowCall {
        try workspace.promoteToGold(task: task, chips: keys, by: processCaller)
      }
      for chip in promoted {
        print(
          "task '\(task)': chip \(chip.chip) (\(chip.reviewedBy.rawValue)) is gold with \(chip.objects) object(s)"
        )
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "A task's gold chips (chip, objects on it, who added it, when); --json for the objects too.")
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Flag(help: "Print the chips and the objects as JSON.") var json = false

    func run() throws {
      let workspace = try self.workspace.open()
      let listing = try workflowCall { try workspace.gold(task: task, by: processCaller) }
      if json { return try printJSON(listing.json) }
      for chip in listing.chips {
        print([chip.chip, "\(chip.objects)", chip.addedBy, chip.addedAt].joined(separator: "\t"))
      }
    }
  }

  struct Record: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Each annotator's record on the gold chips: chips, precision, recall, F1, mean IoU.")
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Flag(help: "Print the records as JSON.") var json = false

    func run() throws {
      let workspace = try self.workspace.open()
      let records = try workflowCall { try workspace.goldRecord(task: task, by: processCaller) }
      if json { return try printJSON(JSONValue.array(records.map(\.json))) }
      for record in records {
        let score = record.score
        print(
          "\(record.annotator)\t\(record.chips) chip(s)\t"
            + String(
              format: "precision %.3f, recall %.3f, F1 %.3f, mean IoU %.3f", score.precision, score.recall,
              score.f1, score.meanIoU))
      }
    }
  }

  struct MinF1: ParsableCommand {
    static let configuration = CommandConfiguration(
      commandName: "min-f1",
      abstract:
        "Leave out of consensus the annotators whose gold F1 is below VALUE (0 to 1), and offer their chips to others."
    )
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Argument(help: "The minimum gold F1, 0 to 1 (0: none).") var value: Double

    func run() throws {
      let workspace = try self.workspace.open()
      try workflowCall { try workspace.setGoldMinF1(task: task, value, by: processCaller) }
      print("task '\(task)': minimum gold F1 \(value)")
    }
  }
}
