import Foundation
import SwathGeometry

// Residential blocks: rows of lots along the street, each a house with its lawn, driveway,
// terrace, shed, pool, hedges and trees.

extension TownPlanner {
  mutating func planResidential(_ block: Box) {
    let horizontal = block.width >= block.height
    let length = horizontal ? block.width : block.height
    let depth = horizontal ? block.height : block.width
    guard length > 20 else { return planPark(block) }
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
    if depth < 34 {
      planStreetSide(sides[rng.int(0...1)], length: length, depth: depth)
    } else {
      // Lots of at most 38 m; what is left between the rows is a strip of old orchard.
      let lotDepth = min(depth / 2, rng.uniform(30...38))
      for side in sides { planStreetSide(side, length: length, depth: lotDepth) }
      let middle = sides[0].box(u0: 0, u1: length, w0: lotDepth, w1: depth - lotDepth)
      if middle.width > 4, middle.height > 4 {
        surfaces.append(Surface(rings: [middle.ring], material: .grass(tint: rng.uniform(-0.8...0.3))))
        treeRegions.append((middle.inset(1), Int(middle.width * middle.height / 140), 2.2...4.2))
      }
    }
  }
  mutating func planStreetSide(_ frame: Frame, length: Double, depth: Double) {
    var u = rng.uniform(0...2)
    while length - u > 11 {
      var lotWidth = rng.uniform(15...23)
      if length - u - lotWidth < 11 { lotWidth = length - u }
      planLot(frame, u0: u, u1: u + lotWidth, depth: depth, lastInRow: u + lotWidth >= length - 0.01)
      u += lotWidth
    }
  }

  /// A house on its lot: lawn, driveway (often with a car), terrace, shed, pool, hedges, trees.
  mutating func planLot(_ frame: Frame, u0: Double, u1: Double, depth: Double, lastInRow: Bool) {
    let lotWidth = u1 - u0
    surfaces.append(
      Surface(
        rings: [frame.box(u0: u0, u1: u1, w0: 0, w1: depth).ring],
        material: .grass(tint: rng.uniform(-0.7...0.9))))
    let setback = rng.uniform(3.5...7)
    let driveWidth = 3.0
    let driveLeft = rng.chance(0.5)
    let houseWidth = min(rng.uniform(8...13.5), lotWidth - driveWidth - 4)
    let houseDepth = min(rng.uniform(8...12), depth - setback - 3)
    guard houseWidth >= 6, houseDepth >= 6 else {
      treeRegions.append((frame.box(u0: u0 + 1, u1: u1 - 1, w0: 2, w1: depth - 1), 2, 2.0...4.0))
      return
    }
    let driveU0 = driveLeft ? u0 + 1.2 : u1 - 1.2 - driveWidth
    // The house keeps 1.4 m from the driveway and from the lot's other side.
    let roomU0 = driveLeft ? driveU0 + driveWidth + 1.4 : u0 + 1.4
    let roomU1 = driveLeft ? u1 - 1.4 : driveU0 - 1.4
    let slack = max(0, roomU1 - roomU0 - houseWidth)
    let houseU = roomU0 + rng.uniform(0...slack) + houseWidth / 2
    let houseW = setback + houseDepth / 2
    let lShaped = houseWidth > 9 && houseDepth > 8 && rng.chance(0.28)
    var angle = rng.chance(0.3) ? rng.uniform(-9...9) * .pi / 180 : 0
    var ring: [Point] = []
    let mirrored = rng.chance(0.5)
    for _ in 0..<2 {
      ring = houseOutline(
        frame: frame, u: houseU, w: houseW, width: houseWidth, depth: houseDepth, angle: angle,
        lShaped: lShaped,
        mirrored: mirrored)
      let lot = frame.box(u0: roomU0 - 0.4, u1: roomU1 + 0.4, w0: setback - 1.5, w1: depth - 1.5)
      if ring.allSatisfy({ $0.x > lot.x0 && $0.x < lot.x1 && $0.y > lot.y0 && $0.y < lot.y1 }) { break }
      angle = 0
    }
    let roof: RoofStyle
    let color: RGB
    if lShaped || rng.chance(0.35) {
      roof = .hip
    } else {
      let longAlongU = houseWidth >= houseDepth
      let axisU = longAlongU ? Point(cos(angle), sin(angle)) : Point(-sin(angle), cos(angle))
      let axis = Point(
        axisU.x * frame.along.x + axisU.y * frame.away.x, axisU.x * frame.along.y + axisU.y * frame.away.y)
      roof = .gable(axis: axis)
    }
    color = rng.chance(0.68) ? jitter(pick(Palette.tiledRoofs), 8) : jitter(pick(Palette.darkRoofs), 6)
    var house = BuildingPlan(
      rings: [ring], roof: roof, color: color, height: rng.uniform(5.5...9), kind: "house")
    if rng.chance(0.5) {
      // A chimney near the middle of the roof, wholly on it.
      let spot = frame.map(houseU + rng.uniform(-1.5...1.5), houseW + rng.uniform(-1...1))
      let chimney = Box(x0: spot.x - 0.35, y0: spot.y - 0.35, x1: spot.x + 0.35, y1: spot.y + 0.35)
      if chimney.inset(-0.3).ring.allSatisfy({ contains([ring], $0) }) { house.details = [chimney] }
    }
    addBuilding(house)

    // Driveway from the sidewalk along the house, and often a car on it.
    let driveEnd = setback + houseDepth * rng.uniform(0.4...0.9)
    let paving = jitter(pick(Palette.pavings), 6)
    surfaces.append(
      Surface(
        rings: [frame.box(u0: driveU0, u1: driveU0 + driveWidth, w0: 0, w1: driveEnd).ring],
        material: rng.chance(0.2) ? .gravel : .paving(paving)))
    if rng.chance(0.55) {
      let length = rng.uniform(4.2...4.9)
      let width = rng.uniform(1.74...1.9)
      let start = rng.uniform(0.6...1.6)
      let center = driveU0 + driveWidth / 2 + rng.uniform(-0.2...0.2)
      if start + length < driveEnd - 0.3 {
        addVehicle(
          frame.box(u0: center - width / 2, u1: center + width / 2, w0: start, w1: start + length),
          alongX: !frame.alongX, frontPositive: rng.chance(0.5), kind: "car")
      }
    }
    // A footpath to the front door.
    if rng.chance(0.5) {
      let door = houseU + rng.uniform(-1.5...1.5)
      surfaces.append(
        Surface(
          rings: [frame.box(u0: door - 0.6, u1: door + 0.6, w0: 0, w1: setback).ring],
          material: .paving(paving)))
    }
    let back0 = setback + houseDepth + 0.8
    let backDepth = depth - back0 - 0.8
    if backDepth > 3, rng.chance(0.5) {
      // Terrace behind the house.
      let terraceDepth = min(3.2, backDepth - 0.5)
      let center = houseU + rng.uniform(-1...1)
      let half = min(houseWidth / 2 - 0.5, rng.uniform(2...4))
      surfaces.append(
        Surface(
          rings: [
            frame.box(u0: center - half, u1: center + half, w0: back0 - 0.6, w1: back0 - 0.6 + terraceDepth)
              .ring
          ],
          material: .paving(jitter(pick(Palette.pavings), 8))))
    }
    if backDepth > 11, lotWidth > 14, rng.chance(0.12) {
      let poolW = rng.uniform(3.5...4.5)
      let poolL = rng.uniform(6...9)
      let center = rng.uniform((u0 + 1.5 + poolL / 2)...(u1 - 1.5 - poolL / 2))
      let w0 = back0 + 3.5
      let outer = frame.box(
        u0: center - poolL / 2 - 0.8, u1: center + poolL / 2 + 0.8, w0: w0 - 0.8, w1: w0 + poolW + 0.8)
      if !obstacles.hits(outer, margin: 0.5) {
        surfaces.append(Surface(rings: [outer.ring], material: .paving(RGB(196, 192, 182))))
        surfaces.append(
          Surface(
            rings: [frame.box(u0: center - poolL / 2, u1: center + poolL / 2, w0: w0, w1: w0 + poolW).ring],
            material: .pool))
        obstacles.insert(outer)
      }
    }
    if backDepth > 6, rng.chance(0.35) {
      let shedW = rng.uniform(2.4...4)
      let shedD = rng.uniform(2.2...3.4)
      let atLeft = rng.chance(0.5)
      let u = atLeft ? u0 + 1.2 + shedW / 2 : u1 - 1.2 - shedW / 2
      let w = depth - 1.2 - shedD / 2
      let box = frame.box(u0: u - shedW / 2, u1: u + shedW / 2, w0: w - shedD / 2, w1: w + shedD / 2)
      if !obstacles.hits(box, margin: 1.2) {
        let flat = rng.chance(0.5)
        let axis = (shedW >= shedD) == frame.alongX ? Point(1, 0) : Point(0, 1)
        addBuilding(
          BuildingPlan(
            rings: [box.ring], roof: flat ? .flat : .gable(axis: axis),
            color: jitter(pick(Palette.shedRoofs), 8),
            height: rng.uniform(2.3...3.2), kind: "shed"))
      }
    }
    if backDepth > 3 {
      treeRegions.append(
        (frame.box(u0: u0 + 1, u1: u1 - 1, w0: back0, w1: depth - 0.5), rng.int(0...3), 2.0...4.2))
    }
    if setback > 5, rng.chance(0.25) {
      treeRegions.append((frame.box(u0: u0 + 1, u1: u1 - 1, w0: 1.5, w1: setback - 1), 1, 1.6...2.8))
    }
    // Hedges along the side boundary and sometimes the back.
    if !lastInRow, rng.chance(0.4) {
      surfaces.append(
        Surface(rings: [frame.box(u0: u1 - 0.4, u1: u1 + 0.4, w0: setback, w1: depth).ring], material: .hedge)
      )
    }
    if rng.chance(0.25) {
      surfaces.append(
        Surface(rings: [frame.box(u0: u0, u1: u1, w0: depth - 0.8, w1: depth).ring], material: .hedge))
    }
  }

  func houseOutline(
    frame: Frame, u: Double, w: Double, width: Double, depth: Double, angle: Double, lShaped: Bool,
    mirrored: Bool
  ) -> [Point] {
    let hw = width / 2
    let hd = depth / 2
    var local: [Point] = [Point(-hw, -hd), Point(hw, -hd), Point(hw, hd), Point(-hw, hd)]
    if lShaped {
      // Cut a back corner away: the remaining wing keeps at least 4.5 m.
      let cutW = max(3, width * 0.42)
      let cutD = max(2.5, depth * 0.4)
      local = [
        Point(-hw, -hd), Point(hw, -hd), Point(hw, hd - cutD), Point(hw - cutW, hd - cutD),
        Point(hw - cutW, hd),
        Point(-hw, hd),
      ]
      if mirrored { local = local.map { Point(-$0.x, $0.y) }.reversed() }
    }
    let c = cos(angle)
    let s = sin(angle)
    return local.map { point in
      frame.map(u + point.x * c - point.y * s, w + point.x * s + point.y * c)
    }
  }
}
