import Foundation

/// One feature of a stored FeatureCollection (a consensus run's result).
public struct StoredFeature: Sendable {
  /// The feature's properties; empty when it has none (or `null`).
  public var properties: [String: JSONValue]
  /// The Polygon or MultiPolygon geometry; nil when it was not read (see
  /// `StoredFeatureCollection.forEachFeature(in:readGeometry:_:)`), is missing, or is of another
  /// type or malformed (as `GeoJSONGeometry.multiPolygon(_:)` reads it).
  public var geometry: MultiPolygon?
}

/// A FeatureCollection that Swath stored itself (a consensus run's result), read one feature at a
/// time where the text lies: no tree of the whole layer is built, so reading a layer of a quarter
/// of a million objects needs the memory of one feature beyond the text.
public enum StoredFeatureCollection {
  /// A stored text that is not a FeatureCollection with a `features` array.
  public struct NotACollection: Error, CustomStringConvertible, Sendable {
    public var description: String
  }

  /// Calls `body` with each feature of `text` in order. With `readGeometry` false geometries are
  /// skipped unparsed (every `geometry` is nil): for a pass that needs only the properties.
  /// Throws `JSONParseError` for a syntax error, `NotACollection` when there is no `features`
  /// array, and whatever `body` throws.
  public static func forEachFeature(
    in text: String, readGeometry: Bool = true, _ body: (StoredFeature) throws -> Void
  ) throws {
    var text = text
    try text.withUTF8 { bytes in
      var parser = JSONStreamParser(borrowing: bytes)
      do {
        try read(&parser, readGeometry: readGeometry, body)
      } catch let error as JSONSyntaxError {
        throw JSONParseError(error)
      }
    }
  }

  private static func read(
    _ parser: inout JSONStreamParser, readGeometry: Bool, _ body: (StoredFeature) throws -> Void
  ) throws {
    _ = try parser.skipByteOrderMark()
    guard try parser.peekSignificant() == UInt8(ascii: "{") else {
      throw NotACollection(description: "the stored layer is not a JSON object")
    }
    parser.skipByte()
    var sawFeatures = false
    if try parser.peekSignificant() == UInt8(ascii: "}") {
      parser.skipByte()
    } else {
      repeat {
        let key = try parser.parseKey()
        guard key == "features", !sawFeatures, try parser.peekSignificant() == UInt8(ascii: "[") else {
          try parser.skipValue()
          continue
        }
        sawFeatures = true
        parser.skipByte()
        if try parser.peekSignificant() == UInt8(ascii: "]") {
          parser.skipByte()
          continue
        }
        repeat {
          try body(try feature(&parser, readGeometry: readGeometry))
        } while try parser.parseArraySeparator()
      } while try parser.parseObjectSeparator()
    }
    guard try parser.atEnd() else { throw parser.syntaxError("unexpected text after the JSON value") }
    guard sawFeatures else { throw NotACollection(description: "the stored layer has no features array") }
  }

  private static func feature(_ parser: inout JSONStreamParser, readGeometry: Bool) throws -> StoredFeature {
    try parser.expect(UInt8(ascii: "{"), "a Feature object")
    var feature = StoredFeature(properties: [:], geometry: nil)
    if try parser.peekSignificant() == UInt8(ascii: "}") {
      parser.skipByte()
      return feature
    }
    repeat {
      switch try parser.parseKey() {
      case "properties":
        feature.properties = try parser.parseValue().value.objectValue ?? [:]
      case "geometry" where readGeometry:
        feature.geometry = try geometry(&parser)
      default:
        try parser.skipValue()
      }
    } while try parser.parseObjectSeparator()
    return feature
  }

  /// A Polygon or MultiPolygon read straight into points when its `type` comes before its
  /// `coordinates` (as Swath writes it); otherwise through a parsed value.
  private static func geometry(_ parser: inout JSONStreamParser) throws -> MultiPolygon? {
    guard try parser.peekSignificant() == UInt8(ascii: "{") else {
      try parser.skipValue()
      return nil
    }
    parser.skipByte()
    var type: String?
    var direct: MultiPolygon?
    var parsed: JSONValue?
    if try parser.peekSignificant() == UInt8(ascii: "}") {
      parser.skipByte()
      return nil
    }
    repeat {
      switch try parser.parseKey() {
      case "type" where type == nil:
        type = try parser.parseValue().string
      case "coordinates" where type == "Polygon" && direct == nil:
        direct = try polygon(&parser).map { MultiPolygon($0) }
      case "coordinates" where type == "MultiPolygon" && direct == nil:
        direct = try multiPolygon(&parser)
      case "coordinates" where type == nil && parsed == nil:
        parsed = try parser.parseValue().value
      default:
        try parser.skipValue()
      }
    } while try parser.parseObjectSeparator()
    if let direct { return direct }
    guard let type, let parsed else { return nil }
    return GeoJSONGeometry.multiPolygon(.object(["type": .string(type), "coordinates": parsed]))
  }

  /// `[[ring], …]` parts; parts without rings are left out.
  private static func multiPolygon(_ parser: inout JSONStreamParser) throws -> MultiPolygon? {
    var polygons: [Polygon] = []
    let complete = try elements(&parser) { parser in
      guard let rings = try rings(&parser) else { return false }
      if let shell = rings.first { polygons.append(Polygon(shell: shell, holes: Array(rings.dropFirst()))) }
      return true
    }
    return complete ? MultiPolygon(polygons) : nil
  }

  /// A Polygon's rings; nil when it has none.
  private static func polygon(_ parser: inout JSONStreamParser) throws -> Polygon? {
    guard let rings = try rings(&parser), let shell = rings.first else { return nil }
    return Polygon(shell: shell, holes: Array(rings.dropFirst()))
  }

  private static func rings(_ parser: inout JSONStreamParser) throws -> [Ring]? {
    var rings: [Ring] = []
    let complete = try elements(&parser) { parser in
      var ring: Ring = []
      let ringComplete = try elements(&parser) { parser in
        guard let point = try position(&parser) else { return false }
        ring.append(point)
        return true
      }
      rings.append(ring)
      return ringComplete
    }
    return complete ? rings : nil
  }

  /// `[x, y, …]`: further ordinates are ignored; nil for fewer than two numbers.
  private static func position(_ parser: inout JSONStreamParser) throws -> Point? {
    var ordinates: (Double, Double) = (0, 0)
    var count = 0
    var numeric = true
    let complete = try elements(&parser) { parser in
      guard numeric, let byte = try parser.peekSignificant(),
        byte == UInt8(ascii: "-") || (byte &- UInt8(ascii: "0")) < 10
      else {
        numeric = false
        try parser.skipValue()
        return true
      }
      let value = try parser.parseFiniteNumber()
      if count == 0 { ordinates.0 = value } else if count == 1 { ordinates.1 = value }
      count += 1
      return true
    }
    guard complete, numeric, count >= 2 else { return nil }
    return Point(ordinates.0, ordinates.1)
  }

  /// Reads a JSON array, calling `element` at the start of each element; an element that
  /// returns false (malformed) is skipped along with the rest, and the result is false. A
  /// value other than an array is skipped and gives false.
  private static func elements(
    _ parser: inout JSONStreamParser, _ element: (inout JSONStreamParser) throws -> Bool
  ) throws -> Bool {
    guard try parser.peekSignificant() == UInt8(ascii: "[") else {
      try parser.skipValue()
      return false
    }
    parser.skipByte()
    if try parser.peekSignificant() == UInt8(ascii: "]") {
      parser.skipByte()
      return true
    }
    var complete = true
    repeat {
      // Each element reader consumes its whole value, well formed or not.
      if complete { complete = try element(&parser) } else { try parser.skipValue() }
    } while try parser.parseArraySeparator()
    return complete
  }
}
