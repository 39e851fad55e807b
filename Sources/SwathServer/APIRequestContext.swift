import Hummingbird
import SwathWorkflow

/// The request context of every route: Hummingbird's core storage and, once the authentication
/// middleware has run, who is asking.
public struct APIRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// Set by `BearerAuthentication` on every authenticated route; nil on the public ones.
  public var caller: Caller?
  /// The client's address as the failed-login throttle counts it ("local" when unknown, as in
  /// in-process tests).
  public let clientAddress: String

  public init(source: ApplicationRequestContextSource) {
    self.coreContext = .init(source: source)
    self.caller = nil
    self.clientAddress = source.channel.remoteAddress?.ipAddress ?? "local"
  }

  /// The authenticated caller; a route outside the authenticated group asking is a bug.
  func requireCaller() throws -> Caller {
    guard let caller else {
      throw WorkflowError("authentication required", kind: .unauthenticated)
    }
    return caller
  }
}
