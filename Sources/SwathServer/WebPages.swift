import Foundation
import HTTPTypes
import Hummingbird
import SwathWeb

/// The browser pages: `/app/` (the bundled pages) and `/vendor/leaflet/` (Debian's Leaflet), both
/// public like any static file; every piece of data they show comes from `/api/v1` with the
/// user's own token, so a page never sees more than its user may.
enum WebPages {
  /// `/` redirects to the pages; the folders are mounted when present.
  static func mount(on router: Router<APIRequestContext>, pages: URL?, leaflet: URL?) {
    router.get("/") { _, _ -> Response in
      Response(status: .seeOther, headers: [.location: "/app/"])
    }
    mount(
      folder: pages, at: "app", on: router, missing: "the pages are not installed beside the swath binary")
    mount(
      folder: leaflet, at: "vendor/leaflet", on: router,
      missing: "Leaflet is not installed: install Debian's libjs-leaflet (tools/setup does)")
  }

  private static func mount(
    folder: URL?, at base: String, on router: Router<APIRequestContext>, missing: String
  ) {
    let group = router.group(RouterPath(base)).add(middleware: PageHeaders())
    if let folder {
      group.add(
        middleware: FileMiddleware(
          folder.path, urlBasePath: "/\(base)", cacheControl: .init([(MediaType(type: .any), [.noCache])]),
          searchForIndexHtml: true))
    }
    let message = folder == nil ? missing : "no such file"
    for path in ["", "**"] {
      // FileMiddleware serves a file only where the route answers 404.
      group.get(RouterPath(path)) { request, _ -> Response in
        throw HTTPError(.notFound, message: "\(request.uri.path): \(message)")
      }
    }
  }
}

/// What a browser must enforce for the pages: scripts, styles, images and requests from this
/// server only (nothing from outside, even if a page were tricked into asking), no framing.
struct PageHeaders: RouterMiddleware {
  typealias Context = APIRequestContext

  static let contentSecurityPolicy =
    "default-src 'self'; img-src 'self' blob: data:; style-src 'self' 'unsafe-inline'; "
    + "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    var response = try await next(request, context)
    response.headers[.contentSecurityPolicy] = Self.contentSecurityPolicy
    response.headers[.xContentTypeOptions] = "nosniff"
    response.headers[HTTPField.Name("Referrer-Policy")!] = "no-referrer"
    return response
  }
}
