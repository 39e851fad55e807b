import Foundation

/// The documents of this folder (the OpenAPI description and the JSON Schemas it references),
/// bundled as SwiftPM resources so a binary can serve the committed files themselves: this folder
/// stays their single source.
public enum SwathSchemas {
  /// The bytes of `name` (e.g. `openapi.yaml`); nil when the resource bundle is not installed
  /// beside the binary.
  public static func data(_ name: String) -> Data? {
    Bundle.module.url(forResource: name, withExtension: nil).flatMap { try? Data(contentsOf: $0) }
  }
}
