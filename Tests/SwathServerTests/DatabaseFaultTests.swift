import Foundation
import SwathTestSupport
import Testing

/// A node on PostgreSQL when its database is not there: at start, and lost in the middle.
@Suite(
  .enabled(if: TestPostgres.isInstalled || TestSupport.isCI, "needs PostgreSQL (tools/setup)"), .serialized)
struct DatabaseFaultTests {
  struct Answer {
    var status: Int
    var body: String
  }

  static func request(_ method: String, _ url: String, token: String? = nil, json: String? = nil) throws
    -> Answer
  {
    var arguments = ["curl", "-s", "--max-time", "20", "-w", "\n%{http_code}", "-X", method]
    if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
    if let json { arguments += ["-H", "Content-Type: application/json", "--data-binary", json] }
    let result = try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), arguments + [url])
    let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false)
    return Answer(status: Int(lines.last ?? "") ?? 0, body: lines.dropLast().joined(separator: "\n"))
  }

  static func databaseName(_ address: String) -> String {
    String(URLComponents(string: address)!.path.dropFirst())
  }

  /// Refuses new sessions and ends the open ones: the database is gone as far as Swath can tell.
  static func takeAway(_ address: String) throws {
    let name = databaseName(address)
    try TestPostgres.sql("ALTER DATABASE \(name) ALLOW_CONNECTIONS false")
    try TestPostgres.sql(
      "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '\(name)' AND pid <> pg_backend_pid()"
    )
  }

  static func giveBack(_ address: String) throws {
    try TestPostgres.sql("ALTER DATABASE \(databaseName(address)) ALLOW_CONNECTIONS true")
  }

  static func waitUntilReady(_ server: LiveServer, seconds: Double = 30) throws -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if try request("GET", "\(server.url)/readyz").status == 200 { return true }
      usleep(200_000)
    }
    return false
  }

  @Test func aNodeStartedBeforeItsDatabaseServes503UntilTheDatabaseComes() throws {
    let address = try TestPostgres.newDatabase()
    let folder = try TestSupport.temporaryDirectory("swath-dbdown")
    defer { try? FileManager.default.removeItem(at: folder) }
    try Self.takeAway(address)
    let server = try LiveServer.start(workspace: folder, arguments: ["--store", address])
    defer { server.stop() }
    let notReady = try Self.request("GET", "\(server.url)/readyz")
    #expect(notReady.status == 503 && notReady.body.contains("unavailable"), "\(notReady)")
    let anonymous = try Self.request("GET", "\(server.url)/api/v1/me", token: "swath_nobody")
    #expect(anonymous.status == 503, "\(anonymous)")
    try Self.giveBack(address)
    #expect(try Self.waitUntilReady(server))
    let log = try String(contentsOf: server.log, encoding: .utf8)
    #expect(log.contains("the store is unavailable") && log.contains("retrying in"), "\(log)")
    // The node migrated the new database itself: users can be added and sign in.
    let added = try TestSupport.swath([
      "user", "add", "ana", "--role", "annotator", "--workspace", folder.path, "--store", address,
    ])
    #expect(added.status == 0, "\(added.stderr)")
    let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let me = try Self.request("GET", "\(server.url)/api/v1/me", token: token)
    #expect(me.status == 200 && me.body.contains("\"ana\""), "\(me)")
  }

  @Test func aDatabaseLostMidwayFailsRequestsWith503AndTheNodeRecovers() throws {
    let address = try TestPostgres.newDatabase()
    let folder = try TestSupport.temporaryDirectory("swath-dblost")
    defer { try? FileManager.default.removeItem(at: folder) }
    #expect(try TestSupport.swath(["init", folder.path, "--store", address]).status == 0)
    // The address may carry a password: only its owner reads the file that records it.
    let recorded = try FileManager.default.attributesOfItem(
      atPath: folder.appendingPathComponent("swath.store").path)
    #expect((recorded[.posixPermissions] as? NSNumber)?.intValue == 0o600)
    let added = try TestSupport.swath(["user", "add", "root", "--role", "admin", "--workspace", folder.path])
    let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    let server = try LiveServer.start(workspace: folder)
    defer { server.stop() }
    #expect(try Self.waitUntilReady(server))
    #expect(try Self.request("GET", "\(server.url)/api/v1/me", token: token).status == 200)

    try Self.takeAway(address)
    let body = #"{"name":"eve","role":"analyst"}"#
    let lost = try Self.request("POST", "\(server.url)/api/v1/users", token: token, json: body)
    #expect(lost.status == 503 && lost.body.contains("unavailable"), "\(lost)")
    #expect(try Self.request("GET", "\(server.url)/readyz").status == 503)
    // The node itself is still up: health does not need the database.
    #expect(try Self.request("GET", "\(server.url)/healthz").status == 200)

    try Self.giveBack(address)
    #expect(try Self.waitUntilReady(server))
    let retried = try Self.request("POST", "\(server.url)/api/v1/users", token: token, json: body)
    #expect(retried.status == 201, "\(retried)")
    // The failed attempt wrote nothing: one eve, one audit entry for her.
    let users = try TestPostgres.column("SELECT COUNT(*) FROM users WHERE name = 'eve'", store: address)
    #expect(users == ["1"])
    let audits = try TestPostgres.column(
      "SELECT COUNT(*) FROM audit_log WHERE action = 'user.add' AND detail LIKE 'eve%'", store: address)
    #expect(audits == ["1"])
  }
}
