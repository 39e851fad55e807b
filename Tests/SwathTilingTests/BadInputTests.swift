import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

@testable import SwathTiling

/// `swath chip` on bad input: one line on stderr, a non-zero exit, nothing left behind.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct BadInputTests {
  let landsat = TestSupport.image("landsat7_rgb_uint8_utm18n_nodata0.tif").path

  /// Runs `swath chip` into a fresh `out` folder that must stay absent; returns stderr's line.
  func failingChip(
    _ image: String, _ extra: [String] = [], exitCode: Int32 = 1, in directory: URL? = nil
  ) throws -> String {
    let work = try directory ?? TestSupport.temporaryDirectory()
    defer { if directory == nil { try? FileManager.default.removeItem(at: work) } }
    let out = work.appendingPathComponent("out")
    let result = try TestSupport.swath(["chip", image, "--out", out.path] + extra)
    #expect(result.status == exitCode, "\(result.stderr)")
    let lines = result.stderr.split(separator: "\n")
    #expect(lines.count == 1, "\(result.stderr)")
    #expect(result.stderr.hasPrefix("swath: "))
    #expect(!FileManager.default.fileExists(atPath: out.path), "nothing is left: \(ChipTest.files(out))")
    #expect(result.stdout.isEmpty)
    return result.stderr
  }

  @Test func missingFile() throws {
    let message = try failingChip("/no/such/scene.tif")
    #expect(message.contains("/no/such/scene.tif") && message.contains("no such file"))
  }

  @Test func notARaster() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let text = directory.appendingPathComponent("notes.tif")
    try "these are not pixels\n".write(to: text, atomically: true, encoding: .utf8)
    let message = try failingChip(text.path, in: directory)
    #expect(message.contains("notes.tif") && message.contains("not a raster"))
    let folder = try failingChip(directory.path, in: directory)
    #expect(folder.contains("is a directory"))
  }

  @Test(.enabled(if: getuid() != 0, "root reads files whatever their mode"))
  func unreadableFile() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let copy = directory.appendingPathComponent("locked.tif")
    try FileManager.default.copyItem(atPath: landsat, toPath: copy.path)
    chmod(copy.path, 0)
    let message = try failingChip(copy.path, in: directory)
    #expect(message.contains("locked.tif") && message.contains("permission denied"))
  }

  @Test func truncatedTIFF() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    for (name, keep) in [
      ("landsat7_rgb_uint8_utm18n_nodata0.tif", 0.6),  // striped, directory at the end: GDAL cannot open it
      ("landsat8_3band_uint16_utm18n_nodata0_cog.tif", 0.5),  // tiled COG: tiles are missing
      ("landsat8_3band_uint16_utm18n_nodata0_cog.tif", 0.9),
    ] {
      let source = try Data(contentsOf: TestSupport.image(name))
      let truncated = directory.appendingPathComponent("truncated-\(Int(keep * 100))-\(name)")
      try source.prefix(Int(Double(source.count) * keep)).write(to: truncated)
      let message = try failingChip(truncated.path, in: directory)
      #expect(message.contains(truncated.lastPathComponent), "\(message)")
    }
    // The first two strips of chips are whole: their chips are written, then taken back when
    // the third fails; an existing output folder is kept, but emptied of what the run wrote.
    let existing = directory.appendingPathComponent("existing")
    try FileManager.default.createDirectory(at: existing, withIntermediateDirectories: false)
    let cog = try Data(contentsOf: TestSupport.image("landsat8_3band_uint16_utm18n_nodata0_cog.tif"))
    let cut = directory.appendingPathComponent("cut.tif")
    try cog.prefix(Int(Double(cog.count) * 0.9)).write(to: cut)
    let result = try TestSupport.swath([
      "chip", cut.path, "--out", existing.path, "--size", "256", "--stretch", "none",
    ])
    #expect(result.status == 1 && result.stderr.contains("cut.tif: cannot read rows 512…767"))
    #expect(ChipTest.files(existing).isEmpty)
    // Cut inside the header: GDAL cannot even open it.
    let header = directory.appendingPathComponent("header.tif")
    try Data(contentsOf: URL(fileURLWithPath: landsat)).prefix(6).write(to: header)
    #expect(try failingChip(header.path, in: directory).contains("header.tif"))
  }

  @Test func regionOutsideTheImage() throws {
    let message = try failingChip(landsat, ["--region", "10,10,11,11"])
    #expect(message.contains("outside the image"))
    #expect(message.contains("lon -78.9"), "the message names the image's extent: \(message)")
    #expect(try failingChip(landsat, ["--region", "px:900,0,10,10"]).contains("outside the image"))
    _ = try failingChip(landsat, ["--region", "px:1,2,3"], exitCode: 2)
  }

  @Test func overlapNotSmallerThanSize() throws {
    let message = try failingChip(landsat, ["--size", "256", "--overlap", "256"], exitCode: 2)
    #expect(message.contains("--overlap 256 must be smaller than --size 256"))
  }

  @Test func unknownBand() throws {
    let message = try failingChip(landsat, ["--bands", "1,2,5"])
    #expect(message.contains("band 5") && message.contains("has 3 bands"))
    _ = try failingChip(landsat, ["--bands", "1,2"], exitCode: 2)
    _ = try failingChip(landsat, ["--bands", "x"], exitCode: 2)
    _ = try failingChip(landsat, ["--edge", "wrap"], exitCode: 2)
    _ = try failingChip(landsat, ["--stretch", "5"], exitCode: 2)
    _ = try failingChip(landsat, ["--stretch", "nan,100"], exitCode: 2)
    _ = try failingChip(landsat, ["--min-valid", "nan"], exitCode: 2)
    _ = try failingChip(landsat, ["--size", "0"], exitCode: 2)
    _ = try failingChip(landsat, ["--size", "100000"], exitCode: 2)
    _ = try failingChip(landsat, ["--region", "nan,1,2,3"], exitCode: 2)
  }

  @Test func unwritableOutputFolder() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("a-file")
    try "x".write(to: file, atomically: true, encoding: .utf8)
    for out in [file.path, file.appendingPathComponent("chips").path] {
      let result = try TestSupport.swath(["chip", landsat, "--out", out])
      #expect(result.status == 1)
      #expect(result.stderr.split(separator: "\n").count == 1 && result.stderr.contains(out))
    }
    if getuid() != 0 {
      let locked = directory.appendingPathComponent("locked")
      try FileManager.default.createDirectory(at: locked, withIntermediateDirectories: false)
      chmod(locked.path, 0o500)
      let result = try TestSupport.swath(["chip", landsat, "--out", locked.path])
      #expect(result.status == 1 && result.stderr.contains("not writable"))
      #expect(ChipTest.files(locked).isEmpty)
    }
  }

  @Test func sceneWithoutGeoreferenceIsChippedWithAWarning() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    // A plain TIFF without geotransform or CRS, pixels from a real scene.
    let plain = directory.appendingPathComponent("plain.tif").path
    let pixels = try ChipTest.bytes(landsat, bands: [1, 2, 3], x: 200, y: 200, width: 300, height: 200)
    let dataset = try RasterWriter(
      creating: plain, driver: "GTiff", width: 300, height: 200, bands: 3, type: .byte)
    try pixels.withUnsafeBytes {
      try dataset.write(
        window: PixelWindow(x: 0, y: 0, width: 300, height: 200), from: $0.baseAddress!,
        layout: BufferLayout(
          width: 300, height: 200, type: .byte, pixelSpace: 3, lineSpace: 900, bandSpace: 1))
    }
    try dataset.close()

    let out = directory.appendingPathComponent("out")
    let result = try TestSupport.swath(["chip", plain, "--out", out.path, "--size", "128"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("warning") && result.stderr.contains("no georeference"))
    let index = try ChipTest.json(out.appendingPathComponent("chips.geojson"))
    let source = try #require(index["source"] as? [String: Any])
    #expect(source["georeferenced"] as? Bool == false)
    #expect(source["crs_wkt"] is NSNull && source["epsg"] is NSNull)
    #expect((index["warnings"] as? [String])?.first?.contains("no georeference") == true)
    let features = try #require(index["features"] as? [[String: Any]])
    #expect(features.count == 6)
    #expect(features.allSatisfy { $0["geometry"] is NSNull })
    #expect(!ChipTest.files(out).contains { $0.hasSuffix(".pgw") || $0.hasSuffix(".aux.xml") })
    let first = try ChipTest.bytes(
      out.appendingPathComponent("r0000_c0000.png").path, bands: [1, 2, 3], width: 128, height: 128)
    #expect(first[0..<(128 * 3)] == pixels[0..<(128 * 3)])
    #expect(
      try TestSupport.schemaProblems(
        schema: "chips.schema.json", instances: [out.appendingPathComponent("chips.geojson")]
      ).isEmpty)
  }
}
