import Foundation

/// Paths and process helpers shared by every test target.
public enum TestSupport {
  /// The package root, found from this file's location.
  public static let packageRoot: URL = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

  /// `../shared` beside the checkout, where CI puts third-party data.
  public static let sharedRoot: URL = packageRoot.deletingLastPathComponent()
    .appendingPathComponent("shared")

  public static let imagery = sharedRoot.appendingPathComponent("imagery")
  public static let fixtures = sharedRoot.appendingPathComponent("fixtures")

  /// Whether the tests that need `../shared/imagery` run. Under CI (`CI` set) they always run,
  /// so missing data fails them instead of skipping them silently.
  public static var hasImagery: Bool { isCI || imageryPresent }
  /// Whether the tests that need `../shared/fixtures` run; always under CI.
  public static var hasFixtures: Bool { isCI || fixturesPresent }

  public static var imageryPresent: Bool {
    FileManager.default.fileExists(atPath: imagery.appendingPathComponent("MANIFEST.md").path)
  }
  public static var fixturesPresent: Bool {
    FileManager.default.fileExists(atPath: fixtures.appendingPathComponent("README.md").path)
  }

  /// Set by CI, where every test must run.
  public static var isCI: Bool {
    let value = ProcessInfo.processInfo.environment["CI"] ?? ""
    return !value.isEmpty && value != "0" && value.lowercased() != "false"
  }

  public static func image(_ name: String) -> URL { imagery.appendingPathComponent(name) }
  public static func fixture(_ name: String) -> URL { fixtures.appendingPathComponent(name) }

  /// The `swath` executable built beside the test bundle.
  public static var swathBinary: URL { builtExecutable("swath") }

  /// An executable of this package built beside the test bundle.
  public static func builtExecutable(_ name: String) -> URL {
    let bundleDirectory = Bundle.main.bundleURL
    var candidates = [bundleDirectory.appendingPathComponent(name)]
    if let argument0 = CommandLine.arguments.first {
      candidates.append(
        URL(fileURLWithPath: argument0).deletingLastPathComponent().appendingPathComponent(name))
    }
    for configuration in ["debug", "release"] {
      candidates.append(packageRoot.appendingPathComponent(".build/\(configuration)/\(name)"))
    }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
      ?? candidates[0]
  }

  /// Waits until a process is stopped (SIGSTOP): a state, observed in /proc, not a guessed time.
  /// Returns false when it exited instead, or did not stop within `limit` seconds.
  public static func waitUntilStopped(_ process: Process, limit: Double = 120) -> Bool {
    let deadline = Date().addingTimeInterval(limit)
    let statPath = "/proc/\(process.processIdentifier)/stat"
    while Date() < deadline {
      guard process.isRunning else { return false }
      // The state is the field after the parenthesised command name.
      if let stat = try? String(contentsOfFile: statPath, encoding: .utf8),
        let close = stat.lastIndex(of: ")"),
        stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first == "T"
      {
        return true
      }
      usleep(2_000)
    }
    return false
  }

  public struct ProcessResult: Sendable {
    public var status: Int32
    public var stdout: String
    public var stderr: String
  }

  /// Runs `swath` with `arguments`, capturing its output.
  @discardableResult
  public static func swath(
    _ arguments: [String], environment: [String: String] = [:], input: Data? = nil,
    currentDirectory: URL? = nil
  ) throws -> ProcessResult {
    try run(
      swathBinary, arguments, environment: environment, input: input,
      currentDirectory: currentDirectory)
  }

  /// Runs any executable (an absolute URL, or a name looked up on PATH through /usr/bin/env).
  public static func run(
    _ executable: URL, _ arguments: [String], environment: [String: String] = [:],
    input: Data? = nil, currentDirectory: URL? = nil
  ) throws -> ProcessResult {
    let process = Process()
    process.executableURL = executable
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    if let currentDirectory { process.currentDirectoryURL = currentDirectory }
    let outURL = FileManager.default.temporaryDirectory
      .appendingPathComponent("swath-test-\(UUID().uuidString).out")
    let errURL = outURL.appendingPathExtension("err")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    defer {
      try? FileManager.default.removeItem(at: outURL)
      try? FileManager.default.removeItem(at: errURL)
    }
    // Files, not pipes: a chatty child cannot block on a full pipe buffer.
    let outHandle = try FileHandle(forWritingTo: outURL)
    let errHandle = try FileHandle(forWritingTo: errURL)
    process.standardOutput = outHandle
    process.standardError = errHandle
    let inputPipe = Pipe()
    process.standardInput = input == nil ? FileHandle.nullDevice : inputPipe
    try process.run()
    if let input {
      inputPipe.fileHandleForWriting.write(input)
      try inputPipe.fileHandleForWriting.close()
    }
    process.waitUntilExit()
    try outHandle.close()
    try errHandle.close()
    return ProcessResult(
      status: process.terminationStatus,
      stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
      stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
  }

  /// Runs a tool from PATH, such as gdalinfo.
  @discardableResult
  public static func tool(_ name: String, _ arguments: [String]) throws -> ProcessResult {
    try run(URL(fileURLWithPath: "/usr/bin/env"), [name] + arguments)
  }

  /// A fresh empty directory, removed by the caller when it wants.
  public static func temporaryDirectory(_ prefix: String = "swath") throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("\(prefix)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}

extension TestSupport {
  /// Validates JSON files against one of `Schemas/` with tools/schema-check;
  /// returns its report, empty when every file conforms.
  public static func schemaProblems(schema: String, instances: [URL]) throws -> [String] {
    let schemaURL = packageRoot.appendingPathComponent("Schemas/\(schema)")
    let result = try run(
      packageRoot.appendingPathComponent("tools/schema-check"),
      [schemaURL.path] + instances.map(\.path))
    let lines = (result.stdout + result.stderr).split(separator: "\n").map(String.init)
    if result.status != 0 && lines.isEmpty { return ["schema-check exited \(result.status)"] }
    return result.status == 0 ? [] : lines
  }
}

/// Small GeoJSON submissions for tests, written as text so they are independent of Swath's own
/// writer.
public enum GeoJSONFixture {
  public static func collection(_ features: [(label: String, ring: [[Double]])]) -> String {
    let items = features.map { feature in
      let ring = feature.ring.map { "[\($0[0]),\($0[1])]" }.joined(separator: ",")
      return
        "{\"type\":\"Feature\",\"properties\":{\"label\":\"\(feature.label)\",\"shape\":\"polygon\"},\"geometry\":{\"type\":\"Polygon\",\"coordinates\":[[\(ring)]]}}"
    }
    return "{\"type\":\"FeatureCollection\",\"features\":[\(items.joined(separator: ","))]}"
  }

  /// A pixel rectangle as a ring, counter-clockwise on the ground: rows grow southwards, so the
  /// walk goes down the left side first.
  public static func pixelSquare(_ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) -> [[Double]] {
    [[x0, y0], [x0, y1], [x1, y1], [x1, y0], [x0, y0]]
  }
}
