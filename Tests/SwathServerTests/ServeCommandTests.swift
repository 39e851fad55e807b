import Foundation
import SwathTestSupport
import Testing

/// The real `swath serve` binary: starts on a free loopback port, answers, stops on SIGTERM.
struct ServeCommandTests {
  @Test func serveAnswersAndStopsCleanlyOnSIGTERM() throws {
    let folder = try TestSupport.temporaryDirectory("swath-serve-e2e")
    defer { try? FileManager.default.removeItem(at: folder) }
    let added = try CLIWorkspace.initialize(folder).swath(["user", "add", "ana", "--role", "annotator"])
    let token = try #require(
      added.split(whereSeparator: \.isWhitespace).first { $0.hasPrefix("swath_") }.map(String.init))

    // --port 0: the kernel picks a free port, and the server prints the one it bound.
    let server = try LiveServer.start(workspace: folder, arguments: ["--idle-timeout", "1"])
    let process = server.process
    defer { if process.isRunning { process.terminate() } }
    let bound = try #require(server.url.split(separator: ":").last.map(String.init))

    // Poll the state (/healthz) until a deadline; no fixed sleeps.
    let deadline = Date().addingTimeInterval(60)
    var healthy = false
    while !healthy, Date() < deadline {
      healthy = try curl(["http://127.0.0.1:\(bound)/healthz"]).stdout.contains("\"ok\"")
      if !healthy { usleep(20_000) }
    }
    #expect(healthy)

    let me = try curl(["-H", "Authorization: Bearer \(token)", "http://127.0.0.1:\(bound)/api/v1/me"])
    #expect(me.stdout.contains("\"name\":\"ana\"") && me.stdout.contains("\"role\":\"annotator\""))
    let anonymous = try curl(["-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(bound)/api/v1/me"])
    #expect(anonymous.stdout == "401")

    // A client that connects and says nothing is disconnected by the server (idle timeout 1 s),
    // well before the 20 s this test would wait.
    let silent = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/env"),
      ["timeout", "20", "bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/\(bound); cat <&3 >/dev/null"])
    #expect(silent.status == 0, "the silent connection was not closed: \(silent.status)")

    process.terminate()  // SIGTERM
    process.waitUntilExit()
    #expect(process.terminationReason == .exit && process.terminationStatus == 0)
    // The access log: one structured line per request, with the user once authenticated.
    let lines = try String(contentsOf: server.log, encoding: .utf8).split(separator: "\n")
    let meLine = lines.first { $0.contains("path=/api/v1/me") && $0.contains("status=200") }
    #expect(meLine?.contains("user=ana") == true && meLine?.contains("method=GET") == true, "\(lines)")
    #expect(meLine?.contains("request_id=") == true && meLine?.contains("duration_ms=") == true)
    #expect(
      lines.contains { $0.contains("path=/api/v1/me") && $0.contains("status=401") && $0.contains("user=-") })
  }

  /// Options out of range are one line naming the option, before anything starts.
  @Test(arguments: [
    (["--render-timeout", "0"], "--render-timeout 0.0 is outside 1…600 seconds"),
    (["--render-timeout", "nan"], "--render-timeout nan is outside 1…600 seconds"),
    (["--chip-cache-mb=-1"], "--chip-cache-mb -1 is outside 0…65536"),
  ])
  func outOfRangeOptionsAreRefused(_ arguments: [String], _ message: String) throws {
    let folder = try TestSupport.temporaryDirectory("swath-serve-options")
    defer { try? FileManager.default.removeItem(at: folder) }
    let run = try TestSupport.run(TestSupport.swathBinary, ["serve", "--workspace", folder.path] + arguments)
    #expect(run.status != 0 && run.stderr.contains(message), "\(run.stderr)")
  }

  private func curl(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    try TestSupport.run(URL(fileURLWithPath: "/usr/bin/env"), ["curl", "-s", "--max-time", "10"] + arguments)
  }
}
