import Foundation
import GRDB
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// A workspace with the Atlanta pan image tasked into 16 real chips (256 px, 32 px overlap),
/// every chip assigned to ana, ben and chloe.
struct AtlantaTask {
  static let image = "spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif"
  let url: URL
  let store: Workspace

  /// `labelSchema`: a label schema document for `--labels-file` instead of `--labels building,vehicle`.
  init(replicas: Int = 3, annotators: String = "ana,ben,chloe", labelSchema: String? = nil) throws {
    (url, store) = try Fixtures.workspace()
    try run(["image", "add", TestSupport.image(Self.image).path, "--name", "atlanta"])
    let labels =
      try labelSchema.map {
        ["--labels-file", try Fixtures.writeJSON($0, in: url, name: "labels.json").path]
      }
      ?? ["--labels", "building,vehicle"]
    try run(
      ["task", "create", "--image", "atlanta", "--region", "px:0,0,900,900"] + labels + [
        "--chip-size", "256", "--overlap", "32", "--replicas", "\(replicas)", "--name", "roofs",
      ])
    try run(["task", "assign", "roofs", "--annotators", annotators])
  }

  func remove() { try? FileManager.default.removeItem(at: url) }

  @discardableResult
  func run(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    let result = try swath(arguments)
    if result.status != 0 {
      throw StoreError("swath \(arguments.joined(separator: " ")) failed: \(result.stderr)")
    }
    return result
  }

  func swath(_ arguments: [String]) throws -> TestSupport.ProcessResult {
    try TestSupport.swath(arguments, environment: ["SWATH_WORKSPACE": url.path])
  }

  func chip(_ key: String) throws -> SwathStore.ChipRecord {
    try store.store.read { store in
      let task = try #require(try store.task(named: "roofs"))
      return try #require(try store.chip(taskId: task.id!, key: key))
    }
  }

  /// A pixel rectangle of a chip as a WGS84 ring, converted independently of the store's code.
  func lonLatRing(chip key: String, _ x0: Double, _ y0: Double, _ x1: Double, _ y1: Double) throws
    -> [[Double]]
  {
    let chip = try chip(key)
    let wkt = try #require(try store.store.read { try $0.images().first?.crsWkt })
    let transform = GeoTransform(chip.geotransform)
    let toWGS84 = try CoordinateTransform(
      from: SpatialReference(definition: wkt), to: SpatialReference.wgs84())
    return try [(x0, y0), (x0, y1), (x1, y1), (x1, y0), (x0, y0)].map { corner in
      let projected = transform.apply(column: corner.0, row: corner.1)
      let lonLat = try toWGS84.transform(x: projected.x, y: projected.y)
      return [lonLat.x, lonLat.y]
    }
  }

  func file(_ name: String, _ text: String) throws -> URL {
    try Fixtures.writeJSON(text, in: url, name: name)
  }

  func submissions() throws -> [SubmissionRecord] {
    try store.store.read { store in
      let task = try #require(try store.task(named: "roofs"))
      return try store.submissionSummaries(ofTask: task.id!).map {
        try #require(try store.submission(id: $0.id))
      }
    }
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct SubmissionTests {
  @Test(.sqliteFileOnly) func lonLatAndPixelSubmissionsAreStoredInWGS84() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let ring = try task.lonLatRing(chip: "r0001_c0001", 40, 40, 120, 100)
    let lonLat = try task.file(
      "ana.geojson", GeoJSONFixture.collection([("building", ring)]))
    let accepted = try task.swath([
      "submit", "roofs", "--annotator", "ana", lonLat.path, "--chip", "r0001_c0001",
    ])
    #expect(accepted.status == 0, "\(accepted.stderr)")
    #expect(accepted.stdout.contains("accepted") && accepted.stdout.contains("1 feature(s)"))

    let pixel = try task.file(
      "ben.geojson",
      GeoJSONFixture.collection([("vehicle", GeoJSONFixture.pixelSquare(40, 40, 120, 100))]))
    let pixelResult = try task.swath([
      "submit", "roofs", "--annotator", "ben", pixel.path, "--chip", "r0001_c0001", "--pixel",
    ])
    #expect(pixelResult.status == 0, "\(pixelResult.stderr)")

    let rows = try task.submissions()
    #expect(rows.map(\.status) == [.accepted, .accepted])
    #expect(rows[0].raw == (try Data(contentsOf: lonLat)))
    #expect(rows[1].raw == (try Data(contentsOf: pixel)) && rows[1].pixelCoordinates)
    let features = try task.store.sql { db in
      try SubmissionFeatureRecord.order(Column("submission_id")).fetchAll(db)
    }
    #expect(features.map(\.label) == ["building", "vehicle"])
    let stored = try #require(GeoJSONGeometry.multiPolygon(text: features[1].geometry))
    // The pixel square lands where the test's own conversion puts it, to well under a millimetre.
    for (point, expected) in zip(stored.polygons[0].shell, ring) {
      #expect(abs(point.x - expected[0]) < 1e-9 && abs(point.y - expected[1]) < 1e-9)
    }
    let status = try JSONDecoder().decode(
      StatusReport.self, from: Data(try task.run(["status", "roofs", "--json"]).stdout.utf8))
    #expect(status.submissions["accepted"] == 2)
    #expect(status.perChip.first { $0.chip == "r0001_c0001" }?.submitted.sorted() == ["ana", "ben"])
    let queue = try JSONDecoder().decode(
      QueueReport.self,
      from: Data(try task.run(["queue", "--annotator", "ana", "--json"]).stdout.utf8))
    #expect(queue.pending.count == 15 && !queue.pending.contains { $0.chip == "r0001_c0001" })
  }

  /// A file in the scene's own CRS (as QGIS exports in a project CRS, no crs member) is taken
  /// with `--coordinates crs` and stored in WGS84 where the test's own conversion puts it.
  @Test(.sqliteFileOnly) func sceneCRSSubmissionsAreStoredInWGS84() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let chip = try task.chip("r0001_c0001")
    let transform = GeoTransform(chip.geotransform)
    let utm = [(40.0, 40.0), (40, 100), (120, 100), (120, 40), (40, 40)].map { corner -> [Double] in
      let point = transform.apply(column: corner.0, row: corner.1)
      return [point.x, point.y]
    }
    let file = try task.file("chloe-utm.geojson", GeoJSONFixture.collection([("building", utm)]))
    // Read as lon/lat, the same file is refused: its numbers are far out of range.
    let asLonLat = try task.swath([
      "submit", "roofs", "--annotator", "chloe", file.path, "--chip", "r0001_c0001",
    ])
    #expect(asLonLat.status == 1 && asLonLat.stdout.contains("longitude-out-of-range"), "\(asLonLat.stdout)")
    let result = try task.swath([
      "submit", "roofs", "--annotator", "chloe", file.path, "--chip", "r0001_c0001", "--coordinates", "crs",
    ])
    #expect(result.status == 0, "\(result.stderr)")
    let rows = try task.submissions()
    #expect(rows.map(\.status) == [.rejected, .accepted] && rows[1].coordinates == .imageCRS)
    let stored = try task.store.sql { db in try SubmissionFeatureRecord.fetchAll(db) }
    let shape = try #require(GeoJSONGeometry.multiPolygon(text: stored[0].geometry))
    for (point, expected) in zip(
      shape.polygons[0].shell, try task.lonLatRing(chip: "r0001_c0001", 40, 40, 120, 100))
    {
      #expect(abs(point.x - expected[0]) < 1e-9 && abs(point.y - expected[1]) < 1e-9)
    }
    let contradiction = try task.swath([
      "submit", "roofs", "--annotator", "chloe", file.path, "--pixel", "--coordinates", "crs",
    ])
    #expect(contradiction.status == 2)
  }

  /// SpaceNet-style labels: the scene's own UTM coordinates under a legacy `crs` member.
  @Test(.sqliteFileOnly) func aSubmissionInTheSceneCRSWithALegacyCRSMemberIsStoredInWGS84() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let transform = GeoTransform(try task.chip("r0001_c0001").geotransform)
    let utm = GeoJSONFixture.pixelSquare(40, 40, 120, 100).map { corner in
      let mapped = transform.apply(column: corner[0], row: corner[1])
      return [mapped.x, mapped.y]
    }
    #expect(utm[0][0] > 733_000 && utm[0][1] > 3_724_000)
    let collection = GeoJSONFixture.collection([("building", utm)])
    let text = collection.replacingOccurrences(
      of: #"{"type":"FeatureCollection","#,
      with:
        #"{"type":"FeatureCollection","crs":{"type":"name","properties":{"name":"urn:ogc:def:crs:EPSG::32616"}},"#
    )
    let file = try task.file("ana.geojson", text)
    let result = try task.swath(["submit", "roofs", "--annotator", "ana", file.path, "--chip", "r0001_c0001"])
    #expect(result.status == 0, "\(result.stdout)\(result.stderr)")

    let rows = try task.submissions()
    #expect(rows.map(\.status) == [.accepted])
    #expect(rows[0].raw == Data(text.utf8))
    let report = try JSONDecoder().decode(
      SubmissionProcessing.Report.self, from: Data(try #require(rows[0].report).utf8))
    #expect(report.valid && report.errors == 0 && report.chips == ["r0001_c0001"])
    let warning = try #require(report.issues.first { $0.code == "legacy-crs" })
    #expect(warning.severity == .warning && warning.path == "crs" && warning.message.contains("EPSG:32616"))
    let stored = try task.store.sql { db in try SubmissionFeatureRecord.fetchAll(db) }
    #expect(stored.count == 1)
    let row = try #require(stored.first)
    let geometry = try #require(GeoJSONGeometry.multiPolygon(text: row.geometry))
    let expected = try task.lonLatRing(chip: "r0001_c0001", 40, 40, 120, 100)
    #expect(geometry.polygons[0].shell.count == expected.count)
    for (point, want) in zip(geometry.polygons[0].shell, expected) {
      #expect(abs(point.x - want[0]) < 1e-9 && abs(point.y - want[1]) < 1e-9)
    }
  }

  @Test(.sqliteFileOnly) func refusalsGiveTheReasonAndKeepTheRawFile() throws {
    let task = try AtlantaTask(annotators: "ana,ben,chloe,dan")
    defer { task.remove() }
    let chipsOfDan = try task.store.sql { db in
      try String.fetchAll(
        db,
        sql: "SELECT c.chip_key FROM assignments a JOIN chips c ON c.id = a.chip_id WHERE a.annotator = 'dan'"
      )
    }
    let notDans = try #require(
      try task.store.sql { db in try String.fetchAll(db, sql: "SELECT chip_key FROM chips") }
        .first { !chipsOfDan.contains($0) })
    let square = GeoJSONFixture.pixelSquare(10, 10, 60, 60)
    let good = try task.file("good.geojson", GeoJSONFixture.collection([("building", square)]))
    let cases: [(arguments: [String], file: URL, expected: String)] = [
      (["--annotator", "dan", "--chip", notDans, "--pixel"], good, "not assigned to chip '\(notDans)'"),
      (
        ["--annotator", "ana", "--chip", "r0000_c0000", "--pixel"],
        try task.file("tree.geojson", GeoJSONFixture.collection([("tree", square)])),
        "label outside the task's labels (building, vehicle)"
      ),
      (
        ["--annotator", "ana", "--chip", "r0000_c0000", "--pixel"],
        try task.file(
          "outside.geojson",
          GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(300, 300, 340, 340))])),
        "feature 0 lies wholly outside chip 'r0000_c0000'"
      ),
      (
        ["--annotator", "ana", "--chip", "r0000_c0000"],
        try task.file("cut.geojson", "{\"type\":\"FeatureCollection\",\"features\":[{\"type\":"),
        "invalid file"
      ),
      (["--annotator", "ana", "--chip", "r9999_c9999", "--pixel"], good, "has no chip 'r9999_c9999'"),
    ]
    for (arguments, file, expected) in cases {
      let result = try task.swath(["submit", "roofs", file.path] + arguments)
      #expect(result.status == 1, "\(arguments)")
      #expect(result.stderr.contains(expected), "\(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
    }
    let invalid = try task.swath([
      "submit", "roofs", cases[3].file.path, "--annotator", "ana", "--chip", "r0000_c0000",
    ])
    #expect(invalid.stdout.contains("validation report") && invalid.stdout.contains("error:"))
    let rows = try task.submissions()
    #expect(rows.count == cases.count + 1)
    #expect(rows.allSatisfy { $0.status == .rejected && $0.reason != nil && $0.report != nil })
    for (row, testCase) in zip(rows, cases) {
      #expect(row.raw == (try Data(contentsOf: testCase.file)))
    }
    #expect(try task.store.sql { db in try SubmissionFeatureRecord.fetchCount(db) } == 0)

    #expect(try task.swath(["task", "close", "roofs"]).status == 0)
    let closed = try task.swath([
      "submit", "roofs", good.path, "--annotator", "ana", "--chip", "r0000_c0000", "--pixel",
    ])
    #expect(closed.status == 1 && closed.stderr.contains("task 'roofs' is closed"), "\(closed.stderr)")
  }

  @Test(.sqliteFileOnly) func aNewSubmissionSupersedesTheOldOneWhichStaysInHistory() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    let first = try task.file(
      "v1.geojson", GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(10, 10, 60, 60))]))
    let second = try task.file(
      "v2.geojson",
      GeoJSONFixture.collection([
        ("building", GeoJSONFixture.pixelSquare(12, 10, 62, 60)),
        ("vehicle", GeoJSONFixture.pixelSquare(100, 100, 120, 110)),
      ]))
    try task.run(["submit", "roofs", first.path, "--annotator", "ana", "--chip", "r0002_c0002", "--pixel"])
    let result = try task.run([
      "submit", "roofs", second.path, "--annotator", "ana", "--chip", "r0002_c0002", "--pixel",
    ])
    #expect(result.stdout.contains("supersedes #1"), "\(result.stdout)")
    let rows = try task.submissions()
    #expect(rows.map(\.status) == [.superseded, .accepted])
    #expect(rows[1].supersedes == rows[0].id)
    let features = try task.store.sql { db in try SubmissionFeatureRecord.fetchAll(db) }
    #expect(features.filter { $0.submissionId == rows[0].id }.count == 1)
    #expect(features.filter { $0.submissionId == rows[1].id }.count == 2)
  }

  @Test func withoutChipFeaturesGoToTheAssignedChipTheyOverlapMost() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    // r0000_c0000 holds pixels 0–255, r0000_c0001 starts at 224: a square at chip-0 pixels
    // 230–250 lies in both, but a square 240–300 overlaps chip 1 more.
    let inFirst = try task.lonLatRing(chip: "r0000_c0000", 20, 20, 60, 60)
    let straddling = try task.lonLatRing(chip: "r0000_c0000", 240, 20, 300, 60)
    let file = try task.file(
      "both.geojson", GeoJSONFixture.collection([("building", inFirst), ("vehicle", straddling)]))
    let result = try task.swath(["submit", "roofs", file.path, "--annotator", "chloe", "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let results = try JSONDecoder().decode([SubmissionResult].self, from: Data(result.stdout.utf8))
    #expect(results.map(\.chip) == ["r0000_c0000", "r0000_c0001"])
    #expect(results.map(\.features) == [1, 1])
    let rows = try task.submissions()
    #expect(rows.count == 2 && rows[1].sourceId == rows[0].id && rows[1].raw == rows[0].raw)

    let empty = try task.file("empty.geojson", "{\"type\":\"FeatureCollection\",\"features\":[]}")
    let noChip = try task.swath(["submit", "roofs", empty.path, "--annotator", "chloe"])
    #expect(
      noChip.status == 1 && noChip.stderr.contains("name the chip to report a chip with no objects"),
      "\(noChip.stderr)")
    let emptyChip = try task.swath([
      "submit", "roofs", empty.path, "--annotator", "chloe", "--chip", "r0003_c0003",
    ])
    #expect(emptyChip.status == 0 && emptyChip.stdout.contains("0 feature(s)"), "\(emptyChip.stderr)")
  }
}
