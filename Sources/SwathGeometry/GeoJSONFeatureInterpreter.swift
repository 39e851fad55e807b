import Foundation
import SwathGDAL

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
  var positionProblems: [(issue: ValidationIssue, count: Int)] = []
  var maxDecimals = 0
  var precisionPath: String?
  var precisionNode: JSONNode?

  /// The CRS a legacy root `crs` member names; positions are reprojected from it to WGS84.
  let legacyCRS: LegacyCRS?
  /// Its transformation to WGS84 (this thread's copy); nil when there is nothing to reproject.
  let toWGS84: CoordinateTransform?
  /// The file's numbers are planar units (metres…), not degrees: `--planar`, or a projected
  /// legacy CRS. Decides the precision limit and how a `bbox` member is compared.
  var planarUnits: Bool { options.planar || (legacyCRS?.isProjected ?? false) }
  /// Envelope of the positions as written in the file, before reprojection (legacy CRS only):
  /// the collection's `bbox` member is in those coordinates.
  var sourceEnvelope: BoundingBox?

  init(
    options: ValidationOptions, index: Int, basePath: String, legacyCRS: LegacyCRS? = nil,
    toWGS84: CoordinateTransform? = nil
  ) {
    self.options = options
    self.index = index
    self.basePath = basePath
    self.legacyCRS = legacyCRS
    self.toWGS84 = toWGS84
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

  mutating func reportPosition(
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
    let limit = planarUnits ? 3 : 8
    if maxDecimals > limit, let precisionPath {
      let unit = planarUnits ? "CRS units (taken as metres)" : "degrees"
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

  /// A `crs` member below the root (the root's is `LegacyCRS`'s, read by `GeoJSONRootReader`).
  mutating func checkCRSMember(_ node: JSONNode, at relative: String) {
    if fullPath(relative) == "$" { return }
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
    if let schema = options.schema, let label, let definition = schema.label(named: label) {
      checkAttributes(definition, shape: shape, properties: &properties, node: node.member("properties"))
    }

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

  mutating func checkLabel(_ label: String?, node: JSONNode) {
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

  /// The feature's shape and attributes against its label's definition; missing optional
  /// attributes take their defaults.
  mutating func checkAttributes(
    _ label: LabelDefinition, shape: ShapeKind, properties: inout [String: JSONValue], node: JSONNode?
  ) {
    if !label.shapes.contains(shape) {
      report(
        "shape-not-allowed", .error,
        "label \"\(label.name)\" is drawn as \(label.shapes.map(\.rawValue).joined(separator: " or ")), not \(shape.rawValue)",
        at: "properties.shape", node: node?.member("shape") ?? node)
    }
    for key in properties.keys.sorted() where label.attribute(named: key) == nil {
      let known = label.attributes.map(\.name)
      report(
        "unknown-attribute", .error,
        "label \"\(label.name)\" has no attribute \"\(key)\"; "
          + (known.isEmpty ? "it takes none" : "its attributes: \(known.joined(separator: ", "))"),
        at: JSONPath.join("properties", JSONPath.key(key)), node: node?.member(key) ?? node)
    }
    for attribute in label.attributes {
      guard let value = properties[attribute.name], !value.isNull else {
        if attribute.required {
          report(
            "missing-attribute", .error,
            "label \"\(label.name)\" requires the attribute \"\(attribute.name)\" (\(attribute.type.rawValue))",
            at: "properties", node: node)
        } else if let value = attribute.defaultValue {
          properties[attribute.name] = value
        } else {
          properties[attribute.name] = nil
        }
        continue
      }
      if let problem = attribute.problem(with: value) {
        report(
          "invalid-attribute", .error, "attribute \"\(attribute.name)\" \(problem)",
          at: JSONPath.join("properties", JSONPath.key(attribute.name)),
          node: node?.member(attribute.name) ?? node)
      } else if attribute.type == .integer, let real = value.doubleValue, value.integerValue == nil {
        properties[attribute.name] = .integer(Int64(real))
      }
    }
  }

  mutating func finish(
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
    validated.sourceEnvelope = sourceEnvelope
    return validated
  }

  /// Checks that `node.type` names `expected`.
  mutating func checkType(_ node: JSONNode, expected: String, at relative: String) {
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
  mutating func checkNestedDuplicates(_ node: JSONNode, at relative: String) {
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
    if south > north || (planarUnits && west > east) {
      report(
        "invalid-bbox", .error,
        "\"bbox\" minimum exceeds its maximum (\(values)); the order is [west, south, east, north]",
        at: bboxPath, node: bbox)
      return
    }
    guard let geometryEnvelope = Self.envelope(of: node) else { return }
    let slack = 1e-9 * max(1, abs(west), abs(east), abs(south), abs(north))
    let crossesAntimeridian = !planarUnits && west > east
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
