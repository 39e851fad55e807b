import Foundation
import SwathTestSupport
import Testing

/// schemathesis (tools/setup installs it) generates requests from Schemas/openapi.yaml and sends
/// them to a live `swath serve`, as an analyst and as an annotator: no answer may be a server
/// error, and every answer must conform to the document (status codes, content types, bodies,
/// headers). Its check that schema-valid requests are accepted is left out: a path that is not
/// a raster or a region that does not parse is valid to the schema and still refused (404 or 400).
struct SchemathesisTests {
  static let binary = TestSupport.packageRoot.appendingPathComponent(
    "tools/.venv-schemathesis/bin/schemathesis")

  @Test(.enabled(if: TestSupport.isCI || FileManager.default.isExecutableFile(atPath: binary.path)))
  func liveServerConformsToItsDocument() throws {
    let folder = try TestSupport.temporaryDirectory("swath-schemathesis")
    defer { try? FileManager.default.removeItem(at: folder) }
    func swath(_ arguments: [String]) throws -> String {
      let result = try TestSupport.swath(arguments + ["--workspace", folder.path])
      #expect(result.status == 0, "swath \(arguments): \(result.stderr)")
      return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
    _ = try TestSupport.swath(["init", folder.path])
    let analyst = try swath(["user", "add", "lena", "--role", "analyst"])
    let annotator = try swath(["user", "add", "ana", "--role", "annotator"])
    _ = try swath([
      "image", "add", TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif").path, "--name",
      "atlanta",
    ])
    _ = try swath([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,512,512", "--labels", "building",
      "--chip-size",
      "256", "--overlap", "0", "--name", "roofs",
    ])
    _ = try swath(["task", "assign", "roofs", "--annotators", "ana"])

    let output = folder.appendingPathComponent("serve.out")
    let log = folder.appendingPathComponent("serve.err")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    _ = FileManager.default.createFile(atPath: log.path, contents: nil)
    let server = Process()
    server.executableURL = TestSupport.swathBinary
    // Negative tests send bad credentials on purpose: no refusals for them.
    server.arguments = ["serve", "--workspace", folder.path, "--port", "0", "--max-failed-logins", "1000000"]
    server.standardOutput = try FileHandle(forWritingTo: output)
    server.standardError = try FileHandle(forWritingTo: log)
    try server.run()
    defer { if server.isRunning { server.terminate() } }
    let deadline = Date().addingTimeInterval(60)
    var url: String?
    while url == nil, Date() < deadline, server.isRunning {
      let text = (try? String(contentsOf: output, encoding: .utf8)) ?? ""
      if let range = text.range(of: #"http://127\.0\.0\.1:\d+"#, options: .regularExpression) {
        url = String(text[range])
      } else {
        usleep(20_000)
      }
    }
    let base = try #require(url, "swath serve printed no address")

    for token in [analyst, annotator] {
      let run = try TestSupport.run(
        Self.binary,
        [
          "run", TestSupport.packageRoot.appendingPathComponent("Schemas/openapi.yaml").path, "--url", base,
          "-H", "Authorization: Bearer \(token)", "--max-examples", "20", "--seed", "1",
          "--exclude-checks", "positive_data_acceptance", "--no-color",
        ])
      #expect(run.status == 0, "\(run.stdout.suffix(4000))\(run.stderr.suffix(2000))")
      #expect(run.stdout.contains(" passed"), "\(run.stdout.suffix(2000))")
    }
    server.terminate()
    server.waitUntilExit()
    let statuses = try String(contentsOf: log, encoding: .utf8).split(separator: "\n")
      .filter { $0.contains("status=5") }
    #expect(statuses.isEmpty, "server errors: \(statuses.prefix(5))")
  }
}
