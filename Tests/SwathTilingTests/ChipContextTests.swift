import Foundation
import SwathGDAL
import SwathGeometry
import SwathTestSupport
import Testing

@testable import SwathTiling

/// The context around a chip: the scene's pixels around the chip's window, stretched as the chip
/// was, so the chip and its surroundings meet without a seam.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ChipContextTests {
  /// A uint16 scene (percentile stretch) and an RGB one with nodata (alpha), at an interior chip
  /// and at a corner chip: the context's pixels over the chip are the chip's, byte for byte.
  @Test(arguments: [
    ("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif", [1]),
    ("landsat8_3band_uint16_utm18n_nodata0_cog.tif", [1, 2, 3]),
  ])
  func contextOverTheChipIsTheChip(_ file: String, _ bands: [Int]) throws {
    let options = ChipOptions(size: 256, edge: .pad)
    let (index, directory) = try ChipTest.chip(file, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    let indexURL = directory.appendingPathComponent(ChipIndex.fileName)
    let interior = try #require(index.chips.first { $0.row == 1 && $0.col == 1 })
    let corner = try #require(index.chips.first { $0.row == 0 && $0.col == 0 })
    for (chip, margin) in [(interior, 40), (corner, 40), (interior, 0)] {
      for recorded in [indexURL, nil] {
        let rendered = try ChipContext.render(
          imagePath: TestSupport.image(file).path, index: recorded, chipSize: 256, x: chip.x, y: chip.y,
          width: chip.width, height: chip.height, margin: margin)
        #expect(rendered.offsetX == -min(margin, chip.x) && rendered.offsetY == -min(margin, chip.y))
        let source = try RasterDataset(path: TestSupport.image(file).path)
        #expect(rendered.width == min(source.width, chip.x + chip.width + margin) - max(0, chip.x - margin))
        #expect(
          rendered.height == min(source.height, chip.y + chip.height + margin) - max(0, chip.y - margin))
        let png = directory.appendingPathComponent("context-\(chip.id)-\(margin).png")
        try rendered.png.write(to: png)
        let context = try RasterDataset(path: png.path)
        #expect(context.width == rendered.width && context.height == rendered.height)
        let channels = Array(1...bands.count)
        let over = try ChipTest.bytes(
          png.path, bands: channels, x: -rendered.offsetX, y: -rendered.offsetY, width: chip.width,
          height: chip.height)
        let chipBytes = try ChipTest.bytes(
          directory.appendingPathComponent(chip.path).path, bands: channels, width: chip.width,
          height: chip.height)
        #expect(over == chipBytes, "\(file) \(chip.id) margin \(margin) index \(recorded != nil)")
      }
    }
  }

  @Test func marginsOutsideTheLimitAreRefused() throws {
    let file = TestSupport.image("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif").path
    for margin in [-1, ChipContext.maxMargin + 1] {
      #expect(throws: ChipError.self) {
        try ChipContext.render(
          imagePath: file, index: nil, chipSize: 256, x: 0, y: 0, width: 256, height: 256, margin: margin)
      }
    }
  }

  @Test func theIndexLookIsReadBack() throws {
    let (index, directory) = try ChipTest.chip(
      "landsat8_3band_uint16_utm18n_nodata0_cog.tif", ChipOptions(size: 512, edge: .pad))
    defer { try? FileManager.default.removeItem(at: directory) }
    let recorded = try JSONValue(contentsOf: directory.appendingPathComponent(ChipIndex.fileName))
    let look = try #require(ChipContext.look(in: recorded))
    #expect(look.0 == index.output.bands)
    #expect(look.1 == index.stretch)
  }
}
