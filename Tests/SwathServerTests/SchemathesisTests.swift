import Foundation
import SwathTestSupport
import Testing

/// schemathesis (tools/setup installs it) generates requests from Schemas/openapi.yaml and sends
/// them to a live `swath serve`, as an analyst, an annotator and a reviewer: no answer may be a server
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
    let workspace = try CLIWorkspace.initialize(folder)
    let analyst = try workspace.swath(["user", "add", "lena", "--role", "analyst"])
    let annotator = try workspace.swath(["user", "add", "ana", "--role", "annotator"])
    let reviewer = try workspace.swath(["user", "add", "rita", "--role", "reviewer"])
    try workspace.swath([
      "image", "add", TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif").path, "--name",
      "atlanta",
    ])
    try workspace.swath([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,512,512", "--labels", "building",
      "--chip-size", "256", "--overlap", "0", "--name", "roofs",
    ])
    try workspace.swath(["task", "assign", "roofs", "--annotators", "ana"])
    // A consensus run, so that the task's final layer is a collection under /ogc with features.
    let shapes = folder.appendingPathComponent("ana.geojson")
    try GeoJSONFixture.collection([
      ("building", GeoJSONFixture.pixelSquare(20, 20, 60, 60)),
      ("building", GeoJSONFixture.pixelSquare(100, 20, 140, 60)),
    ]).write(to: shapes, atomically: true, encoding: .utf8)
    try workspace.swath([
      "submit", "roofs", shapes.path, "--annotator", "ana", "--chip", "r0000_c0000", "--pixel",
    ])
    try workspace.swath(["consensus", "roofs"])

    // Negative tests send bad credentials on purpose: no refusals for them.
    let server = try LiveServer.start(workspace: folder, arguments: ["--max-failed-logins", "1000000"])
    defer { server.stop() }
    let base = server.url

    for token in [analyst, annotator, reviewer] {
      let run = try TestSupport.run(
        Self.binary,
        [
          "run", TestSupport.packageRoot.appendingPathComponent("Schemas/openapi.yaml").path, "--url", base,
          "-H", "Authorization: Bearer \(token)", "--max-examples", "20", "--seed", "1",
          "--exclude-checks", "positive_data_acceptance", "--no-color",
        ])
      // The failures section names the request and the response; the summary follows it.
      let failures = run.stdout.range(of: "FAILURES").map {
        String(run.stdout[$0.lowerBound...].prefix(6000))
      }
      #expect(run.status == 0, "\(failures ?? "")\(run.stdout.suffix(3000))\(run.stderr.suffix(2000))")
      #expect(run.stdout.contains(" passed"), "\(run.stdout.suffix(2000))")
    }
    server.stop()
    let statuses = try String(contentsOf: server.log, encoding: .utf8).split(separator: "\n")
      .filter { $0.contains("status=5") }
    #expect(statuses.isEmpty, "server errors: \(statuses.prefix(5))")
  }
}
