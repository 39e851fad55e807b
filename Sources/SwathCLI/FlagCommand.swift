import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

extension ChipFlagKind: ExpressibleByArgument {
  public init?(argument: String) {
    self.init(rawValue: argument.replacingOccurrences(of: "-", with: "_"))
  }
}

/// `swath flag`: an annotator gives a chip back as bad imagery, or skips it.
struct FlagCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "flag",
    abstract: "Give a chip back without shapes: bad imagery, or skip.",
    discussion: """
      Neither counts as a vote (submit an empty FeatureCollection to say there is nothing there). The annotator's lease on the chip ends and the chip is not leased to them again; a chip two annotators report as bad imagery leaves the queue and is listed by `swath status`.

      Examples:
        swath flag roofs r0002_c0003 bad-imagery --annotator ana --comment "cloud over the whole chip"
        swath flag roofs r0002_c0003 skip --annotator ben
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Argument(help: "The chip id, e.g. r0002_c0003.")
  var chip: String

  @Argument(help: "bad-imagery or skip.")
  var kind: ChipFlagKind

  @Option(help: "The annotator (a registered user).")
  var annotator: String

  @Option(help: "A comment for the analyst.")
  var comment: String?

  func run() throws {
    let workspace = try self.workspace.open()
    let flag = try workflowCall {
      try workspace.flagChip(
        task: task, chip: chip, annotator: annotator, kind: kind, comment: comment, by: processCaller)
    }
    print("chip \(chip) of task '\(task)' flagged \(flag.kind.rawValue) by \(flag.annotator)")
  }
}
