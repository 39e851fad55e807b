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

/// An owning wrapper of a GDALDatasetH opened read-only.
public final class RasterDataset: @unchecked Sendable {
  public let handle: GDALDatasetH
  public let path: String

  public init(path: String) throws {
    GDAL.initialize()
    GDAL.resetError()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
      throw GDALError("\(path): no such file")
    }
    if isDirectory.boolValue { throw GDALError("\(path): is a directory, not a raster") }
    guard FileManager.default.isReadableFile(atPath: path) else {
      throw GDALError("\(path): permission denied")
    }
    guard let handle = GDALOpenEx(path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY), nil, nil, nil)
    else {
      throw GDALError.last("\(path): not a raster GDAL can read")
    }
    self.handle = handle
    self.path = path
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

  public func band(_ index: Int) -> GDALRasterBandH? {
    guard index >= 1, index <= bandCount else { return nil }
    return GDALGetRasterBand(handle, Int32(index))
  }

  /// GDAL's name for a band's data type: Byte, UInt16, Int16, Float64, …
  public func dataTypeName(band index: Int = 1) -> String {
    guard let band = band(index) else { return "Unknown" }
    return String(cString: GDALGetDataTypeName(GDALGetRasterDataType(band)))
  }

  public func colorInterpretation(band index: Int) -> String {
    guard let band = band(index) else { return "Undefined" }
    return String(cString: GDALGetColorInterpretationName(GDALGetRasterColorInterpretation(band)))
  }
}
