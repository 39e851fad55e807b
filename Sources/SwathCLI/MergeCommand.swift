import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge", abstract: "Merge several annotators' shapes into one layer (not built yet)")
  func run() throws { throw SwathFailure("'merge' is not built yet") }
}
