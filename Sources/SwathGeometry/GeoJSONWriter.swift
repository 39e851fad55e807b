import Foundation
import SwathSupport

/// Writes annotator features as RFC 7946 GeoJSON: exterior rings counter-clockwise, holes
/// clockwise, every ring closed, a one-part geometry as Polygon, longitude first.
public enum GeoJSONWriter {
  /// A FeatureCollection of `features`, with `foreignMembers` (e.g. `annotator`) at its root.
  public static func featureCollection(
    features: [LabelFeature], foreignMembers: [String: JSONValue] = [:], decimals: Int = 8
  ) -> Data {
    // Features are encoded in parts on every core and joined in order: the same bytes as one
    // pass, in a fraction of the time for large layers.
    let parts = features.count < 1024 ? 1 : ProcessInfo.processInfo.activeProcessorCount * 4
    let partSize = (features.count + parts - 1) / parts
    let encoded = Parallel.map(0..<parts) { part -> [UInt8] in
      var text = JSONText()
      for offset in (part * partSize)..<min(features.count, (part + 1) * partSize) {
        text += offset > 0 ? ",\n" : "\n"
        appendFeature(features[offset], to: &text, decimals: decimals)
      }
      return text.bytes
    }
    var head = JSONText()
    head += "{\"type\":\"FeatureCollection\",\"features\":["
    var end = JSONText()
    end += "\n]"
    appendForeignMembers(foreignMembers, to: &end)
    end += "}\n"
    let pieces = [head.bytes] + encoded + [end.bytes]
    var data = Data(capacity: pieces.reduce(0) { $0 + $1.count })
    for piece in pieces { data.append(contentsOf: piece) }
    return data
  }

  /// One Feature object.
  public static func feature(_ feature: LabelFeature, decimals: Int = 8) -> Data {
    var text = JSONText()
    appendFeature(feature, to: &text, decimals: decimals)
    return Data(text.bytes)
  }

  /// A geometry object (Polygon or MultiPolygon), oriented by the right-hand rule.
  public static func geometry(_ geometry: MultiPolygon, decimals: Int = 8) -> Data {
    var text = JSONText()
    appendGeometry(geometry, to: &text, decimals: decimals)
    return Data(text.bytes)
  }

  static func appendForeignMembers(_ members: [String: JSONValue], to text: inout JSONText) {
    for key in members.keys.sorted()
    where !["type", "features", "bbox", "crs", "coordinates", "geometries", "geometry", "properties"]
      .contains(key)
    {
      text += ","
      appendString(key, to: &text)
      text += ":"
      appendValue(members[key]!, to: &text)
    }
  }

  static func appendFeature(_ feature: LabelFeature, to text: inout JSONText, decimals: Int) {
    text += "{\"type\":\"Feature\""
    if let id = feature.id {
      text += ",\"id\":"
      appendString(id, to: &text)
    }
    text += ",\"properties\":{"
    var first = true
    func key(_ name: String) {
      if !first { text += "," }
      first = false
      appendString(name, to: &text)
      text += ":"
    }
    if let label = feature.label {
      key("label")
      appendString(label, to: &text)
    }
    key("shape")
    appendString(feature.shape.rawValue, to: &text)
    for name in feature.properties.keys.sorted() where name != "label" && name != "shape" {
      key(name)
      appendValue(feature.properties[name]!, to: &text)
    }
    text += "},\"geometry\":"
    appendGeometry(feature.geometry, to: &text, decimals: decimals)
    text += "}"
  }

  static func appendGeometry(_ geometry: MultiPolygon, to text: inout JSONText, decimals: Int) {
    // Once a geometry, not once a coordinate.
    let scale = pow(10, Double(decimals))
    if geometry.polygons.count == 1 {
      text += "{\"type\":\"Polygon\",\"coordinates\":"
      appendPolygon(geometry.polygons[0], to: &text, scale: scale)
    } else {
      text += "{\"type\":\"MultiPolygon\",\"coordinates\":["
      for (offset, polygon) in geometry.polygons.enumerated() {
        if offset > 0 { text += "," }
        appendPolygon(polygon, to: &text, scale: scale)
      }
      text += "]"
    }
    text += "}"
  }

  private static func appendPolygon(_ polygon: Polygon, to text: inout JSONText, scale: Double) {
    text += "["
    appendRing(polygon.shell, counterClockwise: true, to: &text, scale: scale)
    for hole in polygon.holes {
      text += ","
      appendRing(hole, counterClockwise: false, to: &text, scale: scale)
    }
    text += "]"
  }

  private static func appendRing(_ ring: Ring, counterClockwise: Bool, to text: inout JSONText, scale: Double)
  {
    var points = ring
    if let first = points.first, first != points.last { points.append(first) }
    let area = Topology.ringSignedArea(points)
    if (area > 0) != counterClockwise && area != 0 { points.reverse() }
    text += "["
    for (offset, point) in points.enumerated() {
      if offset > 0 { text += "," }
      text += "["
      text.append(number(point.x, scale: scale))
      text += ","
      text.append(number(point.y, scale: scale))
      text += "]"
    }
    text += "]"
  }

  /// `value` rounded to `decimals` places, in its shortest round-trip form.
  static func number(_ value: Double, decimals: Int) -> String {
    number(value, scale: pow(10, Double(decimals)))
  }

  /// `value` rounded to multiples of 1 / `scale`, in its shortest round-trip form.
  private static func number(_ value: Double, scale: Double) -> String {
    var rounded = value
    if abs(value) * scale < 9e15 { rounded = (value * scale).rounded() / scale }
    if rounded == 0 { return "0" }
    if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int64(rounded)) }
    return rounded.description
  }

  static func appendValue(_ value: JSONValue, to text: inout JSONText) {
    switch value {
    case .null: text += "null"
    case .bool(let flag): text += flag ? "true" : "false"
    case .number(let number):
      if !number.isFinite {
        text += "null"
      } else if number == number.rounded(), abs(number) < 1e15 {
        text.append(String(Int64(number)))
      } else {
        text.append(number.description)
      }
    case .string(let string): appendString(string, to: &text)
    case .array(let elements):
      text += "["
      for (offset, element) in elements.enumerated() {
        if offset > 0 { text += "," }
        appendValue(element, to: &text)
      }
      text += "]"
    case .object(let members):
      text += "{"
      for (offset, key) in members.keys.sorted().enumerated() {
        if offset > 0 { text += "," }
        appendString(key, to: &text)
        text += ":"
        appendValue(members[key]!, to: &text)
      }
      text += "}"
    }
  }

  static func appendString(_ string: String, to text: inout JSONText) {
    // Most strings need no escape: one append rather than one per character.
    let needsEscape = string.utf8.contains {
      $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\")
    }
    if !needsEscape {
      text += "\""
      text.append(string)
      text += "\""
      return
    }
    text += "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case _ where scalar.value < 0x20:
        text.append(String(format: "\\u%04x", scalar.value))
      default:
        UTF8.encode(scalar) { text.bytes.append($0) }
      }
    }
    text += "\""
  }
}

/// GeoJSON text being built, as UTF-8 bytes: appending to a byte array costs a fraction of
/// appending to a String, which checks its capacity, count and flags on every append.
/// Literals are appended as bytes; other text through `append`.
struct JSONText {
  var bytes: [UInt8] = []

  static func += (text: inout JSONText, literal: StaticString) {
    literal.withUTF8Buffer { text.bytes.append(contentsOf: $0) }
  }

  mutating func append(_ string: String) {
    var string = string
    string.withUTF8 { bytes.append(contentsOf: $0) }
  }
}

/// Writes a FeatureCollection one feature at a time to a temporary file beside `destination`,
/// and renames it into place only on `commit()`: no partial output on failure.
public final class GeoJSONFeatureStreamWriter {
  public let destination: URL
  private let temporary: URL
  private let handle: FileHandle
  private var pending = JSONText()
  private var count = 0
  private let decimals: Int
  private var committed = false

  public init(destination: URL, decimals: Int = 8) throws {
    self.destination = destination
    self.decimals = decimals
    temporary = destination.deletingLastPathComponent()
      .appendingPathComponent(".\(destination.lastPathComponent).\(UUID().uuidString).tmp")
    guard FileManager.default.createFile(atPath: temporary.path, contents: nil) else {
      throw GeoJSONReadError("cannot create \(temporary.path): \(String(cString: strerror(errno)))")
    }
    handle = try FileHandle(forWritingTo: temporary)
    pending += "{\"type\":\"FeatureCollection\",\"features\":["
  }

  deinit {
    if !committed {
      try? handle.close()
      try? FileManager.default.removeItem(at: temporary)
    }
  }

  public func write(_ feature: LabelFeature) throws {
    pending += count == 0 ? "\n" : ",\n"
    GeoJSONWriter.appendFeature(feature, to: &pending, decimals: decimals)
    count += 1
    if pending.bytes.count > 1 << 20 { try flush() }
  }

  private func flush() throws {
    try handle.write(contentsOf: Data(pending.bytes))
    pending.bytes.removeAll(keepingCapacity: true)
  }

  /// Ends the collection with `foreignMembers` and moves the file into place.
  public func commit(foreignMembers: [String: JSONValue] = [:]) throws {
    pending += "\n]"
    GeoJSONWriter.appendForeignMembers(foreignMembers, to: &pending)
    pending += "}\n"
    try flush()
    try handle.synchronize()
    try handle.close()
    if rename(temporary.path, destination.path) != 0 {
      let reason = String(cString: strerror(errno))
      try? FileManager.default.removeItem(at: temporary)
      committed = true
      throw GeoJSONReadError("cannot move the output into \(destination.path): \(reason)")
    }
    committed = true
  }

  /// Removes the temporary file; nothing is written to `destination`.
  public func discard() {
    guard !committed else { return }
    try? handle.close()
    try? FileManager.default.removeItem(at: temporary)
    committed = true
  }
}
