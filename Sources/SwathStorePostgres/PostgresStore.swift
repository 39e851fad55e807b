import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import SwathStore
import Synchronization

/// The project store on a PostgreSQL database with PostGIS, shared by any number of server nodes
/// and workers. The store protocol is synchronous (use cases run on threads made for blocking
/// work), so each transaction holds one pooled PostgresNIO connection and waits for each query.
///
/// Write transactions exclude each other from the start, as SQLite's do: each takes one
/// transaction-scoped advisory lock first, so the workflow's read-then-write rules hold across
/// nodes. The busiest writes, one annotator's leases and answers, hold that lock shared and their
/// annotator's own lock, so different annotators' writes run side by side; the chips they share
/// are claimed with row locks (`FOR UPDATE SKIP LOCKED`). Reads see one snapshot (REPEATABLE READ) and never wait for writers. Job claims and
/// heartbeats skip that lock (`FOR UPDATE SKIP LOCKED`), so workers never queue behind requests.
public final class PostgresStore: ProjectStore, Sendable {
  /// Where the database is, without its password: for messages.
  public let location: String
  let pool: ConnectionPool
  private let migrated = Mutex(false)

  /// The key of the advisory lock every write transaction holds (any constant: "swath" in ASCII).
  static let writeLockKey: Int64 = 0x73_77_61_74_68

  /// Whether `text` names a PostgreSQL database (`postgres://…` or `postgresql://…`).
  public static func names(_ text: String) -> Bool {
    text.hasPrefix("postgres://") || text.hasPrefix("postgresql://")
  }

  /// A store at `url` (`postgres://user[:password]@host[:port]/database`, or a Unix socket folder
  /// as `?host=/path`). Nothing is connected yet: the first transaction connects and migrates,
  /// so a node can start while its database is still coming up.
  public init(url: String, maxConnections: Int = 16) throws {
    let target = try PostgresURL(url)
    location = target.description
    pool = ConnectionPool(configuration: target.configuration, limit: maxConnections, location: location)
  }

  /// Every migration this code knows, oldest first.
  public static var migrations: [String] { PostgresSchema.migrations.map(\.name) }

  /// Connects and migrates the schema now; throws an unavailable store error when the database
  /// cannot be reached. Several nodes starting together migrate once (an advisory lock).
  public func prepare() throws {
    if migrated.withLock({ $0 }) { return }
    try pool.withConnection { connection in
      try connection.transaction(begin: "BEGIN", locks: .exclusive) {
        try connection.run(
          "CREATE TABLE IF NOT EXISTS swath_migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
        let applied = try connection.appliedMigrations()
        for migration in PostgresSchema.migrations where !applied.contains(migration.name) {
          for statement in migration.statements { try connection.run(PostgresQuery(unsafeSQL: statement)) }
          var bindings = PostgresBindings()
          bindings.append(migration.name)
          bindings.append(Timestamp.now())
          try connection.run(
            PostgresQuery(
              unsafeSQL: "INSERT INTO swath_migrations (name, applied_at) VALUES ($1, $2)", binds: bindings))
        }
      }
    }
    migrated.withLock { $0 = true }
  }

  /// The migrations applied to this database, oldest first.
  public func appliedMigrations() throws -> [String] {
    try prepare()
    let applied = try pool.withConnection { try $0.appliedMigrations() }
    return Self.migrations.filter(applied.contains)
  }

  public func waitUntilReady(timeout: TimeInterval) throws {
    let deadline = Date().addingTimeInterval(timeout)
    var pause = 0.1
    while true {
      do {
        return try prepare()
      } catch let error as StoreError where error.unavailable && Date().addingTimeInterval(pause) < deadline {
        Thread.sleep(forTimeInterval: pause)
        pause = min(pause * 2, 2)
      }
    }
  }

  public func read<T>(_ body: (any StoreReader) throws -> T) throws -> T {
    try prepare()
    return try pool.withConnection { connection in
      try connection.transaction(
        begin: "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", locks: .none
      ) {
        try body(PostgresTransaction(connection))
      }
    }
  }

  public func write<T>(_ body: (any StoreWriter) throws -> T) throws -> T {
    try prepare()
    return try pool.withConnection { connection in
      try connection.transaction(begin: "BEGIN", locks: .exclusive) {
        try body(PostgresTransaction(connection))
      }
    }
  }

  /// Holds the write lock shared, so whole-store writes still exclude it, and `scope`'s own lock
  /// exclusively, so one user's writes stay in order. READ COMMITTED: after taking a row lock, a
  /// statement sees what the lock's previous holder committed.
  public func write<T>(scope: WriteScope, _ body: (any StoreWriter) throws -> T) throws -> T {
    try prepare()
    return try pool.withConnection { connection in
      try connection.transaction(begin: "BEGIN ISOLATION LEVEL READ COMMITTED", locks: .scoped(scope)) {
        try body(PostgresTransaction(connection))
      }
    }
  }

  /// The first key of the two-key advisory locks of scopes ("swat" in ASCII).
  static let scopeLockClass: Int32 = 0x73_77_61_74

  /// A scope's lock key: FNV-1a of its name. Two scopes that share a key only wait for each other.
  static func lockKey(of scope: WriteScope) -> Int32 {
    let name =
      switch scope {
      case .user(let user): "user:\(user)"
      }
    var hash: UInt32 = 2_166_136_261
    for byte in name.utf8 { hash = (hash ^ UInt32(byte)) &* 16_777_619 }
    return Int32(bitPattern: hash)
  }

  /// Runs `body` in its own transaction without the write lock: for rows one worker owns by a
  /// row lock (`SKIP LOCKED`), such as a job it claims.
  func unserialized<T>(_ body: (PostgresTransaction) throws -> T) throws -> T {
    try prepare()
    return try pool.withConnection { connection in
      try connection.transaction(begin: "BEGIN", locks: .none) {
        try body(PostgresTransaction(connection))
      }
    }
  }

  /// `SKIP LOCKED`: a job another worker is claiming at this instant is passed over, not waited for.
  public func claimJob(worker: String, now: String, staleBefore: String) throws -> JobRecord? {
    try unserialized { transaction in
      let claimed: JobRecord? = try transaction.one(
        """
        UPDATE jobs SET state = 'running', worker = $1, started_at = $2, heartbeat_at = $2
        WHERE id = (
          SELECT id FROM jobs
          WHERE state = 'queued' OR (state = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < $3))
          ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING *
        """, [.text(worker), .text(now), .text(staleBefore)])
      return claimed
    }
  }

  public func heartbeat(job id: Int64, worker: String, now: String) throws -> Bool {
    try unserialized { transaction in
      try !transaction.rows(
        "UPDATE jobs SET heartbeat_at = $1 WHERE id = $2 AND state = 'running' AND worker = $3 RETURNING id",
        [.text(now), .integer(id), .text(worker)]
      ).isEmpty
    }
  }

  /// Closes every idle connection (a process about to exit).
  public func close() { pool.closeAll() }
}

/// A fixed number of connections, each used by one transaction at a time. A connection the
/// server dropped is discarded, so the pool recovers when the database comes back.
final class ConnectionPool: Sendable {
  private let configuration: PostgresConnection.Configuration
  private let location: String
  private let idle = Mutex<[PostgresConnection]>([])
  private let slots: DispatchSemaphore
  private let logger = Logger(label: "swath.postgres")
  private let nextId = Atomic<Int>(1)

  init(configuration: PostgresConnection.Configuration, limit: Int, location: String) {
    self.configuration = configuration
    self.location = location
    slots = DispatchSemaphore(value: limit)
  }

  deinit { closeAll(waiting: false) }

  func withConnection<T>(_ body: (PostgresConnection) throws -> T) throws -> T {
    slots.wait()
    defer { slots.signal() }
    // A connection the server dropped while idle (a restart) is noticed here, not mid-request.
    var reused: PostgresConnection?
    while reused == nil, let next = idle.withLock({ $0.popLast() }) {
      if next.isClosed { continue }
      reused = next
    }
    let connection = try reused ?? connect()
    do {
      let result = try body(connection)
      release(connection)
      return result
    } catch {
      release(connection)
      throw StoreErrors.translate(error, location: location)
    }
  }

  private func release(_ connection: PostgresConnection) {
    if connection.isClosed {
      let closing: EventLoopFuture<Void> = connection.close()
      closing.whenComplete { _ in withExtendedLifetime(connection) {} }
    } else {
      idle.withLock { $0.append(connection) }
    }
  }

  private func connect() throws -> PostgresConnection {
    let id = nextId.wrappingAdd(1, ordering: .relaxed).oldValue
    do {
      return try PostgresConnection.connect(
        on: MultiThreadedEventLoopGroup.singleton.next(), configuration: configuration, id: id, logger: logger
      ).wait()
    } catch {
      // Whatever the reason (refused, shutting down, not accepting sessions), no session.
      let translated = StoreErrors.translate(error, location: location)
      if let storeError = translated as? StoreError, !storeError.unavailable {
        throw StoreError(storeError.message, unavailable: true)
      }
      throw translated
    }
  }

  func closeAll(waiting: Bool = true) {
    for connection in idle.withLock({ connections in
      defer { connections.removeAll() }
      return connections
    }) {
      let closing: EventLoopFuture<Void> = connection.close()
      // PostgresNIO insists a connection is closed before it is freed: the callback keeps it.
      if waiting {
        try? closing.wait()
      } else {
        closing.whenComplete { _ in withExtendedLifetime(connection) {} }
      }
    }
  }
}

/// PostgreSQL's and PostgresNIO's errors as one-line store errors.
enum StoreErrors {
  static func translate(_ error: any Error, location: String) -> any Error {
    guard let error = error as? PSQLError else { return error }
    if error.code == .server, let message = error.serverInfo?[.message] {
      let detail = error.serverInfo?[.detail].map { " (\($0))" } ?? ""
      // Admin shutdown, crash recovery, too many connections: the database, not the request.
      let state = error.serverInfo?[.sqlState] ?? ""
      let unavailable = state.hasPrefix("57P") || state.hasPrefix("08") || state == "53300"
      return StoreError("store \(location): \(message)\(detail)", unavailable: unavailable)
    }
    let reason =
      switch error.code {
      case .connectionError: "cannot connect: \(error.underlying.map { "\($0)" } ?? "connection refused")"
      case .serverClosedConnection, .uncleanShutdown: "the database closed the connection"
      case .clientClosedConnection: "the connection was closed"
      default: "\(error.code)"
      }
    return StoreError("store \(location): \(reason)", unavailable: true)
  }
}

extension PostgresConnection {
  private static let logger = Logger(label: "swath.postgres")

  /// One statement, its rows collected.
  func rows(_ query: PostgresQuery) throws -> [PostgresRow] {
    try self.query(query, logger: Self.logger).wait().rows
  }

  func run(_ query: PostgresQuery) throws { _ = try self.query(query, logger: Self.logger).wait() }

  /// The advisory locks a transaction takes first, held until it ends.
  enum WriteLocks {
    /// None: a read, or rows one worker owns by a row lock.
    case none
    /// The store's write lock: writes exclude each other from the start.
    case exclusive
    /// The write lock shared (whole-store writes still exclude it) and the scope's own lock.
    case scoped(WriteScope)
  }

  /// `body` in one transaction, after taking `locks`: committed when it returns, rolled back
  /// when it throws.
  func transaction<T>(begin: PostgresQuery, locks: WriteLocks, _ body: () throws -> T) throws -> T {
    try run(begin)
    do {
      switch locks {
      case .none: break
      case .exclusive: try run("SELECT pg_advisory_xact_lock(\(PostgresStore.writeLockKey))")
      case .scoped(let scope):
        try run("SELECT pg_advisory_xact_lock_shared(\(PostgresStore.writeLockKey))")
        try run(
          "SELECT pg_advisory_xact_lock(\(PostgresStore.scopeLockClass), \(PostgresStore.lockKey(of: scope)))"
        )
      }
      let result = try body()
      try run("COMMIT")
      return result
    } catch {
      rollBack()
      throw error
    }
  }

  /// The names of the migrations applied to this database.
  func appliedMigrations() throws -> Set<String> {
    Set(try rows("SELECT name FROM swath_migrations").map { try $0.decode(String.self) })
  }

  /// Ends a failed transaction; a connection that cannot is closed rather than reused.
  func rollBack() {
    do {
      try run("ROLLBACK")
    } catch {
      let closing: EventLoopFuture<Void> = close()
      try? closing.wait()
    }
  }
}

/// A database address: `postgres://user[:password]@host[:port]/database[?host=/socket/folder]`;
/// the password may come from `PGPASSWORD` instead.
struct PostgresURL: CustomStringConvertible {
  let configuration: PostgresConnection.Configuration
  let description: String

  init(_ text: String) throws {
    guard PostgresStore.names(text), let components = URLComponents(string: text) else {
      throw StoreError("\(text): not a PostgreSQL address (postgres://user@host:port/database)")
    }
    let database = String(components.path.drop(while: { $0 == "/" }))
    guard !database.isEmpty else { throw StoreError("\(text): names no database (…/DATABASE)") }
    let user = components.user ?? ProcessInfo.processInfo.environment["USER"] ?? "postgres"
    // As libpq does: an address without a password takes PGPASSWORD, so the address (and the
    // workspace's swath.store) need not hold it.
    let password = components.password ?? ProcessInfo.processInfo.environment["PGPASSWORD"]
    let port = components.port ?? 5432
    var configuration: PostgresConnection.Configuration
    if let socketFolder = components.queryItems?.first(where: { $0.name == "host" })?.value,
      socketFolder.hasPrefix("/")
    {
      configuration = .init(
        unixSocketPath: "\(socketFolder)/.s.PGSQL.\(port)", username: user, password: password,
        database: database)
      description = "postgres://\(user)@\(socketFolder):\(port)/\(database)"
    } else {
      let host = components.host.flatMap { $0.isEmpty ? nil : $0 } ?? "127.0.0.1"
      configuration = .init(
        host: host, port: port, username: user, password: password, database: database, tls: .disable)
      description = "postgres://\(user)@\(host):\(port)/\(database)"
    }
    configuration.options.connectTimeout = .seconds(5)
    self.configuration = configuration
  }
}
