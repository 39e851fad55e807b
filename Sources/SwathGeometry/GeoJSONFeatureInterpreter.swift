import Foundation

/// A ring as read, with the path it came from so later checks can point at it.
struct RingRecord: Sendable {
  var path: String
  var points: [Point]
  /// Every position readable as finite x/y.
  var complete: Bool
  var closed: Bool
}

/// A polygon as read (empty rings already left out).
struct PolygonRecord: Sendable {
  var path: String
  /// Path of the geometry's `coordinates`: polygons of one MultiPolygon share it.
  var geometryPath: String
  var rings: [RingRecord]
  /// Structurally sound: every ring complete, closed and of at least 4 positions.
  var sound: Bool
}

/// Reads one feature's JSON into a `ValidatedFeature`, checking GeoJSON structure, coordinates and
/// properties. Geometric checks (winding, OGC validity, area, bbox shape) follow in `GeometryChecker`.
struct FeatureInterpreter {
  let options: ValidationOptions
  let index: Int
  /// Path of the feature itself: `features[3]`, or `$` for a root Feature or geometry.
  let basePath: String
  var featureID: String?
  var issues: [ValidationIssue] = []
  var polygons: [PolygonRecord] = []
  var envelope: BoundingBox?

  /// Position-level problems, reported once per feature with a count, not once per position.
  private var positionProblems: [(issue: ValidationIssue, count: Int)] = []
  private var maxDecimals = 0
  private var precisionPath: String?
  private var precisionNode: JSONNode?

  init(options: ValidationOptions, index: Int, basePath: String) {
    self.options = options
    self.index = index
    self.basePath = basePath
  }

  static let geometryTypes: Set<String> = [
    "Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon", "GeometryCollection",
  ]
  static let objectTypes: Set<String> = geometryTypes.union(["Feature", "FeatureCollection"])

  // MARK: Reporting

  func fullPath(_ relative: String) -> String { JSONPath.join(basePath, relative) }

  mutating func report(
    _ code: String, _ severity: Severity, _ message: String, at relative: String, node: JSONNode? = nil,
    location: Point? = nil
  ) {
    issues.append(
      ValidationIssue(
        code: code, severity: severity, message: message, path: fullPath(relative), featureIndex: index,
        featureID: featureID, line: node.map { Int($0.line) }, column: node.map { Int($0.column) },
        location: location))
  }

  private mutating func reportPosition(
    _ code: String, _ message: @autoclosure () -> String, at relative: @autoclosure () -> String,
    node: JSONNode,
    location: Point? = nil
  ) {
    if let slot = positionProblems.firstIndex(where: { $0.issue.code == code }) {
      positionProblems[slot].count += 1
      return
    }
    let issue = ValidationIssue(
      code: code, severity: .error, message: message(), path: fullPath(relative()), featureIndex: index,
      featureID: featureID, line: Int(node.line), column: Int(node.column), location: location)
    positionProblems.append((issue, 1))
  }

  /// Adds the aggregated position problems and the precision warning.
  mutating func flushPositionProblems() {
    for (var issue, count) in positionProblems {
      if count > 1 { issue.message += " (and \(count - 1) more in this feature)" }
      issues.append(issue)
    }
    positionProblems.removeAll()
    let limit = options.planar ? 3 : 8
    if maxDecimals > limit, let precisionPath {
      let unit = options.planar ? "CRS units (taken as metres)" : "degrees"
      report(
        "excessive-precision", .warning,
        "coordinates carry \(maxDecimals) decimal places; in \(unit) more than \(limit) is below a millimetre",
        at: precisionPath, node: precisionNode)
    }
  }

  /// Reports members that appear more than once in one object.
  mutating func checkDuplicates(_ members: [JSONMember], at relative: String, node: JSONNode) {
    guard members.count > 1 else { return }
    if members.count <= 8 {
      // Small objects (nearly all): pairwise comparison beats hashing. Report each key once.
      for later in 1..<members.count {
        let key = members[later].key
        var earlier = 0
        for before in 0..<later where members[before].key == key { earlier += 1 }
        if earlier == 1 {
          report(
            "duplicate-member", .error,
            "member \"\(key)\" appears more than once; readers disagree on which value wins",
            at: JSONPath.join(relative, JSONPath.key(key)), node: members[later].value)
        }
      }
      return
    }
    var seen = Set<String>()
    var reported = Set<String>()
    for member in members where !seen.insert(member.key).inserted && reported.insert(member.key).inserted {
      report(
        "duplicate-member", .error,
        "member \"\(member.key)\" appears more than once; readers disagree on which value wins",
        at: JSONPath.join(relative, JSONPath.key(member.key)), node: member.value)
    }
  }

  /// RFC 7946 §7.1: members that would change what the object means.
  mutating func checkForbiddenMembers(
    _ node: JSONNode, forbidden: [String], kind: String, at relative: String
  ) {
    for key in forbidden {
      if let value = node.member(key) {
        report(
          "forbidden-member", .error,
          "a \(kind) must not have a \"\(key)\" member (RFC 7946 §7.1: it would change the object's meaning)",
          at: JSONPath.join(relative, key), node: value)
      }
    }
  }

  mutating func checkCRSMember(_ node: JSONNode, at relative: String) {
    if let crs = node.member("crs") {
      report(
        "crs-member", .warning,
        "the \"crs\" member was removed in RFC 7946: coordinates are WGS84 longitude/latitude; it is ignored",
        at: JSONPath.join(relative, "crs"), node: crs)
    }
  }

  // MARK: Features

  /// `node` is an element of `features` (or a root Feature).
  mutating func interpretFeature(_ node: JSONNode) -> ValidatedFeature {
    guard let members = node.members else {
      report(
        "invalid-feature", .error, "a feature must be a Feature object, found \(node.typeName)", at: "",
        node: node)
      return finish(geometryType: nil, label: nil, shape: .polygon, properties: [:])
    }
    if let id = node.member("id") {
      switch id.kind {
      case .string(let text): featureID = text
      case .number(let number, _): featureID = Self.numberText(number)
      default:
        report(
          "invalid-id", .error, "a Feature \"id\" must be a string or a number, found \(id.typeName)",
          at: "id", node: id)
      }
    }
    checkDuplicates(members, at: "", node: node)
    checkType(node, expected: "Feature", at: "")
    checkForbiddenMembers(
      node, forbidden: ["coordinates", "geometries", "features"], kind: "Feature", at: "")
    checkCRSMember(node, at: "")

    var properties: [String: JSONValue] = [:]
    var label: String?
    var shape = ShapeKind.polygon
    if let propertiesNode = node.member("properties") {
      switch propertiesNode.kind {
      case .null: break
      case .object(let propertyMembers):
        for member in propertyMembers {
          let path = JSONPath.join("properties", JSONPath.key(member.key))
          checkNestedDuplicates(member.value, at: path)
          switch member.key {
          case "label":
            switch member.value.kind {
            case .string(let text): label = text
            case .null: break
            default:
              report(
                "invalid-label", .error, "\"label\" must be a string, found \(member.value.typeName)",
                at: path, node: member.value)
            }
          case "shape":
            if let text = member.value.string, let kind = ShapeKind(rawValue: text) {
              shape = kind
            } else if !member.value.isNull {
              report(
                "invalid-shape", .error,
                "\"shape\" must be \"polygon\" or \"bbox\", found \(Self.describe(member.value))",
                at: path, node: member.value)
            }
          default:
            if properties[member.key] == nil { properties[member.key] = member.value.value }
          }
        }
        checkDuplicates(propertyMembers, at: "properties", node: propertiesNode)
      default:
        report(
          "invalid-properties", .error,
          "a Feature's \"properties\" must be an object or null, found \(propertiesNode.typeName)",
          at: "properties", node: propertiesNode)
      }
    } else {
      report(
        "missing-properties", .error,
        "a Feature must have a \"properties\" member (an object, or null)", at: "", node: node)
    }
    checkLabel(label, node: node.member("properties") ?? node)

    var geometryType: String?
    if let geometry = node.member("geometry") {
      if geometry.isNull {
        if options.geometry == .polygonal {
          report(
            "null-geometry", .error,
            "the feature has no geometry (null); annotator shapes must be a Polygon or MultiPolygon",
            at: "geometry", node: geometry)
        }
      } else {
        geometryType = readGeometry(geometry, at: "geometry", insideCollection: false)
      }
    } else {
      report(
        "missing-geometry", .error,
        "a Feature must have a \"geometry\" member (a geometry object, or null)", at: "", node: node)
    }
    checkBBoxMember(node, at: "")
    return finish(geometryType: geometryType, label: label, shape: shape, properties: properties)
  }

  /// A root geometry without a Feature around it.
  mutating func interpretBareGeometry(_ node: JSONNode) -> ValidatedFeature {
    if options.geometry == .polygonal {
      report(
        "bare-geometry", .warning,
        "the root is a bare geometry, not a Feature: it carries no label or shape", at: "", node: node)
    }
    checkLabel(nil, node: node)
    let geometryType = readGeometry(node, at: "", insideCollection: false)
    return finish(geometryType: geometryType, label: nil, shape: .polygon, properties: [:])
  }

  private mutating func checkLabel(_ label: String?, node: JSONNode) {
    guard let allowed = options.labels else { return }
    let list = allowed.sorted().joined(separator: ", ")
    guard let label else {
      report(
        "missing-label", .error, "the feature has no \"label\" property; allowed labels: \(list)",
        at: "properties", node: node)
      return
    }
    if !allowed.contains(label) {
      report(
        "unknown-label", .error, "label \"\(label)\" is not one of the allowed labels: \(list)",
        at: "properties.label", node: node.member("label") ?? node)
    }
  }

  private mutating func finish(
    geometryType: String?, label: String?, shape: ShapeKind, properties: [String: JSONValue]
  ) -> ValidatedFeature {
    flushPositionProblems()
    let polygons = polygons.map { record in
      Polygon(shell: record.rings.first?.points ?? [], holes: record.rings.dropFirst().map(\.points))
    }
    let feature = LabelFeature(
      id: featureID, label: label, shape: shape, geometry: MultiPolygon(polygons), properties: properties)
    // Issues raised before the id was read carry no id yet.
    for slot in issues.indices where issues[slot].featureID == nil { issues[slot].featureID = featureID }
    var validated = ValidatedFeature(
      index: index, path: basePath, feature: feature, geometryType: geometryType, issues: issues)
    validated.envelope = envelope
    return validated
  }

  /// Checks that `node.type` names `expected`.
  private mutating func checkType(_ node: JSONNode, expected: String, at relative: String) {
    guard let type = node.member("type") else {
      report(
        "missing-type", .error, "the object has no \"type\" member; expected \"\(expected)\"",
        at: relative, node: node)
      return
    }
    guard let text = type.string else {
      report(
        "invalid-type", .error, "\"type\" must be a string, found \(type.typeName)",
        at: JSONPath.join(relative, "type"), node: type)
      return
    }
    if text != expected {
      report(
        "invalid-type", .error, "expected type \"\(expected)\", found \"\(text)\"\(Self.caseHint(text))",
        at: JSONPath.join(relative, "type"), node: type)
    }
  }

  static func caseHint(_ text: String) -> String {
    if let match = objectTypes.first(where: { $0.lowercased() == text.lowercased() && $0 != text }) {
      return " (type names are case-sensitive: \"\(match)\")"
    }
    return ""
  }

  /// Duplicate members anywhere inside a property value.
  private mutating func checkNestedDuplicates(_ node: JSONNode, at relative: String) {
    switch node.kind {
    case .object(let members):
      checkDuplicates(members, at: relative, node: node)
      for member in members {
        checkNestedDuplicates(member.value, at: JSONPath.join(relative, JSONPath.key(member.key)))
      }
    case .array(let elements):
      for (offset, element) in elements.enumerated() {
        checkNestedDuplicates(element, at: relative + "[\(offset)]")
      }
    default: break
    }
  }

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

  private mutating func readCollection(_ node: JSONNode, at path: String, insideCollection: Bool) {
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
  private mutating func expectArray(_ node: JSONNode, at path: String, holding: String) -> [JSONNode]? {
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

  /// Reads one position; returns its x/y when both are finite numbers.
  /// `path` is built only when there is something to report: most positions have nothing.
  mutating func readPosition(_ node: JSONNode, at path: @autoclosure () -> String) -> Point? {
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
    let point = Point(values.x, values.y)
    if !options.planar {
      if !(-180...180).contains(point.x) {
        reportPosition(
          "longitude-out-of-range",
          "longitude \(point.x) is outside [-180, 180] (use --planar for projected coordinates)", at: path(),
          node: node, location: point)
      }
      if !(-90...90).contains(point.y) {
        reportPosition(
          "latitude-out-of-range",
          "latitude \(point.y) is outside [-90, 90] (use --planar for projected coordinates)", at: path(),
          node: node, location: point)
      }
    }
    if envelope == nil {
      envelope = BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)
    } else {
      envelope!.include(point)
    }
    return point
  }

  /// Positions of a line or ring; nil elements for unreadable positions.
  private mutating func readPositions(_ node: JSONNode, at path: String, holding: String) -> (
    points: [Point], complete: Bool, elements: [JSONNode]
  )? {
    guard let elements = expectArray(node, at: path, holding: holding) else { return nil }
    var points: [Point] = []
    points.reserveCapacity(elements.count)
    var complete = true
    for (offset, element) in elements.enumerated() {
      if let point = readPosition(element, at: path + "[\(offset)]") {
        points.append(point)
      } else {
        complete = false
      }
    }
    return (points, complete, elements)
  }

  private mutating func readLine(_ node: JSONNode, at path: String) {
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
  private mutating func readPolygon(_ node: JSONNode, at path: String, geometryPath: String, part: Int?)
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

  private mutating func readRing(_ node: JSONNode, at path: String, isShell: Bool) -> RingRecord? {
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

  private mutating func reportRepeats(_ points: [Point], at path: String, node: JSONNode) {
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

  // MARK: bbox members

  /// RFC 7946 §5: 2×n numbers, south ≤ north; the geometry must lie inside.
  mutating func checkBBoxMember(_ node: JSONNode, at path: String) {
    guard let bbox = node.member("bbox") else { return }
    let bboxPath = JSONPath.join(path, "bbox")
    guard let elements = bbox.elements else {
      report(
        "invalid-bbox", .error, "\"bbox\" must be an array of 4 or 6 numbers, found \(bbox.typeName)",
        at: bboxPath, node: bbox)
      return
    }
    var values: [Double] = []
    for element in elements {
      guard case .number(let value, _) = element.kind else {
        report(
          "invalid-bbox", .error,
          "every element of \"bbox\" must be a finite number, found \(element.typeName)",
          at: bboxPath, node: bbox)
        return
      }
      values.append(value)
    }
    guard values.count == 4 || values.count == 6 else {
      report(
        "invalid-bbox", .error,
        "\"bbox\" must have 4 numbers (2D) or 6 (3D), found \(values.count)", at: bboxPath, node: bbox)
      return
    }
    let dimensions = values.count / 2
    let (west, south, east, north) = (values[0], values[1], values[dimensions], values[dimensions + 1])
    if south > north || (options.planar && west > east) {
      report(
        "invalid-bbox", .error,
        "\"bbox\" minimum exceeds its maximum (\(values)); the order is [west, south, east, north]",
        at: bboxPath, node: bbox)
      return
    }
    guard let geometryEnvelope = Self.envelope(of: node) else { return }
    let slack = 1e-9 * max(1, abs(west), abs(east), abs(south), abs(north))
    let crossesAntimeridian = !options.planar && west > east
    func containsX(_ x: Double) -> Bool {
      crossesAntimeridian
        ? (x >= west - slack || x <= east + slack) : (x >= west - slack && x <= east + slack)
    }
    let inside =
      containsX(geometryEnvelope.minX) && containsX(geometryEnvelope.maxX)
      && geometryEnvelope.minY >= south - slack && geometryEnvelope.maxY <= north + slack
    if !inside {
      report(
        "bbox-mismatch", .warning,
        "\"bbox\" \(values) does not contain the geometry (which spans x \(geometryEnvelope.minX)…\(geometryEnvelope.maxX), y \(geometryEnvelope.minY)…\(geometryEnvelope.maxY)); is it in [west, south, east, north] order?",
        at: bboxPath, node: bbox)
    }
  }

  /// Envelope of every finite position under an object (its geometry, geometries or coordinates).
  static func envelope(of node: JSONNode) -> BoundingBox? {
    var box: BoundingBox?
    func visit(_ node: JSONNode) {
      guard let elements = node.elements else {
        if let members = node.members {
          for member in members where ["geometry", "geometries", "coordinates"].contains(member.key) {
            visit(member.value)
          }
        }
        return
      }
      if elements.count >= 2, case .number(let x, _) = elements[0].kind,
        case .number(let y, _) = elements[1].kind
      {
        let point = Point(x, y)
        if box == nil { box = BoundingBox(minX: x, minY: y, maxX: x, maxY: y) } else { box!.include(point) }
        return
      }
      for element in elements { visit(element) }
    }
    if let members = node.members {
      for member in members where ["geometry", "geometries", "coordinates"].contains(member.key) {
        visit(member.value)
      }
    }
    return box
  }

  // MARK: Text

  static func numberText(_ number: Double) -> String {
    if number == number.rounded(), abs(number) < 9e15 { return String(Int64(number)) }
    return String(number)
  }

  static func describe(_ node: JSONNode) -> String {
    switch node.kind {
    case .null: return "null"
    case .bool(let flag): return String(flag)
    case .number(let number, _): return numberText(number)
    case .nonFinite(let token): return token
    case .string(let text): return "\"\(text)\""
    case .array(let elements):
      let inner = elements.prefix(4).map(describe).joined(separator: ", ")
      return "[\(inner)\(elements.count > 4 ? ", …" : "")]"
    case .object: return "an object"
    }
  }
}
