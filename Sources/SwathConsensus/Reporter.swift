import Foundation
import SwathGeometry

/// Scores every annotator against the consensus and against each other.
struct Reporter {
  let names: [String]
  let shapes: [WorkShape]
  let clusters: [Cluster]
  let objects: [ConsensusObject]
  let model: DawidSkene?
  let voter: AttributeVoter?
  let options: ConsensusOptions
  let useWeighted: Bool
  let submitted: [Int]
  let invalid: [Int]
  let ignored: [Int]
  let invalidEntries: [AnnotatorReport.InvalidEntry]
  let crs: WorkingCRS
  let assigned: Int
  let gold: LocalGold?

  func report(conflicts: [String: Int]) -> AnnotatorReport {
    let count = names.count
    var shapesOf = [Int](repeating: 0, count: count)
    var stitched = [Int](repeating: 0, count: count)
    // By index, here and below: iterating copies each shape or cluster, with all its references.
    for index in shapes.indices {
      shapesOf[shapes[index].annotator] += 1
      stitched[shapes[index].annotator] += shapes[index].sources.count - 1
    }
    var matched = [Int](repeating: 0, count: count)
    var missed = [Int](repeating: 0, count: count)
    var iouSum = [Double](repeating: 0, count: count)
    // Pairs of annotators in one cluster: their shapes match through the consensus shape.
    var together = [[Int]](repeating: [Int](repeating: 0, count: count), count: count)
    var drew = [Bool](repeating: false, count: count)
    for index in clusters.indices {
      let members = clusters[index].members
      for (i, first) in members.enumerated() {
        let a = shapes[first].annotator
        for second in members[(i + 1)...] {
          let b = shapes[second].annotator
          together[a][b] += 1
          together[b][a] += 1
        }
      }
      guard objects[index].status == .accepted else { continue }
      for (member, iou) in zip(members, clusters[index].memberIoU) {
        matched[shapes[member].annotator] += 1
        iouSum[shapes[member].annotator] += iou
      }
      for member in members { drew[shapes[member].annotator] = true }
      for annotator in clusters[index].asked where !drew[annotator] { missed[annotator] += 1 }
      for member in members { drew[shapes[member].annotator] = false }
    }
    var annotators = (0..<count).map { a -> AnnotatorReport.Annotator in
      let extra = shapesOf[a] - matched[a]
      let precision = shapesOf[a] > 0 ? Double(matched[a]) / Double(shapesOf[a]) : nil
      let recall = matched[a] + missed[a] > 0 ? Double(matched[a]) / Double(matched[a] + missed[a]) : nil
      let denominator = 2 * matched[a] + extra + missed[a]
      return AnnotatorReport.Annotator(
        annotator: names[a], submitted: submitted[a], invalid: invalid[a], ignored: ignored[a],
        shapes: shapesOf[a], stitched: stitched[a], matched: matched[a], missed: missed[a], extra: extra,
        precision: precision.map(Self.rounded), recall: recall.map(Self.rounded),
        f1: denominator > 0 ? Self.rounded(Double(2 * matched[a]) / Double(denominator)) : nil,
        meanIoU: matched[a] > 0 ? Self.rounded(iouSum[a] / Double(matched[a])) : nil,
        sensitivity: model.map { Self.rounded($0.sensitivity[a]) },
        falsePositiveRate: model.map { Self.rounded($0.falsePositiveRate[a]) },
        estimatedFrom: model.map { $0.fromGold[a] ? "gold" : "agreement" })
    }
    if gold != nil {
      var goldAsked = [Int](repeating: 0, count: count)
      for index in clusters.indices {
        guard case .object? = clusters[index].gold else { continue }
        for annotator in clusters[index].asked { goldAsked[annotator] += 1 }
      }
      for a in annotators.indices { annotators[a].goldObjects = goldAsked[a] }
    }
    let attributes = attributeScores()
    for a in annotators.indices where voter != nil {
      annotators[a].attributeValues = attributes.given[a]
      annotators[a].attributeAgreement =
        attributes.given[a] > 0
        ? Self.rounded(Double(attributes.agreeing[a]) / Double(attributes.given[a])) : nil
    }
    var matrix = [[Double]](repeating: [Double](repeating: 1, count: count), count: count)
    var offDiagonal: [Double] = []
    for a in 0..<count {
      for b in 0..<count where b != a {
        let total = shapesOf[a] + shapesOf[b]
        // Two empty answers agree completely.
        matrix[a][b] = total > 0 ? Self.rounded(Double(2 * together[a][b]) / Double(total)) : 1
        if b > a { offDiagonal.append(matrix[a][b]) }
      }
    }
    let accepted = objects.indices.filter { objects[$0].status == .accepted }.count
    let rule = options.quorum.description
    return AnnotatorReport(
      method: options.method, methodUsed: useWeighted ? .weighted : .majority,
      iouThreshold: options.iouThreshold.value,
      minConfidence: useWeighted ? options.minConfidence : nil, annotatorCount: count, assigned: assigned,
      quorum: .init(rule: rule, required: options.quorum.required(of: assigned)),
      workingCRS: crs.epsg.map { "EPSG:\($0)" } ?? "custom", clusters: clusters.count, accepted: accepted,
      rejected: clusters.count - accepted, conflicts: conflicts, annotators: annotators,
      agreement: .init(
        annotators: names, matrix: matrix,
        overall: offDiagonal.isEmpty
          ? nil : Self.rounded(offDiagonal.reduce(0, +) / Double(offDiagonal.count))),
      invalidFeatures: invalidEntries.sorted { ($0.annotator, $0.index) < ($1.annotator, $1.index) },
      attributeAgreement: voter == nil ? nil : attributes.perAttribute, gold: goldSummary())
  }

  /// The gold objects, how many were drawn, and the shapes inside the area that matched none.
  private func goldSummary() -> AnnotatorReport.Gold? {
    guard let gold else { return nil }
    var drawn = 0
    var falseShapes = 0
    for index in clusters.indices {
      switch clusters[index].gold {
      case .object?: if !clusters[index].members.isEmpty { drawn += 1 }
      case .falseShape?: falseShapes += 1
      case nil: continue
      }
    }
    return AnnotatorReport.Gold(
      objects: gold.objects.count, outsideArea: gold.outside, drawn: drawn, falseShapes: falseShapes)
  }

  /// Each member's attribute values on the accepted objects against the voted ones: per
  /// annotator, how many they gave and how many equal the consensus; per attribute of the
  /// schema, the same over everyone.
  private func attributeScores() -> (
    given: [Int], agreeing: [Int], perAttribute: [String: AnnotatorReport.AttributeAgreement]
  ) {
    var given = [Int](repeating: 0, count: names.count)
    var agreeing = [Int](repeating: 0, count: names.count)
    guard let voter else { return (given, agreeing, [:]) }
    var tally = voter.schema.attributesByName.mapValues { _ in (objects: 0, values: 0, agreeing: 0) }
    for index in clusters.indices where objects[index].status == .accepted {
      let object = objects[index]
      guard let label = object.label, let definition = voter.schema.label(named: label) else { continue }
      for name in object.attributes.keys { tally[name, default: (0, 0, 0)].objects += 1 }
      for member in clusters[index].members {
        let annotator = shapes[member].annotator
        for (name, value) in voter.ballot(shapes[member], label: definition) {
          guard let consensus = object.attributes[name] else { continue }
          let agrees = AttributeVoter.same(value, consensus)
          given[annotator] += 1
          tally[name, default: (0, 0, 0)].values += 1
          if agrees {
            agreeing[annotator] += 1
            tally[name, default: (0, 0, 0)].agreeing += 1
          }
        }
      }
    }
    let perAttribute = tally.mapValues { entry in
      AnnotatorReport.AttributeAgreement(
        objects: entry.objects, values: entry.values,
        agreement: entry.values > 0 ? Self.rounded(Double(entry.agreeing) / Double(entry.values)) : nil)
    }
    return (given, agreeing, perAttribute)
  }

  static func rounded(_ value: Double) -> Double { (value * 1e6).rounded() / 1e6 }
}
