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

/// `POST /api/v1/tasks/{task}/review/leases/{lease}/release`: a reviewer gives an object back
/// undecided and moves on; only the holder or an admin may, and a lease gives back only once.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ReviewLeaseReleaseTests {
  @Test func aReviewerReleasesAnObjectAndIsOfferedAnotherOne() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let workspace = fixture.workspace
    // A task of its own that asks both annotators for every chip.
    _ = try workspace.createTask(
      TaskParameters(
        name: "barns", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 2),
      by: ServerFixture.admin)
    _ = try workspace.assign(task: "barns", annotators: ["ana", "ben"], by: ServerFixture.admin)
    let ida = try workspace.addUser("ida", role: .reviewer, by: ServerFixture.admin).token
    // ana drew three squares, ben only the first: the other two are half-certain, up for review.
    let squares = [
      GeoJSONFixture.pixelSquare(20, 20, 70, 70), GeoJSONFixture.pixelSquare(90, 20, 140, 70),
      GeoJSONFixture.pixelSquare(160, 20, 210, 70),
    ]
    for (annotator, drawn) in [("ana", squares), ("ben", [squares[0]])] {
      let file = GeoJSONFixture.collection(drawn.map { (label: "building", ring: $0) })
      let outcome = try workspace.submit(
        task: "barns", annotator: annotator, fileName: "\(annotator).geojson", raw: Data(file.utf8),
        chip: "r0000_c0000", pixel: true, by: Caller(name: annotator, role: .annotator, command: "test"))
      #expect(outcome.results.map(\.status) == ["accepted"], "\(outcome.results)")
    }
    _ = try workspace.runConsensus(task: "barns", by: ServerFixture.admin)
    let reviewable = try workspace.reviewList(task: "barns", by: ServerFixture.admin).objects.filter {
      $0.state == .needsReview
    }
    #expect(reviewable.count == 2, "\(reviewable.map { ($0.id, $0.confidence, $0.state) })")

    try await fixture.withClient { client in
      func next(_ user: String) async throws -> (object: String, lease: Int64) {
        let response = try await client.execute(
          uri: "/api/v1/tasks/barns/review/next", method: .post, headers: fixture.headers(user))
        #expect(response.status == .ok, "\(response.body.text)")
        return (
          try #require(response.body.json?["id"]?.stringValue),
          try #require(response.body.json?["lease"]?["id"]?.integerValue)
        )
      }
      func release(_ lease: Int64, as user: String, task: String = "barns") async throws -> TestResponse {
        try await client.execute(
          uri: "/api/v1/tasks/\(task)/review/leases/\(lease)/release", method: .post,
          headers: fixture.headers(user))
      }
      func problem(_ response: TestResponse, _ status: HTTPResponse.Status, _ detail: String) {
        #expect(response.status == status, "\(response.body.text)")
        #expect(response.headers[.contentType] == "application/problem+json")
        #expect(
          response.body.json?["detail"]?.stringValue?.contains(detail) == true, "\(response.body.text)")
      }

      let first = try await next("rev")
      // Roles without review rights: 403; another reviewer: no such lease (404); so are a lease
      // of another task, an unknown lease and a lease id that is no number.
      for user in ["ana", "alice"] {
        #expect(try await release(first.lease, as: user).status == .forbidden)
      }
      problem(try await release(first.lease, as: ida), .notFound, "ida holds no review lease")
      problem(try await release(first.lease, as: "rev", task: "nope"), .notFound, "nope")
      problem(try await release(first.lease + 100, as: "rev"), .notFound, "holds no review lease")
      let word = try await client.execute(
        uri: "/api/v1/tasks/barns/review/leases/first/release", method: .post, headers: fixture.headers("rev")
      )
      #expect(word.status == .notFound)

      // The holder releases it: the object is undecided and the next one is another object.
      let released = try await release(first.lease, as: "rev")
      #expect(released.status == .ok, "\(released.body.text)")
      #expect(released.body.json?["object"]?.stringValue == first.object)
      #expect(released.body.json?["reviewer"]?.stringValue == "rev")
      #expect(released.body.json?["released_at"]?.stringValue != nil)
      problem(try await release(first.lease, as: "rev"), .conflict, "already ended")
      let second = try await next("rev")
      #expect(second.object != first.object && second.lease != first.lease)
      // The released object is back in the queue for everyone else at once.
      let idas = try await next(ida)
      #expect(idas.object == first.object)
      // An admin may release another reviewer's lease.
      let byAdmin = try await release(idas.lease, as: "adm")
      #expect(byAdmin.status == .ok && byAdmin.body.json?["reviewer"]?.stringValue == "ida")

      // Once rev has skipped both, the queue comes round to the one skipped longest ago.
      #expect(try await release(second.lease, as: "rev").status == .ok)
      let third = try await next("rev")
      #expect(third.object == first.object)
      // A lease a decision ended cannot be released; nor can an expired one.
      let decided = try await client.execute(
        uri: "/api/v1/tasks/barns/review/objects/\(third.object)/decisions", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"),
        body: #"{"decision": "accept"}"#.buffer)
      #expect(decided.status == .created, "\(decided.body.text)")
      problem(try await release(third.lease, as: "rev"), .conflict, "already ended")
      let fourth = try await next("rev")
      #expect(fourth.object == second.object)
      try workspace.store.write { store in
        var lease = try #require(try store.reviewLease(id: fourth.lease))
        lease.expiresAt = Timestamp.string(from: Date(timeIntervalSinceNow: -60))
        try store.update(lease)
      }
      problem(try await release(fourth.lease, as: "rev"), .conflict, "expired")
    }
    // The released objects stay undecided; the one decision is rev's accept; every release audited.
    let listing = try workspace.reviewList(task: "barns", by: ServerFixture.admin)
    #expect(listing.objects.compactMap(\.decision).map(\.decision) == [.accept])
    let audited = try workspace.store.read { try $0.auditLog() }.filter { $0.action == "review.release" }
    #expect(audited.count == 3)
  }

  @Test func aReviewersRefusedShapeIsA422WithItsProblemsLocatedInChipPixels() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(20, 20, 70, 70))])
    _ = try fixture.workspace.submit(
      task: "roofs", annotator: "ana", fileName: "ana.geojson", raw: Data(file.utf8), chip: "r0000_c0000",
      pixel: true, by: Caller(name: "ana", role: .annotator, command: "test"))
    _ = try fixture.workspace.runConsensus(task: "roofs", by: ServerFixture.admin)
    try await fixture.withClient { client in
      // A bowtie: its edges cross at (40, 40).
      let bowtie =
        #"{"chip": "r0000_c0000", "feature": {"type": "Feature", "properties": {"label": "building"}, "geometry": {"type": "Polygon", "coordinates": [[[20,20],[60,60],[60,20],[20,60],[20,20]]]}}}"#
      let refused = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"), body: bowtie.buffer)
      #expect(refused.status == .unprocessableContent, "\(refused.body.text)")
      #expect(refused.headers[.contentType] == "application/problem+json")
      #expect(refused.body.json?["type"]?.stringValue == "https://swath.dev/problems/rejected-feature")
      let issue = try #require(refused.body.json?["issues"]?.arrayValue?.first)
      #expect(issue["severity"]?.stringValue == "error")
      let values = try #require(issue["location"]?.arrayValue)
      let location = values.compactMap { $0.doubleValue }
      #expect(location.count == 2 && abs(location[0] - 40) < 0.01 && abs(location[1] - 40) < 0.01, "\(issue)")
      // The same shape as a geometry decision: refused alike.
      let run = try #require(try fixture.workspace.reviewList(task: "roofs", by: ServerFixture.admin).run.id)
      let object = "\(run)-0"
      let decision = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects/\(object)/decisions", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"),
        body: bowtie.replacingOccurrences(of: #"{"chip""#, with: #"{"decision": "geometry", "chip""#).buffer)
      #expect(decision.status == .unprocessableContent, "\(decision.body.text)")
      // A malformed request is still a 400, and an annotator may not add at all.
      let malformed = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"), body: #"{"feature": 3}"#.buffer)
      #expect(malformed.status == .badRequest)
      let annotator = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects", method: .post,
        headers: fixture.headers("ana", contentType: "application/json"), body: bowtie.buffer)
      #expect(annotator.status == .forbidden)
    }
    let decisions = try fixture.workspace.store.read { store in
      try store.reviewDecisions(ofTask: store.task(named: "roofs")!.id!)
    }
    #expect(decisions.isEmpty)
  }
}
