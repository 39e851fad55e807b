import Foundation
import GRDB

/// A failure of the store the user can act on: one line, what is wrong and where.
public struct StoreError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// The project store: one SQLite file in a workspace folder, in WAL mode so readers never
/// block the writer, and shared safely by concurrent `swath` processes.
public final class Store: Sendable {
  public static let fileName = "swath.sqlite"
  /// How long one statement waits for another process's lock before SQLITE_BUSY.
  public static let busyTimeout: TimeInterval = 10

  public let workspace: URL
  public let pool: DatabasePool

  public var databaseURL: URL { workspace.appendingPathComponent(Self.fileName) }
  public var chipsDirectory: URL { workspace.appendingPathComponent("chips", isDirectory: true) }

  /// The workspace folder a command works in: `--workspace`, else `SWATH_WORKSPACE`, else the
  /// current directory.
  public static func resolveWorkspace(_ option: String?) -> URL {
    if let option, !option.isEmpty { return URL(fileURLWithPath: option).standardizedFileURL }
    if let variable = ProcessInfo.processInfo.environment["SWATH_WORKSPACE"], !variable.isEmpty {
      return URL(fileURLWithPath: variable).standardizedFileURL
    }
    return URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL
  }

  /// Creates a workspace (the folder too) or opens and migrates an existing one.
  public static func initialize(at workspace: URL) throws -> (store: Store, created: Bool) {
    let manager = FileManager.default
    var isDirectory: ObjCBool = false
    if manager.fileExists(atPath: workspace.path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw StoreError("\(workspace.path): exists and is not a folder")
      }
    } else {
      do {
        try manager.createDirectory(at: workspace, withIntermediateDirectories: true)
      } catch {
        throw StoreError("cannot create \(workspace.path): \(error.localizedDescription)")
      }
    }
    let existed = manager.fileExists(atPath: workspace.appendingPathComponent(fileName).path)
    let store = try Store(workspace: workspace, migrateUpTo: nil)
    return (store, !existed)
  }

  /// Opens the store of an existing workspace, migrating it to the current schema.
  public static func open(workspace: URL) throws -> Store {
    let file = workspace.appendingPathComponent(fileName)
    guard FileManager.default.fileExists(atPath: file.path) else {
      throw StoreError(
        "no Swath workspace in \(workspace.path) (run 'swath init \(workspace.path)', or pass --workspace or set SWATH_WORKSPACE)"
      )
    }
    return try Store(workspace: workspace, migrateUpTo: nil)
  }

  /// `migrateUpTo` stops at a named migration: tests use it to build an older store.
  public init(workspace: URL, migrateUpTo lastMigration: String?) throws {
    self.workspace = workspace
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(Self.busyTimeout)
    configuration.journalMode = .wal
    configuration.label = "swath"
    let path = workspace.appendingPathComponent(Self.fileName).path
    do {
      pool = try Self.retryingBusy { try DatabasePool(path: path, configuration: configuration) }
      let migrator = Schema.migrator
      try Self.retryingBusy {
        if let lastMigration {
          try migrator.migrate(pool, upTo: lastMigration)
        } else {
          try migrator.migrate(pool)
        }
      }
    } catch let error as DatabaseError {
      throw StoreError("\(path): \(error.message ?? error.description)")
    }
  }

  /// One write transaction, taken IMMEDIATE so the write lock is held from the start (no
  /// read→write upgrade that SQLite could only fail with SQLITE_BUSY), and retried when
  /// another process kept the database locked past the busy timeout.
  public func write<T>(_ body: (Database) throws -> T) throws -> T {
    try Self.retryingBusy {
      try pool.writeWithoutTransaction { db in
        var result: T?
        try db.inTransaction(.immediate) {
          result = try body(db)
          return .commit
        }
        return result!
      }
    }
  }

  public func read<T>(_ body: (Database) throws -> T) throws -> T {
    try Self.retryingBusy { try pool.read(body) }
  }

  static func retryingBusy<T>(attempts: Int = 6, _ body: () throws -> T) throws -> T {
    var attempt = 0
    while true {
      do {
        return try body()
      } catch let error as DatabaseError
        where (error.resultCode == .SQLITE_BUSY || error.resultCode == .SQLITE_LOCKED)
        && attempt + 1 < attempts
      {
        attempt += 1
        // Jitter keeps competing processes from retrying in lock step.
        Thread.sleep(forTimeInterval: Double.random(in: 0.05...0.25) * Double(attempt))
      }
    }
  }
}

/// Who made a change: the annotator when a command acts for one, else the login name.
public enum Actor {
  public static var currentUser: String {
    let environment = ProcessInfo.processInfo.environment
    return environment["USER"] ?? environment["LOGNAME"] ?? "unknown"
  }
}

enum Clock {
  /// UTC, millisecond precision, ISO 8601: sortable as text.
  static func now() -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
    formatter.timeZone = TimeZone(identifier: "UTC")
    return formatter.string(from: Date())
  }
}
