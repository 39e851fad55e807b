import Foundation
import GRDB
import SwathStore
import SwathStoreSQLite
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// The store's side of consensus: which annotators count where, and chip seams.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ConsensusTests {
  func latestObjects(_ store: Workspace) throws -> [Export.Object] {
    let run = try #require(
      try store.store.read { store in
        try store.tasks().compactMap { try store.latestConsensusRun(ofTask: $0.id!) }.max { $0.id! < $1.id! }
      })
    return try Export.parseResult(run.result)
  }

  func integer(_ object: Export.Object, _ key: String) -> Int64? {
    if case .integer(let value) = object.properties[key] { return value }
    return nil
  }

  @Test(.sqliteFileOnly) func quorumCountsEveryAnnotatorAssignedToTheChipEvenBeforeTheySubmit() throws {
    let task = try AtlantaTask(annotators: "ana,ben,chloe,dan")
    defer { task.remove() }
    let chip = "r0001_c0001"
    let chipId = try task.chip(chip).id!
    let assigned = try task.store.sql { db in
      try String.fetchAll(
        db, sql: "SELECT annotator FROM assignments WHERE chip_id = ? ORDER BY annotator",
        arguments: [chipId])
    }
    #expect(assigned.count == 3)
    let both = GeoJSONFixture.collection([
      ("building", GeoJSONFixture.pixelSquare(60, 60, 120, 110)),
      ("vehicle", GeoJSONFixture.pixelSquare(150, 40, 190, 70)),
    ])
    let onlyBuilding = GeoJSONFixture.collection([
      ("building", GeoJSONFixture.pixelSquare(61, 60, 121, 110))
    ])
    // The first draws both objects, the second only the building, the third never submits.
    try task.run([
      "submit", "roofs", try task.file("a.geojson", both).path, "--annotator", assigned[0],
      "--chip", chip, "--pixel",
    ])
    try task.run([
      "submit", "roofs", try task.file("b.geojson", onlyBuilding).path, "--annotator", assigned[1],
      "--chip", chip, "--pixel",
    ])
    let result = try task.swath(["consensus", "roofs", "--method", "majority", "--quorum", "0.5"])
    #expect(result.status == 0, "\(result.stderr)")
    #expect(result.stderr.contains("not submitted yet"))
    let objects = try latestObjects(task.store)
    let accepted = objects.filter { $0.properties["status"]?.stringValue == "accepted" }
    let rejected = objects.filter { $0.properties["status"]?.stringValue == "rejected" }
    // 2 of the 3 assigned reach ceil(0.5 × 3) = 2; 1 of 3 does not.
    #expect(accepted.count == 1 && rejected.count == 1)
    #expect(accepted.first?.properties["label"]?.stringValue == "building")
    #expect(accepted.first.map { integer($0, "support") } == 2)
    #expect(accepted.first.map { integer($0, "assigned") } == 3)
    #expect(rejected.first.map { integer($0, "assigned") } == 3)
  }

  @Test func piecesCutByAChipEdgeAreStitchedIntoOneObject() throws {
    let task = try AtlantaTask()
    defer { task.remove() }
    // A building over image columns 200–280: chip r0000_c0000 shows columns 0–255, chip
    // r0000_c0001 columns 224–479. Each annotator draws what each chip shows of it.
    let left = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(200, 50, 256, 100))])
    let right = GeoJSONFixture.collection([("building", GeoJSONFixture.pixelSquare(0, 50, 56, 100))])
    for annotator in ["ana", "ben", "chloe"] {
      try task.run([
        "submit", "roofs", try task.file("\(annotator)-l.geojson", left).path, "--annotator", annotator,
        "--chip", "r0000_c0000", "--pixel",
      ])
      try task.run([
        "submit", "roofs", try task.file("\(annotator)-r.geojson", right).path, "--annotator",
        annotator, "--chip", "r0000_c0001", "--pixel",
      ])
    }
    try task.run(["consensus", "roofs"])
    let accepted = try latestObjects(task.store).filter {
      $0.properties["status"]?.stringValue == "accepted"
    }
    #expect(accepted.count == 1)
    let object = try #require(accepted.first)
    #expect(integer(object, "support") == 3)
    // The merged shape spans both pieces: image columns 200 to 280.
    let expected = try task.lonLatRing(chip: "r0000_c0000", 200, 50, 280, 100)
    let box = try #require(object.geometry.envelope)
    let lons = expected.map { $0[0] }
    let metre = 1.1e-5  // about a metre of longitude here
    #expect(abs(box.minX - lons.min()!) < metre && abs(box.maxX - lons.max()!) < metre, "\(box)")
  }
}
