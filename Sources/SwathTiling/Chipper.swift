import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// Cuts a scene into georeferenced chips and writes `chips.geojson` last.
///
/// Memory stays bounded: the scene is read one strip of chip height at a time and the chips
/// of a strip are encoded in parallel. Every file goes to a temporary name and is renamed
/// (`AtomicFile`); a failed run removes what it wrote.
public enum Chipper {
  /// Chips `imagePath` into `outputDirectory` (created when missing) and returns the index.
  /// `warn` receives one line per warning (also recorded in the index). `progress` hears of
  /// one step, "chips", counting every grid cell considered (written or skipped).
  @discardableResult
  public static func run(
    imagePath: String, outputDirectory: String, options: ChipOptions,
    progress: any ProgressReporter = SilentProgress(), warn: (String) -> Void = { _ in }
  ) throws -> ChipIndex {
    let (_, plan) = try plan(imagePath: imagePath, options: options, warn: warn)

    let output = URL(fileURLWithPath: outputDirectory)
    let createdDirectory = try prepareDirectory(output)
    let ledger = OutputLedger()
    progress.begin("chips", unit: "chips", total: plan.cellRows.reduce(0) { $0 + $1.count })
    defer { progress.end() }
    do {
      let stretch = try plan.computeStretch()
      let chips: [IndexedChip]
      switch options.format {
      case .png:
        chips = try PNGChipWriter(
          plan: plan, stretch: stretch, directory: output, ledger: ledger, progress: progress
        ).run()
      case .tif:
        chips = try TIFFChipWriter(plan: plan, directory: output, ledger: ledger, progress: progress).run()
      }
      let index = ChipIndex(
        source: plan.sourceInfo, grid: plan.gridInfo,
        output: OutputInfo(
          format: options.format, bands: plan.bands, alpha: plan.alpha,
          compression: options.compression),
        stretch: stretch, chips: chips, warnings: plan.warnings)
      let indexURL = output.appendingPathComponent(ChipIndex.fileName)
      try writeAtomically(Data(index.geoJSON().utf8), to: indexURL, ledger: ledger)
      return index
    } catch {
      ledger.removeAll()
      if createdDirectory {
        try? FileManager.default.removeItem(at: output)
      }
      throw error
    }
  }

  /// The scene opened and its chip plan made, its warnings told: where `run` and `layOut` start.
  private static func plan(imagePath: String, options: ChipOptions, warn: (String) -> Void) throws -> (
    RasterDataset, ChipPlan
  ) {
    try options.validate()
    GDAL.initialize()
    limitBlockCache()
    let dataset: RasterDataset
    do {
      dataset = try RasterDataset(path: imagePath)
    } catch let error as GDALError {
      throw ChipError.input(error.message)
    }
    let plan = try ChipPlan(dataset: dataset, options: options)
    for warning in plan.warnings { warn(warning) }
    return (dataset, plan)
  }

  /// The chips `run` would cut from `imagePath`, without cutting them: the same grid, valid
  /// fractions (the mask is read one strip of chip height at a time), geotransforms, footprints
  /// and stretch, and no file written. For chips rendered on request (`ChipRenderer`); each
  /// chip's `path` is empty.
  public static func layOut(
    imagePath: String, options: ChipOptions, progress: any ProgressReporter = SilentProgress(),
    warn: (String) -> Void = { _ in }
  ) throws -> ChipIndex {
    let (dataset, plan) = try plan(imagePath: imagePath, options: options, warn: warn)
    progress.begin("chips", unit: "chips", total: plan.cellRows.reduce(0) { $0 + $1.count })
    defer { progress.end() }
    let stretch = try plan.computeStretch()
    var chips: [IndexedChip] = []
    for cells in plan.cellRows where !cells.isEmpty {
      let left = cells.first!.x
      let stripWidth = min(dataset.width, cells.last!.x + plan.size) - left
      let stripHeight = cells.first!.height
      let mask = try plan.mask.read(x: left, y: cells.first!.y, width: stripWidth, height: stripHeight)
      for cell in cells {
        defer { progress.advance() }
        var valid = cell.width * cell.height
        if let mask {
          valid = 0
          for row in 0..<cell.height {
            let start = row * stripWidth + cell.x - left
            for column in start..<(start + cell.width) where mask[column] != 0 { valid += 1 }
          }
        }
        guard plan.keeps(validPixels: valid) else { continue }
        chips.append(
          IndexedChip(
            id: cell.id, path: "", row: cell.row, col: cell.col, x: cell.x, y: cell.y, width: cell.width,
            height: cell.height, validFraction: Double(valid) / Double(plan.size * plan.size),
            geoTransform: plan.chipTransform(cell), footprint: plan.footprint(cell)))
      }
    }
    return ChipIndex(
      source: plan.sourceInfo, grid: plan.gridInfo,
      output: OutputInfo(
        format: options.format, bands: plan.bands, alpha: plan.alpha, compression: options.compression),
      stretch: stretch, chips: chips, warnings: plan.warnings)
  }

  /// GDAL's block cache defaults to 5 % of RAM; a strip reader needs little of it.
  private static let cacheLimit: Void = GDAL.capBlockCache(bytes: 64 << 20)

  private static func limitBlockCache() { _ = cacheLimit }

  /// Creates the folder when missing; returns whether it did. Fails when it cannot be written.
  private static func prepareDirectory(_ url: URL) throws -> Bool {
    var isDirectory: ObjCBool = false
    let path = url.path
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) {
      guard isDirectory.boolValue else {
        throw ChipError.input("output folder \(path) is a file, not a folder")
      }
      guard access(path, W_OK | X_OK) == 0 else {
        throw ChipError.input("output folder \(path) is not writable: \(String(cString: strerror(errno)))")
      }
      return false
    }
    do {
      try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
      let reason = (error as NSError).localizedFailureReason ?? error.localizedDescription
      throw ChipError.input("cannot create output folder \(path): \(reason)")
    }
    return true
  }

  /// Writes through an `AtomicFile` (temporary name in the same folder, then a rename), so no
  /// reader sees half a file, and records the file in the ledger.
  static func writeAtomically(_ data: Data, to url: URL, ledger: OutputLedger) throws {
    try data.withUnsafeBytes { bytes in
      try writeAtomically(bytes, to: url, ledger: ledger)
    }
  }

  static func writeAtomically(_ bytes: UnsafeRawBufferPointer, to url: URL, ledger: OutputLedger) throws {
    let file = AtomicFile(destination: url)
    let temporary = file.temporary.path
    let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    guard descriptor >= 0 else {
      throw ChipError.input("cannot write \(temporary): \(String(cString: strerror(errno)))")
    }
    var offset = 0
    while offset < bytes.count {
      let written = write(descriptor, bytes.baseAddress! + offset, bytes.count - offset)
      if written < 0 {
        if errno == EINTR { continue }
        let reason = String(cString: strerror(errno))
        close(descriptor)
        file.discard()
        throw ChipError.input("cannot write \(temporary): \(reason)")
      }
      offset += written
    }
    guard close(descriptor) == 0 else {
      let reason = String(cString: strerror(errno))
      file.discard()
      throw ChipError.input("cannot write \(temporary): \(reason)")
    }
    try commit(file, ledger: ledger)
  }

  /// Renames a written temporary file into place and records it in the ledger.
  static func commit(_ file: AtomicFile, ledger: OutputLedger) throws {
    do {
      try file.commit()
    } catch let error as FileWriteError {
      throw ChipError.input(error.message)
    }
    ledger.record(file.destination.path)
  }
}

/// Files a run has written, so a failed run can take them back.
// @unchecked: `paths` is only read and written under `lock`.
final class OutputLedger: @unchecked Sendable {
  private let lock = NSLock()
  private var paths: [String] = []

  func record(_ path: String) {
    lock.lock()
    paths.append(path)
    lock.unlock()
  }

  func removeAll() {
    lock.lock()
    defer { lock.unlock() }
    for path in paths { unlink(path) }
    paths = []
  }
}

/// One grid cell to cut.
struct ChipCell {
  var row: Int
  var col: Int
  var x: Int
  var y: Int
  /// The window clipped to the image.
  var width: Int
  var height: Int

  var id: String { String(format: "r%04d_c%04d", row, col) }
}

/// The decisions of a run, made once from the dataset and the options.
// @unchecked: every property is set in init and only read afterwards, from any thread.
final class ChipPlan: @unchecked Sendable {
  let dataset: RasterDataset
  let options: ChipOptions
  let bands: [Int]
  let dataType: RasterDataType
  let mask: MaskReader
  let geoTransform: GeoTransform?
  let spatialReference: SpatialReference?
  let toWGS84: CoordinateTransform?
  let rowPositions: [Int]
  let columnPositions: [Int]
  /// Selected cells, grouped by grid row, each row ordered by column.
  let cellRows: [[ChipCell]]
  /// PNG chips carry the valid mask as alpha.
  let alpha: Bool
  private(set) var warnings: [String] = []

  var size: Int { options.size }

  init(dataset: RasterDataset, options: ChipOptions) throws {
    self.dataset = dataset
    self.options = options
    let width = dataset.width
    let height = dataset.height
    guard width > 0, height > 0, dataset.bandCount > 0 else {
      throw ChipError.input("\(dataset.path): has no raster bands")
    }
    bands = try Self.resolveBands(dataset: dataset, options: options)
    var type = dataset.dataType(band: bands[0])
    for band in bands.dropFirst() {
      type = type.union(dataset.dataType(band: band))
    }
    dataType = type
    if type.isComplex {
      throw ChipError.input(
        "\(dataset.path): complex data (\(dataset.dataTypeName(band: bands[0]))) cannot be chipped")
    }
    mask = MaskReader(dataset: dataset, bands: bands)

    geoTransform = dataset.geoTransform
    spatialReference = geoTransform == nil ? nil : dataset.spatialReference
    var warnings: [String] = []
    if geoTransform == nil {
      warnings.append("\(dataset.path) has no georeference: chips carry pixel positions only")
    } else if spatialReference == nil {
      warnings.append("\(dataset.path) has no CRS: chips have no WGS84 footprint")
    }
    if let spatialReference {
      toWGS84 = try? CoordinateTransform(from: spatialReference, to: SpatialReference.wgs84())
      if toWGS84 == nil {
        warnings.append("\(dataset.path): cannot reproject its CRS to WGS84; footprints omitted")
      }
    } else {
      toWGS84 = nil
    }
    if geoTransform?.inverted() == nil, geoTransform != nil {
      throw ChipError.input("\(dataset.path): its geotransform is degenerate (zero pixel size)")
    }

    let size = options.size
    rowPositions = Self.positions(extent: height, size: size, stride: options.stride, edge: options.edge)
    columnPositions = Self.positions(extent: width, size: size, stride: options.stride, edge: options.edge)

    var filter: RegionFilter?
    if let region = options.region {
      filter = try RegionFilter.resolve(
        region, imageWidth: width, imageHeight: height, geoTransform: dataset.geoTransform,
        spatialReference: spatialReference)
    }
    var rows: [[ChipCell]] = []
    var anyPartial = false
    for (rowIndex, y) in rowPositions.enumerated() {
      var cells: [ChipCell] = []
      for (columnIndex, x) in columnPositions.enumerated() {
        let cell = ChipCell(
          row: rowIndex, col: columnIndex, x: x, y: y, width: min(size, width - x),
          height: min(size, height - y))
        if cell.width < size || cell.height < size { anyPartial = true }
        if let filter, !filter.intersects(x: x, y: y, width: cell.width, height: cell.height) {
          continue
        }
        cells.append(cell)
      }
      rows.append(cells)
    }
    cellRows = rows
    alpha = options.format == .png && (!mask.allValid || anyPartial)
    if options.edge == .drop, rowPositions.isEmpty || columnPositions.isEmpty {
      warnings.append(
        "\(dataset.path) (\(width)×\(height)) is smaller than one \(size)-px chip: dropping partial chips cuts nothing"
      )
    }
    self.warnings = warnings
  }

  /// Chip origins along one axis.
  static func positions(extent: Int, size: Int, stride: Int, edge: EdgePolicy) -> [Int] {
    switch edge {
    case .drop:
      guard extent >= size else { return [] }
      return Array(Swift.stride(from: 0, through: extent - size, by: stride))
    case .pad, .shift:
      guard extent > size else { return [0] }
      let count = (extent - size + stride - 1) / stride + 1
      var origins = (0..<count).map { $0 * stride }
      if edge == .shift { origins[count - 1] = extent - size }
      return origins
    }
  }

  private static func resolveBands(dataset: RasterDataset, options: ChipOptions) throws -> [Int] {
    let count = dataset.bandCount
    if let requested = options.bands {
      for band in requested where band > count {
        throw ChipError.input(
          "band \(band) does not exist; \(dataset.path) has \(count) band\(count == 1 ? "" : "s")",
          setting: .bands)
      }
      if options.format == .png, requested.count != 1, requested.count != 3 {
        throw ChipError.usage(
          "PNG chips hold 1 band (grey) or 3 (RGB), got \(requested.count); GeoTIFF chips hold any number",
          setting: .bands)
      }
      return requested
    }
    let nonAlpha = (1...count).filter { dataset.colorInterpretation(band: $0) != "Alpha" }
    let candidates = nonAlpha.isEmpty ? Array(1...count) : nonAlpha
    if options.format == .tif { return candidates }
    let byInterpretation = ["Red", "Green", "Blue"].compactMap { name in
      (1...count).first { dataset.colorInterpretation(band: $0) == name }
    }
    if byInterpretation.count == 3 { return byInterpretation }
    return candidates.count >= 3 ? Array(candidates.prefix(3)) : [candidates[0]]
  }

  var sourceInfo: SourceInfo {
    SourceInfo(
      path: RemoteScene.isURL(dataset.path)
        ? dataset.path : URL(fileURLWithPath: dataset.path).standardizedFileURL.path, width: dataset.width,
      height: dataset.height, bandCount: dataset.bandCount,
      dataType: dataType.name,
      crsWKT: spatialReference?.wkt, epsg: spatialReference?.epsg, geoTransform: geoTransform,
      georeferenced: geoTransform != nil && spatialReference != nil, maskFlags: mask.flagNames)
  }

  var gridInfo: GridInfo {
    GridInfo(
      size: options.size, stride: options.stride, edge: options.edge, rows: rowPositions.count,
      columns: columnPositions.count)
  }

  /// The stretch of each chipped band; percentiles come from one decimated pass over the scene.
  func computeStretch() throws -> [BandStretch] {
    if options.format == .tif {
      return bands.map { BandStretch(band: $0, method: .none, min: nil, max: nil) }
    }
    switch options.stretch {
    case .none:
      return bands.map { BandStretch(band: $0, method: .none, min: nil, max: nil) }
    case .fixed(let low, let high):
      return bands.map { BandStretch(band: $0, method: .fixed, min: low, max: high) }
    case .auto:
      let needing = bands.filter { dataset.dataType(band: $0) != .byte }
      guard !needing.isEmpty, !cellRows.allSatisfy(\.isEmpty) else {
        return bands.map { BandStretch(band: $0, method: .none, min: nil, max: nil) }
      }
      let cuts = try SceneStatistics.percentiles(dataset: dataset, bands: needing, mask: mask)
      return bands.map { band in
        guard let position = needing.firstIndex(of: band), let (low, high) = cuts[position] else {
          return BandStretch(band: band, method: .none, min: nil, max: nil)
        }
        // A flat band would divide by zero; widen it by one unit.
        return BandStretch(band: band, method: .percentile, min: low, max: high > low ? high : low + 1)
      }
    }
  }

  /// The chip's geotransform, or nil without georeference.
  func chipTransform(_ cell: ChipCell) -> GeoTransform? {
    geoTransform?.offset(column: Double(cell.x), row: Double(cell.y))
  }

  /// The chip's full square outline in WGS84, counter-clockwise, four points per edge,
  /// rounded to 9 decimals.
  func footprint(_ cell: ChipCell) -> [[Double]]? {
    guard let geoTransform, let toWGS84 else { return nil }
    let size = Double(options.size)
    guard
      let ring = try? PixelFootprint.ring(
        geoTransform: geoTransform, column: Double(cell.x), row: Double(cell.y), width: size, height: size,
        pointsPerEdge: 4, to: toWGS84)
    else { return nil }
    return ring.map { [Self.round9($0.x), Self.round9($0.y)] }
  }

  private static func round9(_ value: Double) -> Double { (value * 1e9).rounded() / 1e9 }

  /// Whether a chip with this many valid pixels is kept.
  func keeps(validPixels: Int) -> Bool {
    let fraction = Double(validPixels) / Double(options.size * options.size)
    if let minValid = options.minValid { return fraction >= minValid }
    return validPixels > 0
  }
}
