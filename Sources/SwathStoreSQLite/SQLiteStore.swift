import Foundation
import GRDB
import SwathStore

/// The project store in one SQLite file, in WAL mode so readers never block the writer, and
/// shared safely by concurrent processes: write transactions are IMMEDIATE, wait up to
/// `busyTimeout` for another process's lock and are retried on SQLITE_BUSY.
public final class SQLiteStore: ProjectStore {
  /// How long one statement waits for another process's lock before SQLITE_BUSY.
  public static let busyTimeout: TimeInterval = 10

  public let path: String
  let pool: DatabasePool

  /// Opens (creating it when missing) the database at `path` and migrates it to the current
  /// schema. `migrateUpTo` stops at a named migration: tests use it to build an older store.
  public init(path: String, migrateUpTo lastMigration: String? = nil) throws {
    self.path = path
    var configuration = Configuration()
    configuration.foreignKeysEnabled = true
    configuration.busyMode = .timeout(Self.busyTimeout)
    configuration.journalMode = .wal
    configuration.label = "swath"
    do {
      let pool = try Self.retryingBusy { try DatabasePool(path: path, configuration: configuration) }
      self.pool = pool
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

  /// Every migration this code knows, oldest first.
  public static var migrations: [String] { Schema.migrations }

  /// The migrations applied to this database, oldest first.
  public func appliedMigrations() throws -> [String] {
    let applied = try storeErrors {
      try pool.read { db in try Schema.migrator.appliedIdentifiers(db) }
    }
    return Schema.migrations.filter(applied.contains)
  }

  public func read<T>(_ body: (any StoreReader) throws -> T) throws -> T {
    try storeErrors { try Self.retryingBusy { try pool.read { db in try body(SQLiteTransaction(db)) } } }
  }

  /// One write transaction, taken IMMEDIATE so the write lock is held from the start (no
  /// read→write upgrade that SQLite could only fail with SQLITE_BUSY), and retried when
  /// another process kept the database locked past the busy timeout.
  public func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T {
    try storeErrors {
      try Self.retryingBusy {
        try pool.writeWithoutTransaction { db in
          var result: T?
          try db.inTransaction(.immediate) {
            result = try body(SQLiteTransaction(db))
            return .commit
          }
          return result!
        }
      }
    }
  }

  // Writes exclude each other here, so a plain select-then-update claims alone.
  public func claimJob(worker: String, now: String, staleBefore: String) throws -> JobRecord? {
    try write { store in
      let queued = try store.jobs(inState: .queued).first
      let lapsed = try store.jobs(inState: .running).first { ($0.heartbeatAt ?? "") < staleBefore }
      guard var job = [queued, lapsed].compactMap({ $0 }).min(by: { $0.id! < $1.id! }) else { return nil }
      job.state = .running
      job.worker = worker
      job.startedAt = now
      job.heartbeatAt = now
      try store.update(job)
      return job
    }
  }

  public func heartbeat(job id: Int64, worker: String, now: String) throws -> Bool {
    try write { store in
      guard var job = try store.job(id: id), job.state == .running, job.worker == worker else { return false }
      job.heartbeatAt = now
      try store.update(job)
      return true
    }
  }

  /// SQLite's own errors as one-line store errors naming the file.
  private func storeErrors<T>(_ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as DatabaseError {
      throw StoreError("store \(path): \(error.message ?? error.description)")
    }
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
