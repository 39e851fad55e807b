import Foundation
import SwathGeometry

/// A shape in the working CRS: one feature, or an annotator's pieces of one object joined.
struct WorkShape: Sendable {
  var annotator: Int
  var label: String?
  var kind: ShapeKind
  var measured: Measured
  /// Indices of the features it came from, in the annotator's submission.
  var sources: [Int]

  /// Annotator, then geometry and label: never the order the features arrived in.
  static func canonicalOrder(_ a: WorkShape, _ b: WorkShape) -> Bool {
    let ea = a.measured.envelope
    let eb = b.measured.envelope
    if (a.annotator, ea.minX, ea.minY, ea.maxX, ea.maxY) != (b.annotator, eb.minX, eb.minY, eb.maxX, eb.maxY)
    {
      return (a.annotator, ea.minX, ea.minY, ea.maxX, ea.maxY) < (
        b.annotator, eb.minX, eb.minY, eb.maxX, eb.maxY
      )
    }
    return (a.measured.area, a.label ?? "", a.kind.rawValue) < (
      b.measured.area, b.label ?? "", b.kind.rawValue
    )
  }

  /// `shapes.sorted(by: canonicalOrder)`: the same comparisons, so the same order, but made on
  /// plain keys through an array of positions rather than by moving whole shapes (and their
  /// references) around.
  static func canonicallyOrdered(_ shapes: [WorkShape]) -> [WorkShape] {
    // Labels and kinds compare as text; their ranks among the distinct values compare alike.
    let labels = Set(shapes.map { $0.label ?? "" }).sorted()
    let labelRanks = Dictionary(uniqueKeysWithValues: labels.enumerated().map { ($1, $0) })
    let kinds = ShapeKind.allCases.map(\.rawValue).sorted()
    let keys = shapes.map { shape in
      CanonicalKey(
        annotator: shape.annotator, envelope: shape.measured.envelope, area: shape.measured.area,
        labelRank: labelRanks[shape.label ?? ""]!, kindRank: kinds.firstIndex(of: shape.kind.rawValue)!)
    }
    var order = Array(shapes.indices)
    order.sort { keys[$0].precedes(keys[$1]) }
    return order.map { shapes[$0] }
  }

  /// What `canonicalOrder` compares, with ranks for the texts.
  struct CanonicalKey {
    var annotator: Int
    var envelope: BoundingBox
    var area: Double
    var labelRank: Int
    var kindRank: Int

    /// `canonicalOrder`, term for term.
    func precedes(_ other: CanonicalKey) -> Bool {
      let ea = envelope
      let eb = other.envelope
      if (annotator, ea.minX, ea.minY, ea.maxX, ea.maxY) != (
        other.annotator, eb.minX, eb.minY, eb.maxX, eb.maxY
      ) {
        return (annotator, ea.minX, ea.minY, ea.maxX, ea.maxY) < (
          other.annotator, eb.minX, eb.minY, eb.maxX, eb.maxY
        )
      }
      return (area, labelRank, kindRank) < (other.area, other.labelRank, other.kindRank)
    }
  }
}
