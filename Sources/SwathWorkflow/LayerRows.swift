import Foundation
import SwathGeometry
import SwathStore

/// The final layer kept as rows (`LayerObjectRecord`), current in the same transaction as every
/// change to it: a consensus run builds the task's rows again, a decision rewrites its object's
/// row, an added object gets a row, new review thresholds build the rows again. A workspace whose
/// rows predate its latest run (made before the rows existed) gets them built on first use.
extension Review {
  /// The key of a run's object in the layer: its review object id.
  static func layerKey(run: Int64, index: Int) -> String { objectId(run: run, index: index) }

  /// The key of an object a reviewer added.
  static func layerKey(run: Int64, added decision: Int64) -> String { "\(run)-a\(decision)" }

  /// An object as its row: the properties, the geometry and the whole Feature as text, the box.
  static func layerRow(
    _ object: Export.Object, key: String, taskId: Int64, runId: Int64, updatedAt: String
  ) -> LayerObjectRecord? {
    guard let envelope = object.geometry.envelope else { return nil }
    let properties = JSONValue.object(object.properties).jsonText
    let geometry = GeoJSONGeometry.text(object.geometry)
    let feature =
      #"{"type":"Feature","id":"# + JSONValue.string(key).jsonText + #","geometry":"# + geometry
      + #","properties":"# + properties + "}"
    return LayerObjectRecord(
      taskId: taskId, runId: runId, objectKey: key, label: object.properties["label"]?.stringValue,
      status: object.properties["status"]?.stringValue ?? "accepted",
      reviewState: object.properties["review_state"]?.stringValue ?? State.needsReview.rawValue,
      updatedAt: updatedAt, properties: properties, geometry: geometry, feature: feature,
      box: LonLatBox(
        minLon: envelope.minX, minLat: envelope.minY, maxLon: envelope.maxX, maxLat: envelope.maxY))
  }

  /// The row of a run's object, as `finalObject` has it.
  static func layerRow(_ object: Object, task: TaskRecord, run: ConsensusRunRecord) -> LayerObjectRecord? {
    layerRow(
      finalObject(object), key: layerKey(run: run.id!, index: object.index), taskId: task.id!, runId: run.id!,
      updatedAt: object.decision?.decidedAt ?? run.runAt)
  }

  /// The row of an object a reviewer added.
  static func layerRow(added decision: ReviewDecisionRecord, task: TaskRecord) -> LayerObjectRecord? {
    addedObject(decision).flatMap {
      layerRow(
        $0, key: layerKey(run: decision.runId, added: decision.id!), taskId: task.id!, runId: decision.runId,
        updatedAt: decision.decidedAt)
    }
  }

  /// Builds a task's layer rows again from `run` (its latest), inside the caller's transaction.
  static func rebuildLayer(_ task: TaskRecord, run: ConsensusRunRecord, in store: any StoreWriter) throws {
    var rows = try objects(of: run, task: task, in: store).compactMap { layerRow($0, task: task, run: run) }
    rows += try store.reviewDecisions(ofRun: run.id!).compactMap { layerRow(added: $0, task: task) }
    try store.replaceLayer(ofTask: task.id!, runId: run.id!, objects: &rows, builtAt: Timestamp.now())
  }

  /// Rewrites the row of one object after a decision on it, inside the decision's transaction.
  /// Rows built from an older run (a workspace older than the rows) are built again instead.
  static func refreshLayer(
    _ object: Object, task: TaskRecord, run: ConsensusRunRecord, in store: any StoreWriter
  )
    throws
  {
    guard try store.layerBuild(ofTask: task.id!)?.runId == run.id,
      let existing = try store.layerObject(
        taskId: task.id!, key: layerKey(run: run.id!, index: object.index)),
      var row = layerRow(object, task: task, run: run)
    else { return try rebuildLayer(task, run: run, in: store) }
    row.id = existing.id
    try store.update(row)
  }

  /// Adds the row of an object a reviewer added, inside the decision's transaction.
  static func addToLayer(
    _ decision: ReviewDecisionRecord, task: TaskRecord, run: ConsensusRunRecord,
    in store: any StoreWriter
  ) throws {
    guard try store.layerBuild(ofTask: task.id!)?.runId == run.id else {
      return try rebuildLayer(task, run: run, in: store)
    }
    guard var row = layerRow(added: decision, task: task) else { return }
    try store.insert(&row)
  }
}
