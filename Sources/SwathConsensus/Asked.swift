import Foundation
import SwathGeometry

/// Which annotators were asked to label a place.
struct Asked {
  let everyone: [Int]
  let total: Int
  private let chips: [(footprint: MultiPolygon, annotators: [Int])]
  /// Chip envelopes, so a place is tested against the few chips near it rather than all.
  private let index: SpatialIndex

  init(submissions: [Submission], chips: [LocalChip], assigned: Int?) {
    everyone = Array(submissions.indices)
    total = assigned ?? submissions.count
    let index = Dictionary(uniqueKeysWithValues: submissions.enumerated().map { ($1.annotator, $0) })
    self.chips = chips.map { chip in
      let annotators: [Int]
      if let named = chip.annotators {
        annotators = named.compactMap { index[$0] }.sorted()
      } else {
        annotators = submissions.enumerated().filter { $1.chipIDs?.contains(chip.id) ?? true }.map(\.offset)
      }
      return (chip.footprint, annotators)
    }
    self.index = SpatialIndex(
      chips.map { $0.footprint.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) })
  }

  /// The submitters asked to label `point` (those given a chip that covers it, else everyone),
  /// and how many annotators were asked there, counting those who did not answer when
  /// `assigned` says so.
  func at(_ point: Point) -> (annotators: [Int], count: Int) {
    var given = [Bool](repeating: false, count: everyone.count)
    var covered = false
    index.visit(BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y)) { chip in
      guard Topology.contains(chips[chip].footprint, point) else { return }
      covered = true
      for annotator in chips[chip].annotators { given[annotator] = true }
    }
    guard covered else { return (everyone, total) }
    let annotators = everyone.filter { given[$0] }
    return (annotators, annotators.count)
  }
}
