import Foundation
import SwathGDAL

/// A window of a scene as its chips show it, for the images rendered on request (a chip's context,
/// a scene's overview): the chipped bands through their 8-bit stretch, resampled by GDAL to the
/// output size, with an alpha channel from the validity mask, encoded as PNG.
enum StretchedWindow {
  /// When the PNG carries an alpha channel.
  enum Alpha {
    /// Always (opaque where the scene has no mask).
    case always
    /// Only when the scene has a mask (nodata, mask band, alpha).
    case whenMasked
  }

  /// `window` of `dataset`, resampled to `width` × `height`. `readFailure` words a band that cannot
  /// be read, `what` names the image when it cannot be encoded.
  static func png(
    dataset: RasterDataset, bands: [Int], stretch: [BandStretch], window: PixelWindow, width: Int,
    height: Int, alpha: Alpha, readFailure: (Int) -> String, what: String
  ) throws -> Data {
    let validity = try MaskReader(dataset: dataset, bands: bands).read(
      x: window.x, y: window.y, width: window.width, height: window.height, bufferWidth: width,
      bufferHeight: height)
    let hasAlpha = alpha == .always || validity != nil
    let channels = bands.count + (hasAlpha ? 1 : 0)
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    var values = [Double](repeating: 0, count: width * height)
    for (position, band) in bands.enumerated() {
      do {
        // GDAL resamples the window to the buffer (from the file's overviews when it has them).
        try values.withUnsafeMutableBufferPointer { buffer in
          try dataset.read(
            band: band, window: window, into: buffer.baseAddress!,
            layout: BufferLayout(width: width, height: height, type: .float64))
        }
      } catch let error as GDALError {
        throw ChipError.input(error.context(readFailure(band)).message)
      }
      let cut = stretch[position]
      for index in 0..<values.count { pixels[index * channels + position] = cut.apply(values[index]) }
    }
    if hasAlpha {
      for index in 0..<(width * height) {
        pixels[index * channels + bands.count] = (validity == nil || validity![index] != 0) ? 255 : 0
      }
    }
    do {
      return try PNGEncoder.encode(pixels: pixels, width: width, height: height, channels: channels)
    } catch let error as PNGEncodingError {
      throw ChipError.input("cannot encode the \(what) as PNG: \(error.message)")
    }
  }
}
