import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct QueueCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "queue", abstract: "An annotator's pending chips (not built yet)")
  func run() throws { throw SwathFailure("'queue' is not built yet") }
}
