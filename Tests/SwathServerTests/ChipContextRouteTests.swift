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

/// `GET …/chips/{chip}/context.png` (the scene around a chip for the annotator's page) and the
/// task's instructions (shown on it).
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ChipContextRouteTests {
  /// The PNG's width and height, from its IHDR chunk.
  static func size(_ body: ByteBuffer) -> (Int, Int)? {
    let bytes = Array(body.readableBytesView)
    guard bytes.count > 24, bytes[0..<4] == [0x89, 0x50, 0x4E, 0x47] else { return nil }
    let number = { (at: Int) in bytes[at..<(at + 4)].reduce(0) { $0 << 8 | Int($1) } }
    return (number(16), number(20))
  }

  @Test func theContextIsTheChipGrownByTheMarginClippedToTheScene() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      // roofs: 256 px chips with a stride of 224 over px:0,0,900,900 of a 900-px-wide scene…
      let headers = fixture.headers("ana")
      let corner = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0000_c0000/context.png?margin=64", method: .get, headers: headers)
      #expect(corner.status == .ok && corner.headers[.contentType] == "image/png")
      #expect(corner.headers[HTTPField.Name("Swath-Offset-X")!] == "0")
      #expect(corner.headers[HTTPField.Name("Swath-Offset-Y")!] == "0")
      #expect(Self.size(corner.body).map { [$0.0, $0.1] } == [320, 320])

      let inside = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=64", method: .get, headers: headers)
      #expect(inside.headers[HTTPField.Name("Swath-Offset-X")!] == "-64")
      #expect(inside.headers[HTTPField.Name("Swath-Offset-Y")!] == "-64")
      #expect(Self.size(inside.body).map { [$0.0, $0.1] } == [384, 384])

      // The default margin, and none.
      let plain = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png", method: .get, headers: headers)
      #expect(plain.headers[HTTPField.Name("Swath-Offset-X")!] == "-128")
      let none = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=0", method: .get, headers: headers)
      #expect(Self.size(none.body).map { [$0.0, $0.1] } == [256, 256])

      // Cached like the chip: private, with an ETag that a second request can present.
      let etag = try #require(inside.headers[.eTag])
      #expect(inside.headers[.cacheControl]?.contains("private") == true)
      var again = headers
      again[.ifNoneMatch] = etag
      let cached = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=64", method: .get, headers: again)
      #expect(cached.status == .notModified)
      let otherMargin = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=65", method: .get, headers: again)
      #expect(otherMargin.status == .ok)
    }
  }

  @Test func badMarginsAreOneProblemEach() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      for margin in ["-1", "2049", "abc", "1.5", "", "99999999999999999999"] {
        let response = try await client.execute(
          uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=\(margin)", method: .get,
          headers: fixture.headers("ana"))
        #expect(response.status == .badRequest, "margin '\(margin)': \(response.status)")
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(response.body.json?["detail"]?.stringValue?.contains("margin") == true)
      }
    }
  }

  /// In a leased task the context follows the lease: the holder sees it, another annotator does
  /// not; reviewers (whose review work may reach any chip), analysts and admins see every chip.
  @Test func onlyWhoMaySeeTheChipSeesAroundIt() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "walls", imageName: "atlanta", region: "px:0,0,900,900", labels: ["building"], chipSize: 256,
        overlap: 32, replicas: 1, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    try await fixture.withClient { client in
      let uri = "/api/v1/tasks/walls/chips/r0000_c0000/context.png?margin=16"
      let before = try await client.execute(uri: uri, method: .get, headers: fixture.headers("ben"))
      #expect(before.status == .notFound)
      let lease = try await client.execute(
        uri: "/api/v1/tasks/walls/leases", method: .post, headers: fixture.headers("ben"))
      #expect(lease.body.json?["chip"]?.stringValue == "r0000_c0000")
      let expected = ["ben": 200, "ana": 404, "rev": 200, "alice": 200, "adm": 200, "gone": 401]
      for (user, status) in expected {
        let response = try await client.execute(uri: uri, method: .get, headers: fixture.headers(user))
        #expect(Int(response.status.code) == status, "\(user): \(response.status)")
      }
      // ana's answer to a chip she does not hold is word for word that of a missing chip.
      let theirs = try await client.execute(uri: uri, method: .get, headers: fixture.headers("ana"))
      let missing = try await client.execute(
        uri: "/api/v1/tasks/walls/chips/r0009_c0009/context.png", method: .get,
        headers: fixture.headers("ana"))
      #expect(
        theirs.body.json?["detail"]?.stringValue?.replacingOccurrences(of: "r0000_c0000", with: "r0009_c0009")
          == missing.body.json?["detail"]?.stringValue)
    }
  }

  @Test func instructionsGoWithTheTaskToItsAnnotators() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let analyst = fixture.headers("alice", contentType: "application/json")
      let text = "Outline every roof.\nBox every car; leave trucks out."
      let body = JSONValue.object([
        "name": .string("told"), "image": .string("atlanta"), "region": .string("px:0,0,300,300"),
        "labels": .array([.string("building")]), "chip_size": .integer(256), "overlap": .integer(0),
        "replicas": .integer(1), "distribution": .string("leased"), "instructions": .string(text),
      ]).jsonText
      let created = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst, body: body.buffer)
      #expect(created.status == .accepted, "\(created.body.text)")
      let job = try await fixture.finishedJob(client, created, as: "alice")
      #expect(job?["state"]?.stringValue == "succeeded", "\(String(describing: job))")
      let task = try await client.execute(uri: "/api/v1/tasks/told", method: .get, headers: analyst)
      #expect(task.body.json?["instructions"]?.stringValue == text)
      // The annotator reads them with the chip they hold.
      let lease = try await client.execute(
        uri: "/api/v1/tasks/told/leases", method: .post, headers: fixture.headers("ben"))
      let chip = try #require(lease.body.json?["chip"]?.stringValue)
      let details = try await client.execute(
        uri: "/api/v1/tasks/told/chips/\(chip)", method: .get, headers: fixture.headers("ben"))
      #expect(details.body.json?["instructions"]?.stringValue == text)
      // A task without instructions says so with null, not an empty text.
      let plain = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0000_c0000", method: .get, headers: fixture.headers("ana"))
      #expect(plain.body.json?["instructions"] == nil || plain.body.json?["instructions"]?.isNull == true)

      // Too long, or not text: one problem, nothing queued.
      for instructions in [JSONValue.string(String(repeating: "x", count: 10_001)), .integer(3)] {
        let bad = JSONValue.object([
          "name": .string("long"), "image": .string("atlanta"), "labels": .array([.string("building")]),
          "instructions": instructions,
        ]).jsonText
        let refused = try await client.execute(
          uri: "/api/v1/tasks", method: .post, headers: analyst, body: bad.buffer)
        #expect(refused.status == .badRequest, "\(refused.body.text)")
        #expect(refused.body.json?["detail"]?.stringValue?.contains("instructions") == true)
      }
    }
  }
}
