import Foundation
import SwathStore
import SwathTestSupport

/// A real `swath serve` process on a port the kernel picks, for end-to-end tests: started, and
/// waited for until it prints its address (a state, not a guessed time).
struct LiveServer {
  let process: Process
  /// `http://127.0.0.1:PORT`
  let url: String
  /// Its standard error: the access log.
  let log: URL

  static func start(workspace: URL, arguments: [String] = [], environment: [String: String] = [:]) throws
    -> LiveServer
  {
    let name = UUID().uuidString
    let output = workspace.appendingPathComponent("serve-\(name).out")
    let log = workspace.appendingPathComponent("serve-\(name).err")
    for file in [output, log] { _ = FileManager.default.createFile(atPath: file.path, contents: nil) }
    let process = Process()
    process.executableURL = TestSupport.swathBinary
    process.arguments = ["serve", "--workspace", workspace.path, "--port", "0"] + arguments
    if !environment.isEmpty {
      process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    }
    process.standardOutput = try FileHandle(forWritingTo: output)
    process.standardError = try FileHandle(forWritingTo: log)
    try process.run()
    let deadline = Date().addingTimeInterval(60)
    while Date() < deadline, process.isRunning {
      let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
      if let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
        return LiveServer(process: process, url: String(text[range]), log: log)
      }
      usleep(20_000)
    }
    if process.isRunning { process.terminate() }
    throw StoreError("swath serve printed no address")
  }

  /// SIGTERM, and the wait for it to finish its requests and exit.
  func stop() {
    if process.isRunning { process.terminate() }
    process.waitUntilExit()
  }
}

/// A workspace made with the `swath` command, as an operator would.
struct CLIWorkspace {
  let folder: URL

  /// Runs `swath ARGUMENTS --workspace FOLDER`, expecting success; its output, trimmed.
  @discardableResult
  func swath(_ arguments: [String]) throws -> String {
    let result = try TestSupport.swath(arguments + ["--workspace", folder.path])
    guard result.status == 0 else {
      throw StoreError("swath \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// A new workspace in `folder`.
  static func initialize(_ folder: URL) throws -> CLIWorkspace {
    let store = try TestPostgres.workspaceStore().map { ["--store", $0] } ?? []
    let result = try TestSupport.swath(["init", folder.path] + store)
    guard result.status == 0 else { throw StoreError("swath init failed: \(result.stderr)") }
    return CLIWorkspace(folder: folder)
  }
}
