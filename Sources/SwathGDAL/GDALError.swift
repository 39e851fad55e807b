import CGDAL
import Foundation

/// A failure reported by GDAL, OGR or OSR, carrying GDAL's own message.
public struct GDALError: Error, CustomStringConvertible, Sendable {
  /// One line for people: what failed, then GDAL's reason when it gave one.
  public let message: String
  /// GDAL's own words for the failure, nil when GDAL said nothing (or the failure was found
  /// before GDAL was asked, e.g. a missing file).
  public let reason: String?

  public init(_ message: String, reason: String? = nil) {
    self.message = message
    self.reason = reason
  }

  public var description: String { message }

  /// `context: <GDAL's last error message>`, falling back to `context` alone.
  public static func last(_ context: String) -> GDALError {
    let detail = GDAL.lastErrorMessage()
    return GDALError(
      detail.isEmpty ? context : "\(context): \(detail)", reason: detail.isEmpty ? nil : detail)
  }

  /// The same failure told with another context: `context: <reason>`, or `context` alone when
  /// GDAL gave no reason (what `last(context)` would have said at the time of the failure).
  public func context(_ context: String) -> GDALError {
    GDALError(reason.map { "\(context): \($0)" } ?? context, reason: reason)
  }
}

public enum GDAL {
  private static let registration: Void = {
    GDALAllRegister()
    // GDAL's default handler prints to stderr; we report errors ourselves.
    CPLSetErrorHandler(CPLQuietErrorHandler)
    RemoteScene.configure()
  }()

  /// Registers every driver once per process; safe from any thread.
  public static func initialize() { _ = registration }

  /// The calling thread's last GDAL error message (GDAL keeps it per thread).
  public static func lastErrorMessage() -> String {
    guard let message = CPLGetLastErrorMsg() else { return "" }
    return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public static func resetError() { CPLErrorReset() }

  /// Whether the calling thread's last GDAL error was a failure (CE_Failure or CE_Fatal).
  static var lastErrorIsFailure: Bool {
    let type = CPLGetLastErrorType()
    return type == CE_Failure || type == CE_Fatal
  }

  public static var version: String { String(cString: GDALVersionInfo("RELEASE_NAME")) }

  /// Lowers GDAL's block cache (5 % of RAM by default) to `bytes`, unless the user chose a size
  /// with GDAL_CACHEMAX or the cache is already smaller.
  public static func capBlockCache(bytes: Int64) {
    initialize()
    if CPLGetConfigOption("GDAL_CACHEMAX", nil) == nil, GDALGetCacheMax64() > bytes {
      GDALSetCacheMax64(bytes)
    }
  }
}
