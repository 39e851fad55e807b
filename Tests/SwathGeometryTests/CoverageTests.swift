import Foundation
import Testing

@testable import SwathGeometry

/// `Topology.coverage`: the region covered by at least k of n shapes, by the plane sweep,
/// checked against GEOS overlays (level sets) on the shapes annotators draw.
@Suite struct CoverageTests {
  /// Uniform and normal draws from the suite's seeded SplitMix, so failures reproduce.
  struct Generator {
    var random: SplitMix
    init(state: UInt64) { random = SplitMix(state: state) }
    mutating func next() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
    mutating func normal(_ deviation: Double) -> Double {
      let u = max(next(), 1e-300)
      return deviation * (-2 * log(u)).squareRoot() * cos(2 * .pi * next())
    }
  }

  static func ring(_ points: [(Double, Double)]) -> Ring {
    let ring = points.map { Point($0.0, $0.1) }
    return ring + [ring[0]]
  }

  static func square(_ x: Double, _ y: Double, _ side: Double) -> MultiPolygon {
    MultiPolygon(Polygon(shell: ring([(x, y), (x + side, y), (x + side, y + side), (x, y + side)])))
  }

  /// A building as annotators draw it: a rotated rectangle, an L, or a courtyard block, each
  /// vertex jittered, at UTM-sized coordinates.
  static func building(kind: Int, jitter: Double, rotation: Double, _ generator: inout Generator)
    -> MultiPolygon
  {
    let outline: [(Double, Double)]
    var hole: [(Double, Double)]?
    switch kind {
    case 0: outline = [(0, 0), (14, 0), (14, 9), (0, 9)]
    case 1: outline = [(0, 0), (16, 0), (16, 6), (6, 6), (6, 13), (0, 13)]
    default:
      outline = [(0, 0), (24, 0), (24, 20), (0, 20)]
      hole = [(7, 6), (7, 14), (17, 14), (17, 6)]
    }
    let (sine, cosine) = (sin(rotation), cos(rotation))
    func place(_ points: [(Double, Double)]) -> Ring {
      ring(
        points.map { point in
          let x = point.0 + generator.normal(jitter)
          let y = point.1 + generator.normal(jitter)
          return (412_345.5 + cosine * x - sine * y, 5_312_345.5 + sine * x + cosine * y)
        })
    }
    return MultiPolygon(Polygon(shell: place(outline), holes: hole.map { [place($0)] } ?? []))
  }

  /// Area of the symmetric difference, by GEOS.
  static func mismatch(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    Topology.area(try Topology.difference(a, b)) + Topology.area(try Topology.difference(b, a))
  }

  @Test func sweepMatchesGEOSOverlayOnJitteredPanels() throws {
    var generator = Generator(state: 20_261_122)
    var swept = 0
    var cases = 0
    for trial in 0..<300 {
      let count = 2 + trial % 5
      let kind = trial % 3
      let rotation = generator.next() * .pi
      let shapes = (0..<count).map { _ in
        Self.building(kind: kind, jitter: 0.4, rotation: rotation, &generator)
      }
      for needed in 1...count {
        cases += 1
        let reference = try Topology.coverageByOverlay(shapes, atLeast: needed)
        guard let sweep = CoverageSweep.region(shapes, atLeast: needed) else { continue }
        swept += 1
        #expect(Topology.validity(sweep).isValid, "trial \(trial), \(needed) of \(count)")
        let area = Topology.area(reference)
        let difference = try Self.mismatch(sweep, reference)
        #expect(
          difference <= 1e-9 * max(area, 1), "trial \(trial), \(needed) of \(count): \(difference) of \(area)"
        )
      }
    }
    // The sweep is the fast path: it must take nearly every case, not hand them all to GEOS.
    #expect(Double(swept) >= 0.98 * Double(cases), "sweep took \(swept) of \(cases)")
  }

  @Test func majorityOfThreeSquares() throws {
    // Squares at x = 0, 1, 2 (side 4): two or more cover x ∈ [1, 5].
    let shapes = [Self.square(0, 0, 4), Self.square(1, 0, 4), Self.square(2, 0, 4)]
    let region = try #require(CoverageSweep.region(shapes, atLeast: 2))
    #expect(region.polygons.count == 1)
    #expect(abs(Topology.area(region) - 16) < 1e-12)
    #expect(region.envelope == BoundingBox(minX: 1, minY: 0, maxX: 5, maxY: 4))
    // Collinear vertices on the shared bottom and top edges are gone: a plain rectangle.
    #expect(region.polygons[0].shell.count == 5)
    #expect(Topology.ringSignedArea(region.polygons[0].shell) > 0, "shell counter-clockwise")
    let all = try #require(CoverageSweep.region(shapes, atLeast: 3))
    #expect(all.envelope == BoundingBox(minX: 2, minY: 0, maxX: 4, maxY: 4))
    let any = try #require(CoverageSweep.region(shapes, atLeast: 1))
    #expect(any.envelope == BoundingBox(minX: 0, minY: 0, maxX: 6, maxY: 4))
  }

  @Test func identicalAndSharedEdgesCoincide() throws {
    // Two annotators drew exactly the same square, a third shares its left edge only.
    let same = Self.square(10, 10, 5)
    let narrow = MultiPolygon(Polygon(shell: Self.ring([(10, 10), (12, 10), (12, 15), (10, 15)])))
    let region = try Topology.coverage([same, same, narrow], atLeast: 3)
    #expect(abs(Topology.area(region) - 10) < 1e-12)
    let majority = try Topology.coverage([same, same, narrow], atLeast: 2)
    #expect(abs(Topology.area(majority) - 25) < 1e-12)
    #expect(Topology.validity(majority).isValid)
  }

  @Test func holesAreKeptAndNestedShapesCount() throws {
    // A courtyard block voted by three: the hole stays where two or more left it open.
    var generator = Generator(state: 7)
    let blocks = (0..<3).map { _ in Self.building(kind: 2, jitter: 0.2, rotation: 0.3, &generator) }
    let region = try #require(CoverageSweep.region(blocks, atLeast: 2))
    #expect(region.polygons.count == 1)
    #expect(region.polygons[0].holes.count == 1)
    #expect(Topology.ringSignedArea(region.polygons[0].holes[0]) < 0, "hole clockwise")
    let reference = try Topology.coverageByOverlay(blocks, atLeast: 2)
    let mismatch = try Self.mismatch(region, reference)
    #expect(mismatch <= 1e-9 * Topology.area(reference), "\(mismatch)")
    // A small square inside a big one: covered twice only inside the small one.
    let nested = [Self.square(0, 0, 10), Self.square(3, 3, 2)]
    let twice = try #require(CoverageSweep.region(nested, atLeast: 2))
    #expect(twice.envelope == BoundingBox(minX: 3, minY: 3, maxX: 5, maxY: 5))
  }

  @Test func disjointShapesHaveNoMajorityAndPinchesFallBackToGEOS() throws {
    let apart = [Self.square(0, 0, 1), Self.square(5, 0, 1), Self.square(10, 0, 1)]
    #expect(try Topology.coverage(apart, atLeast: 2).isEmpty)
    // Two squares meeting at one corner: their union pinches there. The sweep declines and
    // GEOS gives the valid two-part answer.
    let corner = [Self.square(0, 0, 1), Self.square(1, 1, 1)]
    #expect(CoverageSweep.region(corner, atLeast: 1) == nil)
    let union = try Topology.coverage(corner, atLeast: 1)
    #expect(union.polygons.count == 2)
    #expect(abs(Topology.area(union) - 2) < 1e-12)
    #expect(Topology.validity(union).isValid)
  }
}
