import Foundation

/// Any JSON value: feature properties carried through untouched, foreign members, records.
///
/// Integers stay apart from reals: a number written with no decimal places that a Double holds
/// exactly (`7`, `-3`, `1e3`) is `.integer`; any other number (`7.0`, `0.25`) is `.number`.
/// Objects are unordered; the writer puts their keys in sorted order.
public enum JSONValue: Hashable, Sendable {
  case null
  case bool(Bool)
  case integer(Int64)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([String: JSONValue])

  public var stringValue: String? {
    if case .string(let value) = self { return value }
    return nil
  }
  /// The number, integer or real.
  public var doubleValue: Double? {
    switch self {
    case .number(let value): return value
    case .integer(let value): return Double(value)
    default: return nil
    }
  }
  public var integerValue: Int64? {
    if case .integer(let value) = self { return value }
    return nil
  }
  public var boolValue: Bool? {
    if case .bool(let value) = self { return value }
    return nil
  }
  public var arrayValue: [JSONValue]? {
    if case .array(let value) = self { return value }
    return nil
  }
  public var objectValue: [String: JSONValue]? {
    if case .object(let value) = self { return value }
    return nil
  }
  public var isNull: Bool { self == .null }

  /// The member `key` of an object; nil for other values or a missing key.
  public subscript(key: String) -> JSONValue? {
    objectValue?[key]
  }

  // MARK: Reading

  /// Parses one JSON text (RFC 8259) with the streaming reader every Swath file goes through.
  /// Duplicate keys keep their first value; `NaN`/`Infinity` tokens become strings.
  public init(parsing data: Data) throws(JSONParseError) {
    var parser = JSONStreamParser(data: data)
    self = try Self.parseDocument(&parser)
  }

  public init(parsing text: String) throws(JSONParseError) {
    try self.init(parsing: Data(text.utf8))
  }

  /// Parses a whole file, read in chunks.
  public init(contentsOf url: URL) throws {
    var parser = try JSONStreamParser(contentsOf: url)
    self = try Self.parseDocument(&parser)
  }

  private static func parseDocument(_ parser: inout JSONStreamParser) throws(JSONParseError) -> JSONValue {
    do {
      _ = try parser.skipByteOrderMark()
      let node = try parser.parseValue()
      guard try parser.atEnd() else {
        throw parser.syntaxError("unexpected text after the JSON value")
      }
      return node.value
    } catch let error as JSONSyntaxError {
      throw JSONParseError(error)
    } catch {
      // In-memory input cannot fail to read; a file read error is described as such.
      throw JSONParseError(message: "\(error)", line: 0, column: 0, path: "$")
    }
  }

  // MARK: Writing

  /// The value as JSON text in `format` (compact by default), object keys sorted.
  public func jsonData(format: JSONFormat = .compact) -> Data {
    var writer = JSONWriter(format: format)
    writer.value(self)
    return writer.data
  }

  /// The value as compact JSON text, object keys sorted.
  public var jsonText: String { jsonText(format: .compact) }

  /// The value as JSON text in `format`, object keys sorted.
  public func jsonText(format: JSONFormat) -> String {
    var writer = JSONWriter(format: format)
    writer.value(self)
    return writer.text
  }
}

/// Codable, for fixed-shape records that hold a free-form value. Decoding (from any decoder)
/// tries a boolean, an Int64, a Double, a string, an array, then an object: through JSONDecoder
/// an integral number such as `5.0` is an integer, where `JSONValue(parsing:)` keeps it a real.
extension JSONValue: Codable {
  public init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .number(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONValue].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONValue].self))
    }
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .null: try container.encodeNil()
    case .bool(let value): try container.encode(value)
    case .integer(let value): try container.encode(value)
    case .number(let value): try container.encode(value)
    case .string(let value): try container.encode(value)
    case .array(let value): try container.encode(value)
    case .object(let value): try container.encode(value)
    }
  }
}

/// Why a JSON text could not be parsed, and where: 1-based line and byte column, and the JSON
/// path of the value being read (`$` is the root).
public struct JSONParseError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public var line: Int
  public var column: Int
  public var path: String

  public init(message: String, line: Int, column: Int, path: String) {
    self.message = message
    self.line = line
    self.column = column
    self.path = path
  }

  init(_ error: JSONSyntaxError) {
    self.init(
      message: error.message, line: error.line, column: error.column,
      path: JSONPath.from(error.pathComponents))
  }

  public var description: String {
    line > 0 ? "\(message) (line \(line), column \(column), at \(path))" : message
  }
}

/// JSON paths, as the validator and parse errors name values: `features[12]` + `geometry` =
/// `features[12].geometry`; the root is `$`. A member name that is not a plain identifier is
/// written `["name"]`, escaped as the writer escapes strings.
enum JSONPath {
  static func join(_ base: String, _ component: String) -> String {
    if base.isEmpty || base == "$" {
      if component.isEmpty { return "$" }
      return component.hasPrefix("[") ? "$" + component : component
    }
    if component.isEmpty { return base }
    return component.hasPrefix("[") ? base + component : base + "." + component
  }

  static func from(_ components: [String]) -> String {
    components.reduce("$") { join($0, $1) }
  }

  /// The path component of the member `name` of an object.
  static func key(_ name: String) -> String {
    if isIdentifier(name) { return name }
    var writer = JSONWriter()
    writer.bytes.append(UInt8(ascii: "["))
    writer.appendEscaped(name)
    writer.bytes.append(UInt8(ascii: "]"))
    return writer.text
  }

  /// The path component of element `index` of an array.
  static func index(_ index: Int) -> String { "[\(index)]" }

  private static func isIdentifier(_ name: String) -> Bool {
    guard let first = name.utf8.first, !(UInt8(ascii: "0")...UInt8(ascii: "9")).contains(first) else {
      return false
    }
    return name.utf8.allSatisfy { byte in
      (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
        || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "_")
        || byte == UInt8(ascii: "-")
    }
  }
}
