import Foundation
import SwathTestSupport
import Testing

/// `swath iou` reads through the validating reader: bad input is named by path, line and column.
@Suite("swath iou input")
struct IoUCommandInputTests {
  @Test func badInputIsLocated() throws {
    let directory = try TestSupport.temporaryDirectory("swath-iou-input")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("bad.geojson")
    try Data(
      """
      {"type": "FeatureCollection", "features": [
       {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}},
       {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, "x"], [1, 1], [0, 0]]]}}
      ]}
      """.utf8
    ).write(to: file)
    let result = try TestSupport.swath(["iou", file.path, "--planar"])
    #expect(result.status == 1)
    #expect(
      result.stderr.contains(
        "features[1].geometry.coordinates[0][1][1]: each element of a position must be a number"),
      "\(result.stderr)")
    #expect(result.stderr.contains("(line 3, column"), "\(result.stderr)")

    try Data(#"{"type": "FeatureCollection", "features": [[0, 0] [1]]}"#.utf8).write(to: file)
    let syntax = try TestSupport.swath(["iou", file.path])
    #expect(syntax.status == 1)
    #expect(syntax.stderr.hasPrefix("swath: \(file.path): not JSON: "), "\(syntax.stderr)")
    #expect(syntax.stderr.contains("line 1, column"), "\(syntax.stderr)")
  }

  @Test func jsonReportIsWrittenByTheOneWriter() throws {
    let directory = try TestSupport.temporaryDirectory("swath-iou-input")
    defer { try? FileManager.default.removeItem(at: directory) }
    let file = directory.appendingPathComponent("two.geojson")
    try Data(
      """
      {"type": "FeatureCollection", "features": [
       {"type": "Feature", "id": "a/1", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [2, 0], [2, 2], [0, 2], [0, 0]]]}},
       {"type": "Feature", "id": 7, "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[1, 0], [3, 0], [3, 2], [1, 2], [1, 0]]]}}
      ]}
      """.utf8
    ).write(to: file)
    let result = try TestSupport.swath(["iou", file.path, "--planar", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(
      result.stdout.contains(#""pairs":[{"a":0,"aId":"a/1","b":1,"bId":"7","iou":0.3333333333333333}]"#),
      "\(result.stdout)")
  }
}
