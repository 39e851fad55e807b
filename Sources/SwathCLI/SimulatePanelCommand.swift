import ArgumentParser
import Foundation
import SwathGeometry
import SwathSimulation

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
      Writes DIR/truth.geojson, DIR/chips.geojson, DIR/annotator-N.geojson and DIR/panel.json.

      Example:
        swath simulate-panel --out panel --objects 2000 --annotators 5 --empty --seed 7
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
  }

  func run() throws {
    let folder = URL(fileURLWithPath: out)
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw SwathFailure("cannot create \(out): \((error as NSError).localizedDescription)")
    }
    let crs: WorkingCRS
    do {
      crs = try WorkingCRS(epsg: epsg)
    } catch {
      throw SwathFailure("--epsg \(epsg): \(error)", exitCode: 2)
    }
    let scene = PanelSimulator.scene(objects: objects, seed: seed, epsg: epsg, chipSize: chipSize)
    let profiles = PanelSimulator.profiles(count: annotators, weak: weak, empty: empty)
    let drawn = PanelSimulator.panel(scene: scene, profiles: profiles, seed: seed)

    var files: [(data: Data, path: String)] = []
    let path = { (name: String) in folder.appendingPathComponent(name).path }
    files.append(
      (
        GeoJSONWriter.featureCollection(features: try PanelSimulator.toWGS84(scene.truth, crs: crs)),
        path("truth.geojson")
      ))
    let chips = try scene.grid.chips.map { chip in
      LabelFeature(
        id: chip.id, label: nil, shape: .polygon, geometry: try crs.toWGS84(MultiPolygon(chip.box.polygon)),
        properties: ["id": .string(chip.id)])
    }
    files.append((GeoJSONWriter.featureCollection(features: chips), path("chips.geojson")))
    for (profile, features) in zip(profiles, drawn) {
      files.append(
        (
          GeoJSONWriter.featureCollection(
            features: try PanelSimulator.toWGS84(features, crs: crs),
            foreignMembers: ["annotator": .string(profile.name)]), path("\(profile.name).geojson")
        ))
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    struct Manifest: Encodable {
      var seed: UInt64
      var epsg: Int
      var objects: Int
      var chipSize: Double
      var annotators: [AnnotatorProfile]
      var shapes: [String: Int]
    }
    let manifest = Manifest(
      seed: seed, epsg: epsg, objects: scene.truth.count, chipSize: chipSize, annotators: profiles,
      shapes: Dictionary(uniqueKeysWithValues: zip(profiles.map(\.name), drawn.map(\.count))))
    files.append((try encoder.encode(manifest), path("panel.json")))
    try MergeOutputs.write(files)
    print(
      "simulated \(scene.truth.count) objects and \(profiles.count) annotators "
        + "(\(drawn.map { String($0.count) }.joined(separator: ", ")) shapes) in \(out)")
  }
}
