import CGEOS
import Foundation

/// OGC validity of a polygonal geometry: GEOS's reason and the point where it happens.
public struct Validity: Sendable, Hashable {
  public var isValid: Bool
  /// GEOS's reason ("Self-intersection", "Ring Self-intersection", "Hole lies outside shell",
  /// "Nested shells", "Holes are nested", "Interior is disconnected", "Too few points in
  /// geometry component", "Invalid Coordinate"), or "Ring not closed" for a ring GEOS cannot
  /// even build.
  public var reason: String?
  public var location: Point?

  public init(isValid: Bool, reason: String? = nil, location: Point? = nil) {
    self.isValid = isValid
    self.reason = reason
    self.location = location
  }

  public static let valid = Validity(isValid: true)
}

/// GEOS topology on annotator shapes. Every call uses the calling thread's GEOS context.
/// Overlay operations run about a local origin (the joint envelope's lower-left corner) so
/// UTM-sized coordinates keep their precision; results are moved back.
public enum Topology {
  /// OGC validity (GEOSisValidDetail_r) at the original coordinates.
  ///
  /// Rings GEOS cannot build are reported without calling it: a ring of 1–3 positions is
  /// "Too few points in geometry component" (GEOS's wording), a ring whose last position
  /// differs from its first is "Ring not closed"
  /// (rings are never closed silently), a non-finite ordinate is "Invalid Coordinate".
  /// Empty rings follow GEOS/JTS: an empty polygon or part is valid and an empty hole is
  /// ignored (RFC 7946 structure checks belong to the GeoJSON validator).
  public static func validity(_ geometry: MultiPolygon) -> Validity {
    if let problem = ringProblem(geometry) { return problem }
    let context = GEOSContext.current
    context.resetMessages()
    let built: GEOSGeometryBox
    do {
      built = try context.makeGeometry(geometry)
    } catch {
      return Validity(
        isValid: false, reason: (error as? GEOSError)?.message ?? "\(error)",
        location: geometry.allPoints.first { _ in true })
    }
    var reason: UnsafeMutablePointer<CChar>?
    var location: OpaquePointer?
    let verdict = GEOSisValidDetail_r(context.handle, built.pointer, 0, &reason, &location)
    defer {
      if let reason { GEOSFree_r(context.handle, reason) }
      if let location { GEOSGeom_destroy_r(context.handle, location) }
    }
    switch verdict {
    case 1:
      return .valid
    case 0:
      var point: Point?
      if let location {
        var x = 0.0
        var y = 0.0
        if GEOSGeomGetX_r(context.handle, location, &x) == 1,
          GEOSGeomGetY_r(context.handle, location, &y) == 1
        {
          point = Point(x, y)
        }
      }
      return Validity(
        isValid: false, reason: reason.map { String(cString: $0) } ?? "invalid", location: point)
    default:
      return Validity(isValid: false, reason: context.error("validity").message, location: nil)
    }
  }

  /// The first ring GEOS could not build, as a Validity; nil when every ring can be built.
  static func ringProblem(_ geometry: MultiPolygon) -> Validity? {
    for polygon in geometry.polygons {
      for ring in polygon.rings where !ring.isEmpty {
        if let bad = ring.first(where: { !$0.x.isFinite || !$0.y.isFinite }) {
          return Validity(isValid: false, reason: "Invalid Coordinate", location: bad)
        }
        if ring.count < 4 {
          return Validity(isValid: false, reason: "Too few points in geometry component", location: ring[0])
        }
        if ring.first != ring.last {
          return Validity(isValid: false, reason: "Ring not closed", location: ring[0])
        }
      }
      if polygon.shell.isEmpty, polygon.holes.contains(where: { !$0.isEmpty }) {
        let hole = polygon.holes.first { !$0.isEmpty }!
        return Validity(isValid: false, reason: "Hole lies outside shell", location: hole[0])
      }
    }
    return nil
  }

  /// GEOS make-valid (GEOSMakeValid_r), keeping only the polygonal parts of its result.
  public static func makeValid(_ geometry: MultiPolygon) throws -> MultiPolygon {
    let context = GEOSContext.current
    context.resetMessages()
    let built = try context.makeGeometry(geometry)
    let repaired = try GEOSGeometryBox.check(
      GEOSMakeValid_r(context.handle, built.pointer), "make-valid", context: context)
    return context.polygons(of: repaired.pointer)
  }

  /// Unary union of every polygon of every input.
  public static func union(_ geometries: [MultiPolygon]) throws -> MultiPolygon {
    let nonEmpty = geometries.filter { !$0.isEmpty }
    guard !nonEmpty.isEmpty else { return MultiPolygon([]) }
    let origin = localOrigin(nonEmpty)
    let context = GEOSContext.current
    context.resetMessages()
    let collection = try context.makeCollection(nonEmpty, origin: origin)
    let merged = try GEOSGeometryBox.check(
      GEOSUnaryUnion_r(context.handle, collection.pointer), "union", context: context)
    return context.polygons(of: merged.pointer, origin: origin)
  }

  public static func intersection(_ a: MultiPolygon, _ b: MultiPolygon) throws -> MultiPolygon {
    guard let boxA = a.envelope, let boxB = b.envelope, boxA.intersects(boxB) else {
      return MultiPolygon([])
    }
    return try overlay(a, b, "intersection", GEOSIntersection_r)
  }

  public static func difference(_ a: MultiPolygon, _ b: MultiPolygon) throws -> MultiPolygon {
    guard let boxA = a.envelope else { return MultiPolygon([]) }
    guard let boxB = b.envelope, boxA.intersects(boxB) else { return a }
    return try overlay(a, b, "difference", GEOSDifference_r)
  }

  private static func overlay(
    _ a: MultiPolygon, _ b: MultiPolygon, _ name: String,
    _ operation: (GEOSContextHandle_t, OpaquePointer, OpaquePointer) -> OpaquePointer?
  ) throws -> MultiPolygon {
    let origin = localOrigin([a, b])
    let context = GEOSContext.current
    context.resetMessages()
    let geometryA = try context.makeGeometry(a, origin: origin)
    let geometryB = try context.makeGeometry(b, origin: origin)
    let result = try GEOSGeometryBox.check(
      operation(context.handle, geometryA.pointer, geometryB.pointer), name, context: context)
    return context.polygons(of: result.pointer, origin: origin)
  }

  /// The region covered by at least `needed` of `geometries` (each valid and polygonal); valid.
  /// A plane sweep in Swift when the arrangement is clean (nearly always), else GEOS overlays by
  /// level sets: L(j) ← L(j) ∪ (L(j−1) ∩ P) for each input P.
  public static func coverage(_ geometries: [MultiPolygon], atLeast needed: Int) throws -> MultiPolygon {
    let inputs = geometries.filter { !$0.isEmpty }
    guard needed >= 1, inputs.count >= needed else { return MultiPolygon([]) }
    if inputs.count == 1 { return inputs[0] }
    if let swept = CoverageSweep.region(inputs, atLeast: needed), validity(swept).isValid {
      return swept
    }
    return try coverageByOverlay(inputs, atLeast: needed)
  }

  /// `coverage` through GEOS overlays only: the reference the sweep is checked against.
  public static func coverageByOverlay(_ geometries: [MultiPolygon], atLeast needed: Int) throws
    -> MultiPolygon
  {
    let count = geometries.count
    guard needed >= 1, count >= needed else { return MultiPolygon([]) }
    var levels = [MultiPolygon?](repeating: nil, count: needed + 1)
    for (position, member) in geometries.enumerated() {
      let remaining = count - position - 1
      for level in stride(from: min(needed, position + 1), through: 1, by: -1) {
        // A level that cannot reach `needed` with the inputs still to come is never used.
        if level + remaining < needed { break }
        let addition: MultiPolygon
        if level == 1 {
          addition = member
        } else {
          guard let below = levels[level - 1] else { continue }
          addition = try intersection(below, member)
          if addition.isEmpty { continue }
        }
        if let current = levels[level] {
          levels[level] = try union([current, addition])
        } else {
          levels[level] = addition
        }
      }
    }
    return levels[needed] ?? MultiPolygon([])
  }

  /// Even–odd point in polygon over every ring, holes included.
  public static func contains(_ geometry: MultiPolygon, _ point: Point) -> Bool {
    var inside = false
    for polygon in geometry.polygons {
      for ring in polygon.rings where ring.count > 2 {
        var previous = ring[ring.count - 1]
        for current in ring {
          if (current.y > point.y) != (previous.y > point.y) {
            let x = previous.x + (point.y - previous.y) / (current.y - previous.y) * (current.x - previous.x)
            if point.x < x { inside.toggle() }
          }
          previous = current
        }
      }
    }
    return inside
  }

  /// `geometry` with every ordinate rounded to `decimals` places (as GeoJSONWriter writes them),
  /// still valid: rounding can fold a notch narrower than the grid into a spike or make two
  /// edges cross, and such a shape is snapped by GEOS's precision reducer instead, which keeps
  /// the topology valid at that grid.
  public static func rounded(_ geometry: MultiPolygon, decimals: Int) throws -> MultiPolygon {
    let scale = pow(10, Double(decimals))
    func round(_ value: Double) -> Double {
      abs(value) * scale < 9e15 ? (value * scale).rounded() / scale : value
    }
    func roundRing(_ ring: Ring) -> Ring {
      var result: Ring = []
      result.reserveCapacity(ring.count)
      for point in ring {
        let rounded = Point(round(point.x), round(point.y))
        if rounded != result.last { result.append(rounded) }
      }
      return result
    }
    let simple = MultiPolygon(
      geometry.polygons.map { Polygon(shell: roundRing($0.shell), holes: $0.holes.map(roundRing)) })
    if validity(simple).isValid { return simple }
    let context = GEOSContext.current
    context.resetMessages()
    let built = try context.makeGeometry(geometry)
    let snapped = try GEOSGeometryBox.check(
      GEOSGeom_setPrecision_r(context.handle, built.pointer, 1 / scale, 0), "reduce precision",
      context: context)
    let result = context.polygons(of: snapped.pointer)
    let again = MultiPolygon(
      result.polygons.map { Polygon(shell: roundRing($0.shell), holes: $0.holes.map(roundRing)) })
    return validity(again).isValid ? again : result
  }

  /// Buffer by `distance` (negative shrinks), 8 segments per quarter circle, round joins.
  public static func buffer(_ geometry: MultiPolygon, distance: Double) throws -> MultiPolygon {
    guard !geometry.isEmpty else { return geometry }
    let origin = localOrigin([geometry])
    let context = GEOSContext.current
    context.resetMessages()
    let built = try context.makeGeometry(geometry, origin: origin)
    let result = try GEOSGeometryBox.check(
      GEOSBuffer_r(context.handle, built.pointer, distance, 8), "buffer", context: context)
    return context.polygons(of: result.pointer, origin: origin)
  }

  /// Planar area: each ring's shoelace about its own first position (so UTM-sized
  /// coordinates lose no precision), shells minus holes, whatever the winding.
  public static func area(_ geometry: MultiPolygon) -> Double {
    var total = 0.0
    for polygon in geometry.polygons { total += area(polygon) }
    return total
  }

  public static func area(_ polygon: Polygon) -> Double {
    var value = abs(ringSignedArea(polygon.shell))
    for hole in polygon.holes { value -= abs(ringSignedArea(hole)) }
    return value
  }

  /// Signed shoelace area (positive counter-clockwise), about the ring's first position: the
  /// one ring area of the project; call it rather than writing the sum again.
  ///
  /// The sum runs over the edges in ring order, each term the cross product of two consecutive
  /// positions less the first one (so UTM-sized coordinates lose no precision). A ring of fewer
  /// than 3 positions has area 0; an unclosed ring is measured as if closed.
  ///
  ///     Topology.ringSignedArea([Point(0, 0), Point(2, 0), Point(2, 1), Point(0, 1), Point(0, 0)])  // 2
  @inlinable
  public static func ringSignedArea(_ ring: Ring) -> Double {
    ring.withUnsafeBufferPointer { ringSignedArea($0) }
  }

  /// `ringSignedArea` over positions in memory, for hot paths that clip into scratch buffers.
  @inlinable
  public static func ringSignedArea(_ points: UnsafeBufferPointer<Point>) -> Double {
    guard points.count >= 3 else { return 0 }
    let originX = points[0].x
    let originY = points[0].y
    var sum = 0.0
    var previousX = 0.0
    var previousY = 0.0
    for index in 1..<points.count {
      let x = points[index].x - originX
      let y = points[index].y - originY
      sum += previousX * y - x * previousY
      previousX = x
      previousY = y
    }
    // An unclosed ring is measured as if closed (the closing edge back to the origin adds 0).
    return sum / 2
  }

  /// True when the geometry is one rectangle aligned with the axes: a single polygon without
  /// holes whose positions all lie on its envelope's boundary (within `tolerance`, in CRS
  /// units), every envelope corner among them, and whose area equals the envelope's.
  public static func isRectangleAligned(_ geometry: MultiPolygon, tolerance: Double) -> Bool {
    guard geometry.polygons.count == 1, let polygon = geometry.polygons.first,
      polygon.holes.allSatisfy(\.isEmpty), polygon.shell.count >= 4,
      let box = geometry.envelope, box.width > tolerance, box.height > tolerance
    else { return false }
    var corners = [false, false, false, false]
    for point in polygon.shell {
      let onLeft = abs(point.x - box.minX) <= tolerance
      let onRight = abs(point.x - box.maxX) <= tolerance
      let onBottom = abs(point.y - box.minY) <= tolerance
      let onTop = abs(point.y - box.maxY) <= tolerance
      guard onLeft || onRight || onBottom || onTop else { return false }
      if onLeft && onBottom { corners[0] = true }
      if onRight && onBottom { corners[1] = true }
      if onRight && onTop { corners[2] = true }
      if onLeft && onTop { corners[3] = true }
    }
    guard corners.allSatisfy({ $0 }) else { return false }
    // Positions on the boundary can still cut across the box; the area rules that out.
    let perimeter = 2 * (box.width + box.height)
    return abs(abs(ringSignedArea(polygon.shell)) - box.area) <= tolerance * perimeter
  }

  /// Drops parts whose area is below `minArea` and fills holes whose area is below it.
  public static func removeSlivers(_ geometry: MultiPolygon, minArea: Double) -> MultiPolygon {
    var kept: [Polygon] = []
    for polygon in geometry.polygons {
      let holes = polygon.holes.filter { abs(ringSignedArea($0)) >= minArea }
      let candidate = Polygon(shell: polygon.shell, holes: holes)
      if area(candidate) >= minArea { kept.append(candidate) }
    }
    return MultiPolygon(kept)
  }

  /// The lower-left corner of the joint envelope: the local origin of overlay operations.
  static func localOrigin(_ geometries: [MultiPolygon]) -> Point {
    var minX = Double.infinity
    var minY = Double.infinity
    for geometry in geometries {
      for point in geometry.allPoints {
        if point.x < minX { minX = point.x }
        if point.y < minY { minY = point.y }
      }
    }
    return Point(minX.isFinite ? minX : 0, minY.isFinite ? minY : 0)
  }
}
