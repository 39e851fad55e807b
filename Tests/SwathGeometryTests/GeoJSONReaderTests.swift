import Foundation
import SwathTestSupport
import Testing

@testable import SwathGeometry

/// The streaming JSON reader and GeoJSON structure: syntax positions, numbers, paths, members.
@Suite("GeoJSON reader")
struct GeoJSONReaderTests {
  static let any = ValidationOptions(geometry: .any, parallelism: 1)
  static let polygonal = ValidationOptions(parallelism: 1)

  static func read(_ text: String, _ options: ValidationOptions = polygonal) -> GeoJSONDocument {
    GeoJSONReader.read(data: Data(text.utf8), options: options)
  }

  static func square(_ x: Double = 13.4, _ y: Double = 52.5, size: Double = 0.0001) -> String {
    "[[[\(x),\(y)],[\(x + size),\(y)],[\(x + size),\(y + size)],[\(x),\(y + size)],[\(x),\(y)]]]"
  }

  static func collection(_ features: [String], extra: String = "") -> String {
    "{\"type\":\"FeatureCollection\"\(extra),\"features\":[\n" + features.joined(separator: ",\n") + "\n]}"
  }

  static func feature(
    _ coordinates: String, type: String = "Polygon", properties: String = "{}", id: String? = nil
  )
    -> String
  {
    let idText = id.map { ",\"id\":\($0)" } ?? ""
    return
      "{\"type\":\"Feature\"\(idText),\"properties\":\(properties),\"geometry\":{\"type\":\"\(type)\",\"coordinates\":\(coordinates)}}"
  }

  @Test func syntaxErrorSaysLineColumnAndPath() {
    let text = """
      {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [[[0, 0], [1, 0] [1, 1]]]}}
      ]}
      """
    let document = Self.read(text)
    #expect(document.features.isEmpty)
    let issue = try! #require(document.documentIssues.first)
    #expect(issue.code == "invalid-json")
    #expect(issue.line == 2)
    // The stray '[' after [1, 0], as a 1-based byte column of line 2.
    let line = String(text.split(separator: "\n")[1])
    let bytes = Array(line.utf8)
    let bracket = (0..<bytes.count - 2).first {
      bytes[$0] == 93 && bytes[$0 + 1] == 32 && bytes[$0 + 2] == 91
    }!
    let column = bracket + 3
    #expect(issue.column == column)
    #expect(issue.path == "features[0].geometry.coordinates[0]")
    #expect(issue.message.contains("expected ',' or ']'"))
  }

  @Test func truncatedFileKeepsTheFeaturesBeforeTheCut() {
    let full = Self.collection((0..<5).map { Self.feature(Self.square(13.4 + Double($0) * 0.001, 52.5)) })
    let cut = String(full.prefix(full.count - 60))
    let document = Self.read(cut)
    #expect(document.features.count == 4)
    #expect(document.features.allSatisfy { $0.isValid })
    let issue = try! #require(document.documentIssues.first)
    #expect(issue.code == "invalid-json")
    #expect(issue.message.contains("end of the file"))
    #expect(issue.path.hasPrefix("features[4]"))
  }

  @Test func emptyFileAndTrailingGarbage() {
    #expect(Self.read("").documentIssues.map(\.code) == ["invalid-json"])
    #expect(Self.read("  \n ").documentIssues.first?.message.contains("empty") == true)
    let trailing = Self.read(Self.collection([]) + " x")
    #expect(trailing.documentIssues.map(\.code) == ["invalid-json"])
    #expect(trailing.documentIssues.first?.message.contains("after the end") == true)
  }

  @Test func byteOrderMarkIsSkippedWithAWarning() {
    var data = Data([0xEF, 0xBB, 0xBF])
    data.append(Data(Self.collection([Self.feature(Self.square())]).utf8))
    let document = GeoJSONReader.read(data: data, options: Self.polygonal)
    #expect(document.documentIssues.map(\.code) == ["byte-order-mark"])
    #expect(document.documentIssues.first?.severity == .warning)
    #expect(document.features.count == 1)
    #expect(document.errorCount == 0)
  }

  @Test func nonFiniteNumbersAreReportedAtTheirPath() {
    for token in ["NaN", "Infinity", "-Infinity", "1e400"] {
      let coordinates = "[[[13.4,52.5],[13.5,\(token)],[13.5,52.6],[13.4,52.5]]]"
      let document = Self.read(Self.collection([Self.feature(coordinates)]))
      #expect(document.documentIssues.isEmpty, "\(token)")
      let issues = document.features[0].issues.filter { $0.code == "non-finite-number" }
      #expect(issues.count == 1, "\(token)")
      #expect(issues.first?.path == "features[0].geometry.coordinates[0][1][1]", "\(token)")
      #expect(issues.first?.message.contains(token) == true)
      #expect(
        issues.first?.message.contains(token == "1e400" ? "overflows" : "not a number JSON allows") == true)
      #expect(document.features[0].issues.filter { $0.severity == .error }.count == 1, "\(token): no cascade")
    }
  }

  @Test func numbersParseExactly() throws {
    var generator = SystemRandomNumberGenerator()
    var values: [Double] = [
      0, -0.0, 1, -1, 0.1, 1e-7, 2.7575683593749996, .leastNonzeroMagnitude, .greatestFiniteMagnitude,
    ]
    for _ in 0..<3000 {
      values.append(Double(bitPattern: generator.next() & 0x7FEF_FFFF_FFFF_FFFF) * (Bool.random() ? 1 : -1))
      values.append(Double.random(in: -180...180))
      values.append((Double.random(in: -180...180) * 1e7).rounded() / 1e7)
    }
    let texts =
      values.map { "\($0)" } + [
        "1E5", "1e+2", "-0.000123e-4", "12.5000", "100", "123456789012345678", "5e-324",
        "0.30000000000000004",
        "1.00000000000000011102230246251565404236316680908203125", "12345678901234567890123",
        "-0.0000000000000000000001234",
        "9007199254740993", "1.7976931348623157e308", "4.9406564584124654e-324",
      ]
    let json = "[" + texts.joined(separator: ",") + "]"
    var parser = JSONStreamParser(data: Data(json.utf8))
    let node = try parser.parseValue()
    let parsed = try #require(node.elements)
    #expect(parsed.count == texts.count)
    for (text, element) in zip(texts, parsed) {
      guard case .number(let value, _) = element.kind else {
        Issue.record("\(text) did not parse as a number")
        continue
      }
      #expect(value.bitPattern == Double(text)!.bitPattern, "\(text)")
    }
  }

  @Test func decimalPlacesAreCounted() throws {
    let cases: [(String, Int)] = [
      ("13.3800", 4), ("1.5e-3", 4), ("1e2", 0), ("12.345e1", 2), ("7", 0), ("0.000000001", 9),
    ]
    for (text, decimals) in cases {
      var parser = JSONStreamParser(data: Data(text.utf8))
      let node = try parser.parseValue()
      guard case .number(_, let counted) = node.kind else {
        Issue.record("\(text) is not a number")
        continue
      }
      #expect(counted == decimals, "\(text)")
    }
  }

  @Test func invalidNumbersAndLiteralsAreSyntaxErrors() {
    for bad in ["01", "1.", "-", "1e", ".5", "+1", "tru", "nulls", "NaNa", "[1,]", "{\"a\":1,}", "{'a':1}"] {
      let document = Self.read("{\"type\":\"Point\",\"coordinates\":[\(bad),0]}", Self.any)
      #expect(document.documentIssues.map(\.code) == ["invalid-json"], "\(bad)")
    }
  }

  @Test func stringsDecodeEscapesAndRejectBadUTF8() throws {
    let text = #"["a\"b\\c\/d\n\t", "\u00e9\ud83d\ude00", "plain ünïcode"]"#
    var parser = JSONStreamParser(data: Data(text.utf8))
    let node = try parser.parseValue()
    #expect(node.value == .array([.string("a\"b\\c/d\n\t"), .string("é😀"), .string("plain ünïcode")]))
    for bad in [#""\ud83d""#, #""\x""#, "\"a\u{01}b\"", #""unterminated"#] {
      #expect(throws: JSONSyntaxError.self, "\(bad)") {
        var parser = JSONStreamParser(data: Data(bad.utf8))
        _ = try parser.parseValue()
      }
    }
    var invalidUTF8 = Data("\"ab".utf8)
    invalidUTF8.append(contentsOf: [0xFF, 0xFE, UInt8(ascii: "\"")])
    #expect(throws: JSONSyntaxError.self) {
      var parser = JSONStreamParser(data: invalidUTF8)
      _ = try parser.parseValue()
    }
  }

  /// Found by tools/fuzz-geojson: invalid UTF-8 in a string that crossed a read-buffer boundary
  /// was located after the closing quote, and at the first byte inside it otherwise. Both now
  /// point at the opening quote, whatever the chunk size.
  @Test func invalidUTF8IsLocatedAtTheStringWhateverTheChunkSize() throws {
    // The fuzzer's reproducer: `"caf\xC3( \xFF\xFE"` as a property value; the quote is byte 39.
    var bytes = Array(#"{"type":"Feature","properties":{"name":"caf"#.utf8)
    bytes += [0xC3, 0x28, 0x20, 0xFF, 0xFE]
    bytes += Array(#""},"geometry":null}"#.utf8)
    let data = Data(bytes)
    let document = GeoJSONReader.read(data: data, options: Self.polygonal)
    let issue = try #require(document.documentIssues.first)
    #expect(issue.code == "invalid-json")
    #expect(issue.path == "properties.name")
    #expect(issue.line == 1)
    #expect(issue.column == 40)
    #expect(issue.message.contains("not valid UTF-8") && issue.message.contains("byte 39"))

    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "swath-utf8-\(UUID().uuidString).geojson")
    try data.write(to: url)
    defer { try? FileManager.default.removeItem(at: url) }
    for chunk in 1...data.count {
      let stream = GeoJSONRootReader(
        parser: try JSONStreamParser(contentsOf: url, chunkSize: chunk), options: Self.polygonal)
      try stream.read { _ in }
      #expect(stream.documentIssues == [issue], "chunk \(chunk)")
    }
  }

  @Test func deepNestingIsAnErrorNotACrash() {
    let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
    let document = Self.read(deep, Self.any)
    #expect(document.documentIssues.first?.message.contains("nesting deeper") == true)
  }

  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func tinyChunksReadTheSameAsOneBuffer() throws {
    let url = TestSupport.fixture(
      "geojson/warn/gjvalidator__problematic_geometries__problematic_excessive_vertices.geojson")
    var wholeParser = JSONStreamParser(data: try Data(contentsOf: url))
    let whole = try wholeParser.parseValue()
    for chunk in [1, 2, 3, 7, 64] {
      var chunkedParser = try JSONStreamParser(contentsOf: url, chunkSize: chunk)
      let chunked = try chunkedParser.parseValue()
      #expect(chunked.value == whole.value, "chunk \(chunk)")
    }
  }

  @Test func pathsIDsAndForeignMembers() {
    let features = [
      Self.feature(Self.square(), id: "\"a\""),
      Self.feature("[[[13.4,52.5],[13.41,52.5],[13.41,52.5],[13.41,52.51],[13.4,52.5]]]", id: "7"),
    ]
    let document = Self.read(
      Self.collection(features, extra: ",\"annotator\":\"ann-3\",\"meta\":{\"n\":[1,2]}"))
    #expect(
      document.foreignMembers == [
        "annotator": .string("ann-3"), "meta": .object(["n": .array([.integer(1), .integer(2)])]),
      ])
    #expect(document.features.map(\.feature.id) == ["a", "7"])
    #expect(document.features.map(\.path) == ["features[0]", "features[1]"])
    let repeated = try! #require(document.features[1].issues.first { $0.code == "repeated-position" })
    #expect(repeated.path == "features[1].geometry.coordinates[0][2]")
    #expect(repeated.featureID == "7")
    #expect(repeated.featureIndex == 1)
    #expect(repeated.severity == .warning)
    #expect(repeated.line == 3)
  }

  @Test func featuresBeforeTypeAreStillRead() {
    let text = "{\"features\":[\(Self.feature(Self.square()))],\"type\":\"FeatureCollection\"}"
    let document = Self.read(text)
    #expect(document.features.count == 1)
    #expect(document.issues.isEmpty)
  }

  @Test func rootFeatureAndBareGeometry() {
    let root = Self.read(
      Self.feature(Self.square(), properties: "{\"label\":\"building\",\"shape\":\"polygon\"}"))
    #expect(root.features.count == 1)
    #expect(root.features[0].path == "$")
    #expect(root.features[0].feature.label == "building")
    #expect(root.issues.isEmpty)
    let bare = Self.read("{\"type\":\"Polygon\",\"coordinates\":\(Self.square())}")
    #expect(bare.features.count == 1)
    #expect(bare.issues.map(\.code) == ["bare-geometry"])
    #expect(Self.read("{\"type\":\"Polygon\",\"coordinates\":\(Self.square())}", Self.any).issues.isEmpty)
  }

  @Test func structureErrors() {
    func codes(_ text: String, _ options: ValidationOptions = GeoJSONReaderTests.any) -> Set<String> {
      Set(Self.read(text, options).issues.filter { $0.severity == .error }.map(\.code))
    }
    #expect(codes("[1,2]") == ["not-geojson"])
    #expect(codes("{\"features\":[]}") == ["missing-type"])
    #expect(codes("{\"type\":\"featurecollection\",\"features\":[]}") == ["unknown-type"])
    #expect(codes("{\"type\":\"FeatureCollection\"}") == ["missing-features"])
    #expect(codes("{\"type\":\"FeatureCollection\",\"features\":{}}") == ["invalid-features"])
    #expect(codes(Self.collection(["null"])) == ["invalid-feature"])
    #expect(codes(Self.collection(["{\"type\":\"Feature\",\"geometry\":null}"])) == ["missing-properties"])
    #expect(codes(Self.collection(["{\"type\":\"Feature\",\"properties\":{}}"])) == ["missing-geometry"])
    #expect(
      codes(Self.collection(["{\"type\":\"Feature\",\"properties\":[],\"geometry\":null}"])) == [
        "invalid-properties"
      ])
    #expect(
      codes(Self.collection(["{\"type\":\"Feature\",\"id\":true,\"properties\":{},\"geometry\":null}"])) == [
        "invalid-id"
      ])
    #expect(codes(Self.collection([Self.feature("[[0,0],[1,1]]")])) == ["coordinates-depth"])
    #expect(codes(Self.collection([Self.feature("[[[[0,0],[1,0],[1,1],[0,0]]]]")])) == ["coordinates-depth"])
    #expect(codes(Self.collection([Self.feature("\"x\"")])) == ["invalid-coordinates"])
    #expect(codes(Self.collection([Self.feature("[0]", type: "Point")])) == ["too-few-ordinates"])
    #expect(codes(Self.collection([Self.feature("[0,0,0,0]", type: "Point")])) == ["too-many-ordinates"])
    #expect(codes(Self.collection([Self.feature("[0,0,0]", type: "Point")])).isEmpty)
    #expect(codes(Self.collection([Self.feature("[[0,0]]", type: "LineString")])) == ["line-too-short"])
    #expect(codes(Self.collection([Self.feature("[0,0]", type: "Circle")])) == ["unknown-type"])
    #expect(
      codes(Self.collection([Self.feature("[0,0]", type: "Point")]), Self.polygonal) == [
        "undrawable-geometry"
      ])
    #expect(
      codes(Self.collection(["{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}"]), Self.polygonal)
        == ["null-geometry"])
    #expect(codes(Self.collection(["{\"type\":\"Feature\",\"properties\":{},\"geometry\":null}"])).isEmpty)
    // Duplicates anywhere, properties included.
    #expect(
      codes(Self.collection([Self.feature(Self.square(), properties: "{\"a\":{\"b\":1,\"b\":2}}")])) == [
        "duplicate-member"
      ])
    #expect(
      codes("{\"type\":\"FeatureCollection\",\"features\":[],\"geometry\":null}") == ["forbidden-member"])
    #expect(codes("{\"type\":\"FeatureCollection\",\"features\":[],\"bbox\":[0,0,1]}") == ["invalid-bbox"])
    #expect(
      codes(Self.collection([Self.feature(Self.square(), properties: "{\"shape\":\"circle\"}")])) == [
        "invalid-shape"
      ])
    #expect(
      codes(Self.collection([Self.feature(Self.square(), properties: "{\"label\":3}")])) == ["invalid-label"])
  }

  @Test func emptyRingsArePolicy() {
    // EMPTY rings and parts (JTS) are left out with a warning, not rejected.
    let document = Self.read(
      "{\"type\":\"MultiPolygon\",\"coordinates\":[\(Self.square()),[],[[[13.5,52.5],[13.5001,52.5],[13.5001,52.5001],[13.5,52.5]],[]]]}",
      Self.any)
    #expect(document.errorCount == 0)
    #expect(Set(document.issues.map(\.code)) == ["empty-geometry", "empty-ring"])
    #expect(document.features[0].feature.geometry.polygons.count == 2)
    #expect(document.features[0].feature.geometry.polygons[1].holes.isEmpty)
    let holeWithoutShell = Self.read(
      "{\"type\":\"Polygon\",\"coordinates\":[[],[[0,0],[1,0],[1,1],[0,0]]]}", Self.any)
    #expect(holeWithoutShell.issues.contains { $0.code == "empty-shell" && $0.severity == .error })
  }

  @Test func streamingHandsFeaturesOverInOrderAcrossThreads() throws {
    let count = 3000
    let features = (0..<count).map { index in
      Self.feature(
        Self.square(13 + Double(index % 100) * 0.001, 52 + Double(index / 100) * 0.001), id: "\(index)")
    }
    let folder = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: folder) }
    let url = folder.appendingPathComponent("many.geojson")
    try Data(Self.collection(features).utf8).write(to: url)
    var seen: [Int] = []
    let summary = try GeoJSONReader.forEachFeature(
      contentsOf: url, options: ValidationOptions(parallelism: 4)
    ) { feature in
      seen.append(feature.index)
      #expect(feature.feature.id == "\(feature.index)")
    }
    #expect(seen == Array(0..<count))
    #expect(summary.featureCount == count)
    #expect(summary.documentIssues.isEmpty)
  }

  @Test func missingFileThrows() {
    #expect(throws: GeoJSONReadError.self) {
      try GeoJSONReader.read(contentsOf: URL(fileURLWithPath: "/nonexistent/x.geojson"), options: Self.any)
    }
    #expect(throws: GeoJSONReadError.self) {
      try GeoJSONReader.read(contentsOf: URL(fileURLWithPath: "/tmp"), options: Self.any)
    }
  }

  @Test func writerRoundTripsInRFC7946Form() {
    let clockwise = Polygon(
      shell: [Point(13.4, 52.5), Point(13.4, 52.5001), Point(13.4001, 52.5001), Point(13.4001, 52.5)],
      holes: [
        [
          Point(13.40002, 52.50002), Point(13.40008, 52.50002), Point(13.40008, 52.50008),
          Point(13.40002, 52.50008),
        ]
      ])
    let feature = LabelFeature(
      id: "x\"1", label: "building", shape: .polygon, geometry: MultiPolygon(clockwise),
      properties: ["note": .string("a\nb"), "score": .number(0.25), "tags": .array([.bool(true), .null])])
    let data = GeoJSONWriter.featureCollection(
      features: [feature, feature], foreignMembers: ["annotator": .string("ann-1")])
    let document = GeoJSONReader.read(data: data, options: Self.polygonal)
    #expect(document.issues.isEmpty, "\(document.issues)")
    #expect(document.foreignMembers == ["annotator": .string("ann-1")])
    let read = document.features[0].feature
    #expect(read.id == "x\"1")
    #expect(read.label == "building")
    #expect(read.properties == feature.properties)
    // Closed, shell counter-clockwise, hole clockwise.
    let polygon = read.geometry.polygons[0]
    #expect(polygon.shell.first == polygon.shell.last)
    #expect(polygon.shell.count == 5)
    #expect(Topology.ringSignedArea(polygon.shell) > 0)
    #expect(Topology.ringSignedArea(polygon.holes[0]) < 0)
    #expect(Set(polygon.shell) == Set(clockwise.shell))
  }

  @Test func writerRoundsToTheRequestedDecimals() {
    #expect(GeoJSONWriter.number(13.123456789123, decimals: 8) == "13.12345679")
    #expect(GeoJSONWriter.number(-0.000000001, decimals: 8) == "0")
    #expect(GeoJSONWriter.number(500000.0, decimals: 8) == "500000")
    #expect(GeoJSONWriter.number(1e20, decimals: 8) == "1e+20")
  }
}
