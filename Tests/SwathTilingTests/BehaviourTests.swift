import Foundation
import SwathGDAL
import SwathTestSupport
import Testing

@testable import SwathTiling

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct EdgeAndGridTests {
  let landsat = "landsat7_rgb_uint8_utm18n_nodata0.tif"  // 791×718

  @Test func padKeepsPartialChipsAtFullSize() throws {
    let (index, directory) = try ChipTest.chip(landsat)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.map(\.id) == ["r0000_c0000", "r0000_c0001", "r0001_c0000", "r0001_c0001"])
    let last = try #require(index.chips.last)
    #expect([last.x, last.y, last.width, last.height] == [Int]([512, 512, 279, 206]))
    let info = try ChipTest.gdalinfo(directory.appendingPathComponent(last.path).path)
    #expect(info["size"] as? [Int] == [512, 512])
    // Beyond the image: transparent.
    let alpha = try ChipTest.bytes(
      directory.appendingPathComponent(last.path).path, bands: [4], width: 512, height: 512)
    #expect(alpha[300] == 0 && alpha[511 * 512] == 0)
  }

  @Test func shiftMovesLastChipsInwardSoAllAreWhole() throws {
    var options = ChipOptions()
    options.edge = .shift
    let (index, directory) = try ChipTest.chip(landsat, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.count == 4)
    #expect(index.chips.allSatisfy { $0.width == 512 && $0.height == 512 })
    #expect(index.chips.map(\.x) == [0, 279, 0, 279])
    #expect(index.chips.map(\.y) == [0, 0, 206, 206])
    // A shifted chip still equals the source window.
    let last = try #require(index.chips.last)
    let expected = try ChipTest.bytes(
      TestSupport.image(landsat).path, bands: [1, 2, 3], x: 279, y: 206, width: 512, height: 512)
    let actual = try ChipTest.bytes(
      directory.appendingPathComponent(last.path).path, bands: [1, 2, 3], width: 512, height: 512)
    #expect(actual == expected)
  }

  @Test func dropSkipsPartialChips() throws {
    var options = ChipOptions()
    options.edge = .drop
    let (index, directory) = try ChipTest.chip(landsat, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.map(\.id) == ["r0000_c0000"])
    #expect(index.grid.rows == 1 && index.grid.columns == 1)
    #expect(ChipTest.files(directory).filter { $0.hasSuffix(".png") } == ["r0000_c0000.png"])
  }

  @Test func overlapAndMinValid() throws {
    var options = ChipOptions(size: 256)
    try options.setOverlap(64)
    options.minValid = 0.5
    let (index, directory) = try ChipTest.chip(landsat, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    // Stride 192: origins 0, 192, 384, 576 across 791 and 0…576 down 718 (4 × 4 grid).
    #expect(index.grid.stride == 192 && index.grid.rows == 4 && index.grid.columns == 4)
    #expect(!index.chips.isEmpty && index.chips.count < 16)
    #expect(index.chips.allSatisfy { $0.validFraction >= 0.5 })
    #expect(index.chips.allSatisfy { $0.x % 192 == 0 && $0.y % 192 == 0 })
    // With --min-valid 0 every cell is written, even empty ones.
    options.minValid = 0
    let (all, allDirectory) = try ChipTest.chip(landsat, options)
    defer { try? FileManager.default.removeItem(at: allDirectory) }
    #expect(all.chips.count == 16)
  }

  @Test func onlyParallelismDiffersBetweenJobCounts() throws {
    var single = ChipOptions(size: 256)
    single.jobs = 1
    var many = single
    many.jobs = 4
    let (a, directoryA) = try ChipTest.chip(landsat, single)
    let (b, directoryB) = try ChipTest.chip(landsat, many)
    defer {
      try? FileManager.default.removeItem(at: directoryA)
      try? FileManager.default.removeItem(at: directoryB)
    }
    #expect(a.chips == b.chips)
    for chip in a.chips {
      let first = try Data(contentsOf: directoryA.appendingPathComponent(chip.path))
      let second = try Data(contentsOf: directoryB.appendingPathComponent(chip.path))
      #expect(first == second)
    }
  }

  @Test func fastCompressionDecodesToTheSamePixels() throws {
    var fast = ChipOptions()
    fast.compression = .fast
    let file = "korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif"
    let (a, directoryA) = try ChipTest.chip(file)
    let (b, directoryB) = try ChipTest.chip(file, fast)
    defer {
      try? FileManager.default.removeItem(at: directoryA)
      try? FileManager.default.removeItem(at: directoryB)
    }
    #expect(b.output.compression == .fast)
    for chip in a.chips {
      let pathA = directoryA.appendingPathComponent(chip.path).path
      let pathB = directoryB.appendingPathComponent(chip.path).path
      #expect(
        try ChipTest.bytes(pathA, bands: [1, 2, 3, 4], width: 512, height: 512)
          == ChipTest.bytes(pathB, bands: [1, 2, 3, 4], width: 512, height: 512))
      #expect(
        try Data(contentsOf: URL(fileURLWithPath: pathA)) != Data(contentsOf: URL(fileURLWithPath: pathB)))
    }
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct RegionTests {
  let korea = "korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif"  // 1024×1024, EPSG:3857

  /// The WGS84 position of a source pixel.
  func lonLat(_ file: String, column: Double, row: Double) throws -> (x: Double, y: Double) {
    let source = try RasterDataset(path: TestSupport.image(file).path)
    let point = try #require(source.geoTransform).apply(column: column, row: row)
    return try CoordinateTransform(from: try #require(source.spatialReference), to: .wgs84())
      .transform(x: point.x, y: point.y)
  }

  @Test func pixelWindow() throws {
    var options = ChipOptions()
    options.region = try ChipRegion.parse("px:600,100,20,20")
    let (index, directory) = try ChipTest.chip(korea, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.map(\.id) == ["r0000_c0001"])
    // Spanning the corner of four chips selects all four; touching an edge selects none extra.
    options.region = try ChipRegion.parse("px:500,500,24,24")
    #expect(try ChipTest.chip(korea, options).0.chips.count == 4)
    options.region = try ChipRegion.parse("px:0,0,512,512")
    #expect(try ChipTest.chip(korea, options).0.chips.map(\.id) == ["r0000_c0000"])
  }

  @Test func lonLatBox() throws {
    // A small box around the centre of the bottom-right chip.
    let low = try lonLat(korea, column: 760, row: 780)
    let high = try lonLat(korea, column: 780, row: 760)
    var options = ChipOptions()
    options.region = try ChipRegion.parse("\(low.x),\(low.y),\(high.x),\(high.y)")
    let (index, directory) = try ChipTest.chip(korea, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.map(\.id) == ["r0001_c0001"])
  }

  @Test func geoJSONPolygonsAndMultiPolygons() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    func ring(_ c0: Double, _ r0: Double, _ c1: Double, _ r1: Double) throws -> String {
      let corners = try [(c0, r1), (c1, r1), (c1, r0), (c0, r0), (c0, r1)].map {
        try lonLat(korea, column: $0.0, row: $0.1)
      }
      return "[" + corners.map { "[\($0.x), \($0.y)]" }.joined(separator: ", ") + "]"
    }
    // Top-left and bottom-right chips through one MultiPolygon, top-right through a Polygon.
    let text = """
      {"type": "FeatureCollection", "features": [
        {"type": "Feature", "properties": {}, "geometry": {"type": "MultiPolygon", "coordinates": [
          [\(try ring(100, 100, 140, 140))], [\(try ring(900, 900, 950, 950))]]}},
        {"type": "Feature", "properties": {}, "geometry": {"type": "Polygon", "coordinates": [
          \(try ring(700, 50, 720, 70))]}}
      ]}
      """
    let file = directory.appendingPathComponent("region.geojson")
    try text.write(to: file, atomically: true, encoding: .utf8)
    var options = ChipOptions()
    options.region = try ChipRegion.parse(file.path)
    let (index, output) = try ChipTest.chip(korea, options)
    defer { try? FileManager.default.removeItem(at: output) }
    #expect(index.chips.map(\.id) == ["r0000_c0000", "r0000_c0001", "r0001_c0001"])
  }

  @Test func geoJSONWithItsOwnCRS() throws {
    // SpaceNet's buildings carry a legacy `crs` member (UTM 16N) and cover the whole pan image.
    var options = ChipOptions(size: 300)
    options.region = .geoJSONFile(TestSupport.image("spacenet4_atlanta_buildings_utm16n.geojson").path)
    let (index, directory) = try ChipTest.chip("spacenet4_atlanta_pan_uint16_utm16n_nodata0.tif", options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.grid.rows * index.grid.columns == 9)
    #expect(index.chips.count >= 5 && index.chips.count <= 9)
  }

  @Test func parsesEveryForm() throws {
    #expect(try ChipRegion.parse("px:1,2,3,4") == .pixels(x: 1, y: 2, width: 3, height: 4))
    #expect(
      try ChipRegion.parse("128.6,37.6,128.7,37.7")
        == .lonLatBox(minLon: 128.6, minLat: 37.6, maxLon: 128.7, maxLat: 37.7))
    for bad in [
      "px:1,2,3", "px:1,2,0,4", "1,2,3", "128.7,37.6,128.6,37.7", "0,95,1,96", "/no/such/file.geojson",
    ] {
      #expect(throws: ChipError.self) { try ChipRegion.parse(bad) }
    }
    #expect(try StretchMode.parse("auto") == .auto)
    #expect(try StretchMode.parse("100,2000") == .fixed(min: 100, max: 2000))
    #expect(throws: ChipError.self) { try StretchMode.parse("2000,100") }
    #expect(try ChipOptions.parseBands("3,2,1") == [3, 2, 1])
    #expect(throws: ChipError.self) { try ChipOptions.parseBands("0,1") }
  }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct GeoTIFFChipTests {
  @Test func float64ChipsKeepSourceValuesAndMaskThePadding() throws {
    var options = ChipOptions(size: 256)
    options.format = .tif
    let file = "rotterdam_ms4_float64_utm31n.tif"  // 300×300, 4 bands, all valid
    let (index, directory) = try ChipTest.chip(file, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.chips.count == 4)
    #expect(index.output.bands == [1, 2, 3, 4])
    let chip = try #require(index.chips.first { $0.id == "r0000_c0001" })
    let path = directory.appendingPathComponent(chip.path).path
    let info = try ChipTest.gdalinfo(path)
    let bands = try #require(info["bands"] as? [[String: Any]])
    #expect(bands.count == 4 && bands.allSatisfy { $0["type"] as? String == "Float64" })
    for band in 1...4 {
      let source = try ChipTest.doubles(
        TestSupport.image(file).path, band: band, x: 256, y: 0, width: 44, height: 256)
      let written = try ChipTest.doubles(path, band: band, x: 0, y: 0, width: 44, height: 256)
      #expect(source == written)
    }
    let mask = try ChipTest.mask(path, x: 0, y: 0, width: 256, height: 256)
    #expect(mask[43] == 255 && mask[44] == 0)
    #expect(abs(chip.validFraction - 44.0 * 256 / (256 * 256)) < 1e-12)
  }

  @Test func int16ChipsCarryNodataAndACRSWithoutEPSG() throws {
    var options = ChipOptions(size: 400)
    options.format = .tif
    let file = "landsat_3band_int16_albers_nodata-9999.tif"
    let (index, directory) = try ChipTest.chip(file, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    #expect(index.source.epsg == nil)
    #expect(index.source.crsWKT?.contains("Albers") == true)
    let chip = try #require(index.chips.first { $0.id == "r0001_c0001" })
    let path = directory.appendingPathComponent(chip.path).path
    let info = try ChipTest.gdalinfo(path)
    let band = try #require((info["bands"] as? [[String: Any]])?.first)
    #expect(band["type"] as? String == "Int16")
    #expect(band["noDataValue"] as? Double == -9999)
    let written = try ChipTest.doubles(path, band: 1, x: 0, y: 0, width: 400, height: 400)
    let source = try ChipTest.doubles(
      TestSupport.image(file).path, band: 1, x: 400, y: 400, width: 112, height: 112)
    #expect(written[0] == source[0] && written[111 * 400 + 111] == source[111 * 112 + 111])
    #expect(written[112] == -9999 && written[399 * 400] == -9999)
    let wkt = try #require((info["coordinateSystem"] as? [String: Any])?["wkt"] as? String)
    #expect(
      try SpatialReference(definition: wkt).isSame(as: SpatialReference(definition: index.source.crsWKT!)))
  }

  @Test func byteChipsEqualGDALTranslate() throws {
    var options = ChipOptions()
    options.format = .tif
    let file = "korea_rgb_uint8_epsg3857_jpeg_cog_mask.tif"
    let (index, directory) = try ChipTest.chip(file, options)
    defer { try? FileManager.default.removeItem(at: directory) }
    let chip = try #require(index.chips.first { $0.id == "r0001_c0000" })
    let reference = directory.appendingPathComponent("reference.tif").path
    _ = try TestSupport.tool(
      "gdal_translate", ["-q", "-srcwin", "0", "512", "512", "512", TestSupport.image(file).path, reference])
    #expect(
      try ChipTest.bytes(
        directory.appendingPathComponent(chip.path).path, bands: [1, 2, 3], width: 512, height: 512)
        == ChipTest.bytes(reference, bands: [1, 2, 3], width: 512, height: 512))
  }
}
