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

/// `GET /api/v1/tasks/{task}/chips/{chip}/review`: the chip as the reviewer's page shows it, every
/// annotator under a letter and never a name, in chip pixels; only the task's own work; for
/// reviewers and admins only.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ReviewChipViewTests {
  static let chip = "r0000_c0000"

  /// Two one-chip tasks over the same pixels, both assigned to ana and ben: sheds with both
  /// answers and a consensus run, barns with one answer of ana's and no run.
  static func prepare(_ fixture: ServerFixture) throws {
    let workspace = fixture.workspace
    for name in ["sheds", "barns"] {
      _ = try workspace.createTask(
        TaskParameters(
          name: name, imageName: "atlanta", region: "px:0,0,256,256", labels: ["building"], chipSize: 256,
          overlap: 0, replicas: 2),
        by: ServerFixture.admin)
      _ = try workspace.assign(task: name, annotators: ["ana", "ben"], by: ServerFixture.admin)
    }
    func submit(_ task: String, _ annotator: String, _ rings: [[[Double]]]) throws {
      let file = GeoJSONFixture.collection(rings.map { (label: "building", ring: $0) })
      let outcome = try workspace.submit(
        task: task, annotator: annotator, fileName: "\(annotator).geojson", raw: Data(file.utf8), chip: chip,
        pixel: true, by: Caller(name: annotator, role: .annotator, command: "test"))
      #expect(outcome.results.map(\.status) == ["accepted"])
    }
    try submit(
      "sheds", "ana",
      [GeoJSONFixture.pixelSquare(20, 20, 70, 70), GeoJSONFixture.pixelSquare(120, 120, 170, 170)])
    try submit("sheds", "ben", [GeoJSONFixture.pixelSquare(25, 20, 75, 70)])
    try submit("barns", "ana", [GeoJSONFixture.pixelSquare(200, 20, 240, 60)])
    _ = try workspace.runConsensus(task: "sheds", by: ServerFixture.admin)
  }

  /// The outer rings' pixel bounds: [minX, minY, maxX, maxY].
  static func bounds(_ pixels: JSONValue?) -> [Double] {
    let points = (pixels?.arrayValue ?? []).flatMap { $0.arrayValue?.first?.arrayValue ?? [] }.compactMap {
      point -> (Double, Double)? in
      guard let x = point.arrayValue?[0].doubleValue, let y = point.arrayValue?[1].doubleValue else {
        return nil
      }
      return (x, y)
    }
    return [
      points.map(\.0).min() ?? .nan, points.map(\.1).min() ?? .nan, points.map(\.0).max() ?? .nan,
      points.map(\.1).max() ?? .nan,
    ]
  }

  static func near(_ a: [Double], _ b: [Double]) -> Bool {
    a.count == b.count && zip(a, b).allSatisfy { abs($0 - $1) < 0.01 }
  }

  @Test func aReviewerSeesEveryAnnotatorAsALetterInChipPixels() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try Self.prepare(fixture)
    try await fixture.withClient { client in
      let uri = "/api/v1/tasks/sheds/chips/\(Self.chip)/review"
      let view = try await client.execute(uri: uri, method: .get, headers: fixture.headers("rev"))
      #expect(view.status == .ok, "\(view.body.text)")
      let json = try #require(view.body.json)
      // No annotator's name anywhere in the answer.
      #expect(!view.body.text.contains("ana") && !view.body.text.contains("ben"), "\(view.body.text)")
      #expect(json["annotators"]?.arrayValue == [.string("A"), .string("B")])
      #expect(json["width"]?.integerValue == 256 && json["height"]?.integerValue == 256)
      let shapes = try #require(json["shapes"]?.arrayValue)
      #expect(shapes.count == 3)
      // ana's two squares share one letter, ben's one square the other; back in the pixels sent.
      var byLetter: [String: [[Double]]] = [:]
      for shape in shapes {
        byLetter[shape["annotator"]?.stringValue ?? "?", default: []].append(Self.bounds(shape["pixels"]))
      }
      #expect(Set(byLetter.keys) == ["A", "B"])
      let anaLetter = try #require(byLetter.first { $0.value.count == 2 }?.key)
      let benLetter = anaLetter == "A" ? "B" : "A"
      let anas = byLetter[anaLetter]!.sorted { $0[0] < $1[0] }
      #expect(Self.near(anas[0], [20, 20, 70, 70]) && Self.near(anas[1], [120, 120, 170, 170]), "\(anas)")
      #expect(Self.near(byLetter[benLetter]![0], [25, 20, 75, 70]))

      // The run's objects on the chip: the one both drew has both letters, the other ana's only.
      let objects = try #require(json["objects"]?.arrayValue)
      #expect(objects.count == 2, "\(view.body.text)")
      let shared = try #require(objects.first { Self.bounds($0["pixels"])[0] < 100 })
      let single = try #require(objects.first { Self.bounds($0["pixels"])[0] > 100 })
      #expect(shared["members"]?.arrayValue == [.string("A"), .string("B")])
      #expect(single["members"]?.arrayValue == [.string(anaLetter)])
      let box = Self.bounds(shared["pixels"])
      #expect(
        box[0] >= 19.99 && box[2] <= 75.01 && abs(box[1] - 20) < 0.01 && abs(box[3] - 70) < 0.01, "\(box)")
      #expect(shared["id"]?.stringValue?.hasPrefix("\(json["run"]?.integerValue ?? -1)-") == true)
      for shape in shapes {
        let object = shape["object"]?.stringValue
        let expected = Self.bounds(shape["pixels"])[0] < 100 ? shared["id"] : single["id"]
        #expect(object.map(JSONValue.string) == expected)
      }

      // Nor in the rest of what the reviewer's page asks for: the review list and the next object.
      for (method, path) in [
        (HTTPRequest.Method.get, "/api/v1/tasks/sheds/review"), (.post, "/api/v1/tasks/sheds/review/next"),
      ] {
        let response = try await client.execute(uri: path, method: method, headers: fixture.headers("rev"))
        #expect(response.status == .ok, "\(path): \(response.body.text)")
        #expect(!response.body.text.contains("ana") && !response.body.text.contains("ben"), "\(path)")
      }

      // The same letters every time.
      let again = try await client.execute(uri: uri, method: .get, headers: fixture.headers("rev"))
      #expect(again.body.json == view.body.json)

      // Another task over the same pixels shows its own work only: ana's one square, no run.
      let barns = try await client.execute(
        uri: "/api/v1/tasks/barns/chips/\(Self.chip)/review", method: .get, headers: fixture.headers("rev"))
      #expect(barns.status == .ok)
      #expect(barns.body.json?["annotators"]?.arrayValue == [.string("A")])
      #expect(barns.body.json?["run"] == .null && barns.body.json?["objects"]?.arrayValue?.isEmpty == true)
      let barnShapes = barns.body.json?["shapes"]?.arrayValue ?? []
      #expect(
        barnShapes.count == 1 && Self.near(Self.bounds(barnShapes.first?["pixels"]), [200, 20, 240, 60]))

      // The chip's image and details are the reviewer's too now.
      for path in ["/api/v1/tasks/sheds/chips/\(Self.chip).png", "/api/v1/tasks/sheds/chips/\(Self.chip)"] {
        let response = try await client.execute(uri: path, method: .get, headers: fixture.headers("rev"))
        #expect(response.status == .ok, "\(path)")
      }
    }
  }

  @Test func onlyReviewersAndAdminsSeeTheChipForReview() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try Self.prepare(fixture)
    try await fixture.withClient { client in
      let uri = "/api/v1/tasks/sheds/chips/\(Self.chip)/review"
      let expected: [String?: HTTPResponse.Status] = [
        "ana": .forbidden, "ben": .forbidden, "alice": .forbidden, "rev": .ok, "adm": .ok,
        nil: .unauthorized, "gone": .unauthorized, "swath_not-a-token": .unauthorized,
      ]
      for (caller, status) in expected {
        let response = try await client.execute(uri: uri, method: .get, headers: fixture.headers(caller))
        #expect(response.status == status, "\(caller ?? "no token"): \(response.body.text)")
        if status != .ok {
          #expect(response.headers[.contentType] == "application/problem+json")
          #expect(!response.body.text.contains("\"A\""))
        }
      }
      // Unknown task, unknown chip, a chip key that is no key: 404 with a problem document.
      for path in [
        "/api/v1/tasks/nosuch/chips/\(Self.chip)/review", "/api/v1/tasks/sheds/chips/r0009_c0009/review",
        "/api/v1/tasks/sheds/chips/..%2Fx/review",
      ] {
        let response = try await client.execute(uri: path, method: .get, headers: fixture.headers("rev"))
        #expect(response.status == .notFound, "\(path): \(response.status)")
        #expect(response.headers[.contentType] == "application/problem+json")
      }
    }
  }
}
