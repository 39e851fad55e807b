import Foundation
import SwathGeometry
import Testing

/// A small deterministic generator (SplitMix64), so failures reproduce.
struct SplitMix: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

@Suite struct SpatialIndexTests {
  /// Random boxes on an integer grid, so many of them touch exactly at edges and corners.
  func randomBoxes(_ count: Int, seed: UInt64, extent: Double = 1_000) -> [BoundingBox] {
    var random = SplitMix(state: seed)
    return (0..<count).map { _ in
      let x = Double(Int.random(in: 0..<Int(extent), using: &random))
      let y = Double(Int.random(in: 0..<Int(extent), using: &random))
      let width = Double(Int.random(in: 0...20, using: &random))
      let height = Double(Int.random(in: 0...20, using: &random))
      return BoundingBox(minX: x, minY: y, maxX: x + width, maxY: y + height)
    }
  }

  @Test func queriesMatchBruteForce() {
    let boxes = randomBoxes(3_000, seed: 1)
    let index = SpatialIndex(boxes)
    #expect(index.count == 3_000)
    for query in randomBoxes(300, seed: 2) + [BoundingBox(minX: -5, minY: -5, maxX: 2_000, maxY: 2_000)] {
      let expected = boxes.indices.filter { boxes[$0].intersects(query) }
      #expect(index.query(query) == expected)
    }
  }

  @Test func pairsMatchBruteForce() {
    for (count, seed) in [(0, 3 as UInt64), (1, 4), (7, 5), (17, 6), (2_500, 7), (6_000, 8)] {
      let boxes = randomBoxes(count, seed: seed, extent: count < 100 ? 30 : 1_000)
      var expected: [[Int]] = []
      for i in boxes.indices {
        for j in boxes.indices where j > i && boxes[i].intersects(boxes[j]) { expected.append([i, j]) }
      }
      let found = SpatialIndex(boxes).intersectingPairs().map { [$0.0, $0.1] }
      #expect(found == expected, "\(count) boxes")
    }
  }

  @Test func touchingBoxesIntersect() {
    // A 10x10 grid of unit cells: each touches its 8 neighbours (edges and corners).
    var cells: [BoundingBox] = []
    for row in 0..<10 {
      for column in 0..<10 {
        cells.append(
          BoundingBox(
            minX: Double(column), minY: Double(row), maxX: Double(column + 1), maxY: Double(row + 1)))
      }
    }
    let index = SpatialIndex(cells)
    // Horizontal 90 + vertical 90 + diagonal 2 * 81.
    #expect(index.intersectingPairs().count == 342)
    #expect(index.query(BoundingBox(minX: 5, minY: 5, maxX: 5, maxY: 5)) == [44, 45, 54, 55])
    #expect(index.query(BoundingBox(minX: 10, minY: 10, maxX: 11, maxY: 11)) == [99])
    #expect(index.query(BoundingBox(minX: 10.5, minY: 0, maxX: 11, maxY: 11)).isEmpty)
  }

  @Test func invalidEnvelopesMatchNothing() {
    let boxes = [
      BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1),
      BoundingBox(minX: .nan, minY: 0, maxX: 1, maxY: 1),
      BoundingBox(minX: 0, minY: 0, maxX: 1, maxY: 1),
      BoundingBox(minX: 1, minY: 1, maxX: 0, maxY: 0),
    ]
    let index = SpatialIndex(boxes)
    #expect(index.query(BoundingBox(minX: -1, minY: -1, maxX: 2, maxY: 2)) == [0, 2])
    #expect(index.intersectingPairs().map { [$0.0, $0.1] } == [[0, 2]])
  }

  /// Many boxes, as a labelled scene has: pairs found through the tree equal brute force
  /// over a sample of boxes.
  @Test func manyEnvelopes() {
    let boxes = randomBoxes(60_000, seed: 9, extent: 2_000)
    let pairs = SpatialIndex(boxes).intersectingPairs()
    #expect(pairs.count > 100_000)
    var partners: [Int: [Int]] = [:]
    for (i, j) in pairs where i % 1_500 == 0 { partners[i, default: []].append(j) }
    for i in stride(from: 0, to: boxes.count, by: 1_500) {
      var expected: [Int] = []
      for j in (i + 1)..<boxes.count where boxes[j].intersects(boxes[i]) { expected.append(j) }
      #expect(partners[i, default: []] == expected, "box \(i)")
    }
  }
}
