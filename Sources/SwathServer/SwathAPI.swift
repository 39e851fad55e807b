import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import SwathWeb
import SwathWorkflow

/// How `swath serve` listens and what it takes.
public struct ServerOptions: Sendable {
  public var host: String
  public var port: Int
  /// The largest request body read, in bytes; larger ones get 413 before they are read.
  public var maxBodyBytes: Int
  /// Threads that run the blocking use cases (see `BlockingWork`).
  public var threads: Int
  /// Failed authentications from one address within `failedLoginWindow` seconds after which
  /// answers are slowed, and after which the address is refused (429).
  public var slowLoginsAfter: Int
  public var refuseLoginsAfter: Int
  public var failedLoginWindow: TimeInterval
  /// Seconds a connection may stay silent before the server closes it, so idle or stalled
  /// clients cannot hold connections open.
  public var idleTimeout: Int
  /// Behind a reverse proxy on this machine, the client is the first `X-Forwarded-For` address
  /// of a request from loopback (for the failed-login throttle); otherwise every client would
  /// share the proxy's address.
  public var trustForwardedFor: Bool
  /// Whether this node also runs queued jobs (with SQLite, the one worker; on PostgreSQL, one of
  /// any number, beside `swath worker` processes).
  public var runsJobs: Bool
  /// Bytes of rendered chips kept in memory (`ChipCache`).
  public var chipCacheBytes: Int
  /// Seconds a chip or context render may take before the request is answered 502: a scene's
  /// server that stalls costs the client this long at most (the read itself ends with GDAL's
  /// HTTP timeout).
  public var renderTimeout: Double

  public init(
    host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 64 << 20, threads: Int = 8,
    slowLoginsAfter: Int = 5, refuseLoginsAfter: Int = 20, failedLoginWindow: TimeInterval = 300,
    idleTimeout: Int = 30, trustForwardedFor: Bool = false, runsJobs: Bool = true,
    chipCacheBytes: Int = 256 << 20, renderTimeout: Double = 20
  ) {
    self.runsJobs = runsJobs
    self.renderTimeout = renderTimeout
    self.chipCacheBytes = chipCacheBytes
    self.idleTimeout = idleTimeout
    self.trustForwardedFor = trustForwardedFor
    self.host = host
    self.port = port
    self.maxBodyBytes = maxBodyBytes
    self.threads = threads
    self.slowLoginsAfter = slowLoginsAfter
    self.refuseLoginsAfter = refuseLoginsAfter
    self.failedLoginWindow = failedLoginWindow
  }
}

/// One route of the API: the single table the router is built from and the test compares with
/// Schemas/openapi.yaml, so the document and the server cannot drift apart.
public struct Endpoint: Sendable {
  public let method: HTTPRequest.Method
  /// In OpenAPI's form, which is also Hummingbird's: `/api/v1/tasks/{task}`.
  public let path: String
  /// Whether the route needs a bearer token (all but health, readiness and the document).
  public let authenticated: Bool
  let handler: @Sendable (Request, APIRequestContext, SwathAPI) async throws -> Response
}

/// The HTTP API of a workspace: a front end that only calls the workflow's use cases.
public final class SwathAPI: Sendable {
  public let workspace: Workspace
  public let options: ServerOptions
  let work: BlockingWork
  let failedLogins: FailedLogins
  let metrics = ServerMetrics()
  let chipCache: ChipCache
  /// The browser pages and Debian's Leaflet, where found (nil: not installed; `swath serve` says so).
  public let pages: URL?
  public let leaflet: URL?

  public init(workspace: Workspace, options: ServerOptions = ServerOptions()) {
    self.workspace = workspace
    self.options = options
    self.work = BlockingWork(threads: options.threads)
    self.chipCache = ChipCache(capacity: options.chipCacheBytes)
    self.pages = WebAssets.pages()
    self.leaflet = WebAssets.leaflet()
    self.failedLogins = FailedLogins(
      policy: FailedLogins.Policy(
        slowAfter: options.slowLoginsAfter, refuseAfter: options.refuseLoginsAfter,
        window: options.failedLoginWindow))
  }

  /// Stops the threads of the blocking use cases.
  public func shutdown() async throws { try await work.shutdown() }

  /// The router: problem documents around everything, bearer authentication around all but the
  /// public routes.
  public func router() -> Router<APIRequestContext> {
    let router = Router(context: APIRequestContext.self)
    router.add(middleware: AccessLog(metrics: metrics))
    router.add(middleware: ProblemMiddleware())
    let open = router.group()
    let authenticated = router.group().add(
      middleware: BearerAuthentication(
        workspace: workspace, work: work, failedLogins: failedLogins,
        trustForwardedFor: options.trustForwardedFor)
    ).add(middleware: IdempotencyKeys(api: self))
    for endpoint in Self.endpoints {
      let group = endpoint.authenticated ? authenticated : open
      group.on(RouterPath(endpoint.path), method: endpoint.method) { [self] request, context in
        try await endpoint.handler(request, context, self)
      }
    }
    // A known path with a method it does not take is 405 with `Allow`, not 404.
    let methods = Dictionary(grouping: Self.endpoints, by: \.path).mapValues { Set($0.map(\.method)) }
    let others: [HTTPRequest.Method] = [
      .get, .post, .put, .delete, .patch, .options, .trace, HTTPRequest.Method("QUERY")!,
    ]
    for (path, allowed) in methods {
      let allow = allowed.map(\.rawValue).sorted().joined(separator: ", ")
      for method in others where !allowed.contains(method) {
        open.on(RouterPath(path), method: method) { _, _ -> Response in
          throw Problem(.methodNotAllowed, "\(path) takes \(allow)", allow: allow)
        }
      }
    }
    WebPages.mount(on: router, pages: pages, leaflet: leaflet)
    return router
  }

  /// Runs the queued background jobs one at a time until cancelled (`swath serve` runs this
  /// beside the server unless told not to). Claims are exclusive, so any number of nodes and
  /// workers may run it on one PostgreSQL store.
  public func runJobs() async {
    let workspace = self.workspace
    while !Task.isCancelled {
      let ran = (try? await work.run { try workspace.runNextJob() }) ?? nil
      if ran == nil { try? await Task.sleep(for: .milliseconds(200)) }
    }
  }

  /// The application `swath serve` runs; `onServerRunning` learns the bound port.
  public func application(
    logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
  ) -> some ApplicationProtocol {
    Application(
      router: router(),
      server: .http1(configuration: .init(idleTimeout: .seconds(Int64(options.idleTimeout)))),
      configuration: ApplicationConfiguration(
        address: .hostname(options.host, port: options.port), serverName: "swath"),
      services: options.runsJobs ? [JobWorker(api: self)] : [],
      onServerRunning: { channel in await onServerRunning(channel.localAddress?.port) },
      logger: logger)
  }

  /// Runs the server until SIGTERM or SIGINT, then finishes the requests in flight and returns
  /// (swift-service-lifecycle's graceful shutdown). Blocks the calling thread: for a command.
  public func runUntilSignalled(
    logger: Logger? = nil, onServerRunning: @escaping @Sendable (Int?) async -> Void = { _ in }
  ) throws {
    let application = application(logger: logger, onServerRunning: onServerRunning)
    let failure = NIOLockedValueBox<(any Error)?>(nil)
    let done = DispatchSemaphore(value: 0)
    Task { [self] in
      do {
        try await application.runService()
      } catch {
        failure.withLockedValue { $0 = error }
      }
      try? await shutdown()
      done.signal()
    }
    done.wait()
    if let error = failure.withLockedValue({ $0 }) { throw error }
  }

  /// Runs a use case on the blocking threads, as the authenticated caller.
  func call<T: Sendable>(
    _ context: APIRequestContext, _ body: @escaping @Sendable (Workspace, Caller) throws -> T
  ) async throws -> T {
    let caller = try context.requireCaller()
    let workspace = self.workspace
    return try await work.run { try body(workspace, caller) }
  }
}

/// The background job worker as a service of the application: it stops with the server.
struct JobWorker: Service {
  let api: SwathAPI

  func run() async throws {
    await cancelWhenGracefulShutdown { await api.runJobs() }
  }
}
