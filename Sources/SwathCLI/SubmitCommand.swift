import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct SubmitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submit", abstract: "Submit an annotator's shapes (not built yet)")
  func run() throws { throw SwathFailure("'submit' is not built yet") }
}
