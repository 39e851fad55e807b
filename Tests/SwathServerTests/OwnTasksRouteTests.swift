import Foundation
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathServer
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// `GET /api/v1/me/tasks`: where an annotator can work now, and nothing about anyone else.
struct OwnTasksRouteTests {
  @Test func anAnnotatorSeesTheOpenLeasedTasksAndTheirOwnPendingAssignedOnes() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "walls", imageName: "atlanta", region: "px:0,0,512,512", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "shut", imageName: "atlanta", region: "px:0,0,512,512", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    _ = try fixture.workspace.closeTask("shut", by: ServerFixture.admin)

    try await fixture.withClient { client in
      func tasks(_ user: String) async throws -> [String: JSONValue] {
        let response = try await client.execute(
          uri: "/api/v1/me/tasks", method: .get, headers: fixture.headers(user))
        #expect(response.status == .ok, "\(user): \(response.status)")
        var byName: [String: JSONValue] = [:]
        for entry in response.body.json?.arrayValue ?? [] { byName[entry["task"]?.stringValue ?? ""] = entry }
        return byName
      }
      // ana has the 16 chips of roofs assigned; ben has none, so only the leased task is his.
      let ana = try await tasks("ana")
      #expect(Set(ana.keys) == ["roofs", "walls"])
      #expect(ana["roofs"]?["distribution"]?.stringValue == "assigned")
      #expect(ana["roofs"]?["pending"]?.integerValue == 16)
      #expect(ana["walls"]?["leased"]?.boolValue == false)
      #expect(Set(try await tasks("ben").keys) == ["walls"])

      // A lease shows in the holder's list only.
      let lease = try await client.execute(
        uri: "/api/v1/tasks/walls/leases", method: .post, headers: fixture.headers("ben"))
      #expect(lease.status == .ok)
      #expect(try await tasks("ben")["walls"]?["leased"]?.boolValue == true)
      #expect(try await tasks("ana")["walls"]?["leased"]?.boolValue == false)

      for (user, status) in [("rev", 403), ("alice", 403), ("gone", 401), ("adm", 200)] {
        let response = try await client.execute(
          uri: "/api/v1/me/tasks", method: .get, headers: fixture.headers(user))
        #expect(Int(response.status.code) == status, "\(user): \(response.status)")
      }
    }
  }
}
