import Foundation
import SwathGeometry
import SwathSimulation
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// Simulated annotators copy the truth's attributes with their profile's error rate, and the
/// attribute accuracy measured over the F1 matching shows it.
@Suite struct AttributeAccuracyTests {
  static let names = ["occluded", "roof"]

  @Test func carefulAnnotatorsGetAttributesRightAtTheirRateAndWeakOnesLessOften() throws {
    let scene = PanelSimulator.scene(objects: 3000, seed: 11)
    let careful = AnnotatorProfile.careful("careful")
    let weak = AnnotatorProfile.weak("weak")
    let drawn = PanelSimulator.panel(scene: scene, profiles: [careful, weak], seed: 11)
    let measured = drawn.map {
      AttributeAccuracy.measure($0, against: scene.truth, attributes: Self.names)
    }
    for (profile, accuracy) in zip([careful, weak], measured) {
      // A wrong value is always a different value, so each attribute is right 1 − rate of the time;
      // about 800 (weak) to 2,500 (careful) matched pairs: ±4 standard errors.
      #expect(accuracy.matched > 600)
      for name in Self.names {
        let tally = try #require(accuracy.attributes[name])
        let value = try #require(tally.accuracy)
        let tolerance =
          4 * (profile.attributeError * (1 - profile.attributeError) / Double(tally.checked)).squareRoot()
        #expect(
          abs(value - (1 - profile.attributeError)) <= max(0.01, tolerance),
          "\(profile.name) \(name): \(value)")
        #expect(tally.present == tally.checked)
      }
    }
    let carefulOverall = try #require(measured[0].overall)
    let weakOverall = try #require(measured[1].overall)
    #expect(carefulOverall > weakOverall + 0.15, "\(carefulOverall) vs \(weakOverall)")
    // Shapes do not depend on the attributes: the same seed draws the same geometry without them.
    var random = SeededRandom(seed: 11 &* 0x9E37_79B9 &+ 1)
    let bare = PanelSimulator.annotate(
      truth: scene.truth, profile: careful, grid: scene.grid, extent: scene.extent, rng: &random)
    #expect(bare.map(\.geometry) == drawn[0].map(\.geometry))
  }

  @Test func theSceneTruthThroughTheSimulatorAndALayerWithoutAttributes() throws {
    let truth = try SceneGenerator.generate(SceneOptions()).labelFeatures()
    let names = ["roof", "type", "occluded"]
    var random = SeededRandom(seed: 3)
    let weak = AnnotatorProfile.weak("weak")
    let drawn = PanelSimulator.annotate(
      truth: truth, profile: weak, grid: nil,
      extent: MultiPolygon(truth.map(\.geometry).flatMap(\.polygons)).envelope!,
      rng: &random, schema: SceneTruth.labelSchema, attributeSeed: 3)
    let accuracy = AttributeAccuracy.measure(drawn, against: truth, attributes: names)
    #expect(accuracy.matched > 100)
    let overall = try #require(accuracy.overall)
    #expect(overall < 0.9 && overall > 0.5, "\(overall)")
    // Every enum value an annotator gives is one of the schema's.
    let roofs = Set(SceneTruth.labelSchema.label(named: "building")!.attribute(named: "roof")!.values)
    for feature in drawn where feature.label == "building" {
      #expect(roofs.contains(feature.properties["roof"]?.stringValue ?? ""))
    }
    // The truth against itself, and a layer that carries no attributes (an unvoted consensus).
    let same = AttributeAccuracy.measure(truth, against: truth, attributes: names)
    #expect(same.matched == truth.count && same.overall == 1)
    let bare = truth.map { feature in
      var copy = feature
      copy.properties = [:]
      return copy
    }
    let none = AttributeAccuracy.measure(bare, against: truth, attributes: names)
    #expect(none.matched == truth.count)
    #expect(none.overall == nil && none.attributes.values.allSatisfy { $0.accuracy == nil })
  }

  @Test func simulatePanelWritesAttributesIntoTruthAndAnnotatorFiles() throws {
    let folder = try TestSupport.temporaryDirectory("attr-panel")
    defer { try? FileManager.default.removeItem(at: folder) }
    _ = try PanelFiles.simulate(
      into: folder, objects: 200, annotators: 3, seed: 4, weak: true, empty: false, chipSize: 250,
      epsg: 32633)
    var options = ValidationOptions(parallelism: 1)
    // The schema written beside the files, for `swath merge --schema`, is the simulator's.
    options.schema = try LabelSchemaFile.read(folder.appendingPathComponent("labels.json"))
    #expect(options.schema == PanelSimulator.labelSchema)
    for name in ["truth", "annotator-1", "annotator-3"] {
      let document = try GeoJSONReader.read(
        contentsOf: folder.appendingPathComponent("\(name).geojson"), options: options)
      #expect(!document.features.isEmpty)
      // Jittered shapes may be invalid (a weak annotator's bow tie); their attributes may not.
      let attributeIssues = document.issues.filter {
        $0.code.hasSuffix("attribute") || $0.code == "shape-not-allowed"
      }
      #expect(attributeIssues.isEmpty, "\(name): \(attributeIssues.prefix(3).map(\.message))")
      for feature in document.features {
        #expect(feature.feature.properties["occluded"]?.boolValue != nil, "\(name)")
      }
    }
  }
}
