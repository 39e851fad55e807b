import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import SwathGDAL
import SwathGeometry
import SwathServer
import SwathStore
import SwathTestSupport
import SwathTiling
import SwathWorkflow
import Testing

/// `GET …/chips/{chip}.png` of tasks whose chips are rendered when asked for: the pre-cut chip's
/// pixels, a strong ETag naming what decides them, 304 on a match; scenes by URL, and what
/// happens when their server fails (404, no answer) or the file is cut short.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct OnDemandChipRouteTests {
  /// The PNG's pixels, decoded by GDAL: band count, then the bands pixel-interleaved.
  static func pixels(_ body: ByteBuffer) throws -> [UInt8] {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("swath-\(UUID().uuidString).png")
    defer { try? FileManager.default.removeItem(at: file) }
    try Data(body.readableBytesView).write(to: file)
    let read = try TestSupport.rasterBytes(file.path)
    return [UInt8(read.bandCount), UInt8(read.width & 0xff)] + read.bytes
  }

  @Test func renderedChipsAreThePrecutChips() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    try await fixture.withClient { client in
      // The fixture's task again, rendered on demand, made through the API.
      let body =
        #"{"name": "drawn", "image": "atlanta", "region": "px:0,0,900,900", "labels": ["building"], "chip_size": 256, "overlap": 32, "replicas": 1, "chips": "on-demand"}"#
      let accepted = try await client.execute(
        uri: "/api/v1/tasks", method: .post,
        headers: fixture.headers("alice", contentType: "application/json"),
        body: body.buffer)
      #expect(accepted.status == .accepted)
      let job = try await fixture.finishedJob(client, accepted, as: "alice")
      #expect(job?["state"]?.stringValue == "succeeded")
      let task = try await client.execute(
        uri: "/api/v1/tasks/drawn", method: .get, headers: fixture.headers("alice"))
      #expect(task.body.json?["chip_source"]?.stringValue == "on-demand")
      #expect(!FileManager.default.fileExists(atPath: fixture.url.appendingPathComponent("chips/drawn").path))

      var tags: Set<String> = []
      // Interior, right edge (padded), corner.
      for chip in ["r0001_c0001", "r0001_c0003", "r0003_c0003"] {
        let drawn = try await client.execute(
          uri: "/api/v1/tasks/drawn/chips/\(chip).png", method: .get, headers: fixture.headers("alice"))
        #expect(drawn.status == .ok && drawn.headers[.contentType] == "image/png", "\(drawn.body.text)")
        let cut = try await client.execute(
          uri: "/api/v1/tasks/roofs/chips/\(chip).png", method: .get, headers: fixture.headers("alice"))
        #expect(try Self.pixels(drawn.body) == Self.pixels(cut.body), "\(chip)")
        let etag = try #require(drawn.headers[.eTag])
        #expect(etag.hasPrefix("\"") && !etag.hasPrefix("W/"))
        #expect(drawn.headers[.cacheControl] == "private, max-age=86400")
        tags.insert(etag)
        var again = fixture.headers("alice")
        again[.ifNoneMatch] = etag
        let revalidated = try await client.execute(
          uri: "/api/v1/tasks/drawn/chips/\(chip).png", method: .get, headers: again)
        #expect(revalidated.status == .notModified && revalidated.headers[.eTag] == etag)
        #expect(revalidated.body.readableBytes == 0)
        // From the cache: the same bytes.
        let second = try await client.execute(
          uri: "/api/v1/tasks/drawn/chips/\(chip).png", method: .get, headers: fixture.headers("alice"))
        #expect(second.body == drawn.body && second.headers[.eTag] == etag)
      }
      #expect(tags.count == 3)
      // The context ring comes from the same renderer, with the task's look.
      let context = try await client.execute(
        uri: "/api/v1/tasks/drawn/chips/r0001_c0001/context.png?margin=32", method: .get,
        headers: fixture.headers("alice"))
      let cutContext = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001/context.png?margin=32", method: .get,
        headers: fixture.headers("alice"))
      #expect(context.status == .ok && context.headers[HTTPField.Name("Swath-Offset-X")!] == "-32")
      #expect(try Self.pixels(context.body) == Self.pixels(cutContext.body))
      // An unknown chip choice is the client's mistake.
      let bad = try await client.execute(
        uri: "/api/v1/tasks", method: .post,
        headers: fixture.headers("alice", contentType: "application/json"),
        body: #"{"name": "x", "image": "atlanta", "labels": ["a"], "chips": "lazy"}"#.buffer)
      #expect(
        bad.status == .badRequest && bad.body.json?["detail"]?.stringValue?.contains("on-demand") == true)
    }
  }

  /// A scene by URL: registered through the API, its chips equal the local file's. When the file
  /// goes (404), is cut short, or the server stops answering, the chip is a 502 problem document
  /// within the timeout, and the server keeps answering other requests meanwhile.
  @Test func scenesByURLAndTheirServersFaults() async throws {
    let fixture = try ServerFixture()
    defer { fixture.remove() }
    let served = try TestSupport.temporaryDirectory("swath-served")
    defer { try? FileManager.default.removeItem(at: served) }
    let cog = served.appendingPathComponent("atlanta.tif")
    try RangeServer.makeCOG(from: TestSupport.image(ServerFixture.image), to: cog)
    let whole = try Data(contentsOf: cog)
    let server = try RangeServer(root: served)
    defer { server.stop() }
    // GDAL's HTTP timeout short for the test; the render deadline long enough that a loaded
    // machine (every suite at once on two cores) still renders the healthy chips in time.
    let timeout = 30.0
    RemoteScene.setOption("GDAL_HTTP_TIMEOUT", "3")
    defer { RemoteScene.setOption("GDAL_HTTP_TIMEOUT", nil) }

    try await fixture.withClient(renderTimeout: timeout) { client in
      for (name, file) in [("remote", "atlanta.tif"), ("short", "short.tif")] {
        let registered = try await client.execute(
          uri: "/api/v1/images", method: .post,
          headers: fixture.headers("alice", contentType: "application/json"),
          body: #"{"path": "\#(server.url(file))", "name": "\#(name)"}"#.buffer)
        #expect(registered.status == .created, "\(registered.body.text)")
        #expect(registered.body.json?["path"]?.stringValue == server.url(file))
        if name == "remote" {
          // The next scene is this one cut short, once registered whole.
          try whole.write(to: served.appendingPathComponent("short.tif"))
        }
      }
      try whole.prefix(whole.count / 2).write(to: served.appendingPathComponent("short.tif"))
      let missing = try await client.execute(
        uri: "/api/v1/images", method: .post,
        headers: fixture.headers("alice", contentType: "application/json"),
        body: #"{"path": "\#(server.url("none.tif"))"}"#.buffer)
      #expect(
        missing.status == .badRequest && missing.body.json?["detail"]?.stringValue?.contains("404") == true)

      for (task, image) in [("remote", "remote"), ("short", "short")] {
        var parameters = TaskParameters(
          name: task, imageName: image, region: "px:0,0,900,900", labels: ["building"], chipSize: 256,
          overlap: 32, replicas: 1)
        parameters.chips = .onDemand
        // The cut-short file no longer matches what was registered; record its task directly.
        if task == "short" { try whole.write(to: served.appendingPathComponent("short.tif")) }
        _ = try fixture.workspace.createTask(parameters, by: ServerFixture.admin)
        if task == "short" {
          try whole.prefix(whole.count / 2).write(to: served.appendingPathComponent("short.tif"))
        }
        // Task creation read every tile (for the mask); forget them, so the chips go to the server.
        ChipRenderer.shared.forget(scene: server.url("\(image == "remote" ? "atlanta" : "short").tif"))
      }
      let remote = try await client.execute(
        uri: "/api/v1/tasks/remote/chips/r0001_c0001.png", method: .get, headers: fixture.headers("alice"))
      let local = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0001_c0001.png", method: .get, headers: fixture.headers("alice"))
      #expect(remote.status == .ok)
      #expect(try Self.pixels(remote.body) == Self.pixels(local.body))

      // Cut short: the tiles past the end cannot be read.
      let short = try await client.execute(
        uri: "/api/v1/tasks/short/chips/r0003_c0003.png", method: .get, headers: fixture.headers("alice"))
      #expect(short.status == .badGateway, "\(short.body.text)")
      #expect(short.headers[.contentType] == "application/problem+json")
      #expect(short.body.json?["type"]?.stringValue == "https://swath.dev/problems/scene-unreadable")
      #expect(short.body.json?["detail"]?.stringValue?.contains("short.tif") == true)

      // Gone: 404 from the scene's server.
      try FileManager.default.moveItem(at: cog, to: served.appendingPathComponent("moved.tif"))
      let gone = try await client.execute(
        uri: "/api/v1/tasks/remote/chips/r0003_c0003.png", method: .get, headers: fixture.headers("alice"))
      #expect(gone.status == .badGateway, "\(gone.body.text)")
      #expect(gone.body.json?["detail"]?.stringValue?.contains("404") == true, "\(gone.body.text)")

      // No answer at all: the chip fails within the render deadline, while another request is
      // answered at once.
      try FileManager.default.moveItem(at: served.appendingPathComponent("moved.tif"), to: cog)
      // (Forget that it answered 404 a moment ago.)
      ChipRenderer.shared.forget(scene: server.url("atlanta.tif"))
      server.stall(true)
      async let stalled = {
        let response = try await client.execute(
          uri: "/api/v1/tasks/remote/chips/r0002_c0002.png", method: .get, headers: fixture.headers("alice"))
        return (response, Date())
      }()
      try await Task.sleep(for: .milliseconds(300))
      let meanwhile = try await client.execute(
        uri: "/api/v1/tasks/roofs/chips/r0002_c0002.png", method: .get, headers: fixture.headers("alice"))
      let answeredMeanwhile = Date()
      #expect(meanwhile.status == .ok)
      let (stalledResponse, stalledAt) = try await stalled
      server.stall(false)
      // The other request was answered while the stalled one still waited.
      #expect(answeredMeanwhile < stalledAt)
      #expect(stalledResponse.status == .badGateway, "\(stalledResponse.body.text)")
      #expect(
        stalledResponse.body.json?["type"]?.stringValue == "https://swath.dev/problems/scene-unreadable")
      // Ended by the render deadline (or GDAL's own HTTP timeout), not by the server: it stalls
      // for an hour.
      let detail = stalledResponse.body.json?["detail"]?.stringValue ?? ""
      #expect(
        detail.contains("did not answer within 30 s") || detail.lowercased().contains("timed out"),
        "\(detail)"
      )
      let health = try await client.execute(uri: "/healthz", method: .get, headers: [:])
      #expect(health.status == .ok)
    }
  }
}
