import Foundation
import SwathConsensus
import SwathGeometry
import SwathSimulation
import Testing

@Suite struct OrderTests {
  @Test func outputDoesNotDependOnFileOrFeatureOrder() throws {
    let panel = try SimulatedPanel(
      objects: 150, seed: 5, profiles: PanelSimulator.profiles(count: 4, weak: true, empty: false))
    var options = ConsensusOptions()
    options.chips = panel.chips
    options.includeRejected = true
    let reference = try ConsensusEngine.run(panel.submissions, options: options)
    var rng = SeededRandom(seed: 99)
    for _ in 0..<2 {
      let shuffled = panel.submissions.shuffled(using: &rng).map { submission in
        var copy = submission
        copy.features.shuffle(using: &rng)
        return copy
      }
      // The test proves something only if the input really is in another order.
      #expect(shuffled.map(\.annotator) != panel.submissions.map(\.annotator))
      let again = try ConsensusEngine.run(shuffled, options: options)
      #expect(again.objects == reference.objects)
      // Reports agree except where they name feature positions, which shuffling changes.
      var left = reference.report
      var right = again.report
      left.invalidFeatures = []
      right.invalidFeatures = []
      #expect(left == right)
    }
    #expect(reference.objects.count > 100)
  }
}
