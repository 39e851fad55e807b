import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwathStore
import SwathWorkflow

// Analysts: a task's map.
extension SwathAPI {
  /// `GET /api/v1/tasks/{task}/map`: chips with their states, the final layer and the
  /// annotators' figures, in scene pixels.
  func taskMap(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let box = try request.uri.queryParameters["bbox"].map { try Self.lonLatBox(String($0)) }
    return try Bodies.json(try await call(context) { try $0.taskMap(task: task, within: box, by: $1) })
  }

  /// `minLon,minLat,maxLon,maxLat` in degrees, each finite and in range, minimum first.
  static func lonLatBox(_ text: String) throws -> LonLatBox {
    let values = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Double($0.trimmingCharacters(in: .whitespaces))
    }
    guard values.count == 4, let minLon = values[0], let minLat = values[1], let maxLon = values[2],
      let maxLat = values[3], [minLon, minLat, maxLon, maxLat].allSatisfy(\.isFinite)
    else {
      throw Problem(.invalidRequest, "bbox '\(text)': expected four numbers minLon,minLat,maxLon,maxLat")
    }
    guard (-180...180).contains(minLon), (-180...180).contains(maxLon), (-90...90).contains(minLat),
      (-90...90).contains(maxLat)
    else {
      throw Problem(.invalidRequest, "bbox '\(text)': longitudes must be in -180…180, latitudes in -90…90")
    }
    guard minLon <= maxLon, minLat <= maxLat else {
      throw Problem(
        .invalidRequest, "bbox '\(text)': the minimum comes first (minLon ≤ maxLon, minLat ≤ maxLat)")
    }
    return LonLatBox(minLon: minLon, minLat: minLat, maxLon: maxLon, maxLat: maxLat)
  }

  /// `GET /api/v1/tasks/{task}/overview.png?max=PX`: the scene, its long side at most PX
  /// (default 2048), rendered on request. The ETag (the image's SHA-256 and the size) lets a client
  /// keep it: If-None-Match answers 304 without rendering. `private`: only for the signed-in.
  func taskOverview(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let chosen = try Bodies.pixelQuery(request, "max", in: 16...4096, default: 2048)
    let etag = try await call(context) { try $0.taskOverviewTag(task: task, maxSide: chosen, by: $1) }
    var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, max-age=3600"]
    if Bodies.holds(request, etag: etag) { return Response(status: .notModified, headers: headers) }
    let image = try await call(context) { try $0.taskOverview(task: task, maxSide: chosen, by: $1) }
    headers[.contentType] = "image/png"
    headers[HTTPField.Name("X-Overview-Width")!] = "\(image.width)"
    headers[HTTPField.Name("X-Overview-Height")!] = "\(image.height)"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: image.png)))
  }
}
