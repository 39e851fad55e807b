import Foundation
import GRDB
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathStoreSQLite

@Suite struct MigrationTests {
  @Test func storeFromFirstMigrationOpensMigratedWithDataKept() throws {
    let folder = try TestSupport.temporaryDirectory("swath-store")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("swath.sqlite").path
    do {
      let old = try SQLiteStore(path: path, migrateUpTo: SQLiteStore.migrations[0])
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
      #expect(try old.appliedMigrations() == [SQLiteStore.migrations[0]])
    }
    let store = try SQLiteStore(path: path)
    #expect(try store.appliedMigrations() == SQLiteStore.migrations)
    let task = try #require(try store.read { store in try store.task(named: "roofs") })
    #expect(task.labels == ["building"])
    #expect(task.state == .open)
    let hasRuns = try store.pool.read { db in try db.tableExists("consensus_runs") }
    #expect(hasRuns)
    let journal = try store.pool.read { db in try String.fetchOne(db, sql: "PRAGMA journal_mode") }
    #expect(journal == "wal")
    let foreignKeys = try store.pool.read { db in try Int.fetchOne(db, sql: "PRAGMA foreign_keys") }
    #expect(foreignKeys == 1)
  }

  /// Submissions stored before coordinate frames keep their meaning: pixel files stay pixel.
  @Test func coordinateFramesComeFromThePixelFlag() throws {
    let folder = try TestSupport.temporaryDirectory("swath-store")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("swath.sqlite").path
    do {
      let old = try SQLiteStore(path: path, migrateUpTo: "v6-chip-flags")
      try old.pool.write { db in
        try db.execute(
          sql: """
            INSERT INTO images (name, path, sha256, size_bytes, width, height, bands, data_type, added_at)
            VALUES ('scene', '/data/scene.tif', 'abc', 10, 100, 80, 3, 'Byte', '2026-01-01T00:00:00Z');
            INSERT INTO tasks (name, image_id, region, labels, chip_size, overlap, replicas, iou, quorum,
              state, chip_directory, created_at)
            VALUES ('roofs', 1, 'all', '["building"]', 512, 64, 3, 0.5, 0.5, 'open', 'chips/roofs',
              '2026-01-01T00:00:00Z');
            INSERT INTO submissions (task_id, annotator, file_name, pixel_coordinates, raw, received_at, status)
            VALUES (1, 'ana', 'a.geojson', 0, x'7b7d', '2026-01-01T00:00:00Z', 'received'),
                   (1, 'ben', 'b.geojson', 1, x'7b7d', '2026-01-01T00:00:00Z', 'received');
            """)
      }
    }
    let store = try SQLiteStore(path: path)
    let rows = try store.read { store in try store.submissions(withStatus: .received) }
    #expect(rows.map(\.coordinates) == [.lonLat, .chipPixels])
    #expect(rows.map(\.pixelCoordinates) == [false, true])
    let task = try #require(try store.read { store in try store.task(named: "roofs") })
    #expect(task.distribution == .assigned && task.leaseSeconds == 7200)
  }
}

@Suite struct JobMigrationTests {
  /// The jobs table is rebuilt to admit export jobs: a workspace's jobs, running or finished,
  /// keep every column, and an export job with its archive can then be stored.
  @Test func jobsKeepTheirRowsWhenExportsArrive() throws {
    let folder = try TestSupport.temporaryDirectory("swath-store")
    defer { try? FileManager.default.removeItem(at: folder) }
    let path = folder.appendingPathComponent("swath.sqlite").path
    do {
      let old = try SQLiteStore(path: path, migrateUpTo: "v16-job-heartbeats")
      try old.pool.write { db in
        try db.execute(
          sql: """
            INSERT INTO jobs (kind, parameters, state, step, done, total, created_by, created_by_role,
              created_at, started_at, worker, heartbeat_at)
            VALUES ('consensus', '{"task":"roofs"}', 'running', 'match', 3, 9, 'lena', 'analyst',
              '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:01.000Z', '7@here', '2026-01-01T00:00:05.000Z');
            """)
      }
    }
    let store = try SQLiteStore(path: path)
    let kept = try #require(try store.read { try $0.job(id: 1) })
    #expect(kept.kind == .consensus && kept.state == .running && kept.done == 3 && kept.total == 9)
    #expect(kept.worker == "7@here" && kept.heartbeatAt == "2026-01-01T00:00:05.000Z")
    try store.write { store in
      var export = JobRecord(
        kind: .export, parameters: #"{"task":"roofs"}"#, createdBy: "lena", createdByRole: .analyst,
        createdAt: Timestamp.now())
      try store.insert(&export)
      try store.insertArchivePart(ofJob: export.id!, index: 0, bytes: Data([1, 2, 3]))
      try store.insertArchivePart(ofJob: export.id!, index: 1, bytes: Data([4]))
    }
    #expect(try store.read { try $0.archive(ofJob: 2) } == JobArchive(bytes: 4, parts: 2))
    #expect(try store.read { try $0.archivePart(ofJob: 2, index: 1) } == Data([4]))
    #expect(try store.read { try $0.archive(ofJob: 1) } == nil)
  }
}
