import Foundation
import SwathGeometry
import SwathStore
import SwathStorePostgres
import SwathStoreSQLite
import SwathSupport

/// A project: a folder holding the store (`swath.sqlite`, or the address of a PostgreSQL
/// database in `swath.store`) and the chips of its tasks (`chips/TASK/`). Every use case is a
/// method of the workspace, so every front end (the CLI, the HTTP API) runs the same rules
/// through the same code.
public final class Workspace: Sendable {
  public static let storeFileName = "swath.sqlite"
  /// Where a workspace whose store is a PostgreSQL database keeps the database's address.
  public static let storeAddressFileName = "swath.store"
  /// How long opening a workspace waits for its database to come up.
  public static let storeWaitSeconds: TimeInterval = 10

  public let folder: URL
  public let store: any ProjectStore

  public var chipsDirectory: URL { folder.appendingPathComponent("chips", isDirectory: true) }

  public init(folder: URL, store: any ProjectStore) {
    self.folder = folder
    self.store = store
  }

  /// Creates a workspace (the folder too) or opens and migrates an existing one. `store` (else
  /// `SWATH_STORE`) names a PostgreSQL database to keep the records in, recorded in the folder
  /// so that later commands find it; without one the store is `swath.sqlite` in the folder.
  public static func initialize(at folder: URL, store address: String? = nil, by caller: Caller) throws
    -> (workspace: Workspace, created: Bool)
  {
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
    let addressFile = folder.appendingPathComponent(storeAddressFileName)
    let existed =
      manager.fileExists(atPath: folder.appendingPathComponent(storeFileName).path)
      || manager.fileExists(atPath: addressFile.path)
    let chosen = address ?? environmentStore
    let store: any ProjectStore
    if let target = try chosen ?? recordedStore(in: folder) {
      store = try openStore(target)
      try store.waitUntilReady(timeout: storeWaitSeconds)
      // Recorded once the database has answered, readable by its owner only: the address may
      // carry the database's password.
      if let chosen {
        do {
          try AtomicFile.write(to: addressFile) { temporary in
            guard
              FileManager.default.createFile(
                atPath: temporary.path, contents: Data((chosen + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
            else { throw FileWriteError("cannot write \(temporary.path)") }
          }
        } catch {
          throw WorkflowError(
            "cannot write \(addressFile.path): \(error.localizedDescription)", kind: .environment)
        }
      }
    } else {
      store = try SQLiteStore(path: folder.appendingPathComponent(storeFileName).path)
    }
    let workspace = Workspace(folder: folder, store: store)
    try workspace.store.write { store in
      try store.audit(
        actor: caller.name, command: caller.command, action: existed ? "migrate" : "init",
        detail: folder.path)
    }
    return (workspace, !existed)
  }

  /// Opens the workspace in `folder`, migrating its store to the current schema. The store is
  /// `store` when given, else `SWATH_STORE`, else the database the folder records, else the
  /// folder's `swath.sqlite`. A node of a cluster needs no workspace made by `init`: a folder
  /// (for pre-cut chips) and the database's address are enough.
  /// `waitForStore: false` opens without connecting (a server node retries in the background).
  public static func open(_ folder: URL, store address: String? = nil, waitForStore: Bool = true) throws
    -> Workspace
  {
    if let address = try address ?? environmentStore ?? recordedStore(in: folder) {
      let store = try openStore(address)
      if waitForStore { try store.waitUntilReady(timeout: storeWaitSeconds) }
      return Workspace(folder: folder, store: store)
    }
    let file = folder.appendingPathComponent(storeFileName)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw WorkflowError.noWorkspace(folder)
    }
    return Workspace(folder: folder, store: try SQLiteStore(path: file.path))
  }

  private static var environmentStore: String? {
    ProcessInfo.processInfo.environment["SWATH_STORE"].flatMap { $0.isEmpty ? nil : $0 }
  }

  private static func recordedStore(in folder: URL) throws -> String? {
    let file = folder.appendingPathComponent(storeAddressFileName)
    guard FileManager.default.fileExists(atPath: file.path) else { return nil }
    guard let text = try? String(contentsOf: file, encoding: .utf8) else {
      throw WorkflowError("\(file.path): cannot read the store's address", kind: .environment)
    }
    return text.trimmingCharacters(in: .whitespacesAndNewlines)
  }

  /// The store an address names: a PostgreSQL database (`postgres://…`) or a SQLite file.
  public static func openStore(_ address: String) throws -> any ProjectStore {
    if PostgresStore.names(address) { return try PostgresStore(url: address) }
    if address.hasPrefix("sqlite:") || address.hasSuffix(".sqlite") {
      return try SQLiteStore(path: String(address.trimmingPrefix("sqlite:")))
    }
    throw WorkflowError(
      "\(address): not a store address (postgres://user@host:port/database, or a .sqlite file)",
      kind: .invalid)
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
