import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// The analyst's map: `GET …/map` (chip states and counts, the final layer in scene pixels, the
/// annotators' figures) and `GET …/overview.png` (the scene through the tiling engine).
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct TaskMapRouteTests {
  static func caller(_ name: String, _ role: Role) -> Caller {
    Caller(name: name, role: role, command: "test")
  }
  static let empty = Data(#"{"type": "FeatureCollection", "features": []}"#.utf8)

  /// Leases `annotator` chips until `chip` comes, skipping the others (they are not offered to
  /// them again): the lease order is the workflow's, this only walks it.
  static func leaseChip(_ chip: String, task: String, annotator: String, in workspace: Workspace) throws {
    let who = caller(annotator, .annotator)
    for _ in 0..<64 {
      let lease = try #require(try workspace.lease(task: task, annotator: annotator, by: who))
      let key = try workspace.chipKey(of: lease)
      if key == chip { return }
      _ = try workspace.flagChip(
        task: task, chip: key, annotator: annotator, kind: .skip, comment: nil, by: who)
    }
    Issue.record("\(annotator) never got \(chip)")
  }

  static func submit(_ raw: Data, chip: String, task: String, annotator: String, in workspace: Workspace)
    throws
  {
    let outcome = try workspace.submitOwn(
      task: task, chip: chip, fileName: "\(chip).geojson", raw: raw, coordinates: .chipPixels,
      by: caller(annotator, .annotator))
    #expect(outcome.results.allSatisfy { $0.status == "accepted" }, "\(outcome.results)")
  }

  @Test func everyRoleAndTheStatesAndCountsOfALeasedTask() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let workspace = fixture.workspace
    _ = try workspace.createTask(
      TaskParameters(
        name: "grid", imageName: "atlanta", region: "all", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 2, distribution: .leased, leaseSeconds: 600),
      by: ServerFixture.admin)
    _ = try workspace.addGold(
      task: "grid", truth: Self.empty, chips: ["r0003_c0003"], by: ServerFixture.admin)
    // ana: answers the first three chips, reports the fourth as bad imagery, holds the fifth.
    for chip in ["r0000_c0000", "r0000_c0001", "r0000_c0002"] {
      try Self.leaseChip(chip, task: "grid", annotator: "ana", in: workspace)
      try Self.submit(Self.empty, chip: chip, task: "grid", annotator: "ana", in: workspace)
    }
    try Self.leaseChip("r0000_c0003", task: "grid", annotator: "ana", in: workspace)
    _ = try workspace.flagChip(
      task: "grid", chip: "r0000_c0003", annotator: "ana", kind: .badImagery, comment: "cloud",
      by: Self.caller("ana", .annotator))
    try Self.leaseChip("r0001_c0000", task: "grid", annotator: "ana", in: workspace)
    // ben answers the first two; a reviewer validates the second.
    for chip in ["r0000_c0000", "r0000_c0001"] {
      try Self.leaseChip(chip, task: "grid", annotator: "ben", in: workspace)
      try Self.submit(Self.empty, chip: chip, task: "grid", annotator: "ben", in: workspace)
    }
    _ = try workspace.reviewChip(
      task: "grid", chip: "r0000_c0001", verdict: .validated, comment: nil, by: Self.caller("rev", .reviewer))

    try await fixture.withClient { client in
      for (user, expected) in [("ana", 403), ("rev", 403), ("alice", 200), ("adm", 200)] as [(String, Int)] {
        for uri in ["/api/v1/tasks/grid/map", "/api/v1/tasks/grid/overview.png?max=64"] {
          let response = try await client.execute(uri: uri, method: .get, headers: fixture.headers(user))
          #expect(Int(response.status.code) == expected, "\(uri) as \(user): \(response.body.text)")
        }
      }
      for uri in ["/api/v1/tasks/grid/map", "/api/v1/tasks/grid/overview.png"] {
        let anonymous = try await client.execute(uri: uri, method: .get, headers: fixture.headers(nil))
        #expect(anonymous.status == .unauthorized)
        let unknown = try await client.execute(
          uri: uri.replacingOccurrences(of: "grid", with: "nope"), method: .get,
          headers: fixture.headers("alice"))
        #expect(unknown.status == .notFound && unknown.headers[.contentType] == "application/problem+json")
      }
      for bad in ["0", "8", "5000", "big", "-3"] {
        let refused = try await client.execute(
          uri: "/api/v1/tasks/grid/overview.png?max=\(bad)", method: .get, headers: fixture.headers("alice"))
        #expect(refused.status == .badRequest, "max=\(bad): \(refused.status)")
      }

      let response = try await client.execute(
        uri: "/api/v1/tasks/grid/map", method: .get, headers: fixture.headers("alice"))
      let map = try #require(response.body.json)
      let chips = try #require(map["chips"]?.arrayValue)
      #expect(chips.count == 16)
      let stateOf = Dictionary(
        uniqueKeysWithValues: chips.map { ($0["chip"]?.stringValue ?? "", $0["state"]?.stringValue ?? "") })
      #expect(stateOf["r0003_c0003"] == "gold")
      #expect(stateOf["r0000_c0001"] == "reviewed")
      #expect(stateOf["r0000_c0003"] == "bad_imagery")
      #expect(stateOf["r0000_c0000"] == "answered")
      #expect(stateOf["r0001_c0000"] == "leased")
      #expect(stateOf["r0000_c0002"] == "partly_answered")
      let counts = try #require(map["counts"]?.objectValue).mapValues { $0.integerValue ?? -1 }
      #expect(
        counts == [
          "gold": 1, "reviewed": 1, "bad_imagery": 1, "answered": 1, "leased": 1, "partly_answered": 1,
          "waiting": 10,
        ])
      #expect(
        map["states"]?.arrayValue?.compactMap(\.stringValue) == [
          "gold", "reviewed", "bad_imagery", "answered", "leased", "partly_answered", "waiting",
        ])
      // Windows in scene pixels: 256 px chips, no overlap.
      let last = try #require(chips.first { $0["chip"]?.stringValue == "r0002_c0001" })
      #expect(last["x"]?.integerValue == 256 && last["y"]?.integerValue == 512)
      #expect(last["width"]?.integerValue == 256 && last["height"]?.integerValue == 256)
      let partly = try #require(chips.first { $0["chip"]?.stringValue == "r0000_c0002" })
      #expect(partly["answers"]?.integerValue == 1 && partly["asked"]?.integerValue == 2)
      #expect(map["scene"]?["width"]?.integerValue == 900 && map["scene"]?["height"]?.integerValue == 900)
      #expect(map["run"] == nil && map["agreement"] == nil)
      let annotators = try #require(map["annotators"]?.arrayValue)
      #expect(annotators.compactMap { $0["annotator"]?.stringValue } == ["ana", "ben"])
      #expect(annotators.map { $0["submissions"]?.integerValue } == [3, 2])
    }
  }

  /// Shapes drawn in chip pixels come back, through lon/lat and the image's CRS, at the same
  /// scene pixels; the annotators' figures and the agreement matrix come from the run.
  /// `bbox` keeps the chips whose boxes overlap it, as the store's spatial index finds them
  /// (PostGIS on PostgreSQL); a malformed box is a 400 naming it.
  @Test func aBoundingBoxKeepsTheChipsUnderIt() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let workspace = fixture.workspace
    _ = try workspace.createTask(
      TaskParameters(
        name: "grid", imageName: "atlanta", region: "all", labels: ["building"], chipSize: 256, overlap: 0,
        replicas: 1),
      by: ServerFixture.admin)
    let chips = try workspace.store.read { store in
      try store.chips(ofTask: try #require(try store.task(named: "grid")).id!)
    }
    // A box inside one chip, clear of its neighbours' edges.
    let target = try #require(chips.first { $0.chipKey == "r0001_c0001" })
    let width = target.maxLon - target.minLon
    let height = target.maxLat - target.minLat
    let box = [
      target.minLon + width * 0.4, target.minLat + height * 0.4, target.minLon + width * 0.6,
      target.minLat + height * 0.6,
    ].map { String($0) }.joined(separator: ",")
    let expected = chips.filter {
      $0.maxLon >= target.minLon + width * 0.4 && $0.minLon <= target.minLon + width * 0.6
        && $0.maxLat >= target.minLat + height * 0.4 && $0.minLat <= target.minLat + height * 0.6
    }.map(\.chipKey)
    #expect(expected.contains("r0001_c0001") && expected.count < chips.count)
    try await fixture.withClient { client in
      let response = try await client.execute(
        uri: "/api/v1/tasks/grid/map?bbox=\(box)", method: .get, headers: fixture.headers("alice"))
      #expect(response.status == .ok, "\(response.body.text)")
      let map = try #require(response.body.json)
      let keys = try #require(map["chips"]?.arrayValue).compactMap { $0["chip"]?.stringValue }
      #expect(keys == expected, "\(response.body.text.prefix(400))")
      let whole = try await client.execute(
        uri: "/api/v1/tasks/grid/map", method: .get, headers: fixture.headers("alice"))
      #expect(whole.body.json?["chips"]?.arrayValue?.count == chips.count)
      for bad in ["1,2,3", "a,b,c,d", "10,10,0,0", "0,0,200,10", "nan,0,1,1", "1,2,3,4,5"] {
        let refused = try await client.execute(
          uri: "/api/v1/tasks/grid/map?bbox=\(bad)", method: .get, headers: fixture.headers("alice"))
        #expect(
          refused.status == .badRequest && refused.body.text.contains("bbox"), "\(bad): \(refused.body.text)")
      }
    }
  }

  @Test func theFinalLayerLandsAtItsScenePixels() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let workspace = fixture.workspace
    _ = try workspace.createTask(
      TaskParameters(
        name: "pair", imageName: "atlanta", region: "px:0,0,512,512", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 2),
      by: ServerFixture.admin)
    _ = try workspace.assign(task: "pair", annotators: ["ana", "ben"], by: ServerFixture.admin)
    // Chip r0001_c0001 starts at scene (256, 256): both draw the same box, ana one more.
    func box(_ x0: Int, _ y0: Int, _ x1: Int, _ y1: Int) -> String {
      #"{"type": "Feature", "properties": {"label": "building"}, "geometry": {"type": "Polygon", "coordinates": [[[\#(x0), \#(y0)], [\#(x1), \#(y0)], [\#(x1), \#(y1)], [\#(x0), \#(y1)], [\#(x0), \#(y0)]]]}}"#
    }
    let shared = box(40, 50, 90, 110)
    try Self.submit(
      Data(#"{"type": "FeatureCollection", "features": [\#(shared), \#(box(150, 150, 200, 190))]}"#.utf8),
      chip: "r0001_c0001", task: "pair", annotator: "ana", in: workspace)
    try Self.submit(
      Data(#"{"type": "FeatureCollection", "features": [\#(shared)]}"#.utf8), chip: "r0001_c0001",
      task: "pair",
      annotator: "ben", in: workspace)

    try await fixture.withClient { client in
      let analyst = fixture.headers("alice")
      let accepted = try await client.execute(
        uri: "/api/v1/tasks/pair/consensus", method: .post, headers: analyst)
      #expect(accepted.status == .accepted)
      let job = try await fixture.finishedJob(client, accepted, as: "alice")
      #expect(job?["state"]?.stringValue == "succeeded", "\(String(describing: job))")
      let response = try await client.execute(uri: "/api/v1/tasks/pair/map", method: .get, headers: analyst)
      let map = try #require(response.body.json)
      let objects = try #require(map["run"]?["objects"]?.arrayValue)
      #expect(objects.count == 2)
      func corners(_ object: JSONValue) -> [[Double]] {
        object["polygons"]?.arrayValue?.first?.arrayValue?.first?.arrayValue?.map {
          $0.arrayValue?.compactMap(\.doubleValue) ?? []
        } ?? []
      }
      func bounds(_ points: [[Double]]) -> [Double] {
        [
          points.map { $0[0] }.min() ?? .nan, points.map { $0[1] }.min() ?? .nan,
          points.map { $0[0] }.max() ?? .nan, points.map { $0[1] }.max() ?? .nan,
        ]
      }
      let found = objects.map { bounds(corners($0)) }
      let expectedBoxes: [[Double]] = [[296, 306, 346, 366], [406, 406, 456, 446]]
      for expected in expectedBoxes {
        #expect(
          found.contains { box in zip(box, expected).allSatisfy { pair in abs(pair.0 - pair.1) <= 1 } },
          "no object at \(expected): \(found)")
      }
      // Both drew the first: accepted without review; ana alone the second.
      let reviews = objects.compactMap { $0["review"]?.stringValue }
      #expect(reviews.allSatisfy { ["auto_accepted", "needs_review", "auto_rejected"].contains($0) })
      #expect(map["run"]?["counts"]?.objectValue?.values.compactMap(\.integerValue).reduce(0, +) == 2)

      let annotators = try #require(map["annotators"]?.arrayValue)
      #expect(annotators.compactMap { $0["annotator"]?.stringValue } == ["ana", "ben"])
      // ben's one box matches; ana's two find one match: F1 against the consensus from the run.
      let stored = try workspace.store.read { store in
        try store.task(named: "pair").flatMap { try store.latestConsensusRun(ofTask: $0.id!) }
      }
      let report = try #require(stored)
      let reportJSON = try JSONValue(parsing: Data(report.report.utf8))
      for entry in reportJSON["annotators"]?.arrayValue ?? [] {
        let name = entry["annotator"]?.stringValue
        let figure = annotators.first { $0["annotator"]?.stringValue == name }
        #expect(figure?["agreement_f1"]?.doubleValue == entry["f1"]?.doubleValue)
      }
      #expect(map["agreement"]?["annotators"] == reportJSON["agreement"]?["annotators"])
      let reported = reportJSON["agreement"]?["matrix"]?.arrayValue?.map {
        $0.arrayValue?.compactMap(\.doubleValue)
      }
      #expect(
        map["agreement"]?["matrix"]?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) } == reported)
      let matrix = try #require(map["agreement"]?["matrix"]?.arrayValue)
      #expect(matrix.count == 2 && matrix[0].arrayValue?.count == 2)
      // Pairwise F1 between ana (2 boxes) and ben (1), one match: 2·1/(2+1).
      #expect(abs((matrix[0].arrayValue?[1].doubleValue ?? 0) - 2.0 / 3.0) < 1e-6)

      // A reviewer's decision shows as decided.
      let first = try #require(objects.firstIndex { $0["review"]?.stringValue != nil })
      _ = try workspace.decide(
        task: "pair", object: "\(report.id!)-\(first)", .reject(reason: "duplicate"),
        by: Self.caller("rev", .reviewer))
      let again = try await client.execute(uri: "/api/v1/tasks/pair/map", method: .get, headers: analyst)
      let decided = try #require(again.body.json?["run"]?["objects"]?.arrayValue)
      #expect(decided[first]["review"]?.stringValue == "rejected" && decided[first]["decided"] == .bool(true))
    }
  }

  /// The overview: the scene shrunk to `max` on its long side, nodata transparent.
  @Test func theOverviewIsTheSceneWithNodataTransparent() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    // A 400×300 scene whose left quarter is nodata (0), the rest a ramp.
    let path = fixture.url.appendingPathComponent("ramp.tif").path
    let writer = try RasterWriter(
      creating: path, driver: "GTiff", width: 400, height: 300, bands: 1, type: .float64)
    var values = [Double](repeating: 0, count: 400 * 300)
    for row in 0..<300 { for column in 100..<400 { values[row * 400 + column] = Double(1000 + column) } }
    try values.withUnsafeBytes {
      try writer.write(
        window: SwathGDAL.PixelWindow(x: 0, y: 0, width: 400, height: 300), from: $0.baseAddress!,
        layout: BufferLayout(width: 400, height: 300, type: .float64))
    }
    try writer.setGeoTransform(GeoTransform([500_000, 0.5, 0, 3_700_000, 0, -0.5]))
    try writer.setSpatialReference(SpatialReference(epsg: 32616))
    try writer.setNoDataValue(0, band: 1)
    try writer.close()
    try fixture.workspace.registerImage(
      ImageCatalog.inspect(path: path), name: "ramp", by: ServerFixture.admin)
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "ramp", imageName: "ramp", region: "all", labels: ["building"], chipSize: 128, overlap: 0,
        replicas: 1),
      by: ServerFixture.admin)

    try await fixture.withClient { client in
      let response = try await client.execute(
        uri: "/api/v1/tasks/ramp/overview.png?max=200", method: .get, headers: fixture.headers("alice"))
      #expect(response.status == .ok && response.headers[.contentType] == "image/png")
      let file = fixture.url.appendingPathComponent("overview.png")
      try Data(response.body.readableBytesView).write(to: file)
      let png = try RasterDataset(path: file.path)
      #expect(png.width == 200 && png.height == 150 && png.bandCount == 2)
      var grey = [UInt8](repeating: 0, count: 200 * 150)
      var alpha = [UInt8](repeating: 0, count: 200 * 150)
      try grey.withUnsafeMutableBytes {
        try png.read(
          band: 1, window: SwathGDAL.PixelWindow(x: 0, y: 0, width: 200, height: 150), into: $0.baseAddress!,
          layout: BufferLayout(width: 200, height: 150, type: .byte))
      }
      try alpha.withUnsafeMutableBytes {
        try png.read(
          band: 2, window: SwathGDAL.PixelWindow(x: 0, y: 0, width: 200, height: 150), into: $0.baseAddress!,
          layout: BufferLayout(width: 200, height: 150, type: .byte))
      }
      for row in [0, 75, 149] {
        // Scene columns 0…99 are the overview's 0…49.
        #expect((0..<49).allSatisfy { alpha[row * 200 + $0] == 0 }, "row \(row): nodata not transparent")
        #expect((51..<200).allSatisfy { alpha[row * 200 + $0] == 255 }, "row \(row): data not opaque")
        // The ramp rises from left to right through the stretch.
        #expect(grey[row * 200 + 60] < grey[row * 200 + 120] && grey[row * 200 + 120] < grey[row * 200 + 190])
      }
      #expect(response.headers[HTTPField.Name("X-Overview-Width")!] == "200")
      // The ETag names the image and the size: a client's copy is revalidated without a render.
      let etag = try #require(response.headers[.eTag])
      var conditional = fixture.headers("alice")
      conditional[.ifNoneMatch] = etag
      let again = try await client.execute(
        uri: "/api/v1/tasks/ramp/overview.png?max=200", method: .get, headers: conditional)
      #expect(again.status == .notModified && again.body.readableBytes == 0)
      let otherSize = try await client.execute(
        uri: "/api/v1/tasks/ramp/overview.png?max=100", method: .get, headers: conditional)
      #expect(otherSize.status == .ok && otherSize.headers[.eTag] != etag)
      // Another role gets no tag to compare: 403 before any answer about the image.
      var reviewer = fixture.headers("rev")
      reviewer[.ifNoneMatch] = etag
      let refused = try await client.execute(
        uri: "/api/v1/tasks/ramp/overview.png?max=200", method: .get, headers: reviewer)
      #expect(refused.status == .forbidden)
    }
  }
}
