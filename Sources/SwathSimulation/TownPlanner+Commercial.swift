import Foundation
import SwathGeometry

// Commercial blocks: big buildings (courtyard blocks, L-shaped halls, plain boxes) on paved
// forecourts, rooftop units on flat roofs, and a car park.

extension TownPlanner {
  mutating func planCommercial(_ block: Box) {
    let inner = block.inset(2.5)
    guard inner.width > 20, inner.height > 20 else { return planResidential(block) }
    surfaces.append(Surface(rings: [block.ring], material: .grass(tint: rng.uniform(-0.9...0.2))))
    let horizontal = inner.width >= inner.height
    let share = rng.uniform(0.5...0.68)
    let buildingFirst = rng.chance(0.5)
    var buildingPart = inner
    var parkingPart = inner
    if horizontal {
      let split = buildingFirst ? inner.x0 + inner.width * share : inner.x1 - inner.width * share
      if buildingFirst {
        buildingPart.x1 = split - 1.5
        parkingPart.x0 = split + 1.5
      } else {
        parkingPart.x1 = split - 1.5
        buildingPart.x0 = split + 1.5
      }
    } else {
      let split = buildingFirst ? inner.y0 + inner.height * share : inner.y1 - inner.height * share
      if buildingFirst {
        buildingPart.y1 = split - 1.5
        parkingPart.y0 = split + 1.5
      } else {
        parkingPart.y1 = split - 1.5
        buildingPart.y0 = split + 1.5
      }
    }
    // Long blocks get two buildings side by side.
    var parts = [buildingPart]
    let longSide = max(buildingPart.width, buildingPart.height)
    if longSide > 85 {
      let half = longSide / 2
      if buildingPart.width >= buildingPart.height {
        parts = [
          Box(x0: buildingPart.x0, y0: buildingPart.y0, x1: buildingPart.x0 + half - 4, y1: buildingPart.y1),
          Box(x0: buildingPart.x0 + half + 4, y0: buildingPart.y0, x1: buildingPart.x1, y1: buildingPart.y1),
        ]
      } else {
        parts = [
          Box(x0: buildingPart.x0, y0: buildingPart.y0, x1: buildingPart.x1, y1: buildingPart.y0 + half - 4),
          Box(x0: buildingPart.x0, y0: buildingPart.y0 + half + 4, x1: buildingPart.x1, y1: buildingPart.y1),
        ]
      }
    }
    for part in parts { planBigBuilding(in: part) }
    if parkingPart.width > 12, parkingPart.height > 12 {
      planParking(parkingPart)
    } else {
      treeRegions.append((parkingPart, Int(parkingPart.width * parkingPart.height / 120), 2.0...4.0))
    }
  }

  mutating func planBigBuilding(in part: Box) {
    guard part.width > 10, part.height > 10 else { return }
    // Paved forecourt around the building.
    surfaces.append(Surface(rings: [part.ring], material: .paving(jitter(pick(Palette.pavings), 6))))
    let margin = rng.uniform(1.5...4)
    var outer = part.inset(margin)
    outer.x1 = min(outer.x1, outer.x0 + 70)
    outer.y1 = min(outer.y1, outer.y0 + 70)
    guard outer.width > 8, outer.height > 8 else { return }
    let roll = rng.unit()
    if outer.width >= 28, outer.height >= 28, roll < 0.4 {
      // Perimeter block with an inner courtyard (a hole in the truth polygon).
      let wing = rng.uniform(8...11)
      let hole = outer.inset(wing)
      let pitched = rng.chance(0.6)
      let color =
        pitched ? jitter(pick(Palette.tiledRoofs + [Palette.copper]), 8) : jitter(pick(Palette.flatRoofs), 6)
      var plan = BuildingPlan(
        rings: [outer.ring, hole.ring.reversed()], roof: pitched ? .hip : .flat, color: color,
        height: rng.uniform(10...16), kind: "courtyard")
      if !pitched { plan.details = rooftopUnits(outer, avoiding: hole) }
      addBuilding(plan)
      surfaces.append(
        Surface(
          rings: [hole.ring],
          material: rng.chance(0.5) ? .grass(tint: 0.6) : .paving(jitter(Palette.pavings[0], 8))))
      if rng.chance(0.6) { treeRegions.append((hole.inset(1), rng.int(1...2), 1.8...3.2)) }
    } else if outer.width >= 20, outer.height >= 20, roll < 0.7 {
      // L-shaped hall: cut one corner.
      let cutW = outer.width * rng.uniform(0.35...0.55)
      let cutH = outer.height * rng.uniform(0.35...0.55)
      let corner = rng.int(0...3)
      var ring = outer.ring
      let a = ring[corner]
      let previous = ring[(corner + 3) % 4]
      let next = ring[(corner + 1) % 4]
      func toward(_ from: Point, _ to: Point, _ distance: Double) -> Point {
        let length = hypot(to.x - from.x, to.y - from.y)
        return Point(
          from.x + (to.x - from.x) / length * distance, from.y + (to.y - from.y) / length * distance)
      }
      let horizontalNeighbour = previous.y == a.y ? previous : next
      let verticalNeighbour = previous.y == a.y ? next : previous
      let p1 = toward(a, horizontalNeighbour, cutW)
      let p2 = toward(a, verticalNeighbour, cutH)
      let inner = Point(p1.x, p2.y)
      let replacement = previous.y == a.y ? [p1, inner, p2] : [p2, inner, p1]
      ring.replaceSubrange(corner...corner, with: replacement)
      let color = jitter(pick(Palette.flatRoofs), 6)
      var plan = BuildingPlan(
        rings: [ring], roof: .flat, color: color, height: rng.uniform(6...12), kind: "commercial")
      plan.details = rooftopUnits(outer, avoiding: Box.around([a, inner]))
      addBuilding(plan)
    } else {
      let angle = rng.chance(0.25) ? rng.uniform(-6...6) * .pi / 180 : 0
      let center = outer.center
      let hw = outer.width / 2 - abs(sin(angle)) * outer.height / 2
      let hh = outer.height / 2 - abs(sin(angle)) * outer.width / 2
      guard hw > 4, hh > 4 else { return }
      let c = cos(angle)
      let s = sin(angle)
      let ring = [Point(-hw, -hh), Point(hw, -hh), Point(hw, hh), Point(-hw, hh)].map {
        Point(center.x + $0.x * c - $0.y * s, center.y + $0.x * s + $0.y * c)
      }
      let flat = rng.chance(0.7)
      var plan = BuildingPlan(
        rings: [ring], roof: flat ? .flat : .hip,
        color: flat
          ? jitter(pick(Palette.flatRoofs), 6) : jitter(pick(Palette.darkRoofs + Palette.tiledRoofs), 8),
        height: rng.uniform(7...14), kind: "commercial")
      if flat && angle == 0 { plan.details = rooftopUnits(outer.inset(outer.width / 2 - hw), avoiding: nil) }
      addBuilding(plan)
    }
  }

  /// Air-conditioning boxes at least 2 m inside the roof edges.
  mutating func rooftopUnits(_ roof: Box, avoiding hole: Box?) -> [Box] {
    var units: [Box] = []
    let area = roof.inset(2.5)
    guard area.width > 4, area.height > 4 else { return [] }
    for _ in 0..<rng.int(1...5) {
      let w = rng.uniform(1.4...3.2)
      let h = rng.uniform(1.4...3.2)
      let x = rng.uniform(area.x0...(area.x1 - w))
      let y = rng.uniform(area.y0...(area.y1 - h))
      let unit = Box(x0: x, y0: y, x1: x + w, y1: y + h)
      if let hole, unit.intersects(hole, margin: 2.5) { continue }
      if units.contains(where: { $0.intersects(unit, margin: 0.8) }) { continue }
      units.append(unit)
    }
    return units
  }
}
