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
