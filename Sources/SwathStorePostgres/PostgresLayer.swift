import PostgresNIO
import SwathStore

// MARK: Final layers

/// The rows of the final layers: boxes answered by the GiST index on `geom`, then the exact box
/// columns (GiST keeps single-precision boxes); pages in row order after a key.
extension PostgresTransaction {
  func latestConsensusRunId(ofTask taskId: Int64) throws -> Int64? {
    try rows("SELECT MAX(id) FROM consensus_runs WHERE task_id = $1", [.integer(taskId)]).first?.decode(
      Int64?.self)
  }

  func layerBuild(ofTask taskId: Int64) throws -> LayerBuildRecord? {
    try one("SELECT * FROM layer_builds WHERE task_id = $1", [.integer(taskId)])
  }

  /// A box that holds few objects is read from the GiST index and sorted; one that holds many is
  /// read in row order (the task's index), box columns checked, until the page is full.
  func layerObjects(_ query: LayerQuery) throws -> [LayerObjectRecord] {
    let spatial = try query.box != nil && layerObjectCount(query, atMost: Self.manyInBox) < Self.manyInBox
    var (sql, values) = Self.layerSelection(query, columns: "*", spatialIndex: spatial)
    if let after = query.after {
      values.append(.integer(after))
      sql += " AND id > $\(values.count)"
    }
    values.append(.integer(Int64(query.limit)))
    sql += " ORDER BY id LIMIT $\(values.count)"
    return try all(sql, values)
  }

  /// From this many objects in a box on, a page is read in row order.
  private static let manyInBox = 2000

  func layerObjectCount(_ query: LayerQuery, atMost: Int) throws -> Int {
    var (selection, values) = Self.layerSelection(query, columns: "1", spatialIndex: true)
    values.append(.integer(Int64(atMost)))
    return Int(
      try rows("SELECT COUNT(*) FROM (\(selection) LIMIT $\(values.count)) AS matched", values).first?.decode(
        Int64.self) ?? 0)
  }

  func layerObject(taskId: Int64, key: String) throws -> LayerObjectRecord? {
    try one(
      "SELECT * FROM layer_objects WHERE task_id = $1 AND object_key = $2", [.integer(taskId), .text(key)])
  }

  func layerSummary(ofTask taskId: Int64, status: String?) throws -> LayerSummary {
    var values: [ColumnValue] = [.integer(taskId)]
    var sql = """
      SELECT COUNT(*), MIN(min_lon), MIN(min_lat), MAX(max_lon), MAX(max_lat), MIN(updated_at), MAX(updated_at)
      FROM layer_objects WHERE task_id = $1
      """
    if let status {
      values.append(.text(status))
      sql += " AND status = $2"
    }
    guard let row = try rows(sql, values).first else {
      return LayerSummary(count: 0, box: nil, firstUpdate: nil, lastUpdate: nil)
    }
    let (count, minLon, minLat, maxLon, maxLat, first, last) = try row.decode(
      (Int64, Double?, Double?, Double?, Double?, String?, String?).self)
    var box: LonLatBox?
    if let minLon, let minLat, let maxLon, let maxLat {
      box = LonLatBox(minLon: minLon, minLat: minLat, maxLon: maxLon, maxLat: maxLat)
    }
    return LayerSummary(count: Int(count), box: box, firstUpdate: first, lastUpdate: last)
  }

  /// The rows go in 500 at a time, one statement each, in the objects' order (so row order is
  /// layer order).
  func replaceLayer(ofTask taskId: Int64, runId: Int64, objects: inout [LayerObjectRecord], builtAt: String)
    throws
  {
    try execute("DELETE FROM layer_objects WHERE task_id = $1", [.integer(taskId)])
    try insertRecords(&objects, key: "object_key") { $0.objectKey }
    // The planner's statistics follow the new rows, so that a small box is read from the index.
    try execute("ANALYZE layer_objects")
    try execute(
      """
      INSERT INTO layer_builds (task_id, run_id, built_at) VALUES ($1, $2, $3)
      ON CONFLICT (task_id) DO UPDATE SET run_id = excluded.run_id, built_at = excluded.built_at
      """, [.integer(taskId), .integer(runId), .text(builtAt)])
  }

  func insert(_ object: inout LayerObjectRecord) throws { try insertRecord(&object) }

  func update(_ object: LayerObjectRecord) throws { try updateRecord(object) }

  func secret(named name: String) throws -> String? {
    try rows("SELECT value FROM secrets WHERE name = $1", [.text(name)]).first?.decode(String.self)
  }

  func keepSecret(named name: String, value: String) throws -> String {
    try execute(
      "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
      [.text(name), .text(value)])
    return try secret(named: name) ?? value
  }

  /// `SELECT columns` of the objects `query` matches, before paging, and the values bound.
  private static func layerSelection(_ query: LayerQuery, columns: String, spatialIndex: Bool) -> (
    String, [ColumnValue]
  ) {
    var values: [ColumnValue] = [.integer(query.taskId)]
    var sql = "SELECT \(columns) FROM layer_objects WHERE task_id = $1"
    if let box = query.box {
      values += [.real(box.minLon), .real(box.minLat), .real(box.maxLon), .real(box.maxLat)]
      if spatialIndex { sql += " AND geom && ST_MakeEnvelope($2, $3, $4, $5, 4326)" }
      sql += " AND min_lon <= $4 AND max_lon >= $2 AND min_lat <= $5 AND max_lat >= $3"
    }
    if let label = query.label {
      values.append(.text(label))
      sql += " AND label = $\(values.count)"
    }
    if let status = query.status {
      values.append(.text(status))
      sql += " AND status = $\(values.count)"
    }
    if let from = query.updatedFrom {
      values.append(.text(from))
      sql += " AND updated_at >= $\(values.count)"
    }
    if let until = query.updatedUntil {
      values.append(.text(until))
      sql += " AND updated_at <= $\(values.count)"
    }
    return (sql, values)
  }
}
