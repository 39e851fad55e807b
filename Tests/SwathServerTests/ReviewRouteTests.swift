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

/// The review routes over HTTP after a consensus run: list, lease, decide, add, validate chips,
/// and the refusals as problem documents with nothing stored.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ReviewRouteTests {
  @Test func aReviewerLeasesDecidesAndValidatesOverHTTP() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let squares = [GeoJSONFixture.pixelSquare(20, 20, 70, 70), GeoJSONFixture.pixelSquare(90, 20, 140, 70)]
    let file = GeoJSONFixture.collection(squares.map { (label: "building", ring: $0) })
    let outcome = try fixture.workspace.submit(
      task: "roofs", annotator: "ana", fileName: "ana.geojson", raw: Data(file.utf8), chip: "r0000_c0000",
      pixel: true, by: Caller(name: "ana", role: .annotator, command: "test"))
    #expect(outcome.results.map(\.status) == ["accepted"])
    let run = try fixture.workspace.runConsensus(task: "roofs", by: ServerFixture.admin).run
    try await fixture.withClient { client in
      let json = fixture.headers("rev", contentType: "application/json")
      // One annotator, so both objects are certain (confidence 1): accepted without review.
      let list = try await client.execute(uri: "/api/v1/tasks/roofs/review", method: .get, headers: json)
      #expect(list.status == .ok)
      #expect(list.body.json?["run"]?.integerValue == run.id)
      #expect(list.body.json?["objects"]?.arrayValue?.count == 2, "\(list.body.text)")
      #expect(list.body.json?["counts"]?["auto_accepted"]?.integerValue == 2)
      let first = try #require(list.body.json?["objects"]?.arrayValue?.first)
      #expect(first["chips"]?.arrayValue == [.string("r0000_c0000")])
      // Nothing needs a review: 204. A reviewer may still decide any object.
      let next = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/next", method: .post, headers: json)
      #expect(next.status == .noContent, "\(next.body.text)")
      let object = try #require(first["id"]?.stringValue)
      #expect(object == "\(run.id!)-0")

      let uri = "/api/v1/tasks/roofs/review/objects/\(object)/decisions"
      // Malformed decisions: 400, nothing stored.
      for body in [
        #"{"decision": "maybe"}"#, #"{"decision": "reject"}"#, #"{"decision": "accept", "extra": 1}"#,
        #"{"decision": "relabel", "label": "tree"}"#, #"{"decision": "attributes", "attributes": {"a": 1}}"#,
        #"{"decision": "geometry", "feature": 3}"#,
      ] {
        let refused = try await client.execute(uri: uri, method: .post, headers: json, body: body.buffer)
        #expect(refused.status == .badRequest, "\(body): \(refused.body.text)")
        #expect(refused.headers[.contentType] == "application/problem+json")
      }
      let decided = try await client.execute(
        uri: uri, method: .post, headers: json,
        body: #"{"decision": "reject", "reason": "not_an_object"}"#.buffer)
      #expect(decided.status == .created, "\(decided.body.text)")
      #expect(decided.body.json?["reason"]?.stringValue == "not_an_object")
      #expect(decided.body.json?["reviewer"]?.stringValue == "rev")
      #expect(decided.body.json?["object"]?.stringValue == object)
      // Decided already: 409 for anyone, the admin included.
      let twice = try await client.execute(
        uri: uri, method: .post, headers: fixture.headers("adm", contentType: "application/json"),
        body: #"{"decision": "accept"}"#.buffer)
      #expect(
        twice.status == .conflict
          && twice.body.json?["type"]?.stringValue == "https://swath.dev/problems/conflict")
      // An object of a run that does not exist.
      let missing = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects/\(run.id! + 1)-0/decisions", method: .post, headers: json,
        body: #"{"decision": "accept"}"#.buffer)
      #expect(missing.status == .notFound)

      // An added object, in chip pixels.
      let added = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/objects", method: .post, headers: json,
        body:
          #"{"chip": "r0000_c0000", "feature": {"type": "Feature", "properties": {"label": "vehicle"}, "geometry": {"type": "Polygon", "coordinates": [[[10,100],[10,120],[30,120],[30,100],[10,100]]]}}}"#
          .buffer)
      #expect(added.status == .created, "\(added.body.text)")
      #expect(added.body.json?["decision"]?.stringValue == "add" && added.body.json?["object"] == .null)

      // Chip validation: a comment is needed to invalidate; the chip's annotator is refused.
      let chip = "/api/v1/tasks/roofs/chips/r0000_c0000/review"
      let bare = try await client.execute(
        uri: chip, method: .post, headers: json, body: #"{"verdict": "invalidated"}"#.buffer)
      #expect(bare.status == .badRequest)
      let invalidated = try await client.execute(
        uri: chip, method: .post, headers: json,
        body: #"{"verdict": "invalidated", "comment": "two roofs are missing"}"#.buffer)
      #expect(
        invalidated.status == .created
          && invalidated.body.json?["comment"]?.stringValue == "two roofs are missing")
      let thresholds = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/thresholds", method: .put,
        headers: fixture.headers("alice", contentType: "application/json"),
        body: #"{"accept": 0.2, "reject": 0.5}"#.buffer)
      #expect(thresholds.status == .badRequest && thresholds.body.text.contains("reject <= accept"))
      // Set, they are in the task's details.
      let set = try await client.execute(
        uri: "/api/v1/tasks/roofs/review/thresholds", method: .put,
        headers: fixture.headers("alice", contentType: "application/json"),
        body: #"{"accept": 0.85, "reject": 0.15}"#.buffer)
      #expect(set.status == .ok, "\(set.body.text)")
      let task = try await client.execute(
        uri: "/api/v1/tasks/roofs", method: .get, headers: fixture.headers("alice"))
      #expect(task.body.json?["review"]?["accept"]?.doubleValue == 0.85)
      #expect(task.body.json?["review"]?["reject"]?.doubleValue == 0.15)

      let after = try await client.execute(
        uri: "/api/v1/tasks/roofs/review", method: .get, headers: fixture.headers("alice"))
      #expect(after.body.json?["added"]?.arrayValue?.count == 1)
      #expect(after.body.json?["chip_reviews"]?.arrayValue?.first?["chip"]?.stringValue == "r0000_c0000")
    }
    let decisions = try fixture.workspace.store.read { store in
      try store.reviewDecisions(ofTask: store.task(named: "roofs")!.id!)
    }
    #expect(decisions.map(\.decision) == [.reject, .add])
  }

  @Test func anInvalidatedChipIsLeasedAgainWithTheReviewersComment() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let workspace = fixture.workspace
    _ = try workspace.createTask(
      TaskParameters(
        name: "sheds", imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1, distribution: .leased, leaseSeconds: 3600),
      by: ServerFixture.admin)
    try await fixture.withClient { client in
      let lease = try await client.execute(
        uri: "/api/v1/tasks/sheds/leases", method: .post, headers: fixture.headers("ana"))
      #expect(lease.status == .ok && lease.body.json?["review_comment"] == nil)
      let chip = try #require(lease.body.json?["chip"]?.stringValue)
      let file = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(30, 30, 90, 80))])
      let submitted = try await client.execute(
        uri: "/api/v1/tasks/sheds/chips/\(chip)/submissions?coordinates=pixel", method: .post,
        headers: fixture.headers("ana", contentType: "application/geo+json"), body: file.buffer)
      #expect(submitted.status == .created, "\(submitted.body.text)")
      // One replica, answered: nothing for ben until a reviewer sends the chip back.
      let none = try await client.execute(
        uri: "/api/v1/tasks/sheds/leases", method: .post, headers: fixture.headers("ben"))
      #expect(none.status == .noContent)
      let next = try await client.execute(
        uri: "/api/v1/tasks/sheds/review/next-chip", method: .get, headers: fixture.headers("rev"))
      #expect(next.body.json?["chip"]?.stringValue == chip)
      let invalidated = try await client.execute(
        uri: "/api/v1/tasks/sheds/chips/\(chip)/review", method: .post,
        headers: fixture.headers("rev", contentType: "application/json"),
        body: #"{"verdict": "invalidated", "comment": "the sheds are missing"}"#.buffer)
      #expect(invalidated.status == .created)
      let again = try await client.execute(
        uri: "/api/v1/tasks/sheds/leases", method: .post, headers: fixture.headers("ben"))
      #expect(again.status == .ok && again.body.json?["chip"]?.stringValue == chip)
      #expect(again.body.json?["review_comment"]?.stringValue == "the sheds are missing")
    }
  }
}
