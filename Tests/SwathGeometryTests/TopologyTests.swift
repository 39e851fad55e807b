import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

@Suite struct TopologyTests {
  /// The 407 JTS/GEOS validity cases: every verdict matches, and every invalid case's reason
  /// is GEOS's (as shapely/GEOS 3.14 reported it). Empty rings `[]` are EMPTY as in GEOS/JTS
  /// (valid; empty holes ignored). The NaN case has no GeoJSON (NaN is not JSON) and is
  /// checked through its WKT coordinates instead.
  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func ogcValidityCases() throws {
    struct Case: Decodable {
      var id: String
      var expectedValid: Bool
      var shapelyReason: String?
      var geojson: FixtureGeometry?
    }
    let cases = try FixtureLines.decode("ogc_valid_cases.jsonl", as: Case.self)
    #expect(cases.count == 407)
    var checked = 0
    var reasonsMatched = 0
    for testCase in cases {
      guard let geometry = testCase.geojson?.geometry else {
        #expect(testCase.id == "ogc-0030", "only the NaN case lacks GeoJSON")
        continue
      }
      let validity = Topology.validity(geometry)
      #expect(
        validity.isValid == testCase.expectedValid, "\(testCase.id): \(validity.reason ?? "valid")")
      if !testCase.expectedValid, let shapelyReason = testCase.shapelyReason {
        if validity.reason == String(shapelyReason.prefix { $0 != "[" }) { reasonsMatched += 1 }
        #expect(validity.location != nil, "\(testCase.id) has no location")
      }
      checked += 1
    }
    #expect(checked == 406)
    // GEOS 3.11 and 3.14 may name a few cases differently; most reasons are the same.
    #expect(reasonsMatched >= 110, "\(reasonsMatched) of 122 reasons match")
  }

  @Test func nanCoordinateIsInvalid() {
    let geometry = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, .nan), Point(20, 0), Point(0, 10), Point(0, 0)]))
    let validity = Topology.validity(geometry)
    #expect(!validity.isValid)
    #expect(validity.reason == "Invalid Coordinate")
    #expect(validity.location?.x == 10)
  }

  @Test func reasonsAndLocations() {
    let bowtie = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 10), Point(10, 0), Point(0, 10), Point(0, 0)]))
    let crossing = Topology.validity(bowtie)
    #expect(!crossing.isValid)
    #expect(crossing.reason == "Self-intersection")
    #expect(crossing.location == Point(5, 5))

    let holeOutside = MultiPolygon(
      Polygon(
        shell: square(0, 0, 10).polygons[0].shell, holes: [square(20, 20, 2).polygons[0].shell]))
    #expect(Topology.validity(holeOutside).reason == "Hole lies outside shell")

    let overlappingParts = MultiPolygon([square(0, 0, 10).polygons[0], square(5, 5, 10).polygons[0]])
    #expect(Topology.validity(overlappingParts).reason == "Self-intersection")

    let unclosed = MultiPolygon(
      Polygon(shell: [Point(1, 2), Point(10, 0), Point(10, 10), Point(0, 10)]))
    #expect(
      Topology.validity(unclosed)
        == Validity(isValid: false, reason: "Ring not closed", location: Point(1, 2)))
    let short = MultiPolygon(Polygon(shell: [Point(3, 4), Point(10, 10), Point(3, 4)]))
    #expect(
      Topology.validity(short)
        == Validity(
          isValid: false, reason: "Too few points in geometry component", location: Point(3, 4)))

    #expect(Topology.validity(square(500_000, 4_000_000, 3)).isValid)
    #expect(Topology.validity(MultiPolygon([])).isValid)
  }

  @Test func makeValidKeepsPolygonalParts() throws {
    let bowtie = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 10), Point(10, 0), Point(0, 10), Point(0, 0)]))
    let repaired = try Topology.makeValid(bowtie)
    #expect(repaired.polygons.count == 2)
    #expect(abs(Topology.area(repaired) - 50) < 1e-9)
    #expect(Topology.validity(repaired).isValid)
    // A collapsed polygon (a line) has no polygonal part left.
    let flat = MultiPolygon(Polygon(shell: [Point(0, 0), Point(10, 0), Point(5, 0), Point(0, 0)]))
    #expect(try Topology.makeValid(flat).isEmpty)
  }

  @Test func overlayAtUTMCoordinates() throws {
    let a = square(612_345.25, 4_512_345.5, 10)
    let b = square(612_350.25, 4_512_345.5, 10)
    let union = try Topology.union([a, b])
    #expect(union.polygons.count == 1)
    #expect(Topology.area(union) == 150)
    #expect(
      union.envelope == BoundingBox(minX: 612_345.25, minY: 4_512_345.5, maxX: 612_360.25, maxY: 4_512_355.5))
    let intersection = try Topology.intersection(a, b)
    #expect(Topology.area(intersection) == 50)
    #expect(
      intersection.envelope
        == BoundingBox(minX: 612_350.25, minY: 4_512_345.5, maxX: 612_355.25, maxY: 4_512_355.5))
    let difference = try Topology.difference(a, b)
    #expect(Topology.area(difference) == 50)
    #expect(try Topology.intersection(a, square(0, 0, 1)).isEmpty)
    #expect(try Topology.difference(a, square(0, 0, 1)) == a)
    #expect(try Topology.union([]).isEmpty)
    // Disjoint inputs stay two parts.
    #expect(try Topology.union([a, square(0, 0, 1)]).polygons.count == 2)
  }

  @Test func areaSubtractsHolesWhateverTheWinding() {
    let shell = square(500_000, 4_000_000, 100).polygons[0].shell
    let hole = square(500_010, 4_000_010, 10).polygons[0].shell
    #expect(Topology.area(MultiPolygon(Polygon(shell: shell, holes: [hole]))) == 9_900)
    #expect(
      Topology.area(MultiPolygon(Polygon(shell: shell.reversed(), holes: [hole.reversed()])))
        == 9_900)
    #expect(Topology.ringSignedArea(shell) == 10_000)
    #expect(Topology.ringSignedArea(shell.reversed()) == -10_000)
    let triangle = MultiPolygon(Polygon(shell: [Point(0, 0), Point(4, 0), Point(0, 3), Point(0, 0)]))
    #expect(Topology.area(triangle) == 6)
  }

  @Test func rectangleAlignment() {
    let box = square(612_000, 4_500_000, 20)
    #expect(Topology.isRectangleAligned(box, tolerance: 1e-6))
    // Start at another corner, clockwise, with a collinear point on an edge: still the box.
    let clockwise = MultiPolygon(
      Polygon(shell: [
        Point(20, 20), Point(20, 0), Point(10, 0), Point(0, 0), Point(0, 20), Point(20, 20),
      ]))
    #expect(Topology.isRectangleAligned(clockwise, tolerance: 1e-6))
    let nearly = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(20, 0.001), Point(20, 20), Point(0, 20), Point(0, 0)]))
    #expect(Topology.isRectangleAligned(nearly, tolerance: 0.01))
    #expect(!Topology.isRectangleAligned(nearly, tolerance: 0.0001))
    let rotated = MultiPolygon(
      Polygon(shell: [Point(10, 0), Point(20, 10), Point(10, 20), Point(0, 10), Point(10, 0)]))
    #expect(!Topology.isRectangleAligned(rotated, tolerance: 0.01))
    let notch = MultiPolygon(
      Polygon(shell: [
        Point(0, 0), Point(20, 0), Point(20, 20), Point(10, 20), Point(10, 0), Point(0, 20),
        Point(0, 0),
      ]))
    #expect(!Topology.isRectangleAligned(notch, tolerance: 0.01))
    let lShape = MultiPolygon(
      Polygon(shell: [
        Point(0, 0), Point(20, 0), Point(20, 10), Point(10, 10), Point(10, 20), Point(0, 20),
        Point(0, 0),
      ]))
    #expect(!Topology.isRectangleAligned(lShape, tolerance: 0.01))
    #expect(!Topology.isRectangleAligned(MultiPolygon([box.polygons[0], box.polygons[0]]), tolerance: 1))
  }

  @Test func removeSliversDropsTinyPartsAndHoles() {
    let big = Polygon(
      shell: square(0, 0, 100).polygons[0].shell,
      holes: [square(10, 10, 0.5).polygons[0].shell, square(50, 50, 10).polygons[0].shell])
    let sliver = Polygon(shell: [Point(200, 0), Point(300, 0), Point(300, 0.001), Point(200, 0)])
    let cleaned = Topology.removeSlivers(MultiPolygon([big, sliver]), minArea: 0.5)
    #expect(cleaned.polygons.count == 1)
    #expect(cleaned.polygons[0].holes.count == 1)
    #expect(Topology.area(cleaned) == 10_000 - 100)
  }

  @Test func bufferGrowsAndShrinks() throws {
    let grown = try Topology.buffer(square(500_000, 4_000_000, 10), distance: 1)
    // 10x10 + four 10x1 strips + four quarter circles of radius 1 (8 segments per quarter).
    let expected = 100 + 40 + 4 * 8 * 0.5 * sin(Double.pi / 16)
    #expect(abs(Topology.area(grown) - expected) < 1e-6)
    #expect(Topology.area(try Topology.buffer(square(0, 0, 10), distance: -1)) == 64)
    #expect(try Topology.buffer(square(0, 0, 10), distance: -6).isEmpty)
  }

  /// A merged building with a notch one millimetre wide: rounded to the 8 decimals written out,
  /// the notch folds into a spike (a self-intersection). `rounded` snaps it with GEOS instead.
  @Test func roundingToTheOutputGridKeepsShapesValid() throws {
    func ring(_ points: [(Double, Double)]) -> Ring { points.map { Point($0.0, $0.1) } }
    let notched = MultiPolygon(
      Polygon(
        shell: ring([
          (13.687142451, 47.850441331), (13.687172171, 47.850412641), (13.687314431, 47.850479951),
          (13.687241421, 47.850548711), (13.687142802, 47.850443921), (13.687143853, 47.850442811),
          (13.687143844, 47.850442804), (13.687143851, 47.850442808), (13.687144251, 47.850442391),
          (13.687142451, 47.850441331),
        ])))
    #expect(Topology.validity(notched).isValid)
    let naive = MultiPolygon(
      Polygon(
        shell: notched.polygons[0].shell.map {
          Point(($0.x * 1e8).rounded() / 1e8, ($0.y * 1e8).rounded() / 1e8)
        }))
    #expect(!Topology.validity(naive).isValid, "plain rounding breaks it")
    let rounded = try Topology.rounded(notched, decimals: 8)
    #expect(Topology.validity(rounded).isValid)
    for point in rounded.allPoints {
      #expect(abs(point.x * 1e8 - (point.x * 1e8).rounded()) < 1e-6, "on the grid")
      #expect(abs(point.y * 1e8 - (point.y * 1e8).rounded()) < 1e-6, "on the grid")
    }
    #expect(abs(Topology.area(rounded) - Topology.area(notched)) < 1e-3 * Topology.area(notched))
    // A shape that survives rounding is only rounded.
    let square = MultiPolygon(
      Polygon(
        shell: ring([
          (13.000000001, 47.0), (13.0001, 47.0), (13.0001, 47.0001), (13.0, 47.0001), (13.000000001, 47.0),
        ])))
    #expect(try Topology.rounded(square, decimals: 8).polygons[0].shell.first == Point(13.0, 47.0))
  }
}
