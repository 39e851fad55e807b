import Foundation
import SwathGeometry
import SwathSupport

/// A layer scored against a reference (truth, or another annotator) at an IoU threshold,
/// with an optimal one-to-one matching (most matches, then most IoU).
public struct LayerScore: Sendable, Hashable, Codable {
  public var truePositives: Int
  public var falsePositives: Int
  public var falseNegatives: Int
  /// Mean IoU of the matched pairs.
  public var meanIoU: Double

  public init(truePositives: Int, falsePositives: Int, falseNegatives: Int, meanIoU: Double) {
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    self.meanIoU = meanIoU
  }

  public var precision: Double {
    truePositives + falsePositives > 0 ? Double(truePositives) / Double(truePositives + falsePositives) : 0
  }
  public var recall: Double {
    truePositives + falseNegatives > 0 ? Double(truePositives) / Double(truePositives + falseNegatives) : 0
  }
  /// 1 when both layers are empty: nothing drawn where there is nothing.
  public var f1: Double {
    let denominator = 2 * truePositives + falsePositives + falseNegatives
    return denominator > 0 ? Double(2 * truePositives) / Double(denominator) : 1
  }

  /// Scores WGS84 `layer` against WGS84 `reference`, label-agnostic, in `crs` (default: the UTM
  /// zone of the data).
  public static func compare(
    _ layer: [MultiPolygon], against reference: [MultiPolygon], iou threshold: Double = 0.5,
    crs: WorkingCRS? = nil
  ) throws -> LayerScore {
    let matches = try matching(layer, against: reference, iou: threshold, crs: crs)
    let matched = matches.compactMap { $0 }
    return LayerScore(
      truePositives: matched.count, falsePositives: layer.count - matched.count,
      falseNegatives: reference.count - matched.count,
      meanIoU: matched.isEmpty ? 0 : matched.map(\.iou).reduce(0, +) / Double(matched.count))
  }

  /// The optimal one-to-one matching behind `compare`: for each object of `layer`, the index of
  /// the reference object it is matched to and their IoU, or nil.
  public static func matching(
    _ layer: [MultiPolygon], against reference: [MultiPolygon], iou threshold: Double = 0.5,
    crs: WorkingCRS? = nil
  ) throws -> [(reference: Int, iou: Double)?] {
    guard !layer.isEmpty, !reference.isEmpty else { return Array(repeating: nil, count: layer.count) }
    let all = layer + reference
    let working = try crs ?? WorkingCRS.forData(all)
    let projected = try working.fromWGS84(all)
    let frame = LocalFrame(projected)
    let measured = projected.map { Measured(frame.toLocal($0)) }
    let predicted = Array(measured[..<layer.count])
    let truth = Array(measured[layer.count...])
    let index = SpatialIndex(truth.map(\.envelope))
    let perRow = try Parallel.map(predicted.indices) { row -> [(row: Int, column: Int, weight: Double)] in
      try index.query(predicted[row].envelope).sorted().compactMap { column in
        let iou = try predicted[row].iou(truth[column], floor: threshold)
        return iou >= threshold ? (row, column, iou) : nil
      }
    }
    let assignment = Assignment.sparse(
      rows: predicted.count, columns: truth.count, edges: perRow.flatMap { $0 })
    return assignment.enumerated().map { row, column in
      column.map { column in (column, perRow[row].first { $0.column == column }!.weight) }
    }
  }
}
