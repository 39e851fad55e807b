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
  /// (default 2048). Rendered on each request; `private`, since it is only for the signed-in.
  func taskOverview(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    var maxSide = 2048
    if let text = request.uri.queryParameters["max"].map(String.init) {
      guard let value = Int(text), (16...4096).contains(value) else {
        throw Problem(.invalidRequest, "max '\(text)': expected a whole number of pixels in 16…4096")
      }
      maxSide = value
    }
    let chosen = maxSide
    let image = try await call(context) { try $0.taskOverview(task: task, maxSide: chosen, by: $1) }
    return Response(
      status: .ok,
      headers: [
        .contentType: "image/png", .cacheControl: "private, max-age=3600",
        HTTPField.Name("X-Overview-Width")!: "\(image.width)",
        HTTPField.Name("X-Overview-Height")!: "\(image.height)",
      ],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: image.png)))
  }
}
