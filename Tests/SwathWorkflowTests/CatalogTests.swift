import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct CatalogTests {
  @Test func imageAddRecordsChecksumCRSAndFootprint() throws {
    let (url, _) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let path = TestSupport.image(Fixtures.landsat).path
    let added = try TestSupport.swath(["image", "add", path, "--name", "bahamas", "--workspace", url.path])
    #expect(added.status == 0, "\(added.stderr)")
    let listed = try TestSupport.swath(
      ["image", "list", "--json"], environment: ["SWATH_WORKSPACE": url.path])
    #expect(listed.status == 0)
    let images = try #require(
      try JSONSerialization.jsonObject(with: Data(listed.stdout.utf8)) as? [[String: Any]])
    let image = try #require(images.first)
    // The SHA-256 listed in the imagery MANIFEST.
    #expect(image["sha256"] as? String == "d7cbe932c7ed74a627706a9e9df99f706df3e5abc7d45a49e9d00677a6b09eb4")
    #expect(image["size_bytes"] as? Int == 1_745_956)
    #expect(image["width"] as? Int == 791 && image["height"] as? Int == 718)
    #expect(image["epsg"] as? Int == 32618)
    #expect(image["data_type"] as? String == "Byte")
    let footprint = try #require(image["footprint"] as? [String: Any])
    let ring = try #require((footprint["coordinates"] as? [[[Double]]])?.first)
    // gdalinfo's corner coordinates (imagery/gdalinfo), in decimal degrees.
    let corners: [(Double, Double)] = [
      (-(78 + 57 / 60 + 31.14 / 3600), 25 + 30 / 60 + 21.91 / 3600),
      (-(78 + 53 / 60 + 53.28 / 3600), 23 + 33 / 60 + 53.97 / 3600),
      (-(76 + 35 / 60 + 57.98 / 3600), 25 + 33 / 60 + 3.15 / 3600),
      (-(76 + 34 / 60 + 29.73 / 3600), 23 + 36 / 60 + 21.41 / 3600),
    ]
    for (lon, lat) in corners {
      #expect(ring.contains { abs($0[0] - lon) < 1e-5 && abs($0[1] - lat) < 1e-5 }, "\(lon) \(lat)")
    }
    #expect(ring.count == 65)
    #expect(ring.first! == ring.last!)
  }

  @Test(.sqliteFileOnly) func imageAddRefusesWhatGDALCannotReadAndDuplicates() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let text = try Fixtures.writeJSON("not a raster\n", in: url, name: "notes.tif")
    let refused = try TestSupport.swath(["image", "add", text.path, "--workspace", url.path])
    #expect(refused.status == 1)
    #expect(refused.stderr.hasPrefix("swath: ") && refused.stderr.contains(text.path))
    #expect(refused.stderr.contains("not recognized as a supported file format"), "\(refused.stderr)")
    #expect(refused.stderr.split(separator: "\n").count == 1)
    let truncated = url.appendingPathComponent("cut.tif")
    let bytes = try Data(contentsOf: TestSupport.image(Fixtures.landsat))
    try bytes.prefix(2000).write(to: truncated)
    let cut = try TestSupport.swath(["image", "add", truncated.path, "--workspace", url.path])
    #expect(cut.status == 1 && cut.stderr.hasPrefix("swath: "), "\(cut.stderr)")
    let path = TestSupport.image(Fixtures.landsat).path
    #expect(try TestSupport.swath(["image", "add", path, "--workspace", url.path]).status == 0)
    let again = try TestSupport.swath(["image", "add", path, "--workspace", url.path])
    #expect(again.status == 1 && again.stderr.contains("already registered"))
    let count = try store.sql { db in try ImageRecord.fetchCount(db) }
    #expect(count == 1)
    let audit = try store.sql { db in try AuditEntry.filter(Column("action") == "image.add").fetchAll(db) }
    #expect(audit.count == 1 && audit[0].detail.contains("d7cbe932"))
  }

  @Test func commandsOutsideAWorkspaceFailWithOneLine() throws {
    let empty = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: empty) }
    for arguments in [
      ["image", "list"], ["task", "list"], ["status", "roofs"], ["queue", "--annotator", "ana"],
    ] {
      let result = try TestSupport.swath(arguments + ["--workspace", empty.path])
      #expect(result.status == 1)
      #expect(result.stderr.hasPrefix("swath: no Swath workspace in \(empty.path)"), "\(result.stderr)")
      #expect(result.stderr.split(separator: "\n").count == 1)
    }
    #expect(
      !FileManager.default.fileExists(atPath: empty.appendingPathComponent(Workspace.storeFileName).path))
  }

  @Test(.sqliteFileOnly) func everyCommandHasHelpWithAnExample() throws {
    let commands: [[String]] = [
      ["init"], ["image", "add"], ["image", "list"], ["task", "create"], ["task", "assign"],
      ["task", "list"], ["task", "show"], ["task", "close"], ["queue"], ["submit"], ["status"],
      ["consensus"], ["export"],
    ]
    for command in commands {
      let help = try TestSupport.swath(command + ["--help"])
      #expect(help.status == 0, "\(command)")
      #expect(help.stdout.contains("Example") && help.stdout.contains("swath \(command[0])"), "\(command)")
    }
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct AssignmentTests {
  func assignments(_ store: Workspace) throws -> [String: [String]] {
    try store.store.read { store in
      var byChip: [String: [String]] = [:]
      for task in try store.tasks() {
        let keys = Dictionary(
          uniqueKeysWithValues: try store.chips(ofTask: task.id!).map { ($0.id!, $0.chipKey) })
        for assignment in try store.assignments(ofTask: task.id!).sorted(by: { $0.id! < $1.id! }) {
          byChip[keys[assignment.chipId]!, default: []].append(assignment.annotator)
        }
      }
      return byChip
    }
  }

  @Test func everyChipGetsDistinctAnnotatorsBalancedAndReproducibly() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store)  // 791×718 in 200 px chips: 4×4 = 16 chips
    let result = try TestSupport.swath(
      ["task", "assign", "roofs", "--annotators", "dan,ana,ben,chloe", "--workspace", url.path, "--json"])
    #expect(result.status == 0, "\(result.stderr)")
    let byChip = try assignments(store)
    #expect(byChip.count == 16)
    for (chip, annotators) in byChip {
      #expect(annotators.count == 3 && Set(annotators).count == 3, "\(chip)")
    }
    var load: [String: Int] = [:]
    for annotators in byChip.values { for annotator in annotators { load[annotator, default: 0] += 1 } }
    #expect(load.values.reduce(0, +) == 48)
    #expect(load.values.max()! - load.values.min()! <= 1)
    #expect(load.values.allSatisfy { $0 == 12 })
    let output = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    #expect(output?["missing"] as? Int == 0)

    // The same inputs, in another workspace, give the same assignment.
    let (other, otherStore) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: other) }
    try Fixtures.seedTask(otherStore)
    _ = try otherStore.assign(task: "roofs", annotators: ["ana", "ben", "chloe", "dan"], by: .test)
    #expect(try assignments(otherStore) == byChip)

    // Running it again assigns nothing new.
    let again = try store.assign(task: "roofs", annotators: ["ana", "ben", "chloe", "dan"], by: .test)
    #expect(again.totalAdded == 0)
  }

  @Test func rerunWithMoreAnnotatorsOnlyFillsWhatIsMissing() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store, chipSize: 400)  // 2×2 = 4 chips
    let short = try TestSupport.swath([
      "task", "assign", "roofs", "--annotators", "ana,ben", "--workspace", url.path,
    ])
    #expect(short.status == 0)
    #expect(short.stderr.contains("4 chip(s) still lack 4 assignment(s)"), "\(short.stderr)")
    let before = try assignments(store)
    #expect(before.values.allSatisfy { Set($0) == ["ana", "ben"] })
    let filled = try store.assign(task: "roofs", annotators: ["ana", "ben", "chloe"], by: .test)
    #expect(filled.added == ["ana": 0, "ben": 0, "chloe": 4])
    #expect(filled.missing == 0)
    let after = try assignments(store)
    for (chip, annotators) in after {
      #expect(Array(annotators.prefix(2)) == before[chip]!)
      #expect(annotators.count == 3 && annotators.last == "chloe")
    }
  }

  @Test(.sqliteFileOnly) func assignRefusesBadInputAndClosedTasks() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store, chipSize: 400)
    let bad = try TestSupport.swath([
      "task", "assign", "roofs", "--annotators", "ana,,b c", "--workspace", url.path,
    ])
    #expect(bad.status == 1 && bad.stderr.contains("annotator name ''"), "\(bad.stderr)")
    let missing = try TestSupport.swath([
      "task", "assign", "nope", "--annotators", "ana", "--workspace", url.path,
    ])
    #expect(missing.status == 1 && missing.stderr == "swath: no task named 'nope' (known: roofs)\n")
    #expect(try TestSupport.swath(["task", "close", "roofs", "--workspace", url.path]).status == 0)
    let closed = try TestSupport.swath([
      "task", "assign", "roofs", "--annotators", "ana", "--workspace", url.path,
    ])
    #expect(closed.status == 1 && closed.stderr.contains("closed"))
    #expect(try store.sql { db in try AssignmentRecord.fetchCount(db) } == 0)
    let show = try TestSupport.swath(["task", "show", "roofs", "--json", "--workspace", url.path])
    let summary = try JSONSerialization.jsonObject(with: Data(show.stdout.utf8)) as? [String: Any]
    #expect(summary?["state"] as? String == "closed" && summary?["chips"] as? Int == 4)
    // The review thresholds: the defaults until set.
    let review = summary?["review"] as? [String: Any]
    #expect(review?["accept"] as? Double == 0.9 && review?["reject"] as? Double == 0.2)
    try store.setReviewThresholds(task: "roofs", try Review.Thresholds(accept: 0.8, reject: 0.1), by: .test)
    let text = try TestSupport.swath(["task", "show", "roofs", "--workspace", url.path]).stdout
    #expect(text.contains("review:      accept ≥ 0.8, reject < 0.1\n"), "\(text)")
    let list = try TestSupport.swath(["task", "list", "--json", "--workspace", url.path])
    let files = [
      try Fixtures.writeJSON(show.stdout, in: url, name: "show.json"),
      try Fixtures.writeJSON(list.stdout, in: url, name: "list.json"),
    ]
    #expect(try TestSupport.schemaProblems(schema: "task.schema.json", instances: files) == [])
  }

  @Test func queueAndStatusFollowTheirSchemas() throws {
    let (url, store) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try Fixtures.seedTask(store, chipSize: 400)
    _ = try store.assign(task: "roofs", annotators: ["ana", "ben", "chloe"], by: .test)
    let queue = try TestSupport.swath(["queue", "--annotator", "ana", "--json", "--workspace", url.path])
    #expect(queue.status == 0, "\(queue.stderr)")
    let queueFile = try Fixtures.writeJSON(queue.stdout, in: url, name: "queue.json")
    #expect(try TestSupport.schemaProblems(schema: "queue.schema.json", instances: [queueFile]) == [])
    let parsed = try JSONDecoder().decode(QueueReport.self, from: Data(queue.stdout.utf8))
    #expect(parsed.pending.count == 4)
    #expect(parsed.pending.allSatisfy { $0.png.hasPrefix(url.path) && $0.png.hasSuffix(".png") })
    #expect(parsed.pending[0].window == PixelWindow(column: 0, row: 0, width: 400, height: 400))

    let status = try TestSupport.swath(["status", "roofs", "--json", "--workspace", url.path])
    #expect(status.status == 0, "\(status.stderr)")
    let statusFile = try Fixtures.writeJSON(status.stdout, in: url, name: "status.json")
    #expect(try TestSupport.schemaProblems(schema: "status.schema.json", instances: [statusFile]) == [])
    let report = try JSONDecoder().decode(StatusReport.self, from: Data(status.stdout.utf8))
    #expect(report.chips == 4 && report.assignments == 12 && report.assignmentsSubmitted == 0)
    #expect(report.perAnnotator.map(\.annotator) == ["ana", "ben", "chloe"])
    #expect(report.perAnnotator.allSatisfy { $0.assigned == 4 && $0.pending == 4 })
  }
}
