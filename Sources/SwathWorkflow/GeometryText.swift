import Foundation
import SwathGDAL
import SwathGeometry

enum Reprojection {
  static func apply(_ geometry: MultiPolygon, _ transform: CoordinateTransform) throws
    -> MultiPolygon
  {
    var xs = Array(geometry.allPoints.map(\.x))
    var ys = Array(geometry.allPoints.map(\.y))
    try transform.transform(xs: &xs, ys: &ys)
    var index = 0
    return geometry.mapPoints { _ in
      defer { index += 1 }
      return Point(xs[index], ys[index])
    }
  }

}

extension GeoJSONText {
  /// A polygonal geometry as GeoJSON: a Polygon when it has one part.
  public static func geometry(_ geometry: MultiPolygon) -> String {
    func ring(_ points: [Point]) -> String {
      "[" + points.map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",") + "]"
    }
    func polygon(_ polygon: Polygon) -> String {
      "[" + polygon.rings.map(ring).joined(separator: ",") + "]"
    }
    if geometry.polygons.count == 1 {
      return "{\"type\":\"Polygon\",\"coordinates\":\(polygon(geometry.polygons[0]))}"
    }
    return
      "{\"type\":\"MultiPolygon\",\"coordinates\":[\(geometry.polygons.map(polygon).joined(separator: ","))]}"
  }

  /// Parses a stored Polygon or MultiPolygon.
  public static func multiPolygon(_ text: String) -> MultiPolygon? {
    guard let object = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
      let type = object["type"] as? String
    else { return nil }
    func polygon(_ rings: [[[Double]]]) -> Polygon? {
      let converted = rings.map { $0.map { Point($0[0], $0[1]) } }
      guard let shell = converted.first else { return nil }
      return Polygon(shell: shell, holes: Array(converted.dropFirst()))
    }
    switch type {
    case "Polygon":
      guard let rings = object["coordinates"] as? [[[Double]]], let part = polygon(rings) else {
        return nil
      }
      return MultiPolygon(part)
    case "MultiPolygon":
      guard let parts = object["coordinates"] as? [[[[Double]]]] else { return nil }
      return MultiPolygon(parts.compactMap(polygon))
    default: return nil
    }
  }
}

/// Any JSON value, decoded keeping integers apart from reals, and rendered back as JSON text.
public enum JSONAny: Decodable, Sendable, Hashable {
  case null
  case bool(Bool)
  case integer(Int64)
  case real(Double)
  case string(String)
  case array([JSONAny])
  case object([String: JSONAny])

  public init(from decoder: Decoder) throws {
    let container = try decoder.singleValueContainer()
    if container.decodeNil() {
      self = .null
    } else if let value = try? container.decode(Bool.self) {
      self = .bool(value)
    } else if let value = try? container.decode(Int64.self) {
      self = .integer(value)
    } else if let value = try? container.decode(Double.self) {
      self = .real(value)
    } else if let value = try? container.decode(String.self) {
      self = .string(value)
    } else if let value = try? container.decode([JSONAny].self) {
      self = .array(value)
    } else {
      self = .object(try container.decode([String: JSONAny].self))
    }
  }

  public var stringValue: String? {
    if case .string(let text) = self { return text }
    return nil
  }

  public var jsonText: String {
    switch self {
    case .null: return "null"
    case .bool(let value): return value ? "true" : "false"
    case .integer(let value): return String(value)
    case .real(let value): return value.isFinite ? "\(value)" : "null"
    case .string(let value):
      let data = (try? JSONEncoder().encode(value)) ?? Data("\"\"".utf8)
      return String(decoding: data, as: UTF8.self)
    case .array(let values): return "[" + values.map(\.jsonText).joined(separator: ",") + "]"
    case .object(let members):
      return "{"
        + members.keys.sorted().map { key in
          JSONAny.string(key).jsonText + ":" + members[key]!.jsonText
        }.joined(separator: ",") + "}"
    }
  }
}
