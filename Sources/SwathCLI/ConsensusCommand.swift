import ArgumentParser

struct ConsensusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consensus",
    abstract: "Run consensus over a task's current accepted submissions.",
    discussion: """
      Example:
        swath consensus roofs --iou 0.5 --quorum 0.5
      """)

  func run() throws { throw SwathFailure("'consensus' waits for the consensus engine") }
}
