import CDeflate
import CPNG
import Foundation
import Testing

@testable import SwathTiling

/// The encoder's files decoded by libpng (which checks every chunk's CRC and the zlib stream's
/// Adler-32) and compared pixel for pixel with what went in.
@Suite struct PNGEncoderTests {
  /// Deterministic noise (SplitMix64), so a failure is repeatable.
  struct Noise {
    var state: UInt64
    mutating func byte() -> UInt8 {
      state &+= 0x9E37_79B9_7F4A_7C15
      var z = state
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return UInt8(truncatingIfNeeded: z ^ (z >> 31))
    }
  }

  /// Noise, gradients and flat runs in bands of rows, so different filters win on different rows.
  static func image(width: Int, height: Int, channels: Int, seed: UInt64) -> [UInt8] {
    var noise = Noise(state: seed)
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    for y in 0..<height {
      for x in 0..<width {
        for c in 0..<channels {
          let value: UInt8
          switch (y / 5) % 4 {
          case 0: value = noise.byte()
          case 1: value = UInt8(truncatingIfNeeded: x * 3 + y + c * 40)
          case 2: value = UInt8(truncatingIfNeeded: 90 + c)
          default: value = UInt8(truncatingIfNeeded: x * y + Int(noise.byte() % 4))
          }
          pixels[(y * width + x) * channels + c] = value
        }
      }
    }
    return pixels
  }

  struct Decoded {
    var width: Int
    var height: Int
    var channels: Int
    var pixels: [UInt8]
  }

  /// libpng's simplified reader, in the file's own format (no conversion).
  static func decode(_ png: Data) throws -> Decoded {
    var image = png_image()
    image.version = UInt32(PNG_IMAGE_VERSION)
    let begun = png.withUnsafeBytes { png_image_begin_read_from_memory(&image, $0.baseAddress, $0.count) }
    defer { png_image_free(&image) }
    try #require(begun != 0, "libpng: \(message(image))")
    // Simplified-API format flags: 1 alpha, 2 colour; the 8-bit formats are 0…3.
    try #require(image.format <= 3)
    let channels = Int(image.format & 2 != 0 ? 3 : 1) + Int(image.format & 1)
    var pixels = [UInt8](repeating: 0, count: Int(image.width) * Int(image.height) * channels)
    let finished = pixels.withUnsafeMutableBytes {
      png_image_finish_read(&image, nil, $0.baseAddress, 0, nil)
    }
    try #require(finished != 0, "libpng: \(message(image))")
    try #require(image.warning_or_error == 0, "libpng: \(message(image))")
    return Decoded(width: Int(image.width), height: Int(image.height), channels: channels, pixels: pixels)
  }

  static func message(_ image: png_image) -> String {
    withUnsafeBytes(of: image.message) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
  }

  struct Shape: Sendable, CustomTestStringConvertible {
    var width: Int
    var height: Int
    var channels: Int
    var testDescription: String { "\(width)×\(height)×\(channels)" }
  }

  static let shapes: [Shape] = [1, 2, 3, 4].flatMap { channels in
    [
      Shape(width: 64, height: 40, channels: channels),
      // Not multiples of 8, one pixel wide or high, one pixel.
      Shape(width: 37, height: 23, channels: channels),
      Shape(width: 1, height: 19, channels: channels),
      Shape(width: 19, height: 1, channels: channels),
      Shape(width: 1, height: 1, channels: channels),
    ]
  }

  @Test(arguments: shapes, PNGCompression.allCases)
  func roundTripsEveryPixel(shape: Shape, compression: PNGCompression) throws {
    let pixels = Self.image(
      width: shape.width, height: shape.height, channels: shape.channels, seed: UInt64(shape.width * 7919))
    let png = try PNGEncoder.encode(
      pixels: pixels, width: shape.width, height: shape.height, channels: shape.channels,
      compression: compression)
    // IHDR colour type: 0 grey, 4 grey+alpha, 2 RGB, 6 RGBA.
    #expect(png[25] == [0, 4, 2, 6][shape.channels - 1])
    let decoded = try Self.decode(png)
    #expect(decoded.width == shape.width)
    #expect(decoded.height == shape.height)
    #expect(decoded.channels == shape.channels)
    #expect(decoded.pixels == pixels)
  }

  @Test func largerChipRoundTrips() throws {
    // A chip's size, and smaller than stored: the filters and deflate did their work.
    let pixels = Self.image(width: 512, height: 512, channels: 3, seed: 42)
    for compression in PNGCompression.allCases {
      let png = try PNGEncoder.encode(
        pixels: pixels, width: 512, height: 512, channels: 3, compression: compression)
      #expect(png.count < pixels.count / 2)
      #expect(try Self.decode(png).pixels == pixels)
    }
  }

  @Test func imagesBeyondTheKeptWorkMemoryRoundTrip() throws {
    // Over the 4 MB of work memory the encoder keeps per thread, then a chip again on the thread.
    let large = Self.image(width: 1300, height: 1100, channels: 3, seed: 9)
    let small = Self.image(width: 512, height: 512, channels: 4, seed: 10)
    #expect(
      try Self.decode(PNGEncoder.encode(pixels: large, width: 1300, height: 1100, channels: 3)).pixels
        == large)
    #expect(
      try Self.decode(PNGEncoder.encode(pixels: small, width: 512, height: 512, channels: 4)).pixels
        == small)
  }

  /// The filter type byte of every row, from the inflated IDAT stream.
  static func filterTypes(_ png: Data, width: Int, height: Int, channels: Int) throws -> [UInt8] {
    let bytes = [UInt8](png)
    let length = bytes[33..<37].reduce(0) { $0 << 8 | Int($1) }
    #expect(String(decoding: bytes[37..<41], as: UTF8.self) == "IDAT")
    let rowBytes = width * channels + 1
    var raw = [UInt8](repeating: 0, count: rowBytes * height)
    let decompressor = try #require(libdeflate_alloc_decompressor())
    defer { libdeflate_free_decompressor(decompressor) }
    var actual = 0
    let result = bytes.withUnsafeBytes { file in
      raw.withUnsafeMutableBytes {
        libdeflate_zlib_decompress(
          decompressor, file.baseAddress! + 41, length, $0.baseAddress, $0.count, &actual)
      }
    }
    try #require(result == LIBDEFLATE_SUCCESS)
    try #require(actual == raw.count)
    return (0..<height).map { raw[$0 * rowBytes] }
  }

  @Test func adaptiveChoiceTakesTheFilterThatFitsEachRow() throws {
    // Grey rows built so that one filter turns a row into zeros, after a row of noise each.
    let width = 64
    var noise = Noise(state: 7)
    var rows: [[UInt8]] = []
    func noiseRow() -> [UInt8] { (0..<width).map { _ in noise.byte() } }
    rows.append(noiseRow())
    rows.append(rows[0])  // 1: the row above again: Up
    rows.append(noiseRow())
    rows.append([UInt8](repeating: 200, count: width))  // 3: flat: Sub
    rows.append(noiseRow())
    var average = [UInt8](repeating: 0, count: width)
    for x in 0..<width {
      let left = x > 0 ? Int(average[x - 1]) : 0
      average[x] = UInt8((left + Int(rows[4][x])) / 2)
    }
    rows.append(average)  // 5: each byte the mean of left and above: Average
    // Under a flat row Paeth predicts from the left: a flat row 3 brighter leaves Paeth one 3,
    // where Sub leaves the first byte (103), Up 3 in every byte and Average about 2 in every byte.
    rows.append([UInt8](repeating: 100, count: width))
    rows.append([UInt8](repeating: 103, count: width))  // 7: Paeth
    rows.append([UInt8](repeating: 0, count: width))  // 8: zeros: None (first on a tie)
    let pixels = rows.flatMap { $0 }
    let png = try PNGEncoder.encode(pixels: pixels, width: width, height: rows.count, channels: 1)
    let types = try Self.filterTypes(png, width: width, height: rows.count, channels: 1)
    #expect([1, 3, 5, 7, 8].map { types[$0] } == [2, 1, 3, 4, 0])
    #expect(try Self.decode(png).pixels == pixels)

    // Fast mode filters every row with Sub.
    let fast = try PNGEncoder.encode(
      pixels: pixels, width: width, height: rows.count, channels: 1, compression: .fast)
    #expect(try Self.filterTypes(fast, width: width, height: rows.count, channels: 1).allSatisfy { $0 == 1 })
    #expect(try Self.decode(fast).pixels == pixels)
  }

  @Test func rejectsPixelsThatDoNotMatchTheSize() {
    #expect(throws: PNGEncodingError.self) {
      try PNGEncoder.encode(pixels: [1, 2, 3], width: 2, height: 2, channels: 1)
    }
    #expect(throws: PNGEncodingError.self) {
      try PNGEncoder.encode(pixels: [UInt8](repeating: 0, count: 10), width: 2, height: 1, channels: 5)
    }
    #expect(throws: PNGEncodingError.self) {
      try PNGEncoder.encode(pixels: [1], width: Int.max / 2, height: 4, channels: 1)
    }
  }
}
