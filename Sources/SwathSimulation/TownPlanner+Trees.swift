import Foundation
import SwathGeometry

// Trees: street trees along the sidewalks and trees scattered in the regions other parts of
// the town set aside; canopies may touch but their cores may not overlap.

extension TownPlanner {
  @discardableResult
  mutating func tryTree(at center: Point, radius: Double) -> Bool {
    let reach = radius * 1.15
    let bound = Box(x0: center.x - reach, y0: center.y - reach, x1: center.x + reach, y1: center.y + reach)
    guard !obstacles.hits(bound, margin: 0.3) else { return false }
    let core = radius * 0.55
    let coreBox = Box(x0: center.x - core, y0: center.y - core, x1: center.x + core, y1: center.y + core)
    guard !treeCores.hits(coreBox) else { return false }
    treeCores.insert(coreBox)
    let color = rng.chance(0.04) ? Palette.copperBeech : jitter(pick(Palette.trees), 6)
    trees.append(
      TreePlan(
        center: center, radius: radius, height: radius * rng.uniform(1.8...2.8), color: color,
        phase: rng.uniform(0...(2 * .pi))))
    return true
  }

  mutating func planStreetTrees() {
    for road in roads where road.main || rng.chance(0.35) {
      for side in [-1.0, 1.0] where rng.chance(0.8) {
        let zones = crossings(of: road, margin: 3)
        let spacing = rng.uniform(10...15)
        var position = road.from + rng.uniform(0...spacing)
        let offset = side * (road.width / 2 + road.sidewalk * 0.55)
        while position < road.to {
          if isClear((position - 4)...(position + 4), of: zones) {
            let center =
              road.vertical ? Point(road.center + offset, position) : Point(position, road.center + offset)
            tryTree(at: center, radius: rng.uniform(2.4...3.8))
          }
          position += spacing + rng.uniform(-1...1)
        }
      }
    }
  }

  mutating func planRegionTrees() {
    for region in treeRegions where region.count > 0 && region.box.width > 1 && region.box.height > 1 {
      var planted = 0
      for _ in 0..<(region.count * 3) where planted < region.count {
        let radius = rng.uniform(region.radius)
        let center = Point(
          rng.uniform(region.box.x0...region.box.x1), rng.uniform(region.box.y0...region.box.y1))
        if tryTree(at: center, radius: radius) { planted += 1 }
      }
    }
  }
}

extension TownPlanner {
  /// Share of the buildings and of the vehicles that get a tree whose canopy reaches over them.
  static let overhangChance = (building: 0.12, vehicle: 0.06)

  /// Trees beside some buildings and vehicles whose canopies reach over them (drawn above roofs
  /// and cars, so those objects are partly hidden: the truth's `occluded`). Planned after
  /// everything else, from a stream of their own: the objects and the other trees stay as they were.
  mutating func planOverhangingTrees() {
    let saved = rng
    rng = SeededRandom(seed: overhangSeed)
    defer { rng = saved }
    for building in buildings where rng.chance(Self.overhangChance.building) {
      let ring = building.rings[0]
      let edges = ring.count
      let index = rng.int(0...(edges - 1))
      let a = ring[index]
      let b = ring[(index + 1) % edges]
      let length = hypot(b.x - a.x, b.y - a.y)
      guard length > 1 else { continue }
      var normal = Point((b.y - a.y) / length, -(b.x - a.x) / length)
      let middle = Point((a.x + b.x) / 2, (a.y + b.y) / 2)
      if contains(building.rings, Point(middle.x + normal.x * 0.01, middle.y + normal.y * 0.01)) {
        normal = Point(-normal.x, -normal.y)
      }
      let radius = rng.uniform(2.6...4.2)
      let out = radius * rng.uniform(0.25...0.6)
      let slide = rng.uniform(-0.3...0.3) * length
      let center = Point(
        middle.x + normal.x * out + (b.x - a.x) / length * slide,
        middle.y + normal.y * out + (b.y - a.y) / length * slide)
      plantOverhanging(at: center, radius: radius)
    }
    for vehicle in vehicles where rng.chance(Self.overhangChance.vehicle) {
      let box = vehicle.box
      let radius = rng.uniform(2.4...3.6)
      let first = rng.chance(0.5) ? -1.0 : 1.0
      for side in [first, -first] {
        // Beside a long side, so the canopy reaches over part of the roof.
        let center =
          vehicle.alongX
          ? Point(box.center.x + rng.uniform(-1...1), box.center.y + side * (box.height / 2 + radius * 0.45))
          : Point(box.center.x + side * (box.width / 2 + radius * 0.45), box.center.y + rng.uniform(-1...1))
        if plantOverhanging(at: center, radius: radius) { break }
      }
    }
  }

  /// A tree whose trunk stands clear of every object, carriageway and other tree's core.
  @discardableResult
  mutating func plantOverhanging(at center: Point, radius: Double) -> Bool {
    let trunk = radius * 0.3
    let trunkBox = Box(
      x0: center.x - trunk, y0: center.y - trunk, x1: center.x + trunk, y1: center.y + trunk)
    guard center.x > 0, center.y > 0, center.x < extent, center.y < extent,
      !obstacles.hits(trunkBox, margin: 0.2),
      !roads.contains(where: { $0.rect(halfWidth: $0.width / 2).intersects(trunkBox) })
    else { return false }
    let core = radius * 0.55
    let coreBox = Box(x0: center.x - core, y0: center.y - core, x1: center.x + core, y1: center.y + core)
    guard !treeCores.hits(coreBox) else { return false }
    treeCores.insert(coreBox)
    let color = jitter(pick(Palette.trees), 6)
    trees.append(
      TreePlan(
        center: center, radius: radius, height: radius * rng.uniform(1.8...2.8), color: color,
        phase: rng.uniform(0...(2 * .pi))))
    return true
  }
}
