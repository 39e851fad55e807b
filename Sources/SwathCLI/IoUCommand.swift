import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct IoUCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "iou", abstract: "Measure IoU between overlapping shapes (not built yet)")
  func run() throws { throw SwathFailure("'iou' is not built yet") }
}
