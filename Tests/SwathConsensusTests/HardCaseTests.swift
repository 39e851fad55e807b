import Foundation
import SwathConsensus
import SwathGeometry
import Testing

/// Shapes laid out in metres in UTM 33N, handed to the engine in WGS84 as annotators submit them.
struct Scene {
  static let crs = try! WorkingCRS(epsg: 32633)
  static let origin = Point(400_000, 5_300_000)

  static func rectangle(_ cx: Double, _ cy: Double, _ width: Double, _ height: Double) -> MultiPolygon {
    MultiPolygon(
      BoundingBox(
        minX: origin.x + cx - width / 2, minY: origin.y + cy - height / 2, maxX: origin.x + cx + width / 2,
        maxY: origin.y + cy + height / 2
      ).polygon)
  }

  static func wgs84(_ geometry: MultiPolygon) -> MultiPolygon { try! crs.toWGS84(geometry) }

  static func building(
    _ cx: Double, _ cy: Double, _ width: Double = 12, _ height: Double = 8, label: String = "building"
  )
    -> LabelFeature
  {
    LabelFeature(label: label, shape: .polygon, geometry: wgs84(rectangle(cx, cy, width, height)))
  }

  static func car(_ cx: Double, _ cy: Double, label: String = "car") -> LabelFeature {
    LabelFeature(label: label, shape: .bbox, geometry: wgs84(rectangle(cx, cy, 4.5, 1.9)))
  }

  static func iou(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    try IoU.polygons(try crs.fromWGS84(a), try crs.fromWGS84(b))
  }

  static func run(
    _ submissions: [Submission], _ configure: (inout ConsensusOptions) throws -> Void = { _ in }
  )
    throws
    -> ConsensusResult
  {
    var options = ConsensusOptions()
    try configure(&options)
    return try ConsensusEngine.run(submissions, options: options)
  }
}

@Suite struct HardCaseTests {
  @Test func twoAnnotatorsFallBackToMajority() throws {
    let a = Submission(annotator: "a", features: [Scene.building(0, 0), Scene.building(40, 0)])
    let b = Submission(annotator: "b", features: [Scene.building(0.3, 0.2)])
    let lenient = try Scene.run([a, b])
    #expect(lenient.report.method == .weighted)
    #expect(lenient.report.methodUsed == .majority)
    #expect(lenient.report.quorum.required == 1)
    #expect(lenient.objects.map(\.support).sorted() == [1, 2])
    #expect(lenient.objects.allSatisfy { $0.confidence == nil })
    let strict = try Scene.run([a, b]) { $0.quorum = try .count(2) }
    #expect(strict.objects.count == 1)
    #expect(strict.objects[0].annotators == ["a", "b"])
  }

  @Test func allDisagree() throws {
    let submissions = ["a", "b", "c"].enumerated().map { index, name in
      Submission(annotator: name, features: [Scene.building(Double(index) * 40, 0)])
    }
    #expect(try Scene.run(submissions).objects.isEmpty)
    #expect(try Scene.run(submissions) { $0.method = .majority }.objects.isEmpty)
    let everything = try Scene.run(submissions) { $0.includeRejected = true }
    #expect(everything.objects.count == 3)
    #expect(
      everything.objects.allSatisfy { $0.status == .rejected && $0.support == 1 && $0.confidence! < 0.5 })
    #expect(everything.report.agreement.overall == 0)
  }

  @Test func oneAnnotatorWithTwoShapesOverOneObject() throws {
    // a drew the building twice (two overlapping chips); b and c once.
    let a = Submission(annotator: "a", features: [Scene.building(0, 0), Scene.building(0.4, -0.3)])
    let b = Submission(annotator: "b", features: [Scene.building(0.2, 0.1)])
    let c = Submission(annotator: "c", features: [Scene.building(-0.2, 0)])
    let result = try Scene.run([a, b, c]) { $0.method = .majority }
    #expect(result.objects.count == 1)
    #expect(result.objects[0].support == 3)
    let reportA = result.report.annotators.first { $0.annotator == "a" }!
    #expect(reportA.stitched == 1)
    #expect(reportA.extra == 0)
    #expect(reportA.matched == 1)
  }

  @Test func aBuildingSplitByAChipSeam() throws {
    // Two chips meeting at x = 1 (local metres); the building spans x = -6...6.
    let chips = [
      ChipFootprint(id: "west", footprint: Scene.wgs84(Scene.rectangle(-49, 0, 100, 100))),
      ChipFootprint(id: "east", footprint: Scene.wgs84(Scene.rectangle(51, 0, 100, 100))),
    ]
    let west = LabelFeature(
      label: "building", shape: .polygon, geometry: Scene.wgs84(Scene.rectangle(-2.5, 0, 7, 8)))
    let east = LabelFeature(
      label: "building", shape: .polygon, geometry: Scene.wgs84(Scene.rectangle(3.5, 0, 5, 8)))
    let a = Submission(annotator: "a", features: [west, east])
    let b = Submission(annotator: "b", features: [Scene.building(0.2, 0)])
    let c = Submission(annotator: "c", features: [Scene.building(-0.2, 0.1)])
    let stitched = try Scene.run([a, b, c]) {
      $0.chips = chips
      $0.method = .majority
    }
    #expect(stitched.objects.count == 1)
    #expect(stitched.objects[0].support == 3)
    #expect(stitched.report.annotators.first { $0.annotator == "a" }!.stitched == 1)
    #expect(try Scene.iou(stitched.objects[0].geometry, Scene.building(0, 0).geometry) > 0.95)
    #expect(Topology.validity(try Scene.crs.fromWGS84(stitched.objects[0].geometry)).isValid)
    #expect(stitched.report.annotators.first { $0.annotator == "a" }!.extra == 0)
    // Without the chip index the pieces stay apart: the larger one matches, the other is extra.
    let apart = try Scene.run([a, b, c]) { $0.method = .majority }
    let reportA = apart.report.annotators.first { $0.annotator == "a" }!
    #expect(reportA.stitched == 0 && reportA.extra == 1)
    #expect(apart.objects.count == 1)
  }

  @Test func nestedObjectsStayApart() throws {
    // A car parked in a courtyard (the building's hole) and a shed on a large roof.
    let courtyard = Scene.wgs84(
      MultiPolygon(
        Polygon(
          shell: Scene.rectangle(0, 0, 30, 30).polygons[0].shell,
          holes: [Scene.rectangle(0, 0, 12, 12).polygons[0].shell.reversed()])))
    let submissions = ["a", "b", "c"].map { name in
      Submission(
        annotator: name,
        features: [
          LabelFeature(label: "building", shape: .polygon, geometry: courtyard), Scene.car(0, 0),
          Scene.building(60, 0, 30, 20), Scene.building(60, 0, 4, 3, label: "shed"),
        ])
    }
    let result = try Scene.run(submissions)
    #expect(result.objects.count == 4)
    #expect(result.objects.map { $0.label ?? "" }.sorted() == ["building", "building", "car", "shed"])
    let building = result.objects.first { $0.label == "building" && $0.geometry.polygons[0].holes.count == 1 }
    #expect(building != nil, "the courtyard keeps its hole")
    #expect(result.objects.allSatisfy { $0.support == 3 && $0.conflicts.isEmpty })
  }

  @Test func identicalShapes() throws {
    let shape = Scene.building(0, 0, 11.3, 7.7)
    let submissions = ["a", "b", "c"].map { Submission(annotator: $0, features: [shape, Scene.car(30, 0)]) }
    let result = try Scene.run(submissions)
    #expect(result.objects.count == 2)
    for object in result.objects {
      #expect(object.iouMean == 1)
      let input = object.shape == .bbox ? Scene.car(30, 0).geometry : shape.geometry
      // Output is rounded to 8 decimals (about a millimetre): a 2 m vehicle box keeps all but
      // a few hundredths of a percent of IoU with itself (6 decimals would cost a few percent).
      #expect(try Scene.iou(object.geometry, input) > 0.999)
    }
    #expect(result.report.agreement.overall == 1)
  }

  @Test func anEmptySubmissionIsAVote() throws {
    let a = Submission(annotator: "a", features: [Scene.building(0, 0)])
    let b = Submission(annotator: "b", features: [Scene.building(0.2, 0.2)])
    let empty = Submission(annotator: "c", features: [])
    let result = try Scene.run([a, b, empty]) { $0.method = .majority }
    #expect(result.report.assigned == 3)
    #expect(result.report.quorum.required == 2)
    #expect(result.objects.count == 1)
    #expect(result.objects[0].assigned == 3)
    let reportC = result.report.annotators.first { $0.annotator == "c" }!
    #expect(reportC.missed == 1 && reportC.shapes == 0 && reportC.recall == 0)
    // With a quorum of 3 the empty answer vetoes; everyone empty is no object and no crash.
    #expect(
      try Scene.run([a, b, empty]) {
        $0.method = .majority
        $0.quorum = try .count(3)
      }.objects.isEmpty)
    let nothing = try Scene.run([
      Submission(annotator: "x", features: []), Submission(annotator: "y", features: []),
    ])
    #expect(nothing.objects.isEmpty)
    #expect(nothing.report.agreement.overall == 1)
  }

  @Test func aSubmissionOfInvalidShapesOnly() throws {
    let origin = Scene.origin
    let bowtie = LabelFeature(
      id: "bow", label: "building", shape: .polygon,
      geometry: Scene.wgs84(
        MultiPolygon(
          Polygon(shell: [
            Point(origin.x, origin.y), Point(origin.x + 10, origin.y + 10), Point(origin.x + 10, origin.y),
            Point(origin.x, origin.y + 10), Point(origin.x, origin.y),
          ]))))
    let broken = Submission(
      annotator: "d", features: [bowtie],
      invalid: [InvalidFeature(index: 1, id: "f2", reasons: ["unclosed-ring: the ring is not closed"])])
    let a = Submission(annotator: "a", features: [Scene.building(5, 5, 10, 10)])
    let b = Submission(annotator: "b", features: [Scene.building(5.2, 5, 10, 10)])
    let result = try Scene.run([a, b, broken]) { $0.method = .majority }
    #expect(result.objects.count == 1)
    #expect(result.objects[0].annotators == ["a", "b"])
    let reportD = result.report.annotators.first { $0.annotator == "d" }!
    #expect(reportD.submitted == 2 && reportD.invalid == 2 && reportD.shapes == 0 && reportD.missed == 1)
    let reasons = result.report.invalidFeatures.filter { $0.annotator == "d" }
    #expect(reasons.map(\.index) == [0, 1])
    #expect(reasons[0].reasons[0].contains("Self-intersection"))
  }

  @Test func aSplitLabelVoteIsAConflict() throws {
    let submissions = [("a", "car"), ("b", "car"), ("c", "truck")].map { name, label in
      Submission(annotator: name, features: [Scene.car(0, 0, label: label)])
    }
    let result = try Scene.run(submissions) { $0.method = .majority }
    #expect(result.objects.count == 1)
    #expect(result.objects[0].label == "car")
    #expect(result.objects[0].votes == ["car": 2, "truck": 1])
    #expect(result.objects[0].conflicts == ["label"])
    let tie = try Scene.run(
      Array(submissions.prefix(1)) + [Submission(annotator: "c", features: [Scene.car(0, 0, label: "truck")])]
    )
    #expect(tie.objects.count == 1)
    #expect(tie.objects[0].conflicts.contains("label_tie"))
  }

  @Test func smallBoxesMatchThroughTheirMedianNotPairwise() throws {
    // Three careful boxes of a 1.9 m wide car, two of them 0.55 m off to either side:
    // their pairwise IoU is 0.27, yet each sits on the median box with IoU 0.55.
    let offsets = [(0.0, -0.55), (0.0, 0.55), (0.1, 0.0)]
    let submissions = offsets.enumerated().map { index, offset in
      Submission(annotator: "a\(index)", features: [Scene.car(offset.0, offset.1)])
    }
    let boxes = submissions.map { $0.features[0].geometry }
    #expect(try Scene.iou(boxes[0], boxes[1]) < 0.5)
    let result = try Scene.run(submissions) { $0.includeRejected = true }
    try #require(result.objects.count == 1)
    #expect(result.objects[0].support == 3)
    #expect(result.objects[0].status == .accepted)
  }
}
