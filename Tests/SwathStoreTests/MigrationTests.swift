import Foundation
import GRDB
import Testing

@testable import SwathStore

@Suite struct MigrationTests {
  @Test func storeFromFirstMigrationOpensMigratedWithDataKept() throws {
    let workspace = try TestSupportPaths.temporaryWorkspace()
    defer { try? FileManager.default.removeItem(at: workspace) }
    do {
      let old = try Store(workspace: workspace, migrateUpTo: Schema.migrations[0])
      try old.pool.write { db in
        try db.execute(
          sql: """
            INSERT INTO images (name, path, sha256, size_bytes, width, height, bands, data_type, added_at)
            VALUES ('scene', '/data/scene.tif', 'abc', 10, 100, 80, 3, 'Byte', '2026-01-01T00:00:00Z');
            INSERT INTO tasks (name, image_id, region, labels, chip_size, overlap, replicas, iou, quorum,
              state, chip_directory, created_at)
            VALUES ('roofs', 1, 'all', '["building"]', 512, 64, 3, 0.5, 0.5, 'open', 'chips/roofs',
              '2026-01-01T00:00:00Z');
            """)
      }
      let tables = try old.pool.read { db in try db.tableExists("consensus_runs") }
      #expect(!tables)
    }
    let store = try Store.open(workspace: workspace)
    let applied = try store.read { db in try Schema.migrator.appliedIdentifiers(db) }
    #expect(applied == Set(Schema.migrations))
    let task = try store.read { db in try TaskCatalog.find("roofs", in: db) }
    #expect(task.labels == ["building"])
    #expect(task.state == .open)
    let hasRuns = try store.read { db in try db.tableExists("consensus_runs") }
    #expect(hasRuns)
    let journal = try store.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
    #expect(journal == "wal")
    let foreignKeys = try store.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
    #expect(foreignKeys == 1)
  }
}

enum TestSupportPaths {
  static func temporaryWorkspace() throws -> URL {
    let url = FileManager.default.temporaryDirectory
      .appendingPathComponent("swath-store-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
  }
}
