import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct StatusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "status", abstract: "Progress of a task (not built yet)")
  func run() throws { throw SwathFailure("'status' is not built yet") }
}
