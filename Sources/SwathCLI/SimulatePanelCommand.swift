import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct SimulatePanelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate-panel", abstract: "Simulate an annotator panel with known truth (not built yet)")
  func run() throws { throw SwathFailure("'simulate-panel' is not built yet") }
}
