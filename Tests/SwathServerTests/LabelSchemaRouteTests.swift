import Foundation
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathTestSupport
import Testing

/// A task with a label schema through the API: created with `label_schema`, its schema read by
/// the annotators who work on it and no one else, submissions checked against it, and changes
/// refused once they would no longer fit the answers given.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct LabelSchemaRouteTests {
  static let schema = """
    {"labels": [
      {"name": "building", "shapes": ["polygon"],
       "attributes": [
         {"name": "damage", "type": "enum", "values": ["none", "minor", "major", "destroyed"], "required": true},
         {"name": "occluded", "type": "boolean", "default": false}]},
      {"name": "vehicle", "shapes": ["bbox"]}
    ]}
    """

  @Test func aTaskWithALabelSchemaEndToEnd() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let analyst = fixture.headers("alice", contentType: "application/json")
      let task = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst,
        body:
          #"{"name": "damage", "image": "atlanta", "region": "px:0,0,300,300", "label_schema": \#(Self.schema), "chip_size": 256, "overlap": 0, "replicas": 1, "distribution": "leased"}"#
          .buffer)
      #expect(task.status == .accepted, "\(task.body.text)")
      let created = try await fixture.finishedJob(client, task, as: "alice")
      #expect(created?["state"]?.stringValue == "succeeded", "\(String(describing: created))")

      // Both `labels` and `label_schema`, or a broken schema: the client's mistake, located.
      let both = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst,
        body: #"{"name": "x", "image": "atlanta", "labels": ["a"], "label_schema": \#(Self.schema)}"#.buffer)
      #expect(both.status == .badRequest && both.body.text.contains("one of them"))
      let broken = try await client.execute(
        uri: "/api/v1/tasks", method: .post, headers: analyst,
        body:
          #"{"name": "x", "image": "atlanta", "label_schema": {"labels": [{"name": "a", "attributes": [{"name": "n", "type": "integer", "minimum": 3, "maximum": 1}]}]}}"#
          .buffer)
      #expect(broken.status == .badRequest)
      #expect(
        broken.body.json?["detail"]?.stringValue
          == "label schema labels[0].attributes[0].minimum: the range is empty: minimum 3 is above maximum 1")

      // Annotators read the schema of a leased task; so does the reviewer (relabel, attributes).
      let schema = try await client.execute(
        uri: "/api/v1/tasks/damage/labels", method: .get, headers: fixture.headers("ben"))
      #expect(schema.status == .ok)
      let read = try LabelSchema(json: try #require(schema.body.json))
      #expect(
        read.label(named: "building")?.attribute(named: "damage")?.values == [
          "none", "minor", "major", "destroyed",
        ])
      let reviewer = try await client.execute(
        uri: "/api/v1/tasks/damage/labels", method: .get, headers: fixture.headers("rev"))
      #expect(reviewer.status == .ok && reviewer.body.json?["labels"]?.arrayValue?.count == read.labels.count)

      // A lease, then a file with a wrong value: 422 with the validator's issue at the property.
      let lease = try await client.execute(
        uri: "/api/v1/tasks/damage/leases", method: .post, headers: fixture.headers("ben"))
      let chip = try #require(lease.body.json?["chip"]?.stringValue)
      let square = GeoJSONFixture.pixelSquare(40, 40, 140, 140).map { "[\($0[0]),\($0[1])]" }.joined(
        separator: ",")
      func file(_ properties: String) -> String {
        #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{\#(properties)},"geometry":{"type":"Polygon","coordinates":[[\#(square)]]}}]}"#
      }
      let uri = "/api/v1/tasks/damage/chips/\(chip)/submissions?coordinates=pixel"
      let annotator = fixture.headers("ben", contentType: "application/geo+json")
      let wrong = try await client.execute(
        uri: uri, method: .post, headers: annotator,
        body: file(#""label":"building","damage":"total""#).buffer)
      #expect(wrong.status == .unprocessableContent, "\(wrong.body.text)")
      let issue = wrong.body.json?["issues"]?.arrayValue?.first
      #expect(issue?["code"]?.stringValue == "invalid-attribute")
      #expect(issue?["path"]?.stringValue == "features[0].properties.damage")
      let right = try await client.execute(
        uri: uri, method: .post, headers: annotator,
        body: file(#""label":"building","damage":"minor""#).buffer)
      #expect(right.status == .created, "\(right.body.text)")

      // With an answer given, removing a value is refused (409) and adding one is not.
      let narrower = Self.schema.replacingOccurrences(of: #", "destroyed""#, with: "")
      let refused = try await client.execute(
        uri: "/api/v1/tasks/damage/labels", method: .put, headers: analyst, body: narrower.buffer)
      #expect(refused.status == .conflict)
      #expect(refused.body.text.contains(#"loses the value \"destroyed\""#), "\(refused.body.text)")
      let wider = Self.schema.replacingOccurrences(of: #""destroyed""#, with: #""destroyed", "unknown""#)
      let changed = try await client.execute(
        uri: "/api/v1/tasks/damage/labels", method: .put, headers: analyst, body: wider.buffer)
      #expect(changed.status == .ok)
      #expect(
        try LabelSchema(json: try #require(changed.body.json)).label(named: "building")?.attribute(
          named: "damage")?
          .values.last == "unknown")
      let asAnnotator = try await client.execute(
        uri: "/api/v1/tasks/damage/labels", method: .put,
        headers: fixture.headers("ben", contentType: "application/json"), body: wider.buffer)
      #expect(asAnnotator.status == .forbidden)
    }
  }

  /// An annotator with no chips in an assigned task does not learn it exists.
  @Test func anAssignedTaskSchemaIsOnlyForItsAnnotators() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let ana = try await client.execute(
        uri: "/api/v1/tasks/roofs/labels", method: .get, headers: fixture.headers("ana"))
      #expect(ana.status == .ok && ana.body.json?["labels"]?.arrayValue?.count == 2)
      let ben = try await client.execute(
        uri: "/api/v1/tasks/roofs/labels", method: .get, headers: fixture.headers("ben"))
      let missing = try await client.execute(
        uri: "/api/v1/tasks/nothing/labels", method: .get, headers: fixture.headers("ben"))
      #expect(ben.status == .notFound && missing.status == .notFound)
      // The same answer as for a task that does not exist.
      #expect(ben.body.json?["detail"]?.stringValue == "no task named 'roofs'")
      #expect(missing.body.json?["detail"]?.stringValue == "no task named 'nothing'")
    }
  }
}
