import CGDAL
import Foundation

/// An owning wrapper of a raster GDAL creates (GDALCreate): set its georeference and band
/// properties, write pixels, then `close()`, which reports what GDAL could only find out while
/// flushing (a full disk, for GTiff).
// @unchecked: the handle is private and used by one thread at a time (Sendable only to be handed over).
public final class RasterWriter: @unchecked Sendable {
  private var handle: GDALDatasetH?
  public let path: String
  public let width: Int
  public let height: Int
  public let bandCount: Int

  /// Creates `path` with the driver named `driver` (e.g. GTiff) and creation options such as
  /// `COMPRESS=DEFLATE`.
  public init(
    creating path: String, driver driverName: String, width: Int, height: Int, bands: Int,
    type: RasterDataType, options: [String] = []
  ) throws {
    GDAL.initialize()
    GDAL.resetError()
    guard let driver = GDALGetDriverByName(driverName) else {
      throw GDALError.last("GDAL has no \(driverName) driver")
    }
    let created = withCStringArray(options) {
      GDALCreate(driver, path, Int32(width), Int32(height), Int32(bands), type.raw, $0)
    }
    guard let created else { throw GDALError.last("cannot create \(path)") }
    handle = created
    self.path = path
    self.width = width
    self.height = height
    bandCount = bands
  }

  deinit { if let handle { GDALClose(handle) } }

  private func open() throws -> GDALDatasetH {
    guard let handle else { throw GDALError("\(path): already closed") }
    return handle
  }

  private func band(_ index: Int) throws -> GDALRasterBandH {
    guard index >= 1, index <= bandCount, let band = GDALGetRasterBand(try open(), Int32(index)) else {
      throw GDALError("\(path): band \(index) does not exist; it has \(bandCount)")
    }
    return band
  }

  public func setGeoTransform(_ transform: GeoTransform) throws {
    var coefficients = transform.coefficients
    GDAL.resetError()
    guard GDALSetGeoTransform(try open(), &coefficients) == CE_None else {
      throw GDALError.last("cannot set the geotransform of \(path)")
    }
  }

  public func setSpatialReference(_ reference: SpatialReference) throws {
    GDAL.resetError()
    guard GDALSetSpatialRef(try open(), reference.handle) == CE_None else {
      throw GDALError.last("cannot set the CRS of \(path)")
    }
  }

  public func setNoDataValue(_ value: Double, band index: Int) throws {
    GDAL.resetError()
    guard GDALSetRasterNoDataValue(try band(index), value) == CE_None else {
      throw GDALError.last("cannot set the nodata value of band \(index) of \(path)")
    }
  }

  /// Sets a band's colour interpretation by GDAL's name for it (Red, Gray, Alpha, …), as
  /// `RasterDataset.colorInterpretation(band:)` reports it.
  public func setColorInterpretation(_ name: String, band index: Int) throws {
    GDAL.resetError()
    let interpretation = GDALGetColorInterpretationByName(name)
    guard GDALSetRasterColorInterpretation(try band(index), interpretation) == CE_None else {
      throw GDALError.last("cannot set the colour interpretation of band \(index) of \(path)")
    }
  }

  /// Writes a window of every band (GDALDatasetRasterIO) from `buffer`.
  public func write(window: PixelWindow, from buffer: UnsafeRawPointer, layout: BufferLayout) throws {
    GDAL.resetError()
    let status = GDALDatasetRasterIO(
      try open(), GF_Write, Int32(window.x), Int32(window.y), Int32(window.width), Int32(window.height),
      UnsafeMutableRawPointer(mutating: buffer), Int32(layout.width), Int32(layout.height), layout.type.raw,
      Int32(bandCount), nil, Int32(layout.pixelSpace), Int32(layout.lineSpace), Int32(layout.bandSpace))
    guard status == CE_None else { throw GDALError.last("cannot write \(path)") }
  }

  /// Adds a per-dataset validity mask kept inside the file (GTiff's internal mask) and writes
  /// the whole mask from `mask` (width × height bytes, 0 invalid, 255 valid).
  public func writeInternalMask(_ mask: UnsafePointer<UInt8>) throws {
    let dataset = try open()
    GDAL.resetError()
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
    var status = GDALCreateDatasetMaskBand(dataset, GMF_PER_DATASET)
    CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nil)
    if status == CE_None {
      status = GDALRasterIO(
        GDALGetMaskBand(try band(1)), GF_Write, 0, 0, Int32(width), Int32(height),
        UnsafeMutableRawPointer(mutating: mask), Int32(width), Int32(height), GDT_Byte, 0, 0)
    }
    guard status == CE_None else { throw GDALError.last("cannot write \(path)") }
  }

  /// Closes the file; throws when GDAL reports a failure while flushing it. Closing twice
  /// does nothing.
  public func close() throws {
    guard let handle else { return }
    self.handle = nil
    GDAL.resetError()
    GDALClose(handle)
    if GDAL.lastErrorIsFailure { throw GDALError.last("cannot finish \(path)") }
  }

  /// Closes the file without reporting (after another failure, before it is removed).
  public func abandon() {
    guard let handle else { return }
    self.handle = nil
    GDALClose(handle)
  }
}
