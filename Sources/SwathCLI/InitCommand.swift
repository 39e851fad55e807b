import ArgumentParser
import Foundation
import SwathGeometry
import SwathStore
import SwathWorkflow

struct InitCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "init",
    abstract: "Create a project workspace: a store (SQLite, or PostgreSQL) plus the chips folder.",
    discussion: """
      Creates DIR if needed and the store swath.sqlite in it; with --store postgres://… (or $SWATH_STORE) the records go to that PostgreSQL database instead (PostGIS is needed), and DIR records its address in swath.store so that later commands find it. Running it again on an existing workspace only migrates its store to the current schema; nothing is lost. Other commands find the workspace through --workspace DIR, else $SWATH_WORKSPACE, else the current directory.

      Examples:
        swath init ~/projects/atlanta
        swath init ~/projects/atlanta --store postgres://swath@db.example:5432/atlanta
      """)

  @Argument(help: "The workspace folder (default: the current directory).")
  var directory: String?

  @Option(help: "A PostgreSQL database for the records: postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE.")
  var store: String?

  func run() throws {
    let url = WorkspaceOption.resolve(directory)
    let (_, created) = try workflowCall {
      try Workspace.initialize(at: url, store: store, by: .processUser(command: "init"))
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

  @Option(
    name: .long,
    help:
      "The store, when not the workspace's own: postgres://USER@HOST:PORT/DATABASE (default: $SWATH_STORE).")
  var store: String?

  func open(waitForStore: Bool = true) throws -> Workspace {
    let folder = Self.resolve(workspace)
    do {
      return try Workspace.open(folder, store: store, waitForStore: waitForStore)
    } catch let error as WorkflowError where error.kind == .environment {
      throw SwathFailure(
        "\(error.message) (run 'swath init \(folder.path)', or pass --workspace or set SWATH_WORKSPACE)")
    } catch let error as StoreError {
      throw SwathFailure(error.message)
    }
  }

  /// The workspace folder a command works in: `--workspace`, else `SWATH_WORKSPACE`, else the
  /// current directory.
  static func resolve(_ option: String?) -> URL {
    if let option, !option.isEmpty { return URL(fileURLWithPath: option).standardizedFileURL }
    if let variable = ProcessInfo.processInfo.environment["SWATH_WORKSPACE"], !variable.isEmpty {
      return URL(fileURLWithPath: variable).standardizedFileURL
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
  }
}

/// Runs a use case, turning its errors into one-line failures.
func workflowCall<T>(_ body: () throws -> T) throws -> T {
  do {
    return try body()
  } catch let error as WorkflowError {
    throw SwathFailure(error.message)
  } catch let error as StoreError {
    throw SwathFailure(error.message)
  }
}

/// The command line as typed, for the audit log.
var commandLineForAudit: String {
  (["swath"] + CommandLine.arguments.dropFirst()).joined(separator: " ")
}

/// The process's user acting through this command line.
var processCaller: Caller { .processUser(command: commandLineForAudit) }

/// The bytes of a file named on the command line; one line naming it when it cannot be read.
func readFileArgument(_ path: String) throws -> Data {
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw SwathFailure("\(path): cannot read: \(error.localizedDescription)")
  }
}

func printJSON<T: Encodable>(_ value: T) throws {
  let data = try JSONValueEncoder().encodeData(value, format: .pretty)
  FileHandle.standardOutput.write(data)
  FileHandle.standardOutput.write(Data("\n".utf8))
}
