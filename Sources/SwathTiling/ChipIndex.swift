import Foundation
import SwathGDAL
import SwathGeometry

/// One chip written to disk.
public struct IndexedChip: Sendable, Hashable {
  /// Stable from the grid position: `r0003_c0007`.
  public var id: String
  /// The chip file, relative to the output directory.
  public var path: String
  /// Grid row and column.
  public var row: Int
  public var col: Int
  /// The source pixel window the chip holds (clipped to the image; a padded chip is larger).
  public var x: Int
  public var y: Int
  public var width: Int
  public var height: Int
  /// Valid pixels over the chip's full area (padding counts as invalid).
  public var validFraction: Double
  /// Of the chip file; nil when the source has no georeference.
  public var geoTransform: GeoTransform?
  /// The chip's outline in WGS84 as a closed counter-clockwise ring of (lon, lat); nil without a CRS.
  public var footprint: [[Double]]?
}

/// The scene the chips were cut from.
public struct SourceInfo: Sendable, Hashable {
  public var path: String
  public var width: Int
  public var height: Int
  public var bandCount: Int
  public var dataType: String
  public var crsWKT: String?
  public var epsg: Int?
  public var geoTransform: GeoTransform?
  /// Both a geotransform and a CRS: chips carry coordinates.
  public var georeferenced: Bool
  /// GDAL's mask flags of the first chipped band, as names (ALL_VALID, PER_DATASET, ALPHA, NODATA).
  public var maskFlags: [String]
}

/// The chip grid in source pixels.
public struct GridInfo: Sendable, Hashable {
  public var size: Int
  public var stride: Int
  public var edge: EdgePolicy
  public var rows: Int
  public var columns: Int
}

/// What the chips hold and how they were encoded.
public struct OutputInfo: Sendable, Hashable {
  public var format: ChipFormat
  /// 1-based source bands, in chip channel order.
  public var bands: [Int]
  /// PNG chips carry the valid mask as alpha.
  public var alpha: Bool
  public var compression: PNGCompression
}

/// How one chipped band became 8-bit.
public struct BandStretch: Sendable, Hashable {
  public enum Method: String, Sendable, Hashable {
    /// 2–98 % percentiles of the scene's valid pixels.
    case percentile
    /// Cut values given by the user.
    case fixed
    /// Values kept (Byte, or GeoTIFF chips) or clamped to 0…255.
    case none
  }
  public var band: Int
  public var method: Method
  /// Source value mapped to 0 and to 255; nil for `none`.
  public var min: Double?
  public var max: Double?

  /// The 8-bit value of a source value under this stretch.
  public func apply(_ value: Double) -> UInt8 {
    guard value.isFinite else { return 0 }
    guard let low = min, let high = max else {
      return UInt8(Swift.min(255, Swift.max(0, value.rounded())))
    }
    let scaled = ((value - low) * (255 / (high - low))).rounded()
    return UInt8(Swift.min(255, Swift.max(0, scaled)))
  }
}

/// The result of a chipping run: `chips.geojson`.
public struct ChipIndex: Sendable, Hashable {
  public var source: SourceInfo
  public var grid: GridInfo
  public var output: OutputInfo
  public var stretch: [BandStretch]
  public var chips: [IndexedChip]
  /// Things the user should know, such as a missing georeference.
  public var warnings: [String]

  public static let fileName = "chips.geojson"

  /// The RFC 7946 FeatureCollection text: members in a fixed order so the index reads top-down,
  /// two-space indentation, short lists (positions, rings, transforms) on one line.
  public func geoJSON() -> String {
    var json = JSONWriter(format: .indented)
    func optional<T>(_ value: T?, _ write: (inout JSONWriter, T) -> Void) {
      if let value { write(&json, value) } else { json.null() }
    }
    func strings(_ values: [String]) {
      json.beginArray(inline: true)
      for value in values { json.string(value) }
      json.endArray()
    }
    json.beginObject()
    json.key("type")
    json.string("FeatureCollection")

    json.key("source")
    json.beginObject()
    json.key("path")
    json.string(source.path)
    json.key("width")
    json.integer(source.width)
    json.key("height")
    json.integer(source.height)
    json.key("bands")
    json.integer(source.bandCount)
    json.key("data_type")
    json.string(source.dataType)
    json.key("crs_wkt")
    optional(source.crsWKT) { $0.string($1) }
    json.key("epsg")
    optional(source.epsg) { $0.integer($1) }
    json.key("geotransform")
    optional(source.geoTransform, Self.write)
    json.key("georeferenced")
    json.bool(source.georeferenced)
    json.key("mask_flags")
    strings(source.maskFlags)
    json.endObject()

    json.key("grid")
    json.beginObject()
    json.key("size")
    json.integer(grid.size)
    json.key("stride")
    json.integer(grid.stride)
    json.key("overlap")
    json.integer(grid.size - grid.stride)
    json.key("edge")
    json.string(grid.edge.rawValue)
    json.key("rows")
    json.integer(grid.rows)
    json.key("columns")
    json.integer(grid.columns)
    json.endObject()

    json.key("output")
    json.beginObject()
    json.key("format")
    json.string(output.format.rawValue)
    json.key("bands")
    json.beginArray(inline: true)
    for band in output.bands { json.integer(band) }
    json.endArray()
    json.key("alpha")
    json.bool(output.alpha)
    json.key("compression")
    json.string(output.compression.rawValue)
    json.endObject()

    json.key("stretch")
    json.beginArray(inline: stretch.isEmpty)
    for band in stretch {
      json.beginObject()
      json.key("band")
      json.integer(band.band)
      json.key("method")
      json.string(band.method.rawValue)
      json.key("min")
      optional(band.min) { $0.number($1) }
      json.key("max")
      optional(band.max) { $0.number($1) }
      if band.method == .percentile {
        json.key("percentiles")
        json.beginArray(inline: true)
        json.integer(2)
        json.integer(98)
        json.endArray()
      }
      json.endObject()
    }
    json.endArray()
    json.key("warnings")
    strings(warnings)

    json.key("features")
    json.beginArray(inline: chips.isEmpty)
    for chip in chips {
      json.beginObject()
      json.key("type")
      json.string("Feature")
      json.key("id")
      json.string(chip.id)
      json.key("geometry")
      if let ring = chip.footprint {
        json.beginObject()
        json.key("type")
        json.string("Polygon")
        json.key("coordinates")
        json.beginArray(inline: true)
        json.beginArray()
        for position in ring {
          json.beginArray()
          for ordinate in position { json.number(ordinate) }
          json.endArray()
        }
        json.endArray()
        json.endArray()
        json.endObject()
      } else {
        json.null()
      }
      json.key("properties")
      json.beginObject()
      json.key("id")
      json.string(chip.id)
      json.key("path")
      json.string(chip.path)
      json.key("row")
      json.integer(chip.row)
      json.key("col")
      json.integer(chip.col)
      json.key("x")
      json.integer(chip.x)
      json.key("y")
      json.integer(chip.y)
      json.key("width")
      json.integer(chip.width)
      json.key("height")
      json.integer(chip.height)
      json.key("valid_fraction")
      json.number(chip.validFraction)
      json.key("geotransform")
      optional(chip.geoTransform, Self.write)
      json.endObject()
      json.endObject()
    }
    json.endArray()
    json.endObject()
    return json.text + "\n"
  }

  private static func write(_ json: inout JSONWriter, _ transform: GeoTransform) {
    json.beginArray(inline: true)
    for coefficient in transform.coefficients { json.number(coefficient) }
    json.endArray()
  }
}
