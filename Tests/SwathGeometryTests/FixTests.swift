import Foundation
import SwathTestSupport
import Testing

@testable import SwathGeometry

/// `--fix` repairs: what is repaired, what is left out, and that the result validates.
@Suite("Feature repair")
struct FixTests {
  static let options = ValidationOptions(parallelism: 1)

  static func repair(
    _ geometry: String, type: String = "Polygon", properties: String = "{}",
    options: ValidationOptions = options
  )
    -> FeatureRepair
  {
    let text =
      #"{"type":"Feature","id":"f","properties":\#(properties),"geometry":{"type":"\#(type)","coordinates":\#(geometry)}}"#
    let document = GeoJSONReader.read(data: Data(text.utf8), options: options)
    return FeatureFixer.repair(document.features[0], options: options)
  }

  static func revalidate(_ feature: LabelFeature) -> GeoJSONDocument {
    GeoJSONReader.read(data: GeoJSONWriter.featureCollection(features: [feature]), options: options)
  }

  @Test func bowtieIsRepairedWithMakeValid() throws {
    let result = Self.repair("[[[13.4,52.5],[13.401,52.501],[13.401,52.5],[13.4,52.501],[13.4,52.5]]]")
    #expect(result.action == .repaired)
    #expect(result.changes.contains { $0.contains("make-valid") && $0.contains("Self-intersection") })
    let feature = try #require(result.feature)
    #expect(feature.geometry.polygons.count == 2)
    #expect(Self.revalidate(feature).issues.isEmpty)
    // Both triangles keep their area: 2 × ¼ of the box.
    let box = 0.001 * 0.001
    #expect(abs(Topology.area(feature.geometry) - box / 2) < box * 1e-6)
  }

  @Test func unclosedRepeatedAndClockwiseRingsAreMended() throws {
    // Clockwise, unclosed, one repeated corner.
    let result = Self.repair("[[[13.4,52.5],[13.4,52.501],[13.4,52.501],[13.401,52.501],[13.401,52.5]]]")
    #expect(result.action == .repaired)
    #expect(result.changes.contains("closed 1 ring"))
    #expect(result.changes.contains("dropped 1 repeated position"))
    #expect(result.changes.contains("rewound rings to the right-hand rule"))
    let feature = try #require(result.feature)
    let shell = feature.geometry.polygons[0].shell
    #expect(shell.count == 5)
    #expect(shell.first == shell.last)
    #expect(Topology.ringSignedArea(shell) > 0)
    #expect(Self.revalidate(feature).issues.isEmpty)
  }

  @Test func threePositionRingIsClosedWhenItHasThreeCorners() throws {
    let result = Self.repair("[[[13.4,52.5],[13.401,52.5],[13.401,52.501]]]")
    #expect(result.action == .repaired)
    #expect(try #require(result.feature).geometry.polygons[0].shell.count == 4)
  }

  @Test func degenerateHoleIsDroppedAndSaidSo() throws {
    let result = Self.repair(
      "[[[13.4,52.5],[13.401,52.5],[13.401,52.501],[13.4,52.501],[13.4,52.5]],[[13.4002,52.5002],[13.4004,52.5002],[13.4002,52.5002]]]"
    )
    #expect(result.action == .repaired)
    #expect(result.changes.contains { $0.hasPrefix("dropped hole 1") })
    #expect(try #require(result.feature).geometry.polygons[0].holes.isEmpty)
  }

  @Test func whatCannotBeRepairedIsLeftOutWithAReason() {
    let sliver = Self.repair("[[[13.4,52.5],[13.4001,52.5],[13.4001,52.5000001],[13.4,52.5]]]")
    #expect(sliver.action == .omitted)
    #expect(sliver.reason?.contains("area-below-minimum") == true)
    #expect(sliver.feature == nil)
    let outOfRange = Self.repair("[[[200,52.5],[200.001,52.5],[200.001,52.501],[200,52.5]]]")
    #expect(outOfRange.action == .omitted)
    #expect(outOfRange.reason?.contains("longitude-out-of-range") == true)
    let labelled = Self.repair(
      "[[[13.4,52.5],[13.401,52.5],[13.401,52.501],[13.4,52.5]]]", properties: #"{"label":"tree"}"#,
      options: ValidationOptions(labels: ["building"], parallelism: 1))
    #expect(labelled.reason?.contains("unknown-label") == true)
    let line = Self.repair(
      "[[13.4,52.5],[13.401,52.5]]", type: "LineString",
      options: ValidationOptions(geometry: .any, parallelism: 1))
    #expect(line.action == .omitted)
    #expect(line.reason?.contains("LineString") == true)
    // A bowtie drawn as a bbox: make-valid gives two triangles, which are not a box.
    let bboxBowtie = Self.repair(
      "[[[13.4,52.5],[13.401,52.501],[13.401,52.5],[13.4,52.501],[13.4,52.5]]]",
      properties: #"{"shape":"bbox"}"#)
    #expect(bboxBowtie.action == .omitted)
    #expect(bboxBowtie.reason?.contains("bbox-not-aligned") == true)
  }

  @Test func validFeatureIsKeptUnchanged() throws {
    let result = Self.repair(
      "[[[13.4,52.5],[13.401,52.5],[13.401,52.501],[13.4,52.501],[13.4,52.5]]]",
      properties: #"{"label":"building","shape":"polygon","score":0.5}"#)
    #expect(result.action == .kept)
    #expect(result.changes.isEmpty)
    let feature = try #require(result.feature)
    #expect(feature.label == "building")
    #expect(feature.properties == ["score": .number(0.5)])
    #expect(feature.id == "f")
  }
}
