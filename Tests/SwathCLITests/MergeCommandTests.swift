import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

@Suite struct MergeCommandTests {
  @Test func simulatedPanelMergesToSchemaValidOutputs() throws {
    let folder = try TestSupport.temporaryDirectory("merge")
    defer { try? FileManager.default.removeItem(at: folder) }
    let simulate = try TestSupport.swath([
      "simulate-panel", "--out", folder.path, "--objects", "120", "--annotators", "4", "--empty", "--seed",
      "3",
    ])
    #expect(simulate.status == 0, "\(simulate.stderr)")
    let names = (1...4).map { folder.appendingPathComponent("annotator-\($0).geojson").path }
    let out = folder.appendingPathComponent("consensus.geojson")
    let report = folder.appendingPathComponent("report.json")
    let merge = try TestSupport.swath(
      ["merge"] + names + [
        "--chips", folder.appendingPathComponent("chips.geojson").path, "--out", out.path, "--report",
        report.path,
        "--include-rejected",
      ], currentDirectory: folder)
    #expect(merge.status == 0, "\(merge.stderr)")
    #expect(merge.stdout.contains("merged 4 submissions"))
    #expect(try TestSupport.schemaProblems(schema: "consensus.schema.json", instances: [out]) == [])
    #expect(try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [report]) == [])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    #expect(json["annotator_count"] as? Int == 4)
    #expect(json["method_used"] as? String == "weighted")
    let layer = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
    let features = layer["features"] as! [[String: Any]]
    let statuses = Set(features.map { ($0["properties"] as! [String: Any])["status"] as! String })
    #expect(statuses == ["accepted", "rejected"])
    // As written (8 decimals), every shape is still valid.
    let written = try GeoJSONReader.read(contentsOf: out, options: ValidationOptions(minArea: 0))
    #expect(written.features.count == features.count)
    for feature in written.features where !feature.isValid {
      Issue.record("feature \(feature.index) invalid as written: \(feature.issues.map(\.message))")
    }
    // The same files in another order give the same bytes.
    let reversedOut = folder.appendingPathComponent("reversed.geojson")
    let reversed = try TestSupport.swath(
      ["merge"] + names.reversed() + [
        "--chips", folder.appendingPathComponent("chips.geojson").path, "--out", reversedOut.path,
        "--include-rejected", "--timings",
      ])
    #expect(reversed.status == 0)
    // --timings: one line a step on standard error, in order, then their total.
    let steps = reversed.stderr.split(separator: "\n").map {
      $0.split(separator: " ").first.map(String.init) ?? ""
    }
    #expect(steps.first == "read" && steps.last == "total", "\(reversed.stderr)")
    #expect(["stitch", "cluster", "write"].allSatisfy(steps.contains), "\(reversed.stderr)")
    #expect(try Data(contentsOf: out) == Data(contentsOf: reversedOut))
  }

  @Test func badInputStopsWithOneLineAndWritesNothing() throws {
    let folder = try TestSupport.temporaryDirectory("merge-bad")
    defer { try? FileManager.default.removeItem(at: folder) }
    let good = folder.appendingPathComponent("good.geojson")
    try Data(
      #"{"type":"FeatureCollection","annotator":"ann","features":[{"type":"Feature","properties":{"label":"car","shape":"bbox"},"geometry":{"type":"Polygon","coordinates":[[[13.0,47.0],[13.0001,47.0],[13.0001,47.00003],[13.0,47.00003],[13.0,47.0]]]}}]}"#
        .utf8
    ).write(to: good)
    let text = folder.appendingPathComponent("notes.geojson")
    try Data("these are not the shapes you are looking for\n".utf8).write(to: text)
    let object = folder.appendingPathComponent("object.geojson")
    try Data(#"{"hello": "world"}"#.utf8).write(to: object)
    let truncated = folder.appendingPathComponent("truncated.geojson")
    try Data(#"{"type":"FeatureCollection","features":[{"type":"Feature","#.utf8).write(to: truncated)
    let out = folder.appendingPathComponent("out.geojson")
    let report = folder.appendingPathComponent("report.json")
    for bad in [text, object, truncated] {
      let result = try TestSupport.swath([
        "merge", good.path, bad.path, "--out", out.path, "--report", report.path,
      ])
      #expect(result.status == 1)
      let lines = result.stderr.split(separator: "\n")
      #expect(lines.count == 1)
      #expect(result.stderr.contains(bad.lastPathComponent))
      #expect(result.stderr.contains("not a GeoJSON FeatureCollection"))
    }
    let missing = try TestSupport.swath(["merge", good.path, "nowhere.geojson", "--out", out.path])
    #expect(missing.status == 1)
    #expect(missing.stderr.contains("nowhere.geojson: no such file"))
    let usage = try TestSupport.swath(["merge", good.path, "--out", out.path, "--method", "loudest"])
    #expect(usage.status == 2)
    let quorum = try TestSupport.swath(["merge", good.path, "--out", out.path, "--quorum", "2.5"])
    #expect(quorum.status == 2)
    let crs = try TestSupport.swath(["merge", good.path, "--out", out.path, "--crs", "EPSG:999999"])
    #expect(crs.status == 2)
    let unwritable = try TestSupport.swath([
      "merge", good.path, "--out", folder.appendingPathComponent("no/such/folder/out.geojson").path,
    ])
    #expect(unwritable.status == 1)
    #expect(unwritable.stderr.contains("cannot write"))
    let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
    #expect(leftovers == ["good.geojson", "notes.geojson", "object.geojson", "truncated.geojson"])
    // The good file alone merges; its annotator comes from the "annotator" member.
    let alone = try TestSupport.swath(["merge", good.path, "--out", out.path, "--report", report.path])
    #expect(alone.status == 0, "\(alone.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let annotators = json["annotators"] as! [[String: Any]]
    #expect(annotators.map { $0["annotator"] as! String } == ["ann"])
  }

  @Test func invalidFeaturesAreReportedNotDropped() throws {
    let folder = try TestSupport.temporaryDirectory("merge-invalid")
    defer { try? FileManager.default.removeItem(at: folder) }
    let feature = { (ring: String) in
      #"{"type":"Feature","id":"f","properties":{"label":"building","shape":"polygon"},"geometry":{"type":"Polygon","coordinates":[\#(ring)]}}"#
    }
    let square = "[[13.0,47.0],[13.0002,47.0],[13.0002,47.0001],[13.0,47.0001],[13.0,47.0]]"
    let bowtie = "[[13.0,47.0],[13.0002,47.0001],[13.0002,47.0],[13.0,47.0001],[13.0,47.0]]"
    for (name, ring) in [("a", square), ("b", square), ("c", bowtie)] {
      try Data(#"{"type":"FeatureCollection","features":[\#(feature(ring))]}"#.utf8)
        .write(to: folder.appendingPathComponent("\(name).geojson"))
    }
    let out = folder.appendingPathComponent("out.geojson")
    let report = folder.appendingPathComponent("report.json")
    let result = try TestSupport.swath(
      ["merge"] + ["a", "b", "c"].map { folder.appendingPathComponent("\($0).geojson").path } + [
        "--out", out.path, "--report", report.path, "--method", "majority",
      ])
    #expect(result.status == 0, "\(result.stderr)")
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let invalid = json["invalid_features"] as! [[String: Any]]
    #expect(invalid.count == 1)
    #expect(invalid.first?["annotator"] as? String == "c")
    #expect((invalid.first?["reasons"] as? [String])?.first?.isEmpty == false)
    let layer = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
    let features = layer["features"] as! [[String: Any]]
    #expect(features.count == 1)
    let properties = features[0]["properties"] as! [String: Any]
    #expect(properties["support"] as? Int == 2)
    #expect(properties["assigned"] as? Int == 3)
    #expect(try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [report]) == [])
  }

  @Test func aSchemaChecksTheFilesAndVotesTheirAttributes() throws {
    let folder = try TestSupport.temporaryDirectory("merge-schema")
    defer { try? FileManager.default.removeItem(at: folder) }
    let schema = folder.appendingPathComponent("labels.json")
    try Data(
      #"{"labels":[{"name":"building","attributes":[{"name":"roof","type":"enum","values":["gable","hip","flat"]},{"name":"occluded","type":"boolean","default":false},{"name":"floors","type":"integer"}]}]}"#
        .utf8
    ).write(to: schema)
    let feature = { (dx: Double, properties: String) in
      let ring = [(0.0, 0.0), (0.0002, 0.0), (0.0002, 0.0001), (0.0, 0.0001), (0.0, 0.0)]
        .map { "[\(13.0 + $0.0 + dx),\(47.0 + $0.1)]" }.joined(separator: ",")
      return
        #"{"type":"Feature","properties":{"label":"building","shape":"polygon",\#(properties)},"geometry":{"type":"Polygon","coordinates":[[\#(ring)]]}}"#
    }
    let files: [(String, [String])] = [
      ("a", [feature(0, #""roof":"gable","floors":2"#)]),
      ("b", [feature(0.000001, #""roof":"gable","occluded":true,"floors":3"#)]),
      // c's roof is not one the schema allows: the feature is invalid and left out.
      ("c", [feature(-0.000001, #""roof":"dome","floors":9"#)]),
      ("d", [feature(0.000002, #""roof":"hip","floors":4"#)]),
    ]
    for (name, features) in files {
      try Data(#"{"type":"FeatureCollection","features":[\#(features.joined(separator: ","))]}"#.utf8)
        .write(to: folder.appendingPathComponent("\(name).geojson"))
    }
    let out = folder.appendingPathComponent("out.geojson")
    let report = folder.appendingPathComponent("report.json")
    let result = try TestSupport.swath(
      ["merge"] + files.map { folder.appendingPathComponent("\($0.0).geojson").path } + [
        "--out", out.path, "--report", report.path, "--method", "majority", "--schema", schema.path,
      ])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(try TestSupport.schemaProblems(schema: "consensus.schema.json", instances: [out]) == [])
    #expect(try TestSupport.schemaProblems(schema: "annotator-report.schema.json", instances: [report]) == [])
    let layer = try JSONSerialization.jsonObject(with: Data(contentsOf: out)) as! [String: Any]
    let features = layer["features"] as! [[String: Any]]
    try #require(features.count == 1)
    let properties = features[0]["properties"] as! [String: Any]
    // a, b and d vote: gable 2 of 3, not occluded 2 of 3 (a's and d's default), floors 2, 3, 4 → 3.
    #expect(properties["support"] as? Int == 3)
    #expect(properties["roof"] as? String == "gable")
    #expect(properties["occluded"] as? Bool == false && properties["occluded"] is Bool)
    #expect(properties["floors"] as? Int == 3)
    #expect(
      (properties["conflicts"] as? [String]) == ["attribute:floors", "attribute:occluded", "attribute:roof"])
    let json = try JSONSerialization.jsonObject(with: Data(contentsOf: report)) as! [String: Any]
    let invalid = json["invalid_features"] as! [[String: Any]]
    #expect(invalid.map { $0["annotator"] as? String } == ["c"])
    #expect((invalid.first?["reasons"] as? [String])?.first?.contains("invalid-attribute") == true)
    let annotators = json["annotators"] as! [[String: Any]]
    let agreement = Dictionary(
      uniqueKeysWithValues: annotators.map { ($0["annotator"] as! String, $0["attribute_agreement"]) })
    // a: gable, false agree, 2 does not; b: gable and 3; d: only false.
    #expect(agreement["a"] as? Double == 0.666667 && agreement["b"] as? Double == 0.666667)
    #expect(agreement["d"] as? Double == 0.333333 && agreement["c"] is NSNull)

    let badSchema = folder.appendingPathComponent("bad.json")
    try Data(#"{"labels":[]}"#.utf8).write(to: badSchema)
    let refused = try TestSupport.swath([
      "merge", folder.appendingPathComponent("a.geojson").path, "--out", out.path, "--schema", badSchema.path,
    ])
    #expect(refused.status == 1 && refused.stderr.contains("at least one label"), "\(refused.stderr)")
  }
}
