import ArgumentParser
import Foundation
import SwathTiling

struct ChipCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "chip",
    abstract: "Cut a scene into georeferenced chips and write DIR/chips.geojson.",
    discussion: """
      Chips are 8-bit PNGs (1 band grey, 3 RGB, plus the valid mask as alpha when the scene \
      has nodata, alpha or a mask band) with a world file and .aux.xml, or GeoTIFFs in the \
      source data type with --format tif. Non-8-bit data is stretched once per scene.
      """)

  @Argument(help: "The scene: any raster GDAL reads.")
  var image: String

  @Option(name: .long, help: ArgumentHelp("Output folder (created when missing).", valueName: "DIR"))
  var out: String

  @Option(help: "Chip width and height in pixels.")
  var size: Int = 512

  @Option(help: ArgumentHelp("Pixels shared by neighbouring chips.", valueName: "PX"))
  var overlap: Int?

  @Option(help: ArgumentHelp("Distance between chip origins (instead of --overlap).", valueName: "PX"))
  var stride: Int?

  @Option(
    help: ArgumentHelp(
      "Only chips meeting it: a GeoJSON Polygon/MultiPolygon file (WGS84), minlon,minlat,maxlon,maxlat, or px:x,y,w,h.",
      valueName: "REGION"))
  var region: String?

  @Option(help: ArgumentHelp("Partial edge chips: pad, shift or drop.", valueName: "POLICY"))
  var edge: String = "pad"

  @Option(
    help: ArgumentHelp("Source bands, 1-based, e.g. 1,2,3 (default: RGB or band 1).", valueName: "LIST"))
  var bands: String?

  @Option(help: ArgumentHelp("auto (2–98 % for non-8-bit), none, or MIN,MAX.", valueName: "MODE"))
  var stretch: String = "auto"

  @Option(
    name: .customLong("min-valid"),
    help: ArgumentHelp(
      "Skip chips with a smaller valid fraction (default: skip empty chips).", valueName: "FRACTION"))
  var minValid: Double?

  @Option(help: ArgumentHelp("png or tif.", valueName: "FORMAT"))
  var format: String = "png"

  @Option(help: ArgumentHelp("Encoder threads (default: all cores).", valueName: "N"))
  var jobs: Int?

  @Option(
    help: ArgumentHelp(
      "PNG compression: default (adaptive filters, libdeflate 1) or fast (Sub filter, libdeflate 1).",
      valueName: "MODE"))
  var compression: String = "default"

  @Flag(help: "Print nothing on success, and no progress bar.")
  var quiet = false

  func run() throws {
    do {
      let options = try makeOptions()
      let started = Date()
      let index = try Chipper.run(
        imagePath: image, outputDirectory: out, options: options,
        progress: TerminalProgress.forStandardError(quiet: quiet)
      ) { warning in
        FileHandle.standardError.write(Data("swath: warning: \(warning)\n".utf8))
      }
      if !quiet {
        let seconds = Date().timeIntervalSince(started)
        print(
          "\(index.chips.count) chips of \(index.grid.rows * index.grid.columns) in the grid written to \(out) "
            + String(
              format: "(%.2f s); index: %@", seconds,
              (out as NSString).appendingPathComponent(ChipIndex.fileName)))
      }
    } catch let error as ChipError {
      throw SwathFailure(Self.line(for: error), exitCode: error.kind == .usage ? 2 : 1)
    }
  }

  /// The engine speaks of values; the command line names the flag that gave the value.
  static func line(for error: ChipError) -> String {
    guard let setting = error.setting else { return error.message }
    return "--\(setting.rawValue): \(error.message)"
  }

  private func makeOptions() throws -> ChipOptions {
    var options = ChipOptions(size: size)
    guard let edgePolicy = EdgePolicy(rawValue: edge) else {
      throw ChipError.usage("--edge '\(edge)': expected pad, shift or drop")
    }
    guard let chipFormat = ChipFormat(rawValue: format) else {
      throw ChipError.usage("--format '\(format)': expected png or tif")
    }
    guard let pngCompression = PNGCompression(rawValue: compression) else {
      throw ChipError.usage("--compression '\(compression)': expected default or fast")
    }
    options.edge = edgePolicy
    options.format = chipFormat
    options.compression = pngCompression
    if overlap != nil, stride != nil {
      throw ChipError.usage("give --overlap or --stride, not both")
    }
    if let overlap {
      do {
        try options.setOverlap(overlap)
      } catch is ChipError where overlap >= size {
        // The one check stays in ChipOptions; here it is only told in flags.
        throw ChipError.usage("--overlap \(overlap) must be smaller than --size \(size)")
      }
    }
    if let stride { options.stride = stride }
    options.region = try region.map(ChipRegion.parse)
    options.bands = try bands.map(ChipOptions.parseBands)
    options.stretch = try StretchMode.parse(stretch)
    options.minValid = minValid
    if let jobs { options.jobs = jobs }
    return options
  }
}
