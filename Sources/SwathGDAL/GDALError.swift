import CGDAL
import Foundation

/// A failure reported by GDAL, OGR or OSR, carrying GDAL's own message.
public struct GDALError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }

  /// `context: <GDAL's last error message>`, falling back to `context` alone.
  public static func last(_ context: String) -> GDALError {
    let detail = GDAL.lastErrorMessage()
    return GDALError(detail.isEmpty ? context : "\(context): \(detail)")
  }
}

public enum GDAL {
  private static let registration: Void = {
    GDALAllRegister()
    // GDAL's default handler prints to stderr; we report errors ourselves.
    CPLSetErrorHandler(CPLQuietErrorHandler)
  }()

  /// Registers every driver once per process; safe from any thread.
  public static func initialize() { _ = registration }

  /// The calling thread's last GDAL error message (GDAL keeps it per thread).
  public static func lastErrorMessage() -> String {
    guard let message = CPLGetLastErrorMsg() else { return "" }
    return String(cString: message).trimmingCharacters(in: .whitespacesAndNewlines)
  }

  public static func resetError() { CPLErrorReset() }

  public static var version: String { String(cString: GDALVersionInfo("RELEASE_NAME")) }
}
