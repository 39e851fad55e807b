import Foundation

/// Encodes an `Encodable` into a `JSONValue`, to be written by `JSONWriter`: Codable records get
/// the number formatting and escaping of every other JSON Swath writes.
///
/// As JSONEncoder by default: nil optionals are left out (`encodeIfPresent`), URLs become their
/// absolute string, non-finite floating-point values throw. Integers stay integers.
public struct JSONValueEncoder: Sendable {
  public init() {}

  public func encode(_ value: some Encodable) throws -> JSONValue {
    let root = EncodingSlot()
    try EncodingSlot.encode(value, into: root, codingPath: [])
    return root.resolve()
  }

  /// `value` as JSON text in `format`, keys sorted; `.pretty` is what JSONEncoder writes with
  /// `[.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]`.
  public func encodeData(_ value: some Encodable, format: JSONFormat = .compact) throws -> Data {
    try encode(value).jsonData(format: format)
  }
}

/// Where one encoded value goes: filled once, or opened as a container that fills later.
final class EncodingSlot {
  enum Content {
    case empty
    case value(JSONValue)
    case object(EncodingObject)
    case array(EncodingArray)
  }
  var content: Content = .empty

  func resolve() -> JSONValue {
    switch content {
    case .empty: return .object([:])
    case .value(let value): return value
    case .object(let object): return .object(object.members.mapValues { $0.resolve() })
    case .array(let array): return .array(array.elements.map { $0.resolve() })
    }
  }

  func object() -> EncodingObject {
    if case .object(let object) = content { return object }
    let object = EncodingObject()
    content = .object(object)
    return object
  }

  func array() -> EncodingArray {
    if case .array(let array) = content { return array }
    let array = EncodingArray()
    content = .array(array)
    return array
  }

  static func encode(_ value: some Encodable, into slot: EncodingSlot, codingPath: [any CodingKey]) throws {
    if let scalar = try scalar(value, codingPath: codingPath) {
      slot.content = .value(scalar)
    } else {
      try value.encode(to: ValueEncoder(slot: slot, codingPath: codingPath))
    }
  }

  /// Values JSON writes directly, whatever their own `encode(to:)` does.
  static func scalar(_ value: some Encodable, codingPath: [any CodingKey]) throws -> JSONValue? {
    switch value {
    case let value as JSONValue: return value
    case let url as URL: return .string(url.absoluteString)
    case let value as Double: return try real(value, codingPath)
    case let value as Float: return try real(Double("\(value)") ?? Double(value), codingPath)
    default: return nil
    }
  }

  static func real(_ value: Double, _ codingPath: [any CodingKey]) throws -> JSONValue {
    guard value.isFinite else {
      throw EncodingError.invalidValue(
        value, .init(codingPath: codingPath, debugDescription: "\(value) is not a number JSON can hold"))
    }
    return .number(value)
  }

  static func integer<T: BinaryInteger>(_ value: T) -> JSONValue {
    if let exact = Int64(exactly: value) { return .integer(exact) }
    return .number(Double(value))
  }
}

final class EncodingObject {
  var members: [String: EncodingSlot] = [:]
}

final class EncodingArray {
  var elements: [EncodingSlot] = []
}

/// A coding key for array positions in coding paths.
struct IndexCodingKey: CodingKey {
  var intValue: Int?
  var stringValue: String
  init(intValue: Int) {
    self.intValue = intValue
    stringValue = "Index \(intValue)"
  }
  init?(stringValue: String) { nil }
}

struct ValueEncoder: Encoder {
  let slot: EncodingSlot
  let codingPath: [any CodingKey]
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(KeyedContainer<Key>(object: slot.object(), codingPath: codingPath))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    UnkeyedContainer(array: slot.array(), codingPath: codingPath)
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    SingleValueContainer(slot: slot, codingPath: codingPath)
  }
}

struct KeyedContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
  let object: EncodingObject
  let codingPath: [any CodingKey]

  private func set(_ value: JSONValue, _ key: Key) {
    let slot = EncodingSlot()
    slot.content = .value(value)
    object.members[key.stringValue] = slot
  }

  private func slot(_ key: Key) -> EncodingSlot {
    if let existing = object.members[key.stringValue] { return existing }
    let slot = EncodingSlot()
    object.members[key.stringValue] = slot
    return slot
  }

  mutating func encodeNil(forKey key: Key) throws { set(.null, key) }
  mutating func encode(_ value: Bool, forKey key: Key) throws { set(.bool(value), key) }
  mutating func encode(_ value: String, forKey key: Key) throws { set(.string(value), key) }
  mutating func encode(_ value: Double, forKey key: Key) throws {
    set(try EncodingSlot.real(value, codingPath + [key]), key)
  }
  mutating func encode(_ value: Float, forKey key: Key) throws {
    set(try EncodingSlot.scalar(value, codingPath: codingPath + [key])!, key)
  }
  mutating func encode(_ value: Int, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: Int8, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: Int16, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: Int32, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: Int64, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: UInt, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: UInt8, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: UInt16, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: UInt32, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: UInt64, forKey key: Key) throws { set(EncodingSlot.integer(value), key) }
  mutating func encode(_ value: some Encodable, forKey key: Key) throws {
    try EncodingSlot.encode(value, into: slot(key), codingPath: codingPath + [key])
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
    -> KeyedEncodingContainer<NestedKey>
  {
    KeyedEncodingContainer(
      KeyedContainer<NestedKey>(object: slot(key).object(), codingPath: codingPath + [key]))
  }

  mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
    UnkeyedContainer(array: slot(key).array(), codingPath: codingPath + [key])
  }

  mutating func superEncoder() -> any Encoder {
    ValueEncoder(slot: slot(Key(stringValue: "super")!), codingPath: codingPath)
  }

  mutating func superEncoder(forKey key: Key) -> any Encoder {
    ValueEncoder(slot: slot(key), codingPath: codingPath + [key])
  }
}

struct UnkeyedContainer: UnkeyedEncodingContainer {
  let array: EncodingArray
  let codingPath: [any CodingKey]
  var count: Int { array.elements.count }

  private func next() -> EncodingSlot {
    let slot = EncodingSlot()
    array.elements.append(slot)
    return slot
  }
  private func append(_ value: JSONValue) { next().content = .value(value) }
  private var nextPath: [any CodingKey] { codingPath + [IndexCodingKey(intValue: count)] }

  mutating func encodeNil() throws { append(.null) }
  mutating func encode(_ value: Bool) throws { append(.bool(value)) }
  mutating func encode(_ value: String) throws { append(.string(value)) }
  mutating func encode(_ value: Double) throws { append(try EncodingSlot.real(value, nextPath)) }
  mutating func encode(_ value: Float) throws {
    append(try EncodingSlot.scalar(value, codingPath: nextPath)!)
  }
  mutating func encode(_ value: Int) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int8) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int16) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int32) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int64) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt8) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt16) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt32) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt64) throws { append(EncodingSlot.integer(value)) }
  mutating func encode(_ value: some Encodable) throws {
    let path = nextPath
    try EncodingSlot.encode(value, into: next(), codingPath: path)
  }

  mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
    -> KeyedEncodingContainer<NestedKey>
  {
    let path = nextPath
    return KeyedEncodingContainer(KeyedContainer<NestedKey>(object: next().object(), codingPath: path))
  }

  mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
    let path = nextPath
    return UnkeyedContainer(array: next().array(), codingPath: path)
  }

  mutating func superEncoder() -> any Encoder {
    let path = nextPath
    return ValueEncoder(slot: next(), codingPath: path)
  }
}

struct SingleValueContainer: SingleValueEncodingContainer {
  let slot: EncodingSlot
  let codingPath: [any CodingKey]

  private func set(_ value: JSONValue) { slot.content = .value(value) }

  mutating func encodeNil() throws { set(.null) }
  mutating func encode(_ value: Bool) throws { set(.bool(value)) }
  mutating func encode(_ value: String) throws { set(.string(value)) }
  mutating func encode(_ value: Double) throws { set(try EncodingSlot.real(value, codingPath)) }
  mutating func encode(_ value: Float) throws { set(try EncodingSlot.scalar(value, codingPath: codingPath)!) }
  mutating func encode(_ value: Int) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int8) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int16) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int32) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: Int64) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt8) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt16) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt32) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: UInt64) throws { set(EncodingSlot.integer(value)) }
  mutating func encode(_ value: some Encodable) throws {
    try EncodingSlot.encode(value, into: slot, codingPath: codingPath)
  }
}
