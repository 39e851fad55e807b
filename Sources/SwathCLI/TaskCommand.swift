import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct TaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "task", abstract: "Create, assign, list, show and close tasks (not built yet)")
  func run() throws { throw SwathFailure("'task' is not built yet") }
}
