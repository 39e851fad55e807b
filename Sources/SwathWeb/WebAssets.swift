import Foundation

/// Where the browser pages and the map library they load are on this machine. The pages are this
/// module's `Pages/` folder, bundled as a resource; Leaflet is Debian's `libjs-leaflet`, served
/// from the system path so nothing is fetched from outside (no CDN).
public enum WebAssets {
  /// The folder of the pages (`index.html`, `annotate.html`, `js/`, `css/`): `SWATH_PAGES_DIR`
  /// when set (to work on the pages without rebuilding), else the bundled copy; nil when neither
  /// holds `index.html`.
  public static func pages(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
    let folder =
      environment["SWATH_PAGES_DIR"].map { URL(fileURLWithPath: $0, isDirectory: true) }
      ?? Bundle.module.resourceURL?.appendingPathComponent("Pages", isDirectory: true)
    guard let folder, FileManager.default.fileExists(atPath: folder.appendingPathComponent("index.html").path)
    else { return nil }
    return folder
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
