import Foundation
import SwathConsensus
import SwathGeometry
import SwathSimulation

/// A simulated panel in WGS84, with its truth.
struct SimulatedPanel {
  var truth: [LabelFeature]
  var submissions: [Submission]
  var chips: [ChipFootprint]
  var crs: WorkingCRS
  var scene: PanelScene
  var seed: UInt64

  init(objects: Int, seed: UInt64, profiles: [AnnotatorProfile]) throws {
    let scene = PanelSimulator.scene(objects: objects, seed: seed)
    self.scene = scene
    self.seed = seed
    crs = try WorkingCRS(epsg: scene.epsg)
    truth = try PanelSimulator.toWGS84(scene.truth, crs: crs)
    let drawn = PanelSimulator.panel(scene: scene, profiles: profiles, seed: seed)
    let crs = crs
    submissions = try zip(profiles, drawn).map { profile, features in
      Submission(annotator: profile.name, features: try PanelSimulator.toWGS84(features, crs: crs))
    }
    chips = try scene.grid.chips.map { chip in
      ChipFootprint(id: chip.id, footprint: try crs.toWGS84(MultiPolygon(chip.box.polygon)))
    }
  }

  /// The truth on `fraction` of the chips, as a gold standard (WGS84).
  func gold(fraction: Double) throws -> GoldStandard {
    let chips = PanelSimulator.goldChips(grid: scene.grid, fraction: fraction, seed: seed)
    let objects = try PanelSimulator.toWGS84(PanelSimulator.truth(scene.truth, inside: chips), crs: crs)
    let area = try Topology.union(chips.map { try crs.toWGS84(MultiPolygon($0.box.polygon)) })
    return GoldStandard(objects: objects, area: area)
  }

  func score(_ layer: [MultiPolygon]) throws -> LayerScore {
    try LayerScore.compare(layer, against: truth.map(\.geometry), iou: 0.5, crs: crs)
  }

  /// The best single annotator's F1 against the truth.
  func bestSingleF1() throws -> Double {
    try submissions.map { try score($0.features.map(\.geometry)).f1 }.max() ?? 0
  }
}
