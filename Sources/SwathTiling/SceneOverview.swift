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
    let png = try StretchedWindow.png(
      dataset: dataset, bands: plan.bands, stretch: stretch,
      window: PixelWindow(x: 0, y: 0, width: dataset.width, height: dataset.height), width: width,
      height: height,
      alpha: .always, readFailure: { _ in "\(dataset.path): cannot read the overview" }, what: "overview")
    return Image(png: png, width: width, height: height)
  }
}
