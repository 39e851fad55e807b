import CGDAL
import Foundation

/// Label masks burnt by GDAL's rasterizer (GDALRasterizeGeometries) into an in-memory raster and
/// written as PNG (8-bit or 16-bit grey) by GDAL's PNG driver.
///
/// Coordinates are pixels of the mask: (0, 0) is the top-left corner of the first pixel, x to the
/// right, y down. A pixel takes a shape's value when its centre lies inside the shape (GDAL's
/// default rule, not ALL_TOUCHED); a later shape overwrites an earlier one.
public enum MaskRaster {
  /// One polygonal shape: polygons → rings (shell first, then holes) → (x, y) in mask pixels, and
  /// the value it burns into each band.
  public struct Shape: Sendable {
    public var polygons: [[[(x: Double, y: Double)]]]
    public var values: [Double]

    public init(polygons: [[[(x: Double, y: Double)]]], values: [Double]) {
      self.polygons = polygons
      self.values = values
    }
  }

  /// Burns `shapes` into `bands` bands of `width` × `height` pixels, all 0 at first; returns each
  /// band's pixels, row by row. Values are kept as 16-bit unsigned integers (0…65535).
  public static func burn(width: Int, height: Int, bands: Int, shapes: [Shape]) throws -> [[UInt16]] {
    GDAL.initialize()
    GDAL.resetError()
    guard width > 0, height > 0, bands > 0, let driver = GDALGetDriverByName("MEM") else {
      throw GDALError("cannot create a \(width) × \(height) mask in memory")
    }
    guard
      let dataset = GDALCreate(driver, "", Int32(width), Int32(height), Int32(bands), GDT_UInt16, nil)
    else { throw GDALError.last("cannot create a \(width) × \(height) mask in memory") }
    defer { GDALClose(dataset) }
    // The mask's pixels are its coordinates: no georeference, so the rasterizer does not
    // transform (DST_METHOD=NO_GEOTRANSFORM).
    if !shapes.isEmpty {
      let geometries = shapes.map { VectorGeometry.multiPolygon($0.polygons) }
      var handles: [OGRGeometryH?] = geometries.map { $0.handle }
      var burnValues: [Double] = []
      burnValues.reserveCapacity(shapes.count * bands)
      for shape in shapes {
        for band in 0..<bands { burnValues.append(band < shape.values.count ? shape.values[band] : 0) }
      }
      var bandList = (1...bands).map { Int32($0) }
      let status = withExtendedLifetime(geometries) {
        GDALRasterizeGeometries(
          dataset, Int32(bands), &bandList, Int32(handles.count), &handles, nil, nil, &burnValues, nil,
          nil, nil)
      }
      guard status == CE_None else { throw GDALError.last("cannot rasterize \(shapes.count) shape(s)") }
    }
    var result: [[UInt16]] = []
    for band in 1...bands {
      var pixels = [UInt16](repeating: 0, count: width * height)
      let status = pixels.withUnsafeMutableBytes { buffer in
        GDALRasterIO(
          GDALGetRasterBand(dataset, Int32(band)), GF_Read, 0, 0, Int32(width), Int32(height),
          buffer.baseAddress, Int32(width), Int32(height), GDT_UInt16, 0, 0)
      }
      guard status == CE_None else { throw GDALError.last("cannot read back band \(band) of a mask") }
      result.append(pixels)
    }
    return result
  }

  /// Writes `pixels` (`width` × `height`, row by row) as a one-band grey PNG at `path`: 8-bit
  /// when `sixteenBit` is false (values above 255 are clamped), else 16-bit. No georeference goes
  /// into the file, and GDAL writes no sidecar: the caller writes the chip's own.
  public static func writePNG(
    _ pixels: [UInt16], width: Int, height: Int, sixteenBit: Bool, to path: String
  ) throws {
    GDAL.initialize()
    GDAL.resetError()
    guard pixels.count == width * height, let memory = GDALGetDriverByName("MEM"),
      let png = GDALGetDriverByName("PNG")
    else { throw GDALError("cannot write \(path): \(pixels.count) values for \(width) × \(height) pixels") }
    let type = sixteenBit ? GDT_UInt16 : GDT_Byte
    guard let source = GDALCreate(memory, "", Int32(width), Int32(height), 1, type, nil) else {
      throw GDALError.last("cannot write \(path)")
    }
    defer { GDALClose(source) }
    var status: CPLErr
    if sixteenBit {
      var copy = pixels
      status = copy.withUnsafeMutableBytes { buffer in
        GDALRasterIO(
          GDALGetRasterBand(source, 1), GF_Write, 0, 0, Int32(width), Int32(height), buffer.baseAddress,
          Int32(width), Int32(height), GDT_UInt16, 0, 0)
      }
    } else {
      var bytes = pixels.map { UInt8(min($0, 255)) }
      status = bytes.withUnsafeMutableBytes { buffer in
        GDALRasterIO(
          GDALGetRasterBand(source, 1), GF_Write, 0, 0, Int32(width), Int32(height), buffer.baseAddress,
          Int32(width), Int32(height), GDT_Byte, 0, 0)
      }
    }
    guard status == CE_None else { throw GDALError.last("cannot write \(path)") }
    guard let written = GDALCreateCopy(png, path, source, 1, nil, nil, nil) else {
      throw GDALError.last("cannot write \(path)")
    }
    GDAL.resetError()
    GDALClose(written)
    if GDAL.lastErrorIsFailure { throw GDALError.last("cannot finish \(path)") }
  }
}
