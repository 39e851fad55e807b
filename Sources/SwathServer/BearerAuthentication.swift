import HTTPTypes
import Hummingbird
import SwathWorkflow

/// `Authorization: Bearer TOKEN` → the workflow's `authenticate` → a `Caller` in the context.
/// A missing, malformed, unknown, rotated or disabled user's token is one answer: 401 with the
/// Bearer challenge (the workflow gives the same message for each, so a guess learns nothing).
struct BearerAuthentication: RouterMiddleware {
  typealias Context = APIRequestContext

  static let challenge = #"Bearer realm="swath""#

  let workspace: Workspace
  let work: BlockingWork
  let failedLogins: FailedLogins
  let trustForwardedFor: Bool

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    let address = clientAddress(request, context)
    if let retryAfter = failedLogins.refusal(for: address) {
      throw Problem(
        .tooManyRequests, "too many failed authentications from this address; try again later",
        retryAfter: retryAfter)
    }
    guard let token = Self.token(in: request.headers[.authorization]) else {
      throw Problem(.unauthenticated, "send 'Authorization: Bearer TOKEN' (swath user token NAME issues one)")
    }
    // The command in the audit log is the route, as the CLI's is its command line.
    let command = "\(request.method) \(request.uri.path)"
    let workspace = self.workspace
    let caller: Caller
    do {
      caller = try await work.run { try workspace.authenticate(token: token, command: command) }
    } catch let error as WorkflowError where error.kind == .unauthenticated {
      let delay = failedLogins.recordFailure(for: address)
      if delay > 0 { try? await Task.sleep(for: .milliseconds(Int(delay * 1000))) }
      throw error
    }
    failedLogins.recordSuccess(for: address)
    context.record.userName = caller.name
    var context = context
    context.caller = caller
    return try await next(request, context)
  }

  /// Who is asking, for the throttle: the connection's address, or behind a trusted proxy on
  /// this machine the first `X-Forwarded-For` entry.
  func clientAddress(_ request: Request, _ context: Context) -> String {
    let direct = context.clientAddress
    guard trustForwardedFor, ["127.0.0.1", "::1", "local"].contains(direct),
      let forwarded = request.headers[HTTPField.Name("X-Forwarded-For")!]?.split(separator: ",").first
    else { return direct }
    let client = forwarded.trimmingCharacters(in: .whitespaces)
    return client.isEmpty ? direct : client
  }

  /// The token of a `Bearer` credential (scheme case-insensitive, RFC 7235); nil otherwise.
  static func token(in header: String?) -> String? {
    guard let header else { return nil }
    let parts = header.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
    guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
    let token = parts[1].trimmingCharacters(in: .whitespaces)
    return token.isEmpty ? nil : token
  }
}
