import Foundation
import SwathGDAL
import SwathGeometry

/// The scene around one chip, rendered as the chip was: the same bands and the same 8-bit
/// stretch, so the annotator's page can lay it under the chip as context without a seam.
public enum ChipContext {
  /// Largest margin in pixels: a context image is at most a few chips wide.
  public static let maxMargin = 2048

  /// A PNG of the chip's window grown by `margin` on each side, clipped to the scene.
  public struct Rendered: Sendable {
    public var png: Data
    /// The image's top-left corner relative to the chip's (≤ 0), in pixels.
    public var offsetX: Int
    public var offsetY: Int
    public var width: Int
    public var height: Int
  }

  /// Renders the context of the chip whose window in the scene is `x, y, width, height`.
  /// `index` is the task's `chips.geojson`: its bands and stretch are used; without it (an older
  /// task folder) they are worked out again from the scene as the chipper did, at `chipSize`.
  public static func render(
    imagePath: String, index: URL?, chipSize: Int, x: Int, y: Int, width: Int, height: Int, margin: Int
  ) throws -> Rendered {
    guard (0...maxMargin).contains(margin) else {
      throw ChipError.usage("margin \(margin) is outside 0…\(maxMargin) pixels")
    }
    GDAL.initialize()
    let dataset: RasterDataset
    do {
      dataset = try RasterDataset(path: imagePath)
    } catch let error as GDALError {
      throw ChipError.input(error.message)
    }
    let (bands, stretch) = try look(of: dataset, index: index, chipSize: chipSize)
    return try render(
      dataset: dataset, bands: bands, stretch: stretch,
      chip: PixelWindow(x: x, y: y, width: width, height: height), margin: margin)
  }

  /// The context of the chip at `chip` in an open scene, with the given bands and stretch.
  static func render(
    dataset: RasterDataset, bands: [Int], stretch: [BandStretch], chip: PixelWindow, margin: Int
  ) throws -> Rendered {
    guard (0...maxMargin).contains(margin) else {
      throw ChipError.usage("margin \(margin) is outside 0…\(maxMargin) pixels")
    }
    let (x, y, width, height) = (chip.x, chip.y, chip.width, chip.height)
    let left = max(0, x - margin)
    let top = max(0, y - margin)
    let right = min(dataset.width, x + width + margin)
    let bottom = min(dataset.height, y + height + margin)
    guard right > left, bottom > top else {
      throw ChipError.input("the chip's window lies outside \(dataset.path)")
    }
    let outWidth = right - left
    let outHeight = bottom - top
    let png = try StretchedWindow.png(
      dataset: dataset, bands: bands, stretch: stretch,
      window: PixelWindow(x: left, y: top, width: outWidth, height: outHeight), width: outWidth,
      height: outHeight, alpha: .whenMasked, readFailure: { "\(dataset.path): cannot read band \($0)" },
      what: "context")
    return Rendered(png: png, offsetX: left - x, offsetY: top - y, width: outWidth, height: outHeight)
  }

  /// The chipped bands and their stretch, from the index or recomputed.
  static func look(of dataset: RasterDataset, index: URL?, chipSize: Int) throws -> ([Int], [BandStretch]) {
    if let index, let recorded = try? JSONValue(contentsOf: index), let look = look(in: recorded),
      look.0.allSatisfy({ $0 >= 1 && $0 <= dataset.bandCount })
    {
      return look
    }
    let plan = try ChipPlan(dataset: dataset, options: ChipOptions(size: chipSize, edge: .pad))
    return (plan.bands, try plan.computeStretch())
  }

  /// `output.bands` (or `bands`, in a `ChipLook`) and `stretch` of a `chips.geojson`, or nil when
  /// either is missing or odd.
  static func look(in index: JSONValue) -> ([Int], [BandStretch])? {
    guard let object = index.objectValue,
      let bands = (object["output"]?.objectValue?["bands"] ?? object["bands"])?.arrayValue?.compactMap(
        \.integerValue),
      let entries = object["stretch"]?.arrayValue, !bands.isEmpty, entries.count == bands.count
    else { return nil }
    var stretch: [BandStretch] = []
    for (band, entry) in zip(bands, entries) {
      guard let members = entry.objectValue,
        let method = members["method"]?.stringValue.flatMap(BandStretch.Method.init(rawValue:))
      else { return nil }
      stretch.append(
        BandStretch(
          band: Int(band), method: method, min: members["min"]?.doubleValue, max: members["max"]?.doubleValue)
      )
    }
    return (bands.map { Int($0) }, stretch)
  }
}
