import Foundation
import SwathGeometry
import SwathStore
import SwathStoreSQLite

/// A project: a folder holding the store (`swath.sqlite`) and the chips of its tasks
/// (`chips/TASK/`). Every use case is a method of the workspace, so every front end (the CLI
/// today, the HTTP API next) runs the same rules through the same code.
public final class Workspace: Sendable {
  public static let storeFileName = "swath.sqlite"

  public let folder: URL
  public let store: any ProjectStore

  public var chipsDirectory: URL { folder.appendingPathComponent("chips", isDirectory: true) }

  public init(folder: URL, store: any ProjectStore) {
    self.folder = folder
    self.store = store
  }

  /// Creates a workspace (the folder too) or opens and migrates an existing one.
  public static func initialize(at folder: URL, by caller: Caller) throws -> (
    workspace: Workspace, created: Bool
  ) {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: folder.path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw WorkflowError("\(folder.path): exists and is not a folder")
      }
    } else {
      do {
        try manager.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw WorkflowError("cannot create \(folder.path): \(error.localizedDescription)")
      }
    }
    let existed = manager.fileExists(atPath: folder.appendingPathComponent(storeFileName).path)
    let workspace = Workspace(
      folder: folder,
      store: try SQLiteStore(path: folder.appendingPathComponent(storeFileName).path))
    try workspace.store.write { store in
      try store.audit(
        actor: caller.name, command: caller.command, action: existed ? "migrate" : "init",
        detail: folder.path)
    }
    return (workspace, !existed)
  }

  /// Opens the workspace in `folder`, migrating its store to the current schema.
  public static func open(_ folder: URL) throws -> Workspace {
    let file = folder.appendingPathComponent(storeFileName)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw WorkflowError.noWorkspace(folder)
    }
    return Workspace(folder: folder, store: try SQLiteStore(path: file.path))
  }
}

/// Who asks for a use case, with what role, and how: the name goes into the audit log with the
/// command (the command line, or the API route), and the role decides what the caller may do.
public struct Caller: Sendable, Hashable {
  public var name: String
  public var role: Role
  public var command: String

  public init(name: String, role: Role, command: String) {
    self.name = name
    self.role = role
    self.command = command
  }

  /// Someone with the workspace on disk, running a command on its machine: a local admin,
  /// audited under the operating-system login name.
  public static func processUser(command: String) -> Caller {
    let environment = ProcessInfo.processInfo.environment
    return Caller(
      name: environment["USER"] ?? environment["LOGNAME"] ?? "unknown", role: .admin, command: command)
  }
}

/// A failure of a use case the caller can act on: one line, what is wrong and where.
public struct WorkflowError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable, Hashable {
    /// The request names something that does not exist.
    case notFound
    /// The request conflicts with the project's state (a name taken, a task closed).
    case conflict
    /// The request itself is malformed.
    case invalid
    /// The workspace or its files cannot be used.
    case environment
    /// No valid credentials: a missing, wrong or disabled token.
    case unauthenticated
    /// The caller's role may not do this. (Another user's resources are `notFound` instead,
    /// so that nobody learns they exist.)
    case forbidden
    /// A scene cannot be read now: its server answered an error or timed out, or its file is
    /// damaged. The request was sound; the server itself keeps working.
    case sceneUnreadable
  }

  public let message: String
  public let kind: Kind
  /// The validator's errors, located, when a feature was refused (a reviewer's shape).
  public let issues: [ValidationIssue]

  public init(_ message: String, kind: Kind = .invalid) {
    self.message = message
    self.kind = kind
    self.issues = []
  }

  /// A feature the validator refused: invalid, with its located errors.
  public init(_ message: String, issues: [ValidationIssue]) {
    self.message = message
    self.kind = .invalid
    self.issues = issues
  }

  public var description: String { message }

  static func noWorkspace(_ folder: URL) -> WorkflowError {
    WorkflowError("no Swath workspace in \(folder.path)", kind: .environment)
  }
}
