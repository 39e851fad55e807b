import Foundation
import Testing

@testable import SwathGeometry

/// The direct path on shapes with holes (courtyard buildings and what merging them gives),
/// checked against GEOS overlay at UTM offsets.
@Suite struct IoUHoleTests {
  static let x0 = 500_000.0
  static let y0 = 4_000_000.0

  /// A box with box-shaped holes, all in metres from (x0, y0).
  func courtyard(_ x: Double, _ y: Double, _ size: Double, holes: [(Double, Double, Double)]) -> Polygon {
    Polygon(
      shell: square(Self.x0 + x, Self.y0 + y, size).polygons[0].shell,
      holes: holes.map { square(Self.x0 + $0.0, Self.y0 + $0.1, $0.2).polygons[0].shell.reversed() })
  }

  /// Both ways round, the direct path taken, and within 1e-9 of GEOS (relative; 1e-12
  /// absolute below an IoU of 1e-3); returns the IoU.
  @discardableResult
  func check(_ a: MultiPolygon, _ b: MultiPolygon, _ note: String) throws -> Double {
    #expect(Topology.validity(a).isValid && Topology.validity(b).isValid, "\(note): invalid input")
    let origin = Point(min(a.envelope!.minX, b.envelope!.minX), min(a.envelope!.minY, b.envelope!.minY))
    #expect(ConvexClip.pieces(a, origin: origin) != nil, "\(note): a went to GEOS")
    #expect(ConvexClip.pieces(b, origin: origin) != nil, "\(note): b went to GEOS")
    let reference = try IoU.overlay(a, b)
    for value in [try IoU.polygons(a, b), try IoU.polygons(b, a)] {
      #expect(
        abs(value - reference) <= 1e-9 * max(reference, 1e-3), "\(note): \(value) vs GEOS \(reference)")
    }
    let geosArea = Topology.area(try Topology.intersection(a, b))
    let area = try IoU.intersectionArea(a, b)
    #expect(abs(area - geosArea) <= 1e-9 * max(geosArea, 1e-3), "\(note): area \(area) vs GEOS \(geosArea)")
    return reference
  }

  @Test func courtyards() throws {
    let building = MultiPolygon(courtyard(0, 0, 30, holes: [(10, 10, 10)]))
    // Against itself, moved, and against a solid box.
    #expect(abs(try check(building, building, "itself") - 1) <= 1e-15)
    try check(building, MultiPolygon(courtyard(4, 3, 30, holes: [(14, 13, 10)])), "moved")
    try check(building, square(Self.x0 + 5, Self.y0 + 5, 20), "box over the courtyard")
    // The hole filled exactly by the other shape: no overlap at all.
    let filling = square(Self.x0 + 10, Self.y0 + 10, 10)
    #expect(try IoU.polygons(building, filling) == 0)
    #expect(try IoU.intersectionArea(building, filling) == 0)
    // Inside the courtyard without touching it.
    #expect(try IoU.polygons(building, square(Self.x0 + 12, Self.y0 + 12, 5)) == 0)
    // The same outline without the courtyard: exactly the building's share.
    let solid = square(Self.x0, Self.y0, 30)
    #expect(abs(try check(building, solid, "filled in") - 800.0 / 900.0) <= 1e-15)
  }

  @Test func holesAgainstHoles() throws {
    let a = MultiPolygon(courtyard(0, 0, 40, holes: [(10, 10, 15)]))
    // The holes overlap each other: the hole/hole term adds back what both miss.
    let b = MultiPolygon(courtyard(5, 5, 40, holes: [(18, 18, 15)]))
    try check(a, b, "overlapping holes")
    // The same hole, shells different.
    try check(a, MultiPolygon(courtyard(-5, 2, 45, holes: [(10, 10, 15)])), "shared hole")
    // Two courtyards against one.
    let twoHoles = MultiPolygon(courtyard(2, 0, 40, holes: [(5, 5, 8), (20, 22, 10)]))
    try check(a, twoHoles, "two holes")
    // A hole partly outside the other shape, and a hole reaching the other's edge.
    try check(a, MultiPolygon(courtyard(30, 5, 40, holes: [(35, 10, 20)])), "hole partly outside")
    try check(a, MultiPolygon(courtyard(25, 0, 30, holes: [(30, 10, 10)])), "hole on the edge")
  }

  @Test func multipolygonsWithHoles() throws {
    let a = MultiPolygon([
      courtyard(0, 0, 30, holes: [(10, 10, 10)]), courtyard(40, 0, 30, holes: [(45, 5, 8), (55, 15, 10)]),
    ])
    let b = MultiPolygon([
      courtyard(15, 5, 30, holes: [(20, 12, 6)]), courtyard(60, -10, 20, holes: []),
    ])
    try check(a, b, "two parts each")
    try check(a, MultiPolygon(a.polygons.reversed()), "parts swapped")
    // One part of a against the whole: the part's share.
    let part = MultiPolygon(a.polygons[0])
    #expect(abs(try check(a, part, "one part") - 800.0 / 1_536.0) <= 1e-15)
  }

  /// Two shapes' common part measured within regions (strips with holes, as the stitcher's
  /// seam bands are), on the direct path and on the GEOS path alike.
  @Test func areasWithinRegions() throws {
    let a = MultiPolygon(courtyard(0, 0, 40, holes: [(10, 10, 15)]))
    let b = MultiPolygon(courtyard(20, 5, 40, holes: [(30, 15, 8)]))
    let band = MultiPolygon(courtyard(-10, -10, 65, holes: [(-5, -5, 40)]))
    let regions = [band, square(Self.x0 + 25, Self.y0, 10), square(Self.x0 + 500, Self.y0, 10), a]
    // A circle of 100 positions is beyond the direct path: GEOS measures the same.
    let circle = MultiPolygon(
      Polygon(
        shell: (0...100).map { step in
          let angle = Double(step % 100) * 2 * .pi / 100
          return Point(Self.x0 + 30 + 25 * cos(angle), Self.y0 + 20 + 25 * sin(angle))
        }))
    for (first, second) in [(a, b), (b, a), (a, circle)] {
      let both = try Topology.intersection(first, second)
      let expected = try regions.map { Topology.area(try Topology.intersection(both, $0)) }
      let areas = try IoU.intersectionAreas(first, second, within: regions)
      #expect(abs(areas.both - Topology.area(both)) <= 1e-9 * Topology.area(both))
      #expect(areas.within.count == regions.count)
      for (value, reference) in zip(areas.within, expected) {
        #expect(abs(value - reference) <= 1e-9 * max(reference, 1e-3), "\(value) vs GEOS \(reference)")
      }
      #expect(areas.within[2] == 0)
      #expect(areas.within[0] > 0 && areas.within[1] > 0)
    }
    // Shapes that only touch have no common part, whatever the regions.
    let touching = try IoU.intersectionAreas(square(0, 0, 10), square(10, 0, 10), within: [square(0, 0, 20)])
    #expect(touching.both == 0 && touching.within == [0])
  }

  /// Random star-shaped shells with up to two star-shaped holes, at UTM offsets, against
  /// moved, rotated, hole-free, hole-only and multipart partners.
  @Test func randomShapesMatchOverlay() throws {
    var random = SplitMix(state: 7)
    func star(_ center: Point, radius: ClosedRange<Double>, count: Int, clockwise: Bool) -> Ring {
      // Angular gaps stay below 1.4 · 2π/count, so a star with count ≥ 6 and radii ≥ 0.6 R
      // holds the disc of radius 0.44 R.
      let step = 2 * Double.pi / Double(count)
      var ring = (0..<count).map { index -> Point in
        let angle = Double(index) * step + Double.random(in: 0..<(0.4 * step), using: &random)
        let r = Double.random(in: radius, using: &random)
        return Point(center.x + r * cos(angle), center.y + r * sin(angle))
      }
      if clockwise { ring.reverse() }
      ring.append(ring[0])
      return ring
    }
    func shape(_ center: Point, holes: Int) -> Polygon {
      let size = Double.random(in: 5...40, using: &random)
      let shell = star(
        center, radius: (0.6 * size)...size, count: Int.random(in: 6...16, using: &random),
        clockwise: Bool.random(using: &random))
      // Hole centres 0.25 R either side: disjoint, and inside the shell's 0.44 R disc.
      let offsets = [-0.25 * size, 0.25 * size].prefix(holes)
      let holeRings = offsets.map { offset in
        star(
          Point(center.x + offset, center.y), radius: (0.08 * size)...(0.15 * size),
          count: Int.random(in: 3...10, using: &random), clockwise: Bool.random(using: &random))
      }
      return Polygon(shell: shell, holes: holeRings)
    }
    var nonZero = 0
    for step in 0..<600 {
      let center = Point(
        Self.x0 + Double.random(in: 0...1_000, using: &random),
        Self.y0 + Double.random(in: 0...1_000, using: &random))
      let a = shape(center, holes: 1 + step % 2)
      var b: MultiPolygon
      switch step % 6 {
      case 0:
        // Moved a little: the rings' edges cross everywhere.
        let shift = Point(
          Double.random(in: -3...3, using: &random), Double.random(in: -3...3, using: &random))
        b = MultiPolygon(a).mapPoints { Point($0.x + shift.x, $0.y + shift.y) }
      case 1:
        // Rotated about the centre.
        let angle = Double.random(in: -0.3...0.3, using: &random)
        b = MultiPolygon(a).mapPoints { point in
          let dx = point.x - center.x
          let dy = point.y - center.y
          return Point(
            center.x + dx * cos(angle) - dy * sin(angle), center.y + dx * sin(angle) + dy * cos(angle))
        }
      case 2: b = MultiPolygon(Polygon(shell: a.shell))  // the outline, holes filled in
      case 3: b = MultiPolygon(Polygon(shell: a.holes[0].reversed()))  // exactly the first hole
      case 4:
        let near = Point(
          center.x + Double.random(in: -15...15, using: &random),
          center.y + Double.random(in: -15...15, using: &random))
        b = MultiPolygon(shape(near, holes: 2))
      default:
        // Two holed parts far enough apart to be disjoint.
        let near = Point(center.x + Double.random(in: -10...10, using: &random), center.y)
        b = MultiPolygon([shape(near, holes: 1), shape(Point(center.x + 200, center.y), holes: 2)])
      }
      let value = try check(MultiPolygon(a), b, "step \(step)")
      if value > 0 { nonZero += 1 }
      if step % 6 == 3 { #expect(try IoU.polygons(MultiPolygon(a), b) == 0, "step \(step): inside the hole") }
    }
    #expect(nonZero >= 450, "\(nonZero) of 600 random pairs overlap")
  }
}
