import Foundation
import SwathGeometry

// Blocks of flats along both long sides of a block, with parking between them.

extension TownPlanner {
  /// Blocks of flats along both long sides, with parking between them.
  mutating func planApartments(_ block: Box) {
    let horizontal = block.width >= block.height
    let length = horizontal ? block.width : block.height
    let depth = horizontal ? block.height : block.width
    guard length > 40, depth > 34 else { return planResidential(block) }
    surfaces.append(Surface(rings: [block.ring], material: .grass(tint: rng.uniform(-0.3...0.9))))
    let sides: [Frame] =
      horizontal
      ? [
        Frame(origin: Point(block.x0, block.y0), along: Point(1, 0), away: Point(0, 1)),
        Frame(origin: Point(block.x0, block.y1), along: Point(1, 0), away: Point(0, -1)),
      ]
      : [
        Frame(origin: Point(block.x0, block.y0), along: Point(0, 1), away: Point(1, 0)),
        Frame(origin: Point(block.x1, block.y0), along: Point(0, 1), away: Point(-1, 0)),
      ]
    let half = depth / 2
    for frame in sides {
      var u = rng.uniform(2...6)
      let setback = rng.uniform(5...8)
      let houseDepth = min(rng.uniform(11...14), half - setback - 4)
      guard houseDepth > 8 else { continue }
      let pitched = rng.chance(0.7)
      let color =
        pitched
        ? (rng.chance(0.6) ? jitter(pick(Palette.tiledRoofs), 8) : jitter(pick(Palette.darkRoofs), 6))
        : jitter(pick(Palette.flatRoofs), 6)
      while length - u > 20 {
        let houseLength = min(rng.uniform(18...32), length - u - 2)
        let box = frame.box(u0: u, u1: u + houseLength, w0: setback, w1: setback + houseDepth)
        let axis = frame.alongX ? Point(1, 0) : Point(0, 1)
        var plan = BuildingPlan(
          rings: [box.ring], roof: pitched ? .gable(axis: axis) : .flat, color: color,
          height: rng.uniform(10...15), kind: "apartments")
        if !pitched { plan.details = rooftopUnits(box, avoiding: nil) }
        addBuilding(plan)
        // A footpath to the entrance.
        let door = u + houseLength / 2
        surfaces.append(
          Surface(
            rings: [frame.box(u0: door - 0.8, u1: door + 0.8, w0: 0, w1: setback).ring],
            material: .paving(Palette.pavings[0])))
        u += houseLength
        let gap = rng.uniform(9...18)
        if gap > 13, length - u > gap {
          planParking(frame.box(u0: u + 0.5, u1: u + gap - 0.5, w0: 0.3, w1: half - 1))
        } else {
          treeRegions.append((frame.box(u0: u + 1, u1: u + gap - 1, w0: 1, w1: half - 1), 2, 2.0...4.0))
        }
        u += gap
      }
      treeRegions.append(
        (
          frame.box(u0: 1, u1: length - 1, w0: setback + houseDepth + 2, w1: half - 1), Int(length / 12),
          2.2...4.5
        ))
    }
  }
}
