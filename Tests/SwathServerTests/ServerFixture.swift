import Foundation
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathServer
import SwathStore
import SwathTestSupport
import SwathWorkflow

/// A workspace with the Atlanta pan image tasked into 16 chips (256 px, 32 px overlap), every
/// chip assigned to ana only, and one user of each role with their tokens.
final class ServerFixture: Sendable {
  static let image = "spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif"
  static let admin = Caller(name: "test", role: .admin, command: "test")

  let url: URL
  let workspace: Workspace
  /// name → token: ana and ben (annotators), rev (reviewer), alice (analyst), adm (admin),
  /// gone (a disabled annotator), temp1 and temp2 (for the user routes).
  let tokens: [String: String]

  init() throws {
    url = try TestSupport.temporaryDirectory("swath-serve")
    (workspace, _) = try Workspace.initialize(at: url, store: TestPostgres.workspaceStore(), by: Self.admin)
    var tokens: [String: String] = [:]
    let users: [(String, Role)] = [
      ("ana", .annotator), ("ben", .annotator), ("rev", .reviewer), ("alice", .analyst),
      ("adm", .admin), ("gone", .annotator), ("temp1", .annotator), ("temp2", .annotator),
    ]
    for (name, role) in users {
      tokens[name] = try workspace.addUser(name, role: role, by: Self.admin).token
    }
    _ = try workspace.disableUser("gone", by: Self.admin)
    self.tokens = tokens
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(Self.image).path)
    try workspace.registerImage(inspection, name: "atlanta", by: Self.admin)
    _ = try workspace.createTask(
      TaskParameters(
        name: "roofs", imageName: "atlanta", region: "px:0,0,900,900", labels: ["building", "vehicle"],
        chipSize: 256, overlap: 32, replicas: 1),
      by: Self.admin)
    _ = try workspace.assign(task: "roofs", annotators: ["ana"], by: Self.admin)
  }

  func remove() { try? FileManager.default.removeItem(at: url) }

  /// The API in process, with a small body cap so the 413 test stays small. Failed logins are
  /// not throttled unless a test asks (the role matrix sends many bad tokens on purpose).
  func withClient(
    maxBodyBytes: Int = 1 << 20, slowLoginsAfter: Int = .max, refuseLoginsAfter: Int = .max,
    trustForwardedFor: Bool = false, renderTimeout: Double = 20,
    _ body: @escaping @Sendable (any TestClientProtocol) async throws -> Void
  ) async throws {
    let api = SwathAPI(
      workspace: workspace,
      options: ServerOptions(
        maxBodyBytes: maxBodyBytes, threads: 4, slowLoginsAfter: slowLoginsAfter,
        refuseLoginsAfter: refuseLoginsAfter, trustForwardedFor: trustForwardedFor,
        renderTimeout: renderTimeout))
    let app = Application(router: api.router())
    // The background jobs run as `swath serve` runs them.
    let worker = Task { await api.runJobs() }
    try await app.test(.router) { client in try await body(client) }
    worker.cancel()
    await worker.value
    try await api.shutdown()
  }

  /// Follows a job (a 202's `Location`) until it has finished; its final view.
  func finishedJob(_ client: any TestClientProtocol, _ accepted: TestResponse, as user: String) async throws
    -> JSONValue?
  {
    guard let location = accepted.headers[.location] else { return nil }
    for _ in 0..<600 {
      let job = try await client.execute(uri: location, method: .get, headers: headers(user))
      let state = job.body.json?["state"]?.stringValue
      if state == "succeeded" || state == "failed" { return job.body.json }
      try await Task.sleep(for: .milliseconds(50))
    }
    return nil
  }

  func headers(_ user: String?, contentType: String? = nil) -> HTTPFields {
    var fields: HTTPFields = [:]
    if let user { fields[.authorization] = "Bearer \(tokens[user] ?? user)" }
    if let contentType { fields[.contentType] = contentType }
    return fields
  }
}

extension ByteBuffer {
  var json: JSONValue? { try? JSONValue(parsing: Data(readableBytesView)) }
  var text: String { String(decoding: readableBytesView, as: UTF8.self) }
}

extension String {
  var buffer: ByteBuffer { ByteBuffer(string: self) }
}
