import Foundation
import SwathSupport
import SwathTestSupport
import Testing

@Suite struct AtomicFileTests {
  @Test func writeReplacesWholeAndLeavesNoTemporary() throws {
    let folder = try TestSupport.temporaryDirectory("swath-atomic")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("layer.geojson")
    try Data("old".utf8).write(to: target)
    try AtomicFile.write(Data("new contents".utf8), to: target)
    #expect(try String(contentsOf: target, encoding: .utf8) == "new contents")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["layer.geojson"])
  }

  @Test func aFailingBodyLeavesTheOldFileAndNoTemporary() throws {
    let folder = try TestSupport.temporaryDirectory("swath-atomic")
    defer { try? FileManager.default.removeItem(at: folder) }
    let target = folder.appendingPathComponent("out.gpkg")
    try Data("old".utf8).write(to: target)
    struct Boom: Error {}
    var temporaryName = ""
    #expect(throws: Boom.self) {
      try AtomicFile.write(to: target, keepExtension: true) { temporary in
        temporaryName = temporary.lastPathComponent
        try Data("half".utf8).write(to: temporary)
        throw Boom()
      }
    }
    // The temporary name is a dot-file beside the target that keeps the extension for GDAL.
    #expect(temporaryName.hasPrefix(".out.gpkg.") && temporaryName.hasSuffix(".tmp.gpkg"))
    #expect(try String(contentsOf: target, encoding: .utf8) == "old")
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path) == ["out.gpkg"])
  }

  @Test func writeAllWritesEveryFileOrNone() throws {
    let folder = try TestSupport.temporaryDirectory("swath-atomic")
    defer { try? FileManager.default.removeItem(at: folder) }
    let a = folder.appendingPathComponent("a.json")
    let missing = folder.appendingPathComponent("no-such-folder/b.json")
    #expect(throws: FileWriteError.self) {
      try AtomicFile.writeAll([(Data("a".utf8), a), (Data("b".utf8), missing)])
    }
    #expect(try FileManager.default.contentsOfDirectory(atPath: folder.path).isEmpty)
    let b = folder.appendingPathComponent("b.json")
    try AtomicFile.writeAll([(Data("a".utf8), a), (Data("b".utf8), b)])
    #expect(try String(contentsOf: a, encoding: .utf8) == "a")
    #expect(try String(contentsOf: b, encoding: .utf8) == "b")
    #expect(
      try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() == ["a.json", "b.json"])
  }
}

@Suite struct ParallelTests {
  @Test func mapKeepsOrderOverChunks() {
    let squares = Parallel.map(0..<10_000) { $0 * $0 }
    #expect(squares == (0..<10_000).map { $0 * $0 })
    #expect(Parallel.map(5..<5) { $0 }.isEmpty)
  }

  @Test func mapRethrowsAFailure() {
    struct Failure: Error, Equatable { let index: Int }
    #expect(throws: Failure.self) {
      _ = try Parallel.map(0..<1_000) { index -> Int in
        if index == 777 { throw Failure(index: index) }
        return index
      }
    }
  }
}
