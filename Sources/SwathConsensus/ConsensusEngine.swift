import Foundation
import SwathGeometry
import SwathSupport

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
    let projected = try crs.fromWGS84(taking.map(\.feature.geometry))
    let frame = LocalFrame(projected)
    clock.lap("project")

    // 3. Shapes in canonical order; shapes unusable after projection are reported, not dropped.
    var shapes: [WorkShape] = []
    shapes.reserveCapacity(taking.count)
    var invalidCount = submissions.map(\.invalid.count)
    // Validity is checked again after projecting: a shape valid in WGS84 can fold over itself.
    let checked = Parallel.map(projected.indices) { index -> Result<Measured, ShapeProblem> in
      let geometry = frame.toLocal(projected[index])
      let check = Topology.validity(geometry)
      if !check.isValid {
        return .failure(ShapeProblem("invalid in the working CRS: \(check.reason ?? "unknown reason")"))
      }
      let measured = Measured(geometry)
      return measured.area > 0 ? .success(measured) : .failure(ShapeProblem("zero area"))
    }
    for (position, item) in taking.enumerated() {
      switch checked[position] {
      case .failure(let problem):
        invalid.append(
          .init(
            annotator: names[item.annotator], index: item.index, id: item.feature.id,
            reasons: [problem.reason]))
        invalidCount[item.annotator] += 1
      case .success(let measured):
        shapes.append(
          WorkShape(
            annotator: item.annotator, label: item.feature.label, kind: item.feature.shape,
            measured: measured, sources: [item.index]))
      }
    }
    shapes = WorkShape.canonicallyOrdered(shapes)
    clock.lap("check in working CRS")

    // 4. Each annotator's pieces of one object joined.
    let chipFootprints = try crs.fromWGS84((options.chips ?? []).map(\.footprint))
    let chips = zip(options.chips ?? [], chipFootprints).map { chip, footprint in
      LocalChip(id: chip.id, footprint: frame.toLocal(footprint), annotators: chip.annotators)
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
      let here = asked.at(clusters[index].merged.envelope.center)
      clusters[index].asked = here.annotators
      clusters[index].assignedCount = here.count
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
      var observations = DawidSkene.Observations(annotatorCount: submissions.count)
      observations.reserveCapacity(
        clusters: clusters.count, observations: clusters.reduce(0) { $0 + $1.asked.count })
      var drew = [Bool](repeating: false, count: submissions.count)
      for cluster in clusters {
        for member in cluster.members { drew[shapes[member].annotator] = true }
        observations.appendCluster(cluster.asked.lazy.map { ($0, drew[$0]) })
        for member in cluster.members { drew[shapes[member].annotator] = false }
      }
      model = DawidSkene(observations)
    }

    clock.lap("who was asked, the vote")

    // 7. Objects, each from its own cluster (so in parallel); conflicts counted in cluster order.
    let objects = Parallel.map(clusters.indices) { [clusters, shapes, model] index in
      object(
        for: clusters[index], confidence: model?.posterior[index], shapes: shapes, model: model, names: names,
        options: options)
    }
    var conflictCounts: [String: Int] = [:]
    for index in objects.indices where objects[index].status == .accepted || options.includeRejected {
      for conflict in objects[index].conflicts { conflictCounts[conflict, default: 0] += 1 }
    }

    // 8. The report, from the clusters.
    let report = Reporter(
      names: names, shapes: shapes, clusters: clusters, objects: objects, model: model,
      options: options, useWeighted: useWeighted,
      submitted: submissions.map { $0.features.count + $0.invalid.count },
      invalid: invalidCount, ignored: ignored, invalidEntries: invalid, crs: crs, assigned: asked.total
    ).report(conflicts: conflictCounts)

    clock.lap("objects and report")

    // 9. Back to WGS84, in a deterministic order.
    // Positions are sorted, not the objects: the same comparisons give the same order without
    // moving large values around.
    let keys = objects.indices.map { (box: clusters[$0].merged.envelope, label: objects[$0].label ?? "") }
    let kept = objects.indices.filter { options.includeRejected || objects[$0].status == .accepted }
      .sorted { a, b in
        (keys[a].box.minY, keys[a].box.minX, keys[a].box.maxY, keys[a].box.maxX, keys[a].label)
          < (keys[b].box.minY, keys[b].box.minX, keys[b].box.maxY, keys[b].box.maxX, keys[b].label)
      }
    let wgs84 = try crs.toWGS84(kept.map { objects[$0].geometry }, shift: frame.origin)
    // Rounded here, not only when written: rounding can fold a hairline notch into a spike.
    let output = try Parallel.map(kept.indices) { position in
      var object = objects[kept[position]]
      object.geometry = Planar.oriented(
        try Topology.rounded(wgs84[position], decimals: options.outputDecimals))
      return object
    }
    clock.lap("back to WGS84")
    return ConsensusResult(objects: output, report: report, timings: clock.timings)
  }

  /// A cluster's object: the vote's outcome, the winning label, and the disagreements.
  private static func object(
    for cluster: Cluster, confidence: Double?, shapes: [WorkShape], model: DawidSkene?, names: [String],
    options: ConsensusOptions
  ) -> ConsensusObject {
    let support = cluster.members.count
    let accepted: Bool
    if let confidence {
      accepted = confidence >= options.minConfidence
    } else {
      accepted = support >= options.quorum.required(of: cluster.assignedCount)
    }
    var votes: [String: Int] = [:]
    var weights: [String: Double] = [:]
    for member in cluster.members {
      let label = shapes[member].label ?? ""
      votes[label, default: 0] += 1
      weights[label, default: 0] += model?.reliability(shapes[member].annotator) ?? 1
    }
    var conflicts = cluster.conflicts
    let ranked = weights.sorted { ($0.value, votes[$0.key]!, $1.key) > ($1.value, votes[$1.key]!, $0.key) }
    if votes.count > 1 { conflicts.append("label") }
    if ranked.count > 1, abs(ranked[0].value - ranked[1].value) < 1e-9 { conflicts.append("label_tie") }
    let iouMean = cluster.memberIoU.reduce(0, +) / Double(max(1, cluster.memberIoU.count))
    if iouMean < (1 + options.iou) / 2 { conflicts.append("low_overlap") }
    conflicts.sort()
    let winner = ranked.first?.key ?? ""
    return ConsensusObject(
      geometry: cluster.merged.geometry, label: winner.isEmpty && votes[""] != nil ? nil : winner,
      shape: cluster.kind, support: support, assigned: cluster.assignedCount, iouMean: iouMean,
      score: Double(support) / Double(max(1, cluster.assignedCount)) * iouMean, confidence: confidence,
      annotators: cluster.members.map { names[shapes[$0].annotator] }.sorted(),
      votes: Dictionary(uniqueKeysWithValues: votes.map { ($0.key.isEmpty ? "(none)" : $0.key, $0.value) }),
      status: accepted ? .accepted : .rejected, conflicts: conflicts)
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

/// Why a shape cannot take part after projection.
struct ShapeProblem: Error {
  var reason: String
  init(_ reason: String) { self.reason = reason }
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
