import Foundation
import SwathGDAL
import SwathSupport

/// Writes GeoTIFF chips in the source data type, unstretched, through GDAL's GTiff driver.
/// Validity travels as the source's nodata value, or as an internal mask when there is none.
final class TIFFChipWriter {
  private let plan: ChipPlan
  private let directory: URL
  private let ledger: OutputLedger
  private let progress: any ProgressReporter

  init(plan: ChipPlan, directory: URL, ledger: OutputLedger, progress: any ProgressReporter) {
    self.plan = plan
    self.directory = directory
    self.ledger = ledger
    self.progress = progress
  }

  func run() throws -> [IndexedChip] {
    let dataset = plan.dataset
    let size = plan.size
    let bands = plan.bands
    let type = plan.dataType
    let typeSize = type.sizeInBytes
    // Nodata carries validity only when every chipped band's mask comes from it.
    var nodata: Double?
    if plan.mask.flags.contains(.nodata) {
      let values = bands.compactMap { dataset.noDataValue(band: $0) }
      if values.count == bands.count, Set(values).count == 1 { nodata = values[0] }
    }
    let pixelCount = size * size
    let buffer = UnsafeMutableRawPointer.allocate(
      byteCount: pixelCount * bands.count * typeSize, alignment: 16)
    defer { buffer.deallocate() }
    var mask = [UInt8](repeating: 0, count: pixelCount)
    let options = [
      "COMPRESS=DEFLATE", "ZLEVEL=\(plan.options.compression == .fast ? 1 : 6)",
      "TILED=YES", "BLOCKXSIZE=\(min(512, (size + 15) / 16 * 16))",
      "BLOCKYSIZE=\(min(512, (size + 15) / 16 * 16))",
    ]
    let layout = BufferLayout(
      width: size, height: size, type: type, pixelSpace: typeSize, lineSpace: size * typeSize,
      bandSpace: pixelCount * typeSize)

    var records: [IndexedChip] = []
    for cell in plan.cellRows.joined() {
      type.fill(buffer, count: pixelCount * bands.count, with: nodata ?? 0)
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
      guard plan.keeps(validPixels: valid) else {
        progress.advance()
        continue
      }

      do {
        var cellLayout = layout
        cellLayout.width = cell.width
        cellLayout.height = cell.height
        try dataset.read(
          bands: bands, window: PixelWindow(x: cell.x, y: cell.y, width: cell.width, height: cell.height),
          into: buffer, layout: cellLayout)
      } catch let error as GDALError {
        throw ChipError.input(
          error.context("\(dataset.path): cannot read rows \(cell.y)…\(cell.y + cell.height - 1)").message)
      }

      let name = "\(cell.id).tif"
      let file = AtomicFile(destination: directory.appendingPathComponent(name), keepExtension: true)
      let temporary = file.temporary.path
      let transform = plan.chipTransform(cell)
      let chip: RasterWriter
      do {
        chip = try RasterWriter(
          creating: temporary, driver: "GTiff", width: size, height: size, bands: bands.count, type: type,
          options: options)
      } catch let error as GDALError {
        file.discard()
        throw ChipError.input(error.message)
      }
      // As GDAL's own tools do, a property the driver refuses does not stop the chip.
      if let transform { try? chip.setGeoTransform(transform) }
      if let reference = plan.spatialReference { try? chip.setSpatialReference(reference) }
      for (position, band) in bands.enumerated() {
        if let nodata { try? chip.setNoDataValue(nodata, band: position + 1) }
        let interpretation = dataset.colorInterpretation(band: band)
        if interpretation != "Alpha" { try? chip.setColorInterpretation(interpretation, band: position + 1) }
      }
      do {
        do {
          try chip.write(
            window: PixelWindow(x: 0, y: 0, width: size, height: size), from: buffer, layout: layout)
          if nodata == nil, valid < pixelCount {
            // Kept inside the TIFF so the rename carries it along.
            try mask.withUnsafeBufferPointer { try chip.writeInternalMask($0.baseAddress!) }
          }
        } catch {
          chip.abandon()
          throw error
        }
        // GTiff flushes on close; a full disk shows up only here.
        try chip.close()
      } catch let error as GDALError {
        file.discard()
        throw ChipError.input(error.context("cannot write \(temporary)").message)
      }
      try Chipper.commit(file, ledger: ledger)
      records.append(
        IndexedChip(
          id: cell.id, path: name, row: cell.row, col: cell.col, x: cell.x, y: cell.y,
          width: cell.width, height: cell.height,
          validFraction: Double(valid) / Double(pixelCount), geoTransform: transform,
          footprint: plan.footprint(cell)))
      progress.advance()
    }
    return records
  }
}
