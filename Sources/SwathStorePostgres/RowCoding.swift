import Foundation
import NIOCore
import PostgresNIO
import SwathStore

/// One column's value as the store keeps it: records are plain Codable values, so one encoder
/// and one decoder map every record to its table (snake_case columns, the SQLite backend's rule).
enum ColumnValue: Sendable, Equatable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
  case bytes([UInt8])
  case boolean(Bool)

  /// The cell as this store's schema types it; nil for a column no record reads (PostGIS).
  init?(_ cell: PostgresCell) throws {
    guard cell.bytes != nil else {
      self = .null
      return
    }
    switch cell.dataType {
    case .int2, .int4, .int8: self = .integer(try cell.decode(Int64.self))
    case .float4, .float8: self = .real(try cell.decode(Double.self))
    case .text, .varchar, .name, .bpchar: self = .text(try cell.decode(String.self))
    case .bytea: self = .bytes(Array(try cell.decode(ByteBuffer.self).readableBytesView))
    case .bool: self = .boolean(try cell.decode(Bool.self))
    default: return nil
    }
  }

  func bind(into bindings: inout PostgresBindings) {
    switch self {
    case .null: bindings.appendNull()
    case .integer(let value): bindings.append(value)
    case .real(let value): bindings.append(value)
    case .text(let value): bindings.append(value)
    case .bytes(let value): bindings.append(ByteBuffer(bytes: value))
    case .boolean(let value): bindings.append(value)
    }
  }
}

/// A record's columns, in the order its properties encode.
struct RecordColumns {
  var names: [String] = []
  var values: [ColumnValue] = []

  static func of<Record: StoreRecord>(_ record: Record) throws -> RecordColumns {
    let encoder = ColumnEncoder()
    try record.encode(to: encoder)
    return encoder.columns.value
  }
}

private final class Box<Value> {
  var value: Value
  init(_ value: Value) { self.value = value }
}

/// Encodes a record's top level into columns: scalars as themselves, enums as their raw text,
/// `Data` as bytes, anything nested (arrays) as JSON text.
private struct ColumnEncoder: Encoder {
  let columns = Box(RecordColumns())
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
    KeyedEncodingContainer(Container<Key>(columns: columns))
  }

  func unkeyedContainer() -> any UnkeyedEncodingContainer {
    preconditionFailure("a store record is keyed")
  }

  func singleValueContainer() -> any SingleValueEncodingContainer {
    preconditionFailure("a store record is keyed")
  }

  struct Container<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let columns: Box<RecordColumns>
    var codingPath: [any CodingKey] { [] }

    private func add(_ key: Key, _ value: ColumnValue) {
      columns.value.names.append(ColumnNames.column(key.stringValue))
      columns.value.values.append(value)
    }

    mutating func encodeNil(forKey key: Key) throws { add(key, .null) }
    mutating func encode(_ value: Bool, forKey key: Key) throws { add(key, .boolean(value)) }
    mutating func encode(_ value: String, forKey key: Key) throws { add(key, .text(value)) }
    mutating func encode(_ value: Double, forKey key: Key) throws { add(key, .real(value)) }
    mutating func encode(_ value: Float, forKey key: Key) throws { add(key, .real(Double(value))) }
    mutating func encode(_ value: Int, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { add(key, .integer(value)) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { add(key, .integer(Int64(value))) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { add(key, .integer(Int64(value))) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
      if let data = value as? Data {
        add(key, .bytes(Array(data)))
      } else if let raw = (value as? any RawRepresentable)?.rawValue as? String {
        add(key, .text(raw))
      } else {
        add(key, .text(String(decoding: try JSONEncoder().encode(value), as: UTF8.self)))
      }
    }

    // A nil property is a NULL column, not a missing one: an update must clear it.
    mutating func encodeIfPresent<T: Encodable>(_ value: T?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Bool?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: String?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Double?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Float?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Int?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Int8?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Int16?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Int32?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: Int64?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: UInt?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: UInt8?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: UInt16?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: UInt32?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }
    mutating func encodeIfPresent(_ value: UInt64?, forKey key: Key) throws {
      if let value { try encode(value, forKey: key) } else { add(key, .null) }
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
      -> KeyedEncodingContainer<NestedKey>
    {
      preconditionFailure("store records have no nested containers")
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
      preconditionFailure("store records have no nested containers")
    }

    mutating func superEncoder() -> any Encoder { preconditionFailure("store records have no super") }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
      preconditionFailure("store records have no super")
    }
  }
}

/// Decodes a record from one row's columns by the same naming rule; columns no property names
/// (PostGIS geometries) are ignored.
struct ColumnDecoder: Decoder {
  let row: [String: ColumnValue]
  let table: String
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  init(row: PostgresRow, table: String) throws {
    var columns: [String: ColumnValue] = [:]
    for cell in row {
      if let value = try ColumnValue(cell) { columns[cell.columnName] = value }
    }
    self.row = columns
    self.table = table
  }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    KeyedDecodingContainer(Container<Key>(row: row, table: table))
  }

  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    throw StoreError("\(table): a row is not a list")
  }

  func singleValueContainer() throws -> any SingleValueDecodingContainer {
    throw StoreError("\(table): a row is not one value")
  }

  struct Container<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let row: [String: ColumnValue]
    let table: String
    var codingPath: [any CodingKey] { [] }
    var allKeys: [Key] { row.keys.compactMap { Key(stringValue: ColumnNames.property($0)) } }

    func contains(_ key: Key) -> Bool { row[ColumnNames.column(key.stringValue)] != nil }

    private func value(_ key: Key) throws -> ColumnValue {
      let column = ColumnNames.column(key.stringValue)
      guard let value = row[column] else { throw StoreError("\(table): no column \(column)") }
      return value
    }

    private func mismatch(_ key: Key, _ expected: String) -> StoreError {
      StoreError("\(table).\(ColumnNames.column(key.stringValue)): not \(expected)")
    }

    func decodeNil(forKey key: Key) throws -> Bool {
      (row[ColumnNames.column(key.stringValue)] ?? .null) == .null
    }

    func decode(_ type: Bool.Type, forKey key: Key) throws -> Bool {
      switch try value(key) {
      case .boolean(let value): value
      case .integer(let value): value != 0
      default: throw mismatch(key, "a boolean")
      }
    }

    func decode(_ type: String.Type, forKey key: Key) throws -> String {
      guard case .text(let text) = try value(key) else { throw mismatch(key, "text") }
      return text
    }

    func decode(_ type: Double.Type, forKey key: Key) throws -> Double {
      switch try value(key) {
      case .real(let value): value
      case .integer(let value): Double(value)
      default: throw mismatch(key, "a number")
      }
    }

    func decode(_ type: Float.Type, forKey key: Key) throws -> Float {
      Float(try decode(Double.self, forKey: key))
    }

    private func integer<T: FixedWidthInteger>(_ key: Key) throws -> T {
      guard case .integer(let value) = try value(key), let exact = T(exactly: value) else {
        throw mismatch(key, "an integer of type \(T.self)")
      }
      return exact
    }

    func decode(_ type: Int.Type, forKey key: Key) throws -> Int { try integer(key) }
    func decode(_ type: Int8.Type, forKey key: Key) throws -> Int8 { try integer(key) }
    func decode(_ type: Int16.Type, forKey key: Key) throws -> Int16 { try integer(key) }
    func decode(_ type: Int32.Type, forKey key: Key) throws -> Int32 { try integer(key) }
    func decode(_ type: Int64.Type, forKey key: Key) throws -> Int64 { try integer(key) }
    func decode(_ type: UInt.Type, forKey key: Key) throws -> UInt { try integer(key) }
    func decode(_ type: UInt8.Type, forKey key: Key) throws -> UInt8 { try integer(key) }
    func decode(_ type: UInt16.Type, forKey key: Key) throws -> UInt16 { try integer(key) }
    func decode(_ type: UInt32.Type, forKey key: Key) throws -> UInt32 { try integer(key) }
    func decode(_ type: UInt64.Type, forKey key: Key) throws -> UInt64 { try integer(key) }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
      let value = try value(key)
      if T.self == Data.self {
        guard case .bytes(let bytes) = value else { throw mismatch(key, "bytes") }
        return Data(bytes) as! T
      }
      if case .text(let text) = value, !(T.self is any RawRepresentable.Type) {
        do {
          return try JSONDecoder().decode(T.self, from: Data(text.utf8))
        } catch {
          throw StoreError("\(table).\(ColumnNames.column(key.stringValue)): unreadable JSON")
        }
      }
      return try T(from: ScalarDecoder(value: value, table: table))
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
      -> KeyedDecodingContainer<NestedKey>
    {
      throw StoreError("\(table): store records have no nested containers")
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
      throw StoreError("\(table): store records have no nested containers")
    }

    func superDecoder() throws -> any Decoder { throw StoreError("\(table): store records have no super") }
    func superDecoder(forKey key: Key) throws -> any Decoder {
      throw StoreError("\(table): store records have no super")
    }
  }
}

/// One column's value as a single-value decoder: how enums read their raw text.
private struct ScalarDecoder: Decoder, SingleValueDecodingContainer {
  let value: ColumnValue
  let table: String
  var codingPath: [any CodingKey] { [] }
  var userInfo: [CodingUserInfoKey: Any] { [:] }

  func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
    throw StoreError("\(table): a column is not a record")
  }
  func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
    throw StoreError("\(table): a column is not a list")
  }
  func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

  func decodeNil() -> Bool { value == .null }
  func decode(_ type: String.Type) throws -> String {
    guard case .text(let text) = value else { throw StoreError("\(table): a column is not text") }
    return text
  }
  func decode(_ type: Bool.Type) throws -> Bool {
    guard case .boolean(let flag) = value else { throw StoreError("\(table): a column is not a boolean") }
    return flag
  }
  func decode(_ type: Double.Type) throws -> Double {
    switch value {
    case .real(let number): return number
    case .integer(let number): return Double(number)
    default: throw StoreError("\(table): a column is not a number")
    }
  }
  func decode(_ type: Float.Type) throws -> Float { Float(try decode(Double.self)) }
  private func integer<T: FixedWidthInteger>() throws -> T {
    guard case .integer(let number) = value, let exact = T(exactly: number) else {
      throw StoreError("\(table): a column is not an integer of type \(T.self)")
    }
    return exact
  }
  func decode(_ type: Int.Type) throws -> Int { try integer() }
  func decode(_ type: Int8.Type) throws -> Int8 { try integer() }
  func decode(_ type: Int16.Type) throws -> Int16 { try integer() }
  func decode(_ type: Int32.Type) throws -> Int32 { try integer() }
  func decode(_ type: Int64.Type) throws -> Int64 { try integer() }
  func decode(_ type: UInt.Type) throws -> UInt { try integer() }
  func decode(_ type: UInt8.Type) throws -> UInt8 { try integer() }
  func decode(_ type: UInt16.Type) throws -> UInt16 { try integer() }
  func decode(_ type: UInt32.Type) throws -> UInt32 { try integer() }
  func decode(_ type: UInt64.Type) throws -> UInt64 { try integer() }
  func decode<T: Decodable>(_ type: T.Type) throws -> T { try T(from: self) }
}
