import Foundation
import SwathConsensus
import SwathGeometry
import SwathSimulation

/// `swath simulate-review`: the review-effort curve of a consensus layer against its truth. The
/// objects get their review states by the workflow's rules (`Review.state`), the `needs_review`
/// ones are reviewed in the order the review queue leases them (`Review.queueOrder`, least
/// certain first), and a simulated reviewer decides each correctly with a given probability:
/// accepts an object the optimal matching pairs with a truth object (IoU ≥ 0.5), rejects any
/// other; a wrong decision is the opposite. After every `every` reviewed objects the final
/// layer (the `auto_accepted` objects and those the reviewer accepted) is scored against the
/// truth. With `undecided: .consensus` the `needs_review` objects not reviewed yet are in it too
/// when their consensus status is `accepted`, as in the workflow's exported final layer.
public enum ReviewSimulation {
  /// What the final layer does with the `needs_review` objects not reviewed yet.
  public enum Undecided: String, Sendable, CaseIterable {
    /// Left out: the final layer is the auto_accepted and the reviewer-accepted objects.
    case dropped
    /// Kept when their consensus status is `accepted` (the workflow's `Review.finalLayer`).
    case consensus
  }

  /// One object of a consensus layer, as the review state needs it.
  public struct Object: Sendable {
    public var geometry: MultiPolygon
    public var confidence: Double
    public var status: String
    public var conflicts: [String]

    public init(
      geometry: MultiPolygon, confidence: Double, status: String = "accepted", conflicts: [String] = []
    ) {
      self.geometry = geometry
      self.confidence = confidence
      self.status = status
      self.conflicts = conflicts
    }

    /// From a consensus layer's feature properties, read as the workflow reads a run's objects.
    public init(geometry: MultiPolygon, properties: [String: JSONValue]) {
      let (confidence, status, conflicts) = Review.stateInputs(properties)
      self.init(geometry: geometry, confidence: confidence, status: status, conflicts: conflicts)
    }
  }

  /// The final layer after `reviewed` objects of the queue were decided.
  public struct Point: Sendable, Hashable {
    public var reviewed: Int
    /// `reviewed` as a share of all the objects of the layer.
    public var share: Double
    /// Decisions so far that were wrong.
    public var wrong: Int
    public var score: LayerScore
  }

  public struct Outcome: Sendable {
    public var objects: Int
    public var truth: Int
    public var states: [Review.State]
    /// Whether each object is matched to a truth object (optimal matching of the whole layer).
    public var isTrue: [Bool]
    /// The `needs_review` objects in the order they were reviewed.
    public var order: [Int]
    public var points: [Point]
    /// Every `needs_review` object decided correctly: the `auto_accepted` objects and the true
    /// `needs_review` ones.
    public var ceiling: LayerScore

    public func count(_ state: Review.State, true wanted: Bool? = nil) -> Int {
      states.indices.filter { states[$0] == state && (wanted == nil || isTrue[$0] == wanted) }.count
    }

    /// The first point whose F1 is at least `f1`.
    public func firstReaching(_ f1: Double) -> Point? { points.first { $0.score.f1 >= f1 } }
  }

  public static func run(
    _ objects: [Object], truth: [MultiPolygon], thresholds: Review.Thresholds = .defaults, accuracy: Double,
    seed: UInt64, every: Int, undecided: Undecided = .dropped, iou: Double = 0.5
  ) throws -> Outcome {
    guard (0...1).contains(accuracy) else {
      throw WorkflowError("the reviewer's accuracy must lie in 0...1, found \(accuracy)")
    }
    guard every > 0 else { throw WorkflowError("--every must be at least 1, found \(every)") }
    let geometries = objects.map(\.geometry)
    let all = geometries + truth
    let crs = all.isEmpty ? nil : try WorkingCRS.forData(all)
    let isTrue = try LayerScore.matching(geometries, against: truth, iou: iou, crs: crs).map { $0 != nil }
    let states = objects.map {
      Review.state(confidence: $0.confidence, status: $0.status, conflicts: $0.conflicts, thresholds)
    }
    let order = Review.queueOrder(states: states, confidences: objects.map(\.confidence))
    var random = SeededRandom(seed: seed)
    let accepts = order.map { index in random.chance(accuracy) == isTrue[index] }
    let base = states.indices.filter { states[$0] == .autoAccepted }
    func score(_ indices: [Int]) throws -> LayerScore {
      try LayerScore.compare(indices.map { geometries[$0] }, against: truth, iou: iou, crs: crs)
    }
    var checkpoints = Array(stride(from: 0, to: order.count, by: every))
    checkpoints.append(order.count)
    var points: [Point] = []
    for reviewed in checkpoints {
      var accepted = order.indices.prefix(reviewed).filter { accepts[$0] }.map { order[$0] }
      if undecided == .consensus {
        accepted += order.dropFirst(reviewed).filter { objects[$0].status == "accepted" }
      }
      let wrong = order.indices.prefix(reviewed).filter { accepts[$0] != isTrue[order[$0]] }.count
      points.append(
        Point(
          reviewed: reviewed, share: objects.isEmpty ? 0 : Double(reviewed) / Double(objects.count),
          wrong: wrong, score: try score(base + accepted)))
    }
    return Outcome(
      objects: objects.count, truth: truth.count, states: states, isTrue: isTrue, order: order,
      points: points, ceiling: try score(base + order.filter { isTrue[$0] }))
  }

  /// Runs on files: a consensus layer as `swath merge --include-rejected --out` writes it, and
  /// the truth, both GeoJSON FeatureCollections in lon/lat.
  public static func run(
    layer: String, truth: String, thresholds: Review.Thresholds = .defaults, accuracy: Double, seed: UInt64,
    every: Int, undecided: Undecided = .dropped, iou: Double = 0.5
  ) throws -> Outcome {
    let objects = try features(layer).map { Object(geometry: $0.geometry, properties: $0.properties) }
    return try run(
      objects, truth: try features(truth).map(\.geometry), thresholds: thresholds, accuracy: accuracy,
      seed: seed, every: every, undecided: undecided, iou: iou)
  }

  static func features(_ path: String) throws -> [(geometry: MultiPolygon, properties: [String: JSONValue])] {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path))
    } catch {
      throw WorkflowError("cannot read \(path): \(error.localizedDescription)", kind: .notFound)
    }
    guard let collection = try? JSONValue(parsing: data), let features = collection["features"]?.arrayValue
    else {
      throw WorkflowError("\(path) is not a GeoJSON FeatureCollection")
    }
    return try features.enumerated().map { index, feature in
      guard let geometry = feature["geometry"].flatMap(GeoJSONGeometry.multiPolygon) else {
        throw WorkflowError("\(path): features[\(index)] has no polygonal geometry")
      }
      return (geometry, feature["properties"]?.objectValue ?? [:])
    }
  }
}
