import Foundation
import HTTPTypes
import Hummingbird
import Logging

/// One structured line per request (method, path, status, duration, user, request id), and the
/// request id in the `X-Request-Id` response header so a client's report can be matched with it.
struct AccessLog: RouterMiddleware {
  typealias Context = APIRequestContext

  static let requestIDHeader = HTTPField.Name("X-Request-Id")!

  let metrics: ServerMetrics

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let started = ContinuousClock.now
    let record = context.record
    var response: Response
    do {
      response = try await next(request, context)
    } catch {
      // Inner middleware answers every error; whatever still escapes is answered here.
      response = Problem.from(error).response()
    }
    response.headers[Self.requestIDHeader] = record.id
    let elapsed = ContinuousClock.now - started
    metrics.request(
      method: request.method.rawValue, route: context.endpointPath ?? "unmatched",
      status: Int(response.status.code), duration: elapsed)
    let milliseconds =
      Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
    context.logger.info(
      "request",
      metadata: [
        "method": "\(request.method)", "path": "\(request.uri.path)",
        "status": "\(response.status.code)", "duration_ms": "\(String(format: "%.1f", milliseconds))",
        "user": "\(record.userName ?? "-")", "request_id": "\(record.id)",
      ])
    return response
  }
}
