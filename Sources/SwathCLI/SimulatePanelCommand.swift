import ArgumentParser
import Foundation
import SwathWorkflow

/// `swath simulate-panel`: a ground truth and K simulated annotators' submissions, as GeoJSON.
struct SimulatePanelCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate-panel",
    abstract: "Simulate an annotator panel with known truth (GeoJSON submissions, truth and chip index).",
    discussion: """
      Draws buildings (rotated rectangles, L-shapes, courtyards with a hole, sheds) and rows of vehicles
      (boxes) in a UTM scene, then K annotators with their own skill: vertex jitter, recall, false
      positives, label confusion, split objects, pieces cut at chip edges. Annotators alternate careful
      and average; the last is weak (unless --no-weak), and with --empty one more submits nothing.
      --profiles careful,weak chooses the annotators instead. Writes DIR/truth.geojson,
      DIR/chips.geojson, DIR/annotator-N.geojson and DIR/panel.json; with --gold-fraction F also
      DIR/gold-truth.geojson and DIR/gold-area.geojson (the truth on that share of the chips).

      Example:
        swath simulate-panel --out panel --objects 2000 --annotators 5 --empty --seed 7
        swath simulate-panel --out panel --profiles careful,weak --gold-fraction 0.05
      """)

  @Option(help: "Folder to write into (created if missing).")
  var out: String

  @Option(help: "Objects in the ground truth.")
  var objects: Int = 2000

  @Option(help: "Annotators in the panel.")
  var annotators: Int = 5

  @Option(help: "Seed: the same seed gives the same panel.")
  var seed: UInt64 = 1

  @Flag(inversion: .prefixedNo, help: "Make the last annotator a weak one.")
  var weak = true

  @Flag(help: "Make the last annotator submit an empty FeatureCollection.")
  var empty = false

  @Option(
    help:
      "The annotators' profiles in order, comma-separated (careful, average, weak, empty); replaces --annotators."
  )
  var profiles: String?

  @Option(
    name: .customLong("gold-fraction"),
    help:
      "Write gold-truth.geojson and gold-area.geojson: the truth on this share of the chips (at least one).")
  var goldFraction: Double?

  @Option(name: .customLong("chip-size"), help: "Chip edge length in metres (chip seams split objects).")
  var chipSize: Double = 250

  @Option(help: "The scene's UTM CRS.")
  var epsg: Int = 32633

  func validate() throws {
    guard objects >= 1, objects <= 5_000_000 else {
      throw ValidationError("--objects must be in 1...5000000")
    }
    guard annotators >= 1, annotators <= 100 else { throw ValidationError("--annotators must be in 1...100") }
    guard chipSize >= 10 else { throw ValidationError("--chip-size must be at least 10 m") }
    if let goldFraction, !(goldFraction > 0 && goldFraction <= 1) {
      throw ValidationError("--gold-fraction must be in (0, 1], got \(goldFraction)")
    }
  }

  func run() throws {
    let outcome = try workflowCall {
      try PanelFiles.simulate(
        into: URL(fileURLWithPath: out), objects: objects, annotators: annotators, seed: seed,
        weak: weak, empty: empty, chipSize: chipSize, epsg: epsg,
        profiles: profiles.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } },
        goldFraction: goldFraction)
    }
    print(
      "simulated \(outcome.objects) objects and \(outcome.shapes.count) annotators "
        + "(\(outcome.shapes.map { String($0) }.joined(separator: ", ")) shapes) in \(out)")
  }
}
