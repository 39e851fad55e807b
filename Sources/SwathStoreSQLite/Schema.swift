import GRDB

/// The SQLite schema as named migrations. Never edit a released migration: add a new one, so
/// a workspace made by any older Swath opens with the current code and keeps its data.
enum Schema {
  /// Migration identifiers, oldest first.
  static let migrations = [
    "v1-workflow", "v2-consensus", "v3-indexes", "v4-users", "v5-leases", "v6-chip-flags",
    "v7-coordinate-frames", "v8-idempotency-keys", "v9-jobs", "v10-read-indexes",
    "v11-label-schemas", "v12-review", "v13-gold", "v14-task-instructions",
    "v15-chip-rendering",
    "v16-job-heartbeats",
    "v17-layer-objects",
    "v18-export-archives",
  ]

  static var migrator: DatabaseMigrator {
    var migrator = DatabaseMigrator()

    migrator.registerMigration("v1-workflow") { db in
      try db.execute(
        sql: """
          CREATE TABLE images (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            path TEXT NOT NULL,
            sha256 TEXT NOT NULL,
            size_bytes INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            bands INTEGER NOT NULL,
            data_type TEXT NOT NULL,
            crs_wkt TEXT,
            epsg INTEGER,
            geotransform TEXT,            -- JSON array of GDAL's six coefficients
            footprint TEXT,               -- GeoJSON Polygon in WGS84
            added_at TEXT NOT NULL
          );
          CREATE TABLE tasks (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            image_id INTEGER NOT NULL REFERENCES images(id) ON DELETE RESTRICT,
            region TEXT NOT NULL,         -- as the analyst gave it
            labels TEXT NOT NULL,         -- JSON array of allowed labels
            chip_size INTEGER NOT NULL,
            overlap INTEGER NOT NULL,
            replicas INTEGER NOT NULL CHECK (replicas >= 1),
            iou REAL NOT NULL CHECK (iou > 0 AND iou <= 1),
            quorum REAL NOT NULL CHECK (quorum > 0 AND quorum <= 1),
            state TEXT NOT NULL CHECK (state IN ('open', 'closed')),
            chip_directory TEXT NOT NULL, -- relative to the workspace
            created_at TEXT NOT NULL,
            closed_at TEXT
          );
          CREATE TABLE chips (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_key TEXT NOT NULL,       -- the tiling engine's chip id
            column_offset INTEGER NOT NULL,
            row_offset INTEGER NOT NULL,
            width INTEGER NOT NULL,
            height INTEGER NOT NULL,
            geotransform TEXT NOT NULL,   -- JSON, the chip's own pixel→image-CRS transform
            footprint TEXT NOT NULL,      -- GeoJSON Polygon in WGS84
            min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL,
            valid_fraction REAL NOT NULL,
            path TEXT NOT NULL,           -- relative to the workspace
            UNIQUE (task_id, chip_key)
          );
          CREATE TABLE assignments (
            id INTEGER PRIMARY KEY,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            state TEXT NOT NULL CHECK (state IN ('pending', 'submitted')),
            assigned_at TEXT NOT NULL,
            UNIQUE (chip_id, annotator)
          );
          CREATE TABLE submissions (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER REFERENCES chips(id) ON DELETE CASCADE,
            requested_chip TEXT,          -- --chip as given, kept to re-process a 'received' row
            annotator TEXT NOT NULL,
            file_name TEXT NOT NULL,
            pixel_coordinates INTEGER NOT NULL DEFAULT 0,
            raw BLOB NOT NULL,            -- the file exactly as received
            received_at TEXT NOT NULL,
            receiver_pid INTEGER,
            status TEXT NOT NULL
              CHECK (status IN ('received', 'accepted', 'rejected', 'superseded')),
            report TEXT,                  -- validation report JSON
            reason TEXT,                  -- one-line reason of a rejection
            supersedes INTEGER REFERENCES submissions(id),
            source_id INTEGER REFERENCES submissions(id), -- the received file a per-chip part came from
            finalised_at TEXT
          );
          CREATE TABLE submission_features (
            id INTEGER PRIMARY KEY,
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            feature_index INTEGER NOT NULL,
            label TEXT,
            shape TEXT NOT NULL,
            geometry TEXT NOT NULL,       -- GeoJSON geometry in WGS84
            UNIQUE (submission_id, feature_index)
          );
          CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            command TEXT NOT NULL,
            action TEXT NOT NULL,
            detail TEXT NOT NULL
          );
          """)
    }

    migrator.registerMigration("v2-consensus") { db in
      try db.execute(
        sql: """
          CREATE TABLE consensus_runs (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            parameters TEXT NOT NULL,     -- JSON
            run_at TEXT NOT NULL,
            submission_count INTEGER NOT NULL,
            object_count INTEGER NOT NULL,
            result TEXT NOT NULL,         -- GeoJSON FeatureCollection in WGS84
            report TEXT NOT NULL          -- annotator report JSON
          );
          """)
    }

    migrator.registerMigration("v3-indexes") { db in
      try db.execute(
        sql: """
          CREATE INDEX assignments_by_annotator ON assignments(annotator, state);
          CREATE INDEX chips_by_task ON chips(task_id);
          CREATE INDEX submissions_by_chip ON submissions(task_id, chip_id, annotator, status);
          CREATE INDEX submissions_by_status ON submissions(status);
          CREATE INDEX features_by_submission ON submission_features(submission_id);
          CREATE INDEX consensus_by_task ON consensus_runs(task_id, id);
          """)
    }
    migrator.registerMigration("v4-users") { db in
      try db.execute(
        sql: """
          CREATE TABLE users (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            role TEXT NOT NULL CHECK (role IN ('annotator', 'reviewer', 'analyst', 'admin')),
            token_hash TEXT NOT NULL UNIQUE,  -- SHA-256 of the token; the token is never stored
            disabled INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            token_issued_at TEXT NOT NULL,
            disabled_at TEXT
          );
          """)
    }
    migrator.registerMigration("v5-leases") { db in
      try db.execute(
        sql: """
          ALTER TABLE tasks ADD COLUMN distribution TEXT NOT NULL DEFAULT 'assigned'
            CHECK (distribution IN ('assigned', 'leased'));
          ALTER TABLE tasks ADD COLUMN lease_seconds INTEGER NOT NULL DEFAULT 7200
            CHECK (lease_seconds > 0);
          CREATE TABLE leases (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            leased_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT,                -- released or answered before expiry
            end_reason TEXT
          );
          CREATE INDEX leases_by_task ON leases(task_id, chip_id);
          """)
    }
    migrator.registerMigration("v6-chip-flags") { db in
      try db.execute(
        sql: """
          CREATE TABLE chip_flags (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('bad_imagery', 'skip')),
            comment TEXT,
            flagged_at TEXT NOT NULL
          );
          CREATE INDEX chip_flags_by_task ON chip_flags(task_id, chip_id);
          """)
    }
    migrator.registerMigration("v7-coordinate-frames") { db in
      try db.execute(
        sql: """
          ALTER TABLE submissions ADD COLUMN coordinates TEXT NOT NULL DEFAULT 'lonlat'
            CHECK (coordinates IN ('lonlat', 'pixel', 'crs'));
          UPDATE submissions SET coordinates = 'pixel' WHERE pixel_coordinates = 1;
          """)
    }
    migrator.registerMigration("v8-idempotency-keys") { db in
      try db.execute(
        sql: """
          CREATE TABLE idempotency_keys (
            id INTEGER PRIMARY KEY,
            user TEXT NOT NULL,
            key TEXT NOT NULL,
            method TEXT NOT NULL,
            path TEXT NOT NULL,
            request_sha256 TEXT NOT NULL,
            status INTEGER,               -- NULL while the first request runs
            content_type TEXT,
            body BLOB,
            created_at TEXT NOT NULL,
            completed_at TEXT,
            owner TEXT,                   -- pid@host of the process running the first request
            UNIQUE (user, key)
          );
          """)
    }
    migrator.registerMigration("v9-jobs") { db in
      try db.execute(
        sql: """
          CREATE TABLE jobs (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('create_task', 'consensus')),
            parameters TEXT NOT NULL,     -- JSON
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
            step TEXT,
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER,
            result TEXT,                  -- JSON
            error TEXT,
            created_by TEXT NOT NULL,
            created_by_role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            worker TEXT                   -- pid@host of the process running it
          );
          CREATE INDEX jobs_by_state ON jobs(state, id);
          """)
    }
    // Every lease, answer and chip view asks for the running leases, or one annotator's leases
    // and answers.
    migrator.registerMigration("v10-read-indexes") { db in
      try db.execute(
        sql: """
          CREATE INDEX leases_by_annotator ON leases(task_id, annotator, expires_at);
          CREATE INDEX leases_by_expiry ON leases(task_id, expires_at);
          CREATE INDEX submissions_by_annotator ON submissions(task_id, annotator, status);
          """)
    }
    migrator.registerMigration("v11-label-schemas") { db in
      try db.execute(
        sql: """
          ALTER TABLE tasks ADD COLUMN label_schema TEXT;               -- JSON; NULL: names only
          ALTER TABLE submission_features ADD COLUMN attributes TEXT;  -- JSON object
          """)
    }
    migrator.registerMigration("v12-review") { db in
      try db.execute(
        sql: """
          CREATE TABLE review_decisions (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES consensus_runs(id) ON DELETE CASCADE,
            object_index INTEGER,         -- NULL: an object the reviewer added
            decision TEXT NOT NULL
              CHECK (decision IN ('accept', 'reject', 'relabel', 'attributes', 'geometry', 'add')),
            reason TEXT,
            label TEXT,
            attributes TEXT,              -- JSON object
            geometry TEXT,                -- GeoJSON, WGS84
            reviewer TEXT NOT NULL,
            decided_at TEXT NOT NULL,
            overridden INTEGER NOT NULL DEFAULT 0,
            carried_from INTEGER REFERENCES review_decisions(id),
            UNIQUE (run_id, object_index)  -- one decision per object of a run
          );
          CREATE INDEX review_decisions_by_task ON review_decisions(task_id, run_id);
          CREATE TABLE review_leases (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES consensus_runs(id) ON DELETE CASCADE,
            object_index INTEGER NOT NULL,
            reviewer TEXT NOT NULL,
            leased_at TEXT NOT NULL,
            expires_at TEXT NOT NULL,
            ended_at TEXT
          );
          CREATE INDEX review_leases_by_task ON review_leases(task_id, expires_at);
          CREATE TABLE chip_reviews (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            reviewer TEXT NOT NULL,
            verdict TEXT NOT NULL CHECK (verdict IN ('validated', 'invalidated')),
            comment TEXT,
            reviewed_at TEXT NOT NULL,
            overridden INTEGER NOT NULL DEFAULT 0
          );
          CREATE INDEX chip_reviews_by_task ON chip_reviews(task_id, chip_id);
          CREATE TABLE review_settings (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id) ON DELETE CASCADE,
            accept REAL NOT NULL,
            reject REAL NOT NULL
          );
          """)
    }
    migrator.registerMigration("v13-gold") { db in
      try db.execute(
        sql: """
          CREATE TABLE gold_chips (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            added_by TEXT NOT NULL,
            added_at TEXT NOT NULL,
            UNIQUE (task_id, chip_id)
          );
          CREATE TABLE gold_objects (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            feature_index INTEGER NOT NULL,
            label TEXT NOT NULL,
            shape TEXT NOT NULL,
            geometry TEXT NOT NULL,       -- GeoJSON, WGS84
            attributes TEXT               -- JSON object
          );
          CREATE INDEX gold_objects_by_task ON gold_objects(task_id, feature_index);
          CREATE TABLE gold_scores (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            chip_id INTEGER NOT NULL REFERENCES chips(id) ON DELETE CASCADE,
            submission_id INTEGER NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
            annotator TEXT NOT NULL,
            true_positives INTEGER NOT NULL,
            false_positives INTEGER NOT NULL,
            false_negatives INTEGER NOT NULL,
            mean_iou REAL NOT NULL,
            scored_at TEXT NOT NULL
          );
          CREATE INDEX gold_scores_by_task ON gold_scores(task_id, annotator);
          CREATE TABLE gold_settings (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id) ON DELETE CASCADE,
            min_f1 REAL NOT NULL CHECK (min_f1 >= 0 AND min_f1 <= 1)
          );
          """)
    }
    migrator.registerMigration("v14-task-instructions") { db in
      try db.execute(sql: "ALTER TABLE tasks ADD COLUMN instructions TEXT;  -- NULL: none given")
    }
    migrator.registerMigration("v15-chip-rendering") { db in
      try db.execute(
        sql: """
          ALTER TABLE tasks ADD COLUMN chip_source TEXT NOT NULL DEFAULT 'precut'
            CHECK (chip_source IN ('precut', 'on-demand'));
          ALTER TABLE tasks ADD COLUMN chip_look TEXT;  -- JSON {bands, stretch, alpha}; NULL: not kept
          """)
    }
    migrator.registerMigration("v16-job-heartbeats") { db in
      try db.execute(sql: "ALTER TABLE jobs ADD COLUMN heartbeat_at TEXT;  -- NULL: not running")
    }
    // The final layers as rows, their boxes in an R*Tree kept by triggers. Workspaces that
    // predate it get their rows built by the workflow on first use (`layer_builds` says from
    // which run the rows were built).
    migrator.registerMigration("v17-layer-objects") { db in
      try db.execute(
        sql: """
          CREATE TABLE layer_objects (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES consensus_runs(id) ON DELETE CASCADE,
            object_key TEXT NOT NULL,     -- RUN-INDEX, or RUN-aDECISION for an added object
            label TEXT,
            status TEXT NOT NULL,         -- accepted, rejected
            review_state TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            properties TEXT NOT NULL,     -- JSON object
            geometry TEXT NOT NULL,       -- GeoJSON in WGS84
            feature TEXT NOT NULL,        -- the whole GeoJSON Feature, as served
            min_lon REAL NOT NULL, min_lat REAL NOT NULL, max_lon REAL NOT NULL, max_lat REAL NOT NULL,
            UNIQUE (task_id, object_key)
          );
          CREATE INDEX layer_objects_by_task ON layer_objects(task_id, status);
          CREATE VIRTUAL TABLE layer_objects_rtree USING rtree(id, min_lon, max_lon, min_lat, max_lat);
          CREATE TRIGGER layer_objects_rtree_insert AFTER INSERT ON layer_objects BEGIN
            INSERT INTO layer_objects_rtree VALUES (NEW.id, NEW.min_lon, NEW.max_lon, NEW.min_lat, NEW.max_lat);
          END;
          CREATE TRIGGER layer_objects_rtree_update AFTER UPDATE OF min_lon, min_lat, max_lon, max_lat
          ON layer_objects BEGIN
            UPDATE layer_objects_rtree SET min_lon = NEW.min_lon, max_lon = NEW.max_lon,
              min_lat = NEW.min_lat, max_lat = NEW.max_lat WHERE id = NEW.id;
          END;
          CREATE TRIGGER layer_objects_rtree_delete AFTER DELETE ON layer_objects BEGIN
            DELETE FROM layer_objects_rtree WHERE id = OLD.id;
          END;
          CREATE TABLE layer_builds (
            id INTEGER PRIMARY KEY,
            task_id INTEGER NOT NULL UNIQUE REFERENCES tasks(id) ON DELETE CASCADE,
            run_id INTEGER NOT NULL REFERENCES consensus_runs(id) ON DELETE CASCADE,
            built_at TEXT NOT NULL
          );
          CREATE TABLE secrets (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            value TEXT NOT NULL
          );
          """)
    }
    // Exports become jobs, whose archives are kept in the store so that any node can serve
    // them. SQLite cannot change a CHECK constraint: the jobs table is rebuilt with the new kind.
    migrator.registerMigration("v18-export-archives") { db in
      try db.execute(
        sql: """
          CREATE TABLE jobs_new (
            id INTEGER PRIMARY KEY,
            kind TEXT NOT NULL CHECK (kind IN ('create_task', 'consensus', 'export')),
            parameters TEXT NOT NULL,     -- JSON
            state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed')),
            step TEXT,
            done INTEGER NOT NULL DEFAULT 0,
            total INTEGER,
            result TEXT,                  -- JSON
            error TEXT,
            created_by TEXT NOT NULL,
            created_by_role TEXT NOT NULL,
            created_at TEXT NOT NULL,
            started_at TEXT,
            finished_at TEXT,
            worker TEXT,                  -- pid@host of the process running it
            heartbeat_at TEXT             -- NULL: not running
          );
          INSERT INTO jobs_new SELECT id, kind, parameters, state, step, done, total, result, error,
            created_by, created_by_role, created_at, started_at, finished_at, worker, heartbeat_at FROM jobs;
          DROP TABLE jobs;
          ALTER TABLE jobs_new RENAME TO jobs;
          CREATE INDEX jobs_by_state ON jobs(state, id);
          CREATE TABLE job_archives (
            job_id INTEGER NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
            part INTEGER NOT NULL,
            bytes BLOB NOT NULL,
            PRIMARY KEY (job_id, part)
          );
          """)
    }
    return migrator
  }
}
