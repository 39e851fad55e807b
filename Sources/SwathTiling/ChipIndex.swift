import Foundation
import SwathGDAL

/// One chip written to disk.
public struct ChipRecord: Sendable, Hashable {
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
  public var chips: [ChipRecord]
  /// Things the user should know, such as a missing georeference.
  public var warnings: [String]

  public static let fileName = "chips.geojson"

  /// The RFC 7946 FeatureCollection text.
  public func geoJSON() -> String {
    var root = JSONWriter.Object()
    root["type"] = .string("FeatureCollection")
    var sourceObject = JSONWriter.Object()
    sourceObject["path"] = .string(source.path)
    sourceObject["width"] = .int(source.width)
    sourceObject["height"] = .int(source.height)
    sourceObject["bands"] = .int(source.bandCount)
    sourceObject["data_type"] = .string(source.dataType)
    sourceObject["crs_wkt"] = source.crsWKT.map(JSONWriter.Value.string) ?? .null
    sourceObject["epsg"] = source.epsg.map(JSONWriter.Value.int) ?? .null
    sourceObject["geotransform"] = source.geoTransform.map(Self.transformValue) ?? .null
    sourceObject["georeferenced"] = .bool(source.georeferenced)
    sourceObject["mask_flags"] = .array(source.maskFlags.map(JSONWriter.Value.string))
    root["source"] = .object(sourceObject)

    var gridObject = JSONWriter.Object()
    gridObject["size"] = .int(grid.size)
    gridObject["stride"] = .int(grid.stride)
    gridObject["overlap"] = .int(grid.size - grid.stride)
    gridObject["edge"] = .string(grid.edge.rawValue)
    gridObject["rows"] = .int(grid.rows)
    gridObject["columns"] = .int(grid.columns)
    root["grid"] = .object(gridObject)

    var outputObject = JSONWriter.Object()
    outputObject["format"] = .string(output.format.rawValue)
    outputObject["bands"] = .array(output.bands.map(JSONWriter.Value.int))
    outputObject["alpha"] = .bool(output.alpha)
    outputObject["compression"] = .string(output.compression.rawValue)
    root["output"] = .object(outputObject)

    root["stretch"] = .array(
      stretch.map { band in
        var object = JSONWriter.Object()
        object["band"] = .int(band.band)
        object["method"] = .string(band.method.rawValue)
        object["min"] = band.min.map(JSONWriter.Value.number) ?? .null
        object["max"] = band.max.map(JSONWriter.Value.number) ?? .null
        if band.method == .percentile {
          object["percentiles"] = .array([.number(2), .number(98)])
        }
        return .object(object)
      })
    root["warnings"] = .array(warnings.map(JSONWriter.Value.string))

    root["features"] = .array(
      chips.map { chip in
        var feature = JSONWriter.Object()
        feature["type"] = .string("Feature")
        feature["id"] = .string(chip.id)
        if let ring = chip.footprint {
          var geometry = JSONWriter.Object()
          geometry["type"] = .string("Polygon")
          geometry["coordinates"] = .array([
            .array(ring.map { .array([.number($0[0]), .number($0[1])]) })
          ])
          feature["geometry"] = .object(geometry)
        } else {
          feature["geometry"] = .null
        }
        var properties = JSONWriter.Object()
        properties["id"] = .string(chip.id)
        properties["path"] = .string(chip.path)
        properties["row"] = .int(chip.row)
        properties["col"] = .int(chip.col)
        properties["x"] = .int(chip.x)
        properties["y"] = .int(chip.y)
        properties["width"] = .int(chip.width)
        properties["height"] = .int(chip.height)
        properties["valid_fraction"] = .number(chip.validFraction)
        properties["geotransform"] = chip.geoTransform.map(Self.transformValue) ?? .null
        feature["properties"] = .object(properties)
        return .object(feature)
      })
    return JSONWriter.render(.object(root))
  }

  private static func transformValue(_ transform: GeoTransform) -> JSONWriter.Value {
    .array(transform.coefficients.map(JSONWriter.Value.number))
  }
}

/// A JSON writer that keeps keys in insertion order, so the index reads top-down.
enum JSONWriter {
  indirect enum Value {
    case null
    case bool(Bool)
    case int(Int)
    case number(Double)
    case string(String)
    case array([Value])
    case object(Object)
  }

  struct Object {
    var entries: [(String, Value)] = []
    subscript(key: String) -> Value? {
      get { entries.first { $0.0 == key }?.1 }
      set {
        entries.removeAll { $0.0 == key }
        if let newValue { entries.append((key, newValue)) }
      }
    }
  }

  static func render(_ value: Value) -> String {
    var text = ""
    write(value, into: &text, indent: 0)
    text += "\n"
    return text
  }

  private static func write(_ value: Value, into text: inout String, indent: Int) {
    switch value {
    case .null: text += "null"
    case .bool(let flag): text += flag ? "true" : "false"
    case .int(let number): text += String(number)
    case .number(let number): text += format(number)
    case .string(let string): text += quote(string)
    case .array(let values):
      // Coordinate pairs and short number lists stay on one line.
      // So do the rings of a footprint, nested deep enough.
      let scalars = values.allSatisfy {
        if case .array = $0 { return false } else if case .object = $0 { return false }
        return true
      }
      let deepArrays =
        indent >= 8
        && values.allSatisfy {
          if case .array = $0 { return true }
          return false
        }
      if scalars || deepArrays {
        text += "["
        for (index, element) in values.enumerated() {
          if index > 0 { text += ", " }
          write(element, into: &text, indent: indent)
        }
        text += "]"
        return
      }
      text += "[\n"
      for (index, element) in values.enumerated() {
        text += String(repeating: " ", count: indent + 2)
        write(element, into: &text, indent: indent + 2)
        text += index + 1 < values.count ? ",\n" : "\n"
      }
      text += String(repeating: " ", count: indent) + "]"
    case .object(let object):
      if object.entries.isEmpty {
        text += "{}"
        return
      }
      text += "{\n"
      for (index, (key, element)) in object.entries.enumerated() {
        text += String(repeating: " ", count: indent + 2) + quote(key) + ": "
        write(element, into: &text, indent: indent + 2)
        text += index + 1 < object.entries.count ? ",\n" : "\n"
      }
      text += String(repeating: " ", count: indent) + "}"
    }
  }

  static func format(_ number: Double) -> String {
    guard number.isFinite else { return "null" }
    if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
    return "\(number)"
  }

  static func quote(_ string: String) -> String {
    var out = "\""
    for scalar in string.unicodeScalars {
      switch scalar {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if scalar.value < 0x20 {
          out += String(format: "\\u%04x", scalar.value)
        } else {
          out.unicodeScalars.append(scalar)
        }
      }
    }
    return out + "\""
  }
}
