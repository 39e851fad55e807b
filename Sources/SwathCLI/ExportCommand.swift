import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Export a task's consensus layer (not built yet)")
  func run() throws { throw SwathFailure("'export' is not built yet") }
}
