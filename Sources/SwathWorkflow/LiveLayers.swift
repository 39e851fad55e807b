import Crypto
import Foundation
import SwathStore

/// The final layers served live (OGC API – Features on `swath serve`): one collection per task
/// with a consensus run, read a page at a time from the layer rows. Who may read a task's layer
/// is who may export it; anyone else is told there is no such collection.
public enum LiveLayer {
  /// Objects per page when the request names no limit, and the most a page holds.
  public static let defaultLimit = 100
  public static let maxLimit = 10_000
  /// The most objects in a box whose number a page states (`numberMatched`).
  public static let maxCountInBox = 10_000
  /// The layer is the objects the file export writes by default: the accepted ones.
  static let servedStatus = "accepted"
  /// The name of the key that signs paging cursors, kept in the store so that every node of a
  /// cluster accepts every other's cursors.
  static let cursorKeyName = "layer-cursor-key"

  /// A task's final layer at a glance.
  public struct Collection: Sendable {
    public var name: String
    public var labels: [String]
    public var run: Int64
    public var count: Int
    /// The objects' joint box in WGS84; nil when the layer is empty.
    public var box: LonLatBox?
    /// When the oldest and the newest object took their current form.
    public var firstUpdate: String?
    public var lastUpdate: String?
  }

  /// Which objects a page holds.
  public struct Query: Sendable {
    public var box: LonLatBox?
    public var label: String?
    /// Objects updated in this span (store timestamps; either end open when nil).
    public var updatedFrom: String?
    public var updatedUntil: String?
    public var limit: Int
    /// The `next` cursor of the page before; nil for the first page.
    public var cursor: String?

    public init(
      box: LonLatBox? = nil, label: String? = nil, updatedFrom: String? = nil, updatedUntil: String? = nil,
      limit: Int = LiveLayer.defaultLimit, cursor: String? = nil
    ) {
      self.box = box
      self.label = label
      self.updatedFrom = updatedFrom
      self.updatedUntil = updatedUntil
      self.limit = limit
      self.cursor = cursor
    }
  }

  /// One page: the features as GeoJSON Feature texts, how many the query matches in all (nil for
  /// a box holding more than `maxCountInBox`), and the cursor of the next page (nil on the last).
  public struct Page: Sendable {
    public var features: [String]
    public var matched: Int?
    public var next: String?
  }
}

extension Workspace {
  /// The collections the caller may read: tasks with a consensus run, by name; none for a role
  /// that may not export layers.
  public func liveLayers(by caller: Caller) throws -> [LiveLayer.Collection] {
    guard caller.role.may(.exportLayers) else { return [] }
    let tasks = try store.read { store in try store.tasks() }
    return try tasks.compactMap { task in
      try currentLayer(task.name).map { try collection($0.task, run: $0.run) }
    }
  }

  /// One collection; not found when there is no such task, it has no consensus run yet, or the
  /// caller may not read it.
  public func liveLayer(_ name: String, by caller: Caller) throws -> LiveLayer.Collection {
    let (task, run) = try readableLayer(name, by: caller)
    return try collection(task, run: run)
  }

  /// A page of a collection's features.
  public func liveFeatures(in name: String, _ query: LiveLayer.Query, by caller: Caller) throws
    -> LiveLayer.Page
  {
    guard (1...LiveLayer.maxLimit).contains(query.limit) else {
      throw WorkflowError("limit \(query.limit): expected a whole number in 1…\(LiveLayer.maxLimit)")
    }
    let (record, run) = try readableLayer(name, by: caller)
    let task = record.id!
    let key = try cursorKey()
    let after = try query.cursor.map { try LiveLayer.open(cursor: $0, task: task, run: run, key: key) }
    var selection = LayerQuery(
      taskId: task, box: query.box, label: query.label, status: LiveLayer.servedStatus,
      updatedFrom: query.updatedFrom, updatedUntil: query.updatedUntil, after: after, limit: query.limit + 1)
    return try store.read { store in
      let rows = try store.layerObjects(selection)
      let page = rows.prefix(query.limit)
      selection.after = nil
      // Counted exactly for the whole layer (an index count); in a box only up to a limit, past
      // which the page says nothing of the number (OGC API – Features makes it optional).
      let matched =
        query.box == nil
        ? try store.layerObjectCount(selection, atMost: .max)
        : try store.layerObjectCount(selection, atMost: LiveLayer.maxCountInBox + 1)
      let next =
        rows.count > query.limit
        ? page.last.map { LiveLayer.cursor(task: task, run: run, after: $0.id!, key: key) } : nil
      return LiveLayer.Page(
        features: page.map(\.feature),
        matched: matched > LiveLayer.maxCountInBox && query.box != nil ? nil : matched,
        next: next)
    }
  }

  /// One feature of a collection, as GeoJSON Feature text.
  public func liveFeature(in name: String, id: String, by caller: Caller) throws -> String {
    let task = try readableLayer(name, by: caller).task
    return try store.read { store in
      guard let row = try store.layerObject(taskId: task.id!, key: id), row.status == LiveLayer.servedStatus
      else {
        throw WorkflowError("collection '\(name)' has no feature '\(id)'", kind: .notFound)
      }
      return row.feature
    }
  }

  /// The layer of a task the caller may read, its rows current.
  private func readableLayer(_ name: String, by caller: Caller) throws -> (task: TaskRecord, run: Int64) {
    guard caller.role.may(.exportLayers), let layer = try currentLayer(name) else {
      throw WorkflowError("no collection '\(name)'", kind: .notFound)
    }
    return layer
  }

  /// A task and its latest run, the layer rows built first when they predate the run; nil when
  /// there is no such task or it has no consensus run. Reads ids only: a run's result is large.
  private func currentLayer(_ name: String) throws -> (task: TaskRecord, run: Int64)? {
    func look(_ store: any StoreReader) throws -> (task: TaskRecord, run: Int64, current: Bool)? {
      guard let task = try store.task(named: name), let run = try store.latestConsensusRunId(ofTask: task.id!)
      else { return nil }
      return (task, run, try store.layerBuild(ofTask: task.id!)?.runId == run)
    }
    guard let found = try store.read(look) else { return nil }
    if found.current { return (found.task, found.run) }
    return try store.write { store in
      guard let found = try look(store) else { return nil }
      if !found.current, let run = try store.latestConsensusRun(ofTask: found.task.id!) {
        try Review.rebuildLayer(found.task, run: run, in: store)
      }
      return (found.task, found.run)
    }
  }

  /// A task's layer at a glance: its count, extent and time span from the rows.
  private func collection(_ task: TaskRecord, run: Int64) throws -> LiveLayer.Collection {
    let summary = try store.read { store in
      try store.layerSummary(ofTask: task.id!, status: LiveLayer.servedStatus)
    }
    return LiveLayer.Collection(
      name: task.name, labels: task.labels, run: run, count: summary.count, box: summary.box,
      firstUpdate: summary.firstUpdate, lastUpdate: summary.lastUpdate)
  }

  /// The key that signs paging cursors: made once per store, kept in it.
  private func cursorKey() throws -> SymmetricKey {
    let text =
      try store.read { store in try store.secret(named: LiveLayer.cursorKeyName) }
      ?? store.write { store in
        try store.keepSecret(
          named: LiveLayer.cursorKeyName,
          value: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString())
      }
    guard let data = Data(base64Encoded: text) else {
      throw WorkflowError("the store's paging key is damaged", kind: .environment)
    }
    return SymmetricKey(data: data)
  }
}

extension LiveLayer {
  /// `TASK.RUN.AFTER.SIGNATURE`: where the next page starts, signed (HMAC-SHA-256, first 16
  /// bytes) so that a client cannot forge or edit one.
  static func cursor(task: Int64, run: Int64, after: Int64, key: SymmetricKey) -> String {
    let payload = "\(task).\(run).\(after)"
    return payload + "." + signature(payload, key: key)
  }

  static func signature(_ payload: String, key: SymmetricKey) -> String {
    HMAC<SHA256>.authenticationCode(for: Data(payload.utf8), using: key).prefix(16)
      .map { String(format: "%02x", $0) }.joined()
  }

  /// The row a cursor continues after; invalid when it was altered or made for another layer,
  /// a conflict when the layer was built again since (a new consensus run).
  static func open(cursor: String, task: Int64, run: Int64, key: SymmetricKey) throws -> Int64 {
    let parts = cursor.split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 4, let cursorTask = Int64(parts[0]), let cursorRun = Int64(parts[1]),
      let after = Int64(parts[2]),
      signature(parts[0...2].joined(separator: "."), key: key) == String(parts[3]), cursorTask == task
    else {
      throw WorkflowError(
        "cursor '\(cursor)' is not one this server gave for this collection; start from the first page")
    }
    guard cursorRun == run else {
      throw WorkflowError(
        "cursor '\(cursor)' pages consensus run #\(cursorRun), which run #\(run) replaced; start from the first page",
        kind: .conflict)
    }
    return after
  }
}
