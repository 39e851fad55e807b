import Foundation
import Testing

@testable import SwathGeometry

struct GeoJSONLayerWriterTests {
  /// Rounding to 7 places gives printf's digits (GDAL's), ties after the multiplication included.
  @Test func roundingMatchesPrintf() {
    #expect(MultiPolygon.round(47.66085165, scale: 1e7) == 47.6608516)
    var generator = SystemRandomNumberGenerator()
    for _ in 0..<20_000 {
      // Values with 8 decimals, as stored layers hold them: many are ties at 7 places.
      let value = Double(Int64.random(in: -18_000_000_000...18_000_000_000, using: &generator)) / 1e8
      let rounded = MultiPolygon.round(value, scale: 1e7)
      #expect(Double(String(format: "%.7f", value)) == rounded, "\(value)")
    }
  }

  @Test func membersColumnsAndGeometriesAreWrittenInOrder() throws {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("layer-\(UUID()).geojson").path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let writer = try GeoJSONLayerWriter(
      path: path, columns: ["n", "r", "s", "b", "j", "z"],
      members: [("swath", .object(["task": .string("t")])), ("name", .string("t"))],
      geometryOptions: GeoJSONGeometryOptions(decimals: 7, rightHandRule: true))
    let square = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(0, 1), Point(1, 1), Point(1, 0), Point(0, 0)]))
    try writer.add(
      values: [
        .integer(3), .real(1), .string("Dach über ☕ \"q\""), .boolean(true), .json(.array([.integer(1)])),
        nil,
      ],
      geometry: square)
    try writer.add(
      values: [.null, .real(0.25), nil, .boolean(false), .json(.object([:])), .null], geometry: square)
    try writer.finish()
    let text = try String(contentsOfFile: path, encoding: .utf8)
    #expect(text.contains("\"r\":1.0,"))
    let root = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    #expect(root["type"] as? String == "FeatureCollection" && root["name"] as? String == "t")
    #expect((root["swath"] as? [String: Any])?["task"] as? String == "t")
    let features = try #require(root["features"] as? [[String: Any]])
    #expect(features.count == 2)
    let first = try #require(features[0]["properties"] as? [String: Any])
    #expect(
      first["n"] as? Int == 3 && first["s"] as? String == "Dach über ☕ \"q\"" && first["b"] as? Bool == true)
    #expect(first["z"] == nil && (first["j"] as? [Int]) == [1])
    let second = try #require(features[1]["properties"] as? [String: Any])
    #expect(
      second["n"] is NSNull && second["r"] as? Double == 0.25 && second["s"] == nil && second["z"] is NSNull)
    // The right-hand rule: the clockwise square is written counter-clockwise.
    let geometry = try #require(features[0]["geometry"] as? [String: Any])
    #expect(geometry["type"] as? String == "Polygon")
    let ring = try #require((geometry["coordinates"] as? [[[Double]]])?.first)
    #expect(ring[1] == [1, 0])
  }
}
