import Foundation
import SwathStore
import SwathTestSupport
import Testing

/// The final layer's rows on every backend: spatial pages from the index, keyset paging,
/// counts, summaries, rows replaced and updated, the kept secret.
@Suite struct LayerStoreContractTests {
  /// A 10 × 10 grid of 0.005° squares, 0.01° apart from (15, 45): object `r-c` at row r, column
  /// c; every third a vehicle, every seventh rejected, updated at minute r.
  static func grid(task: Int64, run: Int64) -> [LayerObjectRecord] {
    var rows: [LayerObjectRecord] = []
    for r in 0..<10 {
      for c in 0..<10 {
        let n = r * 10 + c
        let (lon, lat) = (15 + Double(c) * 0.01, 45 + Double(r) * 0.01)
        let label = n % 3 == 0 ? "vehicle" : "building"
        let key = "\(r)-\(c)"
        rows.append(
          LayerObjectRecord(
            taskId: task, runId: run, objectKey: key, label: label,
            status: n % 7 == 0 ? "rejected" : "accepted",
            reviewState: "auto_accepted", updatedAt: "2026-12-01T10:0\(r):00.000Z",
            properties: #"{"label":"\#(label)"}"#, geometry: square(lon, lat),
            feature: #"{"type":"Feature","id":"\#(key)"}"#,
            box: LonLatBox(minLon: lon, minLat: lat, maxLon: lon + 0.005, maxLat: lat + 0.005)))
      }
    }
    return rows
  }

  static func square(_ lon: Double, _ lat: Double) -> String {
    let (x1, y1) = (lon + 0.005, lat + 0.005)
    return
      #"{"type":"MultiPolygon","coordinates":[[[[\#(lon),\#(lat)],[\#(x1),\#(lat)],[\#(x1),\#(y1)],[\#(lon),\#(y1)],[\#(lon),\#(lat)]]]]}"#
  }

  /// A store with a task, two consensus runs and the grid built from the first.
  static func layered(_ backend: StoreContract.Backend) throws -> (
    store: any ProjectStore, cleanUp: () -> Void, task: Int64, runs: [Int64]
  ) {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    let (task, runs) = try store.write { store throws in
      var image = StoreContract.image("town")
      try store.insert(&image)
      var task = StoreContract.task("roofs", image: image.id!)
      try store.insert(&task)
      var runs: [Int64] = []
      for _ in 0..<2 {
        var run = ConsensusRunRecord(
          taskId: task.id!, parameters: "{}", runAt: Timestamp.now(), submissionCount: 0, objectCount: 0,
          result: #"{"type":"FeatureCollection","features":[]}"#, report: "{}")
        try store.insert(&run)
        runs.append(run.id!)
      }
      var rows = grid(task: task.id!, run: runs[0])
      try store.replaceLayer(ofTask: task.id!, runId: runs[0], objects: &rows, builtAt: Timestamp.now())
      #expect(rows.allSatisfy { $0.id != nil })
      return (task.id!, runs)
    }
    return (store, cleanUp, task, runs)
  }

  @Test(arguments: StoreContract.Backend.allCases) func aBoxFindsTheObjectsItOverlapsInRowOrder(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp, task, runs) = try Self.layered(backend)
    defer { cleanUp() }
    try store.read { store throws in
      #expect(try store.layerBuild(ofTask: task)?.runId == runs[0])
      // Rows 2–4, columns 5–7: the box's corners touch the corner squares', which counts.
      let grid = Self.grid(task: task, run: runs[0])
      let box = LonLatBox(
        minLon: grid[25].maxLon, minLat: grid[25].maxLat, maxLon: grid[47].minLon, maxLat: grid[47].minLat)
      let all = try store.layerObjects(LayerQuery(taskId: task, box: box, limit: 100))
      #expect(all.map(\.objectKey) == ["2-5", "2-6", "2-7", "3-5", "3-6", "3-7", "4-5", "4-6", "4-7"])
      #expect(all.map { $0.id! } == all.map { $0.id! }.sorted())
      #expect(try store.layerObjectCount(LayerQuery(taskId: task, box: box, limit: 1), atMost: 100) == 9)
      // 35 and 42 and 49 are multiples of seven: rejected.
      let accepted = LayerQuery(taskId: task, box: box, status: "accepted", limit: 100)
      #expect(
        try store.layerObjects(accepted).map(\.objectKey) == [
          "2-5", "2-6", "2-7", "3-6", "3-7", "4-5", "4-6", "4-7",
        ])
      let vehicles = LayerQuery(taskId: task, box: box, label: "vehicle", limit: 100)
      #expect(try store.layerObjects(vehicles).map(\.objectKey) == ["2-7", "3-6", "4-5"])
      #expect(try store.layerObjectCount(vehicles, atMost: 100) == 3)
      #expect(try store.layerObjectCount(vehicles, atMost: 2) == 2)
      // A box in the gaps between squares finds nothing.
      let gap = LonLatBox(minLon: 15.006, minLat: 45.006, maxLon: 15.009, maxLat: 45.009)
      #expect(try store.layerObjects(LayerQuery(taskId: task, box: gap, limit: 100)).isEmpty)
      #expect(try store.layerObjectCount(LayerQuery(taskId: task, box: gap, limit: 100), atMost: 100) == 0)
      // Another task's layer is not this one's.
      #expect(try store.layerObjects(LayerQuery(taskId: task + 1, limit: 100)).isEmpty)
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func pagesAfterAKeyCoverTheLayerOnce(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp, task, _) = try Self.layered(backend)
    defer { cleanUp() }
    try store.read { store throws in
      for box in [nil, LonLatBox(minLon: 15.018, minLat: 45.0, maxLon: 15.064, maxLat: 45.1)] {
        let whole = try store.layerObjects(LayerQuery(taskId: task, box: box, limit: 1000))
        var paged: [LayerObjectRecord] = []
        var after: Int64?
        while true {
          let page = try store.layerObjects(LayerQuery(taskId: task, box: box, after: after, limit: 7))
          paged += page
          guard page.count == 7 else { break }
          after = page.last!.id
        }
        #expect(paged == whole)
        #expect(whole.count == (box == nil ? 100 : 50))
      }
      let morning = LayerQuery(
        taskId: task, updatedFrom: "2026-12-01T10:02:00.000Z", updatedUntil: "2026-12-01T10:03:00.000Z",
        limit: 1000)
      #expect(try store.layerObjectCount(morning, atMost: .max) == 20)
      #expect(try store.layerObjects(morning).first?.objectKey == "2-0")
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func summaryUpdateInsertAndReplace(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp, task, runs) = try Self.layered(backend)
    defer { cleanUp() }
    try store.read { store throws in
      let all = try store.layerSummary(ofTask: task, status: nil)
      #expect(all.count == 100)
      let grid = Self.grid(task: task, run: runs[0])
      #expect(all.box == LonLatBox(minLon: 15, minLat: 45, maxLon: grid[99].maxLon, maxLat: grid[99].maxLat))
      #expect(all.firstUpdate == "2026-12-01T10:00:00.000Z")
      #expect(all.lastUpdate == "2026-12-01T10:09:00.000Z")
      #expect(try store.layerSummary(ofTask: task, status: "accepted").count == 85)
      #expect(
        try store.layerSummary(ofTask: task + 1, status: nil)
          == LayerSummary(count: 0, box: nil, firstUpdate: nil, lastUpdate: nil))
    }
    // A decision moves an object: the index follows the row.
    try store.write { store throws in
      var moved = try #require(try store.layerObject(taskId: task, key: "0-0"))
      moved.geometry = Self.square(16, 45)
      moved.minLon = 16
      moved.maxLon = 16.005
      moved.label = "vehicle"
      try store.update(moved)
      var added = Self.grid(task: task, run: runs[0])[1]
      added.objectKey = "\(runs[0])-a1"
      try store.insert(&added)
      #expect(added.id != nil)
    }
    try store.read { store throws in
      let old = LonLatBox(minLon: 15, minLat: 45, maxLon: 15.004, maxLat: 45.004)
      #expect(try store.layerObjects(LayerQuery(taskId: task, box: old, limit: 10)).isEmpty)
      let new = LonLatBox(minLon: 15.999, minLat: 45, maxLon: 16.001, maxLat: 45.001)
      #expect(
        try store.layerObjects(LayerQuery(taskId: task, box: new, limit: 10)).map(\.objectKey) == ["0-0"])
      #expect(try store.layerObject(taskId: task, key: "\(runs[0])-a1")?.box.minLon == 15.01)
      #expect(try store.layerObject(taskId: task, key: "nope") == nil)
    }
    // A new run's rows replace the old ones.
    try store.write { store throws in
      var rows = Array(Self.grid(task: task, run: runs[1]).prefix(3))
      try store.replaceLayer(
        ofTask: task, runId: runs[1], objects: &rows, builtAt: "2026-12-02T00:00:00.000Z")
    }
    try store.read { store throws in
      #expect(try store.layerBuild(ofTask: task)?.runId == runs[1])
      #expect(try store.layerBuild(ofTask: task)?.builtAt == "2026-12-02T00:00:00.000Z")
      #expect(
        try store.layerObjects(LayerQuery(taskId: task, limit: 100)).map(\.objectKey) == [
          "0-0", "0-1", "0-2",
        ])
      #expect(try store.layerObjects(LayerQuery(taskId: task, limit: 100)).allSatisfy { $0.runId == runs[1] })
      let everywhere = LonLatBox(minLon: -180, minLat: -90, maxLon: 180, maxLat: 90)
      #expect(
        try store.layerObjectCount(LayerQuery(taskId: task, box: everywhere, limit: 1), atMost: 100) == 3)
    }
  }

  @Test(arguments: StoreContract.Backend.allCases) func aSecretIsKeptOnce(_ backend: StoreContract.Backend)
    throws
  {
    let (store, cleanUp) = try StoreContract.makeStore(backend)
    defer { cleanUp() }
    #expect(try store.read { try $0.secret(named: "k") } == nil)
    #expect(try store.write { try $0.keepSecret(named: "k", value: "first") } == "first")
    #expect(try store.write { try $0.keepSecret(named: "k", value: "second") } == "first")
    #expect(try store.read { try $0.secret(named: "k") } == "first")
  }
}

extension LayerStoreContractTests {
  /// A box over most of a large layer is read in row order rather than from the index: the same
  /// objects, pages and counts either way.
  @Test(arguments: StoreContract.Backend.allCases) func aBoxOverMostOfALargeLayerPagesTheSame(
    _ backend: StoreContract.Backend
  ) throws {
    let (store, cleanUp, task, runs) = try Self.layered(backend)
    defer { cleanUp() }
    // 60 × 60 squares: 3,600 objects, more than a box is read from the index for.
    var rows: [LayerObjectRecord] = []
    for r in 0..<60 {
      for c in 0..<60 {
        var row = Self.grid(task: task, run: runs[1])[0]
        let (lon, lat) = (15 + Double(c) * 0.01, 45 + Double(r) * 0.01)
        row.objectKey = "\(r)-\(c)"
        row.status = "accepted"
        row.geometry = Self.square(lon, lat)
        (row.minLon, row.minLat, row.maxLon, row.maxLat) = (lon, lat, lon + 0.005, lat + 0.005)
        rows.append(row)
      }
    }
    try store.write { store throws in
      try store.replaceLayer(ofTask: task, runId: runs[1], objects: &rows, builtAt: Timestamp.now())
    }
    let box = LonLatBox(minLon: 15.002, minLat: 45.002, maxLon: 15.4, maxLat: 45.45)
    let expected = rows.filter {
      $0.maxLon >= box.minLon && $0.minLon <= box.maxLon && $0.maxLat >= box.minLat && $0.minLat <= box.maxLat
    }.map(\.objectKey)
    #expect(expected.count == 41 * 46)
    try store.read { store throws in
      var paged: [String] = []
      var after: Int64?
      while true {
        let page = try store.layerObjects(
          LayerQuery(taskId: task, box: box, status: "accepted", after: after, limit: 500))
        paged += page.map(\.objectKey)
        guard page.count == 500 else { break }
        after = page.last!.id
      }
      #expect(paged == expected)
      let query = LayerQuery(taskId: task, box: box, status: "accepted", limit: 1)
      #expect(try store.layerObjectCount(query, atMost: 10_000) == expected.count)
      #expect(try store.layerObjectCount(query, atMost: 1000) == 1000)
    }
  }
}
