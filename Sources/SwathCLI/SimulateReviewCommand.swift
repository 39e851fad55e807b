import ArgumentParser
import Foundation
import SwathWorkflow

/// `swath simulate-review`: F1 of the final layer against the number of objects reviewed.
struct SimulateReviewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate-review",
    abstract: "Simulate reviewing a consensus layer: F1 against the truth by objects reviewed.",
    discussion: """
      Gives every object of CONSENSUS (written by swath merge --include-rejected --out) its review
      state as a task's review does (auto_accepted, needs_review, auto_rejected, by --accept and
      --reject), takes the needs_review objects in the review queue's order (least certain first), and
      lets a simulated reviewer decide each: correctly with probability --accuracy (accept an object
      matched to a truth object at IoU 0.5, reject any other), wrongly otherwise. After every --every
      objects it scores the final layer (auto_accepted and reviewer-accepted objects) against TRUTH:
      prints objects reviewed, their share of all objects, wrong decisions so far, and F1. With
      --undecided consensus the needs_review objects not reviewed yet stay in the final layer when their
      consensus status is accepted, as in the final layer swath export writes.

      With --fix-geometry the reviewer replaces the geometry of a false object that overlaps a missed
      true object (one nothing outside auto_rejected matches at IoU 0.5) with the true shape; with
      --add-missed-within K, after each object they add the missed true objects whose boxes meet the
      object's box grown by K times its larger side. Both are right with probability --accuracy (a
      wrong add is a shape one width off), and every replacement and add counts as one object
      reviewed.

      Example:
        swath merge annotator-*.geojson --chips chips.geojson --include-rejected --out all.geojson
        swath simulate-review all.geojson --truth truth.geojson --accuracy 0.95 --seed 1 --every 100
        swath simulate-review all.geojson --truth truth.geojson --fix-geometry --add-missed-within 1
      """)

  @Argument(help: "The consensus layer (GeoJSON), with the rejected objects.")
  var consensus: String

  @Option(help: "The true objects (GeoJSON).")
  var truth: String

  @Option(help: "The probability that the reviewer decides an object correctly.")
  var accuracy: Double = 0.95

  @Option(help: "Seed of the reviewer's mistakes: the same seed gives the same curve.")
  var seed: UInt64 = 1

  @Option(help: "Score the final layer after every this many reviewed objects.")
  var every: Int = 100

  @Option(help: "The accept threshold on confidence (the workflow's default).")
  var accept: Double = Review.Thresholds.defaults.accept

  @Option(help: "The reject threshold on confidence (the workflow's default).")
  var reject: Double = Review.Thresholds.defaults.reject

  @Option(
    help:
      "The needs_review objects not reviewed yet: dropped from the final layer, or kept by their consensus status (consensus)."
  )
  var undecided: String = ReviewSimulation.Undecided.dropped.rawValue

  @Flag(help: "Replace the geometry of false objects that overlap a missed true object with its shape.")
  var fixGeometry = false

  @Option(
    help:
      "Add the missed true objects within this many times the reviewed object's larger side of its box (each add counts as one object reviewed)."
  )
  var addMissedWithin: Double?

  @Option(help: "Report where F1 first reaches this value.")
  var target: Double = 0.98

  func validate() throws {
    guard (0...1).contains(accuracy) else { throw ValidationError("--accuracy must be in 0...1") }
    guard every >= 1 else { throw ValidationError("--every must be at least 1") }
    if let addMissedWithin, !(addMissedWithin >= 0) {
      throw ValidationError("--add-missed-within must be 0 or more")
    }
    guard ReviewSimulation.Undecided(rawValue: undecided) != nil else {
      throw ValidationError("--undecided must be dropped or consensus")
    }
  }

  func run() throws {
    let outcome = try workflowCall {
      try ReviewSimulation.run(
        layer: consensus, truth: truth, thresholds: try Review.Thresholds(accept: accept, reject: reject),
        accuracy: accuracy, seed: seed, every: every,
        undecided: ReviewSimulation.Undecided(rawValue: undecided)!,
        fixes: ReviewSimulation.Fixes(geometry: fixGeometry, addWithin: addMissedWithin))
    }
    let fixing = fixGeometry || addMissedWithin != nil
    func percent(_ share: Double) -> String { String(format: "%.1f %%", share * 100) }
    print(
      "\(outcome.objects) objects, \(outcome.truth) true ones; thresholds accept \(accept), reject \(reject)")
    for state in Review.State.allCases {
      let count = outcome.count(state)
      print(
        "  \(state.rawValue): \(count) (\(percent(outcome.objects > 0 ? Double(count) / Double(outcome.objects) : 0))), "
          + "\(outcome.count(state, true: true)) true")
    }
    print(
      "every needs_review object decided correctly: F1 \(String(format: "%.3f", outcome.ceiling.f1))")
    print("reviewed  share     wrong  precision  recall  F1" + (fixing ? "     replaced  added" : ""))
    for point in outcome.points {
      print(
        String(
          format: "%8d  %6.1f %%  %5d  %9.3f  %6.3f  %.3f", point.reviewed, point.share * 100, point.wrong,
          point.score.precision, point.score.recall, point.score.f1)
          + (fixing ? String(format: "  %8d  %5d", point.replaced, point.added) : ""))
    }
    if let reached = outcome.firstReaching(target) {
      print("F1 ≥ \(target) first after \(reached.reviewed) objects reviewed (\(percent(reached.share)))")
    } else {
      print(
        "F1 never reaches \(target) (best \(String(format: "%.3f", outcome.points.map(\.score.f1).max() ?? 0)))"
      )
    }
  }
}
