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
  public static let maxCountInBox = 2_000
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
    return try readingLayers { store in
      try store.tasks().compactMap { task in
        try store.latestConsensusRunId(ofTask: task.id!).map {
          try LiveLayer.collection(task, run: $0, in: store)
        }
      }
    }
  }

  /// One collection; not found when there is no such task, it has no consensus run yet, or the
  /// caller may not read it.
  public func liveLayer(_ name: String, by caller: Caller) throws -> LiveLayer.Collection {
    try readingLayer(name, by: caller) { store, task, run in
      try LiveLayer.collection(task, run: run, in: store)
    }
  }

  /// A page of a collection's features.
  public func liveFeatures(in name: String, _ query: LiveLayer.Query, by caller: Caller) throws
    -> LiveLayer.Page
  {
    guard (1...LiveLayer.maxLimit).contains(query.limit) else {
      throw WorkflowError("limit \(query.limit): expected a whole number in 1…\(LiveLayer.maxLimit)")
    }
    return try readingLayer(name, by: caller) { store, record, run in
      let task = record.id!
      let key = try LiveLayer.cursorKey(in: store)
      let after = try query.cursor.map { try LiveLayer.open(cursor: $0, task: task, run: run, key: key) }
      var selection = LayerQuery(
        taskId: task, box: query.box, label: query.label, status: LiveLayer.servedStatus,
        updatedFrom: query.updatedFrom, updatedUntil: query.updatedUntil, after: after, limit: query.limit + 1
      )
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
    try readingLayer(name, by: caller) { store, task, _ in
      guard let row = try store.layerObject(taskId: task.id!, key: id), row.status == LiveLayer.servedStatus
      else {
        throw WorkflowError("collection '\(name)' has no feature '\(id)'", kind: .notFound)
      }
      return row.feature
    }
  }

  /// `body` on one snapshot of a task's layer the caller may read, with its task and latest run:
  /// not found when there is no such task, it has no run, or the caller may not read layers.
  private func readingLayer<T>(
    _ name: String, by caller: Caller, _ body: (any StoreReader, TaskRecord, Int64) throws -> T
  ) throws -> T {
    let notFound = WorkflowError("no collection '\(name)'", kind: .notFound)
    guard caller.role.may(.exportLayers) else { throw notFound }
    return try readingLayers(of: name) { store in
      guard let task = try store.task(named: name), let run = try store.latestConsensusRunId(ofTask: task.id!)
      else { throw notFound }
      return try body(store, task, run)
    }
  }

  /// `body` on one snapshot in which the layer rows of every task (or of the one named) are
  /// current and the cursor key is made. Rows that predate their task's latest run (a workspace
  /// older than the rows) are built first, in a write of their own, and the snapshot taken again.
  private func readingLayers<T>(of name: String? = nil, _ body: (any StoreReader) throws -> T) throws -> T {
    while true {
      let outcome: T? = try store.read { store in
        guard try LiveLayer.staleTasks(named: name, in: store).isEmpty,
          try store.secret(named: LiveLayer.cursorKeyName) != nil
        else { return nil }
        return try body(store)
      }
      if let outcome { return outcome }
      try store.write { store in
        for task in try LiveLayer.staleTasks(named: name, in: store) {
          if let run = try store.latestConsensusRun(ofTask: task.id!) {
            try Review.rebuildLayer(task, run: run, in: store)
          }
        }
        _ = try store.keepSecret(
          named: LiveLayer.cursorKeyName,
          value: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString())
      }
    }
  }
}

extension LiveLayer {
  /// Tasks (every one, or the one named) whose layer rows were built from a run older than their
  /// latest, or never built.
  static func staleTasks(named name: String?, in store: any StoreReader) throws -> [TaskRecord] {
    let tasks = try name.map { try store.task(named: $0).map { [$0] } ?? [] } ?? store.tasks()
    return try tasks.filter { task in
      guard let run = try store.latestConsensusRunId(ofTask: task.id!) else { return false }
      return try store.layerBuild(ofTask: task.id!)?.runId != run
    }
  }

  /// A task's layer at a glance: its count, extent and time span from the rows.
  static func collection(_ task: TaskRecord, run: Int64, in store: any StoreReader) throws -> Collection {
    let summary = try store.layerSummary(ofTask: task.id!, status: servedStatus)
    return Collection(
      name: task.name, labels: task.labels, run: run, count: summary.count, box: summary.box,
      firstUpdate: summary.firstUpdate, lastUpdate: summary.lastUpdate)
  }

  /// The key that signs paging cursors, kept in the store.
  static func cursorKey(in store: any StoreReader) throws -> SymmetricKey {
    guard let text = try store.secret(named: cursorKeyName), let data = Data(base64Encoded: text) else {
      throw WorkflowError("the store's paging key is missing or damaged", kind: .environment)
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
