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
  public static func simulate(
    into folder: URL, objects: Int, annotators: Int, seed: UInt64, weak: Bool, empty: Bool,
    chipSize: Double, epsg: Int
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
    let profiles = PanelSimulator.profiles(count: annotators, weak: weak, empty: empty)
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
