import Foundation
import SwathGDAL
import SwathGeometry

/// Generates the sample town: its layout and ground truth, its pixels, and the files.
public enum SceneGenerator {
  /// Plans the town and returns its ground truth; no pixels are rendered.
  public static func generate(_ options: SceneOptions) throws -> SceneTruth {
    try options.validate()
    let footprint = collar(options)
    var planner = TownPlanner(options: options)
    var layout = planner.plan(footprint: footprint)

    // Keep only objects wholly inside the valid area: a building cut by the collar has no
    // true outline an annotator could draw.
    let keptBuildings = layout.buildings.filter { plan in
      plan.rings[0].allSatisfy { insideConvex($0, footprint, margin: 0.5) }
    }
    let keptVehicles = layout.vehicles.filter { plan in
      plan.box.ring.allSatisfy { insideConvex($0, footprint, margin: 0.5) }
    }
    layout.buildings = keptBuildings
    layout.vehicles = keptVehicles

    func utm(_ point: Point) -> Point {
      // Millimetre coordinates: the rendering reads the same numbers back.
      Point(
        ((options.originX + point.x) * 1000).rounded() / 1000,
        ((options.originY - point.y) * 1000).rounded() / 1000)
    }
    let canopies = layout.trees.map { tree in
      TreeCanopy(
        center: Point(options.originX + tree.center.x, options.originY - tree.center.y), radius: tree.radius)
    }
    var objects: [SceneObject] = []
    for (index, plan) in keptBuildings.enumerated() {
      let shell = oriented(plan.rings[0].map(utm), counterClockwise: true)
      let holes = plan.rings.dropFirst().map { oriented($0.map(utm), counterClockwise: false) }
      let roof: String
      switch plan.roof {
      case .gable: roof = "gable"
      case .hip: roof = "hip"
      case .flat: roof = "flat"
      }
      objects.append(
        SceneObject(
          id: String(format: "b%04d", index + 1), label: "building", shape: .polygon, kind: plan.kind,
          polygon: Polygon(shell: shell, holes: Array(holes)), color: plan.color, height: plan.height,
          roof: roof))
    }
    for (index, plan) in keptVehicles.enumerated() {
      let low = utm(Point(plan.box.x0, plan.box.y1))
      let high = utm(Point(plan.box.x1, plan.box.y0))
      let box = BoundingBox(minX: low.x, minY: low.y, maxX: high.x, maxY: high.y)
      objects.append(
        SceneObject(
          id: String(format: "v%04d", index + 1), label: "vehicle", shape: .bbox, kind: plan.kind,
          polygon: box.polygon, color: plan.color, height: plan.height))
    }
    for index in objects.indices {
      objects[index].occluded =
        SceneTruth.canopyCover(of: objects[index].polygon, canopies: canopies)
        >= SceneTruth.occlusionThreshold
    }
    let footprintUTM = Polygon(shell: oriented(footprint.map(utm), counterClockwise: true))
    return SceneTruth(
      options: options, objects: objects, footprint: footprintUTM, canopies: canopies, layout: layout)
  }

  /// The valid area: a slightly rotated strip, as where an orthophoto mosaic ends, clipped to
  /// the image. Drawn from its own stream so the town does not depend on it.
  static func collar(_ options: SceneOptions) -> [Point] {
    var rng = SeededRandom(seed: options.seed &* 0x2545_F491_4F6C_DD1D ^ 0xC011_A4)
    let extent = options.extent
    let angle = (rng.chance(0.5) ? 1.0 : -1.0) * rng.uniform(4...7) * .pi / 180
    let halfWidth = extent * rng.uniform(0.45...0.475)
    let halfHeight = extent * rng.uniform(0.47...0.5)
    let center = Point(extent * rng.uniform(0.49...0.51), extent * rng.uniform(0.49...0.51))
    let c = cos(angle)
    let s = sin(angle)
    let corners = [
      Point(-halfWidth, -halfHeight), Point(halfWidth, -halfHeight), Point(halfWidth, halfHeight),
      Point(-halfWidth, halfHeight),
    ].map { Point(center.x + $0.x * c - $0.y * s, center.y + $0.x * s + $0.y * c) }
    return clip(corners, to: Box(x0: 0, y0: 0, x1: extent, y1: extent))
  }
}

/// Sutherland–Hodgman clipping of a convex polygon to a box.
func clip(_ polygon: [Point], to box: Box) -> [Point] {
  var points = polygon
  let planes: [(Point) -> Double] = [
    { $0.x - box.x0 }, { box.x1 - $0.x }, { $0.y - box.y0 }, { box.y1 - $0.y },
  ]
  for plane in planes {
    guard !points.isEmpty else { break }
    var output: [Point] = []
    for index in points.indices {
      let current = points[index]
      let next = points[(index + 1) % points.count]
      let a = plane(current)
      let b = plane(next)
      if a >= 0 { output.append(current) }
      if (a >= 0) != (b >= 0) {
        let t = a / (a - b)
        output.append(Point(current.x + (next.x - current.x) * t, current.y + (next.y - current.y) * t))
      }
    }
    points = output
  }
  return points
}

/// True when `point` lies inside the convex polygon, at least `margin` from every edge.
func insideConvex(_ point: Point, _ polygon: [Point], margin: Double) -> Bool {
  let sign: Double = signedArea(polygon) > 0 ? 1 : -1
  for index in polygon.indices {
    let a = polygon[index]
    let b = polygon[(index + 1) % polygon.count]
    let length = hypot(b.x - a.x, b.y - a.y)
    guard length > 0 else { continue }
    let cross = ((b.x - a.x) * (point.y - a.y) - (b.y - a.y) * (point.x - a.x)) * sign / length
    if cross < margin { return false }
  }
  return true
}
