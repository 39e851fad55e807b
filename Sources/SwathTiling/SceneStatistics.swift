import Foundation
import SwathGDAL

/// Per-scene percentiles of valid pixels, from one decimated read of the whole scene
/// (GDAL serves it from overviews when the file has them).
enum SceneStatistics {
  /// About this many pixels are sampled per band; the cut values are approximate above it.
  static let samplePixels = 1_048_576

  /// The (p2, p98) of each band's valid pixels, or nil for a band without any.
  static func percentiles(
    dataset: RasterDataset, bands: [Int], mask: MaskReader, low: Double = 2, high: Double = 98
  ) throws -> [(Double, Double)?] {
    let width = dataset.width
    let height = dataset.height
    let factor = max(1.0, (Double(width) * Double(height) / Double(samplePixels)).squareRoot())
    let sampleWidth = max(1, Int((Double(width) / factor).rounded(.up)))
    let sampleHeight = max(1, Int((Double(height) / factor).rounded(.up)))
    let count = sampleWidth * sampleHeight
    let validity = try mask.read(
      x: 0, y: 0, width: width, height: height, bufferWidth: sampleWidth,
      bufferHeight: sampleHeight)
    var values = [Double](repeating: 0, count: count)
    var results: [(Double, Double)?] = []
    for band in bands {
      do {
        try values.withUnsafeMutableBytes { buffer in
          try dataset.read(
            band: band, window: PixelWindow(x: 0, y: 0, width: width, height: height),
            into: buffer.baseAddress!,
            layout: BufferLayout(width: sampleWidth, height: sampleHeight, type: .float64))
        }
      } catch let error as GDALError {
        throw ChipError.input(error.context("\(dataset.path): cannot read band \(band)").message)
      }
      var valid: [Double] = []
      valid.reserveCapacity(count)
      for index in 0..<count where (validity?[index] ?? 255) != 0 && values[index].isFinite {
        valid.append(values[index])
      }
      guard !valid.isEmpty else {
        results.append(nil)
        continue
      }
      valid.sort()
      results.append((quantile(valid, low / 100), quantile(valid, high / 100)))
    }
    return results
  }

  /// Linear interpolation between closest ranks (NumPy's default).
  static func quantile(_ sorted: [Double], _ fraction: Double) -> Double {
    let position = fraction * Double(sorted.count - 1)
    let lower = Int(position.rounded(.down))
    let upper = min(sorted.count - 1, lower + 1)
    let weight = position - Double(lower)
    return sorted[lower] + (sorted[upper] - sorted[lower]) * weight
  }
}

/// Reads GDAL's validity mask for a set of bands: one per-dataset mask, or the AND of
/// per-band masks (nodata values). Never compares pixel values itself.
struct MaskReader {
  let dataset: RasterDataset
  /// Bands whose mask must be read; empty when every pixel is valid.
  let maskBands: [Int]
  let flags: MaskFlags

  init(dataset: RasterDataset, bands: [Int]) {
    self.dataset = dataset
    let first = dataset.maskFlags(band: bands[0])
    flags = first
    if first.contains(.perDataset) {
      maskBands = [bands[0]]
    } else {
      maskBands = bands.filter { !dataset.maskFlags(band: $0).contains(.allValid) }
    }
  }

  var allValid: Bool { maskBands.isEmpty }

  var flagNames: [String] { flags.names }

  /// The window's mask (0 = invalid, non-zero = valid) at buffer size, or nil when all valid.
  func read(
    x: Int, y: Int, width: Int, height: Int, bufferWidth: Int? = nil, bufferHeight: Int? = nil
  ) throws -> [UInt8]? {
    guard !maskBands.isEmpty else { return nil }
    let outWidth = bufferWidth ?? width
    let outHeight = bufferHeight ?? height
    var combined = [UInt8](repeating: 0, count: outWidth * outHeight)
    try combined.withUnsafeMutableBufferPointer { target in
      try read(
        x: x, y: y, width: width, height: height, into: target.baseAddress!, bufferWidth: outWidth,
        bufferHeight: outHeight, lineStride: outWidth)
    }
    return combined
  }

  /// As `read`, into caller-owned memory with a given line stride (in bytes).
  func read(
    x: Int, y: Int, width: Int, height: Int, into target: UnsafeMutablePointer<UInt8>,
    bufferWidth: Int, bufferHeight: Int, lineStride: Int
  ) throws {
    var scratch: [UInt8] = []
    let window = PixelWindow(x: x, y: y, width: width, height: height)
    for (position, band) in maskBands.enumerated() {
      do {
        if position == 0 {
          try dataset.readMask(
            band: band, window: window, into: target,
            layout: BufferLayout(
              width: bufferWidth, height: bufferHeight, type: .byte, pixelSpace: 1, lineSpace: lineStride))
        } else {
          if scratch.isEmpty { scratch = [UInt8](repeating: 0, count: bufferWidth * bufferHeight) }
          try scratch.withUnsafeMutableBufferPointer {
            try dataset.readMask(
              band: band, window: window, into: $0.baseAddress!,
              layout: BufferLayout(width: bufferWidth, height: bufferHeight, type: .byte))
          }
          scratch.withUnsafeBufferPointer { source in
            for row in 0..<bufferHeight {
              let line = target + row * lineStride
              let from = source.baseAddress! + row * bufferWidth
              for column in 0..<bufferWidth where from[column] == 0 { line[column] = 0 }
            }
          }
        }
      } catch let error as GDALError {
        throw ChipError.input(
          error.context(
            "\(dataset.path): cannot read the mask of band \(band) at rows \(y)…\(y + height - 1)"
          ).message)
      }
    }
  }
}
