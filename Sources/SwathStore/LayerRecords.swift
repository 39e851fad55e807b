/// One object of a task's final layer (the latest consensus run with the review decisions
/// applied), kept as a row so that the layer is served a page at a time from a spatial index
/// instead of being rebuilt from the run's result on every request.
public struct LayerObjectRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  /// The consensus run the object belongs to.
  public var runId: Int64
  /// The object's id in the layer, unique within the task: `RUN-INDEX` for a consensus object
  /// (the review's object id), `RUN-aDECISION` for one a reviewer added.
  public var objectKey: String
  public var label: String?
  /// `accepted` or `rejected`, after the review.
  public var status: String
  /// `auto_accepted`, `needs_review`, `auto_rejected` or `added`.
  public var reviewState: String
  /// When the object took its current form: the run's time, or the decision's.
  public var updatedAt: String
  /// The feature's properties, a JSON object.
  public var properties: String
  /// The feature's geometry, GeoJSON in WGS84.
  public var geometry: String
  /// The whole GeoJSON Feature (with its `id`), so that a page of features is their texts joined.
  public var feature: String
  public var minLon: Double
  public var minLat: Double
  public var maxLon: Double
  public var maxLat: Double

  public init(
    id: Int64? = nil, taskId: Int64, runId: Int64, objectKey: String, label: String?, status: String,
    reviewState: String, updatedAt: String, properties: String, geometry: String, feature: String,
    box: LonLatBox
  ) {
    self.id = id
    self.taskId = taskId
    self.runId = runId
    self.objectKey = objectKey
    self.label = label
    self.status = status
    self.reviewState = reviewState
    self.updatedAt = updatedAt
    self.properties = properties
    self.geometry = geometry
    self.feature = feature
    self.minLon = box.minLon
    self.minLat = box.minLat
    self.maxLon = box.maxLon
    self.maxLat = box.maxLat
  }

  public var box: LonLatBox { LonLatBox(minLon: minLon, minLat: minLat, maxLon: maxLon, maxLat: maxLat) }
}

/// Which consensus run a task's layer rows were built from: when it is not the task's latest
/// run (a workspace older than the rows), the workflow builds them again.
public struct LayerBuildRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var runId: Int64
  public var builtAt: String

  public init(id: Int64? = nil, taskId: Int64, runId: Int64, builtAt: String) {
    self.id = id
    self.taskId = taskId
    self.runId = runId
    self.builtAt = builtAt
  }
}

/// Which objects of a task's layer a page holds: those whose boxes overlap `box` (edges
/// touching count), with the label and status given, after the row `after` (keyset paging in
/// row order), at most `limit`.
public struct LayerQuery: Sendable, Hashable {
  public var taskId: Int64
  public var box: LonLatBox?
  public var label: String?
  public var status: String?
  /// Only objects updated at or after `updatedFrom` and at or before `updatedUntil` (timestamps
  /// as the store keeps them).
  public var updatedFrom: String?
  public var updatedUntil: String?
  public var after: Int64?
  public var limit: Int

  public init(
    taskId: Int64, box: LonLatBox? = nil, label: String? = nil, status: String? = nil,
    updatedFrom: String? = nil, updatedUntil: String? = nil, after: Int64? = nil, limit: Int = 10
  ) {
    self.taskId = taskId
    self.box = box
    self.label = label
    self.status = status
    self.updatedFrom = updatedFrom
    self.updatedUntil = updatedUntil
    self.after = after
    self.limit = limit
  }
}

/// A task's layer at a glance: how many objects (of a status), their joint box and time span.
public struct LayerSummary: Sendable, Hashable {
  public var count: Int
  public var box: LonLatBox?
  public var firstUpdate: String?
  public var lastUpdate: String?

  public init(count: Int, box: LonLatBox?, firstUpdate: String?, lastUpdate: String?) {
    self.count = count
    self.box = box
    self.firstUpdate = firstUpdate
    self.lastUpdate = lastUpdate
  }
}
