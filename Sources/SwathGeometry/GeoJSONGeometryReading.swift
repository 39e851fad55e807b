import Foundation

/// Reading a feature's geometry: types, nesting, positions and rings, each problem located.
extension FeatureInterpreter {
  // MARK: Geometry

  /// Reads a geometry object; returns its type when recognised.
  mutating func readGeometry(_ node: JSONNode, at path: String, insideCollection: Bool) -> String? {
    guard let members = node.members else {
      report(
        "invalid-geometry", .error,
        "a geometry must be an object\(insideCollection ? "" : " or null"), found \(node.typeName)",
        at: path, node: node)
      return nil
    }
    checkDuplicates(members, at: path, node: node)
    guard let typeNode = node.member("type") else {
      report("missing-type", .error, "the geometry has no \"type\" member", at: path, node: node)
      return nil
    }
    guard let type = typeNode.string else {
      report(
        "invalid-type", .error, "\"type\" must be a string, found \(typeNode.typeName)",
        at: JSONPath.join(path, "type"), node: typeNode)
      return nil
    }
    guard Self.geometryTypes.contains(type) else {
      let hint = Self.caseHint(type)
      report(
        "unknown-type", .error,
        "\"\(type)\" is not a GeoJSON geometry type\(hint.isEmpty ? "; expected one of \(Self.geometryTypes.sorted().joined(separator: ", "))" : hint)",
        at: JSONPath.join(path, "type"), node: typeNode)
      return nil
    }
    checkForbiddenMembers(
      node, forbidden: ["properties", "geometry", "features"], kind: "geometry", at: path)
    checkCRSMember(node, at: path)
    checkBBoxMember(node, at: path)

    if options.geometry == .polygonal && type != "Polygon" && type != "MultiPolygon" {
      report(
        "undrawable-geometry", .error,
        "a \(type) cannot be an annotator shape: only Polygon and MultiPolygon are accepted (drawn as shape \"polygon\" or \"bbox\")",
        at: JSONPath.join(path, "type"), node: typeNode)
      return type
    }
    if type == "GeometryCollection" {
      readCollection(node, at: path, insideCollection: insideCollection)
      return type
    }
    guard let coordinates = node.member("coordinates") else {
      report(
        "missing-coordinates", .error, "a \(type) must have a \"coordinates\" member", at: path,
        node: node)
      return type
    }
    let coordinatesPath = JSONPath.join(path, "coordinates")
    switch type {
    case "Point":
      _ = readPosition(coordinates, at: coordinatesPath)
    case "MultiPoint":
      if let elements = expectArray(coordinates, at: coordinatesPath, holding: "positions") {
        for (offset, element) in elements.enumerated() {
          _ = readPosition(element, at: coordinatesPath + "[\(offset)]")
        }
      }
    case "LineString":
      readLine(coordinates, at: coordinatesPath)
    case "MultiLineString":
      if let lines = expectArray(coordinates, at: coordinatesPath, holding: "lines (arrays of positions)") {
        for (offset, line) in lines.enumerated() { readLine(line, at: coordinatesPath + "[\(offset)]") }
      }
    case "Polygon":
      if let polygon = readPolygon(coordinates, at: coordinatesPath, geometryPath: coordinatesPath, part: nil)
      {
        polygons.append(polygon)
      }
    default:  // MultiPolygon
      if let parts = expectArray(coordinates, at: coordinatesPath, holding: "polygons (arrays of rings)") {
        for (offset, part) in parts.enumerated() {
          if let polygon = readPolygon(
            part, at: coordinatesPath + "[\(offset)]", geometryPath: coordinatesPath, part: offset)
          {
            polygons.append(polygon)
          }
        }
      }
    }
    return type
  }

  mutating func readCollection(_ node: JSONNode, at path: String, insideCollection: Bool) {
    if insideCollection {
      report(
        "nested-geometry-collection", .error,
        "a GeometryCollection inside a GeometryCollection: RFC 7946 §3.1.8 says to avoid nesting; flatten it",
        at: path, node: node)
    }
    if let coordinates = node.member("coordinates") {
      report(
        "forbidden-member", .error,
        "a GeometryCollection must not have a \"coordinates\" member (its parts go in \"geometries\")",
        at: JSONPath.join(path, "coordinates"), node: coordinates)
    }
    guard let geometries = node.member("geometries") else {
      report(
        "missing-geometries", .error, "a GeometryCollection must have a \"geometries\" member",
        at: path, node: node)
      return
    }
    guard let members = geometries.elements else {
      report(
        "invalid-geometries", .error,
        "\"geometries\" must be an array of geometry objects, found \(geometries.typeName)",
        at: JSONPath.join(path, "geometries"), node: geometries)
      return
    }
    if members.isEmpty {
      report(
        "empty-geometry", .warning, "the GeometryCollection is empty", at: JSONPath.join(path, "geometries"),
        node: geometries)
    }
    if members.count == 1 {
      report(
        "single-geometry-collection", .error,
        "a GeometryCollection with a single geometry: RFC 7946 §3.1.8 says to use that geometry itself",
        at: JSONPath.join(path, "geometries"), node: geometries)
    }
    for (offset, member) in members.enumerated() {
      _ = readGeometry(member, at: JSONPath.join(path, "geometries") + "[\(offset)]", insideCollection: true)
    }
  }

  /// An array where `holding` were expected; reports a depth or type error otherwise.
  mutating func expectArray(_ node: JSONNode, at path: String, holding: String) -> [JSONNode]? {
    if let elements = node.elements { return elements }
    switch node.kind {
    case .number, .nonFinite:
      report(
        "coordinates-depth", .error,
        "expected an array of \(holding), found a number: the coordinates are nested too shallow",
        at: path, node: node)
    default:
      report(
        "invalid-coordinates", .error, "expected an array of \(holding), found \(node.typeName)",
        at: path, node: node)
    }
    return nil
  }

  /// Reads one position; returns its x/y when both are finite numbers, in WGS84 when a legacy
  /// `crs` is honoured (unless `deferringProjection`: then as written, and the caller reprojects
  /// a whole line or ring at once and calls `accept`).
  /// `path` is built only when there is something to report: most positions have nothing.
  mutating func readPosition(
    _ node: JSONNode, at path: @autoclosure () -> String, deferringProjection: Bool = false
  ) -> Point? {
    guard case .array(let ordinates) = node.kind else {
      switch node.kind {
      case .number, .nonFinite:
        reportPosition(
          "coordinates-depth",
          "expected a position (an array of numbers), found a number: the coordinates are nested too shallow",
          at: path(), node: node)
      default:
        reportPosition(
          "invalid-position", "a position must be an array of numbers, found \(node.typeName)",
          at: path(), node: node)
      }
      return nil
    }
    if ordinates.contains(where: { $0.elements != nil }) {
      reportPosition(
        "coordinates-depth", "a position holds numbers, found an array: the coordinates are nested too deep",
        at: path(), node: node)
      return nil
    }
    if ordinates.count < 2 {
      reportPosition(
        "too-few-ordinates",
        "a position needs 2 or 3 numbers (longitude, latitude[, altitude]); found \(ordinates.count)",
        at: path(), node: node)
    } else if ordinates.count > 3 {
      reportPosition(
        "too-many-ordinates",
        "a position has \(ordinates.count) numbers; at most 3 are allowed (longitude, latitude, altitude)",
        at: path(), node: node)
    }
    var values = (x: Double.nan, y: Double.nan)
    var usable = ordinates.count >= 2
    for (offset, ordinate) in ordinates.enumerated() {
      switch ordinate.kind {
      case .number(let value, let decimals):
        if offset == 0 { values.x = value } else if offset == 1 { values.y = value }
        if decimals > maxDecimals && offset < 3 {
          maxDecimals = decimals
          precisionPath = path()
          precisionNode = node
        }
      case .nonFinite(let token):
        if offset < 2 { usable = false }
        reportPosition(
          "non-finite-number",
          ["NaN", "Infinity", "-Infinity"].contains(token)
            ? "\(token) is not a number JSON allows; coordinates must be finite"
            : "\(token) overflows a 64-bit float; coordinates must be finite", at: path() + "[\(offset)]",
          node: ordinate)
      case .array:
        usable = false
        reportPosition(
          "coordinates-depth",
          "a position holds numbers, found an array: the coordinates are nested too deep", at: path(),
          node: node)
      default:
        usable = false
        reportPosition(
          "invalid-position",
          "each element of a position must be a number, found \(ordinate.typeName)",
          at: path() + "[\(offset)]", node: ordinate)
      }
    }
    guard usable else { return nil }
    var point = Point(values.x, values.y)
    if let toWGS84 {
      if deferringProjection { return point }
      guard let projected = reprojected([point], with: toWGS84)[0] else {
        reportUnprojectable(point, at: path(), node: node)
        return nil
      }
      includeSource(point)
      point = projected
    }
    accept(point, at: path(), node: node)
    return point
  }

  /// A position PROJ could not take from the legacy CRS to WGS84.
  mutating func reportUnprojectable(_ point: Point, at path: @autoclosure () -> String, node: JSONNode) {
    let label = legacyCRS?.label ?? "the file's CRS"
    reportPosition(
      "projection-failed",
      "position (\(point.x), \(point.y)) cannot be reprojected from \(label) to WGS84",
      at: path(), node: node, location: point)
  }

  mutating func includeSource(_ point: Point) {
    if sourceEnvelope == nil {
      sourceEnvelope = BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)
    } else {
      sourceEnvelope!.include(point)
    }
  }

  /// Range checks (lon/lat) and the envelope, for a position in the coordinates validated.
  mutating func accept(_ point: Point, at path: @autoclosure () -> String, node: JSONNode) {
    if !options.planar {
      if !(-180...180).contains(point.x) {
        reportPosition(
          "longitude-out-of-range",
          "longitude \(point.x) is outside [-180, 180] (projected coordinates? validate them as planar)",
          at: path(),
          node: node, location: point)
      }
      if !(-90...90).contains(point.y) {
        reportPosition(
          "latitude-out-of-range",
          "latitude \(point.y) is outside [-90, 90] (projected coordinates? validate them as planar)",
          at: path(),
          node: node, location: point)
      }
    }
    if envelope == nil {
      envelope = BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)
    } else {
      envelope!.include(point)
    }
  }

  /// Positions of a line or ring; nil elements for unreadable positions.
  mutating func readPositions(_ node: JSONNode, at path: String, holding: String) -> (
    points: [Point], complete: Bool, elements: [JSONNode]
  )? {
    guard let elements = expectArray(node, at: path, holding: holding) else { return nil }
    var points: [Point] = []
    points.reserveCapacity(elements.count)
    var complete = true
    guard let toWGS84 else {
      for (offset, element) in elements.enumerated() {
        if let point = readPosition(element, at: path + "[\(offset)]") {
          points.append(point)
        } else {
          complete = false
        }
      }
      return (points, complete, elements)
    }
    // Legacy CRS: read as written, reproject the whole line or ring in one PROJ call, then check.
    var offsets: [Int] = []
    offsets.reserveCapacity(elements.count)
    for (offset, element) in elements.enumerated() {
      if let point = readPosition(element, at: path + "[\(offset)]", deferringProjection: true) {
        points.append(point)
        offsets.append(offset)
      } else {
        complete = false
      }
    }
    let projected = reprojected(points, with: toWGS84)
    var kept: [Point] = []
    kept.reserveCapacity(points.count)
    for (slot, point) in projected.enumerated() {
      let offset = offsets[slot]
      guard let point else {
        reportUnprojectable(points[slot], at: path + "[\(offset)]", node: elements[offset])
        complete = false
        continue
      }
      includeSource(points[slot])
      accept(point, at: path + "[\(offset)]", node: elements[offset])
      kept.append(point)
    }
    return (kept, complete, elements)
  }

  mutating func readLine(_ node: JSONNode, at path: String) {
    guard let line = readPositions(node, at: path, holding: "positions") else { return }
    if line.elements.contains(where: Self.isWrongDepthPosition) { return }
    if line.elements.count < 2 {
      report(
        "line-too-short", .error,
        "a LineString needs 2 or more positions; found \(line.elements.count)", at: path, node: node)
    }
    if line.complete { reportRepeats(line.points, at: path, node: node) }
  }

  /// Reads a polygon's rings; nil when it is not an array at all.
  mutating func readPolygon(_ node: JSONNode, at path: String, geometryPath: String, part: Int?)
    -> PolygonRecord?
  {
    guard let ringNodes = expectArray(node, at: path, holding: "rings (arrays of positions)") else {
      return nil
    }
    if ringNodes.isEmpty {
      let what =
        part.map { "MultiPolygon part \($0) is empty (no rings)" } ?? "the Polygon is empty (no rings)"
      report("empty-geometry", .warning, "\(what); it is left out", at: path, node: node)
      return nil
    }
    var rings: [RingRecord] = []
    var sound = true
    var shellEmpty = false
    for (offset, ringNode) in ringNodes.enumerated() {
      let ringPath = path + "[\(offset)]"
      if let elements = ringNode.elements, elements.isEmpty {
        report(
          "empty-ring", .warning,
          "\(offset == 0 ? "the exterior ring" : "hole \(offset)") is empty ([]); it is left out",
          at: ringPath, node: ringNode)
        if offset == 0 { shellEmpty = true }
        continue
      }
      guard let ring = readRing(ringNode, at: ringPath, isShell: rings.isEmpty) else {
        sound = false
        continue
      }
      if !(ring.complete && ring.closed && ring.points.count >= 4) { sound = false }
      rings.append(ring)
    }
    if shellEmpty && !rings.isEmpty {
      report(
        "empty-shell", .error,
        "the exterior ring is empty but the polygon has holes: there is nothing for them to be holes in",
        at: path + "[0]", node: ringNodes[0])
      return nil
    }
    if rings.isEmpty {
      report(
        "empty-geometry", .warning, "every ring is empty: the polygon has no area; it is left out",
        at: path, node: node)
      return nil
    }
    return PolygonRecord(path: path, geometryPath: geometryPath, rings: rings, sound: sound)
  }

  mutating func readRing(_ node: JSONNode, at path: String, isShell: Bool) -> RingRecord? {
    guard let ring = readPositions(node, at: path, holding: "positions") else { return nil }
    // Positions at the wrong depth are already reported; counting them would only add noise.
    if ring.elements.contains(where: Self.isWrongDepthPosition) {
      return RingRecord(path: path, points: ring.points, complete: false, closed: true)
    }
    let count = ring.elements.count
    if count < 4 {
      report(
        "ring-too-few-positions", .error,
        "a linear ring needs 4 or more positions (3 corners and the closing repeat of the first); found \(count)",
        at: path, node: node, location: ring.points.first)
    }
    var closed = true
    // A ring with unreadable positions cannot be compared end to end; those are reported already.
    if ring.complete, let first = ring.elements.first, let last = ring.elements.last, count > 1 {
      if !Self.sameOrdinates(first, last) {
        closed = false
        report(
          "ring-not-closed", .error,
          "the ring is not closed: its last position \(Self.describe(last)) differs from its first \(Self.describe(first))",
          at: path + "[\(count - 1)]", node: last, location: ring.points.first)
      }
    }
    if ring.complete { reportRepeats(ring.points, at: path, node: node) }
    return RingRecord(path: path, points: ring.points, complete: ring.complete, closed: closed)
  }

  mutating func reportRepeats(_ points: [Point], at path: String, node: JSONNode) {
    guard points.count > 1 else { return }
    var first: Int?
    var repeats = 0
    for offset in 1..<points.count where points[offset] == points[offset - 1] {
      repeats += 1
      if first == nil { first = offset }
    }
    guard let first else { return }
    report(
      "repeated-position", .warning,
      "\(repeats) position\(repeats == 1 ? " repeats" : "s repeat") the one before \(repeats == 1 ? "it" : "them") (first at index \(first))",
      at: path + "[\(first)]", node: node.elements?[first] ?? node, location: points[first])
  }

  /// A number where a position belongs, or a position that holds arrays.
  static func isWrongDepthPosition(_ node: JSONNode) -> Bool {
    guard let ordinates = node.elements else { return true }
    return ordinates.contains { $0.elements != nil }
  }

  /// Closure compares every ordinate, altitude included.
  static func sameOrdinates(_ a: JSONNode, _ b: JSONNode) -> Bool {
    guard let left = a.elements, let right = b.elements, left.count == right.count else { return false }
    for (l, r) in zip(left, right) {
      guard case .number(let x, _) = l.kind, case .number(let y, _) = r.kind, x == y else { return false }
    }
    return true
  }
}
