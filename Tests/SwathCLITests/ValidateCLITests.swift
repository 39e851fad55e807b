import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

/// `swath validate` as a user runs it: output lines, exit codes, --json, --fix.
@Suite("swath validate")
struct ValidateCLITests {
  static let good = """
    {"type":"FeatureCollection","annotator":"ann-7","features":[
    {"type":"Feature","id":"a","properties":{"label":"building","shape":"polygon"},"geometry":{"type":"Polygon","coordinates":[[[13.4,52.5],[13.401,52.5],[13.401,52.501],[13.4,52.501],[13.4,52.5]]]}}
    ]}
    """

  /// Feature 0 fine, 1 a bowtie, 2 clockwise and unclosed, 3 a LineString, 4 a tree.
  static let mixed = """
    {"type":"FeatureCollection","annotator":"ann-7","features":[
    {"type":"Feature","id":"a","properties":{"label":"building"},"geometry":{"type":"Polygon","coordinates":[[[13.4,52.5],[13.401,52.5],[13.401,52.501],[13.4,52.501],[13.4,52.5]]]}},
    {"type":"Feature","id":"b","properties":{"label":"building"},"geometry":{"type":"Polygon","coordinates":[[[13.41,52.5],[13.411,52.501],[13.411,52.5],[13.41,52.501],[13.41,52.5]]]}},
    {"type":"Feature","id":"c","properties":{"label":"vehicle"},"geometry":{"type":"Polygon","coordinates":[[[13.42,52.5],[13.42,52.501],[13.421,52.501],[13.421,52.5]]]}},
    {"type":"Feature","id":"d","properties":{"label":"building"},"geometry":{"type":"LineString","coordinates":[[13.43,52.5],[13.431,52.5]]}},
    {"type":"Feature","id":"e","properties":{"label":"tree"},"geometry":{"type":"Polygon","coordinates":[[[13.44,52.5],[13.441,52.5],[13.441,52.501],[13.44,52.5]]]}}
    ]}
    """

  static func write(_ text: String, in folder: URL, name: String = "in.geojson") throws -> URL {
    let url = folder.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }

  @Test func validFileExitsZero() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(Self.good, in: folder)
    let result = try TestSupport.swath(["validate", input.path, "--labels", "building,vehicle"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    #expect(result.stdout.contains("1 feature: 0 errors, 0 warnings"))
    #expect(result.stdout.hasSuffix("valid\n"))
  }

  @Test func problemsArePrintedOnePerLineAndExitOne() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(Self.mixed, in: folder)
    let result = try TestSupport.swath(["validate", input.path, "--labels", "building,vehicle"])
    #expect(result.status == 1)
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(
      lines.contains {
        $0.hasPrefix("\(input.path):features[1].geometry.coordinates: error self-intersection: ")
          && $0.contains("(feature id \"b\")")
      })
    #expect(
      lines.contains {
        $0.hasPrefix("\(input.path):features[2].geometry.coordinates[0][3]: error ring-not-closed: ")
      })
    #expect(
      lines.contains { $0.hasPrefix("\(input.path):features[3].geometry.type: error undrawable-geometry: ") })
    #expect(
      lines.contains { $0.hasPrefix("\(input.path):features[4].properties.label: error unknown-label: ") })
    #expect(lines.last?.contains("5 features") == true)
    #expect(lines.last?.contains("INVALID") == true)
  }

  /// The validator's messages name no flag; the command adds the flag that helps.
  @Test func hintsNameTheFlags() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let projected = try Self.write(
      """
      {"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"building"},"geometry":{"type":"Polygon","coordinates":[[[500000,5800000],[500010,5800000],[500010,5800010],[500000,5800000]]]}}]}
      """, in: folder)
    let result = try TestSupport.swath(["validate", projected.path])
    #expect(result.status == 1)
    #expect(result.stdout.contains("error longitude-out-of-range: "), "\(result.stdout)")
    #expect(
      result.stdout.contains("validate them as planar") && result.stdout.contains(" [see --planar]\n"),
      "\(result.stdout)")
    let json = try TestSupport.swath(["validate", projected.path, "--json"])
    #expect(!json.stdout.contains("--planar"), "\(json.stdout)")
  }

  @Test func usageAndIOErrorsExitTwo() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(Self.good, in: folder)
    let missing = try TestSupport.swath(["validate", folder.appendingPathComponent("nope.geojson").path])
    #expect(missing.status == 2)
    #expect(missing.stderr.contains("no such file"))
    #expect(try TestSupport.swath(["validate", folder.path]).status == 2)
    #expect(try TestSupport.swath(["validate"]).status == 2)
    #expect(try TestSupport.swath(["validate", input.path, "--geometry", "lines"]).status == 2)
    #expect(try TestSupport.swath(["validate", input.path, "--min-area", "-1"]).status == 2)
    #expect(try TestSupport.swath(["validate", input.path, "--labels", ","]).status == 2)
    let unwritable = try TestSupport.swath(["validate", input.path, "--fix", "/nonexistent-dir/out.geojson"])
    #expect(unwritable.status == 2)
    #expect(unwritable.stderr.contains("/nonexistent-dir"))
  }

  @Test func syntaxErrorsSayWhere() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(String(Self.mixed.prefix(400)), in: folder)
    let result = try TestSupport.swath(["validate", input.path])
    #expect(result.status == 1)
    #expect(result.stdout.contains("error invalid-json: not valid JSON: "))
    #expect(result.stdout.contains("(line 3, column"))
  }

  @Test func jsonReportConformsToItsSchema() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(Self.mixed, in: folder)
    let second = try Self.write(Self.good, in: folder, name: "good.geojson")
    let result = try TestSupport.swath([
      "validate", input.path, second.path, "--labels", "building,vehicle", "--json", "--fix",
      folder.appendingPathComponent("fixed").path,
    ])
    #expect(result.status == 1)
    let reportURL = folder.appendingPathComponent("report.json")
    try Data(result.stdout.utf8).write(to: reportURL)
    #expect(
      try TestSupport.schemaProblems(schema: "validation-report.schema.json", instances: [reportURL]) == [])
    let report = try #require(
      try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
    let summary = try #require(report["summary"] as? [String: Any])
    #expect(summary["files"] as? Int == 2)
    #expect(summary["features"] as? Int == 6)
    #expect(summary["invalidFeatures"] as? Int == 4)
    #expect(summary["valid"] as? Bool == false)
    let files = try #require(report["files"] as? [[String: Any]])
    let issues = try #require(files[0]["issues"] as? [[String: Any]])
    let bowtie = try #require(issues.first { $0["code"] as? String == "self-intersection" })
    #expect(bowtie["featureIndex"] as? Int == 1)
    #expect(bowtie["featureID"] as? String == "b")
    #expect(abs(((bowtie["location"] as? [String: Double])?["x"] ?? 0) - 13.4105) < 1e-9)
    let fix = try #require(files[0]["fix"] as? [String: Any])
    #expect(fix["written"] as? Int == 3)
    #expect(fix["omitted"] as? Int == 2)
  }

  @Test func fixWritesARepairedCopyAndSaysWhatChanged() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(Self.mixed, in: folder)
    let output = folder.appendingPathComponent("fixed.geojson")
    let result = try TestSupport.swath([
      "validate", input.path, "--labels", "building,vehicle", "--fix", output.path,
    ])
    #expect(result.status == 1)  // the input had errors
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(
      lines.contains {
        $0.hasPrefix("\(input.path):features[1]: fix repaired: ") && $0.contains("make-valid")
      })
    #expect(
      lines.contains {
        $0.hasPrefix("\(input.path):features[2]: fix repaired: closed 1 ring") && $0.contains("rewound")
      })
    #expect(lines.contains { $0.hasPrefix("\(input.path):features[3]: fix left out: a LineString") })
    #expect(
      lines.contains {
        $0.hasPrefix("\(input.path):features[4]: fix left out: ") && $0.contains("unknown-label")
      })
    #expect(lines.contains { $0.contains("wrote \(output.path): 3 features (2 repaired), 2 left out") })
    // The copy is clean, keeps ids, labels and the annotator, and matches the submission schema.
    let recheck = try TestSupport.swath(["validate", output.path, "--labels", "building,vehicle"])
    #expect(recheck.status == 0, "\(recheck.stdout)")
    let written = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
    #expect(written["annotator"] as? String == "ann-7")
    let ids = (written["features"] as? [[String: Any]])?.compactMap { $0["id"] as? String }
    #expect(ids == ["a", "b", "c"])
    #expect(try TestSupport.schemaProblems(schema: "submission.schema.json", instances: [output]) == [])
    // No temporary files left beside it.
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(names == ["fixed.geojson", "in.geojson"])
  }

  @Test func fixOfATruncatedFileReportsTheUnreadableRest() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let lines = Self.mixed.split(separator: "\n")
    let input = try Self.write(lines.prefix(3).joined(separator: "\n"), in: folder)
    let output = folder.appendingPathComponent("fixed.geojson")
    let result = try TestSupport.swath(["validate", input.path, "--fix", output.path])
    #expect(result.status == 1)
    #expect(result.stdout.contains("fix left out: everything from line 3, column"))
    let written = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
    #expect((written["features"] as? [Any])?.count == 2)
  }

  @Test func geometryAnyLintsPlainGeoJSON() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = try Self.write(
      #"{"type":"GeometryCollection","geometries":[{"type":"Point","coordinates":[1,2]},{"type":"LineString","coordinates":[[0,0],[1,1]]}]}"#,
      in: folder)
    #expect(try TestSupport.swath(["validate", input.path, "--geometry", "any"]).status == 0)
    let polygonal = try TestSupport.swath(["validate", input.path])
    #expect(polygonal.status == 1)
    #expect(
      polygonal.stdout.contains(
        "error undrawable-geometry: a GeometryCollection cannot be an annotator shape"))
  }
}

/// A SpaceNet/solaris label file: UTM 16N coordinates under a legacy (GeoJSON 2008) `crs` member.
@Suite("legacy crs member", .enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct LegacyCRSCLITests {
  static let spaceNet = TestSupport.image("spacenet4_atlanta_buildings_utm16n.geojson")

  @Test func validateHonoursTheCRSWithAWarningAndFixWritesWGS84() throws {
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let input = Self.spaceNet.path
    let result = try TestSupport.swath(["validate", input])
    // Valid: the file's only problems are warnings (clockwise rings, 15-decimal metres).
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
    let lines = result.stdout.split(separator: "\n").map(String.init)
    #expect(!result.stdout.contains("out-of-range"))
    #expect(
      lines.contains(
        "\(input):crs: warning legacy-crs: the \"crs\" member (removed in RFC 7946) names urn:ogc:def:crs:EPSG::32616 (EPSG:32616, WGS 84 / UTM zone 16N): coordinates were reprojected from it to WGS84 longitude/latitude"
      ), "\(result.stdout)")
    #expect(result.stdout.contains("43 features, 0 errors"))
    #expect(!lines.contains { $0.contains(": error ") }, "\(result.stdout)")

    // --fix writes RFC 7946: WGS84 longitude/latitude and no crs member, as GDAL reads it back.
    let output = folder.appendingPathComponent("fixed.geojson")
    let fix = try TestSupport.swath(["validate", input, "--fix", output.path])
    #expect(fix.status == 0, "\(fix.stdout)\(fix.stderr)")
    let written = try #require(
      try JSONSerialization.jsonObject(with: Data(contentsOf: output)) as? [String: Any])
    #expect(written["crs"] == nil)
    #expect((written["features"] as? [Any])?.count == 43)
    let info = try TestSupport.tool("ogrinfo", ["-al", "-so", output.path])
    #expect(info.status == 0, "\(info.stderr)")
    // The labels' extent is the raster's, 733601–734051 E, 3724689–3725139 N: 84.48°W 33.64°N.
    let extent = try #require(info.stdout.split(separator: "\n").first { $0.hasPrefix("Extent: ") })
    let numbers = extent.split(whereSeparator: { "(), ".contains($0) }).compactMap { Double($0) }
    #expect(numbers.count == 4, "\(extent)")
    if numbers.count == 4 {
      #expect(numbers[0] > -84.49 && numbers[2] < -84.47, "\(extent)")
      #expect(numbers[1] > 33.63 && numbers[3] < 33.65, "\(extent)")
    }
    // And it validates clean as plain lon/lat, without the member.
    let recheck = try TestSupport.swath(["validate", output.path])
    #expect(recheck.status == 0 && !recheck.stdout.contains("crs"), "\(recheck.stdout)")
  }

  @Test func mergeAndIoUReadTheLayerInWGS84() throws {
    let folder = try TestSupport.temporaryDirectory("merge")
    defer { try? FileManager.default.removeItem(at: folder) }
    let a = folder.appendingPathComponent("ana.geojson")
    let b = folder.appendingPathComponent("ben.geojson")
    try FileManager.default.copyItem(at: Self.spaceNet, to: a)
    try FileManager.default.copyItem(at: Self.spaceNet, to: b)
    let out = folder.appendingPathComponent("consensus.geojson")
    let merge = try TestSupport.swath(["merge", a.path, b.path, "--out", out.path])
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("86 shapes, 0 invalid") && merge.stdout.contains("43 accepted"))
    let layer = try GeoJSONReader.read(contentsOf: out, options: ValidationOptions(minArea: 0))
    #expect(layer.errorCount == 0 && layer.features.count == 43)
    let box = try #require(layer.features.compactMap(\.envelope).reduce(nil) { $0?.union($1) ?? $1 })
    #expect(box.minX > -84.49 && box.maxX < -84.47 && box.minY > 33.63 && box.maxY < 33.65)

    let iou = try TestSupport.swath(["iou", a.path])
    #expect(iou.status == 0, "\(iou.stderr)")
    #expect(iou.stdout.contains("43 features") && iou.stdout.contains("working CRS EPSG:32616"))
  }
}
