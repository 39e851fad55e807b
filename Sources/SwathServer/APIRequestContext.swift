import Foundation
import Hummingbird
import NIOConcurrencyHelpers
import SwathWorkflow

/// What the access log learns about a request while inner middleware handles it (the context is
/// a value: an inner copy's changes would not reach the outer middleware otherwise).
final class RequestRecord: Sendable {
  let id: String
  private let user = NIOLockedValueBox<String?>(nil)

  init() { id = String(UInt64.random(in: 0...UInt64.max), radix: 36) }

  var userName: String? {
    get { user.withLockedValue { $0 } }
    set { user.withLockedValue { $0 = newValue } }
  }
}

/// The request context of every route: Hummingbird's core storage and, once the authentication
/// middleware has run, who is asking.
public struct APIRequestContext: RequestContext {
  public var coreContext: CoreRequestContextStorage
  /// Set by `BearerAuthentication` on every authenticated route; nil on the public ones.
  public var caller: Caller?
  /// The client's address as the failed-login throttle counts it ("local" when unknown, as in
  /// in-process tests).
  public let clientAddress: String
  /// The request's id and, once known, its user, for the access log.
  let record = RequestRecord()

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
