import Foundation
import SwathTestSupport
import Testing

@testable import SwathCLI

@Suite struct ProgressBarTests {
  @Test func lineShowsDoneOfTotalRateAndTimeLeft() {
    let line = TerminalProgress.line(
      step: "chips", unit: "chips", done: 25, total: 100, elapsed: 5, width: 80)
    #expect(line.hasPrefix("chips █"))
    #expect(line.contains("  25% 25/100 chips, 5/s, 15s left"), "\(line)")
    #expect(line.count <= 79)
    let narrow = TerminalProgress.line(step: "chips", unit: "chips", done: 1, total: 4, elapsed: 1, width: 30)
    #expect(narrow == "chips  25% 1/4 chips, 1/s, 3s left", "\(narrow)")
    let finished = TerminalProgress.line(
      step: "export", unit: "objects", done: 10, total: 10, elapsed: 2, width: 60)
    #expect(finished.contains(" 100% 10/10 objects, 5/s") && !finished.contains("left"), "\(finished)")
    let open = TerminalProgress.line(step: "consensus", unit: "", done: 0, total: nil, elapsed: 75, width: 80)
    #expect(open == "consensus, 1m15s")
  }

  /// On a terminal (a pseudo-terminal made by `script`) the bar is drawn on standard error and
  /// cleared at the end; with --quiet, or off a terminal, nothing but the result is printed.
  @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
  func barOnATerminalOnly() throws {
    let folder = try TestSupport.temporaryDirectory("swath-progress")
    defer { try? FileManager.default.removeItem(at: folder) }
    let simulate = try TestSupport.swath([
      "simulate-panel", "--out", folder.path, "--objects", "200", "--annotators", "3", "--seed", "5",
    ])
    #expect(simulate.status == 0, "\(simulate.stderr)")
    let inputs = (1...3).map { folder.appendingPathComponent("annotator-\($0).geojson").path }
    let merge = [TestSupport.swathBinary.path, "merge"] + inputs
    let shell = { (arguments: [String]) in arguments.map { "'\($0)'" }.joined(separator: " ") }

    let onTerminal = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/script"),
      ["-qec", shell(merge + ["--out", folder.appendingPathComponent("a.geojson").path]), "/dev/null"])
    #expect(onTerminal.status == 0, "\(onTerminal.stdout)")
    #expect(onTerminal.stdout.contains("read and validate"), "\(onTerminal.stdout)")
    #expect(onTerminal.stdout.contains("/3 files"), "\(onTerminal.stdout)")
    #expect(onTerminal.stdout.contains("consensus, "), "\(onTerminal.stdout)")
    #expect(onTerminal.stdout.contains("\u{1B}[K"))

    let quiet = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/script"),
      [
        "-qec", shell(merge + ["--out", folder.appendingPathComponent("b.geojson").path, "--quiet"]),
        "/dev/null",
      ])
    #expect(quiet.status == 0)
    #expect(
      !quiet.stdout.contains("read and validate") && !quiet.stdout.contains("\u{1B}[K"), "\(quiet.stdout)")

    let offTerminal = try TestSupport.swath(
      merge.dropFirst() + ["--out", folder.appendingPathComponent("c.geojson").path])
    #expect(offTerminal.status == 0)
    #expect(offTerminal.stderr.isEmpty, "\(offTerminal.stderr)")
  }
}
