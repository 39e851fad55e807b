import Foundation

/// What to do with grid cells that reach past the right or bottom edge of the image.
public enum EdgePolicy: String, Sendable, CaseIterable, Codable {
  /// Keep the chip at full size; the part beyond the image is invalid (transparent).
  case pad
  /// Move the last row/column inward so every chip is whole (images smaller than a chip are padded).
  case shift
  /// Skip partial chips.
  case drop
}

/// The chip file format.
public enum ChipFormat: String, Sendable, CaseIterable, Codable {
  /// 8-bit PNG with world file and `.aux.xml`, stretched as asked.
  case png
  /// GeoTIFF in the source data type, never stretched.
  case tif

  public var fileExtension: String { rawValue }
}

/// PNG compression trade-off.
public enum PNGCompression: String, Sendable, CaseIterable, Codable {
  /// libpng's adaptive filter choice per row, libdeflate level 1.
  case `default`
  /// The Sub filter on every row, libdeflate level 1.
  case fast
}

/// How source values become 8-bit PNG values.
public enum StretchMode: Sendable, Hashable {
  /// Per-scene 2–98 % percentiles of the valid pixels for non-Byte bands; Byte bands untouched.
  case auto
  /// Values are rounded and clamped to 0…255.
  case none
  /// Linear from `min` (→0) to `max` (→255) for every band.
  case fixed(min: Double, max: Double)

  /// Parses `auto`, `none` or `MIN,MAX`.
  public static func parse(_ text: String) throws -> StretchMode {
    switch text.lowercased() {
    case "auto": return .auto
    case "none": return .none
    default:
      let parts = text.split(separator: ",", omittingEmptySubsequences: false)
      guard parts.count == 2, let low = Double(parts[0].trimmingCharacters(in: .whitespaces)),
        let high = Double(parts[1].trimmingCharacters(in: .whitespaces)), low.isFinite,
        high.isFinite
      else {
        throw ChipError.usage("stretch '\(text)': expected auto, none or MIN,MAX", setting: .stretch)
      }
      guard high > low else {
        throw ChipError.usage("stretch '\(text)': MAX must be greater than MIN", setting: .stretch)
      }
      return .fixed(min: low, max: high)
    }
  }
}

/// The part of the scene to chip; only chips that intersect it are cut.
public enum ChipRegion: Sendable, Hashable {
  /// A GeoJSON file of Polygon/MultiPolygon features, in WGS84 lon/lat
  /// (or in the CRS its legacy `crs` member names).
  case geoJSONFile(String)
  /// A WGS84 box, longitude first.
  case lonLatBox(minLon: Double, minLat: Double, maxLon: Double, maxLat: Double)
  /// A window in source pixels.
  case pixels(x: Int, y: Int, width: Int, height: Int)

  /// Parses `px:x,y,w,h`, `minlon,minlat,maxlon,maxlat` or a path to a GeoJSON file.
  public static func parse(_ text: String) throws -> ChipRegion {
    if text.hasPrefix("px:") {
      let values = text.dropFirst(3).split(separator: ",", omittingEmptySubsequences: false)
        .map { Int($0.trimmingCharacters(in: .whitespaces)) }
      guard values.count == 4, let x = values[0], let y = values[1], let w = values[2],
        let h = values[3]
      else {
        throw ChipError.usage(
          "region '\(text)': expected px:x,y,width,height in whole pixels", setting: .region)
      }
      guard w > 0, h > 0, x >= 0, y >= 0 else {
        throw ChipError.usage(
          "region '\(text)': x and y must be ≥ 0, width and height > 0", setting: .region)
      }
      return .pixels(x: x, y: y, width: w, height: h)
    }
    let parts = text.split(separator: ",", omittingEmptySubsequences: false)
    if parts.count == 4, !FileManager.default.fileExists(atPath: text) {
      let values = parts.map { Double($0.trimmingCharacters(in: .whitespaces)) }
      guard let minLon = values[0], let minLat = values[1], let maxLon = values[2],
        let maxLat = values[3], values.allSatisfy({ $0?.isFinite == true })
      else {
        throw ChipError.usage(
          "region '\(text)': expected minlon,minlat,maxlon,maxlat numbers", setting: .region)
      }
      guard minLon < maxLon, minLat < maxLat else {
        throw ChipError.usage(
          "region '\(text)': min must be below max (minlon,minlat,maxlon,maxlat)", setting: .region)
      }
      guard (-180...180).contains(minLon), (-180...180).contains(maxLon),
        (-90...90).contains(minLat), (-90...90).contains(maxLat)
      else {
        throw ChipError.usage(
          "region '\(text)': longitude must lie in -180…180 and latitude in -90…90", setting: .region)
      }
      return .lonLatBox(minLon: minLon, minLat: minLat, maxLon: maxLon, maxLat: maxLat)
    }
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: text, isDirectory: &isDirectory),
      !isDirectory.boolValue
    else {
      throw ChipError.usage(
        "region '\(text)': no such GeoJSON file (or use minlon,minlat,maxlon,maxlat or px:x,y,w,h)",
        setting: .region)
    }
    return .geoJSONFile(text)
  }
}

/// Everything that shapes a chipping run. Defaults match `swath chip`'s.
public struct ChipOptions: Sendable, Hashable {
  /// Chip width and height in pixels.
  public var size: Int
  /// Distance between neighbouring chips' origins; `size - overlap`.
  public var stride: Int
  public var region: ChipRegion?
  public var edge: EdgePolicy
  /// 1-based source bands; nil picks Red/Green/Blue (or bands 1–3, or band 1) for PNG,
  /// every non-alpha band for GeoTIFF.
  public var bands: [Int]?
  public var stretch: StretchMode
  /// Skip chips whose valid fraction is below this; nil skips only chips with no valid pixel.
  public var minValid: Double?
  public var format: ChipFormat
  /// Encoder threads.
  public var jobs: Int
  public var compression: PNGCompression

  public init(
    size: Int = 512, stride: Int? = nil, region: ChipRegion? = nil, edge: EdgePolicy = .pad,
    bands: [Int]? = nil, stretch: StretchMode = .auto, minValid: Double? = nil,
    format: ChipFormat = .png, jobs: Int = ProcessInfo.processInfo.activeProcessorCount,
    compression: PNGCompression = .default
  ) {
    self.size = size
    self.stride = stride ?? size
    self.region = region
    self.edge = edge
    self.bands = bands
    self.stretch = stretch
    self.minValid = minValid
    self.format = format
    self.jobs = jobs
    self.compression = compression
  }

  /// Sets the stride from an overlap; fails when the overlap leaves no stride.
  public mutating func setOverlap(_ overlap: Int) throws {
    guard overlap >= 0 else {
      throw ChipError.usage("overlap \(overlap) px must not be negative", setting: .overlap)
    }
    guard overlap < size else {
      throw ChipError.usage(
        "overlap \(overlap) px must be smaller than the chip size \(size) px", setting: .overlap)
    }
    stride = size - overlap
  }

  /// Parses `1,2,3`.
  public static func parseBands(_ text: String) throws -> [Int] {
    let values = text.split(separator: ",", omittingEmptySubsequences: false)
      .map { Int($0.trimmingCharacters(in: .whitespaces)) }
    guard !values.isEmpty, values.allSatisfy({ ($0 ?? 0) >= 1 }) else {
      throw ChipError.usage("bands '\(text)': expected 1-based band numbers such as 1,2,3", setting: .bands)
    }
    return values.map { $0! }
  }

  func validate() throws {
    // Memory grows with size × scene width (strips) and size² (one chip per thread).
    guard size >= 1, size <= 8192 else {
      throw ChipError.usage("chip size \(size) px must lie in 1…8192", setting: .size)
    }
    guard stride >= 1 else {
      throw ChipError.usage(
        "the stride (size minus overlap) must be at least 1 pixel, got \(stride)", setting: .stride)
    }
    if let minValid, !(0...1).contains(minValid) {
      throw ChipError.usage("minimum valid fraction \(minValid) must lie in 0…1", setting: .minValid)
    }
    guard jobs >= 1 else {
      throw ChipError.usage("\(jobs) encoder threads: must be at least 1", setting: .jobs)
    }
  }
}

/// Why a chipping run failed: one line, naming what and where.
public struct ChipError: Error, CustomStringConvertible, Sendable {
  public enum Kind: Sendable {
    /// The arguments are wrong whatever the input (CLI exit 2).
    case usage
    /// The input or the output folder is at fault (CLI exit 1).
    case input
  }
  public let kind: Kind
  public let message: String
  /// The setting whose value is at fault, so a front end can name its own flag or field.
  public let setting: ChipSetting?
  public var description: String { message }

  public static func usage(_ message: String, setting: ChipSetting? = nil) -> ChipError {
    ChipError(kind: .usage, message: message, setting: setting)
  }
  public static func input(_ message: String, setting: ChipSetting? = nil) -> ChipError {
    ChipError(kind: .input, message: message, setting: setting)
  }
}

/// The settings of a chipping run, as errors name them (front ends map them to their flags).
public enum ChipSetting: String, Sendable, CaseIterable {
  case size
  case overlap
  case stride
  case region
  case bands
  case stretch
  case minValid = "min-valid"
  case jobs
}
