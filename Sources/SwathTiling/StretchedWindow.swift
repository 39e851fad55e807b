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
  /// be read, `what` names the image when it cannot be encoded. `canvas`, when larger, is the
  /// image's size: the window fills its top-left corner and the rest is transparent black, as the
  /// chipper pads a chip at the scene's edge.
  static func png(
    dataset: RasterDataset, bands: [Int], stretch: [BandStretch], window: PixelWindow, width: Int,
    height: Int, canvas: (width: Int, height: Int)? = nil, alpha: Alpha, readFailure: (Int) -> String,
    what: String
  ) throws -> Data {
    let validity = try MaskReader(dataset: dataset, bands: bands).read(
      x: window.x, y: window.y, width: window.width, height: window.height, bufferWidth: width,
      bufferHeight: height)
    let hasAlpha = alpha == .always || validity != nil
    let channels = bands.count + (hasAlpha ? 1 : 0)
    let canvasWidth = max(width, canvas?.width ?? 0)
    let canvasHeight = max(height, canvas?.height ?? 0)
    let lineBytes = canvasWidth * channels
    var pixels = [UInt8](repeating: 0, count: canvasHeight * lineBytes)
    var values: [Double] = []
    try pixels.withUnsafeMutableBufferPointer { canvas in
      let base = canvas.baseAddress!
      for (position, band) in bands.enumerated() {
        let cut = stretch[position]
        do {
          // GDAL resamples the window to the buffer (from the file's overviews when it has them).
          guard cut.min != nil, cut.max != nil else {
            // No stretch: GDAL's Byte conversion rounds and clamps (as the chipper reads such
            // bands), straight into the canvas.
            try dataset.read(
              band: band, window: window, into: base + position,
              layout: BufferLayout(
                width: width, height: height, type: .byte, pixelSpace: channels, lineSpace: lineBytes))
            continue
          }
          if values.isEmpty { values = [Double](repeating: 0, count: width * height) }
          try values.withUnsafeMutableBufferPointer { buffer in
            try dataset.read(
              band: band, window: window, into: buffer.baseAddress!,
              layout: BufferLayout(width: width, height: height, type: .float64))
          }
        } catch let error as GDALError {
          throw ChipError.input(error.context(readFailure(band)).message)
        }
        values.withUnsafeBufferPointer { source in
          for row in 0..<height {
            let line = base + row * lineBytes + position
            let from = source.baseAddress! + row * width
            for column in 0..<width { line[column * channels] = cut.apply(from[column]) }
          }
        }
      }
      if hasAlpha {
        for row in 0..<height {
          let line = base + row * lineBytes + bands.count
          for column in 0..<width {
            line[column * channels] = (validity == nil || validity![row * width + column] != 0) ? 255 : 0
          }
        }
      }
    }
    do {
      return try PNGEncoder.encode(
        pixels: pixels, width: canvasWidth, height: canvasHeight, channels: channels)
    } catch let error as PNGEncodingError {
      throw ChipError.input("cannot encode the \(what) as PNG: \(error.message)")
    }
  }
}
