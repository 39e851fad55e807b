import Foundation
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// Gold chips over HTTP: the analyst adds and lists them; an annotator gets a gold chip exactly
/// as any other chip (lease, chip details, PNG, submission answer), nothing telling them apart.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct GoldRouteTests {
  /// What a JSON value is, member by member, without its values: the same for two answers when
  /// no field differs in kind (present, missing, null, a number, a text, …).
  static func kind(_ value: JSONValue) -> String {
    switch value {
    case .null: "null"
    case .bool: "bool"
    case .integer, .number: "number"
    case .string: "string"
    case .array(let items): "[" + Set(items.map(kind)).sorted().joined(separator: "|") + "]"
    case .object(let members):
      "{" + members.keys.sorted().map { "\($0):\(kind(members[$0]!))" }.joined(separator: ",") + "}"
    }
  }

  @Test func anAnnotatorCannotTellAGoldChipFromAnyOther() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "walls", imageName: "atlanta", region: "px:0,0,512,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    try await fixture.withClient { client in
      let analyst = fixture.headers("alice", contentType: "application/json")
      // The first chip in lease order is gold, with nothing on it.
      let added = try await client.execute(
        uri: "/api/v1/tasks/walls/gold", method: .post, headers: analyst,
        body: #"{"truth": {"type": "FeatureCollection", "features": []}, "chips": ["r0000_c0000"]}"#.buffer)
      #expect(added.status == .created, "\(added.body.text)")
      #expect(added.body.json?["chips"]?.arrayValue?.first?["chip"]?.stringValue == "r0000_c0000")
      let listed = try await client.execute(
        uri: "/api/v1/tasks/walls/gold", method: .get, headers: fixture.headers("alice"))
      #expect(listed.status == .ok && listed.body.json == added.body.json)
      let refused = try await client.execute(
        uri: "/api/v1/tasks/walls/gold", method: .post, headers: analyst,
        body: #"{"truth": {"type": "FeatureCollection", "features": []}, "chips": ["r9_c9"]}"#.buffer)
      #expect(refused.status == .notFound)
      let badBody = try await client.execute(
        uri: "/api/v1/tasks/walls/gold", method: .post, headers: analyst, body: #"{"chips": 3}"#.buffer)
      #expect(badBody.status == .badRequest)

      // ben takes the gold chip, then the other, and sees each the same way.
      let ben = fixture.headers("ben")
      var seen: [(chip: String, answers: [String], headers: [String])] = []
      for _ in 0..<2 {
        let lease = try await client.execute(uri: "/api/v1/tasks/walls/leases", method: .post, headers: ben)
        #expect(lease.status == .ok, "\(lease.body.text)")
        let leaseJSON = try #require(lease.body.json)
        let chip = try #require(leaseJSON["chip"]?.stringValue)
        let details = try await client.execute(
          uri: "/api/v1/tasks/walls/chips/\(chip)", method: .get, headers: ben)
        let png = try await client.execute(
          uri: "/api/v1/tasks/walls/chips/\(chip).png", method: .get, headers: ben)
        #expect(png.status == .ok && png.body.readableBytesView.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        let submitted = try await client.execute(
          uri: "/api/v1/tasks/walls/chips/\(chip)/submissions", method: .post,
          headers: fixture.headers("ben", contentType: "application/geo+json"),
          body: #"{"type": "FeatureCollection", "features": []}"#.buffer)
        #expect(submitted.status == .created, "\(submitted.body.text)")
        let mine = try await client.execute(uri: "/api/v1/submissions?task=walls", method: .get, headers: ben)
        let answers =
          [lease, details, submitted].map { Self.kind($0.body.json ?? .null) } + [
            "\(lease.status.code) \(details.status.code) \(png.status.code) \(submitted.status.code)",
            png.headers[.contentType] ?? "", Self.kind(mine.body.json?.arrayValue?.last ?? .null),
          ]
        let headers = [lease, details, png, submitted].map { response in
          response.headers.map(\.name.canonicalName).filter { $0 != "content-length" && $0 != "date" }
            .sorted()
            .joined(separator: ",")
        }
        seen.append((chip, answers, headers))
      }
      #expect(seen.map(\.chip) == ["r0000_c0000", "r0000_c0001"])
      // Every answer the same in kind: no field, status or header is there for one and not the other.
      for (gold, other) in zip(seen[0].answers, seen[1].answers) { #expect(gold == other) }
      #expect(seen[0].headers == seen[1].headers)
    }
  }

  /// The minimum gold F1 over HTTP: stored when in 0...1, a problem document otherwise.
  @Test func theMinimumGoldF1IsSetOverHTTP() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let analyst = fixture.headers("alice", contentType: "application/json")
      let uri = "/api/v1/tasks/roofs/gold/min-f1"
      let set = try await client.execute(
        uri: uri, method: .put, headers: analyst, body: #"{"min_f1": 0.6}"#.buffer)
      #expect(set.status == .ok && set.body.json?["min_f1"]?.doubleValue == 0.6)
      let stored = try fixture.workspace.store.read { store in
        try store.goldSettings(ofTask: try #require(try store.task(named: "roofs")).id!)?.minF1
      }
      #expect(stored == 0.6)
      for bad in [#"{"min_f1": 1.5}"#, #"{"min_f1": "high"}"#, #"{}"#, #"{"min_f1": 0.5, "x": 1}"#] {
        let refused = try await client.execute(uri: uri, method: .put, headers: analyst, body: bad.buffer)
        #expect(refused.status == .badRequest, "\(bad): \(refused.body.text)")
      }
      let cleared = try await client.execute(
        uri: uri, method: .put, headers: analyst, body: #"{"min_f1": null}"#.buffer)
      #expect(cleared.status == .ok && cleared.body.json?["min_f1"]?.doubleValue == 0)
      let audit = try fixture.workspace.auditLog(by: ServerFixture.admin).filter {
        $0.action == "gold.min-f1"
      }
      #expect(audit.map(\.detail) == ["task=roofs min_f1=0.6", "task=roofs min_f1=0.0"])
    }
  }

  /// Promotion over HTTP: an annotator and a reviewer are refused, the analyst promotes a
  /// validated chip and the answer on it is scored; bad requests are problem documents.
  @Test func anAnalystPromotesAReviewedChipOverHTTP() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let ana = Caller(name: "ana", role: .annotator, command: "test")
    let drawn = GeoJSONFixture.collection([
      ("building", GeoJSONFixture.pixelSquare(20, 20, 80, 80)),
      ("building", GeoJSONFixture.pixelSquare(120, 120, 180, 170)),
    ])
    let outcome = try fixture.workspace.submit(
      task: "roofs", annotator: "ana", fileName: "ana.geojson", raw: Data(drawn.utf8), chip: "r0000_c0000",
      pixel: true, by: ana)
    #expect(outcome.results.map(\.status) == ["accepted"])
    _ = try fixture.workspace.runConsensus(task: "roofs", by: ServerFixture.admin)
    try await fixture.withClient { client in
      let uri = "/api/v1/tasks/roofs/gold/promote"
      let body = #"{"chips": ["r0000_c0000"]}"#
      // Not reviewed yet.
      let early = try await client.execute(
        uri: uri, method: .post, headers: fixture.headers("alice", contentType: "application/json"),
        body: body.buffer)
      #expect(early.status == .conflict && early.headers[.contentType] == "application/problem+json")
      #expect(early.body.json?["detail"]?.stringValue?.contains("r0000_c0000") == true)
      let validated = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0000_c0000/review", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"),
        body: #"{"verdict": "validated"}"#.buffer)
      #expect(validated.status == .created, "\(validated.body.text)")
      for user in ["ana", "rev"] {
        let refused = try await client.execute(
          uri: uri, method: .post, headers: fixture.headers(user, contentType: "application/json"),
          body: body.buffer)
        #expect(refused.status == .forbidden, "\(user): \(refused.body.text)")
      }
      let bad: [(String, HTTPResponse.Status)] = [
        (#"{"chips": []}"#, .badRequest), (#"{"chips": "r0000_c0000"}"#, .badRequest), (#"{}"#, .badRequest),
        (#"{"chips": ["r0000_c0000"], "x": 1}"#, .badRequest), (#"{"chips": ["r9_c9"]}"#, .notFound),
      ]
      for (text, status) in bad {
        let refused = try await client.execute(
          uri: uri, method: .post, headers: fixture.headers("alice", contentType: "application/json"),
          body: text.buffer)
        #expect(refused.status == status, "\(text): \(refused.body.text)")
      }
      #expect(try fixture.workspace.gold(task: "roofs", by: ServerFixture.admin).chips.isEmpty)

      let promoted = try await client.execute(
        uri: uri, method: .post, headers: fixture.headers("alice", contentType: "application/json"),
        body: body.buffer)
      #expect(promoted.status == .created, "\(promoted.body.text)")
      let json = try #require(promoted.body.json)
      #expect(json["promoted"]?.arrayValue?.first?["chip"]?.stringValue == "r0000_c0000")
      #expect(json["promoted"]?.arrayValue?.first?["reviewed"]?.stringValue == "validated")
      let objects = try #require(json["promoted"]?.arrayValue?.first?["objects"]?.integerValue)
      #expect(json["gold"]?["chips"]?.arrayValue?.first?["objects"]?.integerValue == objects)
      #expect(json["gold"]?["objects"]?["features"]?.arrayValue?.count == Int(objects))
      // ana's answer is scored against the chip's final layer: her two squares, both accepted.
      #expect(objects == 2)
      let record = try await client.execute(
        uri: "/api/v1/tasks/roofs/gold/record", method: .get, headers: fixture.headers("alice"))
      #expect(record.body.json?.arrayValue?.first?["annotator"]?.stringValue == "ana")
      #expect(record.body.json?.arrayValue?.first?["f1"]?.doubleValue == 1)
      let again = try await client.execute(
        uri: uri, method: .post, headers: fixture.headers("adm", contentType: "application/json"),
        body: body.buffer)
      #expect(
        again.status == .conflict && again.body.json?["detail"]?.stringValue?.contains("already gold") == true
      )
    }
  }
}
