import Foundation

/// The region covered by at least `needed` of a few small polygonal shapes, by a sweep over
/// vertical slabs: every vertex and every crossing of two shapes' edges starts a slab, so no two
/// edges cross inside one; in a slab the edges are ordered bottom to top and each shape's
/// even–odd parity gives the cover of every trapezoid between them. The region's boundary is the
/// edges where the cover crosses `needed`, plus the vertical pieces where it differs on the two
/// sides of a slab boundary; the pieces are chained into rings.
///
/// A GEOS overlay per level costs a dozen overlays for five shapes; this is one pass over a few
/// dozen edges. It gives up (nil) rather than guess: when two edges still cross inside a slab
/// after rounding, when the boundary pinches (a vertex where two rings touch), or when the
/// trapezoids' cover does not add up to the shapes' areas. The caller then uses GEOS.
enum CoverageSweep {
  /// Beyond this many edges the all-pairs crossing search costs more than GEOS.
  static let maximumEdges = 600

  private struct Edge {
    var left: Point
    var right: Point
    var shape: Int

    @inline(__always)
    func y(at x: Double) -> Double {
      if x == left.x { return left.y }
      if x == right.x { return right.y }
      return left.y + (x - left.x) / (right.x - left.x) * (right.y - left.y)
    }
  }

  /// A boundary piece from (boundary, y) to (boundary, y).
  private struct Piece {
    var fromBoundary: Int
    var fromY: Double
    var toBoundary: Int
    var toY: Double
  }

  static func region(_ shapes: [MultiPolygon], atLeast needed: Int) -> MultiPolygon? {
    guard needed >= 1, needed <= shapes.count else { return nil }
    var minX = Double.infinity
    var minY = Double.infinity
    var maxX = -Double.infinity
    var maxY = -Double.infinity
    for shape in shapes {
      for point in shape.allPoints {
        minX = min(minX, point.x)
        minY = min(minY, point.y)
        maxX = max(maxX, point.x)
        maxY = max(maxY, point.y)
      }
    }
    guard minX.isFinite, maxX > minX, maxY > minY else { return nil }
    // Small numbers about a local origin keep the crossings precise.
    let origin = Point(minX, minY)
    let tolerance = 1e-9 * max(maxX - minX, maxY - minY)

    var edges: [Edge] = []
    var xs: [Double] = []
    var inputArea = 0.0
    for (index, shape) in shapes.enumerated() {
      for polygon in shape.polygons {
        for (ringIndex, ring) in polygon.rings.enumerated() where ring.count >= 4 {
          var ringArea = 0.0
          var previous = Point(ring[0].x - origin.x, ring[0].y - origin.y)
          xs.append(previous.x)
          for point in ring.dropFirst() {
            let current = Point(point.x - origin.x, point.y - origin.y)
            ringArea += previous.x * current.y - current.x * previous.y
            xs.append(current.x)
            if current.x < previous.x {
              edges.append(Edge(left: current, right: previous, shape: index))
            } else if current.x > previous.x {
              edges.append(Edge(left: previous, right: current, shape: index))
            }
            previous = current
          }
          inputArea += ringIndex == 0 ? abs(ringArea) / 2 : -abs(ringArea) / 2
        }
      }
    }
    guard edges.count <= maximumEdges else { return nil }

    // Crossings of edges of different shapes (a valid shape's own edges meet only at vertices).
    for first in edges.indices {
      let a = edges[first]
      for second in (first + 1)..<edges.count {
        let b = edges[second]
        guard a.shape != b.shape, a.left.x < b.right.x, b.left.x < a.right.x else { continue }
        if let x = crossingX(a, b) { xs.append(x) }
      }
    }
    xs.sort()
    var boundaries: [Double] = []
    boundaries.reserveCapacity(xs.count)
    for x in xs where boundaries.last.map({ x - $0 > tolerance }) ?? true { boundaries.append(x) }
    guard boundaries.count >= 2 else { return nil }

    // The sweep. Per slab: the edges across it, bottom to top, grouped where they coincide.
    var pieces: [Piece] = []
    // Covered y-intervals just left and just right of each boundary.
    var coveredLeft = [[(Double, Double)]](repeating: [], count: boundaries.count)
    var coveredRight = [[(Double, Double)]](repeating: [], count: boundaries.count)
    var coverTimesArea = 0.0
    var across: [(edge: Int, low: Double, high: Double)] = []
    var parity = [Bool](repeating: false, count: shapes.count)
    for slab in 0..<(boundaries.count - 1) {
      let x0 = boundaries[slab]
      let x1 = boundaries[slab + 1]
      across.removeAll(keepingCapacity: true)
      for (index, edge) in edges.enumerated()
      where edge.left.x <= x0 + tolerance && edge.right.x >= x1 - tolerance {
        across.append((index, edge.y(at: x0), edge.y(at: x1)))
      }
      guard !across.isEmpty else { continue }
      across.sort { ($0.low + $0.high, $0.edge) < ($1.low + $1.high, $1.edge) }
      for index in 1..<across.count
      where across[index].low < across[index - 1].low - tolerance
        || across[index].high < across[index - 1].high - tolerance
      {
        return nil  // two edges cross inside the slab: rounding hid a crossing
      }
      for index in parity.indices { parity[index] = false }
      var cover = 0
      var covered = false
      var start = 0
      var below: (low: Double, high: Double)?
      while start < across.count {
        // Coinciding edges (two annotators on one line) flip together.
        var end = start + 1
        while end < across.count, abs(across[end].low - across[start].low) <= tolerance,
          abs(across[end].high - across[start].high) <= tolerance
        {
          end += 1
        }
        let line = across[start]
        if let below, cover > 0 {
          let height = (line.low - below.low) + (line.high - below.high)
          coverTimesArea += Double(cover) * (x1 - x0) * height / 2
        }
        for member in start..<end {
          let shape = edges[across[member].edge].shape
          parity[shape].toggle()
          cover += parity[shape] ? 1 : -1
        }
        let nowCovered = cover >= needed
        if nowCovered != covered {
          if nowCovered {
            pieces.append(
              Piece(
                fromBoundary: slab, fromY: line.low, toBoundary: slab + 1, toY: line.high))
            coveredRight[slab].append((line.low, .infinity))
            coveredLeft[slab + 1].append((line.high, .infinity))
          } else {
            pieces.append(
              Piece(
                fromBoundary: slab + 1, fromY: line.high, toBoundary: slab, toY: line.low))
            coveredRight[slab][coveredRight[slab].count - 1].1 = line.low
            coveredLeft[slab + 1][coveredLeft[slab + 1].count - 1].1 = line.high
          }
          covered = nowCovered
        }
        below = (line.low, line.high)
        start = end
      }
      guard cover == 0 else { return nil }
    }
    guard abs(coverTimesArea - inputArea) <= 1e-6 * max(inputArea, tolerance) else { return nil }

    // One y per point at each boundary: the ends of pieces meeting at a crossing were computed
    // from different edges and may differ in the last bits.
    var ysAt = [[Double]](repeating: [], count: boundaries.count)
    for piece in pieces {
      ysAt[piece.fromBoundary].append(piece.fromY)
      ysAt[piece.toBoundary].append(piece.toY)
    }
    var canonical = [[(Double, Double)]](repeating: [], count: boundaries.count)  // (raw, canonical)
    for boundary in boundaries.indices {
      let sorted = ysAt[boundary].sorted()
      var runStart = -Double.infinity
      var previous = -Double.infinity
      for y in sorted {
        if y - previous > tolerance { runStart = y }
        canonical[boundary].append((y, runStart))
        previous = y
      }
    }
    func snap(_ boundary: Int, _ y: Double) -> Double {
      let table = canonical[boundary]
      var low = 0
      var high = table.count - 1
      while low < high {
        let middle = (low + high) / 2
        if table[middle].0 < y { low = middle + 1 } else { high = middle }
      }
      return table.isEmpty ? y : table[low].1
    }
    for index in pieces.indices {
      pieces[index].fromY = snap(pieces[index].fromBoundary, pieces[index].fromY)
      pieces[index].toY = snap(pieces[index].toBoundary, pieces[index].toY)
    }

    // Vertical pieces where the cover differs across a boundary: going down where only the
    // right side is covered, up where only the left is (the region stays on the left).
    for boundary in boundaries.indices {
      let left = merged(coveredLeft[boundary].map { (snap(boundary, $0.0), snap(boundary, $0.1)) })
      let right = merged(coveredRight[boundary].map { (snap(boundary, $0.0), snap(boundary, $0.1)) })
      for (low, high) in difference(right, left) {
        pieces.append(
          Piece(fromBoundary: boundary, fromY: high, toBoundary: boundary, toY: low))
      }
      for (low, high) in difference(left, right) {
        pieces.append(
          Piece(fromBoundary: boundary, fromY: low, toBoundary: boundary, toY: high))
      }
    }

    // Chain pieces into rings; every point must have exactly one piece in and one out.
    struct Node: Hashable {
      var boundary: Int
      var y: Double
    }
    var outgoing: [Node: Int] = [:]
    outgoing.reserveCapacity(pieces.count)
    for (index, piece) in pieces.enumerated() {
      let node = Node(boundary: piece.fromBoundary, y: piece.fromY)
      guard outgoing.updateValue(index, forKey: node) == nil else { return nil }
    }
    var used = [Bool](repeating: false, count: pieces.count)
    var shells: [(ring: Ring, area: Double)] = []
    var holes: [Ring] = []
    for first in pieces.indices where !used[first] {
      var ring: [Point] = []
      var current = first
      while !used[current] {
        used[current] = true
        let piece = pieces[current]
        ring.append(Point(boundaries[piece.fromBoundary], piece.fromY))
        guard let next = outgoing[Node(boundary: piece.toBoundary, y: piece.toY)] else { return nil }
        current = next
      }
      guard current == first else { return nil }
      // Drop the vertices between two pieces of one straight line (pieces of coinciding
      // edges, split where the slabs are).
      var points: Ring = []
      for point in ring {
        while points.count >= 2,
          isBetween(points[points.count - 1], points[points.count - 2], point, tolerance)
        {
          points.removeLast()
        }
        points.append(point)
      }
      while points.count >= 3,
        isBetween(points[points.count - 1], points[points.count - 2], points[0], tolerance)
      {
        points.removeLast()
      }
      while points.count >= 3, isBetween(points[0], points[points.count - 1], points[1], tolerance) {
        points.removeFirst()
      }
      guard points.count >= 3 else { return nil }
      points = points.map { Point($0.x + origin.x, $0.y + origin.y) }
      points.append(points[0])
      let area = Topology.ringSignedArea(points)
      if area > 0 {
        shells.append((points, area))
      } else if area < 0 {
        holes.append(points)
      }
    }
    guard !shells.isEmpty else { return nil }
    var polygons = shells.map { Polygon(shell: $0.ring, holes: []) }
    for hole in holes {
      // A hole belongs to the smallest shell around it; without pinches it touches none.
      let owner = shells.indices.filter { Topology.contains(MultiPolygon([polygons[$0]]), hole[0]) }
        .min { shells[$0].area < shells[$1].area }
      guard let owner else { return nil }
      polygons[owner].holes.append(hole)
    }
    return MultiPolygon(polygons)
  }

  /// The x of a proper crossing of two edges (strictly inside both); nil when they do not cross.
  private static func crossingX(_ a: Edge, _ b: Edge) -> Double? {
    let d1 = orientation(a.left, a.right, b.left)
    let d2 = orientation(a.left, a.right, b.right)
    guard (d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0) else { return nil }
    let d3 = orientation(b.left, b.right, a.left)
    let d4 = orientation(b.left, b.right, a.right)
    guard (d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0) else { return nil }
    let t = d3 / (d3 - d4)
    return a.left.x + t * (a.right.x - a.left.x)
  }

  /// True when `point` lies on the segment from `start` to `end`, within `tolerance`.
  private static func isBetween(_ point: Point, _ start: Point, _ end: Point, _ tolerance: Double) -> Bool {
    let dx = end.x - start.x
    let dy = end.y - start.y
    let length = (dx * dx + dy * dy).squareRoot()
    guard length > 0 else { return true }
    let offset = abs(orientation(start, end, point)) / length
    let along = ((point.x - start.x) * dx + (point.y - start.y) * dy) / length
    return offset <= tolerance && along > 0 && along < length
  }

  @inline(__always)
  private static func orientation(_ a: Point, _ b: Point, _ c: Point) -> Double {
    (b.x - a.x) * (c.y - a.y) - (b.y - a.y) * (c.x - a.x)
  }

  /// Sorted, disjoint intervals; touching ones joined, empty ones dropped.
  private static func merged(_ intervals: [(Double, Double)]) -> [(Double, Double)] {
    var result: [(Double, Double)] = []
    for interval in intervals.sorted(by: { $0.0 < $1.0 }) where interval.1 > interval.0 {
      if let last = result.last, interval.0 <= last.1 {
        result[result.count - 1].1 = max(last.1, interval.1)
      } else {
        result.append(interval)
      }
    }
    return result
  }

  /// The parts of `a` outside `b` (both sorted and disjoint).
  private static func difference(_ a: [(Double, Double)], _ b: [(Double, Double)]) -> [(Double, Double)] {
    var result: [(Double, Double)] = []
    for (low, high) in a {
      var start = low
      for (otherLow, otherHigh) in b where otherHigh > start && otherLow < high {
        if otherLow > start { result.append((start, otherLow)) }
        start = max(start, otherHigh)
      }
      if start < high { result.append((start, high)) }
    }
    return result
  }
}
