import Foundation
import Hummingbird
import HummingbirdTesting
import SwathServer
import SwathTestSupport
import SwathWorkflow
import Testing

struct OpenAPITests {
  static let document = TestSupport.packageRoot.appendingPathComponent("Schemas/openapi.yaml")

  /// `METHOD path` for every operation of the document: paths are the two-space-indented keys
  /// under `paths:`, operations the four-space-indented HTTP methods under them.
  static func documentedOperations() throws -> Set<String> {
    let text = try String(contentsOf: document, encoding: .utf8)
    var operations: Set<String> = []
    var inPaths = false
    var path: String?
    let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options"]
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if line == "paths:" {
        inPaths = true
        continue
      }
      guard inPaths else { continue }
      if let first = line.first, first != " ", first != "#" { break }
      if line.hasPrefix("  /"), !line.hasPrefix("   "), line.hasSuffix(":") {
        path = String(line.dropFirst(2).dropLast())
      } else if line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":"),
        let path, methods.contains(String(line.dropFirst(4).dropLast()))
      {
        operations.insert("\(line.dropFirst(4).dropLast().uppercased()) \(path)")
      }
    }
    return operations
  }

  @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() throws {
    let registered = Set(SwathAPI.endpoints.map { "\($0.method.rawValue) \($0.path)" })
    let documented = try Self.documentedOperations()
    #expect(registered.count == SwathAPI.endpoints.count, "a route is registered twice")
    #expect(
      registered.subtracting(documented).isEmpty,
      "not in openapi.yaml: \(registered.subtracting(documented).sorted())")
    #expect(
      documented.subtracting(registered).isEmpty,
      "documented, not served: \(documented.subtracting(registered).sorted())")
  }

  @Test func theServerServesTheCommittedDocument() async throws {
    let folder = try TestSupport.temporaryDirectory("swath-openapi")
    defer { try? FileManager.default.removeItem(at: folder) }
    let (workspace, _) = try Workspace.initialize(
      at: folder, store: TestPostgres.workspaceStore(),
      by: Caller(name: "test", role: .admin, command: "test"))
    let api = SwathAPI(workspace: workspace, options: ServerOptions(threads: 1))
    let expected = try Data(contentsOf: Self.document)
    try await Application(router: api.router()).test(.router) { client in
      let response = try await client.execute(uri: "/api/v1/openapi.yaml", method: .get)
      #expect(response.status == .ok)
      #expect(response.headers[.contentType] == "application/yaml")
      #expect(Data(response.body.readableBytesView) == expected)
    }
    try await api.shutdown()
  }
}
