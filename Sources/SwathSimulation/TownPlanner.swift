import Foundation
import SwathGeometry

// The town planner: its state, its random helpers, the order in which the parts of the town are
// planned, and the two places where objects are added (so that nothing overlaps them later).
// Each part of the town is planned in an extension of its own: TownPlanner+Roads, +Blocks,
// +Houses, +Apartments, +Commercial, +Parking, +Parks, +Traffic, +Trees.

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
  var verticalLines: [Double] = []
  var horizontalLines: [Double] = []
  var mainVertical = -1
  var mainHorizontal = -1
  /// For each horizontal line, whether its segment exists in each column.
  var horizontalPresent: [[Bool]] = []

  /// Seeds the trees that overhang objects, planned last from a stream of their own so the rest
  /// of the town (every object, its id and geometry) is what it was before they were added.
  let overhangSeed: UInt64

  init(options: SceneOptions) {
    // Decorrelate nearby seeds: SplitMix64 is sequential in its state.
    var mixer = SeededRandom(seed: options.seed ^ 0x5357_4154_4853_4345)
    rng = SeededRandom(seed: mixer.next())
    overhangSeed = mixer.next()
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
    planOverhangingTrees()
    return TownLayout(
      extent: extent, footprint: footprint, surfaces: surfaces + roadSurfaces, trees: trees,
      buildings: buildings, vehicles: vehicles)
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
}
