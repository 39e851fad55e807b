import Foundation

/// What annotators may draw in a task: the labels, the shapes each allows, its smallest area,
/// and the attributes each object of that label carries (`Schemas/label-schema.schema.json`).
///
/// Attributes travel as the feature's own properties, beside `label` and `shape`, in
/// submissions, the consensus layer and every export; so attribute names are plain column names
/// and may not take a name Swath writes itself.
public struct LabelSchema: Hashable, Sendable {
  public var labels: [LabelDefinition]

  public init(labels: [LabelDefinition]) { self.labels = labels }

  /// The short form (`--labels building,vehicle`): every shape, no attributes.
  public static func names(_ names: [String]) -> LabelSchema {
    LabelSchema(labels: names.map { LabelDefinition(name: $0) })
  }

  public var names: [String] { labels.map(\.name) }

  public func label(named name: String) -> LabelDefinition? { labels.first { $0.name == name } }

  /// True when some label has attributes (the rest of the system can skip attribute work).
  public var hasAttributes: Bool { labels.contains { !$0.attributes.isEmpty } }

  /// Every attribute of every label, by name (a name used by several labels has one type).
  public var attributesByName: [String: AttributeDefinition] {
    var all: [String: AttributeDefinition] = [:]
    for label in labels {
      for attribute in label.attributes where all[attribute.name] == nil { all[attribute.name] = attribute }
    }
    return all
  }

  /// Property names Swath writes itself, in submissions, consensus layers and exports.
  public static let reservedNames: Set<String> = [
    "label", "shape", "id", "fid", "support", "assigned", "iou_mean", "score", "confidence",
    "annotators", "votes", "status", "conflicts", "review_state", "decision", "reason", "reviewer",
    "reviewed_at", "chip", "annotator",
  ]
}

public struct LabelDefinition: Hashable, Sendable {
  public var name: String
  public var displayName: String?
  /// `#rrggbb`.
  public var color: String?
  /// The tools that may draw it: both unless the schema narrows it.
  public var shapes: [ShapeKind]
  /// Smallest area in m², overriding the task's.
  public var minArea: Double?
  public var attributes: [AttributeDefinition]

  public init(
    name: String, displayName: String? = nil, color: String? = nil,
    shapes: [ShapeKind] = [.polygon, .bbox], minArea: Double? = nil, attributes: [AttributeDefinition] = []
  ) {
    self.name = name
    self.displayName = displayName
    self.color = color
    self.shapes = shapes
    self.minArea = minArea
    self.attributes = attributes
  }

  public func attribute(named name: String) -> AttributeDefinition? { attributes.first { $0.name == name } }
}

public enum AttributeType: String, Hashable, Sendable, CaseIterable {
  case `enum`
  case boolean
  case integer
  case number
  case text

  /// Numbers vote by median; the others by (weighted) plurality.
  public var isNumeric: Bool { self == .integer || self == .number }
}

public struct AttributeDefinition: Hashable, Sendable {
  public var name: String
  public var type: AttributeType
  /// The allowed values of an `enum`, in display order.
  public var values: [String]
  /// Inclusive range of an `integer` or `number`.
  public var minimum: Double?
  public var maximum: Double?
  public var required: Bool
  /// Taken when a feature leaves the attribute out.
  public var defaultValue: JSONValue?

  public init(
    name: String, type: AttributeType, values: [String] = [], minimum: Double? = nil,
    maximum: Double? = nil, required: Bool = false, defaultValue: JSONValue? = nil
  ) {
    self.name = name
    self.type = type
    self.values = values
    self.minimum = minimum
    self.maximum = maximum
    self.required = required
    self.defaultValue = defaultValue
  }

  /// Why `value` does not fit this attribute (a sentence without a subject), nil when it does.
  public func problem(with value: JSONValue) -> String? {
    switch type {
    case .enum:
      guard let text = value.stringValue else {
        return "must be one of \(valueList), found \(value.jsonText)"
      }
      return values.contains(text) ? nil : "must be one of \(valueList), found \"\(text)\""
    case .boolean:
      return value.boolValue == nil ? "must be true or false, found \(value.jsonText)" : nil
    case .integer:
      guard let number = value.integerValue else {
        if let real = value.doubleValue, real == real.rounded(), abs(real) < 9e15 {
          return rangeProblem(real)
        }
        return "must be a whole number\(rangeText), found \(value.jsonText)"
      }
      return rangeProblem(Double(number))
    case .number:
      guard let number = value.doubleValue, number.isFinite else {
        return "must be a number\(rangeText), found \(value.jsonText)"
      }
      return rangeProblem(number)
    case .text:
      guard let text = value.stringValue else { return "must be text, found \(value.jsonText)" }
      return text.count > 10_000 ? "must be at most 10000 characters, found \(text.count)" : nil
    }
  }

  private var valueList: String { values.map { "\"\($0)\"" }.joined(separator: ", ") }

  private var rangeText: String {
    switch (minimum, maximum) {
    case (let low?, let high?): return " from \(Self.format(low)) to \(Self.format(high))"
    case (let low?, nil): return " of at least \(Self.format(low))"
    case (nil, let high?): return " of at most \(Self.format(high))"
    case (nil, nil): return ""
    }
  }

  private func rangeProblem(_ number: Double) -> String? {
    if let minimum, number < minimum { return "must be\(rangeText), found \(Self.format(number))" }
    if let maximum, number > maximum { return "must be\(rangeText), found \(Self.format(number))" }
    return nil
  }

  static func format(_ number: Double) -> String {
    number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
  }
}

// MARK: Reading and writing

/// A schema document that cannot be used, with the JSON path of the first problem.
public struct LabelSchemaError: Error, CustomStringConvertible, Sendable, Equatable {
  public var path: String
  public var message: String
  public init(path: String, message: String) {
    self.path = path
    self.message = message
  }
  public var description: String { "label schema \(path): \(message)" }
}

extension LabelSchema {
  /// Reads and checks a schema document: `{"labels": [...]}`.
  public init(json: JSONValue) throws(LabelSchemaError) {
    let root = try Self.object(json, at: "$", allowed: ["labels", "$schema"])
    guard let labelsValue = root["labels"] else {
      throw LabelSchemaError(path: "$", message: "a label schema needs \"labels\", a list of labels")
    }
    guard let list = labelsValue.arrayValue else {
      throw LabelSchemaError(
        path: "labels", message: "must be a list of labels, found \(labelsValue.typeName)")
    }
    guard !list.isEmpty else {
      throw LabelSchemaError(path: "labels", message: "a task needs at least one label")
    }
    var labels: [LabelDefinition] = []
    var attributeTypes: [String: (AttributeType, String)] = [:]
    for (index, value) in list.enumerated() {
      let label = try Self.label(value, at: "labels[\(index)]")
      if labels.contains(where: { $0.name == label.name }) {
        throw LabelSchemaError(
          path: "labels[\(index)].name", message: "label \"\(label.name)\" is listed twice")
      }
      for (slot, attribute) in label.attributes.enumerated() {
        let path = "labels[\(index)].attributes[\(slot)].type"
        if let (type, label) = attributeTypes[attribute.name], type != attribute.type {
          throw LabelSchemaError(
            path: path,
            message:
              "attribute \"\(attribute.name)\" is \(type.rawValue) on label \"\(label)\"; one name has one type in every label"
          )
        }
        attributeTypes[attribute.name] = (attribute.type, label.name)
      }
      labels.append(label)
    }
    self.init(labels: labels)
  }

  public init(data: Data) throws(LabelSchemaError) {
    let json: JSONValue
    do { json = try JSONValue(parsing: data) } catch {
      throw LabelSchemaError(path: error.path, message: "not JSON: \(error.message) (line \(error.line))")
    }
    try self.init(json: json)
  }

  public var json: JSONValue {
    .object(["labels": .array(labels.map(\.json))])
  }

  private static func label(_ value: JSONValue, at path: String) throws(LabelSchemaError) -> LabelDefinition {
    let members = try object(
      value, at: path, allowed: ["name", "display_name", "color", "shapes", "min_area", "attributes"])
    let name = try string(members["name"], at: path + ".name", required: true)!
    guard !name.isEmpty, name == name.trimmingCharacters(in: .whitespacesAndNewlines), name.count <= 100
    else {
      throw LabelSchemaError(
        path: path + ".name", message: "a label name must be 1–100 characters without surrounding spaces")
    }
    var label = LabelDefinition(name: name)
    label.displayName = try string(members["display_name"], at: path + ".display_name")
    if let color = try string(members["color"], at: path + ".color") {
      guard color.wholeMatch(of: /#[0-9a-fA-F]{6}/) != nil else {
        throw LabelSchemaError(path: path + ".color", message: "must be #rrggbb, found \"\(color)\"")
      }
      label.color = color.lowercased()
    }
    if let shapes = members["shapes"] {
      guard let list = shapes.arrayValue, !list.isEmpty else {
        throw LabelSchemaError(
          path: path + ".shapes", message: "must be a non-empty list of \"polygon\" and \"bbox\"")
      }
      var kinds: [ShapeKind] = []
      for (index, item) in list.enumerated() {
        guard let text = item.stringValue, let kind = ShapeKind(rawValue: text) else {
          throw LabelSchemaError(
            path: "\(path).shapes[\(index)]",
            message: "must be \"polygon\" or \"bbox\", found \(item.jsonText)")
        }
        guard !kinds.contains(kind) else {
          throw LabelSchemaError(path: "\(path).shapes[\(index)]", message: "\"\(text)\" is listed twice")
        }
        kinds.append(kind)
      }
      label.shapes = kinds
    }
    if let minArea = members["min_area"] {
      guard let area = minArea.doubleValue, area.isFinite, area >= 0 else {
        throw LabelSchemaError(
          path: path + ".min_area", message: "must be a number of m², 0 or more, found \(minArea.jsonText)")
      }
      label.minArea = area
    }
    if let attributes = members["attributes"] {
      guard let list = attributes.arrayValue else {
        throw LabelSchemaError(
          path: path + ".attributes", message: "must be a list of attributes, found \(attributes.typeName)")
      }
      for (index, item) in list.enumerated() {
        let attribute = try self.attribute(item, at: "\(path).attributes[\(index)]")
        if label.attributes.contains(where: { $0.name == attribute.name }) {
          throw LabelSchemaError(
            path: "\(path).attributes[\(index)].name",
            message: "attribute \"\(attribute.name)\" is listed twice for label \"\(name)\"")
        }
        label.attributes.append(attribute)
      }
    }
    return label
  }

  private static func attribute(_ value: JSONValue, at path: String) throws(LabelSchemaError)
    -> AttributeDefinition
  {
    let members = try object(
      value, at: path, allowed: ["name", "type", "values", "minimum", "maximum", "required", "default"])
    let name = try string(members["name"], at: path + ".name", required: true)!
    guard name.wholeMatch(of: /[a-z][a-z0-9_]{0,62}/) != nil else {
      throw LabelSchemaError(
        path: path + ".name",
        message:
          "\"\(name)\" is not an attribute name: lower-case letters, digits and _, starting with a letter, at most 63 characters"
      )
    }
    guard !reservedNames.contains(name) else {
      throw LabelSchemaError(
        path: path + ".name", message: "\"\(name)\" is a property Swath writes itself; choose another name")
    }
    let typeText = try string(members["type"], at: path + ".type", required: true)!
    guard let type = AttributeType(rawValue: typeText) else {
      throw LabelSchemaError(
        path: path + ".type",
        message:
          "must be one of \(AttributeType.allCases.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")), found \"\(typeText)\""
      )
    }
    var attribute = AttributeDefinition(name: name, type: type)
    if let values = members["values"] {
      guard type == .enum else {
        throw LabelSchemaError(path: path + ".values", message: "only an enum attribute has values")
      }
      guard let list = values.arrayValue else {
        throw LabelSchemaError(path: path + ".values", message: "must be a list of strings")
      }
      for (index, item) in list.enumerated() {
        guard let text = item.stringValue, !text.isEmpty else {
          throw LabelSchemaError(
            path: "\(path).values[\(index)]", message: "must be a non-empty string, found \(item.jsonText)")
        }
        guard !attribute.values.contains(text) else {
          throw LabelSchemaError(path: "\(path).values[\(index)]", message: "\"\(text)\" is listed twice")
        }
        attribute.values.append(text)
      }
    }
    if type == .enum && attribute.values.isEmpty {
      throw LabelSchemaError(path: path + ".values", message: "an enum attribute needs at least one value")
    }
    for bound in ["minimum", "maximum"] {
      guard let value = members[bound] else { continue }
      guard type.isNumeric else {
        throw LabelSchemaError(
          path: "\(path).\(bound)", message: "only an integer or number attribute has a range")
      }
      guard let number = value.doubleValue, number.isFinite else {
        throw LabelSchemaError(
          path: "\(path).\(bound)", message: "must be a finite number, found \(value.jsonText)")
      }
      if bound == "minimum" { attribute.minimum = number } else { attribute.maximum = number }
    }
    if let low = attribute.minimum, let high = attribute.maximum, low > high {
      throw LabelSchemaError(
        path: path + ".minimum",
        message:
          "the range is empty: minimum \(AttributeDefinition.format(low)) is above maximum \(AttributeDefinition.format(high))"
      )
    }
    if let required = members["required"] {
      guard let flag = required.boolValue else {
        throw LabelSchemaError(
          path: path + ".required", message: "must be true or false, found \(required.jsonText)")
      }
      attribute.required = flag
    }
    if let value = members["default"], !value.isNull {
      if let problem = attribute.problem(with: value) {
        throw LabelSchemaError(path: path + ".default", message: "the default \(problem)")
      }
      attribute.defaultValue = value
    }
    return attribute
  }

  private static func object(_ value: JSONValue, at path: String, allowed: Set<String>)
    throws(LabelSchemaError)
    -> [String: JSONValue]
  {
    guard let members = value.objectValue else {
      throw LabelSchemaError(path: path, message: "must be an object, found \(value.typeName)")
    }
    if let unknown = members.keys.sorted().first(where: { !allowed.contains($0) }) {
      throw LabelSchemaError(
        path: path == "$" ? unknown : "\(path).\(unknown)",
        message: "unknown member; allowed: \(allowed.sorted().joined(separator: ", "))")
    }
    return members
  }

  private static func string(_ value: JSONValue?, at path: String, required: Bool = false)
    throws(LabelSchemaError)
    -> String?
  {
    guard let value, !value.isNull else {
      if required { throw LabelSchemaError(path: path, message: "is required") }
      return nil
    }
    guard let text = value.stringValue else {
      throw LabelSchemaError(path: path, message: "must be a string, found \(value.typeName)")
    }
    return text
  }
}

extension LabelDefinition {
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "name": .string(name), "shapes": .array(shapes.map { .string($0.rawValue) }),
      "attributes": .array(attributes.map(\.json)),
    ]
    if let displayName { members["display_name"] = .string(displayName) }
    if let color { members["color"] = .string(color) }
    if let minArea { members["min_area"] = .number(minArea) }
    return .object(members)
  }
}

extension AttributeDefinition {
  public var json: JSONValue {
    var members: [String: JSONValue] = [
      "name": .string(name), "type": .string(type.rawValue), "required": .bool(required),
    ]
    if type == .enum { members["values"] = .array(values.map(JSONValue.string)) }
    if let minimum { members["minimum"] = .number(minimum) }
    if let maximum { members["maximum"] = .number(maximum) }
    if let defaultValue { members["default"] = defaultValue }
    return .object(members)
  }
}

extension JSONValue {
  /// "a string", "an object", … for messages.
  var typeName: String {
    switch self {
    case .null: return "null"
    case .bool: return "a boolean"
    case .integer, .number: return "a number"
    case .string: return "a string"
    case .array: return "a list"
    case .object: return "an object"
    }
  }
}

// MARK: Changing a schema

extension LabelSchema {
  /// Why `self` cannot replace `old` once answers exist: each change that an answer given under
  /// `old` might no longer fit. Empty when every such answer still fits (labels and optional
  /// attributes added, ranges and enums widened, display names and colours changed).
  public func incompatibilities(replacing old: LabelSchema) -> [String] {
    var problems: [String] = []
    for oldLabel in old.labels {
      guard let label = label(named: oldLabel.name) else {
        problems.append("label \"\(oldLabel.name)\" is removed (or renamed)")
        continue
      }
      for shape in oldLabel.shapes where !label.shapes.contains(shape) {
        problems.append("label \"\(label.name)\" no longer allows \(shape.rawValue) shapes")
      }
      if let area = label.minArea, area > (oldLabel.minArea ?? 0) {
        problems.append(
          "label \"\(label.name)\": min_area rises from \(AttributeDefinition.format(oldLabel.minArea ?? 0)) to \(AttributeDefinition.format(area)) m²"
        )
      }
      for oldAttribute in oldLabel.attributes {
        let subject = "attribute \"\(oldAttribute.name)\" of label \"\(label.name)\""
        guard let attribute = label.attribute(named: oldAttribute.name) else {
          problems.append("\(subject) is removed (or renamed)")
          continue
        }
        guard attribute.type == oldAttribute.type else {
          problems.append(
            "\(subject) changes type from \(oldAttribute.type.rawValue) to \(attribute.type.rawValue)")
          continue
        }
        for value in oldAttribute.values where !attribute.values.contains(value) {
          problems.append("\(subject) loses the value \"\(value)\"")
        }
        if let minimum = attribute.minimum, minimum > (oldAttribute.minimum ?? -.infinity) {
          problems.append("\(subject): the minimum rises to \(AttributeDefinition.format(minimum))")
        }
        if let maximum = attribute.maximum, maximum < (oldAttribute.maximum ?? .infinity) {
          problems.append("\(subject): the maximum falls to \(AttributeDefinition.format(maximum))")
        }
        if attribute.required && !oldAttribute.required && attribute.defaultValue == nil {
          problems.append("\(subject) becomes required without a default")
        }
      }
      for attribute in label.attributes
      where oldLabel.attribute(named: attribute.name) == nil && attribute.required
        && attribute.defaultValue == nil
      {
        problems.append(
          "attribute \"\(attribute.name)\" is added to label \"\(label.name)\" as required without a default")
      }
    }
    return problems
  }
}

// Stored and sent as its schema document.
extension LabelSchema: Codable {
  public init(from decoder: any Decoder) throws {
    let json = try JSONValue(from: decoder)
    do { try self.init(json: json) } catch {
      throw DecodingError.dataCorrupted(
        .init(codingPath: decoder.codingPath, debugDescription: error.description))
    }
  }

  public func encode(to encoder: any Encoder) throws { try json.encode(to: encoder) }
}
