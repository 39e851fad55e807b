import CPNG
import Foundation
import SwathGDAL

/// A whole scene, shrunk to fit a size and encoded as one PNG: the backdrop of an analyst's map.
/// The bands and the stretch are those a task's chips get (the tiling engine's defaults), so the
/// overview looks like the chips; invalid pixels (nodata, masks) come out transparent.
public enum SceneOverview {
  public struct Image: Sendable {
    public var png: Data
    /// The PNG's size: the scene's, scaled so the long side is at most the requested one.
    public var width: Int
    public var height: Int
  }

  /// The overview's size for a scene: the long side at most `maxSide`, the aspect kept, never
  /// larger than the scene.
  public static func size(sceneWidth: Int, sceneHeight: Int, maxSide: Int) -> (width: Int, height: Int) {
    let scale = min(1, Double(maxSide) / Double(max(sceneWidth, sceneHeight)))
    return (
      max(1, Int((Double(sceneWidth) * scale).rounded())),
      max(1, Int((Double(sceneHeight) * scale).rounded()))
    )
  }

  /// Renders the scene at `path` with its long side at most `maxSide` pixels.
  public static func render(path: String, maxSide: Int) throws -> Image {
    guard maxSide >= 1 else { throw ChipError.usage("the overview needs a size of at least 1 pixel") }
    let dataset: RasterDataset
    do {
      dataset = try RasterDataset(path: path)
    } catch let error as GDALError {
      throw ChipError.input(error.reason ?? error.message)
    }
    let plan = try ChipPlan(dataset: dataset, options: ChipOptions(size: 512, jobs: 1))
    let stretch = try plan.computeStretch()
    let (width, height) = size(sceneWidth: dataset.width, sceneHeight: dataset.height, maxSide: maxSide)
    let bands = plan.bands.count
    let channels = bands + 1
    let window = PixelWindow(x: 0, y: 0, width: dataset.width, height: dataset.height)
    var pixels = [UInt8](repeating: 0, count: width * height * channels)
    var values = [Double](repeating: 0, count: width * height)
    let failure = { (error: GDALError) -> ChipError in
      ChipError.input(error.context("\(dataset.path): cannot read the overview").message)
    }
    for (position, band) in plan.bands.enumerated() {
      do {
        // GDAL resamples the whole scene to the buffer (and uses the file's overviews if any).
        try values.withUnsafeMutableBufferPointer { buffer in
          try dataset.read(
            band: band, window: window, into: buffer.baseAddress!,
            layout: BufferLayout(width: width, height: height, type: .float64))
        }
      } catch let error as GDALError {
        throw failure(error)
      }
      let cut = stretch[position]
      for index in 0..<(width * height) {
        pixels[index * channels + position] = cut.apply(values[index])
      }
    }
    let mask = try plan.mask.read(
      x: 0, y: 0, width: dataset.width, height: dataset.height, bufferWidth: width, bufferHeight: height)
    for index in 0..<(width * height) {
      pixels[index * channels + bands] = (mask == nil || mask![index] != 0) ? 255 : 0
    }
    let png = try pixels.withUnsafeBufferPointer { buffer -> Data in
      let rows = UnsafeMutablePointer<UnsafePointer<UInt8>?>.allocate(capacity: height)
      defer { rows.deallocate() }
      for row in 0..<height { rows[row] = buffer.baseAddress! + row * width * channels }
      // PNG colour types: 4 grey+alpha, 6 RGBA.
      var output = swath_png_output()
      let status = swath_png_encode(
        rows, UInt32(width), UInt32(height), bands == 1 ? 4 : 6, 6, -1, Z_DEFAULT_STRATEGY, &output)
      defer { free(output.data) }
      guard status == 0 else {
        let message = withUnsafeBytes(of: output.message) {
          String(cString: $0.bindMemory(to: CChar.self).baseAddress!)
        }
        throw ChipError.input("cannot encode the overview as PNG: \(message)")
      }
      return Data(bytes: output.data, count: output.size)
    }
    return Image(png: png, width: width, height: height)
  }
}
