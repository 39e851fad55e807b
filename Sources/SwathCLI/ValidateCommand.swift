import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate", abstract: "Validate annotator GeoJSON (not built yet)")
  func run() throws { throw SwathFailure("'validate' is not built yet") }
}
