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
/// when their consensus status is `accepted`, as in the workflow's exported final layer. With
/// `Fixes` the reviewer also replaces poor shapes of missed true objects and adds missed objects
/// near each reviewed one (README, "Review effort"), each one more object reviewed.
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
    /// Geometries replaced with the true shape so far (`Fixes.geometry`).
    public var replaced: Int = 0
    /// Objects added so far (`Fixes.addWithin`), right or wrong.
    public var added: Int = 0
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

  /// What the simulated reviewer does beyond accepting and rejecting, each a decision the
  /// workflow takes (`swath review decide … geometry`, `swath review add`) and counts as one
  /// object reviewed.
  public struct Fixes: Sendable, Hashable {
    /// Replace the geometry of a false object that overlaps a missed true object (one no object
    /// outside `auto_rejected` matches at the IoU threshold) with that object's shape: right with
    /// the reviewer's accuracy, else the object is kept as drawn.
    public var geometry: Bool
    /// After each object, add the missed true objects whose bounding boxes meet the object's box
    /// grown on every side by this many times its larger side (0: boxes that meet it); nil: add
    /// nothing. Each add is right with the reviewer's accuracy, else the shape is drawn one width
    /// off (a false object, and the true one stays missed).
    public var addWithin: Double?

    public static let none = Fixes(geometry: false, addWithin: nil)

    public init(geometry: Bool, addWithin: Double?) {
      self.geometry = geometry
      self.addWithin = addWithin
    }
  }

  public static func run(
    _ objects: [Object], truth: [MultiPolygon], thresholds: Review.Thresholds = .defaults, accuracy: Double,
    seed: UInt64, every: Int, undecided: Undecided = .dropped, iou: Double = 0.5, fixes: Fixes = .none
  ) throws -> Outcome {
    guard (0...1).contains(accuracy) else {
      throw WorkflowError("the reviewer's accuracy must lie in 0...1, found \(accuracy)")
    }
    guard every > 0 else { throw WorkflowError("--every must be at least 1, found \(every)") }
    if let within = fixes.addWithin, !(within >= 0) {
      throw WorkflowError("the neighbourhood to add missed objects in must be 0 or more, found \(within)")
    }
    let geometries = objects.map(\.geometry)
    let all = geometries + truth
    let crs = all.isEmpty ? nil : try WorkingCRS.forData(all)
    let matching = try LayerScore.matching(geometries, against: truth, iou: iou, crs: crs)
    let isTrue = matching.map { $0 != nil }
    let states = objects.map {
      Review.state(confidence: $0.confidence, status: $0.status, conflicts: $0.conflicts, thresholds)
    }
    let order = Review.queueOrder(states: states, confidences: objects.map(\.confidence))
    // The true objects the final layer can hold without a fix: matched by an object a reviewer
    // sees or that is accepted unseen. The others are missed: never drawn well enough, or only by
    // objects rejected unseen.
    var missed = Set(truth.indices)
    for (index, match) in matching.enumerated() where states[index] != .autoRejected {
      if let match { missed.remove(match.reference) }
    }
    let truthIndex = SpatialIndex(
      truth.map { $0.envelope ?? BoundingBox(minX: 0, minY: 0, maxX: 0, maxY: 0) })
    var claimed: Set<Int> = []
    var random = SeededRandom(seed: seed)
    let base = states.indices.filter { states[$0] == .autoAccepted }
    func score(_ layer: [MultiPolygon]) throws -> LayerScore {
      try LayerScore.compare(layer, against: truth, iou: iou, crs: crs)
    }
    // Each reviewed object's shape in the final layer (nil: rejected), and the objects added.
    var decided: [MultiPolygon?] = []
    var added: [MultiPolygon] = []
    var reviewed = 0
    var wrong = 0
    var replacedCount = 0
    var points: [Point] = []
    func record(_ step: Int) throws {
      var layer = base.map { geometries[$0] } + decided.compactMap { $0 } + added
      if undecided == .consensus {
        layer += order.dropFirst(step).filter { objects[$0].status == "accepted" }.map { geometries[$0] }
      }
      points.append(
        Point(
          reviewed: reviewed, share: objects.isEmpty ? 0 : Double(reviewed) / Double(objects.count),
          wrong: wrong, score: try score(layer), replaced: replacedCount, added: added.count))
    }
    try record(0)
    var next = every
    for (step, index) in order.enumerated() {
      let right = random.chance(accuracy)
      reviewed += 1
      if !right { wrong += 1 }
      if isTrue[index] {
        decided.append(right ? geometries[index] : nil)
      } else if fixes.geometry,
        let target = try overlappedMissed(geometries[index], truth, truthIndex, missed, claimed)
      {
        claimed.insert(target)
        if right { replacedCount += 1 }
        decided.append(right ? truth[target] : geometries[index])
      } else {
        decided.append(right ? nil : geometries[index])
      }
      if let within = fixes.addWithin, let box = geometries[index].envelope {
        let margin = within * max(box.maxX - box.minX, box.maxY - box.minY)
        let around = BoundingBox(
          minX: box.minX - margin, minY: box.minY - margin, maxX: box.maxX + margin, maxY: box.maxY + margin)
        for target in truthIndex.query(around).sorted()
        where missed.contains(target) && !claimed.contains(target) {
          claimed.insert(target)
          reviewed += 1
          if random.chance(accuracy) {
            added.append(truth[target])
          } else {
            wrong += 1
            let width = truth[target].envelope.map { $0.maxX - $0.minX } ?? 0
            added.append(truth[target].mapPoints { SwathGeometry.Point($0.x + width, $0.y) })
          }
        }
      }
      if reviewed >= next || step == order.count - 1 {
        try record(step + 1)
        next = (reviewed / every + 1) * every
      }
    }
    return Outcome(
      objects: objects.count, truth: truth.count, states: states, isTrue: isTrue, order: order,
      points: points, ceiling: try score((base + order.filter { isTrue[$0] }).map { geometries[$0] }))
  }

  /// The missed true object, not claimed yet, that `shape` overlaps most (by IoU), if any.
  static func overlappedMissed(
    _ shape: MultiPolygon, _ truth: [MultiPolygon], _ index: SpatialIndex, _ missed: Set<Int>,
    _ claimed: Set<Int>
  ) throws -> Int? {
    guard let box = shape.envelope else { return nil }
    var best: (index: Int, iou: Double)?
    for candidate in index.query(box).sorted()
    where missed.contains(candidate) && !claimed.contains(candidate) {
      let value = try IoU.polygons(shape, truth[candidate])
      if value > 0, value > best?.iou ?? 0 { best = (candidate, value) }
    }
    return best?.index
  }

  /// Runs on files: a consensus layer as `swath merge --include-rejected --out` writes it, and
  /// the truth, both GeoJSON FeatureCollections in lon/lat.
  public static func run(
    layer: String, truth: String, thresholds: Review.Thresholds = .defaults, accuracy: Double, seed: UInt64,
    every: Int, undecided: Undecided = .dropped, iou: Double = 0.5, fixes: Fixes = .none
  ) throws -> Outcome {
    let objects = try features(layer).map { Object(geometry: $0.geometry, properties: $0.properties) }
    return try run(
      objects, truth: try features(truth).map(\.geometry), thresholds: thresholds, accuracy: accuracy,
      seed: seed, every: every, undecided: undecided, iou: iou, fixes: fixes)
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
