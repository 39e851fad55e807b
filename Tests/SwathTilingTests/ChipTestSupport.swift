import Foundation
import SwathGDAL
import SwathTestSupport
import SwathTiling

/// Helpers shared by the tiling tests: run the engine into a fresh folder, read rasters back.
enum ChipTest {
  /// Chips an image of ../shared/imagery into a fresh temporary folder.
  static func chip(_ name: String, _ options: ChipOptions = ChipOptions()) throws -> (ChipIndex, URL) {
    try chip(path: TestSupport.image(name).path, options)
  }

  static func chip(path: String, _ options: ChipOptions = ChipOptions()) throws -> (ChipIndex, URL) {
    let directory = try TestSupport.temporaryDirectory("swath-chip")
    let index = try Chipper.run(imagePath: path, outputDirectory: directory.path, options: options)
    return (index, directory)
  }

  /// A window of 8-bit bands, pixel-interleaved.
  static func bytes(_ path: String, bands: [Int], x: Int = 0, y: Int = 0, width: Int, height: Int) throws
    -> [UInt8]
  {
    try TestSupport.rasterBytes(
      path, bands: bands, window: PixelWindow(x: x, y: y, width: width, height: height)
    ).bytes
  }

  /// A window of one band as doubles.
  static func doubles(_ path: String, band: Int, x: Int, y: Int, width: Int, height: Int) throws -> [Double] {
    let dataset = try RasterDataset(path: path)
    var buffer = [Double](repeating: 0, count: width * height)
    try buffer.withUnsafeMutableBytes {
      try dataset.read(
        band: band, window: PixelWindow(x: x, y: y, width: width, height: height), into: $0.baseAddress!,
        layout: BufferLayout(width: width, height: height, type: .float64))
    }
    return buffer
  }

  /// GDAL's validity mask of a window (0 or 255), read from the mask band of `band`.
  static func mask(_ path: String, band: Int = 1, x: Int, y: Int, width: Int, height: Int) throws -> [UInt8] {
    let dataset = try RasterDataset(path: path)
    var buffer = [UInt8](repeating: 0, count: width * height)
    try buffer.withUnsafeMutableBufferPointer {
      try dataset.readMask(
        band: band, window: PixelWindow(x: x, y: y, width: width, height: height), into: $0.baseAddress!,
        layout: BufferLayout(width: width, height: height, type: .byte))
    }
    return buffer
  }

  /// `gdalinfo -json` of a file, as parsed JSON.
  static func gdalinfo(_ path: String) throws -> [String: Any] {
    let result = try TestSupport.tool("gdalinfo", ["-json", path])
    guard result.status == 0,
      let object = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
    else { throw GDALError("gdalinfo failed on \(path): \(result.stderr)") }
    return object
  }

  static func json(_ url: URL) throws -> [String: Any] {
    try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
  }

  /// Every file name in a folder, sorted.
  static func files(_ directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).sorted()
  }
}
