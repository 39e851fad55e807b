import Foundation
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// `swath serve` killed with SIGKILL in the middle of a storm of concurrent submissions: after
/// a restart, every submission answered 201 is in the store exactly once, none is left half
/// written, and clients retrying with their Idempotency-Key get their original answers.
struct KillStormTests {
  static let admin = Caller(name: "test", role: .admin, command: "test")

  @Test(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
  func killedDuringAStormLosesNothingAnswered() throws {
    let folder = try TestSupport.temporaryDirectory("swath-storm")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cli = try CLIWorkspace.initialize(folder)
    let token = try cli.swath(["user", "add", "ana", "--role", "annotator"])
    try cli.swath([
      "image", "add", TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif").path, "--name",
      "atlanta",
    ])
    try cli.swath([
      "task", "create", "--image", "atlanta", "--region", "px:0,0,900,900", "--labels", "building",
      "--chip-size",
      "256", "--overlap", "32", "--name", "roofs",
    ])
    try cli.swath(["task", "assign", "roofs", "--annotators", "ana"])
    let chips = try Workspace.open(folder).status(task: "roofs", by: Self.admin).perChip.map(\.chip)
    #expect(chips.count == 16)

    // One file per chip, heavy enough (200 shapes) that the storm is still running at the kill.
    var files: [URL] = []
    for (index, _) in chips.enumerated() {
      let squares = (0..<200).map { n -> (label: String, ring: [[Double]]) in
        // Within 200 px: the edge chips of the 900 px region are 228 px wide.
        let x = Double(n % 20) * 10 + 2
        let y = Double(n / 20) * 10 + Double(index % 3) + 2
        return ("building", GeoJSONFixture.pixelSquare(x, y, x + 8, y + 8))
      }
      let file = folder.appendingPathComponent("chip-\(index).geojson")
      try Data(GeoJSONFixture.collection(squares).utf8).write(to: file)
      files.append(file)
    }

    /// A submission with its idempotency key, answered into `answer-N` (status line, then body).
    func post(_ index: Int, to base: String) throws -> Process {
      let curl = Process()
      curl.executableURL = URL(fileURLWithPath: "/usr/bin/env")
      curl.arguments = [
        "curl", "-s", "--max-time", "60", "-o", folder.appendingPathComponent("body-\(index)").path, "-w",
        "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer \(token)", "-H",
        "Content-Type: application/geo+json", "-H", "Idempotency-Key: storm-\(index)", "--data-binary",
        "@\(files[index].path)",
        "\(base)/api/v1/tasks/roofs/chips/\(chips[index])/submissions?coordinates=pixel",
      ]
      curl.standardOutput = try FileHandle(forWritingTo: statusFile(index))
      try curl.run()
      return curl
    }
    func statusFile(_ index: Int) -> URL {
      let url = folder.appendingPathComponent("status-\(index)")
      if !FileManager.default.fileExists(atPath: url.path) {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil)
      }
      return url
    }
    func answer(_ index: Int) -> (status: String, body: String) {
      (
        (try? String(contentsOf: statusFile(index), encoding: .utf8)) ?? "",
        (try? String(contentsOf: folder.appendingPathComponent("body-\(index)"), encoding: .utf8)) ?? ""
      )
    }

    var server = try LiveServer.start(workspace: folder)
    let storm = try chips.indices.map { try post($0, to: server.url) }
    // Kill as soon as the first answer is in: a state, not a guessed time.
    let deadline = Date().addingTimeInterval(120)
    while Date() < deadline, !chips.indices.contains(where: { answer($0).status == "201" }) { usleep(2_000) }
    kill(server.process.processIdentifier, SIGKILL)
    server.process.waitUntilExit()
    for curl in storm { curl.waitUntilExit() }
    let first = chips.indices.map { answer($0) }
    let answered = first.indices.filter { first[$0].status == "201" }
    #expect(!answered.isEmpty)
    #expect(answered.count < chips.count, "the kill came after the whole storm")

    // Restarted, every client retries with its key: the answered get their first answer back.
    server = try LiveServer.start(workspace: folder)
    defer { server.stop() }
    for index in chips.indices {
      try FileManager.default.removeItem(at: statusFile(index))
      let retry = try post(index, to: server.url)
      retry.waitUntilExit()
      let again = answer(index)
      #expect(again.status == "201", "chip \(chips[index]) on retry: \(again.status) \(again.body)")
      if answered.contains(index) {
        #expect(again.body == first[index].body, "chip \(chips[index]) not replayed")
      }
    }

    let workspace = try Workspace.open(folder)
    let status = try workspace.status(task: "roofs", by: Self.admin)
    #expect(status.submissions["received"] == 0, "half-written submissions: \(status.submissions)")
    #expect(status.perChip.allSatisfy { $0.acceptedSubmissions == 1 }, "\(status.perChip)")
    let stored = try workspace.submissions(of: "ana", task: "roofs", by: Self.admin)
    for index in answered {
      let id = try #require(
        try JSONSerialization.jsonObject(with: Data(first[index].body.utf8)) as? [String: Any])
      let results = try #require(id["results"] as? [[String: Any]])
      let submission = try #require(results.first?["id"] as? Int)
      #expect(stored.filter { $0.id == Int64(submission) }.count == 1)
      #expect(stored.first { $0.id == Int64(submission) }?.status == "accepted")
    }
  }
}
