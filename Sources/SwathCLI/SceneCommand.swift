import ArgumentParser

// Placeholder: replaced by the issue that builds this command.
struct SceneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scene", abstract: "Generate the sample scene and its ground truth (not built yet)")
  func run() throws { throw SwathFailure("'scene' is not built yet") }
}
