import Foundation
import SwathGeometry

/// Votes the attributes of each consensus object, as the label schema defines them for the
/// object's winning label.
///
/// Each member of a cluster casts one ballot: the values its feature gives for the winning
/// label's attributes, keeping only those that fit the winning label's definition (a member drawn
/// with another label may share an attribute name, but a value that label allows and this one
/// does not cannot win). Members without a value do not vote on that attribute. Enums, booleans
/// and texts go by plurality, numbers by median; under the weighted method each ballot weighs
/// its annotator's estimated precision, as label votes do. Members that do not all give the same
/// value make the conflict `attribute:NAME`.
struct AttributeVoter: Sendable {
  let schema: LabelSchema
  /// Per annotator (in engine order), per feature of their submission: its properties.
  let properties: [[[String: JSONValue]]]

  /// Nil when the schema defines no attribute: then there is nothing to vote.
  init?(schema: LabelSchema?, submissions: [Submission]) {
    guard let schema, schema.hasAttributes else { return nil }
    self.schema = schema
    properties = submissions.map { $0.features.map(\.properties) }
  }

  /// The conflict recorded when a cluster's members disagree on `attribute`.
  static func conflict(_ attribute: String) -> String { "attribute:\(attribute)" }

  /// What one member says about the attributes of `label`. A shape joined from several pieces
  /// takes, per attribute, the value most of its pieces give (ties to the first in JSON text
  /// order, so the order of the features never matters).
  func ballot(_ shape: WorkShape, label: LabelDefinition) -> [String: JSONValue] {
    var ballot: [String: JSONValue] = [:]
    for attribute in label.attributes {
      let given = shape.sources.compactMap { source -> JSONValue? in
        guard let value = properties[shape.annotator][source][attribute.name], !value.isNull,
          attribute.problem(with: value) == nil
        else { return nil }
        return Self.normalised(value, attribute.type)
      }
      if let value = Self.plurality(given.map { ($0, 1.0) }) { ballot[attribute.name] = value }
    }
    return ballot
  }

  /// The voted attributes of a cluster whose winning label is `label`, and the conflicts.
  func vote(members: [Int], shapes: [WorkShape], label: String?, weight: (Int) -> Double)
    -> (attributes: [String: JSONValue], conflicts: [String])
  {
    guard let label, let definition = schema.label(named: label), !definition.attributes.isEmpty else {
      return ([:], [])
    }
    let ballots = members.map {
      (ballot: ballot(shapes[$0], label: definition), weight: weight(shapes[$0].annotator))
    }
    var attributes: [String: JSONValue] = [:]
    var conflicts: [String] = []
    for attribute in definition.attributes {
      let votes = ballots.compactMap { entry in entry.ballot[attribute.name].map { ($0, entry.weight) } }
      guard let first = votes.first else { continue }
      let winner =
        attribute.type.isNumeric
        ? Self.median(votes, integer: attribute.type == .integer) : Self.plurality(votes)
      attributes[attribute.name] = winner
      if votes.contains(where: { !Self.same($0.0, first.0) }) {
        conflicts.append(Self.conflict(attribute.name))
      }
    }
    return (attributes, conflicts)
  }

  /// Two values of one attribute are the same answer (numbers compare by value: 3 and 3.0 agree).
  static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = a.doubleValue, let y = b.doubleValue { return x == y }
    return a == b
  }

  /// Integers as integers (a validator may have let 3.0 through), everything else as given.
  static func normalised(_ value: JSONValue, _ type: AttributeType) -> JSONValue {
    if type == .integer, value.integerValue == nil, let real = value.doubleValue {
      return .integer(Int64(real))
    }
    return value
  }

  /// The value with the most weight, then the most ballots, then the first in JSON text order.
  static func plurality(_ votes: [(JSONValue, Double)]) -> JSONValue? {
    var tally: [String: (value: JSONValue, weight: Double, count: Int)] = [:]
    for (value, weight) in votes {
      let key = value.jsonText
      let previous = tally[key] ?? (value, 0, 0)
      tally[key] = (value, previous.weight + weight, previous.count + 1)
    }
    return tally.sorted { a, b in
      if abs(a.value.weight - b.value.weight) > 1e-9 { return a.value.weight > b.value.weight }
      if a.value.count != b.value.count { return a.value.count > b.value.count }
      return a.key < b.key
    }.first?.value.value
  }

  /// The weighted median: the smallest value with at least half the weight at or below it. When
  /// exactly half lies at or below it, a number takes the midpoint to the next value (the usual
  /// median of an even count), an integer stays at the lower value (a value someone gave).
  static func median(_ votes: [(JSONValue, Double)], integer: Bool) -> JSONValue {
    let sorted = votes.map { (given: $0.0, value: $0.0.doubleValue ?? 0, weight: $0.1) }
      .sorted { $0.value < $1.value }
    let total = sorted.reduce(0) { $0 + $1.weight }
    let half = total / 2
    let tolerance = 1e-9 * max(1, total)
    var cumulative = 0.0
    for (index, entry) in sorted.enumerated() {
      cumulative += entry.weight
      guard cumulative >= half - tolerance else { continue }
      if integer { return entry.given }
      if abs(cumulative - half) <= tolerance, index + 1 < sorted.count {
        return .number((entry.value + sorted[index + 1].value) / 2)
      }
      return .number(entry.value)
    }
    // Only reached through rounding with weights that sum to nothing.
    return integer ? sorted.last?.given ?? .integer(0) : .number(sorted.last?.value ?? 0)
  }
}
