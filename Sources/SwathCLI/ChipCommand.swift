import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct ChipCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chip", abstract: "Cut a scene into georeferenced chips (not built yet)")
  func run() throws { throw SwathFailure("'chip' is not built yet") }
}
