import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A parsed JSON value and where it starts in the file, so that messages can point into it.
struct JSONNode: Sendable {
  enum Kind: Sendable {
    case null
    case bool(Bool)
    /// `decimals`: digits after the point once the exponent is applied (`1.5e-3` has 4).
    case number(Double, decimals: Int)
    /// `NaN`, `Infinity`, `-Infinity`: not JSON, but written by common tools; kept so the
    /// validator can name the position instead of stopping at a syntax error.
    case nonFinite(String)
    case string(String)
    case array([JSONNode])
    /// Members in file order, duplicates kept (the validator reports them).
    case object([JSONMember])
  }
  var kind: Kind
  var line: Int32
  var column: Int32

  var typeName: String {
    switch kind {
    case .null: return "null"
    case .bool: return "a boolean"
    case .number, .nonFinite: return "a number"
    case .string: return "a string"
    case .array: return "an array"
    case .object: return "an object"
    }
  }

  var members: [JSONMember]? {
    if case .object(let members) = kind { return members }
    return nil
  }
  var elements: [JSONNode]? {
    if case .array(let elements) = kind { return elements }
    return nil
  }
  var string: String? {
    if case .string(let text) = kind { return text }
    return nil
  }
  var isNull: Bool {
    if case .null = kind { return true }
    return false
  }

  /// The first member named `key`.
  func member(_ key: String) -> JSONNode? {
    guard case .object(let members) = kind else { return nil }
    for member in members where member.key == key { return member.value }
    return nil
  }

  /// The plain value, for carrying properties through; non-finite tokens become strings.
  var value: JSONValue {
    switch kind {
    case .null: return .null
    case .bool(let flag): return .bool(flag)
    case .number(let number, let decimals):
      // No decimal places and exactly held: an integer, as JSONValue keeps them apart from reals.
      if decimals == 0, abs(number) <= 9_007_199_254_740_992, number == number.rounded() {
        return .integer(Int64(number))
      }
      return .number(number)
    case .nonFinite(let token): return .string(token)
    case .string(let text): return .string(text)
    case .array(let elements): return .array(elements.map(\.value))
    case .object(let members):
      var object: [String: JSONValue] = [:]
      object.reserveCapacity(members.count)
      for member in members where object[member.key] == nil { object[member.key] = member.value.value }
      return .object(object)
    }
  }
}

struct JSONMember: Sendable {
  var key: String
  var value: JSONNode
}

/// A JSON syntax error: what was expected, and where (1-based line and byte column, 0-based byte
/// offset, and the JSON path of the value being read).
struct JSONSyntaxError: Error, Sendable {
  var message: String
  var line: Int
  var column: Int
  var offset: Int
  /// Path components from the root, e.g. ["features", "[12]", "geometry"].
  var pathComponents: [String] = []
}

/// An I/O failure while reading (not a syntax problem).
public struct GeoJSONReadError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// A streaming JSON tokenizer and parser over a file descriptor or a block of memory.
/// It reads the input in fixed-size chunks, so memory stays bounded by the largest single
/// value the caller asks it to build (one feature), not by the file.
/// A non-copyable struct rather than a class: its hot loops then need no runtime exclusivity checks.
struct JSONStreamParser: ~Copyable {
  private let fileDescriptor: Int32
  private let ownsDescriptor: Bool
  /// False when the bytes belong to the caller (`init(borrowing:)`).
  private let ownsBuffer: Bool
  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private var position = 0
  private var limit = 0
  /// File offset of buffer[0].
  private var bufferOffset = 0
  private var atEndOfInput = false
  private(set) var line = 1
  /// File offset of the first byte of the current line.
  private var lineStart = 0
  private var scratch: [UInt8] = []
  private let maximumDepth = 256

  /// Reads `url` in chunks of `chunkSize` bytes.
  init(contentsOf url: URL, chunkSize: Int = 1 << 20) throws {
    let descriptor = open(url.path, O_RDONLY)
    guard descriptor >= 0 else {
      throw GeoJSONReadError("cannot open \(url.path): \(String(cString: strerror(errno)))")
    }
    var status = stat()
    if fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFDIR {
      close(descriptor)
      throw GeoJSONReadError("cannot read \(url.path): it is a directory")
    }
    fileDescriptor = descriptor
    ownsDescriptor = true
    ownsBuffer = true
    capacity = chunkSize
    buffer = .allocate(capacity: chunkSize)
  }

  /// Parses bytes already in memory.
  init(data: Data) {
    fileDescriptor = -1
    ownsDescriptor = false
    ownsBuffer = true
    capacity = max(1, data.count)
    buffer = .allocate(capacity: capacity)
    data.copyBytes(to: buffer, count: data.count)
    limit = data.count
    atEndOfInput = true
  }

  /// Parses bytes the caller keeps alive (and unchanged) for the parser's lifetime, without
  /// copying them: a stored layer of a quarter of a million objects is read where it lies.
  init(borrowing bytes: UnsafeBufferPointer<UInt8>) {
    fileDescriptor = -1
    ownsDescriptor = false
    if let start = bytes.baseAddress, bytes.count > 0 {
      // Never written through: in-memory input is complete, so nothing is refilled or moved.
      buffer = UnsafeMutablePointer(mutating: start)
      ownsBuffer = false
    } else {
      buffer = .allocate(capacity: 1)
      ownsBuffer = true
    }
    capacity = max(1, bytes.count)
    limit = bytes.count
    atEndOfInput = true
  }

  deinit {
    if ownsBuffer { buffer.deallocate() }
    if ownsDescriptor { close(fileDescriptor) }
  }

  // MARK: Input

  var offset: Int { bufferOffset + position }
  var column: Int { offset - lineStart + 1 }

  /// Refills the buffer; false at the end of the input.
  private mutating func refill() throws -> Bool {
    if atEndOfInput { return false }
    bufferOffset += limit
    position = 0
    limit = 0
    while true {
      let count = read(fileDescriptor, buffer, capacity)
      if count < 0 {
        if errno == EINTR { continue }
        throw GeoJSONReadError("read error at byte \(bufferOffset): \(String(cString: strerror(errno)))")
      }
      if count == 0 { atEndOfInput = true }
      limit = count
      return count > 0
    }
  }

  @inline(__always)
  private mutating func peekByte() throws -> UInt8? {
    if position < limit { return buffer[position] }
    return try refill() ? buffer[position] : nil
  }

  func syntaxError(_ message: String) -> JSONSyntaxError {
    JSONSyntaxError(message: message, line: line, column: column, offset: offset)
  }

  private func describe(_ byte: UInt8?) -> String {
    guard let byte else { return "the end of the file" }
    if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
    return String(format: "byte 0x%02X", byte)
  }

  /// Skips whitespace and returns the next significant byte without consuming it.
  @inline(__always)
  mutating func peekSignificant() throws -> UInt8? {
    while true {
      if position >= limit {
        if try !refill() { return nil }
      }
      let byte = buffer[position]
      switch byte {
      case 0x20, 0x09, 0x0D:
        position += 1
      case 0x0A:
        position += 1
        line += 1
        lineStart = bufferOffset + position
      default:
        return byte
      }
    }
  }

  mutating func expect(_ byte: UInt8, _ what: String) throws {
    let next = try peekSignificant()
    guard next == byte else { throw syntaxError("expected \(what), found \(describe(next))") }
    position += 1
  }

  /// True after consuming the whole input except whitespace.
  mutating func atEnd() throws -> Bool { try peekSignificant() == nil }

  mutating func skipByte() { position += 1 }

  /// Skips a UTF-8 byte order mark at the very start; true when there was one.
  mutating func skipByteOrderMark() throws -> Bool {
    guard offset == 0 else { return false }
    try ensureContiguous(3)
    guard limit - position >= 3, buffer[position] == 0xEF, buffer[position + 1] == 0xBB,
      buffer[position + 2] == 0xBF
    else { return false }
    position += 3
    lineStart = 3
    return true
  }

  // MARK: Values

  /// Parses one complete value.
  mutating func parseValue(depth: Int = 0) throws -> JSONNode {
    guard let byte = try peekSignificant() else {
      throw syntaxError("expected a value, found the end of the file")
    }
    let startLine = Int32(truncatingIfNeeded: line)
    let startColumn = Int32(truncatingIfNeeded: column)
    let kind: JSONNode.Kind
    switch byte {
    case UInt8(ascii: "{"):
      guard depth < maximumDepth else { throw syntaxError("nesting deeper than \(maximumDepth) levels") }
      position += 1
      kind = .object(try parseMembers(depth: depth))
    case UInt8(ascii: "["):
      guard depth < maximumDepth else { throw syntaxError("nesting deeper than \(maximumDepth) levels") }
      position += 1
      kind = .array(try parseElements(depth: depth))
    case UInt8(ascii: "\""):
      kind = .string(try parseString())
    case UInt8(ascii: "t"):
      try parseLiteral("true")
      kind = .bool(true)
    case UInt8(ascii: "f"):
      try parseLiteral("false")
      kind = .bool(false)
    case UInt8(ascii: "n"):
      try parseLiteral("null")
      kind = .null
    case UInt8(ascii: "N"):
      try parseLiteral("NaN")
      kind = .nonFinite("NaN")
    case UInt8(ascii: "I"):
      try parseLiteral("Infinity")
      kind = .nonFinite("Infinity")
    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
      kind = try parseNumber()
    default:
      throw syntaxError("expected a value, found \(describe(byte))")
    }
    return JSONNode(kind: kind, line: startLine, column: startColumn)
  }

  private mutating func parseMembers(depth: Int) throws -> [JSONMember] {
    var members: [JSONMember] = []
    members.reserveCapacity(4)
    if try peekSignificant() == UInt8(ascii: "}") {
      position += 1
      return members
    }
    while true {
      let key = try parseKey()
      do {
        members.append(JSONMember(key: key, value: try parseValue(depth: depth + 1)))
      } catch var error as JSONSyntaxError {
        error.pathComponents.insert(JSONPath.key(key), at: 0)
        throw error
      }
      if try !parseObjectSeparator() { return members }
    }
  }

  /// Reads `"key" :`.
  mutating func parseKey() throws -> String {
    let next = try peekSignificant()
    guard next == UInt8(ascii: "\"") else {
      throw syntaxError("expected a member name in double quotes, found \(describe(next))")
    }
    let key = try parseString()
    try expect(UInt8(ascii: ":"), "':' after a member name")
    return key
  }

  /// After a member: true on ',', false on '}'.
  mutating func parseObjectSeparator() throws -> Bool {
    let next = try peekSignificant()
    if next == UInt8(ascii: ",") {
      position += 1
      return true
    }
    if next == UInt8(ascii: "}") {
      position += 1
      return false
    }
    throw syntaxError("expected ',' or '}' after an object member, found \(describe(next))")
  }

  /// After an element: true on ',', false on ']'.
  mutating func parseArraySeparator() throws -> Bool {
    let next = try peekSignificant()
    if next == UInt8(ascii: ",") {
      position += 1
      return true
    }
    if next == UInt8(ascii: "]") {
      position += 1
      return false
    }
    throw syntaxError("expected ',' or ']' after an array element, found \(describe(next))")
  }

  private mutating func parseElements(depth: Int) throws -> [JSONNode] {
    var elements: [JSONNode] = []
    elements.reserveCapacity(4)
    if try peekSignificant() == UInt8(ascii: "]") {
      position += 1
      return elements
    }
    while true {
      do {
        elements.append(try parseValue(depth: depth + 1))
      } catch var error as JSONSyntaxError {
        error.pathComponents.insert(JSONPath.index(elements.count), at: 0)
        throw error
      }
      if try !parseArraySeparator() { return elements }
    }
  }

  private mutating func parseLiteral(_ literal: StaticString) throws {
    let bytes = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
    for expected in bytes {
      let byte = try peekByte()
      guard byte == expected else {
        throw syntaxError("invalid literal: expected '\(literal)', found \(describe(byte))")
      }
      position += 1
    }
    // A literal must not run on into letters (`nulls`, `truex`).
    if let byte = try peekByte(), isIdentifierByte(byte) {
      throw syntaxError("invalid literal: unexpected \(describe(byte)) after '\(literal)'")
    }
  }

  @inline(__always)
  private func isIdentifierByte(_ byte: UInt8) -> Bool {
    (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
  }

  /// Reads a finite number (a coordinate); throws for anything else.
  mutating func parseFiniteNumber() throws -> Double {
    guard let byte = try peekSignificant() else {
      throw syntaxError("expected a number, found the end of the file")
    }
    guard byte == UInt8(ascii: "-") || (byte &- UInt8(ascii: "0")) < 10 else {
      throw syntaxError("expected a number, found \(describe(byte))")
    }
    guard case .number(let value, _) = try parseNumber() else {
      throw syntaxError("expected a finite number")
    }
    return value
  }

  /// Reads past one value without building it (what a caller does not need, such as a
  /// geometry while only the properties are wanted).
  mutating func skipValue(depth: Int = 0) throws {
    guard let byte = try peekSignificant() else {
      throw syntaxError("expected a value, found the end of the file")
    }
    switch byte {
    case UInt8(ascii: "{"), UInt8(ascii: "["):
      guard depth < maximumDepth else { throw syntaxError("nesting deeper than \(maximumDepth) levels") }
      position += 1
      let isObject = byte == UInt8(ascii: "{")
      if try peekSignificant() == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
        position += 1
        return
      }
      while true {
        if isObject { _ = try parseKey() }
        try skipValue(depth: depth + 1)
        if try !(isObject ? parseObjectSeparator() : parseArraySeparator()) { return }
      }
    case UInt8(ascii: "\""):
      _ = try parseString()
    default:
      _ = try parseValue(depth: depth)
    }
  }

  // MARK: Strings

  /// Reads a string token, starting at its opening quote.
  mutating func parseString() throws -> String {
    // Invalid UTF-8 is reported at the opening quote, however the string was read (a string holds
    // no raw newline, so `line` and `lineStart` stay the same to its end).
    let quote = offset
    position += 1  // opening quote
    // Fast path: the whole string, without escapes, inside the current buffer.
    var index = position
    while index < limit {
      let byte = buffer[index]
      if byte == UInt8(ascii: "\"") {
        let text = try makeString(
          UnsafeBufferPointer(start: buffer + position, count: index - position), quote: quote)
        position = index + 1
        return text
      }
      if byte == UInt8(ascii: "\\") || byte < 0x20 { break }
      index += 1
    }
    return try parseStringSlowly(quote: quote)
  }

  private func makeString(_ bytes: UnsafeBufferPointer<UInt8>, quote: Int) throws -> String {
    // ASCII is valid UTF-8 as it stands. `String(validating:as:)` is not specialised for us and
    // looks up generic metadata at run time on every call: a tenth of a large file's reading.
    if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
    guard let text = String(validating: bytes, as: UTF8.self) else {
      throw JSONSyntaxError(
        message: "a string is not valid UTF-8", line: line, column: quote - lineStart + 1, offset: quote)
    }
    return text
  }

  private mutating func parseStringSlowly(quote: Int) throws -> String {
    scratch.removeAll(keepingCapacity: true)
    while true {
      guard let byte = try peekByte() else {
        throw syntaxError("unterminated string: the file ends inside it")
      }
      position += 1
      switch byte {
      case UInt8(ascii: "\""):
        return try scratch.withUnsafeBufferPointer { try makeString($0, quote: quote) }
      case UInt8(ascii: "\\"):
        try parseEscape()
      case 0..<0x20:
        position -= 1
        throw syntaxError("unescaped control character (\(describe(byte))) in a string")
      default:
        scratch.append(byte)
      }
    }
  }

  private mutating func parseEscape() throws {
    guard let byte = try peekByte() else { throw syntaxError("unterminated string: the file ends inside it") }
    position += 1
    switch byte {
    case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(byte)
    case UInt8(ascii: "b"): scratch.append(0x08)
    case UInt8(ascii: "f"): scratch.append(0x0C)
    case UInt8(ascii: "n"): scratch.append(0x0A)
    case UInt8(ascii: "r"): scratch.append(0x0D)
    case UInt8(ascii: "t"): scratch.append(0x09)
    case UInt8(ascii: "u"):
      var scalar = try parseHex4()
      if (0xD800..<0xDC00).contains(scalar) {
        // A high surrogate must be followed by an escaped low surrogate.
        guard try peekByte() == UInt8(ascii: "\\") else {
          throw syntaxError("unpaired UTF-16 surrogate escape")
        }
        position += 1
        guard try peekByte() == UInt8(ascii: "u") else {
          throw syntaxError("unpaired UTF-16 surrogate escape")
        }
        position += 1
        let low = try parseHex4()
        guard (0xDC00..<0xE000).contains(low) else { throw syntaxError("unpaired UTF-16 surrogate escape") }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00..<0xE000).contains(scalar) {
        throw syntaxError("unpaired UTF-16 surrogate escape")
      }
      guard let unicode = Unicode.Scalar(scalar) else { throw syntaxError("invalid \\u escape") }
      scratch.append(contentsOf: String(Character(unicode)).utf8)
    default:
      position -= 1
      throw syntaxError("invalid escape '\\\(Character(Unicode.Scalar(byte)))' in a string")
    }
  }

  private mutating func parseHex4() throws -> UInt32 {
    var value: UInt32 = 0
    for _ in 0..<4 {
      guard let byte = try peekByte() else { throw syntaxError("unterminated \\u escape") }
      let digit: UInt32
      switch byte {
      case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(byte - UInt8(ascii: "0"))
      case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(byte - UInt8(ascii: "a") + 10)
      case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(byte - UInt8(ascii: "A") + 10)
      default: throw syntaxError("invalid hex digit \(describe(byte)) in a \\u escape")
      }
      value = value << 4 | digit
      position += 1
    }
    return value
  }

  // MARK: Numbers

  /// Makes `count` bytes from `position` contiguous in the buffer when the input has them, moving
  /// the unread tail to the buffer's start (growing the buffer for very long tokens).
  private mutating func ensureContiguous(_ count: Int) throws {
    if limit - position >= count || atEndOfInput { return }
    let tail = limit - position
    if count > capacity {
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: count)
      grown.update(from: buffer + position, count: tail)
      buffer.deallocate()
      buffer = grown
      capacity = count
    } else if position > 0 {
      memmove(buffer, buffer + position, tail)
    }
    bufferOffset += position
    position = 0
    limit = tail
    while limit < count {
      let read = read(fileDescriptor, buffer + limit, capacity - limit)
      if read < 0 {
        if errno == EINTR { continue }
        throw GeoJSONReadError(
          "read error at byte \(bufferOffset + limit): \(String(cString: strerror(errno)))")
      }
      if read == 0 {
        atEndOfInput = true
        return
      }
      limit += read
    }
  }

  /// Reads a number by the JSON grammar, computing the value exactly (Clinger's fast path
  /// for short decimals, strtod otherwise) and counting decimal places.
  private mutating func parseNumber() throws -> JSONNode.Kind {
    var need = 64
    while true {
      try ensureContiguous(need)
      if let kind = try scanNumber() { return kind }
      need *= 4
    }
  }

  /// Scans the number at `position` inside the buffer; nil when it runs past the bytes read so far.
  private mutating func scanNumber() throws -> JSONNode.Kind? {
    let start = position
    var index = position
    let end = limit
    let bytes = buffer
    @inline(__always) func isDigit(_ byte: UInt8) -> Bool { byte &- UInt8(ascii: "0") < 10 }
    func failure(_ message: String, at offset: Int) -> JSONSyntaxError {
      JSONSyntaxError(
        message: message, line: line, column: bufferOffset + offset - lineStart + 1,
        offset: bufferOffset + offset)
    }
    func found(_ offset: Int) -> String { offset < end ? describe(bytes[offset]) : "the end of the file" }

    var negative = false
    if index < end && bytes[index] == UInt8(ascii: "-") {
      negative = true
      index += 1
      if index < end && bytes[index] == UInt8(ascii: "I") {
        try parseLiteral("-Infinity")
        return .nonFinite("-Infinity")
      }
    }
    var mantissa: UInt64 = 0
    var significantDigits = 0
    var exact = true
    var fractionDigits = 0
    var exponent = 0
    guard index < end, isDigit(bytes[index]) else {
      if index >= end && !atEndOfInput { return nil }
      throw failure("invalid number: expected a digit, found \(found(index))", at: index)
    }
    if bytes[index] == UInt8(ascii: "0") {
      index += 1
      if index < end && isDigit(bytes[index]) {
        throw failure("invalid number: leading zeros are not allowed", at: index)
      }
    } else {
      while index < end, isDigit(bytes[index]) {
        if significantDigits < 19 {
          mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
          significantDigits += 1
        } else {
          exact = false
          exponent += 1  // a dropped integer digit scales what was kept
        }
        index += 1
      }
    }
    if index < end && bytes[index] == UInt8(ascii: ".") {
      index += 1
      let fractionStart = index
      while index < end, isDigit(bytes[index]) {
        if significantDigits < 19 {
          mantissa = mantissa &* 10 &+ UInt64(bytes[index] &- UInt8(ascii: "0"))
          if mantissa != 0 { significantDigits += 1 }
          fractionDigits += 1
        } else {
          exact = false
        }
        index += 1
      }
      if index == fractionStart {
        if index >= end && !atEndOfInput { return nil }
        throw failure(
          "invalid number: expected a digit after the decimal point, found \(found(index))", at: index)
      }
      // Decimal places as written, even where digits were dropped from the mantissa.
      fractionDigits = index - fractionStart
    }
    var writtenExponent = 0
    if index < end && (bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E")) {
      index += 1
      var exponentNegative = false
      if index < end && (bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-")) {
        exponentNegative = bytes[index] == UInt8(ascii: "-")
        index += 1
      }
      let exponentStart = index
      while index < end, isDigit(bytes[index]) {
        if writtenExponent < 100_000 {
          writtenExponent = writtenExponent * 10 + Int(bytes[index] - UInt8(ascii: "0"))
        }
        index += 1
      }
      if index == exponentStart {
        if index >= end && !atEndOfInput { return nil }
        throw failure("invalid number: expected a digit in the exponent, found \(found(index))", at: index)
      }
      if exponentNegative { writtenExponent = -writtenExponent }
    }
    if index >= end && !atEndOfInput { return nil }
    if index < end, isIdentifierByte(bytes[index]) || bytes[index] == UInt8(ascii: ".") {
      throw failure("invalid number: unexpected \(describe(bytes[index]))", at: index)
    }
    position = index
    let decimals = max(0, fractionDigits - writtenExponent)
    // The integer mantissa times 10^scale; digits past the 19th make it inexact.
    let scale = writtenExponent + exponent - (exact ? fractionDigits : 0)
    var value: Double
    if exact && mantissa <= (1 << 53) && scale >= -22 && scale <= 22 {
      value = Double(mantissa)
      if scale < 0 {
        value /= Self.powersOfTen[-scale]
      } else if scale > 0 {
        value *= Self.powersOfTen[scale]
      }
      if negative { value = -value }
    } else {
      scratch.removeAll(keepingCapacity: true)
      scratch.append(contentsOf: UnsafeBufferPointer(start: bytes + start, count: index - start))
      scratch.append(0)
      value = scratch.withUnsafeBufferPointer { text in
        text.withMemoryRebound(to: CChar.self) { strtod($0.baseAddress!, nil) }
      }
    }
    if !value.isFinite {
      // Overflows such as 1e400: valid JSON, but not a usable coordinate.
      return .nonFinite(
        String(decoding: UnsafeBufferPointer(start: bytes + start, count: index - start), as: UTF8.self))
    }
    return .number(value, decimals: decimals)
  }

  private static let powersOfTen: [Double] = (0...22).map { exponent in
    var value = 1.0
    for _ in 0..<exponent { value *= 10 }
    return value
  }
}
