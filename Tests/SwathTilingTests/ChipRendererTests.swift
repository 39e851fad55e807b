import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

@testable import SwathTiling

/// Chips rendered on request are the chips the chipper cuts: the same grid, valid fractions and
/// georeference from `Chipper.layOut`, and the same pixels (every channel, alpha included) from
/// `ChipRenderer`, for every chip: interior, padded at the edge, and masked.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ChipRendererTests {
  /// Byte with nodata (no stretch), UInt16 COG with nodata (percentile), UInt16 pan without
  /// invalid pixels (grey, padded edges), RGBA with an alpha band, Float64 without mask, a JPEG COG
  /// with an internal mask band.
  @Test(arguments: [
    "landsat7_rgb_uint8_utm18n_nodata0.tif",
    "landsat8_3band_uint16_utm18n_nodata0_cog.tif",
    "spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif",
    "drone_ortho_rgba_uint8_utm50s_alpha.tif",
    "rotterdam_ms4_float64_utm31n.tif",
    "korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif",
  ])
  func renderedChipsArePrecutChips(_ file: String) throws {
    let options = ChipOptions(size: 256, stride: 224, edge: .pad)
    let scene = TestSupport.image(file).path
    let (index, directory) = try ChipTest.chip(path: scene, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    let laidOut = try Chipper.layOut(imagePath: scene, options: options)
    #expect(laidOut.chips.map(\.id) == index.chips.map(\.id))
    for (planned, cut) in zip(laidOut.chips, index.chips) {
      let plannedWindow: [Int] = [planned.x, planned.y, planned.width, planned.height]
      #expect(plannedWindow == [cut.x, cut.y, cut.width, cut.height])
      #expect(planned.validFraction == cut.validFraction, "\(file) \(cut.id)")
      #expect(planned.geoTransform == cut.geoTransform && planned.footprint == cut.footprint)
      #expect(planned.path.isEmpty)
    }
    #expect(laidOut.stretch == index.stretch && laidOut.output == index.output)
    #expect(ChipLook(json: ChipLook(index: index).json.jsonText) == ChipLook(index: index))

    let renderer = ChipRenderer()
    let look = ChipLook(index: laidOut)
    // Every chip, so the edge chips (padded) and the masked ones are among them.
    #expect(index.chips.contains { $0.width < 256 || $0.height < 256 })
    for chip in index.chips {
      let png = try renderer.chip(
        scene: scene, look: look, size: 256,
        window: PixelWindow(x: chip.x, y: chip.y, width: chip.width, height: chip.height))
      let rendered = directory.appendingPathComponent("rendered-\(chip.id).png")
      try png.write(to: rendered)
      let cutFile = directory.appendingPathComponent(chip.path).path
      let channels = try RasterDataset(path: cutFile).bandCount
      #expect(try RasterDataset(path: rendered.path).bandCount == channels, "\(file) \(chip.id)")
      let expected = try ChipTest.bytes(cutFile, bands: Array(1...channels), width: 256, height: 256)
      let actual = try ChipTest.bytes(rendered.path, bands: Array(1...channels), width: 256, height: 256)
      #expect(actual == expected, "\(file) \(chip.id)")
    }
  }

  /// The masked scenes do have chips partly masked, so the alpha channel was compared above.
  @Test func theMaskedScenesHavePartlyValidChips() throws {
    for file in ["landsat7_rgb_uint8_utm18n_nodata0.tif", "drone_ortho_rgba_uint8_utm50s_alpha.tif"] {
      let index = try Chipper.layOut(
        imagePath: TestSupport.image(file).path, options: ChipOptions(size: 256, stride: 224, edge: .pad))
      #expect(index.chips.contains { $0.width == 256 && $0.height == 256 && $0.validFraction < 1 })
    }
  }

  /// A window outside the scene, or a look naming a band the scene lacks, is refused in words.
  @Test func badWindowsAndLooksAreRefused() throws {
    let scene = TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif").path
    let renderer = ChipRenderer()
    let look = ChipLook(
      bands: [1], stretch: [BandStretch(band: 1, method: .none, min: nil, max: nil)], alpha: false)
    #expect(throws: ChipError.self) {
      try renderer.chip(
        scene: scene, look: look, size: 256, window: PixelWindow(x: 800, y: 0, width: 256, height: 256))
    }
    let wrong = ChipLook(
      bands: [3], stretch: [BandStretch(band: 3, method: .none, min: nil, max: nil)], alpha: false)
    let error = #expect(throws: ChipError.self) {
      try renderer.chip(
        scene: scene, look: wrong, size: 256, window: PixelWindow(x: 0, y: 0, width: 256, height: 256))
    }
    #expect(error?.message.contains("1 band") == true)
  }

  /// A COG served over HTTP renders the same chip as the local file; a truncated copy fails
  /// with GDAL's reason.
  @Test func chipsByURLAreChipsFromTheFile() throws {
    let folder = try TestSupport.temporaryDirectory("swath-range")
    defer { try? FileManager.default.removeItem(at: folder) }
    let cog = folder.appendingPathComponent("atlanta.tif")
    try RangeServer.makeCOG(
      from: TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif"), to: cog)
    let whole = try Data(contentsOf: cog)
    try whole.prefix(whole.count * 6 / 10).write(to: folder.appendingPathComponent("truncated.tif"))
    let server = try RangeServer(root: folder)
    defer { server.stop() }

    let renderer = ChipRenderer()
    let look = try renderer.look(scene: cog.path, chipSize: 256)
    #expect(try renderer.look(scene: server.url("atlanta.tif"), chipSize: 256) == look)
    for window in [
      PixelWindow(x: 0, y: 0, width: 256, height: 256), PixelWindow(x: 672, y: 672, width: 228, height: 228),
    ] {
      let local = try renderer.chip(scene: cog.path, look: look, size: 256, window: window)
      let remote = try renderer.chip(scene: server.url("atlanta.tif"), look: look, size: 256, window: window)
      #expect(remote == local)
    }
    let truncated = server.url("truncated.tif")
    let error = #expect(throws: ChipError.self) {
      try renderer.chip(
        scene: truncated, look: look, size: 256, window: PixelWindow(x: 644, y: 644, width: 256, height: 256))
    }
    #expect(error?.message.contains("truncated.tif") == true)
  }
}
