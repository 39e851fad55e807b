import Crypto
import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// Users, tokens and the roles table, through the workflow every front end calls.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct AccessTests {
  @Test(.sqliteFileOnly) func tokensAreIssuedOnceAndOnlyTheirHashIsStored() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let added = try TestSupport.swath(["user", "add", "eve", "--role", "analyst", "--workspace", url.path])
    #expect(added.status == 0, "\(added.stderr)")
    let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    // 256 random bits, base64url: 43 characters after the prefix.
    #expect(token.hasPrefix("swath_") && token.count == 6 + 43, "\(token)")
    #expect(added.stderr.contains("shown once"))
    let row = try #require(
      try store.sql { db in try UserRecord.filter(Column("name") == "eve").fetchOne(db) })
    let expected = SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
    #expect(row.tokenHash == expected && row.role == .analyst && !row.disabled)
    // The token itself is nowhere in the database file or its WAL. Searched by another process:
    // opening and closing the file here would drop this process's SQLite locks (POSIX locks
    // belong to the process, not the descriptor).
    let files = ["swath.sqlite", "swath.sqlite-wal"].map { url.appendingPathComponent($0).path }
    let search = try TestSupport.tool("grep", ["-l", "-a", "-F", token] + files)
    #expect(search.status == 1 && search.stdout.isEmpty, "the token is stored in \(search.stdout)")
    // The same search does find the hash: the files were read.
    #expect(try TestSupport.tool("grep", ["-l", "-a", "-F", expected] + files).status == 0)
    let caller = try store.authenticate(token: token, command: "GET /")
    #expect(caller == Caller(name: "eve", role: .analyst, command: "GET /"))

    // A second token replaces the first at once.
    let rotated = try TestSupport.swath(["user", "token", "eve", "--workspace", url.path])
    let newToken = rotated.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(rotated.status == 0 && newToken != token && newToken.hasPrefix("swath_"))
    #expect(throws: WorkflowError.self) { try store.authenticate(token: token, command: "GET /") }
    #expect(try store.authenticate(token: newToken, command: "GET /").name == "eve")

    // Disabled: the token stops working; unknown and disabled read the same.
    #expect(try TestSupport.swath(["user", "disable", "eve", "--workspace", url.path]).status == 0)
    for bad in [newToken, "swath_nope", ""] {
      let error = #expect(throws: WorkflowError.self) { try store.authenticate(token: bad, command: "GET /") }
      #expect(error?.kind == .unauthenticated && error?.message == "invalid or revoked token")
    }
    let listed = try TestSupport.swath(["user", "list", "--workspace", url.path])
    #expect(listed.stdout.contains("eve\tanalyst\tdisabled"), "\(listed.stdout)")
    let duplicate = try TestSupport.swath(["user", "add", "eve", "--role", "admin", "--workspace", url.path])
    #expect(duplicate.status == 1 && duplicate.stderr == "swath: a user named 'eve' already exists\n")
    let badRole = try TestSupport.swath(["user", "add", "mallory", "--role", "root", "--workspace", url.path])
    #expect(badRole.status == 2)
    let audit = try store.sql { db in
      try String.fetchAll(db, sql: "SELECT action FROM audit_log WHERE action LIKE 'user.%' ORDER BY id")
    }
    #expect(audit.suffix(3) == ["user.add", "user.token", "user.disable"])
  }

  /// One row per use case: which roles may call it. Every cell is checked.
  static let table: [(name: String, allowed: Set<Role>)] = [
    ("manage users", [.admin]),
    ("register images", [.analyst, .admin]),
    ("list images", [.analyst, .admin]),
    ("create and assign tasks", [.analyst, .admin]),
    ("task status", [.analyst, .admin]),
    ("consensus", [.analyst, .admin]),
    ("export", [.analyst, .admin]),
    ("see reviews", [.reviewer, .analyst, .admin]),
    ("set review thresholds", [.analyst, .admin]),
    ("manage gold", [.analyst, .admin]),
    ("see gold", [.analyst, .admin]),
    ("see gold records", [.analyst, .admin]),
    ("set the minimum gold F1", [.analyst, .admin]),
    ("lease review work", [.reviewer, .admin]),
    ("decide objects", [.reviewer, .admin]),
    ("add objects", [.reviewer, .admin]),
    ("validate chips", [.reviewer, .admin]),
  ]

  @Test(arguments: Role.allCases)
  func rolesTableIsEnforcedCellByCell(_ role: Role) throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store, chipSize: 400)
    let caller = Caller(name: "someone", role: role, command: "test")
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(Fixtures.landsat).path)
    let attempts: [String: () throws -> Void] = [
      "manage users": { _ = try store.addUser("u-\(role.rawValue)", role: .annotator, by: caller) },
      "register images": {
        _ = try store.registerImage(inspection, name: "again-\(role.rawValue)", by: caller)
      },
      "list images": { _ = try store.images(by: caller) },
      "create and assign tasks": {
        _ = try store.assign(task: "roofs", annotators: ["ana", "ben"], by: caller)
      },
      "task status": { _ = try store.status(task: "roofs", by: caller) },
      "consensus": { _ = try store.runConsensus(task: "roofs", by: caller) },
      "export": {
        _ = try store.export(task: "roofs", out: url.appendingPathComponent("x.geojson").path, by: caller)
      },
      "see reviews": { _ = try store.reviewList(task: "roofs", by: caller) },
      "manage gold": {
        _ = try store.addGold(task: "roofs", truth: Data("{}".utf8), chips: ["r0_c0"], by: caller)
      },
      "see gold": { _ = try store.gold(task: "roofs", by: caller) },
      "see gold records": { _ = try store.goldRecord(task: "roofs", by: caller) },
      "set the minimum gold F1": { try store.setGoldMinF1(task: "roofs", 0.5, by: caller) },
      "set review thresholds": { try store.setReviewThresholds(task: "roofs", .defaults, by: caller) },
      "lease review work": { _ = try store.nextReview(task: "roofs", reviewer: "someone", by: caller) },
      "decide objects": { _ = try store.decide(task: "roofs", object: "1-0", .accept, by: caller) },
      "add objects": { _ = try store.addObject(task: "roofs", Data("{}".utf8), pixelChip: nil, by: caller) },
      "validate chips": {
        _ = try store.reviewChip(task: "roofs", chip: "r0_c0", verdict: .validated, comment: nil, by: caller)
      },
    ]
    for (name, allowed) in Self.table {
      do {
        try attempts[name]!()
        #expect(allowed.contains(role), "\(role) may not \(name), yet it did")
      } catch let error as WorkflowError {
        if allowed.contains(role) {
          // Allowed, and refused for another reason (no submission yet, no run yet).
          #expect(error.kind != .forbidden, "\(role) may \(name): \(error.message)")
        } else {
          #expect(error.kind == .forbidden, "\(role) \(name): \(error.message)")
        }
      }
    }
  }

  @Test(.sqliteFileOnly) func annotatorsActOnlyForThemselvesAndMustBeRegistered() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store, chipSize: 400)
    _ = try store.assign(task: "roofs", annotators: ["ana", "ben"], by: .test)
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    #expect(try store.queue(annotator: "ana", task: "roofs", by: ana).pending.count == 4)
    // Another annotator's queue does not exist for ana.
    let hidden = #expect(throws: WorkflowError.self) { try store.queue(annotator: "ben", task: nil, by: ana) }
    #expect(hidden?.kind == .notFound && hidden?.message == "no annotator named 'ben'")
    let before = try store.sql { db in try SubmissionRecord.fetchCount(db) }
    let asBen = #expect(throws: WorkflowError.self) {
      try store.submit(
        task: "roofs", annotator: "ben", fileName: "x.geojson", raw: Data("{}".utf8), chip: nil, pixel: false,
        by: ana)
    }
    #expect(asBen?.kind == .forbidden)
    // The CLI acts as a local admin, but only for registered annotators; nothing is stored.
    let file = try Fixtures.writeJSON(
      #"{"type":"FeatureCollection","features":[]}"#, in: url, name: "e.geojson")
    let stranger = try TestSupport.swath([
      "submit", "roofs", file.path, "--annotator", "zed", "--chip", "r0_c0", "--workspace", url.path,
    ])
    #expect(
      stranger.status == 1 && stranger.stderr.contains("no annotator named 'zed'"), "\(stranger.stderr)")
    let unknownAssign = try TestSupport.swath([
      "task", "assign", "roofs", "--annotators", "ana,zed", "--workspace", url.path,
    ])
    #expect(unknownAssign.status == 1 && unknownAssign.stderr.contains("no annotator named 'zed'"))
    #expect(try store.sql { db in try SubmissionRecord.fetchCount(db) } == before)
    _ = try store.addUser("rita", role: .reviewer, by: .test)
    let notAnnotator = try TestSupport.swath([
      "submit", "roofs", file.path, "--annotator", "rita", "--chip", "r0_c0", "--workspace", url.path,
    ])
    #expect(
      notAnnotator.stderr.contains("user 'rita' is a reviewer, not an annotator"), "\(notAnnotator.stderr)")
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct HistoryTests {
  @Test func annotatorsSeeOnlyTheirOwnSubmissionsAndAnalystsFilterTheAuditLog() throws {
    let task = try AtlantaTask(annotators: "ana,ben")
    defer { task.remove() }
    let good = try task.file(
      "good.geojson", GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))]))
    let bad = try task.file(
      "bad.geojson", GeoJSONFixture.collection([("tree", GeoJSONFixture.pixelSquare(30, 30, 90, 80))]))
    try task.run(["submit", "roofs", good.path, "--annotator", "ana", "--chip", "r0000_c0000", "--pixel"])
    _ = try task.swath([
      "submit", "roofs", bad.path, "--annotator", "ana", "--chip", "r0000_c0000", "--pixel",
    ])
    try task.run(["submit", "roofs", good.path, "--annotator", "ben", "--chip", "r0000_c0000", "--pixel"])
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    let mine = try task.store.submissions(of: "ana", task: "roofs", by: ana)
    #expect(mine.map(\.status) == ["accepted", "rejected"])
    #expect(mine.allSatisfy { $0.chip == "r0000_c0000" && $0.coordinates == "pixel" })
    #expect(mine[1].reason?.contains("label outside the task's labels") == true)
    #expect(mine[1].report?["issues"]?.arrayValue?.first?["code"]?.stringValue == "unknown-label")
    let hidden = #expect(throws: WorkflowError.self) {
      try task.store.submissions(of: "ben", task: "roofs", by: ana)
    }
    #expect(hidden?.kind == .notFound)
    #expect(throws: WorkflowError.self) { try task.store.auditLog(by: ana) }

    let analyst = Caller(name: "eve", role: .analyst, command: "test")
    let bens = try task.store.auditLog(user: "ben", task: "roofs", by: analyst)
    #expect(bens.map(\.action) == ["submission.receive", "submission.accept"])
    let all = try task.store.auditLog(task: "roofs", by: analyst)
    #expect(all.first?.action == "task.create" && all.contains { $0.action == "task.assign" })
    #expect(all.filter { $0.action == "submission.reject" }.count == 1)
    let later = try task.store.auditLog(since: "2999-01-01T00:00:00Z", by: analyst)
    #expect(later.isEmpty)
    let cli = try task.swath(["audit", "--user", "ben", "--json"])
    #expect(cli.status == 0 && cli.stdout.contains("\"action\" : \"submission.accept\""), "\(cli.stdout)")
    let listed = try task.swath(["submissions", "roofs", "--annotator", "ana"])
    #expect(listed.stdout.split(separator: "\n").count == 2, "\(listed.stdout)")
  }
}
