import Foundation

/// How a polygonal geometry is written as GeoJSON.
public struct GeoJSONGeometryOptions: Sendable, Hashable {
  /// Decimal places the coordinates are rounded to; nil writes them exactly (shortest round trip).
  public var decimals: Int?
  /// Rings closed and turned to RFC 7946's right-hand rule (shells counter-clockwise, holes
  /// clockwise); false writes them as given.
  public var rightHandRule: Bool
  /// A MultiPolygon even with one part, so a layer has one geometry type; otherwise a one-part
  /// geometry is a Polygon.
  public var alwaysMultiPolygon: Bool

  public init(decimals: Int? = nil, rightHandRule: Bool = false, alwaysMultiPolygon: Bool = false) {
    self.decimals = decimals
    self.rightHandRule = rightHandRule
    self.alwaysMultiPolygon = alwaysMultiPolygon
  }

  /// Coordinates and rings exactly as held (stored geometries).
  public static let exact = GeoJSONGeometryOptions()
  /// What `GeoJSONWriter` writes: 8 decimal places, right-hand rule.
  public static let rfc7946 = GeoJSONGeometryOptions(decimals: 8, rightHandRule: true)
}

extension JSONWriter {
  /// A Polygon (one part) or MultiPolygon geometry object.
  public mutating func geometry(_ geometry: MultiPolygon, options: GeoJSONGeometryOptions = .exact) {
    beforeValue()
    appendGeometry(geometry, options: options)
  }

  mutating func appendGeometry(_ geometry: MultiPolygon, options: GeoJSONGeometryOptions) {
    // Once a geometry, not once a coordinate.
    let scale = options.decimals.map { pow(10, Double($0)) }
    if geometry.polygons.count == 1 && !options.alwaysMultiPolygon {
      self += "{\"type\":\"Polygon\",\"coordinates\":"
      appendPolygon(geometry.polygons[0], scale: scale, orient: options.rightHandRule)
    } else {
      self += "{\"type\":\"MultiPolygon\",\"coordinates\":["
      for (offset, polygon) in geometry.polygons.enumerated() {
        if offset > 0 { self += "," }
        appendPolygon(polygon, scale: scale, orient: options.rightHandRule)
      }
      self += "]"
    }
    self += "}"
  }

  private mutating func appendPolygon(_ polygon: Polygon, scale: Double?, orient: Bool) {
    self += "["
    appendRing(polygon.shell, counterClockwise: true, scale: scale, orient: orient)
    for hole in polygon.holes {
      self += ","
      appendRing(hole, counterClockwise: false, scale: scale, orient: orient)
    }
    self += "]"
  }

  private mutating func appendRing(_ ring: Ring, counterClockwise: Bool, scale: Double?, orient: Bool) {
    var points = ring
    if orient {
      if let first = points.first, first != points.last { points.append(first) }
      let area = Topology.ringSignedArea(points)
      if (area > 0) != counterClockwise && area != 0 { points.reverse() }
    }
    self += "["
    for (offset, point) in points.enumerated() {
      if offset > 0 { self += "," }
      self += "["
      if let scale {
        appendNumber(point.x, scale: scale)
        self += ","
        appendNumber(point.y, scale: scale)
      } else {
        appendNumber(point.x)
        self += ","
        appendNumber(point.y)
      }
      self += "]"
    }
    self += "]"
  }
}

/// Polygonal GeoJSON geometries to and from text.
public enum GeoJSONGeometry {
  /// A Polygon or MultiPolygon geometry object as compact JSON text.
  public static func text(_ geometry: MultiPolygon, options: GeoJSONGeometryOptions = .exact) -> String {
    var writer = JSONWriter()
    writer.geometry(geometry, options: options)
    return writer.text
  }

  /// A Polygon from its rings (the first is the shell) as compact JSON text, exactly as given.
  public static func polygonText(_ rings: [Ring]) -> String {
    text(MultiPolygon(Polygon(shell: rings.first ?? [], holes: Array(rings.dropFirst()))))
  }

  /// A stored Polygon or MultiPolygon geometry object; nil for other types or malformed
  /// coordinates (a Polygon without rings, a position with fewer than 2 numbers). Parts of a
  /// MultiPolygon without rings are left out. No validation beyond that: see `GeoJSONReader`.
  public static func multiPolygon(_ value: JSONValue) -> MultiPolygon? {
    guard let type = value["type"]?.stringValue, let coordinates = value["coordinates"]?.arrayValue
    else { return nil }
    switch type {
    case "Polygon":
      guard let rings = self.rings(coordinates), let shell = rings.first else { return nil }
      return MultiPolygon(Polygon(shell: shell, holes: Array(rings.dropFirst())))
    case "MultiPolygon":
      var polygons: [Polygon] = []
      for part in coordinates {
        guard let array = part.arrayValue, let rings = self.rings(array) else { return nil }
        if let shell = rings.first { polygons.append(Polygon(shell: shell, holes: Array(rings.dropFirst()))) }
      }
      return MultiPolygon(polygons)
    default:
      return nil
    }
  }

  /// Parses `text` (a stored geometry) and reads it as `multiPolygon(_:)` does.
  public static func multiPolygon(text: String) -> MultiPolygon? {
    guard let value = try? JSONValue(parsing: text) else { return nil }
    return multiPolygon(value)
  }

  private static func rings(_ values: [JSONValue]) -> [Ring]? {
    var rings: [Ring] = []
    rings.reserveCapacity(values.count)
    for value in values {
      guard let positions = value.arrayValue else { return nil }
      var ring: Ring = []
      ring.reserveCapacity(positions.count)
      for position in positions {
        guard let ordinates = position.arrayValue, ordinates.count >= 2, let x = ordinates[0].doubleValue,
          let y = ordinates[1].doubleValue
        else { return nil }
        ring.append(Point(x, y))
      }
      rings.append(ring)
    }
    return rings
  }
}
