import Foundation
import SwathGDAL
import SwathSupport

/// Writes 8-bit PNG chips strip by strip: one read per strip, chips encoded in parallel.
// @unchecked: every stored property is a constant; the plan and ledger are themselves Sendable.
final class PNGChipWriter: @unchecked Sendable {
  private let plan: ChipPlan
  private let stretch: [BandStretch]
  private let directory: URL
  private let ledger: OutputLedger
  private let progress: any ProgressReporter
  private let bandCount: Int
  private let channels: Int
  private let size: Int
  /// The `<SRS>` element of every chip's `.aux.xml`, or nil without CRS.
  private let auxSRS: String?

  init(
    plan: ChipPlan, stretch: [BandStretch], directory: URL, ledger: OutputLedger,
    progress: any ProgressReporter
  ) {
    self.plan = plan
    self.stretch = stretch
    self.directory = directory
    self.ledger = ledger
    self.progress = progress
    bandCount = plan.bands.count
    channels = bandCount + (plan.alpha ? 1 : 0)
    size = plan.size
    auxSRS = plan.spatialReference.map(Self.srsElement)
  }

  func run() throws -> [IndexedChip] {
    let width = plan.dataset.width
    let rows = plan.cellRows.filter { !$0.isEmpty }
    let stripWidths = rows.map { cells in min(width, cells.last!.x + size) - cells.first!.x }
    guard let widest = stripWidths.max() else { return [] }
    let needsMask = !plan.mask.allValid
    // Two strips: the next one is read while the chips of the current one are encoded.
    let strips = (0..<min(2, rows.count)).map { _ in
      Strip(capacity: size * widest, bands: bandCount, mask: needsMask)
    }
    try load(rows[0], into: strips[0])
    var records: [IndexedChip] = []
    for (position, cells) in rows.enumerated() {
      let strip = strips[position % 2]
      var prefetch: Prefetch?
      if position + 1 < rows.count {
        let next = rows[position + 1]
        let target = strips[(position + 1) % 2]
        prefetch = Prefetch { try self.load(next, into: target) }
      }
      // The reader must be done with its strip before either can be freed or reused.
      defer { prefetch?.finish() }
      let results = try Parallel.map(cells.indices, maxThreads: plan.options.jobs) { item in
        let record = try self.encode(cells[item], from: strip)
        self.progress.advance()
        return record
      }
      records.append(contentsOf: results.compactMap { $0 })
      try prefetch?.wait()
    }
    return records
  }

  /// One strip of chip height across the selected columns, as interleaved 8-bit pixels.
  // @unchecked: one thread fills a strip, then encoders only read it (Prefetch joins between).
  final class Strip: @unchecked Sendable {
    let pixels: UnsafeMutablePointer<UInt8>
    let mask: UnsafeMutablePointer<UInt8>?
    var x = 0
    var y = 0
    var width = 0
    var height = 0

    init(capacity: Int, bands: Int, mask: Bool) {
      pixels = .allocate(capacity: capacity * bands)
      self.mask = mask ? .allocate(capacity: capacity) : nil
    }

    deinit {
      pixels.deallocate()
      mask?.deallocate()
    }
  }

  /// Work on its own thread, joined once.
  // @unchecked: `error` is written by the worker before `done.signal()` and read after `wait()`.
  final class Prefetch: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private var error: Error?
    private var joined = false

    init(_ work: @escaping @Sendable () throws -> Void) {
      Thread.detachNewThread { [self] in
        do { try work() } catch { self.error = error }
        done.signal()
      }
    }

    func finish() {
      guard !joined else { return }
      joined = true
      done.wait()
    }

    func wait() throws {
      finish()
      if let error { throw error }
    }
  }

  private func load(_ cells: [ChipCell], into strip: Strip) throws {
    strip.x = cells.first!.x
    strip.y = cells.first!.y
    strip.width = min(plan.dataset.width, cells.last!.x + size) - strip.x
    strip.height = cells.first!.height
    try read(strip)
    if let mask = strip.mask {
      try plan.mask.read(
        x: strip.x, y: strip.y, width: strip.width, height: strip.height, into: mask,
        bufferWidth: strip.width, bufferHeight: strip.height, lineStride: strip.width)
    }
  }

  private func read(_ strip: Strip) throws {
    let dataset = plan.dataset
    let lineSpace = strip.width * bandCount
    let window = PixelWindow(x: strip.x, y: strip.y, width: strip.width, height: strip.height)
    let failure = { (error: GDALError, band: Int?) -> ChipError in
      let rows = "rows \(strip.y)…\(strip.y + strip.height - 1)"
      let what = band.map { "band \($0) at \(rows)" } ?? rows
      return ChipError.input(error.context("\(dataset.path): cannot read \(what)").message)
    }
    if stretch.allSatisfy({ $0.min == nil }) {
      // GDAL's Byte conversion rounds and clamps, which is exactly the `none` stretch.
      do {
        try dataset.read(
          bands: plan.bands, window: window, into: strip.pixels,
          layout: BufferLayout(
            width: strip.width, height: strip.height, type: .byte, pixelSpace: bandCount,
            lineSpace: lineSpace,
            bandSpace: 1))
      } catch let error as GDALError {
        throw failure(error, nil)
      }
      return
    }
    let rowsPerChunk = max(1, (1 << 18) / strip.width)
    var scratch = [Double](repeating: 0, count: rowsPerChunk * strip.width)
    for (position, band) in plan.bands.enumerated() {
      guard let low = stretch[position].min, let high = stretch[position].max else {
        do {
          try dataset.read(
            band: band, window: window, into: strip.pixels + position,
            layout: BufferLayout(
              width: strip.width, height: strip.height, type: .byte, pixelSpace: bandCount,
              lineSpace: lineSpace))
        } catch let error as GDALError {
          throw failure(error, band)
        }
        continue
      }
      let scale = 255 / (high - low)
      var firstRow = 0
      while firstRow < strip.height {
        let rows = min(rowsPerChunk, strip.height - firstRow)
        do {
          try scratch.withUnsafeMutableBufferPointer { values in
            try dataset.read(
              band: band,
              window: PixelWindow(x: strip.x, y: strip.y + firstRow, width: strip.width, height: rows),
              into: values.baseAddress!,
              layout: BufferLayout(width: strip.width, height: rows, type: .float64))
          }
        } catch let error as GDALError {
          throw failure(error, band)
        }
        let target = strip.pixels + firstRow * strip.width * bandCount + position
        let channelsPerPixel = bandCount
        scratch.withUnsafeBufferPointer { values in
          for index in 0..<(rows * strip.width) {
            let value = values[index]
            var scaled = ((value - low) * scale).rounded()
            if !(scaled >= 0) { scaled = 0 }  // also NaN
            if scaled > 255 { scaled = 255 }
            target[index * channelsPerPixel] = UInt8(scaled)
          }
        }
        firstRow += rows
      }
    }
  }

  private func encode(_ cell: ChipCell, from strip: Strip) throws -> IndexedChip? {
    let localX = cell.x - strip.x
    var valid = cell.width * cell.height
    if let mask = strip.mask {
      valid = 0
      for row in 0..<cell.height {
        let line = mask + row * strip.width + localX
        for column in 0..<cell.width where line[column] != 0 { valid += 1 }
      }
    }
    guard plan.keeps(validPixels: valid) else { return nil }

    var chip: UnsafeMutablePointer<UInt8>?
    defer { chip?.deallocate() }
    let row: (Int) -> UnsafePointer<UInt8>
    if !plan.alpha, cell.width == size, cell.height == size {
      // Whole chip without alpha: the encoder reads straight from the strip.
      row = { [bandCount] in UnsafePointer(strip.pixels + ($0 * strip.width + localX) * bandCount) }
    } else {
      let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: size * size * channels)
      buffer.initialize(repeating: 0, count: size * size * channels)
      chip = buffer
      for row in 0..<cell.height {
        let target = buffer + row * size * channels
        let source = strip.pixels + (row * strip.width + localX) * bandCount
        if !plan.alpha {
          target.update(from: source, count: cell.width * bandCount)
          continue
        }
        let maskLine = strip.mask.map { $0 + row * strip.width + localX }
        for column in 0..<cell.width {
          let to = target + column * channels
          let from = source + column * bandCount
          for band in 0..<bandCount { to[band] = from[band] }
          to[bandCount] = (maskLine == nil || maskLine![column] != 0) ? 255 : 0
        }
      }
      row = { [size, channels] in UnsafePointer(buffer + $0 * size * channels) }
    }

    let png: Data
    do {
      png = try PNGEncoder.encode(
        width: size, height: size, channels: channels, compression: plan.options.compression, row: row)
    } catch let error as PNGEncodingError {
      throw ChipError.input("cannot encode chip \(cell.id) as PNG: \(error.message)")
    }

    let name = "\(cell.id).png"
    let transform = plan.chipTransform(cell)
    // Sidecars first: a chip that exists is always georeferenced.
    if let transform {
      try Chipper.writeAtomically(
        Data(Self.worldFile(transform).utf8), to: directory.appendingPathComponent("\(cell.id).pgw"),
        ledger: ledger)
      try Chipper.writeAtomically(
        Data(Self.auxXML(srs: auxSRS, transform: transform).utf8),
        to: directory.appendingPathComponent("\(name).aux.xml"), ledger: ledger)
    }
    try Chipper.writeAtomically(png, to: directory.appendingPathComponent(name), ledger: ledger)

    return IndexedChip(
      id: cell.id, path: name, row: cell.row, col: cell.col, x: cell.x, y: cell.y,
      width: cell.width, height: cell.height,
      validFraction: Double(valid) / Double(size * size), geoTransform: transform,
      footprint: plan.footprint(cell))
  }

  /// ESRI world file: pixel sizes and rotations, then the centre of the top-left pixel.
  static func worldFile(_ transform: GeoTransform) -> String {
    let c = transform.coefficients
    let centreX = c[0] + c[1] / 2 + c[2] / 2
    let centreY = c[3] + c[4] / 2 + c[5] / 2
    return [c[1], c[4], c[2], c[5], centreX, centreY].map { "\($0)" }.joined(separator: "\n") + "\n"
  }

  static func auxXML(srs: String?, transform: GeoTransform) -> String {
    var text = "<PAMDataset>\n"
    if let srs { text += "  \(srs)\n" }
    let coefficients = transform.coefficients.map { String(format: "%.17g", $0) }.joined(separator: ", ")
    text += "  <GeoTransform>\(coefficients)</GeoTransform>\n</PAMDataset>\n"
    return text
  }

  static func srsElement(_ reference: SpatialReference) -> String {
    let axes = reference.dataAxisToSRSAxisMapping
    let mapping = axes.isEmpty ? "1,2" : axes.map(String.init).joined(separator: ",")
    return "<SRS dataAxisToSRSAxisMapping=\"\(mapping)\">\(xmlEscaped(reference.wkt))</SRS>"
  }

  static func xmlEscaped(_ text: String) -> String {
    text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
      .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
  }
}
