import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init", abstract: "Create a project workspace (not built yet)")
  func run() throws { throw SwathFailure("'init' is not built yet") }
}
