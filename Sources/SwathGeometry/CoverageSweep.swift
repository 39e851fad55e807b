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
///
/// The steps, each below under its own name: `SweepInput.collect` (edges about a local origin),
/// `slabBoundaries` (vertices and crossings), `sweep` (parity per member, slab by slab, into
/// boundary pieces), `BoundaryGraph` (piece ends as nodes, plus the vertical pieces),
/// `chainRings` and `assemble` (rings, holes to their shells).
enum CoverageSweep {
  /// Beyond this many edges the all-pairs crossing search costs more than GEOS.
  static let maximumEdges = 600

  static func region(_ shapes: [MultiPolygon], atLeast needed: Int) -> MultiPolygon? {
    guard needed >= 1, needed <= shapes.count else { return nil }
    guard let input = SweepInput.collect(shapes) else { return nil }
    guard input.edges.count <= maximumEdges else { return nil }
    let boundaries = slabBoundaries(input)
    guard boundaries.count >= 2 else { return nil }
    guard
      let pieces = sweep(
        input.edges, boundaries: boundaries, shapeCount: shapes.count, needed: needed,
        tolerance: input.tolerance)
    else { return nil }
    guard abs(pieces.coverTimesArea - input.area) <= 1e-6 * max(input.area, input.tolerance) else {
      return nil
    }
    let graph = BoundaryGraph(pieces, boundaryCount: boundaries.count, tolerance: input.tolerance)
    guard
      let rings = chainRings(
        graph, boundaries: boundaries, origin: input.origin, tolerance: input.tolerance)
    else { return nil }
    return assemble(rings)
  }

  // MARK: the edges

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

  /// The shapes' non-vertical edges, left to right, about a local origin (small numbers keep
  /// the crossings precise), every vertex's x, and the shapes' total area.
  private struct SweepInput {
    var origin: Point
    var tolerance: Double
    var edges: [Edge] = []
    var xs: [Double] = []
    /// Shells minus holes, summed over the shapes.
    var area = 0.0

    /// Nil when the shapes span no area.
    static func collect(_ shapes: [MultiPolygon]) -> SweepInput? {
      var minX = Double.infinity
      var minY = Double.infinity
      var maxX = -Double.infinity
      var maxY = -Double.infinity
      for shape in shapes {
        for polygon in shape.polygons {
          for point in polygon.shell {
            minX = min(minX, point.x)
            minY = min(minY, point.y)
            maxX = max(maxX, point.x)
            maxY = max(maxY, point.y)
          }
        }
      }
      guard minX.isFinite, maxX > minX, maxY > minY else { return nil }
      var input = SweepInput(
        origin: Point(minX, minY), tolerance: 1e-9 * max(maxX - minX, maxY - minY))
      for (index, shape) in shapes.enumerated() {
        for polygon in shape.polygons {
          input.addRing(polygon.shell, shape: index, isHole: false)
          for hole in polygon.holes { input.addRing(hole, shape: index, isHole: true) }
        }
      }
      return input
    }

    /// The ring's edges and vertices; its area (a shoelace about the local origin, which the
    /// check against the sweep's cover was tuned with) added or, for a hole, taken away.
    private mutating func addRing(_ ring: Ring, shape: Int, isHole: Bool) {
      guard ring.count >= 4 else { return }
      var ringArea = 0.0
      var previous = Point(ring[0].x - origin.x, ring[0].y - origin.y)
      xs.append(previous.x)
      for point in ring.dropFirst() {
        let current = Point(point.x - origin.x, point.y - origin.y)
        ringArea += previous.x * current.y - current.x * previous.y
        xs.append(current.x)
        if current.x < previous.x {
          edges.append(Edge(left: current, right: previous, shape: shape))
        } else if current.x > previous.x {
          edges.append(Edge(left: previous, right: current, shape: shape))
        }
        previous = current
      }
      area += isHole ? -abs(ringArea) / 2 : abs(ringArea) / 2
    }
  }

  // MARK: the slabs

  /// Every vertex's x and every crossing of edges of different shapes (a valid shape's own
  /// edges meet only at vertices), sorted, those closer than the tolerance merged.
  private static func slabBoundaries(_ input: SweepInput) -> [Double] {
    let edges = input.edges
    var xs = input.xs
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
    for x in xs where boundaries.last.map({ x - $0 > input.tolerance }) ?? true {
      boundaries.append(x)
    }
    return boundaries
  }

  // MARK: the sweep

  /// Where the region is covered just beside a boundary: from one piece end to another.
  private struct Interval {
    var boundary: Int
    var low: Int
    var high: Int
  }

  /// The region's boundary along the edges: piece i runs from end 2i to end 2i + 1, each end a
  /// (boundary, y); and the covered y-intervals just left and right of each boundary.
  private struct BoundaryPieces {
    var endBoundary: [Int] = []
    var endY: [Double] = []
    /// In boundary order.
    var coveredLeft: [Interval] = []
    var coveredRight: [Interval] = []
    /// The trapezoids' areas times their cover: the shapes' total area when all is well.
    var coverTimesArea = 0.0

    /// A piece where the cover crosses `needed` along the edge from (slab, low) to
    /// (slab + 1, high): running left to right when covered above (the region on its left),
    /// right to left when it closes a covered interval.
    mutating func addPiece(slab: Int, low: Double, high: Double, coveredAbove: Bool) {
      let first = endY.count
      if coveredAbove {
        endBoundary += [slab, slab + 1]
        endY += [low, high]
        coveredRight.append(Interval(boundary: slab, low: first, high: -1))
        coveredLeft.append(Interval(boundary: slab + 1, low: first + 1, high: -1))
      } else {
        endBoundary += [slab + 1, slab]
        endY += [high, low]
        coveredRight[coveredRight.count - 1].high = first + 1
        coveredLeft[coveredLeft.count - 1].high = first
      }
    }
  }

  /// Slab by slab, the edges across it bottom to top, grouped where they coincide; each
  /// member's even–odd parity gives the cover above each group. Nil when two edges cross inside
  /// a slab (rounding hid a crossing) or the cover does not return to 0 at the top.
  private static func sweep(
    _ edges: [Edge], boundaries: [Double], shapeCount: Int, needed: Int, tolerance: Double
  ) -> BoundaryPieces? {
    var pieces = BoundaryPieces()
    var across: [(edge: Int, low: Double, high: Double)] = []
    var parity = [Bool](repeating: false, count: shapeCount)
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
          pieces.coverTimesArea += Double(cover) * (x1 - x0) * height / 2
        }
        for member in start..<end {
          let shape = edges[across[member].edge].shape
          parity[shape].toggle()
          cover += parity[shape] ? 1 : -1
        }
        let nowCovered = cover >= needed
        if nowCovered != covered {
          pieces.addPiece(slab: slab, low: line.low, high: line.high, coveredAbove: nowCovered)
          covered = nowCovered
        }
        below = (line.low, line.high)
        start = end
      }
      guard cover == 0 else { return nil }
    }
    return pieces
  }

  // MARK: the boundary as a graph

  /// Piece ends become nodes, one per point at each boundary; each piece is a link, and the
  /// vertical pieces where the cover differs across a boundary are links too.
  private struct BoundaryGraph {
    var nodeBoundary: [Int] = []
    var nodeY: [Double] = []
    var links: [(from: Int, to: Int)] = []

    init(_ pieces: BoundaryPieces, boundaryCount: Int, tolerance: Double) {
      // One node per point, since the ends of pieces meeting at a crossing were computed from
      // different edges and may differ in the last bits.
      let endBoundary = pieces.endBoundary
      let endY = pieces.endY
      let order = endY.indices.sorted { (endBoundary[$0], endY[$0]) < (endBoundary[$1], endY[$1]) }
      var nodeOfEnd = [Int](repeating: 0, count: endY.count)
      var previous: (boundary: Int, y: Double) = (-1, 0)
      for end in order {
        let boundary = endBoundary[end]
        let y = endY[end]
        if boundary != previous.boundary || y - previous.y > tolerance {
          nodeBoundary.append(boundary)
          nodeY.append(y)
        }
        nodeOfEnd[end] = nodeBoundary.count - 1
        previous = (boundary, y)
      }
      links = stride(from: 0, to: endY.count, by: 2).map { (nodeOfEnd[$0], nodeOfEnd[$0 + 1]) }

      // Vertical pieces: going down where only the right side is covered, up where only the
      // left is (the region stays on the left).
      var leftPosition = 0
      var rightPosition = 0
      for boundary in 0..<boundaryCount {
        let left = CoverageSweep.nodeIntervals(
          pieces.coveredLeft, at: boundary, from: &leftPosition, nodeOfEnd, nodeY)
        let right = CoverageSweep.nodeIntervals(
          pieces.coveredRight, at: boundary, from: &rightPosition, nodeOfEnd, nodeY)
        for (low, high) in CoverageSweep.difference(right, left, nodeY) {
          links.append((high, low))
        }
        for (low, high) in CoverageSweep.difference(left, right, nodeY) {
          links.append((low, high))
        }
      }
    }
  }

  // MARK: rings

  /// The links chained into rings, straight-line vertices dropped, back at the original
  /// coordinates and closed. Nil when a node has more than one link out (a pinch), a chain does
  /// not close, or a ring collapses.
  private static func chainRings(
    _ graph: BoundaryGraph, boundaries: [Double], origin: Point, tolerance: Double
  ) -> [Ring]? {
    let links = graph.links
    var outgoing = [Int](repeating: -1, count: graph.nodeY.count)
    for (index, link) in links.enumerated() {
      guard outgoing[link.from] < 0 else { return nil }
      outgoing[link.from] = index
    }
    var used = [Bool](repeating: false, count: links.count)
    var rings: [Ring] = []
    var ring: [Point] = []
    for first in links.indices where !used[first] {
      ring.removeAll(keepingCapacity: true)
      var current = first
      while !used[current] {
        used[current] = true
        let from = links[current].from
        ring.append(Point(boundaries[graph.nodeBoundary[from]], graph.nodeY[from]))
        current = outgoing[links[current].to]
        guard current >= 0 else { return nil }
      }
      guard current == first else { return nil }
      guard var points = withoutStraightVertices(ring, tolerance: tolerance) else { return nil }
      for index in points.indices {
        points[index] = Point(points[index].x + origin.x, points[index].y + origin.y)
      }
      points.append(points[0])
      rings.append(points)
    }
    return rings
  }

  /// The ring without the vertices between two pieces of one straight line (pieces of
  /// coinciding edges, split where the slabs are); nil when fewer than 3 are left.
  private static func withoutStraightVertices(_ ring: [Point], tolerance: Double) -> Ring? {
    var points: Ring = []
    points.reserveCapacity(ring.count + 1)
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
    return points.count >= 3 ? points : nil
  }

  /// Counter-clockwise rings are shells, clockwise ones holes, each in the smallest shell
  /// around it (without pinches it touches none). Nil without a shell or with an orphan hole.
  private static func assemble(_ rings: [Ring]) -> MultiPolygon? {
    var shells: [(ring: Ring, area: Double)] = []
    var holes: [Ring] = []
    for ring in rings {
      let area = Topology.ringSignedArea(ring)
      if area > 0 {
        shells.append((ring, area))
      } else if area < 0 {
        holes.append(ring)
      }
    }
    guard !shells.isEmpty else { return nil }
    var polygons = shells.map { Polygon(shell: $0.ring, holes: []) }
    for hole in holes {
      var owner: Int?
      for index in shells.indices
      where Topology.contains(MultiPolygon(polygons[index]), hole[0])
        && owner.map({ shells[index].area < shells[$0].area }) ?? true
      {
        owner = index
      }
      guard let owner else { return nil }
      polygons[owner].holes.append(hole)
    }
    return MultiPolygon(polygons)
  }

  // MARK: small helpers

  /// The covered intervals beside `boundary` as node pairs, bottom to top, touching ones joined.
  /// `intervals` is in boundary order; `position` walks it across calls.
  private static func nodeIntervals(
    _ intervals: [Interval], at boundary: Int, from position: inout Int, _ nodeOfEnd: [Int],
    _ nodeY: [Double]
  ) -> [(Int, Int)] {
    var result: [(Int, Int)] = []
    while position < intervals.count, intervals[position].boundary == boundary {
      let low = nodeOfEnd[intervals[position].low]
      let high = nodeOfEnd[intervals[position].high]
      position += 1
      guard nodeY[high] > nodeY[low] else { continue }
      if let last = result.last, nodeY[low] <= nodeY[last.1] {
        if nodeY[high] > nodeY[last.1] { result[result.count - 1].1 = high }
      } else {
        result.append((low, high))
      }
    }
    return result
  }

  /// The parts of `a` outside `b` (both bottom to top and disjoint), as node pairs.
  private static func difference(_ a: [(Int, Int)], _ b: [(Int, Int)], _ nodeY: [Double]) -> [(
    Int, Int
  )] {
    var result: [(Int, Int)] = []
    for (low, high) in a {
      var start = low
      for (otherLow, otherHigh) in b
      where nodeY[otherHigh] > nodeY[start] && nodeY[otherLow] < nodeY[high] {
        if nodeY[otherLow] > nodeY[start] { result.append((start, otherLow)) }
        if nodeY[otherHigh] > nodeY[start] { start = otherHigh }
      }
      if nodeY[start] < nodeY[high] { result.append((start, high)) }
    }
    return result
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
  private static func isBetween(_ point: Point, _ start: Point, _ end: Point, _ tolerance: Double)
    -> Bool
  {
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
}
