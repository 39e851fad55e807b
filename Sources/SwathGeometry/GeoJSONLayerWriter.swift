import Foundation
import SwathSupport

/// A value of a typed column of a `GeoJSONLayerWriter`.
public enum GeoJSONColumnValue: Sendable, Hashable {
  case null
  case integer(Int64)
  /// Written with a decimal point even when integral (`1.0`), so that readers type the column
  /// as real, as GDAL's GeoJSON driver writes OGR real fields.
  case real(Double)
  case string(String)
  case boolean(Bool)
  /// Written as JSON (lists and objects).
  case json(JSONValue)
}

/// Writes a FeatureCollection to a file one feature at a time, in bounded memory: the collection's
/// members first (e.g. `name`, `crs`, a `swath` member), then one feature per line with its
/// properties in column order. Coordinates are written as `geometryOptions` say (RFC 7946: 7
/// decimal places, right-hand rule, a one-part geometry as a Polygon, as GDAL's driver writes it
/// with `RFC7946=YES`). The caller makes the file atomic (`AtomicFile`).
// A class, so that a caller's per-object closure can hold it; used by one thread at a time.
public final class GeoJSONLayerWriter {
  public let path: String
  private let handle: FileHandle
  private var pending = JSONWriter()
  /// Each column's member name, escaped, with its colon: written once per feature as bytes.
  private let keys: [[UInt8]]
  private let geometryOptions: GeoJSONGeometryOptions
  private var count = 0
  private var finished = false

  /// Creates (truncates) `path` and writes the collection's head: `members` in order (values
  /// compact, object keys sorted), then the opening of `features`.
  public init(
    path: String, columns: [String], members: [(key: String, value: JSONValue)],
    geometryOptions: GeoJSONGeometryOptions
  ) throws {
    guard FileManager.default.createFile(atPath: path, contents: nil),
      let handle = FileHandle(forWritingAtPath: path)
    else {
      throw FileWriteError("cannot write \(path): \(String(cString: strerror(errno)))")
    }
    self.path = path
    self.handle = handle
    self.geometryOptions = geometryOptions
    keys = columns.map { name in
      var key = JSONWriter()
      key.appendEscaped(name)
      key += ":"
      return key.bytes
    }
    pending += "{\n\"type\":\"FeatureCollection\",\n"
    for member in members {
      pending.appendEscaped(member.key)
      pending += ":"
      pending.value(member.value)
      pending += ",\n"
    }
    pending += "\"features\":["
  }

  deinit { try? handle.close() }

  /// Writes one feature: `values[i]` for column i (nil leaves the member out) and its geometry.
  public func add(values: [GeoJSONColumnValue?], geometry: MultiPolygon) throws {
    pending +=
      count == 0 ? "\n{\"type\":\"Feature\",\"properties\":{" : ",\n{\"type\":\"Feature\",\"properties\":{"
    var first = true
    for (index, value) in values.enumerated() {
      guard let value else { continue }
      if !first { pending += "," }
      first = false
      pending.bytes.append(contentsOf: keys[index])
      switch value {
      case .null: pending += "null"
      case .integer(let number): pending.append(String(number))
      case .real(let number): pending.appendReal(number)
      case .string(let text): pending.appendEscaped(text)
      case .boolean(let flag): if flag { pending += "true" } else { pending += "false" }
      case .json(let value): pending.value(value)
      }
    }
    pending += "},\"geometry\":"
    pending.appendGeometry(geometry, options: geometryOptions)
    pending += "}"
    count += 1
    if pending.bytes.count >= 1 << 20 { try flush() }
  }

  /// Ends the collection, writes what is pending and closes the file.
  public func finish() throws {
    guard !finished else { return }
    finished = true
    pending += "\n]\n}\n"
    try flush()
    do {
      try handle.close()
    } catch {
      throw FileWriteError("cannot write \(path): \(error.localizedDescription)")
    }
  }

  private func flush() throws {
    do {
      try handle.write(contentsOf: pending.bytes)
    } catch {
      throw FileWriteError("cannot write \(path): \(error.localizedDescription)")
    }
    pending.bytes.removeAll(keepingCapacity: true)
  }
}

extension JSONWriter {
  /// A real with a decimal point even when integral (`1.0`); `null` when not finite.
  mutating func appendReal(_ value: Double) {
    guard value.isFinite else {
      self += "null"
      return
    }
    if value == value.rounded(), abs(value) < 1e15 {
      append(String(Int64(value)))
      self += ".0"
    } else {
      append(value.description)
    }
  }
}

extension MultiPolygon {
  /// Every coordinate rounded to `decimals` places the way printf's `%.Nf` rounds (the exact
  /// binary value, not its product with 10^N), so that written digits match GDAL's: 47.66085165
  /// is stored as 47.660851649999…, which is 47.6608516 to 7 places, although 47.66085165 × 10^7
  /// rounds to exactly 476608516.5 in floating point.
  public func roundedLikePrintf(decimals: Int) -> MultiPolygon {
    let scale = pow(10, Double(decimals))
    return mapPoints { Point(Self.round($0.x, scale: scale), Self.round($0.y, scale: scale)) }
  }

  static func round(_ value: Double, scale: Double) -> Double {
    guard value.isFinite, abs(value) * scale < 9e15 else { return value }
    let product = value * scale
    var rounded = product.rounded()
    if abs(product - product.rounded(.towardZero)) == 0.5 {
      // A tie after the multiplication: the exact remainder (fused multiply-add) says which side
      // the exact product lies on; an exact tie goes to even, as printf does.
      let remainder = (-product).addingProduct(value, scale)
      rounded =
        remainder > 0
        ? product.rounded(.up) : remainder < 0 ? product.rounded(.down) : product.rounded(.toNearestOrEven)
    }
    return rounded / scale
  }
}
