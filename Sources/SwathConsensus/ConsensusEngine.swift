import Foundation
import SwathGeometry

/// Several annotators' shapes in, one trusted layer and a report on the annotators out.
///
/// Steps: project to a metric working CRS about a local origin; join each annotator's pieces of
/// one object; group shapes that may be one object (spatial index, connected components); inside
/// each group, assign every annotator's shapes optimally to the current consensus shapes and
/// re-merge until stable; vote (majority or Dawid–Skene); merge labels and geometry; project back.
/// Nothing depends on the order of the submissions or of the features in them.
public enum ConsensusEngine {
  public static func run(_ submissions: [Submission], options: ConsensusOptions) throws -> ConsensusResult {
    try check(submissions, options)
    var clock = PhaseClock()
    let submissions = submissions.sorted { $0.annotator < $1.annotator }
    let names = submissions.map(\.annotator)

    // 1. Features that take part, with the invalid ones listed.
    var invalid: [AnnotatorReport.InvalidEntry] = []
    var ignored = [Int](repeating: 0, count: submissions.count)
    var taking: [(annotator: Int, index: Int, feature: LabelFeature)] = []
    for (annotator, submission) in submissions.enumerated() {
      for entry in submission.invalid {
        invalid.append(
          .init(annotator: submission.annotator, index: entry.index, id: entry.id, reasons: entry.reasons))
      }
      for (index, feature) in submission.features.enumerated() {
        if let labels = options.labels, !labels.contains(feature.label ?? "") {
          ignored[annotator] += 1
          continue
        }
        taking.append((annotator, index, feature))
      }
    }

    // 2. The working CRS and the local origin.
    let crs: WorkingCRS
    if let given = options.workingCRS {
      crs = given
    } else if !taking.isEmpty {
      crs = try WorkingCRS.forData(taking.map(\.feature.geometry))
    } else if let chip = options.chips?.first {
      crs = try WorkingCRS.forData([chip.footprint])
    } else {
      crs = try WorkingCRS(epsg: 3857)
    }
    let projected = try Projection.forward(taking.map(\.feature.geometry), crs: crs)
    let frame = LocalFrame(projected)
    clock.lap("project")

    // 3. Shapes in canonical order; shapes unusable after projection are reported, not dropped.
    var shapes: [WorkShape] = []
    shapes.reserveCapacity(taking.count)
    var invalidCount = submissions.map(\.invalid.count)
    let local = projected.map(frame.toLocal)
    let validity = Parallel.map(local.indices) { index -> String? in
      let geometry = local[index]
      let check = Topology.validity(geometry)
      if !check.isValid { return "invalid in the working CRS: \(check.reason ?? "unknown reason")" }
      if Planar.area(geometry) <= 0 { return "zero area" }
      return nil
    }
    for (position, item) in taking.enumerated() {
      if let reason = validity[position] {
        invalid.append(
          .init(annotator: names[item.annotator], index: item.index, id: item.feature.id, reasons: [reason]))
        invalidCount[item.annotator] += 1
        continue
      }
      shapes.append(
        WorkShape(
          annotator: item.annotator, label: item.feature.label, kind: item.feature.shape,
          measured: Measured(local[position]), sources: [item.index]))
    }
    shapes.sort(by: WorkShape.canonicalOrder)
    clock.lap("check in working CRS")

    // 4. Each annotator's pieces of one object joined.
    let chips = try (options.chips ?? []).map { chip in
      LocalChip(
        id: chip.id, footprint: frame.toLocal(try Projection.forward([chip.footprint], crs: crs)[0]),
        annotators: chip.annotators)
    }
    let stitcher = try Stitcher(chips: chips, tolerance: options.seamTolerance)
    shapes = try stitcher.stitch(shapes, annotators: submissions.count)
    clock.lap("stitch")

    // 5. Groups of shapes that may be one object, clustered independently and in parallel.
    let components = Components.of(shapes, floor: min(0.1, options.iou / 2))
    let clusterer = Clusterer(shapes: shapes, options: options)
    let perComponent = try Parallel.map(components.indices) { try clusterer.clusters(of: components[$0]) }
    var clusters = perComponent.flatMap { $0 }
    clock.lap("cluster")

    // 6. Who was asked where, and the vote.
    let asked = Asked(submissions: submissions, chips: chips, assigned: options.assigned)
    for index in clusters.indices {
      clusters[index].asked = asked.annotators(at: clusters[index].merged.envelope.center)
      clusters[index].assignedCount = asked.count(at: clusters[index].merged.envelope.center)
      // Someone who drew it was evidently asked.
      for member in clusters[index].members {
        let annotator = shapes[member].annotator
        if !clusters[index].asked.contains(annotator) {
          clusters[index].asked.append(annotator)
          clusters[index].assignedCount += 1
        }
      }
      clusters[index].asked.sort()
    }
    let useWeighted = options.method == .weighted && submissions.count >= 3
    var model: DawidSkene?
    if useWeighted {
      let observations = clusters.map { cluster -> [DawidSkene.Observation] in
        let drew = Set(cluster.members.map { shapes[$0].annotator })
        return cluster.asked.map { DawidSkene.Observation(annotator: $0, drew: drew.contains($0)) }
      }
      model = DawidSkene(clusters: observations, annotatorCount: submissions.count)
    }

    clock.lap("who was asked, the vote")

    // 7. Objects.
    var objects: [(object: ConsensusObject, cluster: Int, box: BoundingBox)] = []
    var conflictCounts: [String: Int] = [:]
    for (index, cluster) in clusters.enumerated() {
      let members = cluster.members.map { shapes[$0] }
      let support = members.count
      let confidence = model?.posterior[index]
      let accepted: Bool
      if let confidence {
        accepted = confidence >= options.minConfidence
      } else {
        accepted = support >= options.quorum.required(of: cluster.assignedCount)
      }
      var votes: [String: Int] = [:]
      var weights: [String: Double] = [:]
      for member in members {
        let label = member.label ?? ""
        votes[label, default: 0] += 1
        weights[label, default: 0] += model?.reliability(member.annotator) ?? 1
      }
      var conflicts = cluster.conflicts
      let ranked = weights.sorted { ($0.value, votes[$0.key]!, $1.key) > ($1.value, votes[$1.key]!, $0.key) }
      if votes.count > 1 { conflicts.append("label") }
      if ranked.count > 1, abs(ranked[0].value - ranked[1].value) < 1e-9 { conflicts.append("label_tie") }
      let iouMean = cluster.memberIoU.reduce(0, +) / Double(max(1, cluster.memberIoU.count))
      if iouMean < (1 + options.iou) / 2 { conflicts.append("low_overlap") }
      conflicts.sort()
      if accepted || options.includeRejected {
        for conflict in conflicts { conflictCounts[conflict, default: 0] += 1 }
      }
      let winner = ranked.first?.key ?? ""
      let object = ConsensusObject(
        geometry: cluster.merged.geometry, label: winner.isEmpty && votes[""] != nil ? nil : winner,
        shape: cluster.kind, support: support, assigned: cluster.assignedCount, iouMean: iouMean,
        score: Double(support) / Double(max(1, cluster.assignedCount)) * iouMean, confidence: confidence,
        annotators: members.map { names[$0.annotator] }.sorted(),
        votes: Dictionary(uniqueKeysWithValues: votes.map { ($0.key.isEmpty ? "(none)" : $0.key, $0.value) }),
        status: accepted ? .accepted : .rejected, conflicts: conflicts)
      objects.append((object, index, cluster.merged.envelope))
    }

    // 8. The report, from the clusters.
    let report = Reporter(
      names: names, shapes: shapes, clusters: clusters, objects: objects.map(\.object), model: model,
      options: options, useWeighted: useWeighted,
      submitted: submissions.map { $0.features.count + $0.invalid.count },
      invalid: invalidCount, ignored: ignored, invalidEntries: invalid, crs: crs, assigned: asked.total
    ).report(conflicts: conflictCounts)

    clock.lap("objects and report")

    // 9. Back to WGS84, in a deterministic order.
    var kept = objects.filter { options.includeRejected || $0.object.status == .accepted }
    kept.sort { a, b in
      (a.box.minY, a.box.minX, a.box.maxY, a.box.maxX, a.object.label ?? "")
        < (b.box.minY, b.box.minX, b.box.maxY, b.box.maxX, b.object.label ?? "")
    }
    let wgs84 = try Projection.inverse(kept.map { frame.toWorld($0.object.geometry) }, crs: crs)
    var output: [ConsensusObject] = []
    output.reserveCapacity(kept.count)
    for (item, geometry) in zip(kept, wgs84) {
      var object = item.object
      object.geometry = Planar.oriented(geometry)
      output.append(object)
    }
    clock.lap("back to WGS84")
    return ConsensusResult(objects: output, report: report, timings: clock.timings)
  }

  private static func check(_ submissions: [Submission], _ options: ConsensusOptions) throws {
    guard options.iou > 0, options.iou <= 1 else {
      throw ConsensusError("the IoU threshold must be in (0, 1], got \(options.iou)")
    }
    guard options.minConfidence >= 0, options.minConfidence <= 1 else {
      throw ConsensusError("the minimum confidence must be in [0, 1], got \(options.minConfidence)")
    }
    if case .fraction(let fraction) = options.quorum, !(fraction > 0 && fraction <= 1) {
      throw ConsensusError("a quorum fraction must be in (0, 1], got \(fraction)")
    }
    var seen: Set<String> = []
    for submission in submissions {
      guard !submission.annotator.isEmpty else { throw ConsensusError("a submission has no annotator id") }
      guard seen.insert(submission.annotator).inserted else {
        throw ConsensusError("annotator '\(submission.annotator)' has more than one submission")
      }
    }
    if let assigned = options.assigned, assigned < submissions.count {
      throw ConsensusError(
        "--assigned \(assigned) is fewer than the \(submissions.count) submissions received")
    }
  }
}

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
}

/// A chip footprint in the local frame.
struct LocalChip: Sendable {
  var id: String
  var footprint: MultiPolygon
  var annotators: Set<String>?
}

/// Which annotators were asked to label a place.
struct Asked {
  let everyone: [Int]
  let total: Int
  private let chips: [(footprint: MultiPolygon, envelope: BoundingBox, annotators: [Int])]

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
      return (
        chip.footprint, chip.footprint.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0), annotators
      )
    }
  }

  private func covering(_ point: Point) -> [(
    footprint: MultiPolygon, envelope: BoundingBox, annotators: [Int]
  )] {
    chips.filter { chip in
      chip.envelope.intersects(BoundingBox(minX: point.x, minY: point.y, maxX: point.x, maxY: point.y))
        && Planar.contains(chip.footprint, point)
    }
  }

  /// The submitters asked to label `point`: those given a chip that covers it, else everyone.
  func annotators(at point: Point) -> [Int] {
    let covering = covering(point)
    guard !covering.isEmpty else { return everyone }
    return Array(Set(covering.flatMap(\.annotators))).sorted()
  }

  /// How many annotators were asked there, counting those who did not answer when `assigned` says so.
  func count(at point: Point) -> Int {
    let covering = covering(point)
    guard !covering.isEmpty else { return total }
    return Set(covering.flatMap(\.annotators)).count
  }
}
