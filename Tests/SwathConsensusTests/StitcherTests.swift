import Foundation
import SwathGeometry
import Testing

@testable import SwathConsensus

/// Joining an annotator's pieces of one object, in local metres: two chips meet at x = 100.
@Suite struct StitcherTests {
  static let chips = [
    LocalChip(id: "west", footprint: box(0, 0, 100, 100), annotators: nil),
    LocalChip(id: "east", footprint: box(100, 0, 200, 100), annotators: nil),
  ]

  static func box(_ minX: Double, _ minY: Double, _ maxX: Double, _ maxY: Double) -> MultiPolygon {
    MultiPolygon(BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY).polygon)
  }

  static func shape(
    _ geometry: MultiPolygon, annotator: Int = 0, label: String = "building", kind: ShapeKind = .polygon,
    source: Int
  ) -> WorkShape {
    WorkShape(annotator: annotator, label: label, kind: kind, measured: Measured(geometry), sources: [source])
  }

  func stitch(_ shapes: [WorkShape], chips: [LocalChip] = StitcherTests.chips) throws -> [WorkShape] {
    let stitcher = try Stitcher(chips: chips, tolerance: 0.1)
    return try stitcher.stitch(shapes.sorted(by: WorkShape.canonicalOrder), annotators: 3)
  }

  @Test func piecesCutBySeamAreJoined() throws {
    // A building over x = 94...106 cut at the seam, with a hairline gap.
    let west = Self.shape(Self.box(94, 40, 100 - 1e-4, 48), source: 0)
    let east = Self.shape(Self.box(100 + 1e-4, 40, 106, 48), source: 1)
    let result = try stitch([west, east])
    #expect(result.count == 1)
    #expect(result[0].sources == [0, 1])
    // Grown and shrunk back: the gap is closed and the outline kept.
    #expect(result[0].measured.geometry.polygons.count == 1)
    #expect(result[0].measured.geometry.polygons[0].holes.isEmpty)
    #expect(abs(result[0].measured.area - 96) < 0.01)
    #expect(Topology.validity(result[0].measured.geometry).isValid)
    // The same pieces without chips stay apart.
    #expect(try stitch([west, east], chips: []).count == 2)
  }

  @Test func boxesCutBySeamJoinIntoTheirEnvelope() throws {
    let west = Self.shape(Self.box(97, 10, 100, 12), kind: .bbox, source: 3)
    let east = Self.shape(Self.box(100, 10.2, 101.5, 12.1), kind: .bbox, source: 4)
    let result = try stitch([west, east])
    #expect(result.count == 1)
    #expect(result[0].kind == .bbox)
    #expect(result[0].measured.isBox)
    #expect(result[0].measured.envelope == BoundingBox(minX: 97, minY: 10, maxX: 101.5, maxY: 12.1))
  }

  @Test func neighboursAndOtherLabelsStayApart() throws {
    // Neighbours across the seam half a metre apart: their grown shapes do not meet.
    let gap = [
      Self.shape(Self.box(94, 40, 99.75, 48), source: 0),
      Self.shape(Self.box(100.25, 40, 106, 48), source: 1),
    ]
    #expect(try stitch(gap).count == 2)
    // Touching along a whole side, but away from any chip edge.
    let inland = [
      Self.shape(Self.box(40, 40, 50, 48), source: 0), Self.shape(Self.box(50, 40, 60, 48), source: 1),
    ]
    #expect(try stitch(inland).count == 2)
    // Cut by the seam, but one piece is a different label.
    let labels = [
      Self.shape(Self.box(94, 40, 100, 48), source: 0),
      Self.shape(Self.box(100, 40, 106, 48), label: "shed", source: 1),
    ]
    #expect(try stitch(labels).count == 2)
    // Neighbours side by side across the seam: they touch along 20 m, but only 0.2 m of that is
    // at the seam.
    let rows = [
      Self.shape(Self.box(90, 40, 110, 44), source: 0), Self.shape(Self.box(90, 44, 110, 48), source: 1),
    ]
    #expect(try stitch(rows).count == 2)
    // Meeting at the seam only at a corner.
    let corner = [
      Self.shape(Self.box(94, 40, 100, 48), source: 0), Self.shape(Self.box(100, 48, 106, 56), source: 1),
    ]
    #expect(try stitch(corner).count == 2)
  }

  @Test func overlapDecidesAwayFromSeams() throws {
    // Drawn twice: a real overlap joins, wherever it is; a sliver (under 5 %) does not.
    let drawnTwice = [
      Self.shape(Self.box(40, 40, 52, 48), source: 0),
      Self.shape(Self.box(40.5, 40.3, 52.4, 48.2), source: 1),
    ]
    let joined = try stitch(drawnTwice, chips: [])
    #expect(joined.count == 1)
    #expect(
      abs(joined[0].measured.area - Topology.area(try Topology.union(drawnTwice.map(\.measured.geometry))))
        < 1e-9)
    let sliver = [
      Self.shape(Self.box(40, 40, 52, 48), source: 0), Self.shape(Self.box(51.6, 40, 63.6, 48), source: 1),
    ]
    #expect(try stitch(sliver, chips: []).count == 2)
    // A courtyard building and a shape inside its courtyard do not overlap at all.
    let courtyard = MultiPolygon(
      Polygon(
        shell: Self.box(40, 40, 70, 70).polygons[0].shell, holes: [Self.box(50, 50, 60, 60).polygons[0].shell]
      ))
    let nested = [Self.shape(courtyard, source: 0), Self.shape(Self.box(51, 51, 59, 59), source: 1)]
    #expect(try stitch(nested, chips: []).count == 2)
  }

  /// A joined shape sorts by its own envelope, which can come before shapes that came before
  /// all of its pieces.
  @Test func joinedShapeTakesItsOwnPlace() throws {
    let lone = Self.shape(Self.box(50, 10, 51, 11), source: 0)
    let upper = Self.shape(Self.box(50, 20, 60, 30), source: 1)
    let lower = Self.shape(Self.box(52, 5, 58, 25), source: 2)  // overlaps `upper`, reaches lower
    let result = try stitch([lone, upper, lower], chips: [])
    #expect(result.map(\.sources) == [[1, 2], [0]])
    #expect(result[0].measured.envelope == BoundingBox(minX: 50, minY: 5, maxX: 60, maxY: 30))
  }

  /// Many annotators' pieces at once: each joined only with its own, every source kept once,
  /// and the output in canonical order.
  @Test func annotatorsAreStitchedApartAndOrderIsCanonical() throws {
    var shapes: [WorkShape] = []
    for annotator in 0..<3 {
      for row in 0..<20 {
        let y = Double(row) * 4 + Double(annotator) * 0.3
        let kind: ShapeKind = row % 2 == 0 ? .polygon : .bbox
        let base = annotator * 100 + row * 3
        // Cut at the seam, a lone shape, and (every third row) the lone shape drawn twice.
        shapes.append(Self.shape(Self.box(97, y, 100, y + 2), annotator: annotator, kind: kind, source: base))
        shapes.append(
          Self.shape(Self.box(100, y, 102, y + 2), annotator: annotator, kind: kind, source: base + 1))
        shapes.append(
          Self.shape(Self.box(20, y, 23, y + 2), annotator: annotator, kind: kind, source: base + 2))
        if row % 3 == 0 {
          shapes.append(
            Self.shape(Self.box(20.2, y, 23.2, y + 2), annotator: annotator, kind: kind, source: base + 50))
        }
      }
    }
    let result = try stitch(shapes.reversed())
    #expect(result.count == 3 * 20 * 2)
    for (earlier, later) in zip(result, result.dropFirst()) {
      #expect(!WorkShape.canonicalOrder(later, earlier))
    }
    for annotator in 0..<3 {
      let own = result.filter { $0.annotator == annotator }
      #expect(
        own.flatMap(\.sources).sorted()
          == shapes.filter { $0.annotator == annotator }.flatMap(\.sources).sorted())
      #expect(own.allSatisfy { $0.sources.count == 2 || $0.sources.count == 1 })
      #expect(own.filter { $0.sources.count == 2 }.count == 20 + 7)
    }
  }
}
