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
  /// Recorded disagreements: `label`, `label_tie`, `low_overlap`, `shape`, `merge_fallback`.
  public var conflicts: [String]

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
    if let confidence { properties["confidence"] = .number(Self.rounded(confidence)) }
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

    enum CodingKeys: String, CodingKey {
      case annotator, submitted, invalid, ignored, shapes, stitched, matched, missed, extra, precision, recall
      case f1
      case meanIoU = "mean_iou"
      case sensitivity
      case falsePositiveRate = "false_positive_rate"
    }
  }

  public struct Agreement: Sendable, Codable, Hashable {
    public var annotators: [String]
    /// F1 between each pair of annotators at the IoU threshold (symmetric, 1 on the diagonal).
    public var matrix: [[Double]]
    /// Mean of the off-diagonal entries; nil with fewer than two annotators.
    public var overall: Double?
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
