import Foundation

/// A position: longitude/latitude in WGS84, or easting/northing in a working CRS.
public struct Point: Hashable, Sendable, Codable {
  public var x: Double
  public var y: Double
  public init(_ x: Double, _ y: Double) {
    self.x = x
    self.y = y
  }
}

/// A closed ring: the first position equals the last.
public typealias Ring = [Point]

/// A polygon: one outer shell and zero or more holes.
public struct Polygon: Hashable, Sendable {
  public var shell: Ring
  public var holes: [Ring]
  public init(shell: Ring, holes: [Ring] = []) {
    self.shell = shell
    self.holes = holes
  }
  public var rings: [Ring] { [shell] + holes }
}

/// A polygonal geometry: what an annotator can draw. A Polygon is a one-part MultiPolygon.
public struct MultiPolygon: Hashable, Sendable {
  public var polygons: [Polygon]
  public init(_ polygons: [Polygon]) { self.polygons = polygons }
  public init(_ polygon: Polygon) { self.polygons = [polygon] }
  public var isEmpty: Bool { polygons.isEmpty }

  public var allPoints: some Sequence<Point> {
    polygons.lazy.flatMap { $0.rings.lazy.flatMap { $0 } }
  }

  public var envelope: BoundingBox? {
    var box: BoundingBox?
    // Ring by ring rather than through `allPoints`, which builds an array of rings per polygon.
    func include(_ ring: Ring) {
      for point in ring {
        if box == nil {
          box = BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)
        } else {
          box!.include(point)
        }
      }
    }
    for polygon in polygons {
      include(polygon.shell)
      for hole in polygon.holes { include(hole) }
    }
    return box
  }

  /// Every position moved by `transform`, structure kept.
  public func mapPoints(_ transform: (Point) throws -> Point) rethrows -> MultiPolygon {
    MultiPolygon(
      try polygons.map { polygon in
        Polygon(
          shell: try polygon.shell.map(transform),
          holes: try polygon.holes.map { try $0.map(transform) })
      })
  }
}

/// An axis-aligned rectangle.
public struct BoundingBox: Hashable, Sendable, Codable {
  public var minX: Double
  public var minY: Double
  public var maxX: Double
  public var maxY: Double

  public init(minX: Double, minY: Double, maxX: Double, maxY: Double) {
    self.minX = minX
    self.minY = minY
    self.maxX = maxX
    self.maxY = maxY
  }

  public var width: Double { maxX - minX }
  public var height: Double { maxY - minY }
  public var area: Double { max(0, width) * max(0, height) }
  public var center: Point { Point((minX + maxX) / 2, (minY + maxY) / 2) }

  public mutating func include(_ point: Point) {
    minX = Swift.min(minX, point.x)
    minY = Swift.min(minY, point.y)
    maxX = Swift.max(maxX, point.x)
    maxY = Swift.max(maxY, point.y)
  }

  public func union(_ other: BoundingBox) -> BoundingBox {
    BoundingBox(
      minX: Swift.min(minX, other.minX), minY: Swift.min(minY, other.minY),
      maxX: Swift.max(maxX, other.maxX), maxY: Swift.max(maxY, other.maxY))
  }

  /// Closed intersection test: touching boxes intersect.
  public func intersects(_ other: BoundingBox) -> Bool {
    minX <= other.maxX && other.minX <= maxX && minY <= other.maxY && other.minY <= maxY
  }

  /// Exact closed-form IoU; 0 for disjoint or touching boxes.
  public func iou(_ other: BoundingBox) -> Double {
    let w = Swift.min(maxX, other.maxX) - Swift.max(minX, other.minX)
    let h = Swift.min(maxY, other.maxY) - Swift.max(minY, other.minY)
    guard w > 0, h > 0 else { return 0 }
    let intersection = w * h
    let union = area + other.area - intersection
    return union > 0 ? intersection / union : 0
  }

  /// The box as a counter-clockwise closed polygon.
  public var polygon: Polygon {
    Polygon(shell: [
      Point(minX, minY), Point(maxX, minY), Point(maxX, maxY), Point(minX, maxY), Point(minX, minY),
    ])
  }
}

/// How an annotator drew a shape.
public enum ShapeKind: String, Sendable, Codable, CaseIterable {
  case polygon
  case bbox
}

/// One annotator shape: geometry plus its label and the kind of tool that drew it.
public struct LabelFeature: Hashable, Sendable {
  /// The GeoJSON Feature `id` when present (string or number, as text).
  public var id: String?
  public var label: String?
  public var shape: ShapeKind
  public var geometry: MultiPolygon
  /// Every other property, as received.
  public var properties: [String: JSONValue]

  public init(
    id: String? = nil, label: String?, shape: ShapeKind, geometry: MultiPolygon,
    properties: [String: JSONValue] = [:]
  ) {
    self.id = id
    self.label = label
    self.shape = shape
    self.geometry = geometry
    self.properties = properties
  }
}
