import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwathWorkflow

/// `Idempotency-Key` on POSTs: the first request with a key runs and its answer is kept in the
/// store; a retry with the same key (to this or another server of the workspace) gets that answer
/// again and changes nothing. The same key with another request is 422; while the first is still
/// running, a retry gets 409. A request that fails on the server's side (5xx) frees its key.
struct IdempotencyKeys: RouterMiddleware {
  typealias Context = APIRequestContext

  static let header = HTTPField.Name("Idempotency-Key")!
  static let replayedHeader = HTTPField.Name("Idempotent-Replayed")!

  let api: SwathAPI

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard request.method == .post, let key = request.headers[Self.header] else {
      return try await next(request, context)
    }
    let body = try await Bodies.collect(request, limit: api.options.maxBodyBytes)
    let method = request.method.rawValue
    let path = request.uri.path
    let claim = try await api.call(context) { workspace, caller in
      try workspace.claimIdempotentRequest(key: key, method: method, path: path, body: body, by: caller)
    }
    switch claim {
    case .replay(let status, let contentType, let stored):
      var headers: HTTPFields = [Self.replayedHeader: "true"]
      if let contentType { headers[.contentType] = contentType }
      return Response(
        status: HTTPResponse.Status(code: status), headers: headers,
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: stored)))
    case .inProgress:
      throw Problem(.conflict, "a request with this Idempotency-Key is still running; retry later")
    case .keyReused:
      throw Problem(
        .invalidRequest, "this Idempotency-Key was used for another request (method, path or body differ)")
    case .proceed(let id):
      var replayable = request
      replayable.body = RequestBody(buffer: ByteBuffer(bytes: body))
      let response: Response
      do {
        response = try await next(replayable, context)
      } catch {
        let problem = Problem.from(error)
        if problem.kind.status.code >= 500 {
          _ = try? await api.call(context) { workspace, caller in
            try workspace.abandonIdempotentRequest(id, by: caller)
          }
          throw error
        }
        try await keep(id, problem.response(), context)
        throw error
      }
      return try await keep(id, response, context)
    }
  }

  /// Stores the answer (unless it is a server failure) and returns it, its body read once.
  @discardableResult
  private func keep(_ id: Int64, _ response: Response, _ context: Context) async throws -> Response {
    let collector = BodyCollector()
    try await response.body.write(CollectingWriter(collector: collector))
    let bytes = collector.data
    let status = Int(response.status.code)
    let contentType = response.headers[.contentType]
    if status >= 500 {
      _ = try? await api.call(context) { workspace, caller in
        try workspace.abandonIdempotentRequest(id, by: caller)
      }
    } else {
      try await api.call(context) { workspace, caller in
        try workspace.completeIdempotentRequest(
          id, status: status, contentType: contentType, body: bytes, by: caller)
      }
    }
    var copy = response
    copy.body = ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
    return copy
  }
}

/// Where a collected response body ends up (the writer is consumed by `write`).
private final class BodyCollector: @unchecked Sendable {
  // @unchecked: written by one response's writer, then read once it has finished.
  var data = Data()
}

private struct CollectingWriter: ResponseBodyWriter {
  let collector: BodyCollector

  mutating func write(_ buffer: ByteBuffer) async throws {
    collector.data.append(contentsOf: buffer.readableBytesView)
  }

  consuming func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
