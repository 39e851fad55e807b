import CGEOS
import Foundation

/// Intersection over union of two shapes.
public enum IoU {
  /// Closed form for axis-aligned boxes; 0 when they are disjoint or only touch.
  public static func boxes(_ a: BoundingBox, _ b: BoundingBox) -> Double {
    a.iou(b)
  }

  /// Exact polygon IoU. Both shapes are moved by the joint envelope's (minX, minY) first, so
  /// UTM-sized coordinates keep their precision. Shapes whose envelopes do not overlap with
  /// positive area cannot overlap: 0 without any overlay. Shapes whose rings (shells and
  /// holes) have up to 64 positions each (buildings, boxes, L shapes, courtyards) are cut into
  /// convex pieces and clipped directly; anything else (larger rings, rings that cannot be cut
  /// cleanly) goes through GEOS. Inputs are expected to be OGC-valid (validated or made valid
  /// beforehand).
  public static func polygons(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    guard let boxA = a.envelope, let boxB = b.envelope else { return 0 }
    return try polygons(a, envelope: boxA, b, envelope: boxB)
  }

  /// As `polygons(_:_:)`, with envelopes the caller already has (e.g. from its index).
  public static func polygons(
    _ a: MultiPolygon, envelope boxA: BoundingBox, _ b: MultiPolygon, envelope boxB: BoundingBox
  ) throws -> Double {
    guard let origin = overlapOrigin(boxA, boxB) else { return 0 }
    let areas = try measure(a, b, origin: origin, direct: true)
    return ratio(areas.intersection, areas.a, areas.b)
  }

  /// The area of a ∩ b, measured as `polygons(_:_:)` measures it: convex clipping where the
  /// shapes allow it, a GEOS overlay otherwise. 0 when the envelopes do not overlap with
  /// positive area.
  public static func intersectionArea(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    guard let boxA = a.envelope, let boxB = b.envelope, let origin = overlapOrigin(boxA, boxB)
    else { return 0 }
    return try measure(a, b, origin: origin, direct: true).intersection
  }

  /// The area of a ∩ b, and for each region the area of a ∩ b ∩ region (e.g. how much of two
  /// shapes' contact lies in each of some strips), measured as `intersectionArea(_:_:)`
  /// measures; regions that miss a ∩ b get 0.
  public static func intersectionAreas(_ a: MultiPolygon, _ b: MultiPolygon, within regions: [MultiPolygon])
    throws -> (both: Double, within: [Double])
  {
    let nothing = (both: 0.0, within: [Double](repeating: 0, count: regions.count))
    guard let boxA = a.envelope, let boxB = b.envelope, let origin = overlapOrigin(boxA, boxB)
    else { return nothing }
    if let piecesA = ConvexClip.pieces(a, origin: origin),
      let piecesB = ConvexClip.pieces(b, origin: origin)
    {
      let regionPieces = regions.map { ConvexClip.pieces($0, origin: origin) }
      if regionPieces.allSatisfy({ $0 != nil }) {
        let both = ConvexClip.intersection(piecesA, piecesB)
        guard both.area > 0 else { return nothing }
        return (both.area, regionPieces.map { ConvexClip.intersectionArea(both, $0!) })
      }
    }
    let (both, _, _) = try overlay(a, b, origin: origin)
    let context = both.context
    let bothArea = both.area
    guard bothArea > 0 else { return nothing }
    let within = try regions.map { region in
      let geometry = try context.makeGeometry(region, origin: origin)
      return try GEOSGeometryBox.check(
        GEOSIntersection_r(context.handle, both.pointer, geometry.pointer), "intersection",
        context: context
      ).area
    }
    return (bothArea, within)
  }

  /// IoU through GEOS overlay only, whatever the shapes: the reference the convex path is
  /// checked against.
  public static func overlay(_ a: MultiPolygon, _ b: MultiPolygon) throws -> Double {
    guard let boxA = a.envelope, let boxB = b.envelope,
      let origin = overlapOrigin(boxA, boxB)
    else { return 0 }
    let areas = try measure(a, b, origin: origin, direct: false)
    return ratio(areas.intersection, areas.a, areas.b)
  }

  /// The local origin when the envelopes overlap with positive area; nil when IoU must be 0.
  private static func overlapOrigin(_ boxA: BoundingBox, _ boxB: BoundingBox) -> Point? {
    let overlapWidth = min(boxA.maxX, boxB.maxX) - max(boxA.minX, boxB.minX)
    let overlapHeight = min(boxA.maxY, boxB.maxY) - max(boxA.minY, boxB.minY)
    guard overlapWidth > 0, overlapHeight > 0 else { return nil }
    return Point(min(boxA.minX, boxB.minX), min(boxA.minY, boxB.minY))
  }

  /// The areas of a ∩ b, a and b about `origin`: by convex clipping when `direct` and both
  /// shapes can be cut into convex pieces, else by GEOS overlay.
  private static func measure(_ a: MultiPolygon, _ b: MultiPolygon, origin: Point, direct: Bool)
    throws -> (intersection: Double, a: Double, b: Double)
  {
    if direct, let piecesA = ConvexClip.pieces(a, origin: origin),
      let piecesB = ConvexClip.pieces(b, origin: origin)
    {
      return (ConvexClip.intersectionArea(piecesA, piecesB), piecesA.area, piecesB.area)
    }
    let (intersection, geometryA, geometryB) = try overlay(a, b, origin: origin)
    return (intersection.area, geometryA.area, geometryB.area)
  }

  /// a ∩ b by a GEOS overlay about `origin`, with both inputs as GEOS built them.
  private static func overlay(_ a: MultiPolygon, _ b: MultiPolygon, origin: Point) throws
    -> (intersection: GEOSGeometryBox, a: GEOSGeometryBox, b: GEOSGeometryBox)
  {
    let context = GEOSContext.current
    context.resetMessages()
    let geometryA = try context.makeGeometry(a, origin: origin)
    let geometryB = try context.makeGeometry(b, origin: origin)
    let intersection = try GEOSGeometryBox.check(
      GEOSIntersection_r(context.handle, geometryA.pointer, geometryB.pointer), "intersection",
      context: context)
    return (intersection, geometryA, geometryB)
  }

  /// intersection / (a + b − intersection), clamped to [0, 1].
  private static func ratio(_ intersection: Double, _ areaA: Double, _ areaB: Double) -> Double {
    guard intersection > 0 else { return 0 }
    let union = areaA + areaB - intersection
    guard union > 0 else { return 0 }
    return min(1, intersection / union)
  }
}

/// Polygon clipping for the common case of small shapes (buildings, boxes, courtyards): every
/// ring is cut into convex pieces (itself when convex, else ear-clipped triangles), and the
/// intersection area is the signed sum over piece pairs of Sutherland–Hodgman clips, in local
/// coordinates. Two orders of magnitude faster than a GEOS overlay. Intersection points are
/// interpolated along the subject edge with t = d0 / (d0 − d1), where d0 and d1 have opposite
/// signs, so a nearly collinear edge can never throw a point far away.
///
/// Holes: the indicator of a valid polygon is its shell's minus its holes' (holes lie inside
/// the shell and do not overlap each other; parts do not overlap), so area(A ∩ B) is the sum
/// over ring pairs of ±area(ringA ∩ ringB): + for shell/shell and hole/hole, − for shell/hole.
/// Hole-free shapes have only + terms (their pieces tile them: no cancellation). With holes
/// the terms cancel, but each term is the area of a convex piece clipped by another, so its
/// rounding error is a few ulps of that piece's own area, never more than the shell around it;
/// the sum's error is thus a few ulps of the shells' areas, while IoU divides by the union,
/// which is at least the larger shape's area. Only a ring that is nearly all hole (a wall a
/// thousandth of the courtyard's width) would lose more than three digits of the 16. A true
/// zero (a shape inside the other's courtyard) comes out as a residue of that size, which
/// `intersectionArea` rounds to 0 as GEOS would report it.
enum ConvexClip {
  static let maximumRingSize = 64

  struct Piece {
    var ring: [Point]
    /// Unsigned; `sign` says whether the piece adds (shell) or removes (hole) area.
    var area: Double
    var sign: Double
    var box: BoundingBox
  }

  struct Pieces {
    var pieces: [Piece]
    /// The signed total: shells minus holes.
    var area: Double
  }

  /// The convex pieces of every shell and hole moved by −origin; nil when a ring is large or
  /// unclosed, or does not cut cleanly (GEOS then measures the shape).
  static func pieces(_ geometry: MultiPolygon, origin: Point) -> Pieces? {
    guard !geometry.polygons.isEmpty else { return nil }
    var result = Pieces(pieces: [], area: 0)
    for polygon in geometry.polygons {
      guard append(polygon.shell, sign: 1, origin: origin, to: &result) else { return nil }
      // GEOS drops empty holes too.
      for hole in polygon.holes where !hole.isEmpty {
        guard append(hole, sign: -1, origin: origin, to: &result) else { return nil }
      }
    }
    return result
  }

  /// Adds the convex pieces of one ring; false when the ring cannot be cut.
  private static func append(_ ring: Ring, sign: Double, origin: Point, to result: inout Pieces) -> Bool {
    guard let ring = localRing(ring, origin: origin) else { return false }
    let ringArea = Topology.ringSignedArea(ring)
    result.area += sign * ringArea
    if isConvex(ring) {
      result.pieces.append(piece(ring, area: ringArea, sign: sign))
      return true
    }
    guard let triangles = triangulate(ring) else { return false }
    var sum = 0.0
    for triangle in triangles {
      let triangleArea = Topology.ringSignedArea(triangle)
      sum += triangleArea
      result.pieces.append(piece(triangle, area: triangleArea, sign: sign))
    }
    // The triangles must tile the ring; rounding in a near-degenerate ring could make
    // ear clipping go wrong, and GEOS is the safe answer then.
    return abs(sum - ringArea) <= 1e-12 * ringArea
  }

  private static func piece(_ ring: [Point], area: Double, sign: Double) -> Piece {
    var box = BoundingBox(minX: ring[0].x, minY: ring[0].y, maxX: ring[0].x, maxY: ring[0].y)
    for point in ring.dropFirst() { box.include(point) }
    return Piece(ring: ring, area: area, sign: sign, box: box)
  }

  /// The counter-clockwise vertices of a one-part, hole-free convex polygon moved by −origin
  /// (closing and repeated positions dropped); nil for anything else.
  static func convexRing(_ geometry: MultiPolygon, origin: Point) -> [Point]? {
    guard geometry.polygons.count == 1, let polygon = geometry.polygons.first,
      polygon.holes.allSatisfy(\.isEmpty), let ring = localRing(polygon.shell, origin: origin),
      isConvex(ring)
    else { return nil }
    return ring
  }

  /// A closed ring of 4...64 positions as counter-clockwise local vertices, closing and
  /// consecutive repeated positions dropped; nil if unclosed, too small, or of no area.
  static func localRing(_ ring: Ring, origin: Point) -> [Point]? {
    guard ring.count >= 4, ring.count <= maximumRingSize, ring.first == ring.last else {
      return nil
    }
    var points: [Point] = []
    points.reserveCapacity(ring.count - 1)
    for point in ring.dropLast() {
      let local = Point(point.x - origin.x, point.y - origin.y)
      if local != points.last { points.append(local) }
    }
    while points.count > 1, points.last == points.first { points.removeLast() }
    guard points.count >= 3 else { return nil }
    let signed = Topology.ringSignedArea(points)
    guard signed.isFinite, signed != 0 else { return nil }
    if signed < 0 { points.reverse() }
    return points
  }

  /// Convex and simple: every turn is left or straight ahead, and the edge directions change
  /// sign at most twice in x and in y (a pentagram turns left everywhere too).
  static func isConvex(_ points: [Point]) -> Bool {
    var xSignChanges = 0
    var ySignChanges = 0
    var lastXSign = 0.0
    var lastYSign = 0.0
    let count = points.count
    for index in 0..<count {
      let a = points[index]
      let b = points[(index + 1) % count]
      let c = points[(index + 2) % count]
      let abX = b.x - a.x
      let abY = b.y - a.y
      let bcX = c.x - b.x
      let bcY = c.y - b.y
      let turn = abX * bcY - abY * bcX
      if turn < 0 { return false }
      if turn == 0, abX * bcX + abY * bcY <= 0 { return false }  // a spike folding back
      if abX != 0 {
        let sign: Double = abX > 0 ? 1 : -1
        if lastXSign != 0, sign != lastXSign { xSignChanges += 1 }
        lastXSign = sign
      }
      if abY != 0 {
        let sign: Double = abY > 0 ? 1 : -1
        if lastYSign != 0, sign != lastYSign { ySignChanges += 1 }
        lastYSign = sign
      }
    }
    return xSignChanges <= 2 && ySignChanges <= 2
  }

  /// Ear clipping of a counter-clockwise simple ring: an ear is a left turn whose triangle
  /// holds no other remaining vertex (boundary included). Straight-ahead vertices are dropped;
  /// nil when no ear is found (a ring touching itself, or rounding at near-degenerate vertices).
  static func triangulate(_ ring: [Point]) -> [[Point]]? {
    var remaining = ring
    var triangles: [[Point]] = []
    triangles.reserveCapacity(ring.count - 2)
    while remaining.count > 3 {
      let count = remaining.count
      var clipped = false
      for index in 0..<count {
        let a = remaining[(index + count - 1) % count]
        let b = remaining[index]
        let c = remaining[(index + 1) % count]
        let turn = (b.x - a.x) * (c.y - b.y) - (b.y - a.y) * (c.x - b.x)
        if turn == 0 {
          guard (b.x - a.x) * (c.x - b.x) + (b.y - a.y) * (c.y - b.y) > 0 else { return nil }
          remaining.remove(at: index)
          clipped = true
          break
        }
        guard turn > 0 else { continue }
        var isEar = true
        for other in 0..<count {
          if other == index || other == (index + 1) % count || other == (index + count - 1) % count {
            continue
          }
          let point = remaining[other]
          if cross(a, b, point) >= 0 && cross(b, c, point) >= 0 && cross(c, a, point) >= 0 {
            isEar = false
            break
          }
        }
        guard isEar else { continue }
        triangles.append([a, b, c])
        remaining.remove(at: index)
        clipped = true
        break
      }
      guard clipped else { return nil }
    }
    if Topology.ringSignedArea(remaining) > 0 { triangles.append(remaining) }
    return triangles
  }

  @inline(__always)
  private static func cross(_ a: Point, _ b: Point, _ point: Point) -> Double {
    (b.x - a.x) * (point.y - a.y) - (b.y - a.y) * (point.x - a.x)
  }

  /// Whether two pieces' envelopes overlap with positive area (else they cannot overlap).
  @inline(__always)
  private static func overlap(_ a: Piece, _ b: Piece) -> Bool {
    min(a.box.maxX, b.box.maxX) > max(a.box.minX, b.box.minX)
      && min(a.box.maxY, b.box.maxY) > max(a.box.minY, b.box.minY)
  }

  /// Signed sum over piece pairs with overlapping envelopes; each pair clips the smaller
  /// piece by the larger, so kept vertices are exact and new ones lie on the shorter edges.
  static func intersectionArea(_ a: Pieces, _ b: Pieces) -> Double {
    var total = 0.0
    var magnitude = 0.0
    for pieceA in a.pieces {
      for pieceB in b.pieces {
        guard overlap(pieceA, pieceB) else { continue }
        let clipped =
          pieceA.area <= pieceB.area
          ? intersectionArea(pieceA.ring, pieceB.ring) : intersectionArea(pieceB.ring, pieceA.ring)
        total += pieceA.sign * pieceB.sign * clipped
        magnitude += clipped
      }
    }
    // Without holes total == magnitude; with them, what is left after cancellation below the
    // terms' rounding is no overlap at all.
    return total > 1e-12 * magnitude ? total : 0
  }

  /// The pieces of a ∩ b: every overlapping pair's clip, signed by the product of the pair's
  /// signs, so that a sum over them (such as `intersectionArea` with a third shape) is the
  /// same bilinear sum as for the shapes' own pieces.
  static func intersection(_ a: Pieces, _ b: Pieces) -> Pieces {
    var result = Pieces(pieces: [], area: 0)
    var magnitude = 0.0
    for pieceA in a.pieces {
      for pieceB in b.pieces {
        guard overlap(pieceA, pieceB) else { continue }
        let ring =
          pieceA.area <= pieceB.area ? clip(pieceA.ring, by: pieceB.ring) : clip(pieceB.ring, by: pieceA.ring)
        guard ring.count >= 3 else { continue }
        let clippedArea = Topology.ringSignedArea(ring)
        guard clippedArea > 0 else { continue }
        let sign = pieceA.sign * pieceB.sign
        result.pieces.append(piece(ring, area: clippedArea, sign: sign))
        result.area += sign * clippedArea
        magnitude += clippedArea
      }
    }
    // As in `intersectionArea`: a residue below the terms' rounding is no overlap.
    if result.area <= 1e-12 * magnitude { result.area = 0 }
    return result
  }

  /// Area of the intersection of two counter-clockwise convex rings.
  static func intersectionArea(_ subject: [Point], _ clip: [Point]) -> Double {
    clipping(subject, by: clip) { ring in ring.count < 3 ? 0 : max(0, Topology.ringSignedArea(ring)) }
  }

  /// The intersection of two counter-clockwise convex rings, counter-clockwise; empty when
  /// fewer than 3 positions are left.
  static func clip(_ subject: [Point], by clip: [Point]) -> [Point] {
    clipping(subject, by: clip) { ring in ring.count < 3 ? [] : Array(ring) }
  }

  /// Sutherland–Hodgman, one clip edge at a time, between two scratch buffers on the stack (a
  /// convex n-gon clipped by a convex m-gon keeps at most n + m positions): clipping runs for
  /// every piece pair of every IoU, and heap arrays would cost more than the arithmetic.
  /// `body` sees the result, empty when fewer than 3 positions are left.
  private static func clipping<Result>(
    _ subject: [Point], by clip: [Point], _ body: (UnsafeBufferPointer<Point>) -> Result
  ) -> Result {
    let capacity = subject.count + clip.count
    return withUnsafeTemporaryAllocation(of: Point.self, capacity: 2 * capacity) { scratch in
      var current = scratch.baseAddress!
      var next = current + capacity
      var count = subject.count
      _ = UnsafeMutableBufferPointer(start: current, count: count).initialize(from: subject)
      for edge in clip.indices {
        let c1 = clip[edge]
        let c2 = clip[edge + 1 == clip.count ? 0 : edge + 1]
        let edgeX = c2.x - c1.x
        let edgeY = c2.y - c1.y
        var nextCount = 0
        var start = current[count - 1]
        var startDistance = edgeX * (start.y - c1.y) - edgeY * (start.x - c1.x)
        for index in 0..<count {
          let end = current[index]
          let endDistance = edgeX * (end.y - c1.y) - edgeY * (end.x - c1.x)
          if endDistance >= 0 {
            if startDistance < 0 {
              next[nextCount] = interpolate(start, end, startDistance, endDistance)
              nextCount += 1
            }
            next[nextCount] = end
            nextCount += 1
          } else if startDistance >= 0 {
            next[nextCount] = interpolate(start, end, startDistance, endDistance)
            nextCount += 1
          }
          start = end
          startDistance = endDistance
        }
        swap(&current, &next)
        count = nextCount
        if count < 3 { return body(UnsafeBufferPointer(start: current, count: 0)) }
      }
      return body(UnsafeBufferPointer(start: current, count: count))
    }
  }

  @inline(__always)
  private static func interpolate(_ start: Point, _ end: Point, _ d0: Double, _ d1: Double)
    -> Point
  {
    let t = d0 / (d0 - d1)
    return Point(start.x + t * (end.x - start.x), start.y + t * (end.y - start.y))
  }
}
