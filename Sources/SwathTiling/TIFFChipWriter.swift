import CGDAL
import Foundation
import SwathGDAL

/// Writes GeoTIFF chips in the source data type, unstretched, through GDAL's GTiff driver.
/// Validity travels as the source's nodata value, or as an internal mask when there is none.
final class TIFFChipWriter {
  private let plan: ChipPlan
  private let directory: URL
  private let ledger: OutputLedger

  init(plan: ChipPlan, directory: URL, ledger: OutputLedger) {
    self.plan = plan
    self.directory = directory
    self.ledger = ledger
  }

  func run() throws -> [ChipRecord] {
    guard let driver = GDALGetDriverByName("GTiff") else {
      throw ChipError.input("GDAL has no GTiff driver")
    }
    let dataset = plan.dataset
    let size = plan.size
    let bands = plan.bands
    let type = plan.dataType
    let typeSize = Int(GDALGetDataTypeSizeBytes(type))
    // Nodata carries validity only when every chipped band's mask comes from it.
    var nodata: Double?
    if plan.mask.flags & GMF_NODATA != 0 {
      var values: [Double] = []
      for band in bands {
        var found: Int32 = 0
        let value = GDALGetRasterNoDataValue(dataset.band(band), &found)
        if found != 0 { values.append(value) }
      }
      if values.count == bands.count, Set(values).count == 1 { nodata = values[0] }
    }
    let pixelCount = size * size
    let buffer = UnsafeMutableRawPointer.allocate(
      byteCount: pixelCount * bands.count * typeSize, alignment: 16)
    defer { buffer.deallocate() }
    var mask = [UInt8](repeating: 0, count: pixelCount)
    var bandMap = bands.map { Int32($0) }
    let options = [
      "COMPRESS=DEFLATE", "ZLEVEL=\(plan.options.compression == .fast ? 1 : 6)",
      "TILED=YES", "BLOCKXSIZE=\(min(512, (size + 15) / 16 * 16))",
      "BLOCKYSIZE=\(min(512, (size + 15) / 16 * 16))",
    ]

    var records: [ChipRecord] = []
    for cell in plan.cellRows.joined() {
      var fill = nodata ?? 0
      GDALCopyWords64(&fill, GDT_Float64, 0, buffer, type, Int32(typeSize), GIntBig(pixelCount * bands.count))
      var valid = cell.width * cell.height
      mask.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
      if plan.mask.allValid {
        for row in 0..<cell.height {
          for column in 0..<cell.width { mask[row * size + column] = 255 }
        }
      } else {
        try mask.withUnsafeMutableBufferPointer { target in
          try plan.mask.read(
            x: cell.x, y: cell.y, width: cell.width, height: cell.height, into: target.baseAddress!,
            bufferWidth: cell.width, bufferHeight: cell.height, lineStride: size)
        }
        valid = 0
        for row in 0..<cell.height {
          for column in 0..<cell.width where mask[row * size + column] != 0 { valid += 1 }
        }
      }
      guard plan.keeps(validPixels: valid) else { continue }

      GDAL.resetError()
      let readStatus = GDALDatasetRasterIO(
        dataset.handle, GF_Read, Int32(cell.x), Int32(cell.y), Int32(cell.width),
        Int32(cell.height), buffer, Int32(cell.width), Int32(cell.height), type,
        Int32(bands.count), &bandMap, Int32(typeSize), Int32(size * typeSize),
        Int32(pixelCount * typeSize))
      guard readStatus == CE_None else {
        throw ChipError.input(
          GDALError.last("\(dataset.path): cannot read rows \(cell.y)…\(cell.y + cell.height - 1)")
            .message)
      }

      let name = "\(cell.id).tif"
      let finalPath = directory.appendingPathComponent(name).path
      let temporary = finalPath + ".tmp"
      let transform = plan.chipTransform(cell)
      try withCStringArray(options) { creationOptions in
        guard
          let chip = GDALCreate(
            driver, temporary, Int32(size), Int32(size), Int32(bands.count), type, creationOptions)
        else {
          throw ChipError.input(GDALError.last("cannot create \(temporary)").message)
        }
        var closed = false
        defer { if !closed { GDALClose(chip) } }
        if var coefficients = transform?.coefficients {
          GDALSetGeoTransform(chip, &coefficients)
        }
        if let reference = plan.spatialReference { GDALSetSpatialRef(chip, reference.handle) }
        for (position, band) in bands.enumerated() {
          let target = GDALGetRasterBand(chip, Int32(position + 1))
          if let nodata { GDALSetRasterNoDataValue(target, nodata) }
          let interpretation = GDALGetRasterColorInterpretation(dataset.band(band))
          if interpretation != GCI_AlphaBand { GDALSetRasterColorInterpretation(target, interpretation) }
        }
        var status = GDALDatasetRasterIO(
          chip, GF_Write, 0, 0, Int32(size), Int32(size), buffer, Int32(size), Int32(size), type,
          Int32(bands.count), nil, Int32(typeSize), Int32(size * typeSize),
          Int32(pixelCount * typeSize))
        if status == CE_None, nodata == nil, valid < pixelCount {
          // Kept inside the TIFF so the rename carries it along.
          CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", "YES")
          status = GDALCreateDatasetMaskBand(chip, GMF_PER_DATASET)
          CPLSetThreadLocalConfigOption("GDAL_TIFF_INTERNAL_MASK", nil)
          if status == CE_None {
            status = mask.withUnsafeMutableBytes {
              GDALRasterIO(
                GDALGetMaskBand(GDALGetRasterBand(chip, 1)), GF_Write, 0, 0, Int32(size), Int32(size),
                $0.baseAddress, Int32(size), Int32(size), GDT_Byte, 0, 0)
            }
          }
        }
        let writeError = status == CE_None ? nil : GDALError.last("cannot write \(temporary)")
        closed = true
        GDAL.resetError()
        GDALClose(chip)
        // GTiff flushes on close; a full disk shows up only here.
        let closeError =
          CPLGetLastErrorType() == CE_Failure ? GDALError.last("cannot write \(temporary)") : nil
        if let error = writeError ?? closeError {
          unlink(temporary)
          throw ChipError.input(error.message)
        }
      }
      try Chipper.rename(temporary, to: finalPath, ledger: ledger)
      records.append(
        ChipRecord(
          id: cell.id, path: name, row: cell.row, col: cell.col, x: cell.x, y: cell.y,
          width: cell.width, height: cell.height,
          validFraction: Double(valid) / Double(pixelCount), geoTransform: transform,
          footprint: plan.footprint(cell)))
    }
    return records
  }
}
