import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

/// `swath task create --instructions TEXT | --instructions-file FILE`: what annotators are asked
/// to do, kept with the task and shown by `task show`.
@Suite("swath task create --instructions", .serialized)
struct TaskInstructionsCLITests {
  /// A workspace with the sample town (512 px) registered as `town`.
  static func workspace() throws -> URL {
    let folder = try TestSupport.temporaryDirectory("swath-instructions")
    for arguments in [
      ["scene", folder.appendingPathComponent("scene").path, "--size", "512"],
      ["init", folder.appendingPathComponent("work").path],
      [
        "image", "add", folder.appendingPathComponent("scene/town.tif").path, "--name", "town", "--workspace",
        folder.appendingPathComponent("work").path,
      ],
    ] {
      let result = try TestSupport.swath(arguments)
      #expect(result.status == 0, "\(arguments): \(result.stderr)")
    }
    return folder
  }

  static func create(_ folder: URL, _ name: String, _ extra: [String]) throws -> TestSupport.ProcessResult {
    try TestSupport.swath(
      [
        "task", "create", "--image", "town", "--region", "all", "--labels", "building", "--chip-size", "256",
        "--name", name, "--quiet", "--workspace", folder.appendingPathComponent("work").path,
      ] + extra)
  }

  static func instructions(_ folder: URL, _ name: String) throws -> JSONValue? {
    let shown = try TestSupport.swath([
      "task", "show", name, "--json", "--workspace", folder.appendingPathComponent("work").path,
    ])
    #expect(shown.status == 0, "\(shown.stderr)")
    return try JSONValue(parsing: shown.stdout)["instructions"]
  }

  @Test func textAndFileAreKeptAndShown() throws {
    let folder = try Self.workspace()
    defer { try? FileManager.default.removeItem(at: folder) }
    let text = "Outline every roof, eaves included."
    let given = try Self.create(folder, "told", ["--instructions", text])
    #expect(given.status == 0, "\(given.stderr)")
    #expect(try Self.instructions(folder, "told")?.stringValue == text)

    let file = folder.appendingPathComponent("instructions.md")
    let long = "# Roofs\n\nOne polygon per roof — follow the eaves.\nSkip sheds under 4 m².\n"
    try Data(long.utf8).write(to: file)
    let fromFile = try Self.create(folder, "read", ["--instructions-file", file.path])
    #expect(fromFile.status == 0, "\(fromFile.stderr)")
    #expect(try Self.instructions(folder, "read")?.stringValue == long)

    let shown = try TestSupport.swath([
      "task", "show", "told", "--workspace", folder.appendingPathComponent("work").path,
    ])
    #expect(shown.stdout.hasSuffix("instructions:\n  \(text)\n"), "\(shown.stdout)")

    let plain = try Self.create(folder, "plain", [])
    #expect(plain.status == 0)
    #expect(try Self.instructions(folder, "plain") == nil)
  }

  @Test func badInstructionsAreOneLineAndNoTask() throws {
    let folder = try Self.workspace()
    defer { try? FileManager.default.removeItem(at: folder) }
    let both = try Self.create(folder, "both", ["--instructions", "a", "--instructions-file", "/dev/null"])
    #expect(both.status == 64 || both.status == 2, "\(both.status)")
    #expect(both.stderr.contains("not both"))

    let long = try Self.create(folder, "long", ["--instructions", String(repeating: "x", count: 10_001)])
    #expect(long.status == 1)
    #expect(long.stderr.contains("instructions of 10001 characters are longer than 10000"), "\(long.stderr)")

    let missing = try Self.create(
      folder, "missing", ["--instructions-file", "/nonexistent/instructions.txt"])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("/nonexistent/instructions.txt: cannot read"), "\(missing.stderr)")

    let binary = folder.appendingPathComponent("binary.bin")
    try Data([0xFF, 0xFE, 0x00, 0xC3]).write(to: binary)
    let notText = try Self.create(folder, "binary", ["--instructions-file", binary.path])
    #expect(notText.status == 1)
    #expect(notText.stderr.contains("not UTF-8 text"), "\(notText.stderr)")

    let list = try TestSupport.swath([
      "task", "list", "--json", "--workspace", folder.appendingPathComponent("work").path,
    ])
    #expect(try JSONValue(parsing: list.stdout).arrayValue?.isEmpty == true, "\(list.stdout)")
  }
}
