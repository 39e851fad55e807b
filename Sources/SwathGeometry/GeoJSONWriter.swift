import Foundation
import SwathSupport

/// Writes annotator features as RFC 7946 GeoJSON: exterior rings counter-clockwise, holes
/// clockwise, every ring closed, a one-part geometry as Polygon, longitude first. Built on
/// JSONWriter: its escaping, its number formatting, its geometry code (`.rfc7946` options).
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
      var text = JSONWriter()
      for offset in (part * partSize)..<min(features.count, (part + 1) * partSize) {
        text += offset > 0 ? ",\n" : "\n"
        appendFeature(features[offset], to: &text, decimals: decimals)
      }
      return text.bytes
    }
    var head = JSONWriter()
    head += "{\"type\":\"FeatureCollection\",\"features\":["
    var end = JSONWriter()
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
    var text = JSONWriter()
    appendFeature(feature, to: &text, decimals: decimals)
    return Data(text.bytes)
  }

  /// A geometry object (Polygon or MultiPolygon), oriented by the right-hand rule.
  public static func geometry(_ geometry: MultiPolygon, decimals: Int = 8) -> Data {
    var text = JSONWriter()
    appendGeometry(geometry, to: &text, decimals: decimals)
    return Data(text.bytes)
  }

  static func appendForeignMembers(_ members: [String: JSONValue], to text: inout JSONWriter) {
    for key in members.keys.sorted()
    where !["type", "features", "bbox", "crs", "coordinates", "geometries", "geometry", "properties"]
      .contains(key)
    {
      text += ","
      text.appendEscaped(key)
      text += ":"
      text.value(members[key]!)
    }
  }

  static func appendFeature(_ feature: LabelFeature, to text: inout JSONWriter, decimals: Int) {
    text += "{\"type\":\"Feature\""
    if let id = feature.id {
      text += ",\"id\":"
      text.appendEscaped(id)
    }
    text += ",\"properties\":{"
    var first = true
    func key(_ name: String) {
      if !first { text += "," }
      first = false
      text.appendEscaped(name)
      text += ":"
    }
    if let label = feature.label {
      key("label")
      text.appendEscaped(label)
    }
    key("shape")
    text.appendEscaped(feature.shape.rawValue)
    for name in feature.properties.keys.sorted() where name != "label" && name != "shape" {
      key(name)
      text.value(feature.properties[name]!)
    }
    text += "},\"geometry\":"
    appendGeometry(feature.geometry, to: &text, decimals: decimals)
    text += "}"
  }

  static func appendGeometry(_ geometry: MultiPolygon, to text: inout JSONWriter, decimals: Int) {
    text.appendGeometry(geometry, options: GeoJSONGeometryOptions(decimals: decimals, rightHandRule: true))
  }

  /// `value` rounded to `decimals` places, in its shortest round-trip form.
  static func number(_ value: Double, decimals: Int) -> String {
    JSONWriter.numberText(value, scale: pow(10, Double(decimals)))
  }

}

/// Writes a FeatureCollection one feature at a time to a temporary file beside `destination`,
/// and renames it into place only on `commit()`: no partial output on failure.
public final class GeoJSONFeatureStreamWriter {
  public let destination: URL
  private let file: AtomicFile
  private let handle: FileHandle
  private var pending = JSONWriter()
  private var count = 0
  private let decimals: Int
  private var committed = false

  public init(destination: URL, decimals: Int = 8) throws {
    self.destination = destination
    self.decimals = decimals
    file = AtomicFile(destination: destination)
    guard FileManager.default.createFile(atPath: file.temporary.path, contents: nil) else {
      throw GeoJSONReadError("cannot create \(file.temporary.path): \(String(cString: strerror(errno)))")
    }
    handle = try FileHandle(forWritingTo: file.temporary)
    pending += "{\"type\":\"FeatureCollection\",\"features\":["
  }

  deinit {
    if !committed {
      try? handle.close()
      file.discard()
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
    committed = true
    do {
      try file.commit()
    } catch let error as FileWriteError {
      throw GeoJSONReadError(error.message)
    }
  }

  /// Removes the temporary file; nothing is written to `destination`.
  public func discard() {
    guard !committed else { return }
    try? handle.close()
    file.discard()
    committed = true
  }
}
