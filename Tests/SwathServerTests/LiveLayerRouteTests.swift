import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import SwathGeometry
import SwathServer
import SwathStore
import SwathTestSupport
import SwathWorkflow
import Testing

/// OGC API – Features under /ogc over HTTP: every endpoint for every role, a task the caller may
/// not see, paging, filters, the layer kept current by review decisions, and bad input as
/// problem documents.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct LiveLayerRouteTests {
  /// Five squares on chip r0000_c0000: three buildings, two vehicles.
  static let squares: [(label: String, ring: [[Double]])] = [
    ("building", GeoJSONFixture.pixelSquare(20, 20, 60, 60)),
    ("building", GeoJSONFixture.pixelSquare(100, 20, 140, 60)),
    ("vehicle", GeoJSONFixture.pixelSquare(180, 20, 220, 60)),
    ("vehicle", GeoJSONFixture.pixelSquare(20, 120, 60, 160)),
    ("building", GeoJSONFixture.pixelSquare(100, 120, 140, 160)),
  ]

  /// The fixture with ana's five squares and a consensus run on task roofs, and a second task
  /// (walls) without one.
  static func layered() throws -> (ServerFixture, ConsensusRunRecord) {
    let fixture = try ServerFixture()
    let outcome = try fixture.workspace.submit(
      task: "roofs", annotator: "ana", fileName: "ana.geojson",
      raw: Data(GeoJSONFixture.collection(squares).utf8), chip: "r0000_c0000", pixel: true,
      by: Caller(name: "ana", role: .annotator, command: "test"))
    #expect(outcome.results.map(\.status) == ["accepted"])
    _ = try fixture.workspace.createTask(
      TaskParameters(
        name: "walls", imageName: "atlanta", region: "px:0,0,300,300", labels: ["building"], chipSize: 256,
        overlap: 0, replicas: 1),
      by: ServerFixture.admin)
    let run = try fixture.workspace.runConsensus(task: "roofs", by: ServerFixture.admin).run
    return (fixture, run)
  }

  /// A feature's first outer ring (of a Polygon or a MultiPolygon) as [lon, lat] pairs.
  static func outerRing(_ feature: JSONValue) -> [[Double]] {
    var polygon = feature["geometry"]?["coordinates"]?.arrayValue?.first
    if feature["geometry"]?["type"]?.stringValue == "MultiPolygon" { polygon = polygon?.arrayValue?.first }
    return polygon?.arrayValue?.map { $0.arrayValue?.compactMap(\.doubleValue) ?? [] } ?? []
  }

  static func features(_ response: TestResponse) -> [JSONValue] {
    response.body.json?["features"]?.arrayValue ?? []
  }

  @Test func everyEndpointForEveryRole() async throws {
    let (fixture, run) = try Self.layered()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      for user in ["alice", "adm"] {
        let headers = fixture.headers(user)
        let landing = try await client.execute(uri: "/ogc", method: .get, headers: headers)
        #expect(landing.status == .ok)
        let rels = Set(landing.body.json?["links"]?.arrayValue?.compactMap { $0["rel"]?.stringValue } ?? [])
        #expect(rels.isSuperset(of: ["self", "service-desc", "conformance", "data"]))
        let conformance = try await client.execute(uri: "/ogc/conformance", method: .get, headers: headers)
        let classes = conformance.body.json?["conformsTo"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"))
        #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"))
        #expect(classes.contains("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30"))

        // Only the task with a consensus run is a collection.
        let collections = try await client.execute(uri: "/ogc/collections", method: .get, headers: headers)
        #expect(collections.status == .ok)
        let listed = collections.body.json?["collections"]?.arrayValue ?? []
        #expect(listed.compactMap { $0["id"]?.stringValue } == ["roofs"])
        let collection = try await client.execute(
          uri: "/ogc/collections/roofs", method: .get, headers: headers)
        #expect(collection.status == .ok)
        #expect(collection.body.json?["itemType"]?.stringValue == "feature")
        let box =
          collection.body.json?["extent"]?["spatial"]?["bbox"]?.arrayValue?.first?.arrayValue?
          .compactMap(\.doubleValue) ?? []
        #expect(box.count == 4 && box[0] < box[2] && box[1] < box[3])
        #expect(box.allSatisfy { abs($0) > 1 }, "lon/lat near Atlanta: \(box)")
        let interval = collection.body.json?["extent"]?["temporal"]?["interval"]?.arrayValue?.first?
          .arrayValue
        #expect(interval == [.string(run.runAt), .string(run.runAt)])

        let queryables = try await client.execute(
          uri: "/ogc/collections/roofs/queryables", method: .get, headers: headers)
        #expect(queryables.status == .ok)
        #expect(queryables.headers[.contentType] == "application/schema+json")
        #expect(
          queryables.body.json?["properties"]?["label"]?["enum"]?.arrayValue
            == [.string("building"), .string("vehicle")])

        let items = try await client.execute(
          uri: "/ogc/collections/roofs/items", method: .get, headers: headers)
        #expect(items.status == .ok)
        #expect(items.headers[.contentType] == "application/geo+json")
        #expect(items.body.json?["type"]?.stringValue == "FeatureCollection")
        #expect(items.body.json?["numberMatched"]?.integerValue == 5)
        #expect(items.body.json?["numberReturned"]?.integerValue == 5)
        let features = Self.features(items)
        #expect(features.compactMap { $0["id"]?.stringValue } == (0..<5).map { "\(run.id!)-\($0)" })
        #expect(
          features.compactMap { $0["properties"]?["label"]?.stringValue }.sorted()
            == ["building", "building", "building", "vehicle", "vehicle"])
        #expect(features.allSatisfy { Self.outerRing($0).count == 5 })
        let first = try #require(features.first)
        let one = try await client.execute(
          uri: "/ogc/collections/roofs/items/\(run.id!)-0", method: .get, headers: headers)
        #expect(one.status == .ok)
        #expect(one.headers[.contentType] == "application/geo+json")
        #expect(one.body.json?["geometry"] == first["geometry"])
        #expect(one.body.json?["properties"] == first["properties"])
        #expect(one.body.json?["links"]?.arrayValue?.count == 2)
      }
      // Annotators and reviewers may not export layers: no collection exists for them.
      for user in ["ana", "rev"] {
        let headers = fixture.headers(user)
        #expect(try await client.execute(uri: "/ogc", method: .get, headers: headers).status == .ok)
        #expect(
          try await client.execute(uri: "/ogc/conformance", method: .get, headers: headers).status == .ok)
        let collections = try await client.execute(uri: "/ogc/collections", method: .get, headers: headers)
        #expect(collections.status == .ok)
        #expect(collections.body.json?["collections"]?.arrayValue == [])
        for uri in [
          "/ogc/collections/roofs", "/ogc/collections/roofs/queryables", "/ogc/collections/roofs/items",
          "/ogc/collections/roofs/items/\(run.id!)-0",
        ] {
          let refused = try await client.execute(uri: uri, method: .get, headers: headers)
          #expect(refused.status == .notFound, "\(user) \(uri)")
          #expect(refused.headers[.contentType] == "application/problem+json")
        }
      }
      // Without a token: 401 everywhere.
      for uri in ["/ogc", "/ogc/conformance", "/ogc/collections", "/ogc/collections/roofs/items"] {
        #expect(try await client.execute(uri: uri, method: .get, headers: [:]).status == .unauthorized)
      }
      // No such collection, a task without a consensus run, no such feature: 404 problems.
      for uri in [
        "/ogc/collections/nope", "/ogc/collections/walls", "/ogc/collections/walls/items",
        "/ogc/collections/roofs/items/nope", "/ogc/collections/roofs/items/\(run.id!)-99",
      ] {
        let missing = try await client.execute(uri: uri, method: .get, headers: fixture.headers("alice"))
        #expect(missing.status == .notFound, "\(uri)")
        #expect(missing.body.json?["type"]?.stringValue == "https://swath.dev/problems/not-found")
      }
    }
  }

  @Test func pagesFiltersAndBadInput() async throws {
    let (fixture, run) = try Self.layered()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      let headers = fixture.headers("alice")
      let all = Self.features(
        try await client.execute(uri: "/ogc/collections/roofs/items", method: .get, headers: headers))
      // Page by page through `next`, two at a time: every feature once, in order.
      var uri: String? = "/ogc/collections/roofs/items?limit=2"
      var paged: [JSONValue] = []
      var cursors: [String] = []
      while let next = uri {
        let page = try await client.execute(uri: next, method: .get, headers: headers)
        #expect(page.status == .ok, "\(page.body.text)")
        #expect(page.body.json?["numberMatched"]?.integerValue == 5)
        paged += Self.features(page)
        let href = page.body.json?["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?
          .stringValue
        uri = href.map { String($0[$0.range(of: "/ogc/")!.lowerBound...]) }
        if let href { cursors.append(String(href[href.range(of: "cursor=")!.upperBound...])) }
      }
      #expect(paged == all)
      #expect(cursors.count == 2)

      // A box around the first square only (its feature's own coordinates), and a label.
      let ring = Self.outerRing(try #require(all.first))
      let lons = ring.map { $0[0] }
      let lats = ring.map { $0[1] }
      let bbox = "\(lons.min()!),\(lats.min()!),\(lons.max()!),\(lats.max()!)"
      let boxed = try await client.execute(
        uri: "/ogc/collections/roofs/items?bbox=\(bbox)", method: .get, headers: headers)
      #expect(Self.features(boxed).compactMap { $0["id"]?.stringValue } == ["\(run.id!)-0"])
      let vehicles = try await client.execute(
        uri: "/ogc/collections/roofs/items?label=vehicle", method: .get, headers: headers)
      #expect(
        Self.features(vehicles).compactMap { $0["properties"]?["label"]?.stringValue } == [
          "vehicle", "vehicle",
        ])
      #expect(vehicles.body.json?["numberMatched"]?.integerValue == 2)
      // datetime: the run's time is every object's, until a review decides one.
      for (datetime, count) in [
        (run.runAt, 5), ("../\(run.runAt)", 5), ("\(run.runAt)/..", 5),
        ("2000-01-01T00:00:00Z/2001-01-01T00:00:00Z", 0),
      ] {
        let timed = try await client.execute(
          uri: "/ogc/collections/roofs/items?datetime=\(datetime)", method: .get, headers: headers)
        #expect(timed.status == .ok, "\(datetime): \(timed.body.text)")
        #expect(Self.features(timed).count == count, "\(datetime)")
      }

      // Bad input: a 400 problem document each, never a 500.
      let tampered = cursors[0].dropLast() + (cursors[0].hasSuffix("0") ? "1" : "0")
      let forged = "1.\(run.id!).1." + String(repeating: "0", count: 32)
      for query in [
        "bbox=1,2,3", "bbox=1,2,3,4,5", "bbox=a,b,c,d", "bbox=NaN,0,1,1", "bbox=3,0,1,1", "bbox=0,3,1,1",
        "bbox=", "bbox=0,0,200,1", "limit=0", "limit=-1", "limit=10001", "limit=ten", "limit=1.5",
        "cursor=\(tampered)", "cursor=\(forged)", "cursor=garbage", "datetime=yesterday",
        "datetime=2001-01-01T00:00:00Z/2000-01-01T00:00:00Z", "datetime=../..", "colour=red",
        "bbox-crs=EPSG:3857",
      ] {
        let refused = try await client.execute(
          uri: "/ogc/collections/roofs/items?\(query)", method: .get, headers: headers)
        #expect(refused.status == .badRequest, "\(query): \(refused.body.text)")
        #expect(refused.headers[.contentType] == "application/problem+json")
        #expect(refused.body.json?["type"]?.stringValue == "https://swath.dev/problems/invalid-request")
      }
      let overMaximum = try await client.execute(
        uri: "/ogc/collections/roofs/items?limit=10001", method: .get, headers: headers)
      #expect(overMaximum.body.json?["detail"]?.stringValue?.contains("1…10000") == true)
    }
  }

  @Test func reviewDecisionsChangeTheLayerAtOnce() async throws {
    let (fixture, run) = try Self.layered()
    defer { fixture.remove() }
    let reviewer = Caller(name: "rev", role: .reviewer, command: "test")
    try await fixture.withClient { client in
      let headers = fixture.headers("alice")
      func items(_ query: String = "") async throws -> [JSONValue] {
        Self.features(
          try await client.execute(
            uri: "/ogc/collections/roofs/items\(query)", method: .get, headers: headers))
      }
      #expect(try await items().count == 5)
      let cursor = try await client.execute(
        uri: "/ogc/collections/roofs/items?limit=2", method: .get, headers: headers
      ).body.json?["links"]?.arrayValue?.first { $0["rel"]?.stringValue == "next" }?["href"]?.stringValue
      // A rejected building leaves the layer; a vehicle relabelled a building carries its new
      // label and the decision's time.
      let before = try await items()
      func ids(_ features: [JSONValue], _ label: String? = nil) -> [String] {
        features.filter { label == nil || $0["properties"]?["label"]?.stringValue == label }
          .compactMap { $0["id"]?.stringValue }
      }
      let (building, vehicle) = (
        try #require(ids(before, "building").first), try #require(ids(before, "vehicle").first)
      )
      _ = try fixture.workspace.decide(
        task: "roofs", object: building, .reject(reason: "not_an_object"), by: reviewer)
      let relabel = try fixture.workspace.decide(
        task: "roofs", object: vehicle, .relabel("building"), by: reviewer)
      var after = try await items()
      #expect(ids(after) == ids(before).filter { $0 != building })
      let relabelled = try #require(after.first { $0["id"]?.stringValue == vehicle })
      #expect(relabelled["properties"]?["label"]?.stringValue == "building")
      #expect(relabelled["properties"]?["decision"]?.stringValue == "relabel")
      #expect(try await ids(items("?label=vehicle")) == ids(before, "vehicle").filter { $0 != vehicle })
      #expect(try await ids(items("?datetime=\(relabel.decidedAt)")) == [vehicle])
      let gone = try await client.execute(
        uri: "/ogc/collections/roofs/items/\(building)", method: .get, headers: headers)
      #expect(gone.status == .notFound)
      // An added object joins the layer.
      let square = GeoJSONFixture.collection([("vehicle", GeoJSONFixture.pixelSquare(180, 120, 200, 140))])
      let added = try fixture.workspace.addObject(
        task: "roofs", Data(square.utf8), pixelChip: "r0000_c0000", by: reviewer)
      after = try await items()
      #expect(after.count == 5)
      #expect(after.last?["id"]?.stringValue == "\(run.id!)-a\(added.id!)")
      #expect(after.last?["properties"]?["review_state"]?.stringValue == "added")
      // New thresholds build the rows again, the decisions and the added object still applied.
      try fixture.workspace.setReviewThresholds(
        task: "roofs", try Review.Thresholds(accept: 0.95, reject: 0.5), by: ServerFixture.admin)
      #expect(try await items() == after)
      // A new consensus run builds the layer again; a cursor of the old run is a conflict.
      let second = try fixture.workspace.runConsensus(task: "roofs", by: ServerFixture.admin).run
      #expect(try await items().allSatisfy { $0["id"]?.stringValue?.hasPrefix("\(second.id!)-") == true })
      let stale = try await client.execute(
        uri: String(try #require(cursor)[cursor!.range(of: "/ogc/")!.lowerBound...]), method: .get,
        headers: headers)
      #expect(stale.status == .conflict, "\(stale.body.text)")
    }
  }
}

extension LiveLayerRouteTests {
  /// A run recorded without layer rows (by a Swath older than them) gets its rows built on the
  /// first read: the collection and its items follow the new run.
  @Test func aRunWithoutRowsIsBuiltOnFirstRead() async throws {
    let (fixture, run) = try Self.layered()
    defer { fixture.remove() }
    let older = try fixture.workspace.store.write { store in
      var copy = run
      copy.id = nil
      copy.runAt = Timestamp.now()
      try store.insert(&copy)
      #expect(try store.layerBuild(ofTask: run.taskId)?.runId == run.id)
      return copy
    }
    try await fixture.withClient { client in
      let items = try await client.execute(
        uri: "/ogc/collections/roofs/items", method: .get, headers: fixture.headers("alice"))
      #expect(items.status == .ok)
      #expect(
        Self.features(items).compactMap { $0["id"]?.stringValue } == (0..<5).map { "\(older.id!)-\($0)" })
    }
    #expect(try fixture.workspace.store.read { try $0.layerBuild(ofTask: run.taskId)?.runId } == older.id)
  }
}
