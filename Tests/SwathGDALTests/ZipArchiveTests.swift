import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

@Suite struct ZipArchiveTests {
  /// A folder with nested files, text and a PNG (stored as is): Python's zipfile lists the same
  /// names, finds every CRC right and reads the same bytes back; GDAL opens a layer inside.
  @Test func aFolderArchivesWithEveryFileIntactAndGDALReadsInside() throws {
    let folder = try TestSupport.temporaryDirectory("swath-zip")
    defer { try? FileManager.default.removeItem(at: folder) }
    let content = folder.appendingPathComponent("content/roofs", isDirectory: true)
    try FileManager.default.createDirectory(
      at: content.appendingPathComponent("images"), withIntermediateDirectories: true)
    let layer =
      #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"building"},"geometry":{"type":"Point","coordinates":[1,2]}}]}"#
    try Data(layer.utf8).write(to: content.appendingPathComponent("roofs.geojson"))
    let noise = Data((0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7919 >> 3) })
    try noise.write(to: content.appendingPathComponent("images/r0000_c0000.png"))
    let archive = folder.appendingPathComponent("out.zip")
    try ZipArchive.write(folder: folder.appendingPathComponent("content"), to: archive)

    let script = """
      import json, sys, zipfile
      z = zipfile.ZipFile(sys.argv[1])
      print(json.dumps({"names": z.namelist(), "bad": z.testzip(),
        "methods": {i.filename: i.compress_type for i in z.infolist()},
        "png": len(z.read("roofs/images/r0000_c0000.png")), "layer": z.read("roofs/roofs.geojson").decode()}))
      """
    let listed = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", script, archive.path])
    let json = try #require(
      try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [String: Any], "\(listed.stderr)")
    #expect(json["names"] as? [String] == ["roofs/images/r0000_c0000.png", "roofs/roofs.geojson"])
    #expect(json["bad"] is NSNull)
    // 0 = stored, 8 = deflated.
    #expect(
      json["methods"] as? [String: Int] == ["roofs/images/r0000_c0000.png": 0, "roofs/roofs.geojson": 8])
    #expect(json["png"] as? Int == noise.count && json["layer"] as? String == layer)
    let info = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/ogrinfo"),
      ["-ro", "-al", "-so", "/vsizip/\(archive.path)/roofs/roofs.geojson"])
    #expect(info.stdout.contains("Feature Count: 1"), "\(info.stdout)\(info.stderr)")
  }

  /// A folder that cannot be archived leaves no archive behind.
  @Test func aFailedArchiveLeavesNothing() throws {
    let folder = try TestSupport.temporaryDirectory("swath-zip")
    defer { try? FileManager.default.removeItem(at: folder) }
    let archive = folder.appendingPathComponent("missing-folder/out.zip")
    #expect(throws: GDALError.self) {
      try ZipArchive.write(folder: folder.appendingPathComponent("nothing"), to: archive)
    }
    #expect(!FileManager.default.fileExists(atPath: archive.path))
  }
}
