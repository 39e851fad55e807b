import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

@testable import SwathTiling

/// What ../shared/imagery/MANIFEST.md says about each scene (512-px chips, stride 512, padded).
struct SceneExpectation: Sendable, CustomTestStringConvertible {
  var file: String
  var chips: Int
  var underHalfValid: Int
  var validPercent: Double
  var dataType: String
  var epsg: Int?
  /// p2–p98 of the chipped bands; nil for Byte scenes (not stretched by default).
  var percentiles: [ClosedRange<Double>]?
  var testDescription: String { file }

  static let all: [SceneExpectation] = [
    .init(
      file: "landsat7_rgb_uint8_utm18n_nodata0.tif", chips: 4, underHalfValid: 3, validPercent: 67.4,
      dataType: "Byte", epsg: 32618, percentiles: nil),
    .init(
      file: "landsat8_3band_uint16_utm18n_nodata0_cog.tif", chips: 4, underHalfValid: 3,
      validPercent: 67.5, dataType: "UInt16", epsg: 32618,
      percentiles: [6410...14821, 7085...14356, 8407...14957]),
    .init(
      file: "hro_aerial_rgb_uint8_0p15m_utm13n_nodata0.tif", chips: 1, underHalfValid: 1,
      validPercent: 96.9, dataType: "Byte", epsg: 26913, percentiles: nil),
    .init(
      file: "drone_ortho_rgba_uint8_utm50s_alpha.tif", chips: 4, underHalfValid: 3, validPercent: 87.6,
      dataType: "Byte", epsg: 32750, percentiles: nil),
    .init(
      file: "spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif", chips: 4, underHalfValid: 0,
      validPercent: 100, dataType: "UInt16", epsg: 32616, percentiles: [126...1109]),
    .init(
      file: "rotterdam_ms4_float64_utm31n.tif", chips: 1, underHalfValid: 1, validPercent: 100,
      dataType: "Float64", epsg: 32631, percentiles: [11...388, 25...455, 16...537]),
    .init(
      file: "korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif", chips: 4, underHalfValid: 0,
      validPercent: 100, dataType: "Byte", epsg: 3857, percentiles: nil),
    .init(
      file: "landsat_3band_int16_albers_nodata-9999.tif", chips: 1, underHalfValid: 0,
      validPercent: 100, dataType: "Int16", epsg: nil, percentiles: [415...1470, 628...2062, 502...2391]),
  ]
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ImageryTests {
  @Test(arguments: SceneExpectation.all)
  func chipsEveryScene(_ scene: SceneExpectation) throws {
    let (index, directory) = try ChipTest.chip(scene.file)
    defer { try? FileManager.default.removeItem(at: directory) }
    let source = try RasterDataset(path: TestSupport.image(scene.file).path)

    // Counts and valid fractions, as in the MANIFEST.
    #expect(index.chips.count == scene.chips)
    #expect(index.chips.filter { $0.validFraction < 0.5 }.count == scene.underHalfValid)
    let validPixels = index.chips.reduce(0.0) { $0 + $1.validFraction * 512 * 512 }
    let validPercent = validPixels / Double(source.width * source.height) * 100
    #expect(abs(validPercent - scene.validPercent) < 0.2, "valid \(validPercent) %")
    #expect(index.source.dataType == scene.dataType)
    #expect(index.source.epsg == scene.epsg)
    #expect(index.source.crsWKT?.isEmpty == false)
    #expect(index.source.georeferenced)

    // The stretch: MANIFEST percentiles (exact definitions differ a little: ±0.5 % of the range).
    if let expected = scene.percentiles {
      #expect(index.stretch.count == expected.count)
      for (band, range) in zip(index.stretch, expected) {
        let slack = (range.upperBound - range.lowerBound) * 0.005 + 1
        #expect(band.method == .percentile)
        #expect(
          abs((band.min ?? .nan) - range.lowerBound) <= slack, "band \(band.band) min \(band.min ?? .nan)")
        #expect(
          abs((band.max ?? .nan) - range.upperBound) <= slack, "band \(band.band) max \(band.max ?? .nan)")
      }
    } else {
      #expect(index.stretch.allSatisfy { $0.method == .none })
    }

    // Every chip file and its sidecars exist; no temporary file is left.
    let files = ChipTest.files(directory)
    #expect(!files.contains { $0.contains(".tmp") })
    for chip in index.chips {
      #expect(files.contains(chip.path))
      #expect(files.contains("\(chip.id).pgw"))
      #expect(files.contains("\(chip.path).aux.xml"))
    }

    // The last chip's corner against the source geotransform, then as gdalinfo reads the PNG.
    let chip = try #require(index.chips.last)
    let sourceTransform = try #require(source.geoTransform)
    let corner = sourceTransform.apply(column: Double(chip.x), row: Double(chip.y))
    let chipTransform = try #require(chip.geoTransform)
    #expect(abs(chipTransform.coefficients[0] - corner.x) < 1e-6)
    #expect(abs(chipTransform.coefficients[3] - corner.y) < 1e-6)
    let info = try ChipTest.gdalinfo(directory.appendingPathComponent(chip.path).path)
    let reported = try #require(info["geoTransform"] as? [Double])
    for (a, b) in zip(reported, chipTransform.coefficients) { #expect(abs(a - b) < 1e-6) }
    let wkt = try #require((info["coordinateSystem"] as? [String: Any])?["wkt"] as? String)
    let reportedCRS = try SpatialReference(definition: wkt)
    #expect(reportedCRS.isSame(as: try #require(source.spatialReference)))
    if let epsg = scene.epsg { #expect(reportedCRS.epsg == epsg) }

    // Footprint: closed, counter-clockwise, first corner = the chip's top-left in WGS84.
    let ring = try #require(chip.footprint)
    #expect(ring.first == ring.last)
    var twiceArea = 0.0
    for i in 0..<(ring.count - 1) { twiceArea += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1] }
    #expect(twiceArea > 0)
    let toWGS84 = try CoordinateTransform(from: try #require(source.spatialReference), to: .wgs84())
    let lonLat = try toWGS84.transform(x: corner.x, y: corner.y)
    #expect(ring.contains { abs($0[0] - lonLat.x) < 1e-8 && abs($0[1] - lonLat.y) < 1e-8 })

    // The index conforms to its schema.
    let problems = try TestSupport.schemaProblems(
      schema: "chips.schema.json", instances: [directory.appendingPathComponent(ChipIndex.fileName)])
    #expect(problems.isEmpty, "\(problems)")
  }

  @Test func byteChipsEqualGDALTranslate() throws {
    // Interior chips (plain, masked JPEG COG) and a padded one (smaller than a chip).
    for (file, chipID, x, y, width, height) in [
      ("landsat7_rgb_uint8_utm18n_nodata0.tif", "r0000_c0000", 0, 0, 512, 512),
      ("korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif", "r0001_c0001", 512, 512, 512, 512),
      ("drone_ortho_rgba_uint8_utm50s_alpha.tif", "r0000_c0001", 512, 0, 174, 512),
      ("hro_aerial_rgb_uint8_0p15m_utm13n_nodata0.tif", "r0000_c0000", 0, 0, 383, 232),
    ] {
      let (index, directory) = try ChipTest.chip(file)
      defer { try? FileManager.default.removeItem(at: directory) }
      let chip = try #require(index.chips.first { $0.id == chipID })
      #expect(chip.x == x && chip.y == y && chip.width == width && chip.height == height)
      let reference = directory.appendingPathComponent("reference.tif").path
      let translated = try TestSupport.tool(
        "gdal_translate",
        [
          "-q", "-b", "1", "-b", "2", "-b", "3", "-srcwin", "\(x)", "\(y)", "\(width)", "\(height)",
          TestSupport.image(file).path, reference,
        ])
      #expect(translated.status == 0, "\(translated.stderr)")
      let expected = try ChipTest.bytes(reference, bands: [1, 2, 3], width: width, height: height)
      let actual = try ChipTest.bytes(
        directory.appendingPathComponent(chip.path).path, bands: [1, 2, 3], width: width, height: height)
      #expect(actual == expected, "\(file) \(chipID)")
    }
  }

  @Test func alphaIsGDALsMaskForAlphaNodataAndInternalMasks() throws {
    for (file, chipID) in [
      ("drone_ortho_rgba_uint8_utm50s_alpha.tif", "r0000_c0000"),
      ("landsat7_rgb_uint8_utm18n_nodata0.tif", "r0001_c0000"),
      ("korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif", "r0000_c0001"),
    ] {
      let (index, directory) = try ChipTest.chip(file)
      defer { try? FileManager.default.removeItem(at: directory) }
      #expect(index.output.alpha)
      let chip = try #require(index.chips.first { $0.id == chipID })
      let png = directory.appendingPathComponent(chip.path).path
      let info = try ChipTest.gdalinfo(png)
      #expect((info["bands"] as? [Any])?.count == 4)
      let alpha = try ChipTest.bytes(png, bands: [4], width: 512, height: 512)
      var expected = [UInt8](repeating: 0, count: 512 * 512)
      let sourcePath = TestSupport.image(file).path
      let masks = try (index.output.bands).map {
        try ChipTest.mask(sourcePath, band: $0, x: chip.x, y: chip.y, width: chip.width, height: chip.height)
      }
      for row in 0..<chip.height {
        for column in 0..<chip.width {
          let valid = masks.allSatisfy { $0[row * chip.width + column] != 0 }
          expected[row * 512 + column] = valid ? 255 : 0
        }
      }
      #expect(alpha == expected, "\(file)")
      let validCount = alpha.filter { $0 != 0 }.count
      #expect(abs(Double(validCount) / (512 * 512) - chip.validFraction) < 1e-12)
    }
  }

  @Test func stretchIsOneMappingAcrossChips() throws {
    for (file, chipIDs) in [
      ("landsat8_3band_uint16_utm18n_nodata0_cog.tif", ["r0000_c0000", "r0001_c0001"]),
      ("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif", ["r0000_c0000", "r0000_c0001", "r0001_c0001"]),
      ("rotterdam_ms4_float64_utm31n.tif", ["r0000_c0000"]),
      ("landsat_3band_int16_albers_nodata-9999.tif", ["r0000_c0000"]),
    ] {
      let (index, directory) = try ChipTest.chip(file)
      defer { try? FileManager.default.removeItem(at: directory) }
      let sourcePath = TestSupport.image(file).path
      var seenBrightAndDark = false
      for chipID in chipIDs {
        let chip = try #require(index.chips.first { $0.id == chipID })
        let png = directory.appendingPathComponent(chip.path).path
        for (channel, stretch) in index.stretch.enumerated() {
          #expect(stretch.method == .percentile)
          let values = try ChipTest.doubles(
            sourcePath, band: stretch.band, x: chip.x, y: chip.y, width: chip.width, height: chip.height)
          let chipValues = try ChipTest.bytes(
            png, bands: [channel + 1], width: chip.width, height: chip.height)
          var mismatches = 0
          for (value, encoded) in zip(values, chipValues) where stretch.apply(value) != encoded {
            mismatches += 1
          }
          #expect(mismatches == 0, "\(file) \(chipID) band \(stretch.band)")
          if chipValues.contains(0) && chipValues.contains(255) { seenBrightAndDark = true }
        }
      }
      #expect(seenBrightAndDark, "the 2–98 % stretch saturates some pixels at both ends")
    }
  }

  @Test func unstretchedPNGClampsValues() throws {
    var options = ChipOptions()
    options.stretch = .none
    let (index, directory) = try ChipTest.chip("rotterdam_ms4_float64_utm31n.tif", options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.stretch.allSatisfy { $0.method == .none && $0.min == nil })
    let values = try ChipTest.doubles(
      TestSupport.image("rotterdam_ms4_float64_utm31n.tif").path, band: 1, x: 0, y: 0, width: 300, height: 300
    )
    let encoded = try ChipTest.bytes(
      directory.appendingPathComponent("r0000_c0000.png").path, bands: [1], width: 300, height: 300)
    for (value, byte) in zip(values, encoded) {
      #expect(byte == UInt8(min(255, max(0, value.rounded()))))
    }
  }
}
