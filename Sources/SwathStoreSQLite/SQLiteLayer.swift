import GRDB
import SwathStore

// MARK: Final layers

/// The rows of the final layers: boxes answered by the `layer_objects_rtree` R*Tree, pages in
/// row order after a key (no OFFSET, so the thousandth page costs what the first does).
extension SQLiteTransaction {
  func latestConsensusRunId(ofTask taskId: Int64) throws -> Int64? {
    try Int64.fetchOne(
      db.cachedStatement(sql: "SELECT MAX(id) FROM consensus_runs WHERE task_id = ?"), arguments: [taskId])
  }

  func layerBuild(ofTask taskId: Int64) throws -> LayerBuildRecord? {
    try LayerBuildRecord.fetchOne(
      db.cachedStatement(sql: "SELECT * FROM layer_builds WHERE task_id = ?"), arguments: [taskId])
  }

  /// A box that holds few objects is read from the R*Tree and sorted; one that holds many is
  /// read in row order, box columns checked, until the page is full (a few rows per object
  /// found, instead of sorting most of the layer).
  func layerObjects(_ query: LayerQuery) throws -> [LayerObjectRecord] {
    let spatial = try query.box != nil && layerObjectCount(query, atMost: Self.manyInBox) < Self.manyInBox
    var (sql, arguments) = Self.layerSelection(query, columns: "o.*", spatialIndex: spatial)
    if let after = query.after {
      sql += " AND o.id > ?"
      arguments += [after]
    }
    sql += " ORDER BY o.id LIMIT ?"
    arguments += [query.limit]
    return try LayerObjectRecord.fetchAll(db.cachedStatement(sql: sql), arguments: arguments)
  }

  /// From this many objects in a box on, a page is read in row order.
  private static let manyInBox = 2000

  func layerObjectCount(_ query: LayerQuery, atMost: Int) throws -> Int {
    let (selection, arguments) = Self.layerSelection(query, columns: "1", spatialIndex: query.box != nil)
    return try Int.fetchOne(
      db.cachedStatement(sql: "SELECT COUNT(*) FROM (\(selection) LIMIT ?)"), arguments: arguments + [atMost])
      ?? 0
  }

  func layerObject(taskId: Int64, key: String) throws -> LayerObjectRecord? {
    try LayerObjectRecord.fetchOne(
      db.cachedStatement(sql: "SELECT * FROM layer_objects WHERE task_id = ? AND object_key = ?"),
      arguments: [taskId, key])
  }

  func layerSummary(ofTask taskId: Int64, status: String?) throws -> LayerSummary {
    var sql = """
      SELECT COUNT(*), MIN(min_lon), MIN(min_lat), MAX(max_lon), MAX(max_lat), MIN(updated_at), MAX(updated_at)
      FROM layer_objects WHERE task_id = ?
      """
    var arguments: StatementArguments = [taskId]
    if let status {
      sql += " AND status = ?"
      arguments += [status]
    }
    guard let row = try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments) else {
      return LayerSummary(count: 0, box: nil, firstUpdate: nil, lastUpdate: nil)
    }
    let count: Int = row[0]
    let box: LonLatBox? =
      count == 0 ? nil : LonLatBox(minLon: row[1], minLat: row[2], maxLon: row[3], maxLat: row[4])
    return LayerSummary(count: count, box: box, firstUpdate: row[5], lastUpdate: row[6])
  }

  func replaceLayer(ofTask taskId: Int64, runId: Int64, objects: inout [LayerObjectRecord], builtAt: String)
    throws
  {
    try db.execute(sql: "DELETE FROM layer_objects WHERE task_id = ?", arguments: [taskId])
    for index in objects.indices { try objects[index].insert(db) }
    try db.execute(
      sql: """
        INSERT INTO layer_builds (task_id, run_id, built_at) VALUES (?, ?, ?)
        ON CONFLICT (task_id) DO UPDATE SET run_id = excluded.run_id, built_at = excluded.built_at
        """, arguments: [taskId, runId, builtAt])
  }

  func insert(_ object: inout LayerObjectRecord) throws { try object.insert(db) }

  func update(_ object: LayerObjectRecord) throws { try object.update(db) }

  func secret(named name: String) throws -> String? {
    try String.fetchOne(
      db.cachedStatement(sql: "SELECT value FROM secrets WHERE name = ?"), arguments: [name])
  }

  func keepSecret(named name: String, value: String) throws -> String {
    try db.execute(
      sql: "INSERT INTO secrets (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING",
      arguments: [name, value])
    return try secret(named: name) ?? value
  }

  /// `SELECT columns` of the objects `query` matches, before paging. A box goes through the
  /// R*Tree (whose single-precision boxes are widened outwards), then the exact box columns.
  /// `CROSS JOIN` keeps SQLite from reading the task's rows first and looking each up in the
  /// R*Tree, which it would choose without statistics.
  private static func layerSelection(_ query: LayerQuery, columns: String, spatialIndex: Bool) -> (
    String, StatementArguments
  ) {
    var sql: String
    var arguments: StatementArguments
    if let box = query.box, spatialIndex {
      sql = """
        SELECT \(columns) FROM layer_objects_rtree r CROSS JOIN layer_objects o ON o.id = r.id
        WHERE r.min_lon <= ? AND r.max_lon >= ? AND r.min_lat <= ? AND r.max_lat >= ?
        AND o.min_lon <= ? AND o.max_lon >= ? AND o.min_lat <= ? AND o.max_lat >= ? AND o.task_id = ?
        """
      arguments = [
        box.maxLon, box.minLon, box.maxLat, box.minLat, box.maxLon, box.minLon, box.maxLat, box.minLat,
        query.taskId,
      ]
    } else if let box = query.box {
      sql = """
        SELECT \(columns) FROM layer_objects o
        WHERE o.task_id = ? AND o.min_lon <= ? AND o.max_lon >= ? AND o.min_lat <= ? AND o.max_lat >= ?
        """
      arguments = [query.taskId, box.maxLon, box.minLon, box.maxLat, box.minLat]
    } else {
      sql = "SELECT \(columns) FROM layer_objects o WHERE o.task_id = ?"
      arguments = [query.taskId]
    }
    if let label = query.label {
      sql += " AND o.label = ?"
      arguments += [label]
    }
    if let status = query.status {
      sql += " AND o.status = ?"
      arguments += [status]
    }
    if let from = query.updatedFrom {
      sql += " AND o.updated_at >= ?"
      arguments += [from]
    }
    if let until = query.updatedUntil {
      sql += " AND o.updated_at <= ?"
      arguments += [until]
    }
    return (sql, arguments)
  }
}
