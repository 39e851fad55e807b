import Foundation
import SwathConsensus
import SwathGeometry

/// How often a layer's attribute values equal the truth's, over the pairs of an optimal
/// one-to-one matching at an IoU threshold (label-agnostic, most matches then most IoU: the
/// matching that scores F1). `tools/bench_merge.py` measures the same way.
public struct AttributeAccuracy: Sendable, Hashable {
  /// One attribute's count over the matched pairs.
  public struct Tally: Sendable, Hashable {
    /// Matched pairs whose truth object has the attribute.
    public var checked: Int
    /// Of those, the pairs where the layer's shape has it at all.
    public var present: Int
    /// Of those, the pairs where the layer's value equals the truth's.
    public var correct: Int

    /// correct / checked (a missing value is wrong); nil when the layer never gives the
    /// attribute (a layer without attributes, "n/a").
    public var accuracy: Double? { present > 0 && checked > 0 ? Double(correct) / Double(checked) : nil }
  }

  /// Matched pairs (true positives at the threshold).
  public var matched: Int
  public var attributes: [String: Tally]

  /// Over every attribute the layer gives: the correct values over the values checked.
  public var overall: Double? {
    let given = attributes.values.filter { $0.present > 0 }
    let checked = given.reduce(0) { $0 + $1.checked }
    return checked > 0 ? Double(given.reduce(0) { $0 + $1.correct }) / Double(checked) : nil
  }

  /// Matches `layer` to `truth` (both in the same metric CRS) and compares the named attributes
  /// (flat properties) of each matched pair. Numbers are equal when their values are. A pair
  /// GEOS cannot measure (an invalid shape, such as a weak annotator's bow tie) is no match, as
  /// the bench script leaves invalid shapes out.
  public static func measure(
    _ layer: [LabelFeature], against truth: [LabelFeature], attributes names: [String],
    iou threshold: Double = 0.5
  ) -> AttributeAccuracy {
    let truthBoxes = truth.map { $0.geometry.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) }
    let index = SpatialIndex(truthBoxes)
    var edges: [(row: Int, column: Int, weight: Double)] = []
    for (row, feature) in layer.enumerated() {
      guard let box = feature.geometry.envelope else { continue }
      for column in index.query(box).sorted() {
        let iou =
          (try? IoU.polygons(
            feature.geometry, envelope: box, truth[column].geometry, envelope: truthBoxes[column])) ?? 0
        if iou >= threshold { edges.append((row, column, iou)) }
      }
    }
    let assignment = Assignment.sparse(rows: layer.count, columns: truth.count, edges: edges)
    var tallies = Dictionary(
      uniqueKeysWithValues: names.map { ($0, Tally(checked: 0, present: 0, correct: 0)) })
    var matched = 0
    for (row, column) in assignment.enumerated() {
      guard let column else { continue }
      matched += 1
      for name in names {
        guard let expected = truth[column].properties[name], !expected.isNull else { continue }
        tallies[name]!.checked += 1
        guard let given = layer[row].properties[name], !given.isNull else { continue }
        tallies[name]!.present += 1
        if same(given, expected) { tallies[name]!.correct += 1 }
      }
    }
    return AttributeAccuracy(matched: matched, attributes: tallies)
  }

  static func same(_ a: JSONValue, _ b: JSONValue) -> Bool {
    if let x = a.doubleValue, let y = b.doubleValue { return x == y }
    return a == b
  }
}
