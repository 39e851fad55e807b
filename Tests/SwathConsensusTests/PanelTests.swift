import Foundation
import SwathConsensus
import SwathGeometry
import SwathSimulation
import Testing

@Suite struct PanelTests {
  @Test func consensusBeatsTheBestAnnotator() throws {
    let panel = try SimulatedPanel(
      objects: 400, seed: 7, profiles: PanelSimulator.profiles(count: 5, weak: false, empty: false))
    var options = ConsensusOptions()
    options.chips = panel.chips
    let result = try ConsensusEngine.run(panel.submissions, options: options)
    let consensus = try panel.score(result.objects.map(\.geometry))
    let best = try panel.bestSingleF1()
    #expect(consensus.f1 > best)
    for object in result.objects { #expect(Topology.validity(object.geometry).isValid) }
  }

  /// Careful, average and weak: the consensus must beat the careful annotator by two points,
  /// not copy her layer (before the cap on coincidences it was a subset of it: 0.862 against
  /// her 0.893 on 1,500 objects).
  @Test func threeAnnotatorsBeatTheCarefulOneByTwoPoints() throws {
    let panel = try SimulatedPanel(
      objects: 400, seed: 7, profiles: PanelSimulator.profiles(count: 3, weak: true, empty: false))
    var options = ConsensusOptions()
    options.chips = panel.chips
    let result = try ConsensusEngine.run(panel.submissions, options: options)
    let consensus = try panel.score(result.objects.map(\.geometry))
    let best = try panel.bestSingleF1()
    // Seed 7 measured: consensus 0.908, best single (careful) 0.880.
    #expect(consensus.f1 >= best + 0.02, "consensus \(consensus.f1), best \(best)")
    // Objects the careful annotator did not draw are in it, and some of hers are not.
    #expect(result.objects.contains { !$0.annotators.contains("annotator-1") })
    for object in result.objects { #expect(Topology.validity(object.geometry).isValid) }
  }

  @Test func weightedSurvivesAWeakAndAnEmptyAnnotator() throws {
    let panel = try SimulatedPanel(
      objects: 400, seed: 11, profiles: PanelSimulator.profiles(count: 5, weak: true, empty: true))
    var options = ConsensusOptions()
    options.chips = panel.chips
    let run = try ConsensusEngine.run(panel.submissions, options: options)
    let weighted = try panel.score(run.objects.map(\.geometry))
    options.method = .majority
    let majority = try panel.score(
      ConsensusEngine.run(panel.submissions, options: options).objects.map(\.geometry))
    let best = try panel.bestSingleF1()
    // Seed 11 measured: weighted 0.958, majority 0.809, best single 0.891.
    #expect(weighted.f1 > best)
    #expect(majority.f1 < best - 0.05)
    for annotator in run.report.annotators where annotator.annotator == "annotator-5" {
      // The empty submission is recognised as blind, not as a veto.
      #expect((annotator.sensitivity ?? 1) < 0.05)
    }
  }
}
