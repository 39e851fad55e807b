import Foundation

/// How written JSON is laid out.
public struct JSONFormat: Sendable, Hashable {
  /// Spaces per nesting level; nil writes everything on one line.
  public var indent: Int?
  /// Between a member's key and its value.
  public var colon: String
  /// Between the elements of a container written on one line.
  public var inlineSeparator: String
  /// Empty containers in an indented layout: `[\n\n]` (JSONEncoder) instead of `[]`.
  public var expandsEmptyContainers: Bool

  public init(indent: Int?, colon: String, inlineSeparator: String, expandsEmptyContainers: Bool = false) {
    self.indent = indent
    self.colon = colon
    self.inlineSeparator = inlineSeparator
    self.expandsEmptyContainers = expandsEmptyContainers
  }

  /// One line, no spaces: `{"a":[1,2]}`. GeoJSON layers, stored geometries.
  public static let compact = JSONFormat(indent: nil, colon: ":", inlineSeparator: ",")
  /// The layout of JSONEncoder's `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`:
  /// two spaces, `"key" : value`, one element a line. CLI reports.
  public static let pretty = JSONFormat(
    indent: 2, colon: " : ", inlineSeparator: ", ", expandsEmptyContainers: true)
  /// Two spaces, `"key": value`; containers opened with `inline: true` stay on one line as
  /// `[1, 2]`. The chip index.
  public static let indented = JSONFormat(indent: 2, colon: ": ", inlineSeparator: ", ")
}

/// The one JSON writer: UTF-8 bytes, strings escaped one way, numbers formatted one way.
///
/// Structured calls (`beginObject`, `key`, `number`, …) place separators and indentation.
/// Numbers: integral values below 10^15 as integers, others in their shortest round-trip form,
/// optionally rounded to a number of decimal places first; non-finite values as `null`.
/// Strings: `"`, `\`, and control characters escaped; `/` and non-ASCII written as they are.
public struct JSONWriter: Sendable {
  public let format: JSONFormat
  /// The text written so far.
  public internal(set) var bytes: [UInt8] = []

  private struct Level {
    var count = 0
    var inline: Bool
  }
  private var levels: [Level] = []
  private var afterKey = false
  private let colonBytes: [UInt8]
  private let separatorBytes: [UInt8]

  public init(format: JSONFormat = .compact) {
    self.format = format
    colonBytes = Array(format.colon.utf8)
    separatorBytes = Array(format.inlineSeparator.utf8)
  }

  public var data: Data { Data(bytes) }
  public var text: String { String(decoding: bytes, as: UTF8.self) }

  // MARK: Structure

  /// Opens an object; `inline` keeps it on one line in an indented format.
  public mutating func beginObject(inline: Bool = false) {
    beforeValue()
    bytes.append(UInt8(ascii: "{"))
    levels.append(Level(inline: inline || format.indent == nil || (levels.last?.inline ?? false)))
  }

  public mutating func endObject() { close(UInt8(ascii: "}")) }

  /// Opens an array; `inline` keeps it (and what it holds) on one line in an indented format.
  public mutating func beginArray(inline: Bool = false) {
    beforeValue()
    bytes.append(UInt8(ascii: "["))
    levels.append(Level(inline: inline || format.indent == nil || (levels.last?.inline ?? false)))
  }

  public mutating func endArray() { close(UInt8(ascii: "]")) }

  /// A member name; the next value written is its value.
  public mutating func key(_ name: String) {
    beforeValue()
    appendEscaped(name)
    bytes.append(contentsOf: colonBytes)
    afterKey = true
  }

  // MARK: Values

  public mutating func null() {
    beforeValue()
    self += "null"
  }

  public mutating func bool(_ value: Bool) {
    beforeValue()
    if value { self += "true" } else { self += "false" }
  }

  public mutating func integer(_ value: some BinaryInteger) {
    beforeValue()
    append(String(value))
  }

  /// A number in its shortest round-trip form (integral values below 10^15 without a point);
  /// `null` when not finite.
  public mutating func number(_ value: Double) {
    beforeValue()
    appendNumber(value)
  }

  /// A number rounded to `decimals` places first (GeoJSON coordinates).
  public mutating func number(_ value: Double, decimals: Int) {
    beforeValue()
    appendNumber(value, scale: pow(10, Double(decimals)))
  }

  /// A number with exactly `fixedDecimals` places, trailing zeros kept (`0.150`): files whose
  /// bytes must not depend on the shortest form, such as the simulated scene's truth.
  public mutating func number(_ value: Double, fixedDecimals: Int) {
    beforeValue()
    guard value.isFinite else {
      self += "null"
      return
    }
    append(String(format: "%.\(fixedDecimals)f", value))
  }

  public mutating func string(_ value: String) {
    beforeValue()
    appendEscaped(value)
  }

  /// Any value; object keys in sorted order.
  public mutating func value(_ value: JSONValue) {
    switch value {
    case .null: null()
    case .bool(let flag): bool(flag)
    case .integer(let number): integer(number)
    case .number(let number): self.number(number)
    case .string(let text): string(text)
    case .array(let elements):
      beginArray()
      for element in elements { self.value(element) }
      endArray()
    case .object(let members):
      beginObject()
      for name in members.keys.sorted() {
        key(name)
        self.value(members[name]!)
      }
      endObject()
    }
  }

  /// Members of an object (keys sorted) written into the object open at the moment.
  public mutating func members(_ members: [String: JSONValue]) {
    for name in members.keys.sorted() {
      key(name)
      value(members[name]!)
    }
  }

  // MARK: Layout

  /// Separator and indentation before a value (or a key) at the current position.
  mutating func beforeValue() {
    if afterKey {
      afterKey = false
      return
    }
    guard !levels.isEmpty else { return }
    let level = levels[levels.count - 1]
    if level.inline {
      if level.count > 0 { bytes.append(contentsOf: separatorBytes) }
    } else {
      if level.count > 0 { bytes.append(UInt8(ascii: ",")) }
      newline(depth: levels.count)
    }
    levels[levels.count - 1].count += 1
  }

  private mutating func close(_ bracket: UInt8) {
    let level = levels.removeLast()
    if !level.inline && (level.count > 0 || format.expandsEmptyContainers) {
      if level.count == 0 { bytes.append(UInt8(ascii: "\n")) }
      newline(depth: levels.count)
    }
    bytes.append(bracket)
  }

  private mutating func newline(depth: Int) {
    bytes.append(UInt8(ascii: "\n"))
    bytes.append(contentsOf: repeatElement(UInt8(ascii: " "), count: depth * (format.indent ?? 0)))
  }

  // MARK: Text, without layout (for writers that place their own separators, as GeoJSONWriter)

  static func += (writer: inout JSONWriter, literal: StaticString) {
    literal.withUTF8Buffer { writer.bytes.append(contentsOf: $0) }
  }

  mutating func append(_ string: String) {
    var string = string
    string.withUTF8 { bytes.append(contentsOf: $0) }
  }

  mutating func appendNumber(_ value: Double) {
    guard value.isFinite else {
      self += "null"
      return
    }
    append(Self.numberText(value))
  }

  /// `value` rounded to multiples of 1 / `scale`.
  mutating func appendNumber(_ value: Double, scale: Double) {
    append(Self.numberText(value, scale: scale))
  }

  /// The shortest round-trip form; integral values below 10^15 without a point.
  static func numberText(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return value.description
  }

  /// `value` rounded to multiples of 1 / `scale`, in its shortest round-trip form.
  static func numberText(_ value: Double, scale: Double) -> String {
    guard value.isFinite else { return "null" }
    var rounded = value
    if abs(value) * scale < 9e15 { rounded = (value * scale).rounded() / scale }
    if rounded == 0 { return "0" }
    return numberText(rounded)
  }

  /// A quoted, escaped string.
  mutating func appendEscaped(_ string: String) {
    // Most strings need no escape: one append rather than one per character.
    let needsEscape = string.utf8.contains {
      $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\")
    }
    bytes.append(UInt8(ascii: "\""))
    if !needsEscape {
      append(string)
    } else {
      for scalar in string.unicodeScalars {
        switch scalar {
        case "\"": self += "\\\""
        case "\\": self += "\\\\"
        case "\n": self += "\\n"
        case "\r": self += "\\r"
        case "\t": self += "\\t"
        case _ where scalar.value < 0x20:
          append(String(format: "\\u%04x", scalar.value))
        default:
          UTF8.encode(scalar) { bytes.append($0) }
        }
      }
    }
    bytes.append(UInt8(ascii: "\""))
  }
}
