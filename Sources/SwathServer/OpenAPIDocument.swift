import Foundation
import Hummingbird
import NIOCore
import SwathSchemas

/// Schemas/openapi.yaml, the API's description, served as it is.
///
/// The file has one source, Schemas/openapi.yaml beside the JSON Schemas it references. The
/// Schemas folder is itself a small module (`SwathSchemas`) whose files are SwiftPM resources,
/// so the binary serves exactly the committed document, with no copy to keep in step by hand.
/// (A symbolic link into this module's folder was tried first: SwiftPM copies the link, not the
/// file, which breaks as soon as the bundle moves.)
enum OpenAPIDocument {
  static let mediaType = "application/yaml"

  /// The document's bytes; nil when the resource bundle was not installed beside the binary.
  static let data: Data? = SwathSchemas.data("openapi.yaml")

  static func response() throws -> Response {
    guard let data else {
      throw Problem(.internalError, "the OpenAPI document is not installed beside this binary")
    }
    return Response(
      status: .ok, headers: [.contentType: mediaType, .cacheControl: "public, max-age=3600"],
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
  }
}
