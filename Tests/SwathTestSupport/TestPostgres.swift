import Foundation
import Synchronization
import Testing

/// A throwaway PostgreSQL cluster for the tests: `initdb` into a temporary folder, started on a
/// Unix socket there (no TCP port), PostGIS in its template so every new database has it. A
/// watchdog process stops the cluster and removes its folder when this test process ends,
/// however it ends (a failed test, a crash, a kill).
public enum TestPostgres {
  /// Whether the workflow and API tests keep their workspaces in PostgreSQL
  /// (`SWATH_TEST_STORE=postgres`, tools/test's second pass) rather than SQLite.
  public static var isSelected: Bool {
    ProcessInfo.processInfo.environment["SWATH_TEST_STORE"] == "postgres"
  }

  /// Whether PostgreSQL and PostGIS are installed here (tools/setup installs them).
  public static var isInstalled: Bool { binaries != nil && postgisInstalled }

  /// The store a test workspace uses: nil for SQLite, else the address of a new empty database.
  public static func workspaceStore() throws -> String? {
    isSelected ? try newDatabase() : nil
  }

  /// A new empty database with PostGIS, as a store address.
  public static func newDatabase() throws -> String {
    let cluster = try Cluster.shared()
    let name = "swath_\(UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(16).lowercased())"
    try cluster.sql("CREATE DATABASE \(name)")
    return cluster.address(database: name)
  }

  /// Runs SQL in a database of the cluster (for tests that break things: terminate sessions).
  public static func sql(_ statement: String, database: String = "postgres") throws {
    _ = try Cluster.shared().sql(statement, database: database)
  }

  /// The first column of a query's rows, as text, in the database a store address names.
  public static func column(_ query: String, store address: String) throws -> [String] {
    guard let name = URLComponents(string: address)?.path.split(separator: "/").first else {
      throw Failure(description: "\(address): names no database")
    }
    return try Cluster.shared().sql(query, database: String(name)).split(separator: "\n").map(String.init)
  }

  static let binaries: URL? = {
    let root = URL(fileURLWithPath: "/usr/lib/postgresql")
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []
    return
      versions
      .sorted { (Int($0) ?? 0) > (Int($1) ?? 0) }
      .map { root.appendingPathComponent($0).appendingPathComponent("bin") }
      .first { FileManager.default.isExecutableFile(atPath: $0.appendingPathComponent("initdb").path) }
  }()

  static var postgisInstalled: Bool {
    let extensions = URL(fileURLWithPath: "/usr/share/postgresql")
    let versions = (try? FileManager.default.contentsOfDirectory(atPath: extensions.path)) ?? []
    return versions.contains {
      FileManager.default.fileExists(
        atPath: extensions.appendingPathComponent("\($0)/extension/postgis.control").path)
    }
  }

  public struct Failure: Error, CustomStringConvertible {
    public let description: String
  }

  final class Cluster: Sendable {
    let folder: URL
    let port: Int
    let bin: URL

    private static let started = Mutex<Result<Cluster, Failure>?>(nil)

    static func shared() throws -> Cluster {
      try started.withLock { state in
        if state == nil {
          state = Result { try Cluster() }.mapError { ($0 as? Failure) ?? Failure(description: "\($0)") }
        }
        return try state!.get()
      }
    }

    private init() throws {
      guard let bin = TestPostgres.binaries else {
        throw Failure(description: "PostgreSQL is not installed (run tools/setup)")
      }
      self.bin = bin
      port = Int.random(in: 20_000...60_000)
      folder = URL(fileURLWithPath: "/tmp/swath-pg-\(UUID().uuidString.prefix(8))")
      let data = folder.appendingPathComponent("data")
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      // PostgreSQL refuses to run as root: the cluster belongs to the postgres user then.
      let asRoot = getuid() == 0
      if asRoot { try Self.shell("chown postgres \(folder.path)") }
      let user = asRoot ? "runuser -u postgres -- " : ""
      try Self.shell(
        "\(user)\(bin.path)/initdb -D \(data.path) -A trust -U postgres -E UTF8 --locale=C --no-sync")
      try Self.shell(
        "\(user)\(bin.path)/pg_ctl start -w -D \(data.path) -l \(folder.path)/log -o \"-k \(folder.path) "
          + "-c listen_addresses='' -p \(port) -F -c full_page_writes=off -c max_connections=400\"")
      // The watchdog: stops the cluster and removes its folder once this process is gone.
      let stop =
        (asRoot ? "runuser -u postgres -- " : "")
        + "\(bin.appendingPathComponent("pg_ctl").path) stop -D \(data.path) -m immediate"
      let watchdog = Process()
      watchdog.executableURL = URL(fileURLWithPath: "/bin/sh")
      watchdog.arguments = [
        "-c",
        "while kill -0 \(getpid()) 2>/dev/null; do sleep 1; done; \(stop) >/dev/null 2>&1; rm -rf \(folder.path)",
      ]
      watchdog.standardInput = FileHandle.nullDevice
      watchdog.standardOutput = FileHandle.nullDevice
      watchdog.standardError = FileHandle.nullDevice
      try watchdog.run()
      try sql("CREATE EXTENSION IF NOT EXISTS postgis", database: "template1")
    }

    func address(database: String) -> String {
      "postgres://postgres@localhost:\(port)/\(database)?host=\(folder.path)"
    }

    @discardableResult
    func sql(_ statement: String, database: String = "postgres") throws -> String {
      let result = try TestSupport.run(
        bin.appendingPathComponent("psql"),
        [
          "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-h", folder.path, "-p", "\(port)", "-U",
          "postgres",
          "-d", database, "-c", statement,
        ])
      try Self.check(result)
      return result.stdout
    }

    /// Runs a shell command and waits for it with waitpid: Foundation's Process never noticed
    /// runuser's exit (a zombie it did not reap) when pg_ctl left the server running.
    private static func shell(_ command: String) throws {
      let output = "/tmp/swath-pg-\(UUID().uuidString.prefix(8)).out"
      defer { unlink(output) }
      var pid: pid_t = 0
      let arguments = ["/bin/sh", "-c", "exec >\(output) 2>&1 </dev/null; \(command)"]
      var argv = arguments.map { strdup($0) } + [nil]
      defer { for pointer in argv { free(pointer) } }
      guard posix_spawn(&pid, "/bin/sh", nil, nil, &argv, environ) == 0 else {
        throw Failure(description: "PostgreSQL: cannot run \(command)")
      }
      var status: Int32 = 0
      while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
      guard status == 0 else {
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        throw Failure(description: "PostgreSQL: \(command): \(text)")
      }
    }

    private static func check(_ result: TestSupport.ProcessResult) throws {
      guard result.status == 0 else {
        throw Failure(description: "PostgreSQL: \(result.stderr.isEmpty ? result.stdout : result.stderr)")
      }
    }
  }
}

extension Trait where Self == ConditionTrait {
  /// For a test that reads or changes the SQLite file itself: not run when the workspaces are
  /// PostgreSQL databases.
  public static var sqliteFileOnly: Self {
    .enabled(if: !TestPostgres.isSelected, "reads the workspace's SQLite file directly")
  }
}
