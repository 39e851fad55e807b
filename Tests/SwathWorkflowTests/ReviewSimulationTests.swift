import Foundation
import SwathConsensus
import SwathGeometry
import Testing

@testable import SwathWorkflow

/// `swath simulate-review` on hand-made layers of small squares in Berlin (lon/lat).
@Suite struct ReviewSimulationTests {
  static func square(_ column: Double, _ row: Double = 0, shift: Double = 0) -> MultiPolygon {
    let x = 13.4 + column * 0.001 + shift
    let y = 52.5 + row * 0.001
    return MultiPolygon(BoundingBox(minX: x, minY: y, maxX: x + 0.0001, maxY: y + 0.0001).polygon)
  }

  /// Five true objects (T0…T4); the layer has, by index: 0 on T0 and 1 false, both auto_accepted;
  /// 2 on T1, 3 false, 4 on T2 (a conflict), 7 a second object on T1 and 8 false (status
  /// rejected), all needs_review; 5 on T3 and 6 false, auto_rejected. Nothing on T4.
  static let truth = (0..<5).map { square(Double($0)) }
  static let layer: [ReviewSimulation.Object] = [
    .init(geometry: square(0, shift: 0.00001), confidence: 0.95),
    .init(geometry: square(10), confidence: 0.97),
    .init(geometry: square(1, shift: 0.00001), confidence: 0.45),
    .init(geometry: square(11), confidence: 0.6),
    .init(geometry: square(2, shift: 0.00001), confidence: 0.99, conflicts: ["label"]),
    .init(geometry: square(3, shift: 0.00001), confidence: 0.1, status: "rejected"),
    .init(geometry: square(12), confidence: 0.05, status: "rejected"),
    .init(geometry: square(1, shift: 0.00003), confidence: 0.3, status: "rejected"),
    .init(geometry: square(13), confidence: 0.95, status: "rejected"),
  ]

  @Test func statesAreTheWorkflowsAndTheQueueIsLeastCertainFirst() throws {
    let outcome = try ReviewSimulation.run(
      Self.layer, truth: Self.truth, accuracy: 1, seed: 1, every: 1)
    let expected: [Review.State] = [
      .autoAccepted, .autoAccepted, .needsReview, .needsReview, .needsReview, .autoRejected, .autoRejected,
      .needsReview, .needsReview,
    ]
    #expect(outcome.states == expected)
    #expect(
      outcome.states
        == Self.layer.map {
          Review.state(confidence: $0.confidence, status: $0.status, conflicts: $0.conflicts, .defaults)
        })
    #expect(outcome.isTrue == [true, false, true, false, true, true, false, false, false])
    // Distance from 0.5: 0.05, 0.1, 0.2, 0.45, 0.49.
    #expect(outcome.order == [2, 3, 7, 8, 4])
    let certainties = outcome.order.map { abs(Self.layer[$0].confidence - 0.5) }
    #expect(certainties == certainties.sorted())
    // Ties go to the lower index, as in the queue.
    #expect(
      Review.queueOrder(states: Array(repeating: .needsReview, count: 3), confidences: [0.75, 0.25, 0.75])
        == [
          0, 1, 2,
        ])
    #expect(
      Review.queueOrder(states: [.autoAccepted, .needsReview, .needsReview], confidences: [0.5, 0.9, 0.6])
        == [2, 1])
  }

  @Test func aPerfectReviewerReachesTheBestLayerOfTheAcceptedAndReviewableObjects() throws {
    let outcome = try ReviewSimulation.run(Self.layer, truth: Self.truth, accuracy: 1, seed: 7, every: 2)
    #expect(outcome.points.map(\.reviewed) == [0, 2, 4, 5])
    #expect(outcome.points.allSatisfy { $0.wrong == 0 })
    // Independently: the best F1 of the auto_accepted objects with any subset of the reviewable ones.
    let accepted = [0, 1]
    let reviewable = [2, 3, 4, 7, 8]
    var best = 0.0
    for mask in 0..<(1 << reviewable.count) {
      let chosen = accepted + reviewable.indices.filter { mask & (1 << $0) != 0 }.map { reviewable[$0] }
      let score = try LayerScore.compare(chosen.map { Self.layer[$0].geometry }, against: Self.truth)
      best = max(best, score.f1)
    }
    #expect(abs(best - 6.0 / 9) < 1e-12)  // T0, T1, T2 found; object 1 false; T3, T4 missed
    #expect(abs(outcome.points.last!.score.f1 - best) < 1e-12)
    #expect(abs(outcome.ceiling.f1 - best) < 1e-12)
    // Before any review: T0 and the false object 1.
    #expect(outcome.points[0].score.truePositives == 1 && outcome.points[0].score.falsePositives == 1)
    #expect(outcome.points[0].share == 0 && abs(outcome.points.last!.share - 5.0 / 9) < 1e-12)
  }

  @Test func undecidedObjectsCanKeepTheirConsensusStatus() throws {
    let outcome = try ReviewSimulation.run(
      Self.layer, truth: Self.truth, accuracy: 1, seed: 7, every: 5, undecided: .consensus)
    // Before any review the accepted needs_review objects 2, 3 and 4 are in; 7 and 8 (rejected) not.
    #expect(outcome.points[0].score.truePositives == 3 && outcome.points[0].score.falsePositives == 2)
    // Once all are reviewed, the layer is the perfect reviewer's.
    #expect(abs(outcome.points.last!.score.f1 - 6.0 / 9) < 1e-12)
  }

  @Test func theSameSeedGivesTheSameCurveAndAWrongReviewerIsAlwaysWrong() throws {
    // 60 objects in a row, every other one on a true square, confidences spread over 0.2…0.9.
    let truth = (0..<60).map { Self.square(Double($0), 1) }
    let layer = (0..<60).map { index in
      ReviewSimulation.Object(
        geometry: Self.square(Double(index), 1, shift: index.isMultiple(of: 2) ? 0.00001 : 0.0005),
        confidence: 0.2 + 0.7 * Double((index * 37) % 60) / 60)
    }
    let first = try ReviewSimulation.run(layer, truth: truth, accuracy: 0.6, seed: 42, every: 5)
    let again = try ReviewSimulation.run(layer, truth: truth, accuracy: 0.6, seed: 42, every: 5)
    #expect(first.points == again.points)
    #expect(first.order == again.order)
    #expect(first.points.contains { $0.wrong > 0 })
    let wrong = try ReviewSimulation.run(layer, truth: truth, accuracy: 0, seed: 42, every: 5)
    #expect(wrong.points.allSatisfy { $0.wrong == $0.reviewed })
  }

  /// Three true squares: T0 drawn well (A), T1 drawn 60 % of a width off (B, IoU 0.25), T2 one
  /// width to the right of T1 and drawn by nobody; D is a second poor copy of T0, which A already
  /// matches. All four objects need a review: D first, then B, then A.
  static let fixTruth = [square(0), square(1), square(1, shift: 0.0002)]
  static let fixLayer: [ReviewSimulation.Object] = [
    .init(geometry: square(0, shift: 0.00001), confidence: 0.6),  // A
    .init(geometry: square(1, shift: 0.00006), confidence: 0.55),  // B
    .init(geometry: square(0, shift: 0.00006), confidence: 0.52),  // D
  ]

  @Test func aReviewerWhoFixesGeometryReplacesPoorShapesOfMissedObjectsOnly() throws {
    let fixes = ReviewSimulation.Fixes(geometry: true, addWithin: nil)
    let outcome = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 1, seed: 3, every: 1, fixes: fixes)
    #expect(outcome.order == [2, 1, 0])
    #expect(outcome.isTrue == [true, false, false])
    // D (T0 is A's) is rejected, B replaced by T1's shape, A accepted: T0 and T1 found, T2 missed.
    let last = try #require(outcome.points.last)
    #expect(last.reviewed == 3 && last.replaced == 1 && last.added == 0 && last.wrong == 0)
    #expect(last.score.truePositives == 2 && last.score.falsePositives == 0 && last.score.falseNegatives == 1)
    #expect(outcome.points.map(\.replaced) == [0, 0, 1, 1])
    // Accept and reject only: B is rejected, T1 stays missed.
    let plain = try ReviewSimulation.run(Self.fixLayer, truth: Self.fixTruth, accuracy: 1, seed: 3, every: 1)
    #expect(plain.points.last?.score.truePositives == 1)
  }

  @Test func aReviewerAddsTheMissedObjectsNearTheObjectAndEachAddCounts() throws {
    // Within 0 (boxes that meet B's): T2 is a width away, so nothing is added.
    let touching = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 1, seed: 3, every: 1,
      fixes: .init(geometry: true, addWithin: 0))
    #expect(touching.points.last?.added == 0 && touching.points.last?.reviewed == 3)
    // Within one size of B: T2 is added after B, as one more object reviewed.
    let near = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 1, seed: 3, every: 1,
      fixes: .init(geometry: true, addWithin: 1))
    #expect(near.points.map(\.reviewed) == [0, 1, 3, 4])
    #expect(near.points.map(\.added) == [0, 0, 1, 1])
    let last = try #require(near.points.last)
    #expect(last.score.truePositives == 3 && last.score.falsePositives == 0 && last.score.f1 == 1)
    // Always wrong: D and B kept as drawn, A rejected, T2 drawn a width off; every decision wrong.
    let wrong = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 0, seed: 3, every: 1,
      fixes: .init(geometry: true, addWithin: 1))
    let end = try #require(wrong.points.last)
    #expect(end.wrong == end.reviewed && end.reviewed == 4 && end.replaced == 0 && end.added == 1)
    #expect(end.score.truePositives == 0 && end.score.falsePositives == 3)
    // The same seed gives the same curve.
    let again = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 0.5, seed: 9, every: 1,
      fixes: .init(geometry: true, addWithin: 1))
    let once = try ReviewSimulation.run(
      Self.fixLayer, truth: Self.fixTruth, accuracy: 0.5, seed: 9, every: 1,
      fixes: .init(geometry: true, addWithin: 1))
    #expect(again.points == once.points)
    #expect(throws: WorkflowError.self) {
      try ReviewSimulation.run(
        Self.fixLayer, truth: Self.fixTruth, accuracy: 1, seed: 3, every: 1,
        fixes: .init(geometry: false, addWithin: -1))
    }
  }
}
