import CGDAL
import Foundation

/// Scenes read over HTTP(S) through GDAL's `/vsicurl/`: byte ranges of a cloud-optimised GeoTIFF,
/// never the whole file.
public enum RemoteScene {
  /// Whether `location` names a scene by URL rather than by a local path.
  public static func isURL(_ location: String) -> Bool {
    let lowered = location.lowercased()
    return lowered.hasPrefix("http://") || lowered.hasPrefix("https://")
  }

  /// The name GDAL opens: `/vsicurl/URL` for a URL, the path itself otherwise.
  public static func gdalName(_ location: String) -> String {
    isURL(location) ? "/vsicurl/\(location)" : location
  }

  /// GDAL's options for range reads, as titiler sets them; each applies only when the user has not
  /// set it (environment or `--config`). Read by GDAL at every request, so setting them once at
  /// start-up is enough.
  static let defaults: [(String, String)] = [
    // Opening a.tif would otherwise list the folder (to find .ovr, .aux.xml): a slow GET per open.
    ("GDAL_DISABLE_READDIR_ON_OPEN", "EMPTY_DIR"),
    ("GDAL_HTTP_MERGE_CONSECUTIVE_RANGES", "YES"),
    ("GDAL_HTTP_MULTIPLEX", "YES"),
    // Per open file: the tiles just read stay in memory for the next chip next to them.
    ("VSI_CACHE", "TRUE"),
    ("VSI_CACHE_SIZE", "\(16 << 20)"),
    // Process-wide cache of downloaded ranges, shared by every open URL.
    ("CPL_VSIL_CURL_CACHE_SIZE", "\(128 << 20)"),
    // A server that accepts and never answers fails the read in seconds, not minutes.
    ("GDAL_HTTP_CONNECTTIMEOUT", "5"),
    ("GDAL_HTTP_TIMEOUT", "15"),
    ("GDAL_HTTP_MAX_RETRY", "1"),
    ("GDAL_HTTP_RETRY_DELAY", "0.5"),
  ]

  static func configure() {
    for (key, value) in defaults where CPLGetConfigOption(key, nil) == nil {
      CPLSetConfigOption(key, value)
    }
  }

  /// Sets one GDAL configuration option for the whole process (e.g. GDAL_HTTP_TIMEOUT); nil
  /// restores Swath's default (or GDAL's, for an option Swath does not set).
  public static func setOption(_ key: String, _ value: String?) {
    GDAL.initialize()
    CPLSetConfigOption(key, value ?? defaults.first { $0.0 == key }?.1)
  }

  /// Drops what curl keeps of a URL (its size, ranges already read), so the next read asks the
  /// server again. Nothing to do for a local path.
  public static func forgetCached(_ location: String) {
    guard isURL(location) else { return }
    GDAL.initialize()
    VSICurlPartialClearCache(gdalName(location))
  }

  /// Why a URL cannot be read (curl's or the server's words: "HTTP response code: 404"), or nil
  /// when it answers.
  /// A quick question (2 s, no retry, on this thread only): asked after a failure, it must not
  /// wait out a stalled server's full timeout a second time.
  public static func unreachable(_ location: String) -> String? {
    forgetCached(location)
    GDAL.resetError()
    VSIErrorReset()
    let quick = [("GDAL_HTTP_TIMEOUT", "2"), ("GDAL_HTTP_CONNECTTIMEOUT", "2"), ("GDAL_HTTP_MAX_RETRY", "0")]
    for (key, value) in quick { CPLSetThreadLocalConfigOption(key, value) }
    defer { for (key, _) in quick { CPLSetThreadLocalConfigOption(key, nil) } }
    var status = stat()
    let found = withUnsafeMutablePointer(to: &status) {
      VSIStatExL(gdalName(location), OpaquePointer($0), VSI_STAT_EXISTS_FLAG | VSI_STAT_SET_ERROR_FLAG)
    }
    guard found != 0 else { return nil }
    // The virtual file layer keeps its own last error (the HTTP status), apart from CPL's.
    var message = VSIGetLastErrorMsg().map { String(cString: $0) } ?? ""
    if message.isEmpty { message = GDAL.lastErrorMessage() }
    return message.isEmpty ? "cannot be reached" : message
  }

  /// Size in bytes and the first `prefix` bytes of a scene (local or URL), read through GDAL's
  /// virtual file layer. Throws with GDAL's (or curl's) reason when the scene cannot be reached.
  public static func head(_ location: String, prefix: Int) throws -> (size: Int64, bytes: Data) {
    GDAL.initialize()
    GDAL.resetError()
    let name = gdalName(location)
    // What curl cached of the URL (size, first ranges) may predate a replaced file.
    forgetCached(location)
    // VSIStatBufL is `struct stat64`, which on 64-bit Linux is `struct stat`; Swift sees it opaque.
    var status = stat()
    let found = withUnsafeMutablePointer(to: &status) {
      VSIStatExL(name, OpaquePointer($0), VSI_STAT_EXISTS_FLAG | VSI_STAT_SIZE_FLAG | VSI_STAT_SET_ERROR_FLAG)
    }
    guard found == 0 else {
      throw GDALError.last("\(location): cannot be reached")
    }
    guard let file = VSIFOpenL(name, "rb") else { throw GDALError.last("\(location): cannot be opened") }
    defer { VSIFCloseL(file) }
    var buffer = [UInt8](repeating: 0, count: prefix)
    let read = buffer.withUnsafeMutableBytes { VSIFReadL($0.baseAddress, 1, prefix, file) }
    if read < min(prefix, Int(status.st_size)) {
      throw GDALError.last("\(location): cannot read its first \(prefix) bytes")
    }
    return (Int64(status.st_size), Data(buffer.prefix(read)))
  }
}
