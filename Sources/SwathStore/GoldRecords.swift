import Foundation

/// A chip of a task whose truth is known (issue #12, "Gold chips"): the task's gold objects are
/// the complete truth inside its footprint. Annotators get it like any other chip.
public struct GoldChipRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64
  public var addedBy: String
  public var addedAt: String

  public init(id: Int64? = nil, taskId: Int64, chipId: Int64, addedBy: String, addedAt: String) {
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.addedBy = addedBy
    self.addedAt = addedAt
  }
}

/// One true object of a task's gold, validated as a submission's feature is, in WGS84.
public struct GoldObjectRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  /// The feature's index in the truth file.
  public var featureIndex: Int
  public var label: String
  public var shape: String
  /// GeoJSON geometry text, WGS84.
  public var geometry: String
  /// The feature's properties as a JSON object (with the schema's defaults), when the task has a
  /// label schema.
  public var attributes: String?

  public init(
    id: Int64? = nil, taskId: Int64, featureIndex: Int, label: String, shape: String, geometry: String,
    attributes: String?
  ) {
    self.id = id
    self.taskId = taskId
    self.featureIndex = featureIndex
    self.label = label
    self.shape = shape
    self.geometry = geometry
    self.attributes = attributes
  }
}

/// An accepted submission on a gold chip scored at once against the chip's gold objects (both
/// clipped to the chip) at the task's IoU threshold. Annotators never see it.
public struct GoldScoreRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64
  public var submissionId: Int64
  public var annotator: String
  public var truePositives: Int
  public var falsePositives: Int
  public var falseNegatives: Int
  /// Mean IoU of the matched pairs (0 when none).
  public var meanIou: Double
  public var scoredAt: String

  public init(
    id: Int64? = nil, taskId: Int64, chipId: Int64, submissionId: Int64, annotator: String,
    truePositives: Int, falsePositives: Int, falseNegatives: Int, meanIou: Double, scoredAt: String
  ) {
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.submissionId = submissionId
    self.annotator = annotator
    self.truePositives = truePositives
    self.falsePositives = falsePositives
    self.falseNegatives = falseNegatives
    self.meanIou = meanIou
    self.scoredAt = scoredAt
  }
}

/// A task's gold settings: annotators whose gold F1 is below `minF1` are left out of consensus
/// and their chips offered to others.
public struct GoldSettingsRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var minF1: Double

  public init(id: Int64? = nil, taskId: Int64, minF1: Double) {
    self.id = id
    self.taskId = taskId
    self.minF1 = minF1
  }
}
