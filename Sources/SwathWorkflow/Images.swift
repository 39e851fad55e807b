import CGDAL
import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// What `swath image add` learns about a scene before recording it.
public struct ImageInspection: Sendable {
  public var path: String
  public var sha256: String
  public var sizeBytes: Int64
  public var width: Int
  public var height: Int
  public var bands: Int
  public var dataType: String
  public var crsWkt: String?
  public var epsg: Int?
  public var geotransform: [Double]?
  /// The raster's extent in WGS84, edges densified so reprojection keeps their curvature.
  public var footprint: [Point]?
}

public enum ImageCatalog {
  /// Opens the raster with GDAL (refusing, with GDAL's reason, what it cannot read) and
  /// measures what the store keeps about it.
  public static func inspect(path: String) throws -> ImageInspection {
    let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
    let dataset: RasterDataset
    do {
      dataset = try RasterDataset(path: absolute)
    } catch let error as GDALError {
      throw WorkflowError(gdalReason(path: absolute) ?? error.message)
    }
    guard dataset.width > 0, dataset.height > 0, dataset.bandCount > 0 else {
      throw WorkflowError("\(absolute): GDAL opened it but it has no raster bands")
    }
    let attributes = try FileManager.default.attributesOfItem(atPath: absolute)
    let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
    let reference = dataset.spatialReference
    let transform = dataset.geoTransform
    var footprint: [Point]?
    if let reference, let transform {
      footprint = try? wgs84Ring(
        width: Double(dataset.width), height: Double(dataset.height), transform: transform,
        from: reference)
    }
    return ImageInspection(
      path: absolute, sha256: try sha256(fileAt: absolute), sizeBytes: size,
      width: dataset.width, height: dataset.height, bands: dataset.bandCount,
      dataType: dataset.dataTypeName(), crsWkt: reference?.wkt, epsg: reference?.epsg,
      geotransform: transform?.coefficients, footprint: footprint)
  }

  /// GDAL's own words for why it cannot open a file: GDALOpenEx only reports them when asked.
  static func gdalReason(path: String) -> String? {
    guard FileManager.default.isReadableFile(atPath: path) else { return nil }
    GDAL.resetError()
    if let handle = GDALOpenEx(
      path, UInt32(GDAL_OF_RASTER | GDAL_OF_READONLY | GDAL_OF_VERBOSE_ERROR), nil, nil, nil)
    {
      GDALClose(handle)
      return nil
    }
    let message = GDAL.lastErrorMessage()
    return message.isEmpty ? nil : message.replacingOccurrences(of: "\n", with: " ")
  }

  /// A pixel rectangle's outline in WGS84, 16 points per edge, counter-clockwise, closed.
  public static func wgs84Ring(
    columnOffset: Double = 0, rowOffset: Double = 0, width: Double, height: Double,
    transform: GeoTransform, from reference: SpatialReference
  ) throws -> [Point] {
    let steps = 16
    var pixels: [(Double, Double)] = []
    // Pixel rows grow southwards: walking top-left → bottom-left → bottom-right → top-right
    // is counter-clockwise on the ground for a north-up image.
    for i in 0..<steps { pixels.append((0, height * Double(i) / Double(steps))) }
    for i in 0..<steps { pixels.append((width * Double(i) / Double(steps), height)) }
    for i in 0..<steps { pixels.append((width, height * Double(steps - i) / Double(steps))) }
    for i in 0..<steps { pixels.append((width * Double(steps - i) / Double(steps), 0)) }
    var xs: [Double] = []
    var ys: [Double] = []
    for (column, row) in pixels {
      let point = transform.apply(column: columnOffset + column, row: rowOffset + row)
      xs.append(point.x)
      ys.append(point.y)
    }
    let toWGS84 = try CoordinateTransform(from: reference, to: SpatialReference.wgs84())
    try toWGS84.transform(xs: &xs, ys: &ys)
    var ring = zip(xs, ys).map { Point($0, $1) }
    if signedArea(ring) < 0 { ring.reverse() }
    ring.append(ring[0])
    return ring
  }

  static func signedArea(_ ring: [Point]) -> Double {
    var sum = 0.0
    for index in ring.indices {
      let a = ring[index]
      let b = ring[(index + 1) % ring.count]
      sum += a.x * b.y - b.x * a.y
    }
    return sum / 2
  }

  /// SHA-256 of a file, with GDAL's implementation over a memory map (no copy of the file).
  public static func sha256(fileAt path: String) throws -> String {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw WorkflowError("\(path): cannot read: \(error.localizedDescription)")
    }
    var digest = [UInt8](repeating: 0, count: 32)
    data.withUnsafeBytes { bytes in
      digest.withUnsafeMutableBufferPointer { out in
        CPL_SHA256(bytes.baseAddress, bytes.count, out.baseAddress)
      }
    }
    return digest.map { String(format: "%02x", $0) }.joined()
  }
}

extension Workspace {
  /// Records a scene under a unique name, in one transaction with its audit entry.
  @discardableResult
  public func registerImage(_ inspection: ImageInspection, name: String, by caller: Caller) throws
    -> ImageRecord
  {
    let trimmed = name.trimmingCharacters(in: .whitespaces)
    guard !trimmed.isEmpty, !trimmed.contains("/") else {
      throw WorkflowError("image name '\(name)' must be non-empty and contain no '/'")
    }
    return try store.write { store in
      if let existing = try store.image(named: trimmed) {
        throw WorkflowError(
          "an image named '\(trimmed)' is already registered (\(existing.path)); pick another name",
          kind: .conflict)
      }
      var record = ImageRecord(
        name: trimmed, path: inspection.path, sha256: inspection.sha256,
        sizeBytes: inspection.sizeBytes, width: inspection.width, height: inspection.height,
        bands: inspection.bands, dataType: inspection.dataType, crsWkt: inspection.crsWkt,
        epsg: inspection.epsg, geotransform: inspection.geotransform,
        footprint: inspection.footprint.map { GeoJSONText.polygon([$0]) }, addedAt: Timestamp.now())
      try store.insert(&record)
      try store.audit(
        actor: caller.name, command: caller.command, action: "image.add",
        detail: "\(trimmed) \(inspection.path) sha256=\(inspection.sha256)")
      return record
    }
  }

  /// Every registered image, by name.
  public func images() throws -> [ImageRecord] {
    try store.read { store in try store.images() }
  }
}

/// GeoJSON text the store writes itself (closed rings of x/y pairs), shortest round-trip numbers.
public enum GeoJSONText {
  public static func polygon(_ rings: [[Point]]) -> String {
    let body = rings.map { ring in
      "[" + ring.map { "[\(number($0.x)),\(number($0.y))]" }.joined(separator: ",") + "]"
    }.joined(separator: ",")
    return "{\"type\":\"Polygon\",\"coordinates\":[\(body)]}"
  }

  static func number(_ value: Double) -> String {
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  /// The outer ring of a stored GeoJSON Polygon.
  public static func outerRing(ofPolygon text: String) -> [Point]? {
    guard let data = text.data(using: .utf8),
      let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let coordinates = object["coordinates"] as? [[[Double]]], let shell = coordinates.first
    else { return nil }
    return shell.compactMap { $0.count >= 2 ? Point($0[0], $0[1]) : nil }
  }
}
