import Foundation

/// Where the browser pages and the map library they load are on this machine. The pages are this
/// module's `Pages/` folder, bundled as a resource; Leaflet is Debian's `libjs-leaflet`, served
/// from the system path so nothing is fetched from outside (no CDN).
public enum WebAssets {
  /// The folder of the pages (`index.html`, `annotate.html`, `js/`, `css/`); nil when the
  /// resource bundle is not installed beside the binary.
  public static var pages: URL? {
    Bundle.module.resourceURL.map { $0.appendingPathComponent("Pages", isDirectory: true) }
      .flatMap {
        FileManager.default.fileExists(atPath: $0.appendingPathComponent("index.html").path) ? $0 : nil
      }
  }

  /// Where `libjs-leaflet` installs Leaflet 1.7.
  public static let systemLeaflet = URL(fileURLWithPath: "/usr/share/javascript/leaflet", isDirectory: true)

  /// The folder holding `leaflet.js` and `leaflet.css`: `SWATH_LEAFLET_DIR` when set, else
  /// Debian's path; nil when neither holds Leaflet.
  public static func leaflet(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    let folder =
      environment["SWATH_LEAFLET_DIR"].map { URL(fileURLWithPath: $0, isDirectory: true) }
      ?? systemLeaflet
    let present = ["leaflet.js", "leaflet.css"].allSatisfy {
      FileManager.default.fileExists(atPath: folder.appendingPathComponent($0).path)
    }
    return present ? folder : nil
  }
}
