import ArgumentParser
import Foundation
import GRDB
import SwathStore

struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create a project workspace: one SQLite store (WAL) plus the chips folder.",
    discussion: """
      Creates DIR if needed and the store swath.sqlite in it. Running it again on an existing workspace only migrates its store to the current schema; nothing is lost. Other commands find the workspace through --workspace DIR, else $SWATH_WORKSPACE, else the current directory.

      Example:
        swath init ~/projects/atlanta
      """)

  @Argument(help: "The workspace folder (default: the current directory).")
  var directory: String?

  func run() throws {
    let url = Store.resolveWorkspace(directory)
    let (store, created) = try storeCall { try Store.initialize(at: url) }
    try storeCall {
      try store.write { db in
        try db.audit(
          actor: Actor.currentUser, command: "init", action: created ? "init" : "migrate",
          detail: url.path)
      }
    }
    print(created ? "created workspace \(url.path)" : "workspace \(url.path) is up to date")
  }
}

/// `--workspace DIR`, shared by every command that works on a store.
struct WorkspaceOption: ParsableArguments {
  @Option(
    name: .long,
    help: "The workspace folder (default: $SWATH_WORKSPACE, else the current directory).")
  var workspace: String?

  func open() throws -> Store {
    try storeCall { try Store.open(workspace: Store.resolveWorkspace(workspace)) }
  }
}

/// Runs store work, turning its errors into one-line failures.
func storeCall<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as StoreError {
    throw SwathFailure(error.message)
  } catch let error as DatabaseError {
    throw SwathFailure("store: \(error.message ?? error.description)")
  }
}

/// The command line as typed, for the audit log.
var commandLineForAudit: String {
  (["swath"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
}

func printJSON<T: Encodable>(_ value: T) throws {
  let data = try JSONEncoder.swathOutput.encode(value)
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}
