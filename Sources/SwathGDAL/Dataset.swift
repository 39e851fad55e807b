import CGDAL
import Foundation

/// An affine pixel→CRS transform in GDAL's order:
/// x = c0 + col*c1 + row*c2, y = c3 + col*c4 + row*c5.
public struct GeoTransform: Sendable, Hashable, Codable {
  public var coefficients: [Double]

  public init(_ coefficients: [Double]) {
    precondition(coefficients.count == 6)
    self.coefficients = coefficients
  }

  public static let identity = GeoTransform([0, 1, 0, 0, 0, 1])

  public func apply(column: Double, row: Double) -> (x: Double, y: Double) {
    let c = coefficients
    return (c[0] + column * c[1] + row * c[2], c[3] + column * c[4] + row * c[5])
  }

  /// The transform of a window whose top-left pixel is (column, row).
  public func offset(column: Double, row: Double) -> GeoTransform {
    let origin = apply(column: column, row: row)
    var c = coefficients
    c[0] = origin.x
    c[3] = origin.y
    return GeoTransform(c)
  }

  public func inverted() -> GeoTransform? {
    let c = coefficients
    let det = c[1] * c[5] - c[2] * c[4]
    guard det != 0, det.isFinite else { return nil }
    let a = c[5] / det
    let b = -c[2] / det
    let d = -c[4] / det
    let e = c[1] / det
    return GeoTransform([-(a * c[0] + b * c[3]), a, b, -(d * c[0] + e * c[3]), d, e])
  }
}

/// A GDAL pixel data type (Byte, UInt16, Float64, …).
public struct RasterDataType: Sendable, Hashable, CustomStringConvertible {
  let raw: GDALDataType

  init(_ raw: GDALDataType) { self.raw = raw }

  public static let byte = RasterDataType(GDT_Byte)
  public static let float64 = RasterDataType(GDT_Float64)

  /// GDAL's name: Byte, UInt16, Int16, Float64, …
  public var name: String { String(cString: GDALGetDataTypeName(raw)) }
  public var description: String { name }
  public var sizeInBytes: Int { Int(GDALGetDataTypeSizeBytes(raw)) }
  public var isComplex: Bool { GDALDataTypeIsComplex(raw) != 0 }

  /// The smallest type that holds every value of both (GDALDataTypeUnion).
  public func union(_ other: RasterDataType) -> RasterDataType {
    RasterDataType(GDALDataTypeUnion(raw, other.raw))
  }

  /// Fills `count` values of this type at `buffer` with `value`, converted as GDAL converts.
  public func fill(_ buffer: UnsafeMutableRawPointer, count: Int, with value: Double) {
    var source = value
    GDALCopyWords64(&source, GDT_Float64, 0, buffer, raw, Int32(sizeInBytes), GIntBig(count))
  }
}

/// GDAL's mask flags of a band (GMF_*).
public struct MaskFlags: OptionSet, Sendable, Hashable {
  public let rawValue: Int32
  public init(rawValue: Int32) { self.rawValue = rawValue }

  public static let allValid = MaskFlags(rawValue: GMF_ALL_VALID)
  public static let perDataset = MaskFlags(rawValue: GMF_PER_DATASET)
  public static let alpha = MaskFlags(rawValue: GMF_ALPHA)
  public static let nodata = MaskFlags(rawValue: GMF_NODATA)

  /// ALL_VALID, PER_DATASET, ALPHA, NODATA: the names of the flags set, in that order.
  public var names: [String] {
    var names: [String] = []
    if contains(.allValid) { names.append("ALL_VALID") }
    if contains(.perDataset) { names.append("PER_DATASET") }
    if contains(.alpha) { names.append("ALPHA") }
    if contains(.nodata) { names.append("NODATA") }
    return names
  }
}

/// How a read or write lays pixels out in memory: the buffer's size in pixels and the byte
/// distances between neighbouring pixels, lines and bands (0: GDAL's packed default).
public struct BufferLayout: Sendable, Hashable {
  public var width: Int
  public var height: Int
  public var type: RasterDataType
  public var pixelSpace: Int
  public var lineSpace: Int
  public var bandSpace: Int

  public init(
    width: Int, height: Int, type: RasterDataType, pixelSpace: Int = 0, lineSpace: Int = 0,
    bandSpace: Int = 0
  ) {
    self.width = width
    self.height = height
    self.type = type
    self.pixelSpace = pixelSpace
    self.lineSpace = lineSpace
    self.bandSpace = bandSpace
  }
}

/// A window of pixels: top-left column and row, width and height.
public struct PixelWindow: Sendable, Hashable {
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int

  public init(x: Int, y: Int, width: Int, height: Int) {
    self.x = x
    self.y = y
    self.width = width
    self.height = height
  }
}

/// An owning wrapper of a GDALDatasetH opened read-only.
// @unchecked: the private handle never changes; Swath reads it from one thread at a time (strips).
public final class RasterDataset: @unchecked Sendable {
  private let handle: GDALDatasetH
  public let path: String

  /// Opens a raster read-only. On failure the GDALError's `reason` is GDAL's own explanation
  /// (asked for with GDAL_OF_VERBOSE_ERROR), its `message` names the path.
  /// `path` may be an HTTP(S) URL, read through `/vsicurl/` (`RemoteScene`).
  public init(path: String) throws {
    GDAL.initialize()
    GDAL.resetError()
    let remote = RemoteScene.isURL(path)
    if !remote {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw GDALError("\(path): no such file")
      }
      if isDirectory.boolValue { throw GDALError("\(path): is a directory, not a raster") }
      guard FileManager.default.isReadableFile(atPath: path) else {
        throw GDALError("\(path): permission denied")
      }
    }
    let name = RemoteScene.gdalName(path)
    guard let handle = GDALOpenEx(name, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil)
    else {
      let message = GDALError.last("\(path): not a raster GDAL can read").message
      // A second open of a URL would wait out a stalled server's timeout again: ask only for the
      // HTTP status (a 404, say), which GDAL's open does not report.
      if remote {
        let reason = RemoteScene.unreachable(path) ?? message.replacingOccurrences(of: "/vsicurl/", with: "")
        // The reason names the URL too: users see it alone (`image add`).
        throw GDALError("\(path): \(reason)", reason: "\(path): \(reason)")
      }
      throw GDALError(message, reason: Self.verboseReason(path: path))
    }
    self.handle = handle
    self.path = path
  }

  /// GDAL's own words for why it cannot open a file: GDALOpenEx only reports them when asked.
  private static func verboseReason(path: String) -> String? {
    GDAL.resetError()
    if let handle = GDALOpenEx(
      path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR), nil, nil, nil)
    {
      GDALClose(handle)
      return nil
    }
    let message = GDAL.lastErrorMessage()
    return message.isEmpty ? nil : message.replacingOccurrences(of: "\n", with: " ")
  }

  deinit { GDALClose(handle) }

  public var width: Int { Int(GDALGetRasterXSize(handle)) }
  public var height: Int { Int(GDALGetRasterYSize(handle)) }
  public var bandCount: Int { Int(GDALGetRasterCount(handle)) }
  public var driverName: String {
    guard let driver = GDALGetDatasetDriver(handle) else { return "" }
    return String(cString: GDALGetDriverShortName(driver))
  }

  /// nil when the dataset has no geotransform (GDAL's default is the identity).
  public var geoTransform: GeoTransform? {
    var c = [Double](repeating: 0, count: 6)
    guard GDALGetGeoTransform(handle, &c) == CE_None else { return nil }
    return GeoTransform(c)
  }

  public var spatialReference: SpatialReference? {
    guard let borrowed = GDALGetSpatialRef(handle) else { return nil }
    return SpatialReference.cloning(borrowed)
  }

  /// The band's C handle; it lives as long as this dataset.
  private func band(_ index: Int) -> GDALRasterBandH? {
    guard index >= 1, index <= bandCount else { return nil }
    return GDALGetRasterBand(handle, Int32(index))
  }

  private func existingBand(_ index: Int) throws -> GDALRasterBandH {
    guard let band = band(index) else {
      throw GDALError("\(path): band \(index) does not exist; it has \(bandCount)")
    }
    return band
  }

  /// GDAL's name for a band's data type: Byte, UInt16, Int16, Float64, …
  public func dataTypeName(band index: Int = 1) -> String {
    guard let band = band(index) else { return "Unknown" }
    return String(cString: GDALGetDataTypeName(GDALGetRasterDataType(band)))
  }

  /// A band's data type; Unknown for a band that does not exist.
  public func dataType(band index: Int) -> RasterDataType {
    guard let band = band(index) else { return RasterDataType(GDT_Unknown) }
    return RasterDataType(GDALGetRasterDataType(band))
  }

  public func colorInterpretation(band index: Int) -> String {
    guard let band = band(index) else { return "Undefined" }
    return String(cString: GDALGetColorInterpretationName(GDALGetRasterColorInterpretation(band)))
  }

  /// The band's nodata value, nil when it has none (or the band does not exist).
  public func noDataValue(band index: Int) -> Double? {
    guard let band = band(index) else { return nil }
    var found: Int32 = 0
    let value = GDALGetRasterNoDataValue(band, &found)
    return found != 0 ? value : nil
  }

  /// The flags of the band's validity mask (empty for a band that does not exist).
  public func maskFlags(band index: Int) -> MaskFlags {
    guard let band = band(index) else { return [] }
    return MaskFlags(rawValue: GDALGetMaskFlags(band))
  }

  /// Reads a window of several bands (GDALDatasetRasterIO), resampled to the buffer's size.
  /// Throws GDALError.last("<path>: cannot read") on failure; use `context` to retell it.
  public func read(
    bands: [Int], window: PixelWindow, into buffer: UnsafeMutableRawPointer, layout: BufferLayout
  ) throws {
    var bandMap = bands.map { Int32($0) }
    GDAL.resetError()
    let status = GDALDatasetRasterIO(
      handle, GF_Read, Int32(window.x), Int32(window.y), Int32(window.width), Int32(window.height),
      buffer, Int32(layout.width), Int32(layout.height), layout.type.raw, Int32(bands.count), &bandMap,
      Int32(layout.pixelSpace), Int32(layout.lineSpace), Int32(layout.bandSpace))
    guard status == CE_None else { throw GDALError.last("\(path): cannot read") }
  }

  /// Reads a window of one band (GDALRasterIO), resampled to the buffer's size.
  public func read(
    band index: Int, window: PixelWindow, into buffer: UnsafeMutableRawPointer, layout: BufferLayout
  ) throws {
    let band = try existingBand(index)
    try Self.read(band, window: window, into: buffer, layout: layout, path: path)
  }

  /// Reads a window of a band's validity mask (0 invalid, non-zero valid) as bytes.
  public func readMask(
    band index: Int, window: PixelWindow, into buffer: UnsafeMutablePointer<UInt8>, layout: BufferLayout
  ) throws {
    guard let mask = GDALGetMaskBand(try existingBand(index)) else {
      throw GDALError("\(path): band \(index) has no mask band")
    }
    var byteLayout = layout
    byteLayout.type = .byte
    try Self.read(mask, window: window, into: buffer, layout: byteLayout, path: path)
  }

  private static func read(
    _ band: GDALRasterBandH, window: PixelWindow, into buffer: UnsafeMutableRawPointer,
    layout: BufferLayout, path: String
  ) throws {
    GDAL.resetError()
    let status = GDALRasterIO(
      band, GF_Read, Int32(window.x), Int32(window.y), Int32(window.width), Int32(window.height),
      buffer, Int32(layout.width), Int32(layout.height), layout.type.raw, Int32(layout.pixelSpace),
      Int32(layout.lineSpace))
    guard status == CE_None else { throw GDALError.last("\(path): cannot read") }
  }
}
