import Foundation
import SwathGeometry
import SwathSupport

/// Several annotators' shapes in, one trusted layer and a report on the annotators out.
///
/// Steps: project to a metric working CRS about a local origin; join each annotator's pieces of
/// one object; group shapes that may be one object (spatial index, connected components); inside
/// each group, assign every annotator's shapes optimally to the current consensus shapes and
/// re-merge until stable; vote (majority or Dawid–Skene); merge labels, attributes (with a label
/// schema) and geometry; project back.
/// Nothing depends on the order of the submissions or of the features in them.
public enum ConsensusEngine {
  public static func run(_ submissions: [Submission], options: ConsensusOptions) throws -> ConsensusResult {
    try check(submissions, options)
    var clock = PhaseClock()
    let submissions = submissions.sorted { $0.annotator < $1.annotator }
    let names = submissions.map(\.annotator)

    var intake = takePart(submissions, labels: options.labels)
    let crs = try workingCRS(for: intake.taking, options: options)
    let projected = try crs.fromWGS84(intake.taking.map(\.feature.geometry))
    let frame = LocalFrame(projected)
    clock.lap("project")

    var shapes = checkInWorkingCRS(projected, frame: frame, names: names, intake: &intake)
    clock.lap("check in working CRS")

    let chips = try localChips(options.chips ?? [], crs: crs, frame: frame)
    shapes = try stitch(shapes, chips: chips, annotators: submissions.count, options: options)
    clock.lap("stitch")

    let gold = try options.gold.map { try LocalGold($0, crs: crs, frame: frame, chips: chips) }
    let inGold = gold.map { gold in shapes.map { gold.covers($0.measured.envelope.center) } } ?? []
    if let gold, gold.objects.isEmpty, !inGold.contains(true) {
      throw ConsensusError("the gold area covers none of the gold objects and none of the annotators' shapes")
    }
    var clusters = try cluster(shapes, skip: inGold, options: options)
    if let gold {
      let inside = inGold.indices.filter { inGold[$0] }
      clusters += try gold.clusters(shapes, inside: inside, threshold: options.iouThreshold.value)
    }
    clock.lap("cluster")

    let asked = Asked(submissions: submissions, chips: chips, assigned: options.assigned)
    markAsked(&clusters, asked: asked, shapes: shapes)
    // Gold identifies the model with any number of annotators; agreement alone needs three.
    let useWeighted = options.method == .weighted && (submissions.count >= 3 || gold != nil)
    let model = useWeighted ? dawidSkene(clusters, shapes: shapes, annotators: submissions.count) : nil
    clock.lap("who was asked, the vote")

    let voter = AttributeVoter(schema: options.schema, submissions: submissions)
    var objects = decide(clusters, model: model, voter: voter, shapes: shapes, names: names, options: options)
    if let gold { settle(&objects, clusters: clusters, gold: gold, schema: options.schema) }
    let report = Reporter(
      names: names, shapes: shapes, clusters: clusters, objects: objects, model: model, voter: voter,
      options: options, useWeighted: useWeighted,
      submitted: submissions.map { $0.features.count + $0.invalid.count },
      invalid: intake.invalidCount, ignored: intake.ignored, invalidEntries: intake.invalid, crs: crs,
      assigned: asked.total, gold: gold
    ).report(conflicts: conflictCounts(objects, options: options))
    clock.lap("objects and report")

    let output = try backToWGS84(objects, clusters: clusters, crs: crs, frame: frame, options: options)
    clock.lap("back to WGS84")
    return ConsensusResult(objects: output, report: report, timings: clock.timings)
  }

  // MARK: the steps, in order

  /// The features that take part, and what was left out so far.
  struct Intake {
    var taking: [(annotator: Int, index: Int, feature: LabelFeature)] = []
    /// Features invalid on reading, then those unusable in the working CRS.
    var invalid: [AnnotatorReport.InvalidEntry] = []
    /// Per annotator: how many features were invalid.
    var invalidCount: [Int]
    /// Per annotator: how many features carried a label outside `labels`.
    var ignored: [Int]
  }

  /// 1. Every valid feature with a wanted label takes part; invalid ones are listed.
  private static func takePart(_ submissions: [Submission], labels: Set<String>?) -> Intake {
    var intake = Intake(
      invalidCount: submissions.map(\.invalid.count),
      ignored: [Int](repeating: 0, count: submissions.count))
    for (annotator, submission) in submissions.enumerated() {
      for entry in submission.invalid {
        intake.invalid.append(
          .init(annotator: submission.annotator, index: entry.index, id: entry.id, reasons: entry.reasons))
      }
      for (index, feature) in submission.features.enumerated() {
        if let labels, !labels.contains(feature.label ?? "") {
          intake.ignored[annotator] += 1
          continue
        }
        intake.taking.append((annotator, index, feature))
      }
    }
    return intake
  }

  /// 2. The working CRS: the one asked for, else the UTM zone of the data (or of the chips),
  /// else Web Mercator.
  private static func workingCRS(
    for taking: [(annotator: Int, index: Int, feature: LabelFeature)], options: ConsensusOptions
  ) throws -> WorkingCRS {
    if let given = options.workingCRS {
      return given
    } else if !taking.isEmpty {
      return try WorkingCRS.forData(taking.map(\.feature.geometry))
    } else if let chip = options.chips?.first {
      return try WorkingCRS.forData([chip.footprint])
    } else {
      return try WorkingCRS(epsg: 3857)
    }
  }

  /// 3. Shapes in canonical order. Validity is checked again after projecting (a shape valid in
  /// WGS84 can fold over itself); shapes unusable after projection are reported, not dropped.
  private static func checkInWorkingCRS(
    _ projected: [MultiPolygon], frame: LocalFrame, names: [String], intake: inout Intake
  ) -> [WorkShape] {
    var shapes: [WorkShape] = []
    shapes.reserveCapacity(intake.taking.count)
    let checked = Parallel.map(projected.indices) { index -> Result<Measured, ShapeProblem> in
      let geometry = frame.toLocal(projected[index])
      let check = Topology.validity(geometry)
      if !check.isValid {
        return .failure(ShapeProblem("invalid in the working CRS: \(check.reason ?? "unknown reason")"))
      }
      let measured = Measured(geometry)
      return measured.area > 0 ? .success(measured) : .failure(ShapeProblem("zero area"))
    }
    for (position, item) in intake.taking.enumerated() {
      switch checked[position] {
      case .failure(let problem):
        intake.invalid.append(
          .init(
            annotator: names[item.annotator], index: item.index, id: item.feature.id,
            reasons: [problem.reason]))
        intake.invalidCount[item.annotator] += 1
      case .success(let measured):
        shapes.append(
          WorkShape(
            annotator: item.annotator, label: item.feature.label, kind: item.feature.shape,
            measured: measured, sources: [item.index]))
      }
    }
    return WorkShape.canonicallyOrdered(shapes)
  }

  /// The chip footprints in the local frame.
  private static func localChips(_ chips: [ChipFootprint], crs: WorkingCRS, frame: LocalFrame) throws
    -> [LocalChip]
  {
    let footprints = try crs.fromWGS84(chips.map(\.footprint))
    return zip(chips, footprints).map { chip, footprint in
      LocalChip(id: chip.id, footprint: frame.toLocal(footprint), annotators: chip.annotators)
    }
  }

  /// 4. Each annotator's pieces of one object joined.
  private static func stitch(
    _ shapes: [WorkShape], chips: [LocalChip], annotators: Int, options: ConsensusOptions
  ) throws -> [WorkShape] {
    let stitcher = try Stitcher(chips: chips, tolerance: options.seamTolerance)
    return try stitcher.stitch(shapes, annotators: annotators)
  }

  /// 5. Groups of shapes that may be one object, clustered independently and in parallel.
  private static func cluster(_ shapes: [WorkShape], skip: [Bool], options: ConsensusOptions) throws
    -> [Cluster]
  {
    let components = Components.of(shapes, floor: min(0.1, options.iouThreshold.value / 2), skip: skip)
    let clusterer = Clusterer(shapes: shapes, options: options)
    let perComponent = try Parallel.map(components.indices) { try clusterer.clusters(of: components[$0]) }
    return perComponent.flatMap { $0 }
  }

  /// 6a. Who was asked where each cluster lies; someone who drew it was evidently asked.
  private static func markAsked(_ clusters: inout [Cluster], asked: Asked, shapes: [WorkShape]) {
    for index in clusters.indices {
      let here = asked.at(clusters[index].merged.envelope.center)
      clusters[index].asked = here.annotators
      clusters[index].assignedCount = here.count
      for member in clusters[index].members {
        let annotator = shapes[member].annotator
        if !clusters[index].asked.contains(annotator) {
          clusters[index].asked.append(annotator)
          clusters[index].assignedCount += 1
        }
      }
      clusters[index].asked.sort()
    }
  }

  /// 6b. The weighted vote: Dawid–Skene over who was asked and who drew each cluster.
  private static func dawidSkene(_ clusters: [Cluster], shapes: [WorkShape], annotators: Int) -> DawidSkene {
    var observations = DawidSkene.Observations(annotatorCount: annotators)
    observations.reserveCapacity(
      clusters: clusters.count, observations: clusters.reduce(0) { $0 + $1.asked.count })
    var drew = [Bool](repeating: false, count: annotators)
    for cluster in clusters {
      for member in cluster.members { drew[shapes[member].annotator] = true }
      let known: Double? =
        switch cluster.gold {
        case .object?: 1
        case .falseShape?: 0
        case nil: nil
        }
      observations.appendCluster(cluster.asked.lazy.map { ($0, drew[$0]) }, known: known)
      for member in cluster.members { drew[shapes[member].annotator] = false }
    }
    return DawidSkene(observations)
  }

  /// 7. Objects, each from its own cluster (so in parallel).
  private static func decide(
    _ clusters: [Cluster], model: DawidSkene?, voter: AttributeVoter?, shapes: [WorkShape], names: [String],
    options: ConsensusOptions
  ) -> [ConsensusObject] {
    Parallel.map(clusters.indices) { index in
      object(
        for: clusters[index], confidence: model?.posterior[index], shapes: shapes, model: model,
        voter: voter, names: names, options: options)
    }
  }

  /// 7b. Inside the gold area the gold objects are the output, as they are, and every shape that
  /// matched none is rejected.
  private static func settle(
    _ objects: inout [ConsensusObject], clusters: [Cluster], gold: LocalGold, schema: LabelSchema?
  ) {
    for index in clusters.indices {
      switch clusters[index].gold {
      case .object(let position)?:
        let feature = gold.objects[position].feature
        objects[index].label = feature.label
        objects[index].shape = feature.shape
        objects[index].attributes = gold.attributes(of: position, schema: schema)
        objects[index].status = .accepted
        objects[index].confidence = objects[index].confidence.map { _ in 1 }
        objects[index].conflicts = []
        objects[index].gold = true
      case .falseShape?:
        objects[index].status = .rejected
        objects[index].confidence = objects[index].confidence.map { _ in 0 }
      case nil:
        continue
      }
    }
  }

  /// 8. How often each conflict occurs among the objects output, counted in cluster order.
  private static func conflictCounts(_ objects: [ConsensusObject], options: ConsensusOptions) -> [String: Int]
  {
    var counts: [String: Int] = [:]
    for index in objects.indices where objects[index].status == .accepted || options.includeRejected {
      for conflict in objects[index].conflicts { counts[conflict, default: 0] += 1 }
    }
    return counts
  }

  /// 9. The objects output, back in WGS84, in a deterministic order, rounded and oriented.
  private static func backToWGS84(
    _ objects: [ConsensusObject], clusters: [Cluster], crs: WorkingCRS, frame: LocalFrame,
    options: ConsensusOptions
  ) throws -> [ConsensusObject] {
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
    return try Parallel.map(kept.indices) { position in
      var object = objects[kept[position]]
      object.geometry = Planar.oriented(
        try Topology.rounded(wgs84[position], decimals: options.outputDecimals))
      return object
    }
  }

  /// A cluster's object: the vote's outcome, the winning label and its attributes, and the
  /// disagreements.
  private static func object(
    for cluster: Cluster, confidence: Double?, shapes: [WorkShape], model: DawidSkene?,
    voter: AttributeVoter?, names: [String], options: ConsensusOptions
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
    if iouMean < (1 + options.iouThreshold.value) / 2 { conflicts.append("low_overlap") }
    let winner = ranked.first?.key ?? ""
    let label = winner.isEmpty && votes[""] != nil ? nil : winner
    // Attributes weigh each ballot as the label vote does.
    let voted = voter?.vote(
      members: cluster.members, shapes: shapes, label: label, weight: { model?.reliability($0) ?? 1 })
    conflicts += voted?.conflicts ?? []
    conflicts.sort()
    return ConsensusObject(
      geometry: cluster.merged.geometry, label: label,
      shape: cluster.kind, support: support, assigned: cluster.assignedCount, iouMean: iouMean,
      score: Double(support) / Double(max(1, cluster.assignedCount)) * iouMean, confidence: confidence,
      annotators: cluster.members.map { names[shapes[$0].annotator] }.sorted(),
      votes: Dictionary(uniqueKeysWithValues: votes.map { ($0.key.isEmpty ? "(none)" : $0.key, $0.value) }),
      status: accepted ? .accepted : .rejected, conflicts: conflicts, attributes: voted?.attributes ?? [:])
  }

  /// Options and submissions the engine cannot work with.
  private static func check(_ submissions: [Submission], _ options: ConsensusOptions) throws {
    // IoUThreshold and Quorum check their own ranges when they are made.
    guard options.minConfidence >= 0, options.minConfidence <= 1 else {
      throw ConsensusError("the minimum confidence must be in [0, 1], got \(options.minConfidence)")
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
        "the number of annotators assigned, \(assigned), is fewer than the \(submissions.count) submissions received"
      )
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
