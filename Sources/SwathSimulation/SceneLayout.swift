import Foundation
import SwathGeometry

// The town is planned in local metres: x east and y south from the top-left corner of the
// image, so that pixel = metres / gsd. Only the ground truth is converted to UTM.

/// An axis-aligned rectangle in local metres.
struct Box: Sendable, Hashable {
  var x0: Double
  var y0: Double
  var x1: Double
  var y1: Double

  var width: Double { x1 - x0 }
  var height: Double { y1 - y0 }
  var center: Point { Point((x0 + x1) / 2, (y0 + y1) / 2) }
  var ring: [Point] { [Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1)] }

  func intersects(_ other: Box, margin: Double = 0) -> Bool {
    x0 - margin < other.x1 && other.x0 < x1 + margin && y0 - margin < other.y1 && other.y0 < y1 + margin
  }

  func inset(_ amount: Double) -> Box {
    Box(x0: x0 + amount, y0: y0 + amount, x1: x1 - amount, y1: y1 - amount)
  }

  static func around(_ points: [Point]) -> Box {
    var box = Box(x0: .infinity, y0: .infinity, x1: -.infinity, y1: -.infinity)
    for point in points {
      box.x0 = min(box.x0, point.x)
      box.y0 = min(box.y0, point.y)
      box.x1 = max(box.x1, point.x)
      box.y1 = max(box.y1, point.y)
    }
    return box
  }
}

/// What a ground surface is made of; the renderer gives each its texture.
enum Material: Sendable {
  /// Lawn or meadow: tint -1 is dry and yellowish, +1 lush.
  case grass(tint: Double)
  case soil(stripesAlongX: Bool)
  case asphalt
  case parking
  case sidewalk(alongX: Bool)
  case paving(RGB)
  case gravel
  case sand
  case pool
  case pond
  case marking
  case hedge
}

struct Surface: Sendable {
  var rings: [[Point]]
  var material: Material
}

enum RoofStyle: Sendable {
  /// Two planes meeting along a ridge parallel to `axis` (a unit vector).
  case gable(axis: Point)
  /// One plane falling towards every eave.
  case hip
  case flat
}

struct BuildingPlan: Sendable {
  var rings: [[Point]]
  var roof: RoofStyle
  var color: RGB
  var height: Double
  var kind: String
  /// Rooftop units on flat roofs, strictly inside the footprint.
  var details: [Box] = []
}

struct VehiclePlan: Sendable {
  var box: Box
  /// True when the long axis runs east–west.
  var alongX: Bool
  /// True when the front points to +x (alongX) or +y.
  var frontPositive: Bool
  var color: RGB
  var kind: String
  var height: Double
}

struct TreePlan: Sendable {
  var center: Point
  var radius: Double
  var height: Double
  var color: RGB
  var phase: Double
}

/// Everything the renderer draws, in local metres.
struct TownLayout: Sendable {
  var extent: Double
  /// Valid area of the image (clipped to it), convex.
  var footprint: [Point]
  var surfaces: [Surface]
  var trees: [TreePlan]
  /// Parallel to the buildings of the truth, same order.
  var buildings: [BuildingPlan]
  /// Parallel to the vehicles of the truth, same order.
  var vehicles: [VehiclePlan]
}

/// A uniform grid of boxes, to keep objects apart.
struct BoxIndex {
  private let cell = 16.0
  private var cells: [Int64: [Int]] = [:]
  private(set) var boxes: [Box] = []

  private func keys(_ box: Box) -> [Int64] {
    var result: [Int64] = []
    let cx0 = Int64((box.x0 / cell).rounded(.down))
    let cx1 = Int64((box.x1 / cell).rounded(.down))
    let cy0 = Int64((box.y0 / cell).rounded(.down))
    let cy1 = Int64((box.y1 / cell).rounded(.down))
    for cx in cx0...cx1 {
      for cy in cy0...cy1 { result.append((cx + 1_000_000) * 2_000_000 + cy + 1_000_000) }
    }
    return result
  }

  mutating func insert(_ box: Box) {
    boxes.append(box)
    for key in keys(box) { cells[key, default: []].append(boxes.count - 1) }
  }

  func hits(_ box: Box, margin: Double = 0) -> Bool {
    let grown = box.inset(-margin)
    for key in keys(grown) {
      for index in cells[key] ?? [] where boxes[index].intersects(grown) { return true }
    }
    return false
  }
}

/// Local axes of one side of a block: `u` along the street, `w` away from it.
struct Frame {
  var origin: Point
  var along: Point
  var away: Point

  func map(_ u: Double, _ w: Double) -> Point {
    Point(origin.x + u * along.x + w * away.x, origin.y + u * along.y + w * away.y)
  }

  func box(u0: Double, u1: Double, w0: Double, w1: Double) -> Box {
    Box.around([map(u0, w0), map(u1, w1)])
  }

  /// True when `u` runs east–west.
  var alongX: Bool { along.x != 0 }
}

struct Road {
  var vertical: Bool
  var center: Double
  var from: Double
  var to: Double
  var width: Double
  var sidewalk: Double
  var main: Bool

  var halfOuter: Double { width / 2 + sidewalk }

  func rect(halfWidth: Double) -> Box {
    vertical
      ? Box(x0: center - halfWidth, y0: from, x1: center + halfWidth, y1: to)
      : Box(x0: from, y0: center - halfWidth, x1: to, y1: center + halfWidth)
  }
}

enum Palette {
  static let tiledRoofs: [RGB] = [
    RGB(170, 84, 60), RGB(152, 72, 52), RGB(186, 104, 72), RGB(128, 66, 52), RGB(112, 74, 60),
  ]
  static let darkRoofs: [RGB] = [RGB(74, 76, 82), RGB(96, 99, 106), RGB(62, 64, 70), RGB(118, 112, 104)]
  static let flatRoofs: [RGB] = [
    RGB(178, 177, 172), RGB(160, 156, 146), RGB(132, 132, 130), RGB(190, 186, 176), RGB(104, 104, 106),
  ]
  static let shedRoofs: [RGB] = [RGB(120, 96, 70), RGB(92, 110, 84), RGB(140, 140, 138), RGB(150, 80, 60)]
  static let copper = RGB(96, 142, 122)
  static let cars: [(RGB, Double)] = [
    (RGB(226, 228, 230), 0.24), (RGB(28, 29, 32), 0.16), (RGB(172, 174, 178), 0.18),
    (RGB(102, 104, 108), 0.14), (RGB(36, 58, 118), 0.09), (RGB(150, 28, 30), 0.08),
    (RGB(40, 72, 50), 0.04), (RGB(196, 180, 150), 0.04), (RGB(210, 150, 30), 0.03),
  ]
  static let trees: [RGB] = [
    RGB(58, 86, 40), RGB(72, 96, 46), RGB(50, 80, 48), RGB(84, 102, 50), RGB(38, 62, 44), RGB(64, 90, 36),
  ]
  static let copperBeech = RGB(96, 58, 52)
  static let pavings: [RGB] = [
    RGB(150, 146, 138), RGB(164, 124, 104), RGB(128, 124, 120), RGB(176, 168, 150),
  ]
}

/// Plans a whole town from one seed.
struct TownPlanner {
  var rng: SeededRandom
  let extent: Double
  let gsd: Double
  var surfaces: [Surface] = []
  var roadSurfaces: [Surface] = []
  var buildings: [BuildingPlan] = []
  var vehicles: [VehiclePlan] = []
  var trees: [TreePlan] = []
  /// Buildings, vehicles, pools and ponds: nothing else may overlap them.
  var obstacles = BoxIndex()
  /// Trees' inner cores, so canopies may touch but not stack.
  var treeCores = BoxIndex()
  var treeRegions: [(box: Box, count: Int, radius: ClosedRange<Double>)] = []
  var roads: [Road] = []

  init(options: SceneOptions) {
    // Decorrelate nearby seeds: SplitMix64 is sequential in its state.
    var mixer = SeededRandom(seed: options.seed ^ 0x5357_4154_4853_4345)
    rng = SeededRandom(seed: mixer.next())
    extent = options.extent
    gsd = options.gsd
  }

  // MARK: random helpers

  mutating func pick<T>(_ items: [T]) -> T { items[rng.int(0...(items.count - 1))] }

  mutating func jitter(_ color: RGB, _ amount: Int) -> RGB {
    func channel(_ value: UInt8) -> UInt8 {
      UInt8(clamping: Int(value) + rng.int(-amount...amount))
    }
    return RGB(channel(color.r), channel(color.g), channel(color.b))
  }

  mutating func carColor() -> RGB {
    var roll = rng.unit()
    for (color, weight) in Palette.cars {
      roll -= weight
      if roll < 0 { return jitter(color, 6) }
    }
    return Palette.cars[0].0
  }

  /// A line at least one pixel wide, so thin paint never drops out.
  var lineWidth: Double { max(0.16, gsd * 1.05) }

  // MARK: plan

  mutating func plan(footprint: [Point]) -> TownLayout {
    planRoads()
    planBlocks()
    planRoadVehicles()
    planStreetTrees()
    planRegionTrees()
    return TownLayout(
      extent: extent, footprint: footprint, surfaces: surfaces + roadSurfaces, trees: trees,
      buildings: buildings, vehicles: vehicles)
  }

  // MARK: roads

  mutating func gridLines() -> [Double] {
    var lines: [Double] = []
    var position = rng.uniform(22...70)
    while position < extent - 12 {
      lines.append(position)
      position += rng.uniform(78...122)
    }
    return lines
  }

  var verticalLines: [Double] = []
  var horizontalLines: [Double] = []
  var mainVertical = -1
  var mainHorizontal = -1
  /// For each horizontal line, whether its segment exists in each column.
  var horizontalPresent: [[Bool]] = []

  func columnBounds() -> [Double] { [-40] + verticalLines + [extent + 40] }

  mutating func planRoads() {
    verticalLines = gridLines()
    horizontalLines = gridLines()
    if !verticalLines.isEmpty {
      mainVertical = verticalLines.indices.min {
        abs(verticalLines[$0] - extent * 0.45) < abs(verticalLines[$1] - extent * 0.45)
      }!
    }
    if !horizontalLines.isEmpty {
      mainHorizontal = horizontalLines.indices.min {
        abs(horizontalLines[$0] - extent * 0.55) < abs(horizontalLines[$1] - extent * 0.55)
      }!
    }
    let bounds = columnBounds()
    for (index, x) in verticalLines.enumerated() {
      let main = index == mainVertical
      roads.append(
        Road(
          vertical: true, center: x, from: -40, to: extent + 40, width: main ? 10 : 7,
          sidewalk: main ? 2.6 : 2,
          main: main))
    }
    for (index, y) in horizontalLines.enumerated() {
      let main = index == mainHorizontal
      var present: [Bool] = []
      for column in 0..<(bounds.count - 1) {
        let keep = main || rng.chance(0.8)
        present.append(keep)
        if keep {
          roads.append(
            Road(
              vertical: false, center: y, from: bounds[column], to: bounds[column + 1], width: main ? 10 : 7,
              sidewalk: main ? 2.6 : 2, main: main))
        }
      }
      horizontalPresent.append(present)
    }
    for road in roads {
      roadSurfaces.append(
        Surface(
          rings: [road.rect(halfWidth: road.halfOuter).ring], material: .sidewalk(alongX: !road.vertical)))
    }
    // Asphalt after every sidewalk, so crossings are clean.
    for road in roads {
      roadSurfaces.append(Surface(rings: [road.rect(halfWidth: road.width / 2).ring], material: .asphalt))
    }
    for road in roads { planMarkings(road) }
  }

  /// Stretches of `road` inside crossings, as (from, to) along it, widened by `margin`.
  func crossings(of road: Road, margin: Double) -> [(Double, Double)] {
    roads.compactMap { other in
      guard other.vertical != road.vertical, other.from <= road.center, road.center <= other.to else {
        return nil
      }
      return (other.center - other.halfOuter - margin, other.center + other.halfOuter + margin)
    }
  }

  func isClear(_ position: ClosedRange<Double>, of zones: [(Double, Double)]) -> Bool {
    !zones.contains { position.lowerBound < $0.1 && $0.0 < position.upperBound }
  }

  mutating func addMarking(_ road: Road, along: ClosedRange<Double>, across: ClosedRange<Double>) {
    let box =
      road.vertical
      ? Box(
        x0: road.center + across.lowerBound, y0: along.lowerBound, x1: road.center + across.upperBound,
        y1: along.upperBound)
      : Box(
        x0: along.lowerBound, y0: road.center + across.lowerBound, x1: along.upperBound,
        y1: road.center + across.upperBound)
    roadSurfaces.append(Surface(rings: [box.ring], material: .marking))
  }

  mutating func planMarkings(_ road: Road) {
    let zones = crossings(of: road, margin: 0.5)
    let half = lineWidth / 2
    if road.main {
      // Dashed centre line, 3 m on and 6 m off as on German town roads.
      var position = road.from
      while position < road.to {
        let dash = position...(position + 3)
        if isClear(dash, of: zones) { addMarking(road, along: dash, across: -half...half) }
        position += 9
      }
      // Zebra crossings before some junctions.
      for zone in zones where rng.chance(0.7) {
        let start = zone.1 + 1.5
        for stripe in stride(from: -road.width / 2 + 0.5, to: road.width / 2 - 0.4, by: 1.0) {
          addMarking(road, along: start...(start + 3.5), across: stripe...(stripe + 0.5))
        }
      }
    } else {
      // Stop lines where a minor road meets a main one.
      for other in roads
      where other.main && other.vertical != road.vertical && other.from <= road.center
        && road.center <= other.to
      {
        for end in [other.center - other.halfOuter - 0.8, other.center + other.halfOuter + 0.4] {
          guard end > road.from, end < road.to else { continue }
          addMarking(road, along: end...(end + 0.4), across: (-road.width / 2 + 0.3)...(road.width / 2 - 0.3))
        }
      }
    }
  }

  // MARK: blocks

  mutating func planBlocks() {
    let bounds = columnBounds()
    let mainX = mainVertical >= 0 ? verticalLines[mainVertical] : extent / 2
    let mainY = mainHorizontal >= 0 ? horizontalLines[mainHorizontal] : extent / 2
    for column in 0..<(bounds.count - 1) {
      let left = column > 0 ? roads.first { $0.vertical && $0.center == bounds[column] } : nil
      let right =
        column < bounds.count - 2 ? roads.first { $0.vertical && $0.center == bounds[column + 1] } : nil
      let x0 = left.map { $0.center + $0.halfOuter } ?? -40
      let x1 = right.map { $0.center - $0.halfOuter } ?? extent + 40
      var cuts: [Road?] = [nil]
      for (index, y) in horizontalLines.enumerated() where horizontalPresent[index][column] {
        cuts.append(roads.first { !$0.vertical && $0.center == y && $0.from == bounds[column] })
      }
      cuts.append(nil)
      for index in 0..<(cuts.count - 1) {
        let y0 = cuts[index].map { $0.center + $0.halfOuter } ?? -40
        let y1 = cuts[index + 1].map { $0.center - $0.halfOuter } ?? extent + 40
        let block = Box(x0: x0, y0: y0, x1: x1, y1: y1)
        guard block.width > 12, block.height > 12 else { continue }
        let distance = hypot(block.center.x - mainX, block.center.y - mainY)
        let central = distance < 170
        let roll = rng.unit()
        if central ? roll < 0.45 : roll < 0.1 {
          planCommercial(block)
        } else if roll < (central ? 0.9 : 0.86) {
          if distance < 260, rng.chance(0.4) { planApartments(block) } else { planResidential(block) }
        } else if roll < (central ? 1.0 : 0.94) {
          planPark(block)
        } else {
          planField(block)
        }
      }
    }
  }

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

  mutating func planParking(_ lot: Box) {
    surfaces.append(Surface(rings: [lot.ring], material: .parking))
    let horizontal = lot.width >= lot.height
    // Rows of stalls stacked across the long axis, aisles along it.
    let frame =
      horizontal
      ? Frame(origin: Point(lot.x0, lot.y0), along: Point(1, 0), away: Point(0, 1))
      : Frame(origin: Point(lot.x0, lot.y0), along: Point(0, 1), away: Point(1, 0))
    let length = horizontal ? lot.width : lot.height
    let depth = horizontal ? lot.height : lot.width
    let occupancy = rng.uniform(0.25...0.7)
    var rows: [(w0: Double, towardAisle: Bool)] = []
    var cursor = 0.6
    while cursor + 11 <= depth - 0.4 {
      rows.append((cursor, true))
      if cursor + 16 <= depth - 0.4 { rows.append((cursor + 11, false)) }
      cursor += 16.6
    }
    let stall = 2.5
    let count = Int((length - 1.6) / stall)
    guard count > 0 else { return }
    let start = (length - Double(count) * stall) / 2
    for row in rows {
      for index in 0...count {
        let u = start + Double(index) * stall
        addLine(frame.box(u0: u - lineWidth / 2, u1: u + lineWidth / 2, w0: row.w0, w1: row.w0 + 5))
      }
      for index in 0..<count where rng.chance(occupancy) {
        let center = start + (Double(index) + 0.5) * stall + rng.uniform(-0.2...0.2)
        let van = rng.chance(0.08)
        let width = van ? rng.uniform(1.95...2.1) : rng.uniform(1.72...1.9)
        let length = van ? rng.uniform(5.0...5.6) : rng.uniform(4.1...4.9)
        let w0 = row.w0 + (row.towardAisle ? 4.85 - length : 0.15) + rng.uniform(-0.1...0.1)
        addVehicle(
          frame.box(u0: center - width / 2, u1: center + width / 2, w0: w0, w1: w0 + length),
          alongX: !frame.alongX, frontPositive: rng.chance(0.5), kind: van ? "van" : "car")
      }
    }
  }

  mutating func addLine(_ box: Box) {
    surfaces.append(Surface(rings: [box.ring], material: .marking))
  }

  mutating func planPark(_ block: Box) {
    surfaces.append(Surface(rings: [block.ring], material: .grass(tint: rng.uniform(0.2...1))))
    // Two gravel paths crossing the park.
    for _ in 0..<2 {
      let vertical = rng.chance(0.5)
      let half = 1.2
      if vertical {
        let a = rng.uniform((block.x0 + 4)...(block.x1 - 4))
        let b = rng.uniform((block.x0 + 4)...(block.x1 - 4))
        surfaces.append(
          Surface(
            rings: [
              [
                Point(a - half, block.y0), Point(a + half, block.y0), Point(b + half, block.y1),
                Point(b - half, block.y1),
              ]
            ],
            material: .gravel))
      } else {
        let a = rng.uniform((block.y0 + 4)...(block.y1 - 4))
        let b = rng.uniform((block.y0 + 4)...(block.y1 - 4))
        surfaces.append(
          Surface(
            rings: [
              [
                Point(block.x0, a - half), Point(block.x1, b - half), Point(block.x1, b + half),
                Point(block.x0, a + half),
              ]
            ],
            material: .gravel))
      }
    }
    if block.width > 40, block.height > 40, rng.chance(0.5) {
      // A pond: an ellipse.
      let rx = rng.uniform(8...min(18, block.width / 4))
      let ry = rng.uniform(6...min(14, block.height / 4))
      let cx = rng.uniform((block.x0 + rx + 4)...(block.x1 - rx - 4))
      let cy = rng.uniform((block.y0 + ry + 4)...(block.y1 - ry - 4))
      let ring = (0..<40).map { index -> Point in
        let t = Double(index) / 40 * 2 * .pi
        let wobble = 1 + 0.08 * sin(3 * t + Double(index % 7))
        return Point(cx + rx * wobble * cos(t), cy + ry * wobble * sin(t))
      }
      surfaces.append(Surface(rings: [ring], material: .pond))
      obstacles.insert(Box.around(ring))
    }
    if block.width > 25, block.height > 25, rng.chance(0.4) {
      let w = rng.uniform(10...16)
      let h = rng.uniform(8...12)
      let x = rng.uniform((block.x0 + 3)...(block.x1 - 3 - w))
      let y = rng.uniform((block.y0 + 3)...(block.y1 - 3 - h))
      let sandpit = Box(x0: x, y0: y, x1: x + w, y1: y + h)
      if !obstacles.hits(sandpit, margin: 1) {
        surfaces.append(Surface(rings: [sandpit.ring], material: .sand))
        obstacles.insert(sandpit)
      }
    }
    treeRegions.append((block.inset(1), Int(block.width * block.height / 110), 2.5...5.5))
  }

  mutating func planField(_ block: Box) {
    if rng.chance(0.6) {
      surfaces.append(Surface(rings: [block.ring], material: .soil(stripesAlongX: rng.chance(0.5))))
    } else {
      surfaces.append(Surface(rings: [block.ring], material: .grass(tint: -1)))
    }
    // Trees along the field's edge.
    treeRegions.append(
      (Box(x0: block.x0, y0: block.y0, x1: block.x1, y1: block.y0 + 5), Int(block.width / 14), 2.5...4.5))
  }

  // MARK: objects

  mutating func addBuilding(_ plan: BuildingPlan) {
    buildings.append(plan)
    obstacles.insert(Box.around(plan.rings[0]))
  }

  /// Adds the vehicle unless it would touch another object.
  @discardableResult
  mutating func addVehicle(_ box: Box, alongX: Bool, frontPositive: Bool, kind: String) -> Bool {
    guard !obstacles.hits(box, margin: 0.3) else { return false }
    let color =
      kind == "truck"
      ? jitter(pick([RGB(230, 230, 226), RGB(200, 40, 36), RGB(40, 80, 140)]), 8) : carColor()
    let height = kind == "truck" ? 3.4 : (kind == "van" ? 2.1 : 1.5)
    vehicles.append(
      VehiclePlan(
        box: box, alongX: alongX, frontPositive: frontPositive, color: color, kind: kind, height: height))
    obstacles.insert(box)
    return true
  }

  mutating func planRoadVehicles() {
    for road in roads {
      let zones = crossings(of: road, margin: 1.5)
      // Right-hand traffic: the lane on the right of the driving direction.
      var lanes: [(offset: Double, forward: Bool, parked: Bool)] =
        road.main
        ? [(2.5, !road.vertical, false), (-2.5, road.vertical, false)]
        : [(1.75, !road.vertical, false), (-1.75, road.vertical, false)]
      if !road.main {
        lanes += [
          (road.width / 2 - 1.05, !road.vertical, true), (-road.width / 2 + 1.05, road.vertical, true),
        ]
      }
      for lane in lanes {
        var position = road.from + rng.uniform(2...30)
        while position < road.to {
          let kind: String
          let roll = rng.unit()
          if road.main && !lane.parked && roll < 0.06 {
            kind = "truck"
          } else if roll < 0.16 {
            kind = "van"
          } else {
            kind = "car"
          }
          let length =
            kind == "truck"
            ? rng.uniform(8...12) : (kind == "van" ? rng.uniform(5...5.8) : rng.uniform(4.1...4.9))
          let width =
            kind == "truck" ? 2.5 : (kind == "van" ? rng.uniform(1.95...2.1) : rng.uniform(1.72...1.88))
          let across = lane.offset + rng.uniform(-0.25...0.25)
          let span = position...(position + length)
          if isClear(span, of: zones) {
            let box =
              road.vertical
              ? Box(
                x0: road.center + across - width / 2, y0: position, x1: road.center + across + width / 2,
                y1: position + length)
              : Box(
                x0: position, y0: road.center + across - width / 2, x1: position + length,
                y1: road.center + across + width / 2)
            addVehicle(box, alongX: !road.vertical, frontPositive: lane.forward, kind: kind)
          }
          position +=
            length
            + (lane.parked
              ? (rng.chance(0.3) ? rng.uniform(0.8...2) : rng.uniform(15...80)) : rng.uniform(18...110))
        }
      }
    }
  }

  // MARK: trees

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
