import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

/// Everything the store's export needs from OGR, read back with `ogrinfo -al`.
struct VectorWriterTests {
  static let metadata = [("SWATH_TASK", "roofs"), ("SWATH_REPLICAS", "3")]

  /// Two features: one with every field set, one with nulls and unset fields and two polygons,
  /// the second with a hole.
  func write(_ path: String, driver: String, options: [String]) throws {
    let writer = try VectorWriter(creating: path, driver: driver)
    let layer = try writer.createMultiPolygonLayer(
      name: "roofs", spatialReference: SpatialReference.wgs84(), options: options)
    try layer.addField(name: "count", type: .integer64)
    try layer.addField(name: "score", type: .real)
    try layer.addField(name: "label", type: .string)
    try layer.addField(name: "votes", type: .json)
    #expect(layer.fields.map(\.name) == ["count", "score", "label", "votes"])
    for (key, value) in Self.metadata { try writer.setMetadataItem(value, for: key) }
    try writer.startTransaction()
    try layer.addFeature(
      values: [.integer(9_000_000_000), .real(0.75), .string("building"), .string("[1,2]")],
      multiPolygon: [[[(10, 50), (10.5, 50), (10.5, 50.5), (10, 50)]]])
    try layer.addFeature(
      values: [.null, nil, .string("vehicle")],
      multiPolygon: [
        [[(0, 0), (4, 0), (4, 4), (0, 4), (0, 0)], [(1, 1), (1, 2), (2, 2), (2, 1), (1, 1)]],
        [[(5, 5), (6, 5), (6, 6), (5, 5)]],
      ])
    do {
      try writer.commitTransaction()
    } catch {
      // GeoJSON has no transaction of its own: only GPKG's commit must succeed.
      #expect(driver != "GPKG", "\(error)")
    }
    try writer.close()
    try writer.close()  // closing twice does nothing
  }

  func ogrinfo(_ path: String) throws -> String {
    let result = try TestSupport.tool("ogrinfo", ["-al", "-ro", path])
    #expect(result.status == 0, "\(result.stderr)")
    return result.stdout
  }

  @Test func geoPackageKeepsFieldsGeometryAndMetadata() throws {
    let directory = try TestSupport.temporaryDirectory("swath-gdal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("out.gpkg").path
    try write(path, driver: "GPKG", options: ["DESCRIPTION=two features"])
    let info = try ogrinfo(path)
    #expect(info.contains("Layer name: roofs"))
    #expect(info.contains("Geometry: Multi Polygon"))
    #expect(info.contains("Feature Count: 2"))
    #expect(info.contains("SWATH_TASK=roofs") && info.contains("SWATH_REPLICAS=3"))
    #expect(info.contains("count: Integer64") && info.contains("score: Real"))
    #expect(info.contains("label: String") && info.contains("votes: String(JSON)"))
    #expect(info.contains("count (Integer64) = 9000000000"))
    #expect(info.contains("score (Real) = 0.75"))
    #expect(info.contains("label (String) = building"))
    #expect(info.contains("votes (String(JSON)) = [1,2]"))
    #expect(info.contains("count (Integer64) = (null)"))
    #expect(info.contains("label (String) = vehicle"))
    #expect(info.contains("MULTIPOLYGON (((10 50,10.5 50.0,10.5 50.5,10 50)))"))
    #expect(
      info.contains("MULTIPOLYGON (((0 0,4 0,4 4,0 4,0 0),(1 1,1 2,2 2,2 1,1 1)),((5 5,6 5,6 6,5 5)))"))
    #expect(info.contains("WGS 84"))
  }

  @Test func geoJSONKeepsFieldsAndGeometry() throws {
    let directory = try TestSupport.temporaryDirectory("swath-gdal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("out.geojson").path
    try write(path, driver: "GeoJSON", options: ["RFC7946=YES", "WRITE_NAME=YES"])
    let info = try ogrinfo(path)
    #expect(info.contains("Feature Count: 2"))
    #expect(info.contains("count (Integer64) = 9000000000"))
    #expect(info.contains("score (Real) = 0.75"))
    #expect(info.contains("label (String) = vehicle"))
    #expect(info.contains("MULTIPOLYGON (((0 0,4 0,4 4,0 4,0 0),(1 1,1 2,2 2,2 1,1 1)),((5 5,6 5,6 6,5 5)))"))
    // JSON fields are written as JSON, not as a quoted string.
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("\"votes\": [ 1, 2 ]") || text.contains("\"votes\":[1,2]"), "\(text)")
    #expect(text.contains("\"name\": \"roofs\""))
  }

  @Test func failuresCarryGDALsMessage() throws {
    #expect(throws: GDALError.self) { try VectorWriter(creating: "/tmp/x.geojson", driver: "NoSuchDriver") }
    do {
      _ = try VectorWriter(creating: "/no/such/folder/out.gpkg", driver: "GPKG")
      Issue.record("creating in a missing folder succeeded")
    } catch let error as GDALError {
      #expect(error.message.hasPrefix("cannot create /no/such/folder/out.gpkg"))
      #expect(error.reason != nil, "GDAL says why: \(error.message)")
    }
  }

  @Test(arguments: [("GPKG", "gpkg"), ("GeoJSON", "geojson"), ("FlatGeobuf", "fgb")])
  func booleanFieldsKeepTheirSubtype(driver: String, fileExtension: String) throws {
    let directory = try TestSupport.temporaryDirectory("swath-gdal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let path = directory.appendingPathComponent("flags.\(fileExtension)").path
    let writer = try VectorWriter(creating: path, driver: driver)
    let layer = try writer.createMultiPolygonLayer(name: "flags", spatialReference: SpatialReference.wgs84())
    try layer.addField(name: "occluded", type: .boolean)
    let square: [[[(x: Double, y: Double)]]] = [[[(0, 0), (1, 0), (1, 1), (0, 1), (0, 0)]]]
    try layer.addFeature(values: [.boolean(true)], multiPolygon: square)
    try layer.addFeature(values: [.boolean(false)], multiPolygon: square)
    try writer.close()
    let info = try ogrinfo(path)
    #expect(info.contains("occluded: Integer(Boolean)"), "\(info)")
    #expect(
      info.contains("occluded (Integer(Boolean)) = 1") && info.contains("occluded (Integer(Boolean)) = 0"))
    if driver == "GeoJSON" {
      let text = try String(contentsOfFile: path, encoding: .utf8)
      #expect(text.contains("\"occluded\": true") && text.contains("\"occluded\": false"), "\(text)")
    }
  }
}

struct RasterDatasetTests {
  @Test func openFailureCarriesGDALsReason() throws {
    let directory = try TestSupport.temporaryDirectory("swath-gdal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let notes = directory.appendingPathComponent("notes.tif")
    try "these are not pixels\n".write(to: notes, atomically: true, encoding: .utf8)
    do {
      _ = try RasterDataset(path: notes.path)
      Issue.record("a text file opened as a raster")
    } catch let error as GDALError {
      #expect(error.message.hasPrefix("\(notes.path): not a raster GDAL can read"))
      let reason = try #require(error.reason)
      #expect(reason.contains("notes.tif") && reason.contains("not recognized"), "\(reason)")
      #expect(!reason.contains("\n"))
    }
    do {
      _ = try RasterDataset(path: directory.appendingPathComponent("missing.tif").path)
      Issue.record("a missing file opened")
    } catch let error as GDALError {
      #expect(error.message.hasSuffix("missing.tif: no such file") && error.reason == nil)
    }
  }

  @Test func sha256MatchesTheCommandLineTool() throws {
    let directory = try TestSupport.temporaryDirectory("swath-gdal")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("bytes.bin")
    try Data((0..<100_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }).write(to: file)
    let expected = try TestSupport.tool("sha256sum", [file.path]).stdout.split(separator: " ")[0]
    #expect(try Checksum.sha256(fileAt: file.path) == String(expected))
    let empty = directory.appendingPathComponent("empty")
    try Data().write(to: empty)
    #expect(
      try Checksum.sha256(fileAt: empty.path)
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    #expect(throws: GDALError.self) {
      try Checksum.sha256(fileAt: directory.appendingPathComponent("no").path)
    }
  }
}
