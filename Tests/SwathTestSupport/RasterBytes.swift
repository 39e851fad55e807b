import SwathGDAL

extension TestSupport {
  /// 8-bit bands of a raster read back pixel-interleaved, to compare images pixel for pixel:
  /// `window` (default: the whole raster) of `bands` (default: every band).
  public static func rasterBytes(_ path: String, bands: [Int]? = nil, window: PixelWindow? = nil) throws
    -> (bandCount: Int, width: Int, bytes: [UInt8])
  {
    let dataset = try RasterDataset(path: path)
    let bands = bands ?? Array(1...dataset.bandCount)
    let window = window ?? PixelWindow(x: 0, y: 0, width: dataset.width, height: dataset.height)
    var buffer = [UInt8](repeating: 0, count: window.width * window.height * bands.count)
    try buffer.withUnsafeMutableBytes {
      try dataset.read(
        bands: bands, window: window, into: $0.baseAddress!,
        layout: BufferLayout(
          width: window.width, height: window.height, type: .byte, pixelSpace: bands.count,
          lineSpace: window.width * bands.count, bandSpace: 1))
    }
    return (bands.count, dataset.width, buffer)
  }
}
