import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct ImageCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "image", abstract: "Register and list scenes (not built yet)")
  func run() throws { throw SwathFailure("'image' is not built yet") }
}
