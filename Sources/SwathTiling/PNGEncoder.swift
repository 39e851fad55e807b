import CPNGEncoder
import Foundation

/// A PNG that could not be encoded (sizes out of range, out of memory).
public struct PNGEncodingError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public var description: String { message }
}

/// 8-bit PNG encoding in memory: per row libpng's adaptive filter choice (or one filter), the
/// IDAT stream compressed by libdeflate. Chips, a chip's context and a scene's overview all go
/// through here.
public enum PNGEncoder {
  /// `pixels`: `height` rows of `width` pixels of `channels` interleaved 8-bit samples, without
  /// padding; 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA.
  public static func encode(
    pixels: [UInt8], width: Int, height: Int, channels: Int, compression: PNGCompression = .default
  ) throws -> Data {
    let (area, areaOverflows) = width.multipliedReportingOverflow(by: height)
    let (bytes, bytesOverflow) = area.multipliedReportingOverflow(by: channels)
    guard width > 0, height > 0, (1...4).contains(channels), !areaOverflows, !bytesOverflow,
      pixels.count == bytes
    else {
      throw PNGEncodingError(
        message: "\(pixels.count) bytes are not \(width) × \(height) pixels of \(channels) channels")
    }
    return try pixels.withUnsafeBufferPointer { buffer in
      try encode(width: width, height: height, channels: channels, compression: compression) {
        buffer.baseAddress! + $0 * width * channels
      }
    }
  }

  /// The same from rows anywhere in memory (`row(y)` is the first byte of row `y`), so chips are
  /// encoded straight from the strip they were read into.
  static func encode(
    width: Int, height: Int, channels: Int, compression: PNGCompression,
    row: (Int) -> UnsafePointer<UInt8>
  ) throws -> Data {
    guard width > 0, height > 0, width <= Int32.max, height <= Int32.max else {
      throw PNGEncodingError(message: "\(width) × \(height) pixels is out of PNG's range")
    }
    guard (1...4).contains(channels) else {
      throw PNGEncodingError(message: "\(channels) channels: PNG takes 1 to 4")
    }
    let rows = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: height)
    defer { rows.deallocate() }
    for y in 0..<height { rows[y] = row(y) }
    var output = swath_png_output()
    let status = swath_png_encode(
      rows, UInt32(width), UInt32(height), UInt32(channels), compression.deflateLevel,
      compression.filter, &output)
    guard status == 0, let data = output.data else {
      let message = withUnsafeBytes(of: output.message) {
        String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
      }
      throw PNGEncodingError(message: message)
    }
    // The C encoder malloc'd the file: Data takes it over without a copy.
    return Data(bytesNoCopy: data, count: output.size, deallocator: .free)
  }
}

extension PNGCompression {
  /// libdeflate's level. Level 1 in both modes: with the adaptive filters its files are smaller
  /// than zlib level 6 made them (tools/bench-chip), and higher levels cost more time than they
  /// save bytes; fast mode saves the filter choice instead.
  var deflateLevel: Int32 {
    switch self {
    case .default: 1
    case .fast: 1
    }
  }

  /// The PNG filter of every row, or per row libpng's adaptive choice.
  var filter: Int32 {
    switch self {
    case .default: Int32(SWATH_PNG_ADAPTIVE)
    case .fast: Int32(SWATH_PNG_FILTER_SUB)
    }
  }
}
