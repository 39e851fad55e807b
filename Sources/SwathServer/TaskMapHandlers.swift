import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwathWorkflow

// Analysts: a task's map.
extension SwathAPI {
  /// `GET /api/v1/tasks/{task}/map`: chips with their states, the final layer and the
  /// annotators' figures, in scene pixels.
  func taskMap(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    return try Bodies.json(try await call(context) { try $0.taskMap(task: task, by: $1) })
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
