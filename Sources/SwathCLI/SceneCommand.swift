import ArgumentParser
import Foundation
import SwathGDAL
import SwathSimulation

/// `swath scene OUTDIR`: the sample town and its ground truth.
struct SceneCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scene",
    abstract: "Generate the sample scene (a small town, UTM, 8-bit RGB GeoTIFF) and its ground truth.",
    discussion: """
      Writes OUTDIR/town.tif (tiled, DEFLATE, nodata 0 outside a rotated valid footprint),
      OUTDIR/truth.geojson (every building as a polygon with its roof type and every vehicle as a
      box with its type, each with an occluded flag, WGS84) and OUTDIR/labels.json (the label
      schema those attributes follow, for task creation). The same options give the same files
      on every machine.
      """)

  @Argument(help: "Folder to write town.tif, truth.geojson and labels.json into (created when missing).")
  var outDir: String

  @Option(help: "Random seed: each seed is a different town.")
  var seed: UInt64 = 1

  @Option(
    help:
      "Width and height in pixels (\(SceneOptions.sizeRange.lowerBound)…\(SceneOptions.sizeRange.upperBound))."
  )
  var size: Int = 2048

  @Option(help: "Ground sample distance in metres per pixel.")
  var gsd: Double = 0.3

  func run() throws {
    let options = SceneOptions(seed: seed, size: size, gsd: gsd)
    do {
      try options.validate()
    } catch let error as SceneError {
      // Each scene setting is the flag of the same name.
      throw SwathFailure(
        error.setting.map { "--\($0.rawValue): \(error.message)" } ?? error.message, exitCode: 2)
    }
    do {
      let (truth, files) = try SceneGenerator.write(options, to: URL(fileURLWithPath: outDir))
      print(
        "wrote \(files.image.path) (\(truth.width)×\(truth.height) px, \(options.gsd) m, EPSG:\(truth.epsg)) "
          + "and \(files.truth.path) (\(truth.buildings.count) buildings, \(truth.vehicles.count) vehicles; "
          + "schema \(files.schema.path))")
    } catch let error as SceneError {
      throw SwathFailure(error.message)
    } catch let error as GDALError {
      throw SwathFailure(error.message)
    }
  }
}
