import Foundation
import SwathConsensus
import SwathGeometry
import SwathSimulation
import Testing

@Suite struct GoldTests {
  static func careful(andWeak objects: Int, seed: UInt64) throws -> SimulatedPanel {
    try SimulatedPanel(
      objects: objects, seed: seed, profiles: [.careful("annotator-1"), .weak("annotator-2")])
  }

  /// Two annotators, one careful and one weak, with the truth of 5 % of the chips: the model
  /// comes from the gold, so the weak one's made-up shapes are turned away and the consensus is
  /// at least as good as the careful annotator.
  @Test func twoAnnotatorsWithGoldMatchTheBetterOne() throws {
    let panel = try Self.careful(andWeak: 2000, seed: 7)
    var options = ConsensusOptions()
    options.chips = panel.chips
    options.gold = try panel.gold(fraction: 0.05)
    let result = try ConsensusEngine.run(panel.submissions, options: options)
    let consensus = try panel.score(result.objects.map(\.geometry))
    let best = try panel.bestSingleF1()
    // Seed 7 measured: consensus 0.891, careful 0.880.
    #expect(consensus.f1 >= best, "consensus \(consensus.f1), best \(best)")
    #expect(result.report.methodUsed == .weighted)
    for object in result.objects { #expect(Topology.validity(object.geometry).isValid) }
    // The report says the model came from the gold, and how many gold objects each was asked about.
    for annotator in result.report.annotators {
      #expect(annotator.estimatedFrom == "gold")
      #expect((annotator.goldObjects ?? 0) >= 5)
    }
    let gold = try #require(result.report.gold)
    #expect(gold.objects == options.gold!.objects.count)
    #expect(gold.falseShapes > 0)
  }

  /// Inside the gold area the output is the gold objects themselves, drawn or not, and nothing
  /// else; outside it the vote decides.
  @Test func goldObjectsAreTheOutputInsideTheArea() throws {
    let panel = try SimulatedPanel(
      objects: 600, seed: 3, profiles: PanelSimulator.profiles(count: 3, weak: true, empty: false))
    var options = ConsensusOptions()
    options.chips = panel.chips
    let gold = try panel.gold(fraction: 0.3)
    options.gold = gold
    let result = try ConsensusEngine.run(panel.submissions, options: options)
    let marked = result.objects.filter(\.gold)
    #expect(marked.count == gold.objects.count)
    #expect(!gold.objects.isEmpty)
    let score = try LayerScore.compare(
      marked.map(\.geometry), against: gold.objects.map(\.geometry), iou: 0.99)
    #expect(score.truePositives == gold.objects.count)
    #expect(marked.allSatisfy { $0.status == .accepted && $0.confidence == 1 })
    // Every other accepted object lies outside the area.
    let area = try panel.crs.fromWGS84(gold.area)
    for object in result.objects where !object.gold {
      let center = try panel.crs.fromWGS84(object.geometry).envelope!.center
      #expect(!Topology.contains(area, center))
    }
    // Every annotator was asked about enough gold objects for a model from gold; the report says so.
    #expect(result.report.annotators.allSatisfy { $0.estimatedFrom == "gold" })
  }

  @Test func goldDoesNotDependOnOrder() throws {
    let panel = try Self.careful(andWeak: 300, seed: 5)
    var options = ConsensusOptions()
    options.chips = panel.chips
    options.includeRejected = true
    var gold = try panel.gold(fraction: 0.2)
    options.gold = gold
    let reference = try ConsensusEngine.run(panel.submissions, options: options)
    var rng = SeededRandom(seed: 42)
    gold.objects.shuffle(using: &rng)
    options.gold = gold
    let shuffled = panel.submissions.reversed().map { submission in
      var copy = submission
      copy.features.shuffle(using: &rng)
      return copy
    }
    let again = try ConsensusEngine.run(Array(shuffled), options: options)
    #expect(again.objects == reference.objects)
    #expect(reference.objects.contains { $0.gold })
  }

  @Test func aGoldAreaThatCoversNothingIsAnError() throws {
    let panel = try Self.careful(andWeak: 100, seed: 5)
    var options = ConsensusOptions()
    options.chips = panel.chips
    // A square far from the panel: no chip, no object.
    let far = try panel.crs.toWGS84(
      MultiPolygon(BoundingBox(minX: 300_000, minY: 5_000_000, maxX: 300_100, maxY: 5_000_100).polygon))
    options.gold = GoldStandard(objects: [], area: far)
    let error = try #require(throws: ConsensusError.self) {
      try ConsensusEngine.run(panel.submissions, options: options)
    }
    #expect(error.message.contains("covers none of the"))
    #expect(!error.message.contains("\n"))
    options.chips = nil
    let again = try #require(throws: ConsensusError.self) {
      try ConsensusEngine.run(panel.submissions, options: options)
    }
    #expect(
      again.message == "the gold area covers none of the gold objects and none of the annotators' shapes")
  }

  @Test func anInvalidGoldShapeIsAnError() throws {
    let panel = try Self.careful(andWeak: 100, seed: 5)
    var options = ConsensusOptions()
    var gold = try panel.gold(fraction: 0.5)
    // A bow tie.
    let x = gold.objects[0].geometry.envelope!.minX
    let y = gold.objects[0].geometry.envelope!.minY
    gold.objects[0].geometry = MultiPolygon(
      Polygon(shell: [
        Point(x, y), Point(x + 1e-4, y + 1e-4), Point(x + 1e-4, y), Point(x, y + 1e-4), Point(x, y),
      ]))
    options.gold = gold
    let error = try #require(throws: ConsensusError.self) {
      try ConsensusEngine.run(panel.submissions, options: options)
    }
    #expect(error.message.hasPrefix("gold object"))
    #expect(error.message.contains("not valid"))
  }
}
