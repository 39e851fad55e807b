import Foundation
import SwathTestSupport
import Testing

/// How `swath serve` serves the browser pages and Leaflet: from this machine only, under a
/// content security policy, and with a clear word when Leaflet is not installed.
struct PagesServingTests {
  @Test func pagesAndLeafletAreServedWithTheirTypesAndPolicy() throws {
    let folder = try TestSupport.temporaryDirectory("swath-pages")
    defer { try? FileManager.default.removeItem(at: folder) }
    _ = try CLIWorkspace.initialize(folder)
    let server = try LiveServer.start(workspace: folder)
    defer { server.stop() }

    let root = try get(server.url + "/")
    #expect(root.status == 303 && root.headers["location"] == "/app/", "\(root)")
    let index = try get(server.url + "/app/")
    #expect(index.status == 200 && index.headers["content-type"] == "text/html")
    #expect(index.body.contains("<form id=\"sign-in-form\""))
    let policy = try #require(index.headers["content-security-policy"])
    #expect(policy.contains("default-src 'self'") && policy.contains("connect-src 'self'"))
    #expect(policy.contains("frame-ancestors 'none'"))
    #expect(index.headers["x-content-type-options"] == "nosniff")

    let module = try get(server.url + "/app/js/api.js")
    #expect(module.status == 200 && module.headers["content-type"] == "text/javascript")
    #expect(module.body.contains("export async function api("))
    let leaflet = try get(server.url + "/vendor/leaflet/leaflet.js")
    #expect(leaflet.status == 200 && leaflet.body.contains("CRS"))
    let missing = try get(server.url + "/app/no-such-page.html")
    #expect(missing.status == 404 && missing.headers["content-type"] == "application/problem+json")
    #expect(missing.body.contains("/app/no-such-page.html: no such file"))
    // Nothing outside the pages' folder, however the path is spelled.
    for path in [
      "/app/../../../../etc/passwd", "/app/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/vendor/leaflet/../../../etc/passwd",
    ] {
      let escaped = try get(server.url + path)
      #expect(escaped.status == 400 || escaped.status == 404, "\(path): \(escaped.status)")
      #expect(!escaped.body.contains("root:"), "\(path)")
    }
  }

  @Test func aMissingLeafletIsSaidAtStartAndOnRequest() throws {
    let folder = try TestSupport.temporaryDirectory("swath-pages-no-leaflet")
    defer { try? FileManager.default.removeItem(at: folder) }
    _ = try CLIWorkspace.initialize(folder)
    let server = try LiveServer.start(
      workspace: folder, environment: ["SWATH_LEAFLET_DIR": folder.appendingPathComponent("none").path])
    defer { server.stop() }
    let leaflet = try get(server.url + "/vendor/leaflet/leaflet.js")
    #expect(
      leaflet.status == 404 && leaflet.body.contains("install Debian's libjs-leaflet"), "\(leaflet.body)")
    #expect(try get(server.url + "/app/").status == 200)
    server.stop()
    let log = try String(contentsOf: server.log, encoding: .utf8)
    #expect(log.contains("swath serve: Leaflet is missing"), "\(log.prefix(2000))")
  }

  private struct Answer {
    var status: Int
    var headers: [String: String]
    var body: String
  }

  private func get(_ url: String) throws -> Answer {
    let result = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/env"),
      ["curl", "-s", "--path-as-is", "--max-time", "10", "-D", "-", url])
    let text = result.stdout
    let parts = text.components(separatedBy: "\r\n\r\n")
    let head = parts.first ?? ""
    var headers: [String: String] = [:]
    var status = 0
    for (index, line) in head.split(separator: "\r\n").enumerated() {
      if index == 0 {
        status = Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0
      } else if let colon = line.firstIndex(of: ":") {
        headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
          in: .whitespaces)
      }
    }
    return Answer(status: status, headers: headers, body: parts.dropFirst().joined(separator: "\r\n\r\n"))
  }
}
