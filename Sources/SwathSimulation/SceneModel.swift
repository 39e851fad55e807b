import Foundation
import SwathGDAL
import SwathGeometry

/// What to generate: the same options give the same scene, byte for byte, on every machine.
public struct SceneOptions: Sendable, Hashable {
  public var seed: UInt64
  /// Width and height in pixels (the scene is square).
  public var size: Int
  /// Ground sample distance in metres per pixel.
  public var gsd: Double
  /// The scene CRS: WGS 84 / UTM zone 33N.
  public var epsg: Int
  /// UTM coordinates of the top-left corner: the Salzach valley at Hallein, south of Salzburg.
  public var originX: Double
  public var originY: Double

  public static let sizeRange = 128...8192
  public static let gsdRange = 0.05...2.0

  public init(
    seed: UInt64 = 1, size: Int = 2048, gsd: Double = 0.3, epsg: Int = 32633,
    originX: Double = 356_400, originY: Double = 5_282_800
  ) {
    self.seed = seed
    self.size = size
    self.gsd = gsd
    self.epsg = epsg
    self.originX = originX
    self.originY = originY
  }

  /// Throws one line naming the option that is out of range.
  public func validate() throws {
    guard Self.sizeRange.contains(size) else {
      throw SceneError(
        "the size must be between \(Self.sizeRange.lowerBound) and \(Self.sizeRange.upperBound) pixels (got \(size))",
        setting: .size)
    }
    guard gsd.isFinite, Self.gsdRange.contains(gsd) else {
      throw SceneError(
        "the ground sample distance must be between \(Self.gsdRange.lowerBound) and \(Self.gsdRange.upperBound) metres (got \(gsd))",
        setting: .gsd)
    }
  }

  /// Side of the scene in metres.
  public var extent: Double { Double(size) * gsd }

  public var geoTransform: GeoTransform { GeoTransform([originX, gsd, 0, originY, 0, -gsd]) }
}

/// A scene generation or writing failure, as one line.
public struct SceneError: Error, CustomStringConvertible, Sendable {
  /// The scene option a message is about, so a front end can name it its own way.
  public enum Setting: String, Sendable, CaseIterable {
    case size
    case gsd
  }

  public let message: String
  public let setting: Setting?
  public init(_ message: String, setting: Setting? = nil) {
    self.message = message
    self.setting = setting
  }
  public var description: String { message }
}

/// An 8-bit colour.
public struct RGB: Hashable, Sendable {
  public var r: UInt8
  public var g: UInt8
  public var b: UInt8
  public init(_ r: UInt8, _ g: UInt8, _ b: UInt8) {
    self.r = r
    self.g = g
    self.b = b
  }
}

/// One object of the ground truth, in the scene CRS.
public struct SceneObject: Hashable, Sendable {
  /// Stable within a seed/size/gsd: `b0001…` for buildings, `v0001…` for vehicles.
  public var id: String
  /// `building` or `vehicle`.
  public var label: String
  /// Buildings are drawn as polygons, vehicles as axis-aligned boxes.
  public var shape: ShapeKind
  /// house, shed, commercial, courtyard; car, van, truck.
  public var kind: String
  /// Scene CRS (UTM metres): counter-clockwise shell, clockwise holes, closed rings.
  public var polygon: Polygon
  /// Roof or body colour before shading.
  public var color: RGB
  /// Height above ground in metres (drives the shadow).
  public var height: Double
  /// Buildings: how the roof is drawn (`gable`: two planes and a ridge, `hip`: a plane falling
  /// to every eave, `flat`: even membrane with seams); nil for vehicles.
  public var roof: String?
  /// True when tree canopies drawn over the object hide at least
  /// `SceneTruth.occlusionThreshold` of its area (see `SceneTruth.canopyCover`).
  public var occluded: Bool = false

  /// The attributes of the scene's label schema (`SceneTruth.labelSchema`), in schema order:
  /// `roof` and `occluded` for buildings, `type` (the kind: car, van, truck) and `occluded` for
  /// vehicles.
  public var attributes: [(name: String, value: JSONValue)] {
    if label == "building" {
      return [("roof", .string(roof ?? "flat")), ("occluded", .bool(occluded))]
    }
    return [("type", .string(kind)), ("occluded", .bool(occluded))]
  }

  public var envelope: BoundingBox {
    var box = BoundingBox(
      minX: polygon.shell[0].x, minY: polygon.shell[0].y, maxX: polygon.shell[0].x, maxY: polygon.shell[0].y)
    for point in polygon.shell { box.include(point) }
    return box
  }
}

/// A tree's crown as the truth sees it: a disc in the scene CRS (the drawn crown is lumpy, about
/// this size).
public struct TreeCanopy: Hashable, Sendable {
  public var center: Point
  public var radius: Double
}

/// The layout of a generated town and its ground truth.
public struct SceneTruth: Sendable {
  public let options: SceneOptions
  /// Buildings first, then vehicles, in id order.
  public let objects: [SceneObject]
  /// The valid (non-nodata) area in the scene CRS, clipped to the image: a rotated strip
  /// like the footprint of a real orthophoto.
  public let footprint: Polygon
  /// Every tree's crown, in the scene CRS; the renderer draws them over roofs and vehicles.
  public let canopies: [TreeCanopy]
  /// Everything drawn that is not ground truth (roads, trees, gardens), in local metres.
  let layout: TownLayout

  /// An object is `occluded` when canopies cover at least this share of its area.
  public static let occlusionThreshold = 0.1

  /// The label schema of the truth: what `swath scene` writes as `labels.json`. No minimum
  /// areas: the task default applies, as for a task given names only.
  public static let labelSchema = LabelSchema(labels: [
    LabelDefinition(
      name: "building", displayName: "Building", color: "#d0453a", shapes: [.polygon],
      attributes: [
        AttributeDefinition(name: "roof", type: .enum, values: ["gable", "hip", "flat"], required: true),
        AttributeDefinition(name: "occluded", type: .boolean, defaultValue: .bool(false)),
      ]),
    LabelDefinition(
      name: "vehicle", displayName: "Vehicle", color: "#2f7fd6", shapes: [.bbox],
      attributes: [
        AttributeDefinition(name: "type", type: .enum, values: ["car", "van", "truck"], required: true),
        AttributeDefinition(name: "occluded", type: .boolean, defaultValue: .bool(false)),
      ]),
  ])

  /// The share of `polygon` (scene CRS) under the canopies, sampled on a 0.2 m grid.
  public static func canopyCover(of polygon: Polygon, canopies: [TreeCanopy]) -> Double {
    var box = BoundingBox(
      minX: polygon.shell[0].x, minY: polygon.shell[0].y, maxX: polygon.shell[0].x, maxY: polygon.shell[0].y)
    for point in polygon.shell { box.include(point) }
    let near = canopies.filter { canopy in
      canopy.center.x + canopy.radius > box.minX && canopy.center.x - canopy.radius < box.maxX
        && canopy.center.y + canopy.radius > box.minY && canopy.center.y - canopy.radius < box.maxY
    }
    guard !near.isEmpty else { return 0 }
    let step = 0.2
    var inside = 0
    var covered = 0
    var y = box.minY + step / 2
    while y < box.maxY {
      var x = box.minX + step / 2
      while x < box.maxX {
        if evenOdd(polygon.rings, Point(x, y)) {
          inside += 1
          if near.contains(where: { hypot(x - $0.center.x, y - $0.center.y) < $0.radius }) { covered += 1 }
        }
        x += step
      }
      y += step
    }
    return inside > 0 ? Double(covered) / Double(inside) : 0
  }

  public var width: Int { options.size }
  public var height: Int { options.size }
  public var epsg: Int { options.epsg }
  public var geoTransform: GeoTransform { options.geoTransform }
  public var buildings: [SceneObject] { objects.filter { $0.label == "building" } }
  public var vehicles: [SceneObject] { objects.filter { $0.label == "vehicle" } }

  /// The objects as annotator-style features in the scene CRS, with their attributes as
  /// properties.
  public func labelFeatures() -> [LabelFeature] {
    objects.map { object in
      LabelFeature(
        id: object.id, label: object.label, shape: object.shape, geometry: MultiPolygon(object.polygon),
        properties: Dictionary(uniqueKeysWithValues: object.attributes.map { ($0.name, $0.value) }))
    }
  }

  /// The objects reprojected to WGS84 longitude/latitude, orientation kept (RFC 7946).
  public func wgs84Features() throws -> [LabelFeature] {
    let transform = try CoordinateTransform(
      from: SpatialReference(epsg: options.epsg), to: SpatialReference.wgs84())
    return try labelFeatures().map { feature in
      var reprojected = feature
      reprojected.geometry = MultiPolygon(
        try feature.geometry.polygons.map { polygon in
          Polygon(
            shell: try oriented(reproject(polygon.shell, transform), counterClockwise: true),
            holes: try polygon.holes.map { try oriented(reproject($0, transform), counterClockwise: false) })
        })
      return reprojected
    }
  }
}

/// Even–odd point in polygon over every ring.
func evenOdd(_ rings: [Ring], _ point: Point) -> Bool {
  var inside = false
  for ring in rings {
    for (a, b) in zip(ring, ring.dropFirst()) where (a.y > point.y) != (b.y > point.y) {
      if point.x < a.x + (point.y - a.y) / (b.y - a.y) * (b.x - a.x) { inside.toggle() }
    }
  }
  return inside
}

func reproject(_ ring: Ring, _ transform: CoordinateTransform) throws -> Ring {
  var xs = ring.map(\.x)
  var ys = ring.map(\.y)
  try transform.transform(xs: &xs, ys: &ys)
  return zip(xs, ys).map { Point($0, $1) }
}

/// Twice the signed area: positive when counter-clockwise with y up (`Topology.ringSignedArea`;
/// its callers here only look at the sign).
func signedArea(_ ring: [Point]) -> Double {
  2 * Topology.ringSignedArea(ring)
}

/// The ring closed and turning the requested way (with y up).
func oriented(_ ring: [Point], counterClockwise: Bool) -> Ring {
  var open = ring
  if open.count > 1, open.first == open.last { open.removeLast() }
  if (signedArea(open) > 0) != counterClockwise { open.reverse() }
  if let first = open.first { open.append(first) }
  return open
}
