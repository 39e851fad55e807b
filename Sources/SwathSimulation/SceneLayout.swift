import Foundation
import SwathGeometry

// What the town planner hands the renderer: surfaces, buildings, vehicles and trees, in local
// metres (x east and y south from the top-left corner of the image, so that pixel = metres /
// gsd; only the ground truth is converted to UTM). The planner is `TownPlanner` (one file per
// part of the town: TownPlanner+Roads, +Blocks, +Houses, …).

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
