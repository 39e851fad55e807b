import Foundation
import SwathGDAL
import SwathGeometry
import SwathSimulation
import SwathStore

/// The simulation behind `swath task simulate`.
/// How well a simulated annotator labels: the panel simulator's error profiles.
public enum SimulatedSkill: String, Sendable, CaseIterable {
  case careful, average, weak, empty
}

public enum TaskSimulation {
  static let labelSynonyms = ["shed": "building", "house": "building", "car": "vehicle", "truck": "vehicle"]

  public struct Outcome: Sendable {
    public var files: Int
    public var annotators: [String]
    public var truthObjects: Int
    public var manifest: String
  }

  static func run(
    task name: String, truth: String, out: String, profiles skillsGiven: [SimulatedSkill]?,
    pixelAnnotators: Set<String>, invalidAnnotator: String?, seed: UInt64, in store: any ProjectStore
  ) throws -> Outcome {
    let (task, image, chips, assigned) = try store.read {
      store -> (TaskRecord, ImageRecord, [ChipRecord], [(Int64, String)]) in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      let chips = try store.chips(ofTask: task.id!)
      let assigned = try store.assignments(ofTask: task.id!).map { ($0.chipId, $0.annotator) }
      return (task, image, chips, assigned)
    }
    let annotators = Array(Set(assigned.map(\.1))).sorted()
    guard !annotators.isEmpty else {
      throw WorkflowError("task '\(name)' has no assignments yet; assign annotators first", kind: .conflict)
    }
    guard let wkt = image.crsWkt, let transform = image.geotransform else {
      throw WorkflowError("image '\(image.name)' has no georeference")
    }
    for annotator in pixelAnnotators.union(invalidAnnotator.map { [$0] } ?? [])
    where !annotators.contains(annotator) {
      throw WorkflowError("'\(annotator)' has no chip in task '\(name)'")
    }
    let skills =
      skillsGiven ?? annotators.indices.map { $0 % 2 == 0 ? SimulatedSkill.careful : .average }
    guard skills.count == annotators.count else {
      throw WorkflowError(
        "\(skills.count) profile(s) given for \(annotators.count) annotator(s) (\(annotators.joined(separator: ",")))"
      )
    }
    let profiles = zip(annotators, skills).map { annotator, skill -> AnnotatorProfile in
      switch skill {
      case .careful: return .careful(annotator)
      case .average: return .average(annotator)
      case .weak: return .weak(annotator)
      case .empty: return .empty(annotator)
      }
    }

    let document = try GeoJSONReader.read(
      contentsOf: URL(fileURLWithPath: truth),
      options: ValidationOptions(labels: Set(task.labels), minArea: 0, parallelism: 1))
    let truthFeatures = document.features.filter(\.isValid).map(\.feature)
    guard !truthFeatures.isEmpty else {
      throw WorkflowError(
        "\(truth): no valid polygon with one of the task's labels (\(task.labels.joined(separator: ",")))")
    }
    // The image CRS is the working CRS: metres for the simulator, and the chips' own frame.
    let crs = try WorkingCRS(definition: wkt)
    let truthInImage = try truthFeatures.map { feature -> LabelFeature in
      var moved = feature
      moved.geometry = try crs.fromWGS84(feature.geometry)
      return moved
    }
    let imageTransform = GeoTransform(transform)
    let chipBoxes = Dictionary(
      uniqueKeysWithValues: try chips.map { chip -> (Int64, BoundingBox) in
        guard let box = MultiPolygon(Polygon(shell: try chip.outline(in: imageTransform))).envelope
        else { throw WorkflowError("chip \(chip.chipKey) has an empty window") }
        return (chip.id!, box)
      })
    let extent = chipBoxes.values.reduce(chipBoxes.values.first!) { $0.union($1) }

    // Attributes are copied with each profile's error rate: the task's own, else the sample
    // scene's (roof, type, occluded), which its truth carries.
    let taskSchema = try task.validationSchema()
    let attributeSchema = taskSchema.flatMap { $0.hasAttributes ? $0 : nil } ?? SceneTruth.labelSchema

    let outURL = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
    var manifest = "annotator\tchip\tfile\tpixel\n"
    var files = 0
    for (index, profile) in profiles.enumerated() {
      var random = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(index + 1))
      // An annotation tool offers only the task's labels: the simulator's finer ones map back.
      let drawn = PanelSimulator.annotate(
        truth: truthInImage, profile: profile, grid: nil, extent: extent, rng: &random,
        schema: attributeSchema, attributeSeed: seed &* 0xA24B_AED4 &+ UInt64(index + 1)
      ).map { feature in
        var mapped = feature
        if let label = feature.label, !task.labels.contains(label) {
          mapped.label = labelSynonyms[label].flatMap { task.labels.contains($0) ? $0 : nil } ?? label
        }
        if let taskSchema { mapped.properties = Self.fitted(mapped, to: taskSchema) }
        return mapped
      }
      let folder = outURL.appendingPathComponent(profile.name)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      var madeInvalid = false
      for (chipId, annotator) in assigned where annotator == profile.name {
        guard let chip = chips.first(where: { $0.id == chipId }) else { continue }
        let box = chipBoxes[chipId]!
        var features = drawn.filter { feature in
          guard let center = feature.geometry.envelope?.center else { return false }
          return box.minX <= center.x && center.x < box.maxX && box.minY <= center.y
            && center.y < box.maxY
        }
        let pixel = pixelAnnotators.contains(annotator)
        if pixel {
          guard let inverse = GeoTransform(chip.geotransform).inverted() else {
            throw WorkflowError("chip \(chip.chipKey) has a singular geotransform")
          }
          features = features.map { feature in
            var moved = feature
            moved.geometry = feature.geometry.mapPoints { point in
              let pixel = inverse.apply(column: point.x, row: point.y)
              return Point(pixel.x, pixel.y)
            }
            return moved
          }
        } else {
          features = try features.map { feature in
            var moved = feature
            moved.geometry = try crs.toWGS84(feature.geometry)
            return moved
          }
        }
        if annotator == invalidAnnotator, !madeInvalid, let first = features.first,
          let box = first.geometry.envelope
        {
          // A bow tie: the ring crosses itself, which the validator must refuse.
          madeInvalid = true
          var bowTie = first
          bowTie.geometry = MultiPolygon(
            Polygon(shell: [
              Point(box.minX, box.minY), Point(box.maxX, box.maxY), Point(box.maxX, box.minY),
              Point(box.minX, box.maxY), Point(box.minX, box.minY),
            ]))
          features.append(bowTie)
        }
        let file = folder.appendingPathComponent("\(chip.chipKey).geojson")
        try GeoJSONWriter.featureCollection(
          features: features, foreignMembers: ["annotator": .string(annotator)],
          decimals: pixel ? 3 : 9
        ).write(to: file)
        manifest += "\(annotator)\t\(chip.chipKey)\t\(file.path)\t\(pixel ? 1 : 0)\n"
        files += 1
      }
    }
    let manifestURL = outURL.appendingPathComponent("manifest.tsv")
    try Data(manifest.utf8).write(to: manifestURL)
    return Outcome(
      files: files, annotators: annotators, truthObjects: truthFeatures.count,
      manifest: manifestURL.path)
  }
}

extension TaskSimulation {
  /// What an annotation tool with the task's schema would save: only the label's attributes,
  /// and a value for each required one the simulator did not give (its first enum value, false,
  /// its minimum, empty text).
  static func fitted(_ feature: LabelFeature, to schema: LabelSchema) -> [String: JSONValue] {
    guard let label = feature.label.flatMap(schema.label(named:)) else { return [:] }
    var properties: [String: JSONValue] = [:]
    for attribute in label.attributes {
      if let value = feature.properties[attribute.name], attribute.problem(with: value) == nil {
        properties[attribute.name] = value
      } else if let value = attribute.defaultValue {
        properties[attribute.name] = value
      } else if attribute.required {
        switch attribute.type {
        case .enum: properties[attribute.name] = attribute.values.first.map(JSONValue.string)
        case .boolean: properties[attribute.name] = .bool(false)
        case .integer: properties[attribute.name] = .integer(Int64(attribute.minimum ?? 0))
        case .number: properties[attribute.name] = .number(attribute.minimum ?? 0)
        case .text: properties[attribute.name] = .string("")
        }
      }
    }
    return properties
  }
}

extension Workspace {
  /// Simulates a task's annotators from known truth: one GeoJSON file per assigned chip, and a
  /// manifest of the submissions to make.
  public func simulatePanel(
    task: String, truth: String, out: String, profiles: [SimulatedSkill]?,
    pixelAnnotators: Set<String>,
    invalidAnnotator: String?, seed: UInt64, by caller: Caller
  ) throws -> TaskSimulation.Outcome {
    try caller.require(.manageTasks)
    return try TaskSimulation.run(
      task: task, truth: truth, out: out, profiles: profiles, pixelAnnotators: pixelAnnotators,
      invalidAnnotator: invalidAnnotator, seed: seed, in: store)
  }
}
