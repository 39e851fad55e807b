import Foundation
import SwathTestSupport
import Testing

@testable import SwathGeometry

@Suite struct IoUTests {
  struct Case: Decodable {
    var id: String
    var iou: Double
    var aGeojson: FixtureGeometry
    var bGeojson: FixtureGeometry
    var bboxA: [Double]?
    var bboxB: [Double]?
    var bboxIou: Double?
  }

  /// The 300 shapely reference pairs (slivers, holes, touching, contained, UTM, 1e9, lon/lat
  /// offsets): within 1e-9 relative, or 1e-12 absolute where the reference is 0, both ways round.
  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func referencePairs() throws {
    let cases = try FixtureLines.decode("iou_cases.jsonl", as: Case.self)
    #expect(cases.count == 300)
    var worst = 0.0
    for testCase in cases {
      let a = testCase.aGeojson.geometry
      let b = testCase.bGeojson.geometry
      let values = [
        try IoU.polygons(a, b), try IoU.polygons(b, a), try IoU.overlay(a, b), try IoU.overlay(b, a),
      ]
      for value in values {
        if testCase.iou == 0 {
          #expect(abs(value) <= 1e-12, "\(testCase.id): \(value), expected 0")
        } else {
          let relative = abs(value - testCase.iou) / testCase.iou
          worst = max(worst, relative)
          #expect(relative <= 1e-9, "\(testCase.id): \(value), expected \(testCase.iou)")
        }
      }
    }
    #expect(worst <= 1e-9)
  }

  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func referenceBoxes() throws {
    var boxes = 0
    for testCase in try FixtureLines.decode("iou_cases.jsonl", as: Case.self) {
      guard let a = testCase.bboxA, let b = testCase.bboxB, let reference = testCase.bboxIou
      else { continue }
      func box(_ values: [Double]) -> BoundingBox {
        BoundingBox(minX: values[0], minY: values[1], maxX: values[2], maxY: values[3])
      }
      let value = IoU.boxes(box(a), box(b))
      if reference == 0 {
        #expect(value == 0)
      } else {
        #expect(abs(value - reference) / reference <= 1e-12, "\(testCase.id)")
      }
      // The closed form agrees with the polygon overlay.
      let overlay = try IoU.polygons(MultiPolygon(box(a).polygon), MultiPolygon(box(b).polygon))
      #expect(abs(overlay - value) <= 1e-12 * max(1, value))
      boxes += 1
    }
    #expect(boxes == 80)
  }

  /// The direct path agrees with GEOS overlay on random shapes at UTM offsets: convex
  /// polygons, star-shaped (concave) polygons and two-part multipolygons, including identical
  /// shapes, reversed winding and shared edges.
  @Test func directPathMatchesOverlay() throws {
    var random = SplitMix(state: 42)
    func shape(centerX: Double, centerY: Double, concave: Bool) -> MultiPolygon {
      let count = Int.random(in: concave ? 5...14 : 3...9, using: &random)
      let radius = Double.random(in: 1...30, using: &random)
      // Evenly spread angles with jitter: every gap below π keeps a star-shaped ring simple.
      let step = 2 * Double.pi / Double(count)
      let angles = (0..<count).map { Double($0) * step + Double.random(in: 0..<(0.4 * step), using: &random) }
      var ring = angles.map { angle in
        let r = concave ? radius * Double.random(in: 0.3...1, using: &random) : radius
        return Point(centerX + r * cos(angle), centerY + r * sin(angle))
      }
      ring.append(ring[0])
      return MultiPolygon(Polygon(shell: ring))
    }
    var direct = 0
    for step in 0..<2_000 {
      let baseX = 500_000 + Double.random(in: 0...1_000, using: &random)
      let baseY = 4_000_000 + Double.random(in: 0...1_000, using: &random)
      let a = shape(centerX: baseX, centerY: baseY, concave: step % 3 != 0)
      var b: MultiPolygon
      switch step % 5 {
      case 0: b = a  // identical
      case 1: b = MultiPolygon(Polygon(shell: a.polygons[0].shell.reversed()))  // other winding
      case 2:
        let box = a.envelope!
        b = square(box.minX + box.width / 2, box.minY, box.width)  // shares the envelope's edge
      case 3:
        // Two parts far enough apart to be disjoint.
        b = shape(centerX: baseX + 5, centerY: baseY, concave: true)
        b.polygons += shape(centerX: baseX + 100, centerY: baseY, concave: false).polygons
      default:
        b = shape(
          centerX: baseX + Double.random(in: -20...20, using: &random),
          centerY: baseY + Double.random(in: -20...20, using: &random), concave: step % 2 == 0)
      }
      let origin = Point(
        min(a.envelope!.minX, b.envelope!.minX), min(a.envelope!.minY, b.envelope!.minY))
      if ConvexClip.pieces(a, origin: origin) != nil, ConvexClip.pieces(b, origin: origin) != nil {
        direct += 1
      }
      let fast = try IoU.polygons(a, b)
      let reference = try IoU.overlay(a, b)
      #expect(
        abs(fast - reference) <= 1e-9 * max(reference, 1e-3),
        "step \(step): \(fast) vs \(reference)")
    }
    #expect(direct >= 1_900, "\(direct) of 2000 pairs took the direct path")
  }

  @Test func triangulationTilesConcaveRings() {
    let lShape = MultiPolygon(
      Polygon(shell: [
        Point(0, 0), Point(20, 0), Point(20, 10), Point(10, 10), Point(10, 20), Point(0, 20),
        Point(0, 0),
      ]))
    let pieces = ConvexClip.pieces(lShape, origin: Point(0, 0))
    #expect(pieces?.area == 300)
    #expect(pieces?.pieces.count == 4)
    #expect(pieces?.pieces.allSatisfy { $0.area > 0 } == true)
    // A comb: many reflex vertices.
    var comb: Ring = [Point(0, 0), Point(50, 0)]
    for tooth in stride(from: 4, through: 0, by: -1) {
      let x = Double(tooth) * 10
      comb += [Point(x + 10, 20), Point(x + 5, 20), Point(x + 5, 5)]
    }
    comb = comb.filter { $0 != Point(55, 20) && $0 != Point(55, 5) }
    comb += [Point(0, 20), Point(0, 0)]
    let combPieces = ConvexClip.pieces(MultiPolygon(Polygon(shell: comb)), origin: Point(0, 0))
    #expect(combPieces?.area == Topology.area(MultiPolygon(Polygon(shell: comb))))
    // A hole's pieces take area away, whichever way it winds.
    for hole in [square(2, 2, 2).polygons[0].shell, square(2, 2, 2).polygons[0].shell.reversed()] {
      let holed = MultiPolygon(Polygon(shell: square(0, 0, 10).polygons[0].shell, holes: [hole]))
      let holedPieces = ConvexClip.pieces(holed, origin: Point(0, 0))
      #expect(holedPieces?.area == 96)
      #expect(holedPieces?.pieces.map(\.sign) == [1, -1])
    }
    // Rings touching themselves go to GEOS.
    let bowtie = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 10), Point(10, 0), Point(0, 10), Point(0, 0)]))
    #expect(ConvexClip.pieces(bowtie, origin: Point(0, 0)) == nil)
  }

  @Test func convexRingRecognition() {
    let origin = Point(0, 0)
    #expect(ConvexClip.convexRing(square(0, 0, 10), origin: origin)?.count == 4)
    // Clockwise comes back counter-clockwise; collinear and repeated positions are fine.
    let clockwise = MultiPolygon(
      Polygon(shell: [
        Point(0, 0), Point(0, 10), Point(0, 10), Point(10, 10), Point(10, 5), Point(10, 0),
        Point(0, 0),
      ]))
    let ring = ConvexClip.convexRing(clockwise, origin: origin)
    #expect(ring.map { Topology.ringSignedArea($0) } == 100)
    let lShape = MultiPolygon(
      Polygon(shell: [
        Point(0, 0), Point(20, 0), Point(20, 10), Point(10, 10), Point(10, 20), Point(0, 20),
        Point(0, 0),
      ]))
    #expect(ConvexClip.convexRing(lShape, origin: origin) == nil)
    let pentagram = MultiPolygon(
      Polygon(
        shell: [0, 2, 4, 1, 3, 0].map {
          Point(cos(Double($0) * 2 * .pi / 5), sin(Double($0) * 2 * .pi / 5))
        }))
    #expect(ConvexClip.convexRing(pentagram, origin: origin) == nil)
    let spike = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 0), Point(20, 0), Point(15, 0), Point(10, 10), Point(0, 0)]))
    #expect(ConvexClip.convexRing(spike, origin: origin) == nil)
    let holed = MultiPolygon(
      Polygon(shell: square(0, 0, 10).polygons[0].shell, holes: [square(2, 2, 2).polygons[0].shell]))
    #expect(ConvexClip.convexRing(holed, origin: origin) == nil)
    let unclosed = MultiPolygon(Polygon(shell: [Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10)]))
    #expect(ConvexClip.convexRing(unclosed, origin: origin) == nil)
    #expect(ConvexClip.convexRing(MultiPolygon([]), origin: origin) == nil)
  }

  @Test func closedFormCases() throws {
    let unit = BoundingBox(minX: 0, minY: 0, maxX: 10, maxY: 10)
    #expect(IoU.boxes(unit, unit) == 1)
    #expect(IoU.boxes(unit, BoundingBox(minX: 5, minY: 0, maxX: 15, maxY: 10)) == 50.0 / 150.0)
    #expect(IoU.boxes(unit, BoundingBox(minX: 10, minY: 0, maxX: 20, maxY: 10)) == 0)
    #expect(IoU.boxes(unit, BoundingBox(minX: 2, minY: 2, maxX: 4, maxY: 4)) == 0.04)
    #expect(IoU.boxes(unit, BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 10)) == 0)
  }

  @Test func polygonEdgeCases() throws {
    // Touching along an edge, disjoint envelopes, and empty inputs are 0.
    #expect(try IoU.polygons(square(0, 0, 10), square(10, 0, 10)) == 0)
    #expect(try IoU.polygons(square(0, 0, 10), square(100, 100, 10)) == 0)
    #expect(try IoU.polygons(MultiPolygon([]), square(0, 0, 10)) == 0)
    // Envelopes overlap, shapes do not: two triangles across a diagonal.
    let lower = MultiPolygon(Polygon(shell: [Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 0)]))
    let upper = MultiPolygon(Polygon(shell: [Point(0, 0), Point(10, 10), Point(0, 10), Point(0, 0)]))
    #expect(try IoU.polygons(lower, upper) == 0)
    // A hole covering the other shape.
    let ring = MultiPolygon(
      Polygon(
        shell: square(500_000, 4_000_000, 100).polygons[0].shell,
        holes: [square(500_040, 4_000_040, 20).polygons[0].shell]))
    #expect(try IoU.polygons(ring, square(500_040, 4_000_040, 20)) == 0)
    #expect(try IoU.polygons(ring, square(500_030, 4_000_040, 20)) == 200.0 / 9_800)
    // A multipolygon against one of its parts.
    let twoParts = MultiPolygon([square(0, 0, 10).polygons[0], square(20, 0, 10).polygons[0]])
    #expect(try IoU.polygons(twoParts, square(0, 0, 10)) == 0.5)
  }
}
