import Foundation
import SwathGeometry

/// A feature left out of the merge, and why.
public struct InvalidFeature: Sendable, Hashable, Codable {
  /// Position of the feature in its submission (0-based).
  public var index: Int
  /// The GeoJSON Feature `id`, when it has one.
  public var id: String?
  public var reasons: [String]

  public init(index: Int, id: String? = nil, reasons: [String]) {
    self.index = index
    self.id = id
    self.reasons = reasons
  }
}

/// One annotator's answer: the valid shapes they drew (WGS84) and what was rejected on reading.
/// An empty `features` list is a real answer ("nothing here") and counts as a vote.
public struct Submission: Sendable {
  public var annotator: String
  public var features: [LabelFeature]
  public var invalid: [InvalidFeature]
  /// The chips this annotator was given; nil means every chip.
  public var chipIDs: Set<String>?

  public init(
    annotator: String, features: [LabelFeature], invalid: [InvalidFeature] = [], chipIDs: Set<String>? = nil
  ) {
    self.annotator = annotator
    self.features = features
    self.invalid = invalid
    self.chipIDs = chipIDs
  }
}

/// A chip's footprint (WGS84), for stitching shapes cut by its edges and for chip-aware quorum.
public struct ChipFootprint: Sendable {
  public var id: String
  public var footprint: MultiPolygon
  /// The annotators who were asked to label this chip; nil derives it from the submissions' `chipIDs`.
  public var annotators: Set<String>?

  public init(id: String, footprint: MultiPolygon, annotators: Set<String>? = nil) {
    self.id = id
    self.footprint = footprint
    self.annotators = annotators
  }
}

/// How many votes a cluster needs under `majority`: a fraction of the annotators asked, or a
/// whole number. Its constructors are the one place its range is checked.
public struct Quorum: Sendable, Hashable, CustomStringConvertible {
  public enum Rule: Sendable, Hashable {
    /// A fraction of the annotators asked, in (0, 1]: ceil(fraction × assigned), at least 1.
    case fraction(Double)
    /// A whole number of votes, at least 1.
    case count(Int)
  }

  public let rule: Rule

  private init(checked rule: Rule) { self.rule = rule }

  /// Half the annotators asked, the default.
  public static let half = Quorum(checked: .fraction(0.5))

  /// A fraction of the annotators asked, in (0, 1].
  public static func fraction(_ fraction: Double) throws(ConsensusError) -> Quorum {
    guard fraction > 0, fraction <= 1 else {
      throw ConsensusError("a quorum fraction must be in (0, 1], got \(fraction)")
    }
    return Quorum(checked: .fraction(fraction))
  }

  /// A whole number of votes, at least 1.
  public static func count(_ count: Int) throws(ConsensusError) -> Quorum {
    guard count >= 1 else { throw ConsensusError("a quorum count must be at least 1, got \(count)") }
    return Quorum(checked: .count(count))
  }

  /// Parses `0.5` (a fraction, below 1) or `3` (a whole number of votes).
  public init(parsing text: String) throws(ConsensusError) {
    guard let value = Double(text), value.isFinite, value > 0, value < 1 || value == value.rounded() else {
      throw ConsensusError(
        "a quorum must be a fraction in (0, 1) or a whole number of votes, got '\(text)'")
    }
    if value < 1 {
      self = try .fraction(value)
    } else {
      self = try .count(Int(value))
    }
  }

  /// `init(parsing:)`, nil instead of the error.
  public init?(_ text: String) {
    guard let parsed = try? Quorum(parsing: text) else { return nil }
    self = parsed
  }

  public func required(of assigned: Int) -> Int {
    switch rule {
    case .fraction(let fraction):
      // The small epsilon keeps 0.6 × 5 at 3 despite binary rounding.
      return max(1, Int((fraction * Double(assigned) - 1e-9).rounded(.up)))
    case .count(let count): return count
    }
  }

  public var description: String {
    switch rule {
    case .fraction(let fraction): return String(fraction)
    case .count(let count): return String(count)
    }
  }
}

/// The IoU two shapes need to count as one object, in (0, 1]. Its initialiser is the one place
/// the range is checked.
public struct IoUThreshold: Sendable, Hashable, CustomStringConvertible {
  public let value: Double

  public init(_ value: Double) throws(ConsensusError) {
    guard value > 0, value <= 1 else {
      throw ConsensusError("the IoU threshold must be in (0, 1], got \(value)")
    }
    self.value = value
  }

  private init(checked value: Double) { self.value = value }

  /// 0.5, the default.
  public static let half = IoUThreshold(checked: 0.5)

  public var description: String { String(value) }
}

public enum ConsensusMethod: String, Sendable, CaseIterable, Codable {
  /// Dawid–Skene: per-annotator sensitivity and false-positive rate, posterior per cluster.
  case weighted
  /// A plain vote against the quorum.
  case majority
}

public enum PolygonMerge: String, Sendable, CaseIterable, Codable {
  /// The region covered by at least half of the cluster's polygons.
  case vote
  /// The member with the highest mean IoU to the others.
  case medoid
}

public enum BoxMerge: String, Sendable, CaseIterable, Codable {
  case median
  case mean
}

public struct ConsensusOptions: Sendable {
  public var iouThreshold: IoUThreshold = .half
  public var method: ConsensusMethod = .weighted
  public var quorum: Quorum = .half
  public var minConfidence: Double = 0.5
  /// How many annotators were asked, when some did not answer; nil counts the submissions.
  public var assigned: Int?
  /// Only these labels take part; nil keeps all.
  public var labels: Set<String>?
  /// The label schema whose attributes are voted for each object (features carry them as
  /// properties); nil, or a schema without attributes, votes none.
  public var schema: LabelSchema?
  public var polygonMerge: PolygonMerge = .vote
  public var boxMerge: BoxMerge = .median
  /// The chip index: enables stitching across chip edges and chip-aware quorum.
  public var chips: [ChipFootprint]?
  /// The metric CRS to work in; nil picks the UTM zone of the data's centroid.
  public var workingCRS: WorkingCRS?
  /// Also output the clusters that were not accepted, with `status: rejected`.
  public var includeRejected: Bool = false
  /// How far apart (metres) two pieces cut by a chip edge may be and still be joined.
  public var seamTolerance: Double = 0.1
  /// Output coordinates are rounded to this many decimals (GeoJSON writers keep them as they
  /// are), and every shape is still valid at that precision.
  public var outputDecimals: Int = 8
  /// Known truth for part of the area: output as it is there, and the annotator model is
  /// estimated from it (any number of annotators then gets the weighted vote).
  public var gold: GoldStandard?

  public init() {}
}

/// An error that stops a merge: bad options or inconsistent submissions.
public struct ConsensusError: Error, CustomStringConvertible, Sendable {
  public var message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}
