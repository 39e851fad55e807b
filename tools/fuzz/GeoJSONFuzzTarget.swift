// The GeoJSON reader's fuzz target (see tools/fuzz-geojson and README: "Fuzzing the reader").
//
// Built by tools/fuzz-geojson with `-sanitize=fuzzer,address -D SWATH_LIBFUZZER`, this file is a
// libFuzzer target: libFuzzer's own `main` drives `LLVMFuzzerTestOneInput`. Built by a plain
// `swift build`, it is a small command that runs the same checks over the files it is given
// (`swath-fuzz-geojson FILE...`), which is how a reproducer is replayed outside libFuzzer.
//
// Every input goes through each public entry point, and the streaming read must agree with the
// in-memory one whatever the chunk size, so a buffer-boundary bug shows as a trap, not a
// silent difference.

import Foundation

// The streaming comparison needs the parser's chunk size, which is internal: fuzz builds and debug
// builds (which enable testing) check it; a plain release build replays the public entry points only.
#if SWATH_LIBFUZZER || DEBUG
  @testable import SwathGeometry
#else
  import SwathGeometry
#endif

/// Runs one input through the reader; traps on any disagreement. Crashes inside are the finding.
func fuzzOne(_ data: Data) {
  // 1. The plain JSON parser, and its writer: what it reads must read back the same.
  if let value = try? JSONValue(parsing: data) {
    let written = value.jsonData()
    guard let again = try? JSONValue(parsing: written) else {
      fatalError("JSONValue wrote text it cannot read back: \(String(decoding: written, as: UTF8.self))")
    }
    // Written text is canonical (sorted keys; `102.0` may come back as the integer 102), so
    // writing what was read back must give the same bytes.
    let rewritten = again.jsonData()
    if rewritten != written {
      fatalError(
        "JSONValue round trip is not stable: \(String(decoding: written, as: UTF8.self)) became \(String(decoding: rewritten, as: UTF8.self))"
      )
    }
  }

  // 2. The validator, in memory, with options chosen by the input's length (so each input
  //    always meets the same options and a reproducer replays exactly).
  let options = FuzzInput.options(for: data)
  let document = GeoJSONReader.read(data: data, options: options)

  #if SWATH_LIBFUZZER || DEBUG
    // 3. The same input streamed from a file in tiny chunks, so every token crosses a refill.
    let chunkSize = 1 + Int(FuzzInput.hash(data) % 17)
    let streamed = FuzzInput.readStreamed(data, chunkSize: chunkSize, options: options)
    let expected = FuzzInput.describe(document.documentIssues, document.features)
    if streamed != expected {
      fatalError(
        "streaming in \(chunkSize)-byte chunks disagrees with the in-memory read:\n\(streamed)\n---\n\(expected)"
      )
    }
  #else
    _ = document
  #endif
}

enum FuzzInput {
  static func hash(_ data: Data) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a
    for byte in data { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
    return hash
  }

  static func options(for data: Data) -> ValidationOptions {
    switch data.count % 4 {
    case 0: return ValidationOptions(parallelism: 1)
    case 1: return ValidationOptions(planar: true, geometry: .any, minArea: 0, parallelism: 1)
    case 2: return ValidationOptions(labels: ["building", "road"], geometry: .any, parallelism: 1)
    default: return ValidationOptions(planar: true, workingEPSG: 32616, parallelism: 1)
    }
  }

  /// Issues as text: `ValidationIssue` holds Doubles (NaN ≠ NaN), text compares as written.
  static func describe(_ documentIssues: [ValidationIssue], _ features: [ValidatedFeature]) -> String {
    var lines = documentIssues.map { "doc \($0)" }
    for feature in features {
      lines.append("feature \(feature.index) \(feature.path) \(feature.geometryType ?? "-")")
      lines += feature.issues.map { "  \($0)" }
    }
    return lines.joined(separator: "\n")
  }

  #if SWATH_LIBFUZZER || DEBUG
    static let scratchURL = URL(fileURLWithPath: NSTemporaryDirectory())
      .appendingPathComponent("swath-fuzz-\(getpid()).geojson")

    /// Reads `data` through the file parser, `chunkSize` bytes at a time, as `GeoJSONReader` does.
    static func readStreamed(_ data: Data, chunkSize: Int, options: ValidationOptions) -> String {
      do {
        try data.write(to: scratchURL)
        let parser = try JSONStreamParser(contentsOf: scratchURL, chunkSize: chunkSize)
        let stream = GeoJSONRootReader(parser: parser, options: options)
        let checkers = CheckerPool(options: options)
        var features: [ValidatedFeature] = []
        var envelope: BoundingBox?
        try stream.read { work in
          for feature in checkers.validate([work]) {
            if let box = feature.envelope { envelope = envelope.map { $0.union(box) } ?? box }
            features.append(feature)
          }
        }
        stream.checkCollectionBBox(featuresEnvelope: envelope)
        return describe(stream.documentIssues, features)
      } catch {
        fatalError("reading a scratch file failed: \(error)")
      }
    }
  #endif
}

#if SWATH_LIBFUZZER
  @_cdecl("LLVMFuzzerTestOneInput")
  public func fuzzTestOneInput(_ bytes: UnsafePointer<UInt8>?, _ count: Int) -> Int32 {
    fuzzOne(count == 0 ? Data() : Data(bytes: bytes!, count: count))
    return 0
  }

  @_silgen_name("LLVMFuzzerRunDriver")
  func runFuzzerDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
  ) -> Int32

  /// SwiftPM links executables with `main` aliased to `<module>_main` (so tests can link them),
  /// which keeps libFuzzer's own `main` out; this entry point starts libFuzzer's driver instead.
  @_cdecl("swath_fuzz_geojson_main")
  public func fuzzMain(
    _ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>
  ) -> Int32 {
    var argc = argc
    var argv = argv
    return runFuzzerDriver(&argc, &argv) { fuzzTestOneInput($0, $1) }
  }
#else
  /// Without libFuzzer: replays the given files (or every file in the given directories).
  @main
  struct FuzzReplay {
    static func main() {
      var files: [URL] = []
      for argument in CommandLine.arguments.dropFirst() {
        let url = URL(fileURLWithPath: argument)
        let entries = try? FileManager.default.contentsOfDirectory(
          at: url, includingPropertiesForKeys: nil)
        files += entries?.sorted { $0.path < $1.path } ?? [url]
      }
      if files.isEmpty {
        FileHandle.standardError.write(Data("usage: swath-fuzz-geojson FILE|DIRECTORY...\n".utf8))
        exit(2)
      }
      for file in files {
        guard let data = FileManager.default.contents(atPath: file.path) else {
          FileHandle.standardError.write(Data("cannot read \(file.path)\n".utf8))
          exit(1)
        }
        fuzzOne(data)
      }
      print("\(files.count) input(s) read without a crash")
    }
  }
#endif
