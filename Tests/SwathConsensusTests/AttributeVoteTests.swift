import Foundation
import SwathConsensus
import SwathGeometry
import Testing

// Attribute values written as literals in these tests.
extension JSONValue: ExpressibleByStringLiteral, ExpressibleByBooleanLiteral,
  ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral
{
  public init(stringLiteral value: String) { self = .string(value) }
  public init(booleanLiteral value: Bool) { self = .bool(value) }
  public init(integerLiteral value: Int64) { self = .integer(value) }
  public init(floatLiteral value: Double) { self = .number(value) }
}

/// Attributes of the winning label voted per object: plurality, median, weights, conflicts, and
/// each annotator's agreement with the result.
@Suite struct AttributeVoteTests {
  static let schema = LabelSchema(labels: [
    LabelDefinition(
      name: "building",
      attributes: [
        AttributeDefinition(name: "roof", type: .enum, values: ["gable", "hip", "flat"]),
        AttributeDefinition(name: "occluded", type: .boolean),
        AttributeDefinition(name: "floors", type: .integer, minimum: 1),
        AttributeDefinition(name: "height", type: .number),
      ]),
    LabelDefinition(
      name: "shed", attributes: [AttributeDefinition(name: "roof", type: .enum, values: ["flat", "lean-to"])]),
  ])

  static func building(
    _ cx: Double, _ cy: Double, label: String = "building", _ attributes: [String: JSONValue]
  ) -> LabelFeature {
    var feature = Scene.building(cx, cy, label: label)
    feature.properties = attributes
    return feature
  }

  /// Three buildings drawn by a, b and c; d draws only a building nobody else saw.
  static func panel() -> [Submission] {
    let a = Submission(
      annotator: "a",
      features: [
        building(0, 0, ["roof": "gable", "occluded": false, "floors": 2, "height": 7.0]),
        building(40, 0, ["roof": "flat", "occluded": false, "floors": 1, "height": 4.0]),
        building(80, 0, ["roof": "hip", "occluded": false, "floors": 2, "height": 6.0]),
      ])
    let b = Submission(
      annotator: "b",
      features: [
        building(0.2, 0.1, ["roof": "gable", "occluded": true, "floors": 3, "height": 8.0]),
        building(40.2, 0.1, ["roof": "flat", "occluded": false, "floors": 1, "height": 4.0]),
        building(80.2, 0.1, ["roof": "hip", "occluded": false, "floors": 4, "height": 9.0]),
      ])
    let c = Submission(
      annotator: "c",
      features: [
        building(-0.2, 0.1, ["roof": "hip", "occluded": false, "floors": 5, "height": 10.5]),
        building(39.8, 0.1, ["roof": "flat", "occluded": false, "floors": 1, "height": 4]),
        // No floors and no height: c does not vote on them here.
        building(79.8, 0.1, ["roof": "hip", "occluded": false]),
      ])
    let d = Submission(annotator: "d", features: [building(200, 0, [:])])
    return [a, b, c, d]
  }

  /// The accepted objects from west to east.
  static func objects(_ result: ConsensusResult) -> [ConsensusObject] {
    result.objects.filter { $0.status == .accepted }.sorted {
      ($0.geometry.envelope?.minX ?? 0) < ($1.geometry.envelope?.minX ?? 0)
    }
  }

  @Test func pluralityForEnumsAndBooleansMedianForNumbersIntegersStayIntegers() throws {
    let result = try Scene.run(Self.panel()) {
      $0.method = .majority
      $0.schema = Self.schema
    }
    let objects = Self.objects(result)
    try #require(objects.count == 3)
    // 2 of 3 say gable; 2 of 3 not occluded; floors 2, 3, 5 → 3; heights 7, 8, 10.5 → 8.
    #expect(objects[0].attributes == ["roof": "gable", "occluded": false, "floors": 3, "height": .number(8)])
    #expect(objects[1].attributes == ["roof": "flat", "occluded": false, "floors": 1, "height": .number(4)])
    // Only a and b give floors (2, 4) and height (6, 9): the integer takes the lower middle value,
    // a number the midpoint.
    #expect(
      objects[2].attributes == [
        "roof": "hip", "occluded": false, "floors": .integer(2), "height": .number(7.5),
      ])
    // The attributes are the output feature's own properties, beside Swath's.
    let properties = objects[0].feature.properties
    #expect(properties["roof"] == "gable" && properties["floors"] == .integer(3))
    #expect(properties["support"] == .integer(3))
  }

  @Test func aConflictPerAttributeExactlyWhereTheMembersDisagree() throws {
    let result = try Scene.run(Self.panel()) {
      $0.method = .majority
      $0.schema = Self.schema
    }
    let objects = Self.objects(result)
    try #require(objects.count == 3)
    #expect(
      objects[0].conflicts == [
        "attribute:floors", "attribute:height", "attribute:occluded", "attribute:roof",
      ])
    // 4 and 4.0 are one answer.
    #expect(objects[1].conflicts == [])
    // c gave no floors or height, so only a's and b's values are compared.
    #expect(objects[2].conflicts == ["attribute:floors", "attribute:height"])
    #expect(result.report.conflicts["attribute:roof"] == 1)
    #expect(result.report.conflicts["attribute:occluded"] == 1)
    #expect(result.report.conflicts["attribute:floors"] == 2)
    #expect(result.report.conflicts["attribute:height"] == 2)
  }

  @Test func eachAnnotatorsAgreementWithTheConsensusValues() throws {
    let result = try Scene.run(Self.panel()) {
      $0.method = .majority
      $0.schema = Self.schema
    }
    let byName = Dictionary(uniqueKeysWithValues: result.report.annotators.map { ($0.annotator, $0) })
    // a: 2 of 4 on the first object, 4 of 4, then 3 of 4 (height 6 is not 7.5) → 9 of 12.
    #expect(byName["a"]?.attributeValues == 12 && byName["a"]?.attributeAgreement == 0.75)
    // b: 3 of 4, 4 of 4, 2 of 4 → 9 of 12.
    #expect(byName["b"]?.attributeValues == 12 && byName["b"]?.attributeAgreement == 0.75)
    // c: 1 of 4, 4 of 4, 2 of 2 → 7 of 10.
    #expect(byName["c"]?.attributeValues == 10 && byName["c"]?.attributeAgreement == 0.7)
    // d's only building was not accepted: no value on an accepted object, so no agreement.
    #expect(byName["d"]?.attributeValues == 0 && byName["d"]?.attributeAgreement == nil)
    let perAttribute = try #require(result.report.attributeAgreement)
    #expect(perAttribute["roof"] == .init(objects: 3, values: 9, agreement: 0.888889))
    #expect(perAttribute["occluded"] == .init(objects: 3, values: 9, agreement: 0.888889))
    #expect(perAttribute["floors"] == .init(objects: 3, values: 8, agreement: 0.625))
    #expect(perAttribute["height"] == .init(objects: 3, values: 8, agreement: 0.5))

    let json = try #require(
      try JSONSerialization.jsonObject(with: result.report.jsonData()) as? [String: Any])
    let annotators = try #require(json["annotators"] as? [[String: Any]])
    let d = try #require(annotators.first { $0["annotator"] as? String == "d" })
    // Written as an explicit null, not left out.
    #expect(d.keys.contains("attribute_agreement") && d["attribute_agreement"] is NSNull)
    #expect(annotators.first { $0["annotator"] as? String == "c" }?["attribute_agreement"] as? Double == 0.7)
  }

  @Test func underWeightedAPreciseAnnotatorOutweighsTwoImpreciseOnes() throws {
    // Five buildings everyone draws; a and b also draw ten buildings each that nobody else sees,
    // so their estimated precision is low and c's high.
    func real(_ index: Int, _ attributes: [String: JSONValue]) -> LabelFeature {
      Self.building(Double(index) * 40, 0, attributes)
    }
    func extras(_ row: Double) -> [LabelFeature] {
      (0..<10).map { Self.building(Double($0) * 40, row, ["roof": "flat"]) }
    }
    let a = Submission(
      annotator: "a",
      features: [real(0, ["roof": "flat", "floors": 2])] + (1..<5).map { real($0, ["roof": "hip"]) }
        + extras(100))
    let b = Submission(
      annotator: "b",
      features: [real(0, ["roof": "flat", "floors": 2])] + (1..<5).map { real($0, ["roof": "hip"]) }
        + extras(200))
    let c = Submission(
      annotator: "c",
      features: [real(0, ["roof": "gable", "floors": 6])] + (1..<5).map { real($0, ["roof": "hip"]) })

    let weighted = try Scene.run([a, b, c]) { $0.schema = Self.schema }
    #expect(weighted.report.methodUsed == .weighted)
    let byName = Dictionary(uniqueKeysWithValues: weighted.report.annotators.map { ($0.annotator, $0) })
    #expect((byName["a"]?.precision ?? 1) < 0.5 && byName["c"]?.precision == 1)
    let first = try #require(Self.objects(weighted).first)
    #expect(first.support == 3)
    // c's precision outweighs a's and b's together: gable, and c's 6 floors as the weighted median.
    #expect(first.attributes == ["roof": "gable", "floors": 6])
    #expect(first.conflicts.contains("attribute:roof") && first.conflicts.contains("attribute:floors"))

    let majority = try Scene.run([a, b, c]) {
      $0.method = .majority
      $0.schema = Self.schema
    }
    let unweighted = try #require(Self.objects(majority).first)
    #expect(unweighted.attributes == ["roof": "flat", "floors": 2])
  }

  @Test func onlyValuesTheWinningLabelAllowsAreVoted() throws {
    // c calls it a shed with a lean-to roof, a value buildings do not take.
    let a = Submission(annotator: "a", features: [Self.building(0, 0, ["roof": "hip"])])
    let b = Submission(annotator: "b", features: [Self.building(0.2, 0, ["roof": "hip"])])
    let c = Submission(annotator: "c", features: [Self.building(0, 0.2, label: "shed", ["roof": "lean-to"])])
    let result = try Scene.run([a, b, c]) {
      $0.method = .majority
      $0.schema = Self.schema
    }
    let object = try #require(result.objects.first)
    #expect(object.label == "building")
    #expect(object.attributes == ["roof": "hip"])
    #expect(object.conflicts == ["label"])
  }

  @Test func withoutASchemaNothingIsVotedAndTheReportIsUnchanged() throws {
    let result = try Scene.run(Self.panel()) { $0.method = .majority }
    #expect(result.objects.allSatisfy { $0.attributes.isEmpty })
    #expect(result.objects.allSatisfy { !$0.conflicts.contains { $0.hasPrefix("attribute:") } })
    #expect(result.objects.allSatisfy { $0.feature.properties["roof"] == nil })
    #expect(result.report.attributeAgreement == nil)
    #expect(result.report.annotators.allSatisfy { $0.attributeValues == nil && $0.attributeAgreement == nil })
    let text = String(decoding: try result.report.jsonData(), as: UTF8.self)
    #expect(!text.contains("attribute_"))
  }

  @Test func theOrderOfSubmissionsAndFeaturesDoesNotChangeTheVote() throws {
    let panel = Self.panel()
    let reversed = panel.reversed().map {
      Submission(annotator: $0.annotator, features: $0.features.reversed(), invalid: $0.invalid)
    }
    let forward = try Scene.run(panel) { $0.schema = Self.schema }
    let backward = try Scene.run(reversed) { $0.schema = Self.schema }
    #expect(forward.objects == backward.objects)
    #expect(forward.report == backward.report)
  }
}
