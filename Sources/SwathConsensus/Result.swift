import Foundation
import SwathGeometry

/// One merged object: the consensus shape (WGS84) and how it was reached.
public struct ConsensusObject: Sendable, Hashable {
  public enum Status: String, Sendable, Codable { case accepted, rejected }

  public var geometry: MultiPolygon
  public var label: String?
  public var shape: ShapeKind
  /// How many annotators drew it.
  public var support: Int
  /// How many annotators were asked to label where it lies.
  public var assigned: Int
  /// Mean IoU of the members to the merged shape.
  public var iouMean: Double
  /// support / assigned × iou_mean.
  public var score: Double
  /// Posterior probability that the object is real (weighted method only).
  public var confidence: Double?
  public var annotators: [String]
  /// Members per label.
  public var votes: [String: Int]
  public var status: Status
  /// Recorded disagreements: `label`, `label_tie`, `low_overlap`, `shape`, `merge_fallback`, and
  /// `attribute:NAME` when the members gave different values of an attribute.
  public var conflicts: [String]
  /// The voted attributes of the winning label (empty without a schema, or when no member gave
  /// a value); written as the feature's own properties.
  public var attributes: [String: JSONValue] = [:]
  /// A gold object, output as it is (inside the gold area).
  public var gold: Bool = false

  /// The object as an output feature, with exactly the documented properties.
  public var feature: LabelFeature {
    var properties: [String: JSONValue] = [
      "support": .integer(Int64(support)),
      "assigned": .integer(Int64(assigned)),
      "iou_mean": .number(Self.rounded(iouMean)),
      "score": .number(Self.rounded(score)),
      "annotators": .array(annotators.map { .string($0) }),
      "votes": .object(votes.mapValues { .integer(Int64($0)) }),
      "status": .string(status.rawValue),
      "conflicts": .array(conflicts.map { .string($0) }),
    ]
    // The schema keeps attribute names apart from the properties above.
    properties.merge(attributes) { own, _ in own }
    if let confidence { properties["confidence"] = .number(Self.rounded(confidence)) }
    if gold { properties["gold"] = .bool(true) }
    return LabelFeature(label: label, shape: shape, geometry: geometry, properties: properties)
  }

  static func rounded(_ value: Double) -> Double { (value * 1e6).rounded() / 1e6 }
}

/// What the merge says about each annotator and about their agreement.
public struct AnnotatorReport: Sendable, Codable, Hashable {
  public struct Annotator: Sendable, Codable, Hashable {
    public var annotator: String
    /// Features in the submission, valid or not.
    public var submitted: Int
    public var invalid: Int
    /// Valid features left out by `labels`.
    public var ignored: Int
    /// Shapes after joining pieces of one object.
    public var shapes: Int
    /// Pieces joined into another shape (drawn twice, or cut by a chip edge).
    public var stitched: Int
    public var matched: Int
    public var missed: Int
    public var extra: Int
    public var precision: Double?
    public var recall: Double?
    public var f1: Double?
    public var meanIoU: Double?
    public var sensitivity: Double?
    public var falsePositiveRate: Double?
    /// Attribute values this annotator gave on accepted objects; nil when no attribute was voted
    /// (no schema, or one without attributes).
    public var attributeValues: Int? = nil
    /// The share of those values that equal the consensus value; nil when they gave none.
    public var attributeAgreement: Double? = nil
    /// Where the sensitivity and false-positive rate come from: `gold` (the gold objects and the
    /// shapes drawn inside the gold area) or `agreement` (the other annotators); nil without a model.
    public var estimatedFrom: String? = nil
    /// Gold objects inside the area where this annotator was asked; nil without gold.
    public var goldObjects: Int? = nil

    enum CodingKeys: String, CodingKey {
      case annotator, submitted, invalid, ignored, shapes, stitched, matched, missed, extra, precision, recall
      case f1
      case meanIoU = "mean_iou"
      case sensitivity
      case falsePositiveRate = "false_positive_rate"
      case attributeValues = "attribute_values"
      case attributeAgreement = "attribute_agreement"
      case estimatedFrom = "estimated_from"
      case goldObjects = "gold_objects"
    }

    /// As synthesised, except that a run that voted attributes writes `attribute_agreement` as
    /// null for an annotator who gave no value, rather than leaving it out.
    public func encode(to encoder: any Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(annotator, forKey: .annotator)
      try container.encode(submitted, forKey: .submitted)
      try container.encode(invalid, forKey: .invalid)
      try container.encode(ignored, forKey: .ignored)
      try container.encode(shapes, forKey: .shapes)
      try container.encode(stitched, forKey: .stitched)
      try container.encode(matched, forKey: .matched)
      try container.encode(missed, forKey: .missed)
      try container.encode(extra, forKey: .extra)
      try container.encodeIfPresent(precision, forKey: .precision)
      try container.encodeIfPresent(recall, forKey: .recall)
      try container.encodeIfPresent(f1, forKey: .f1)
      try container.encodeIfPresent(meanIoU, forKey: .meanIoU)
      try container.encodeIfPresent(sensitivity, forKey: .sensitivity)
      try container.encodeIfPresent(falsePositiveRate, forKey: .falsePositiveRate)
      try container.encodeIfPresent(estimatedFrom, forKey: .estimatedFrom)
      try container.encodeIfPresent(goldObjects, forKey: .goldObjects)
      if let attributeValues {
        try container.encode(attributeValues, forKey: .attributeValues)
        if let attributeAgreement {
          try container.encode(attributeAgreement, forKey: .attributeAgreement)
        } else {
          try container.encodeNil(forKey: .attributeAgreement)
        }
      }
    }
  }

  /// How well one attribute's values agreed with its consensus values, over the accepted objects.
  public struct AttributeAgreement: Sendable, Codable, Hashable {
    /// Accepted objects with a consensus value of the attribute.
    public var objects: Int
    /// Values the members of those objects gave.
    public var values: Int
    /// The share of those values that equal the consensus value; nil when there were none.
    public var agreement: Double?

    public init(objects: Int, values: Int, agreement: Double?) {
      self.objects = objects
      self.values = values
      self.agreement = agreement
    }
  }

  public struct Agreement: Sendable, Codable, Hashable {
    public var annotators: [String]
    /// F1 between each pair of annotators at the IoU threshold (symmetric, 1 on the diagonal).
    public var matrix: [[Double]]
    /// Mean of the off-diagonal entries; nil with fewer than two annotators.
    public var overall: Double?
  }

  /// What the gold standard held and what became of the shapes drawn inside its area.
  public struct Gold: Sendable, Codable, Hashable {
    /// Gold objects inside the area (each output as it is).
    public var objects: Int
    /// Gold objects left out because their centre lies outside the area.
    public var outsideArea: Int
    /// Gold objects at least one annotator drew.
    public var drawn: Int
    /// Shapes inside the area that matched no gold object (rejected).
    public var falseShapes: Int

    enum CodingKeys: String, CodingKey {
      case objects
      case outsideArea = "outside_area"
      case drawn
      case falseShapes = "false_shapes"
    }
  }

  public struct InvalidEntry: Sendable, Codable, Hashable {
    public var annotator: String
    public var index: Int
    public var id: String?
    public var reasons: [String]
  }

  public struct Quorum: Sendable, Codable, Hashable {
    /// As given: a fraction of the annotators asked, or a whole number.
    public var rule: String
    /// Votes needed with `assigned` annotators.
    public var required: Int
  }

  public var method: ConsensusMethod
  /// `majority` when `weighted` fell back for want of annotators.
  public var methodUsed: ConsensusMethod
  public var iouThreshold: Double
  public var minConfidence: Double?
  public var annotatorCount: Int
  public var assigned: Int
  public var quorum: Quorum
  public var workingCRS: String
  public var clusters: Int
  public var accepted: Int
  public var rejected: Int
  public var conflicts: [String: Int]
  public var annotators: [Annotator]
  public var agreement: Agreement
  public var invalidFeatures: [InvalidEntry]
  /// Per attribute of the schema: agreement with the consensus; nil when no attribute was voted.
  public var attributeAgreement: [String: AttributeAgreement]? = nil
  /// The gold standard's part; nil without gold.
  public var gold: Gold? = nil

  enum CodingKeys: String, CodingKey {
    case method
    case methodUsed = "method_used"
    case iouThreshold = "iou_threshold"
    case minConfidence = "min_confidence"
    case annotatorCount = "annotator_count"
    case assigned, quorum
    case workingCRS = "working_crs"
    case clusters, accepted
    case rejected, conflicts, annotators, agreement
    case invalidFeatures = "invalid_features"
    case attributeAgreement = "attribute_agreement"
    case gold
  }

  /// Pretty, key-sorted JSON through the one writer: the same input gives the same bytes.
  public func jsonData() throws -> Data {
    try JSONValueEncoder().encodeData(self, format: .pretty)
  }
}

public struct ConsensusResult: Sendable {
  /// Accepted objects (and rejected ones with `includeRejected`), in a deterministic order.
  public var objects: [ConsensusObject]
  public var report: AnnotatorReport
  /// Wall time of each step, in order (for `swath merge --timings`).
  public var timings: [PhaseTiming] = []
}

/// How long one step of a run took.
public struct PhaseTiming: Sendable {
  public var phase: String
  public var seconds: Double
  /// Processor time of the whole process (all threads) in the step: near `seconds` means the
  /// step ran on one core, near twice it on two.
  public var cpuSeconds: Double

  public init(_ phase: String, _ seconds: Double, cpuSeconds: Double = 0) {
    self.phase = phase
    self.seconds = seconds
    self.cpuSeconds = cpuSeconds
  }
}

/// Collects phase timings: each `lap` closes the phase that began at the previous one.
public struct PhaseClock: Sendable {
  public private(set) var timings: [PhaseTiming] = []
  private var start = DispatchTime.now().uptimeNanoseconds
  private var cpuStart = PhaseClock.processorSeconds()

  public init() {}

  public mutating func lap(_ phase: String) {
    let now = DispatchTime.now().uptimeNanoseconds
    let cpu = PhaseClock.processorSeconds()
    timings.append(PhaseTiming(phase, Double(now - start) / 1e9, cpuSeconds: cpu - cpuStart))
    start = now
    cpuStart = cpu
  }

  private static func processorSeconds() -> Double {
    var time = timespec()
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
  }
}
