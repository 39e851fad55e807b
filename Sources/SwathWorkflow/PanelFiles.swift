import Foundation
import SwathGeometry
import SwathSimulation
import SwathSupport

/// `swath simulate-panel`: a ground truth and simulated annotators' submissions as GeoJSON files,
/// for benchmarks and tests of the consensus engine.
public enum PanelFiles {
  public struct Outcome: Sendable {
    public var objects: Int
    /// Shapes drawn by each annotator, in panel order.
    public var shapes: [Int]
  }

  /// Writes FOLDER/truth.geojson, chips.geojson, one file per annotator, labels.json (the label
  /// schema of their attributes, for `swath merge --schema`) and panel.json, all or none of them.
  /// `profiles` (careful, average, weak, empty) chooses the annotators instead of `annotators`,
  /// `weak` and `empty`. With `goldFraction`, that share of the chips (at least one) is gold:
  /// gold-truth.geojson holds the truth inside them and gold-area.geojson their footprints, for
  /// `swath merge --gold --gold-area`.
  public static func simulate(
    into folder: URL, objects: Int, annotators: Int, seed: UInt64, weak: Bool, empty: Bool,
    chipSize: Double, epsg: Int, profiles kinds: [String]? = nil, goldFraction: Double? = nil
  ) throws -> Outcome {
    do {
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    } catch {
      throw WorkflowError(
        "cannot create \(folder.path): \((error as NSError).localizedDescription)", kind: .environment)
    }
    let crs: WorkingCRS
    do {
      crs = try WorkingCRS(epsg: epsg)
    } catch {
      throw WorkflowError("EPSG:\(epsg): \(error)")
    }
    let scene = PanelSimulator.scene(objects: objects, seed: seed, epsg: epsg, chipSize: chipSize)
    var profiles = PanelSimulator.profiles(count: annotators, weak: weak, empty: empty)
    if let kinds {
      profiles = try kinds.enumerated().map { index, kind in
        guard let profile = PanelSimulator.profile(kind, name: "annotator-\(index + 1)") else {
          throw WorkflowError("unknown annotator profile '\(kind)': use careful, average, weak or empty")
        }
        return profile
      }
    }
    let drawn = PanelSimulator.panel(scene: scene, profiles: profiles, seed: seed)

    var files: [(data: Data, destination: URL)] = []
    let path = { (name: String) in folder.appendingPathComponent(name) }
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
    if let goldFraction {
      let goldChips = PanelSimulator.goldChips(grid: scene.grid, fraction: goldFraction, seed: seed)
      let truth = PanelSimulator.truth(scene.truth, inside: goldChips)
      files.append(
        (
          GeoJSONWriter.featureCollection(features: try PanelSimulator.toWGS84(truth, crs: crs)),
          path("gold-truth.geojson")
        ))
      let area = try goldChips.map { chip in
        LabelFeature(
          id: chip.id, label: nil, shape: .polygon,
          geometry: try crs.toWGS84(MultiPolygon(chip.box.polygon)), properties: ["id": .string(chip.id)])
      }
      files.append((GeoJSONWriter.featureCollection(features: area), path("gold-area.geojson")))
    }
    for (profile, features) in zip(profiles, drawn) {
      files.append(
        (
          GeoJSONWriter.featureCollection(
            features: try PanelSimulator.toWGS84(features, crs: crs),
            foreignMembers: ["annotator": .string(profile.name)]), path("\(profile.name).geojson")
        ))
    }
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
    files.append((PanelSimulator.labelSchema.json.jsonData(format: .pretty), path("labels.json")))
    files.append((try JSONValueEncoder().encodeData(manifest, format: .pretty), path("panel.json")))
    do {
      try AtomicFile.writeAll(files)
    } catch let error as FileWriteError {
      throw WorkflowError(error.message, kind: .environment)
    }
    return Outcome(objects: scene.truth.count, shapes: drawn.map(\.count))
  }
}
