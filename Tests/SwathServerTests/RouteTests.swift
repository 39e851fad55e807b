import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathServer
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct RouteTests {
  /// Who asks: the fixture's users, no token, a token nobody has, a disabled user's token.
  static let callers: [String?] = ["ana", "rev", "alice", "adm", nil, "swath_not-a-token", "gone"]

  struct Case: Sendable {
    var method: HTTPRequest.Method
    var uri: String
    var body: String? = nil
    var contentType: String? = nil
    /// Expected status for ana, rev, alice, adm; no token, bad token and disabled give 401.
    var expected: [String: Int]
    var isPublic = false
  }

  static func roles(annotator: Int, reviewer: Int, analyst: Int, admin: Int) -> [String: Int] {
    ["ana": annotator, "rev": reviewer, "alice": analyst, "adm": admin]
  }

  static let cases: [Case] = [
    Case(
      method: .get, uri: "/healthz", expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200),
      isPublic: true),
    Case(
      method: .get, uri: "/readyz", expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200),
      isPublic: true),
    Case(
      method: .get, uri: "/api/v1/openapi.yaml",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200), isPublic: true),
    Case(
      method: .get, uri: "/api/v1/me",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/metrics", expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/queue",
      expected: roles(annotator: 200, reviewer: 403, analyst: 403, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/me/tasks",
      expected: roles(annotator: 200, reviewer: 403, analyst: 403, admin: 200)),
    // Reviewers see any chip: review work of any task may reach them.
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/chips/r0001_c0001",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/chips/r0001_c0001.png",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=32",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200)),
    // `{}` is no FeatureCollection: ana's is stored and rejected (422); the admin is assigned
    // nowhere, so the chip does not exist for them.
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/chips/r0001_c0001/submissions", body: "{}",
      contentType: "application/geo+json",
      expected: roles(annotator: 422, reviewer: 403, analyst: 403, admin: 404)),
    // ana is assigned r0001_c0001: she may give it back; the admin is no annotator (400).
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/chips/r0001_c0001/flags", body: #"{"kind": "skip"}"#,
      contentType: "application/json",
      expected: roles(annotator: 201, reviewer: 403, analyst: 403, admin: 400)),
    // roofs assigns its chips: it gives out no leases (409).
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/leases",
      expected: roles(annotator: 409, reviewer: 403, analyst: 403, admin: 400)),
    Case(
      method: .get, uri: "/api/v1/leases",
      expected: roles(annotator: 200, reviewer: 403, analyst: 403, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/leases/1/extend",
      expected: roles(annotator: 404, reviewer: 403, analyst: 403, admin: 404)),
    Case(
      method: .post, uri: "/api/v1/leases/1/release",
      expected: roles(annotator: 404, reviewer: 403, analyst: 403, admin: 404)),
    // ana is assigned 16 chips; admins may annotate too (their own work: none here).
    Case(
      method: .get, uri: "/api/v1/me/statistics",
      expected: roles(annotator: 200, reviewer: 403, analyst: 403, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/submissions?task=roofs",
      expected: roles(annotator: 200, reviewer: 403, analyst: 403, admin: 200)),
    // Review: no consensus run yet, a conflict with the task's state once the role may ask.
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/review",
      expected: roles(annotator: 403, reviewer: 409, analyst: 409, admin: 409)),
    Case(
      method: .put, uri: "/api/v1/tasks/roofs/review/thresholds", body: #"{"accept": 0.9, "reject": 0.2}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/review/next",
      expected: roles(annotator: 403, reviewer: 409, analyst: 403, admin: 409)),
    // No review lease #1: reviewers and admins are told so; the others may not review.
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/review/leases/1/release",
      expected: roles(annotator: 403, reviewer: 404, analyst: 403, admin: 404)),
    // Nothing answered yet: no chip to validate.
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/review/next-chip",
      expected: roles(annotator: 403, reviewer: 204, analyst: 403, admin: 204)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/review/objects",
      body: #"{"feature": {"type": "Feature", "properties": {"label": "building"}, "geometry": null}}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 409, analyst: 403, admin: 409)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/review/objects/1-0/decisions",
      body: #"{"decision": "accept"}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 409, analyst: 403, admin: 409)),
    // The chip as a reviewer sees it (no run yet: no objects).
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/chips/r0001_c0001/review",
      expected: roles(annotator: 403, reviewer: 200, analyst: 403, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/chips/r0001_c0001/review", body: #"{"verdict": "validated"}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 201, analyst: 403, admin: 201)),
    Case(
      method: .get, uri: "/api/v1/images",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    // A path that is not there: 404, and only once the role allows the server to look.
    Case(
      method: .post, uri: "/api/v1/images", body: #"{"path": "/nonexistent/scene.tif"}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 404, admin: 404)),
    Case(
      method: .post, uri: "/api/v1/tasks", body: #"{"name": "t2", "image": "nope", "labels": ["building"]}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 404, admin: 404)),
    Case(
      method: .post, uri: "/api/v1/tasks/nope/close",
      expected: roles(annotator: 403, reviewer: 403, analyst: 404, admin: 404)),
    Case(
      method: .get, uri: "/api/v1/audit?user=ana",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/labels",
      expected: roles(annotator: 200, reviewer: 200, analyst: 200, admin: 200)),
    // The same names as a schema: allowed whatever has been submitted.
    Case(
      method: .put, uri: "/api/v1/tasks/roofs/labels",
      body: #"{"labels": [{"name": "building"}, {"name": "vehicle"}]}"#, contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/status",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/assignments", body: #"{"annotators": ["ana"]}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    // Queued as a background job (202); it fails later, with no accepted submission yet.
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/consensus",
      expected: roles(annotator: 403, reviewer: 403, analyst: 202, admin: 202)),
    Case(
      method: .get, uri: "/api/v1/jobs/999",
      expected: roles(annotator: 404, reviewer: 404, analyst: 404, admin: 404)),
    // No consensus run yet: a conflict with the task's state.
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/export?format=gpkg",
      expected: roles(annotator: 403, reviewer: 403, analyst: 409, admin: 409)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/exports", body: #"{"format": "gpkg"}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 409, admin: 409)),
    Case(
      method: .get, uri: "/api/v1/jobs/999/archive",
      expected: roles(annotator: 403, reviewer: 403, analyst: 404, admin: 404)),
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/gold",
      body: #"{"truth": {"type": "FeatureCollection", "features": []}, "chips": ["r0001_c0001"]}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 201, admin: 201)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/gold",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .put, uri: "/api/v1/tasks/roofs/gold/min-f1", body: #"{"min_f1": 0.5}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    // r0001_c0001 is gold since the case above.
    Case(
      method: .post, uri: "/api/v1/tasks/roofs/gold/promote", body: #"{"chips": ["r0001_c0001"]}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 409, admin: 409)),
    Case(
      method: .get, uri: "/api/v1/tasks/roofs/gold/record",
      expected: roles(annotator: 403, reviewer: 403, analyst: 200, admin: 200)),
    Case(
      method: .get, uri: "/api/v1/users",
      expected: roles(annotator: 403, reviewer: 403, analyst: 403, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/users", body: #"{"name": "newbie", "role": "annotator"}"#,
      contentType: "application/json",
      expected: roles(annotator: 403, reviewer: 403, analyst: 403, admin: 201)),
    Case(
      method: .post, uri: "/api/v1/users/temp1/disable",
      expected: roles(annotator: 403, reviewer: 403, analyst: 403, admin: 200)),
    Case(
      method: .post, uri: "/api/v1/users/temp2/token",
      expected: roles(annotator: 403, reviewer: 403, analyst: 403, admin: 200)),
  ]

  @Test func everyRoleGetsItsStatusOnEveryEndpoint() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      for testCase in Self.cases {
        for caller in Self.callers {
          let expected =
            caller.flatMap { testCase.expected[$0] } ?? (testCase.isPublic ? 200 : 401)
          let response = try await client.execute(
            uri: testCase.uri, method: testCase.method,
            headers: fixture.headers(caller, contentType: testCase.contentType),
            body: testCase.body?.buffer)
          #expect(
            Int(response.status.code) == expected,
            "\(testCase.method) \(testCase.uri) as \(caller ?? "no token"): \(response.status) \(response.body.text)"
          )
          if response.status.code >= 400 {
            #expect(response.headers[.contentType] == "application/problem+json")
            let problem = response.body.json
            #expect(problem?["type"]?.stringValue?.hasPrefix("https://swath.dev/problems/") == true)
            #expect(problem?["status"]?.integerValue == Int64(response.status.code))
            #expect(problem?["title"]?.stringValue != nil && problem?["detail"]?.stringValue != nil)
          }
          if response.status == .unauthorized {
            #expect(response.headers[.wwwAuthenticate] == #"Bearer realm="swath""#)
          }
        }
      }
    }
  }

  @Test func anotherAnnotatorsChipsAndTasksDoNotExist() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let pairs: [(HTTPRequest.Method, String, String)] = [
        (.get, "/api/v1/tasks/roofs/chips/r0001_c0001", "/api/v1/tasks/nosuch/chips/r0001_c0001"),
        (.get, "/api/v1/tasks/roofs/chips/r0001_c0001.png", "/api/v1/tasks/nosuch/chips/r0001_c0001.png"),
        (
          .get, "/api/v1/tasks/roofs/chips/r0001_c0001/context.png",
          "/api/v1/tasks/nosuch/chips/r0001_c0001/context.png"
        ),
        (
          .post, "/api/v1/tasks/roofs/chips/r0001_c0001/submissions",
          "/api/v1/tasks/nosuch/chips/r0001_c0001/submissions"
        ),
        (.get, "/api/v1/queue?task=roofs", "/api/v1/queue?task=nosuch"),
      ]
      let body = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(10, 10, 60, 60))])
      for (method, ana, missing) in pairs {
        let headers = fixture.headers("ben", contentType: "application/geo+json")
        let theirs = try await client.execute(uri: ana, method: method, headers: headers, body: body.buffer)
        let none = try await client.execute(uri: missing, method: method, headers: headers, body: body.buffer)
        #expect(theirs.status == .notFound, "\(method) \(ana) as ben: \(theirs.status)")
        #expect(none.status == .notFound)
        // Word for word what a task that does not exist answers, but for the name asked for.
        let theirDetail = theirs.body.json?["detail"]?.stringValue?.replacingOccurrences(
          of: "roofs", with: "nosuch")
        #expect(theirDetail == none.body.json?["detail"]?.stringValue)
      }
      // ben's own queue is there, and empty.
      let queue = try await client.execute(
        uri: "/api/v1/queue", method: .get, headers: fixture.headers("ben"))
      #expect(queue.status == .ok && queue.body.json?["pending"]?.arrayValue?.isEmpty == true)
    }
    // Nothing of ben's was stored.
    let status = try fixture.workspace.status(task: "roofs", by: ServerFixture.admin)
    #expect(status.perAnnotator.allSatisfy { $0.annotator != "ben" })
  }

  @Test func malformedRequestsAreProblemsNeverServerErrors() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient(maxBodyBytes: 64 << 10) { client in
      func problem(
        _ method: HTTPRequest.Method, _ uri: String, _ user: String = "adm", body: String? = nil,
        contentType: String? = "application/json", headers extra: HTTPFields = [:]
      ) async throws -> (Int, JSONValue?) {
        var headers = fixture.headers(user, contentType: contentType)
        headers.append(contentsOf: extra)
        let response = try await client.execute(
          uri: uri, method: method, headers: headers, body: body?.buffer)
        #expect(response.headers[.contentType] == "application/problem+json", "\(uri)")
        return (Int(response.status.code), response.body.json)
      }
      // Bad JSON: 400, located.
      let (badJSON, badJSONProblem) = try await problem(
        .post, "/api/v1/users", body: #"{"name": "x", "role": }"#)
      #expect(badJSON == 400)
      #expect(badJSONProblem?["type"]?.stringValue == "https://swath.dev/problems/invalid-request")
      #expect(badJSONProblem?["line"]?.integerValue == 1 && badJSONProblem?["column"] != nil)
      // A JSON body that is not an object, an unknown member, a wrong type, an unknown role.
      for body in [
        "[1]", #"{"name": "x", "role": "annotator", "admin": true}"#, #"{"name": 3, "role": "annotator"}"#,
        #"{"name": "x", "role": "king"}"#,
      ] {
        #expect(try await problem(.post, "/api/v1/users", body: body).0 == 400, "\(body)")
      }
      // The wrong content type: 415.
      let (wrongType, wrongTypeProblem) = try await problem(
        .post, "/api/v1/users", body: #"{"name": "x", "role": "annotator"}"#, contentType: "text/plain")
      #expect(wrongType == 415)
      #expect(wrongTypeProblem?["type"]?.stringValue == "https://swath.dev/problems/unsupported-media-type")
      #expect(
        try await problem(
          .post, "/api/v1/tasks/roofs/chips/r0001_c0001/submissions", "ana", body: "{}",
          contentType: "text/csv"
        ).0 == 415)
      // Over the cap: 413, whether declared or not.
      let big = String(repeating: " ", count: 100 << 10) + "{}"
      let (tooBig, tooBigProblem) = try await problem(
        .post, "/api/v1/tasks/roofs/chips/r0001_c0001/submissions", "ana", body: big,
        contentType: "application/geo+json")
      #expect(tooBig == 413)
      #expect(tooBigProblem?["type"]?.stringValue == "https://swath.dev/problems/payload-too-large")
      // NaN is not JSON: the submission is kept as rejected, and the problem says where.
      let nan = #"""
        {"type": "FeatureCollection", "features": [
          {"type": "Feature", "properties": {"label": "building"},
           "geometry": {"type": "Polygon", "coordinates": [[[10, 10], [10, NaN], [60, 60], [60, 10], [10, 10]]]}}]}
        """#
      let (nanStatus, nanProblem) = try await problem(
        .post, "/api/v1/tasks/roofs/chips/r0001_c0001/submissions?coordinates=pixel", "ana", body: nan,
        contentType: "application/geo+json")
      #expect(nanStatus == 422)
      #expect(nanProblem?["type"]?.stringValue == "https://swath.dev/problems/rejected-submission")
      let issues = nanProblem?["issues"]?.arrayValue ?? []
      #expect(!issues.isEmpty, "\(String(describing: nanProblem))")
      #expect(
        issues.contains {
          $0["line"]?.integerValue == 3 && $0["code"]?.stringValue != nil && $0["path"] != nil
        })
      // Chip ids that are paths: 404, never a file.
      for chip in ["..%2F..%2Fswath.sqlite", "..%2Fswath", "r0001_c0001%00", "%2Fetc%2Fpasswd", "..", "...."]
      {
        #expect(try await problem(.get, "/api/v1/tasks/roofs/chips/\(chip).png", "ana").0 == 404, "\(chip)")
        #expect(try await problem(.get, "/api/v1/tasks/roofs/chips/\(chip)", "alice").0 == 404, "\(chip)")
      }
      // Bad query values.
      #expect(try await problem(.get, "/api/v1/tasks/roofs/export?format=shp", "alice").0 == 400)
      #expect(
        try await problem(
          .post, "/api/v1/tasks/roofs/chips/r0001_c0001/submissions?coordinates=utm", "ana", body: "{}",
          contentType: "application/geo+json"
        ).0 == 400)
      #expect(
        try await problem(.post, "/api/v1/tasks/roofs/consensus", "alice", body: #"{"quorum": "most"}"#).0
          == 400)
      // An unknown route, and a malformed Authorization header.
      #expect(try await problem(.get, "/api/v1/nothing").0 == 404)
      var basic: HTTPFields = [:]
      basic[.authorization] = "Basic YWRtOnB3"
      #expect(try await problem(.get, "/api/v1/me", "adm", headers: basic).0 == 401)
    }
  }

  @Test func pixelSubmissionIsStoredAndTheNextSupersedesIt() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let headers = fixture.headers("ana", contentType: "application/geo+json")
      let uri = "/api/v1/tasks/roofs/chips/r0001_c0001/submissions?coordinates=pixel"
      let first = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(40, 40, 120, 100))])
      let one = try await client.execute(uri: uri, method: .post, headers: headers, body: first.buffer)
      #expect(one.status == .created, "\(one.body.text)")
      let firstResult = try #require(one.body.json?["results"]?.arrayValue?.first)
      #expect(firstResult["status"]?.stringValue == "accepted" && firstResult["features"]?.integerValue == 1)
      #expect(firstResult["chip"]?.stringValue == "r0001_c0001")

      let second = GeoJSONFixture.collection([
        ("building", GeoJSONFixture.pixelSquare(40, 40, 120, 100)),
        ("vehicle", GeoJSONFixture.pixelSquare(150, 150, 170, 160)),
      ])
      let two = try await client.execute(uri: uri, method: .post, headers: headers, body: second.buffer)
      #expect(two.status == .created, "\(two.body.text)")
      let secondResult = try #require(two.body.json?["results"]?.arrayValue?.first)
      #expect(secondResult["supersedes"]?.integerValue == firstResult["id"]?.integerValue)

      // The analyst sees it in the status, runs consensus, exports.
      let analyst = fixture.headers("alice", contentType: "application/json")
      let status = try await client.execute(uri: "/api/v1/tasks/roofs/status", method: .get, headers: analyst)
      let ana = status.body.json?["per_annotator"]?.arrayValue?.first {
        $0["annotator"]?.stringValue == "ana"
      }
      #expect(ana?["accepted"]?.integerValue == 1 && ana?["superseded"]?.integerValue == 1)
      let queue = try await client.execute(
        uri: "/api/v1/queue", method: .get, headers: fixture.headers("ana"))
      #expect(
        queue.body.json?["pending"]?.arrayValue?.contains { $0["chip"]?.stringValue == "r0001_c0001" }
          == false)

      let consensus = try await client.execute(
        uri: "/api/v1/tasks/roofs/consensus", method: .post, headers: analyst, body: #"{"quorum": 1}"#.buffer)
      #expect(consensus.status == .accepted, "\(consensus.body.text)")
      let run = try await fixture.finishedJob(client, consensus, as: "alice")
      #expect(run?["state"]?.stringValue == "succeeded", "\(String(describing: run))")
      #expect(run?["result"]?["accepted"]?.integerValue == 2)
      // The job is the analyst's; an annotator does not learn it exists.
      let location = try #require(consensus.headers[.location])
      let hidden = try await client.execute(uri: location, method: .get, headers: fixture.headers("ana"))
      #expect(hidden.status == .notFound)
      let geojson = try await client.execute(
        uri: "/api/v1/tasks/roofs/export?format=geojson", method: .get, headers: analyst)
      #expect(geojson.status == .ok)
      #expect(geojson.headers[.contentType] == "application/geo+json")
      #expect(geojson.body.json?["features"]?.arrayValue?.count == 2)
      let gpkg = try await client.execute(
        uri: "/api/v1/tasks/roofs/export?format=gpkg", method: .get, headers: analyst)
      #expect(gpkg.status == .ok && gpkg.body.text.hasPrefix("SQLite format 3"))

      // The same layer as a background export: a job, then its archive from the store.
      let queued = try await client.execute(
        uri: "/api/v1/tasks/roofs/exports", method: .post, headers: analyst,
        body: #"{"format": "gpkg", "crs": "image"}"#.buffer)
      #expect(queued.status == .accepted, "\(queued.body.text)")
      let exported = try await fixture.finishedJob(client, queued, as: "alice")
      #expect(exported?["state"]?.stringValue == "succeeded", "\(String(describing: exported))")
      #expect(exported?["result"]?["objects"]?.integerValue == 2)
      let archivePath = try #require(exported?["result"]?["archive"]?.stringValue)
      for user in ["ana", "rev"] {
        let refused = try await client.execute(uri: archivePath, method: .get, headers: fixture.headers(user))
        #expect(refused.status == .forbidden)
      }
      let archive = try await client.execute(uri: archivePath, method: .get, headers: analyst)
      #expect(archive.status == .ok && archive.headers[.contentType] == "application/zip")
      #expect(archive.headers[.contentDisposition]?.contains("roofs-gpkg-job") == true)
      #expect(Int(archive.headers[.contentLength] ?? "") == archive.body.readableBytes)
      let zipFile = fixture.url.appendingPathComponent("archive.zip")
      try Data(archive.body.readableBytesView).write(to: zipFile)
      defer { try? FileManager.default.removeItem(at: zipFile) }
      // Unpacked by Python's zipfile, the layer reads in GDAL: two objects, in the image's CRS.
      let unpacked = fixture.url.appendingPathComponent("unpacked")
      defer { try? FileManager.default.removeItem(at: unpacked) }
      let unzip = try TestSupport.run(
        URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-m", "zipfile", "-e", zipFile.path, unpacked.path])
      #expect(unzip.status == 0, "\(unzip.stderr)")
      let info = try TestSupport.run(
        URL(fileURLWithPath: "/usr/bin/ogrinfo"),
        ["-ro", "-al", "-so", unpacked.appendingPathComponent("roofs/roofs.gpkg").path])
      #expect(info.stdout.contains("Feature Count: 2"), "\(info.stdout)\(info.stderr)")
      #expect(info.stdout.contains("UTM"), "\(info.stdout)")
      let malformed = try await client.execute(
        uri: "/api/v1/tasks/roofs/exports", method: .post, headers: analyst,
        body: #"{"format": "shp"}"#.buffer)
      #expect(malformed.status == .badRequest && malformed.body.text.contains("format 'shp'"))

      // The metrics count both submissions and the requests by route.
      let metrics = try await client.execute(uri: "/metrics", method: .get, headers: fixture.headers("alice"))
      #expect(metrics.status == .ok && metrics.headers[.contentType]?.hasPrefix("text/plain") == true)
      #expect(
        metrics.body.text.contains(#"swath_submissions_total{outcome="accepted"} 2"#), "\(metrics.body.text)")
      #expect(
        metrics.body.text.contains(
          #"swath_http_requests_total{route="/api/v1/tasks/{task}/chips/{chip}/submissions",method="POST",status="201"} 2"#
        ))
      #expect(metrics.body.text.contains("swath_http_request_duration_seconds_bucket{"))
    }
    // Stored through the workflow: one accepted, one superseded; no export file left behind.
    let status = try fixture.workspace.status(task: "roofs", by: ServerFixture.admin)
    #expect(status.submissions["accepted"] == 1 && status.submissions["superseded"] == 1)
    let leftovers = try FileManager.default.contentsOfDirectory(
      atPath: fixture.url.appendingPathComponent(".exports").path)
    #expect(leftovers.isEmpty)
  }

  /// A leased task over HTTP: take, see, answer, take the next, release; a chip that is not the
  /// caller's stays invisible.
  @Test func leasesTakeAnswerAndRelease() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "walls", imageName: "atlanta", region: "px:0,0,900,900", labels: ["building"], chipSize: 256,
        overlap: 32, replicas: 1, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    try await fixture.withClient { client in
      let ben = fixture.headers("ben")
      let taken = try await client.execute(uri: "/api/v1/tasks/walls/leases", method: .post, headers: ben)
      #expect(taken.status == .ok, "\(taken.body.text)")
      let lease = try #require(taken.body.json)
      #expect(lease["chip"]?.stringValue == "r0000_c0000" && lease["ended_at"]?.isNull == true)
      let id = try #require(lease["id"]?.integerValue)
      let again = try await client.execute(uri: "/api/v1/tasks/walls/leases", method: .post, headers: ben)
      #expect(again.body.json?["id"]?.integerValue == id)
      let mine = try await client.execute(uri: "/api/v1/leases", method: .get, headers: ben)
      #expect(mine.body.json?.arrayValue?.map { $0["id"]?.integerValue } == [id])
      let details = try await client.execute(
        uri: "/api/v1/tasks/walls/chips/r0000_c0000", method: .get, headers: ben)
      #expect(details.status == .ok && details.body.json?["assignment"]?.stringValue == "leased")
      // Not ben's chip, and not ana's lease to touch.
      let other = try await client.execute(
        uri: "/api/v1/tasks/walls/chips/r0000_c0001", method: .get, headers: ben)
      #expect(other.status == .notFound)
      let foreign = try await client.execute(
        uri: "/api/v1/leases/\(id)/release", method: .post, headers: fixture.headers("ana"))
      #expect(foreign.status == .notFound)

      let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(40, 40, 120, 100))])
      let answer = try await client.execute(
        uri: "/api/v1/tasks/walls/chips/r0000_c0000/submissions?coordinates=pixel", method: .post,
        headers: fixture.headers("ben", contentType: "application/geo+json"), body: file.buffer)
      #expect(answer.status == .created, "\(answer.body.text)")
      let after = try await client.execute(uri: "/api/v1/leases", method: .get, headers: ben)
      #expect(after.body.json?.arrayValue?.isEmpty == true)
      let statistics = try await client.execute(uri: "/api/v1/me/statistics", method: .get, headers: ben)
      let walls = statistics.body.json?.arrayValue?.first { $0["task"]?.stringValue == "walls" }
      #expect(
        walls?["accepted"]?.integerValue == 1 && walls?["assigned"]?.integerValue == 0,
        "\(statistics.body.text)")
      #expect(statistics.body.json?.arrayValue?.contains { $0["task"]?.stringValue == "roofs" } == false)
      let answered = try await client.execute(
        uri: "/api/v1/tasks/walls/chips/r0000_c0000", method: .get, headers: ben)
      #expect(answered.body.json?["assignment"]?.stringValue == "answered")

      let next = try await client.execute(uri: "/api/v1/tasks/walls/leases", method: .post, headers: ben)
      #expect(next.body.json?["chip"]?.stringValue == "r0000_c0001")
      let nextId = try #require(next.body.json?["id"]?.integerValue)
      let extended = try await client.execute(
        uri: "/api/v1/leases/\(nextId)/extend", method: .post, headers: ben)
      #expect(extended.status == .ok)
      let released = try await client.execute(
        uri: "/api/v1/leases/\(nextId)/release", method: .post, headers: ben)
      #expect(released.status == .ok && released.body.json?["ended_at"]?.stringValue != nil)
      let twice = try await client.execute(
        uri: "/api/v1/leases/\(nextId)/release", method: .post, headers: ben)
      #expect(twice.status == .conflict && twice.headers[.contentType] == "application/problem+json")
      let bad = try await client.execute(uri: "/api/v1/leases/abc/release", method: .post, headers: ben)
      #expect(bad.status == .notFound)
    }
  }

  /// Guessing tokens gets slower, then refused with 429 and Retry-After; a valid token from the
  /// same address clears the count before it is refused.
  @Test func repeatedFailedLoginsAreSlowedThenRefused() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient(slowLoginsAfter: 2, refuseLoginsAfter: 4) { client in
      func me(_ user: String) async throws -> HTTPResponse.Status {
        try await client.execute(uri: "/api/v1/me", method: .get, headers: fixture.headers(user)).status
      }
      #expect(try await me("swath_guess1") == .unauthorized)
      #expect(try await me("swath_guess2") == .unauthorized)
      // A success clears the address's count.
      #expect(try await me("ana") == .ok)
      var statuses: [HTTPResponse.Status] = []
      for guess in 1...4 { statuses.append(try await me("swath_wrong\(guess)")) }
      #expect(statuses == Array(repeating: .unauthorized, count: 4))
      let refused = try await client.execute(uri: "/api/v1/me", method: .get, headers: fixture.headers("ana"))
      #expect(refused.status == .tooManyRequests)
      #expect(refused.headers[.retryAfter].flatMap(Int.init).map { $0 > 0 && $0 <= 300 } == true)
      #expect(refused.body.json?["type"]?.stringValue == "https://swath.dev/problems/too-many-requests")
      // Public routes stay open; every answer carries its request id for the access log.
      let health = try await client.execute(uri: "/healthz", method: .get)
      #expect(health.status == .ok)
      let id = health.headers[HTTPField.Name("X-Request-Id")!]
      #expect(id != nil && id != refused.headers[HTTPField.Name("X-Request-Id")!])
    }
  }

  /// A retried POST with the same Idempotency-Key gets the first answer and stores nothing new,
  /// whether the first was accepted or rejected; the key with another body is refused.
  @Test func idempotencyKeysReplayTheFirstAnswer() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      var headers = fixture.headers("ana", contentType: "application/geo+json")
      headers[HTTPField.Name("Idempotency-Key")!] = "retry-1"
      let uri = "/api/v1/tasks/roofs/chips/r0001_c0001/submissions?coordinates=pixel"
      let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(40, 40, 120, 100))])
      let first = try await client.execute(uri: uri, method: .post, headers: headers, body: file.buffer)
      #expect(first.status == .created)
      let retry = try await client.execute(uri: uri, method: .post, headers: headers, body: file.buffer)
      #expect(retry.status == .created && retry.body.text == first.body.text)
      #expect(retry.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
      let other = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(10, 10, 60, 60))])
      let reused = try await client.execute(uri: uri, method: .post, headers: headers, body: other.buffer)
      #expect(
        reused.status == .badRequest && reused.body.text.contains("Idempotency-Key"), "\(reused.body.text)")

      headers[HTTPField.Name("Idempotency-Key")!] = "retry-2"
      let rejected = try await client.execute(uri: uri, method: .post, headers: headers, body: "{}".buffer)
      #expect(rejected.status == .unprocessableContent)
      let rejectedAgain = try await client.execute(
        uri: uri, method: .post, headers: headers, body: "{}".buffer)
      #expect(rejectedAgain.status == .unprocessableContent && rejectedAgain.body.text == rejected.body.text)
    }
    // One accepted and one rejected row: the retries stored nothing.
    let status = try fixture.workspace.status(task: "roofs", by: ServerFixture.admin)
    #expect(status.submissions["accepted"] == 1 && status.submissions["rejected"] == 1)
    #expect(status.submissions["superseded"] == 0)
  }

  /// An analyst's day over HTTP: register a scene, cut a task, read the audit log, close it.
  @Test func analystRegistersAnImageCreatesAndClosesATask() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let analyst = fixture.headers("alice", contentType: "application/json")
      let path = TestSupport.image(ServerFixture.image).path
      let image = try await client.execute(
        uri: "/api/v1/images", method: .post, headers: analyst,
        body: #"{"path": "\#(path)", "name": "atlanta-2"}"#.buffer)
      #expect(image.status == .created, "\(image.body.text)")
      #expect(
        image.body.json?["epsg"]?.integerValue == 32616
          && image.body.json?["name"]?.stringValue == "atlanta-2")
      let twice = try await client.execute(
        uri: "/api/v1/images", method: .post, headers: analyst,
        body: #"{"path": "\#(path)", "name": "atlanta-2"}"#.buffer)
      #expect(twice.status == .conflict)
      let task = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst,
        body:
          #"{"name": "small", "image": "atlanta-2", "region": "px:0,0,300,300", "labels": ["building"], "chip_size": 256, "overlap": 0, "replicas": 1, "distribution": "leased", "lease_seconds": 900}"#
          .buffer)
      #expect(task.status == .accepted, "\(task.body.text)")
      #expect(task.body.json?["kind"]?.stringValue == "create_task")
      let created = try await fixture.finishedJob(client, task, as: "alice")
      #expect(created?["state"]?.stringValue == "succeeded", "\(String(describing: created))")
      #expect(
        created?["result"]?["chips"]?.integerValue == 4 && created?["result"]?["state"]?.stringValue == "open"
      )
      #expect(created?["percent"]?.doubleValue == 100)
      let bad = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst,
        body: #"{"name": "bad", "image": "atlanta-2", "labels": ["building"], "chip_size": "big"}"#.buffer)
      #expect(bad.status == .badRequest && bad.body.text.contains("chip_size"))
      let closed = try await client.execute(uri: "/api/v1/tasks/small/close", method: .post, headers: analyst)
      #expect(closed.status == .ok && closed.body.json?["state"]?.stringValue == "closed")
      let again = try await client.execute(uri: "/api/v1/tasks/small/close", method: .post, headers: analyst)
      #expect(again.status == .conflict)
      let audit = try await client.execute(uri: "/api/v1/audit?task=small", method: .get, headers: analyst)
      let actions = audit.body.json?.arrayValue?.compactMap { $0["action"]?.stringValue }
      #expect(actions == ["task.create", "task.close"], "\(audit.body.text)")
      #expect(audit.body.json?.arrayValue?.first?["actor"]?.stringValue == "alice")
      let images = try await client.execute(uri: "/api/v1/images", method: .get, headers: analyst)
      #expect(
        images.body.json?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["atlanta", "atlanta-2"])
    }
  }

  /// Behind a trusted proxy, one client's guesses do not lock out another behind the same proxy.
  @Test func forwardedClientsAreThrottledApart() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient(slowLoginsAfter: 1, refuseLoginsAfter: 2, trustForwardedFor: true) {
      client in
      func me(_ user: String, from address: String) async throws -> HTTPResponse.Status {
        var headers = fixture.headers(user)
        headers[HTTPField.Name("X-Forwarded-For")!] = "\(address), 10.0.0.1"
        return try await client.execute(uri: "/api/v1/me", method: .get, headers: headers).status
      }
      var statuses: [HTTPResponse.Status] = []
      statuses.append(try await me("swath_guess1", from: "203.0.113.7"))
      statuses.append(try await me("swath_guess2", from: "203.0.113.7"))
      statuses.append(try await me("ana", from: "203.0.113.7"))
      statuses.append(try await me("ana", from: "198.51.100.4"))
      #expect(statuses == [.unauthorized, .unauthorized, .tooManyRequests, .ok])
    }
  }

  @Test func chipMetadataAndImage() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let chip = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001", method: .get, headers: fixture.headers("ana"))
      let details = try #require(chip.body.json)
      #expect(details["window"]?["column"]?.integerValue == 224)
      #expect(details["geotransform"]?.arrayValue?.count == 6)
      #expect(details["footprint"]?["type"]?.stringValue == "Polygon")
      #expect(details["labels"]?.arrayValue == [.string("building"), .string("vehicle")])
      #expect(details["assignment"]?.stringValue == "pending")

      let png = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001.png", method: .get, headers: fixture.headers("ana"))
      #expect(png.status == .ok && png.headers[.contentType] == "image/png")
      #expect(Array(png.body.readableBytesView.prefix(4)) == [0x89, 0x50, 0x4E, 0x47])
      let etag = try #require(png.headers[.eTag])
      #expect(png.headers[.cacheControl]?.contains("private") == true)
      var again = fixture.headers("ana")
      again[.ifNoneMatch] = etag
      let cached = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001.png", method: .get, headers: again)
      #expect(cached.status == .notModified)
    }
  }
}
