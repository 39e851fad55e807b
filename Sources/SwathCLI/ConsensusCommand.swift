import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct ConsensusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consensus", abstract: "Run consensus over a task's submissions (not built yet)")
  func run() throws { throw SwathFailure("'consensus' is not built yet") }
}
