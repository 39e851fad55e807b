import Foundation
import Testing

@testable import SwathGeometry

/// The one JSON value type, writer and Codable encoder.
@Suite("JSON codec")
struct JSONCodecTests {
  struct Inner: Codable {
    var name: String
    var score: Double?
    var count: Int
    var tags: [String]
  }

  struct Record: Codable {
    var method: String
    var annotator_count: Int
    var annotators: [Inner]
    var matrix: [[Double]]
    var conflicts: [String: Int]
    var empty: [Int]
    var emptyObject: [String: Int]
    var path: String
    var Upper: Bool
    var f1: Double?
    var falsePositive: Double?
    var mean_iou: Double
  }

  static let record = Record(
    method: "weighted", annotator_count: 3,
    annotators: [
      Inner(name: "a/b \"c\"\n", score: 0.1, count: 2, tags: ["x"]),
      Inner(name: "ünï", score: nil, count: -5, tags: []),
    ],
    matrix: [[1, 0.686506], [1e-7, 123456.789], [1e20, -2.5e-12], [0.000001, 1.0 / 3]],
    conflicts: ["label": 2015, "low_overlap": 3, "label_tie": 1, "Zeta": 0, "a10": 1, "a9": 2],
    empty: [], emptyObject: [:], path: "/tmp/x.geojson", Upper: true, f1: nil, falsePositive: 0.25,
    mean_iou: 0.5)

  @Test func prettyMatchesJSONEncoder() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    let expected = String(decoding: try encoder.encode(Self.record), as: UTF8.self)
    let written = String(
      decoding: try JSONValueEncoder().encodeData(Self.record, format: .pretty), as: UTF8.self)
    #expect(written == expected)
  }

  @Test func compactMatchesJSONEncoder() throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    let expected = String(decoding: try encoder.encode(Self.record), as: UTF8.self)
    let written = String(decoding: try JSONValueEncoder().encodeData(Self.record), as: UTF8.self)
    #expect(written == expected)
  }

  @Test func encoderKeepsIntegersApartAndRejectsNonFinite() throws {
    let value = try JSONValueEncoder().encode(Self.record)
    #expect(value["annotator_count"] == .integer(3))
    #expect(value["mean_iou"] == .number(0.5))
    #expect(value["f1"] == nil)
    #expect(throws: EncodingError.self) { try JSONValueEncoder().encode([Double.nan]) }
  }

  @Test func parsingKeepsIntegersApartFromReals() throws {
    let value = try JSONValue(parsing: #"{"a":7,"b":7.0,"c":-3,"d":0.25,"e":1e3,"f":[true,null,"s"]}"#)
    #expect(
      value
        == .object([
          "a": .integer(7), "b": .number(7), "c": .integer(-3), "d": .number(0.25), "e": .integer(1000),
          "f": .array([.bool(true), .null, .string("s")]),
        ]))
    #expect(value.jsonText == #"{"a":7,"b":7,"c":-3,"d":0.25,"e":1000,"f":[true,null,"s"]}"#)
  }

  @Test func codableRoundTripsThroughTheEncoderAndJSONDecoder() throws {
    struct Holder: Codable, Equatable {
      var properties: [String: JSONValue]
    }
    let holder = Holder(properties: [
      "n": .integer(3), "x": .number(0.5), "s": .string("a/b"), "l": .array([.null, .bool(false)]),
      "o": .object(["k": .integer(-1)]),
    ])
    let encoded = try JSONValueEncoder().encode(holder)
    #expect(encoded == .object(["properties": .object(holder.properties)]))
    #expect(try JSONDecoder().decode(Holder.self, from: encoded.jsonData()) == holder)
    #expect(
      encoded.jsonText == #"{"properties":{"l":[null,false],"n":3,"o":{"k":-1},"s":"a/b","x":0.5}}"#)
  }

  @Test func parseErrorsAreLocated() {
    do {
      _ = try JSONValue(parsing: "{\"a\": [1,\n 2 3]}")
      Issue.record("parsed invalid JSON")
    } catch {
      #expect(error.line == 2)
      #expect(error.column == 4)
      #expect(error.path == "a")
    }
    #expect(throws: JSONParseError.self) { try JSONValue(parsing: "[1] 2") }
  }

  @Test func writerEscapesAndFormatsNumbersOneWay() {
    var writer = JSONWriter()
    writer.beginArray()
    writer.string("q\"b\\s/\n\u{1}é")
    writer.number(500000.0)
    writer.number(-0.0)
    writer.number(.nan)
    writer.number(13.123456789123, decimals: 8)
    writer.integer(Int64.max)
    writer.endArray()
    #expect(writer.text == "[\"q\\\"b\\\\s/\\n\\u0001é\",500000,0,null,13.12345679,9223372036854775807]")
  }

  @Test func indentedKeepsInlineContainersOnOneLine() {
    var writer = JSONWriter(format: .indented)
    writer.beginObject()
    writer.key("a")
    writer.beginArray(inline: true)
    writer.integer(1)
    writer.beginArray()
    writer.integer(2)
    writer.endArray()
    writer.endArray()
    writer.key("b")
    writer.beginObject()
    writer.endObject()
    writer.endObject()
    #expect(writer.text == "{\n  \"a\": [1, [2]],\n  \"b\": {}\n}")
  }

  @Test func geometriesRoundTrip() throws {
    let square = Polygon(shell: [Point(0, 0), Point(1, 0), Point(1, 1), Point(0, 1), Point(0, 0)])
    let hole = [Point(0.25, 0.25), Point(0.25, 0.5), Point(0.5, 0.5), Point(0.25, 0.25)]
    let one = MultiPolygon(Polygon(shell: square.shell, holes: [hole]))
    let text = GeoJSONGeometry.text(one)
    #expect(
      text
        == #"{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1],[0,0]],[[0.25,0.25],[0.25,0.5],[0.5,0.5],[0.25,0.25]]]}"#
    )
    #expect(GeoJSONGeometry.multiPolygon(text: text) == one)
    let multi = GeoJSONGeometry.text(one, options: GeoJSONGeometryOptions(alwaysMultiPolygon: true))
    #expect(multi.hasPrefix(#"{"type":"MultiPolygon","coordinates":[[[[0,0]"#))
    #expect(GeoJSONGeometry.multiPolygon(text: multi) == one)
    let two = MultiPolygon([square, Polygon(shell: square.shell.map { Point($0.x + 2, $0.y) })])
    #expect(GeoJSONGeometry.multiPolygon(text: GeoJSONGeometry.text(two)) == two)
    #expect(
      GeoJSONGeometry.text(two) == String(decoding: GeoJSONWriter.geometry(two, decimals: 8), as: UTF8.self))
    #expect(GeoJSONGeometry.multiPolygon(text: #"{"type":"Point","coordinates":[0,0]}"#) == nil)
    #expect(GeoJSONGeometry.multiPolygon(text: #"{"type":"Polygon","coordinates":[[[0]]]}"#) == nil)
    #expect(GeoJSONGeometry.multiPolygon(text: #"{"type":"Polygon","coordinates":[]}"#) == nil)
  }
}

@Suite("JSON paths")
struct JSONPathTests {
  @Test func memberNamesThatAreNotIdentifiersAreQuoted() {
    #expect(JSONPath.join("properties", JSONPath.key("stroke-width")) == "properties.stroke-width")
    #expect(JSONPath.join("properties", JSONPath.key("a.b \"c\"")) == #"properties["a.b \"c\""]"#)
    #expect(JSONPath.from([JSONPath.key("1st"), JSONPath.index(2)]) == #"$["1st"][2]"#)
    let document = GeoJSONReader.read(
      data: Data(
        #"{"type":"Feature","properties":{"a.b":1,"a.b":2},"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]]]}}"#
          .utf8), options: ValidationOptions(planar: true, minArea: 0, parallelism: 1))
    #expect(document.issues.contains { $0.code == "duplicate-member" && $0.path == #"properties["a.b"]"# })
  }
}

@Suite("JSON layouts")
struct JSONLayoutTests {
  /// The simulated truth's layout: members one a line without indentation, features inline.
  @Test func unindentedLinesWithInlineObjects() {
    var json = JSONWriter(format: JSONFormat(indent: 0, colon: ": ", inlineSeparator: ", "))
    json.beginObject()
    json.key("type")
    json.string("FeatureCollection")
    json.key("scene")
    json.beginObject(inline: true)
    json.key("gsd")
    json.number(0.15, fixedDecimals: 3)
    json.key("seed")
    json.integer(7)
    json.endObject()
    json.key("features")
    json.beginArray()
    for id in ["b1", "b2"] {
      json.beginObject(inline: true)
      json.key("id")
      json.string(id)
      json.key("coordinates")
      json.beginArray()
      json.beginArray()
      json.number(13.4, fixedDecimals: 9)
      json.number(-52.5, fixedDecimals: 9)
      json.endArray()
      json.endArray()
      json.endObject()
    }
    json.endArray()
    json.endObject()
    #expect(
      json.text == """
        {
        "type": "FeatureCollection",
        "scene": {"gsd": 0.150, "seed": 7},
        "features": [
        {"id": "b1", "coordinates": [[13.400000000, -52.500000000]]},
        {"id": "b2", "coordinates": [[13.400000000, -52.500000000]]}
        ]
        }
        """)
  }
}
