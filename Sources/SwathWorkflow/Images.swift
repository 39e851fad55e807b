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
  /// `path` is a local file or an HTTP(S) URL of a scene (best a cloud-optimised GeoTIFF), which is
  /// then read in byte ranges and never downloaded whole.
  public static func inspect(path: String) throws -> ImageInspection {
    let remote = RemoteScene.isURL(path)
    let absolute = remote ? path : URL(fileURLWithPath: path).standardizedFileURL.path
    guard remote || FileManager.default.fileExists(atPath: absolute) else {
      throw WorkflowError("\(absolute): no such file", kind: .notFound)
    }
    let dataset: RasterDataset
    do {
      dataset = try RasterDataset(path: absolute)
    } catch let error as GDALError {
      throw WorkflowError(error.reason ?? error.message)
    }
    guard dataset.width > 0, dataset.height > 0, dataset.bandCount > 0 else {
      throw WorkflowError("\(absolute): GDAL opened it but it has no raster bands")
    }
    let (sha256, size) = try identity(of: absolute)
    let reference = dataset.spatialReference
    let transform = dataset.geoTransform
    var footprint: [Point]?
    if let reference, let transform {
      footprint = try? PixelFootprint.ring(
        geoTransform: transform, column: 0, row: 0, width: Double(dataset.width),
        height: Double(dataset.height), pointsPerEdge: 16,
        to: CoordinateTransform(from: reference, to: SpatialReference.wgs84()))
    }
    return ImageInspection(
      path: absolute, sha256: sha256, sizeBytes: size,
      width: dataset.width, height: dataset.height, bands: dataset.bandCount,
      dataType: dataset.dataTypeName(), crsWkt: reference?.wkt, epsg: reference?.epsg,
      geotransform: transform?.coefficients, footprint: footprint)
  }

  /// How much of a scene by URL its identity hashes: a COG's header and tile index lie here.
  static let remotePrefix = 65_536

  /// The registered image's identity and its size in bytes. A local file: the SHA-256 of the
  /// whole file. A URL: the SHA-256 of its size (as decimal text and a newline) followed by its
  /// first 64 KiB, since hashing a remote scene whole would download it; a COG's header and
  /// tile offsets lie there, so a file replaced by another still changes it.
  static func identity(of location: String) throws -> (sha256: String, size: Int64) {
    guard RemoteScene.isURL(location) else {
      let attributes = try? FileManager.default.attributesOfItem(atPath: location)
      return (try sha256(fileAt: location), (attributes?[.size] as? NSNumber)?.int64Value ?? 0)
    }
    do {
      let (size, head) = try RemoteScene.head(location, prefix: remotePrefix)
      return (Checksum.sha256(Data("\(size)\n".utf8) + head), size)
    } catch let error as GDALError {
      throw WorkflowError(error.message, kind: .environment)
    }
  }

  /// SHA-256 of a file: the registered image's identity.
  static func sha256(fileAt path: String) throws -> String {
    do {
      return try Checksum.sha256(fileAt: path)
    } catch let error as GDALError {
      throw WorkflowError(error.message, kind: .environment)
    }
  }
}

extension Workspace {
  /// Bounds every HTTP read of a scene by URL to `seconds` (GDAL's timeout is 15 s otherwise), so
  /// a stalled server holds a rendering thread no longer than a request may wait for it.
  public static func limitSceneReads(toSeconds seconds: Double) {
    RemoteScene.setOption("GDAL_HTTP_TIMEOUT", seconds < 15 ? String(Int(seconds.rounded(.up))) : nil)
  }

  /// Records a scene under a unique name, in one transaction with its audit entry.
  @discardableResult
  public func registerImage(_ inspection: ImageInspection, name: String, by caller: Caller) throws
    -> ImageRecord
  {
    try caller.require(.manageImages)
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
        footprint: inspection.footprint.map { GeoJSONGeometry.polygonText([$0]) }, addedAt: Timestamp.now())
      try store.insert(&record)
      try store.audit(
        actor: caller.name, command: caller.command, action: "image.add",
        detail: "\(trimmed) \(inspection.path) sha256=\(inspection.sha256)")
      return record
    }
  }

  /// Opens the scene at `path` (a file the server can read) and registers it. The role is checked
  /// before the file is opened, so no one else can make the server read a path.
  @discardableResult
  public func registerImage(path: String, name: String, by caller: Caller) throws -> ImageRecord {
    try caller.require(.manageImages)
    return try registerImage(ImageCatalog.inspect(path: path), name: name, by: caller)
  }

  /// Every registered image, by name.
  public func images(by caller: Caller) throws -> [ImageRecord] {
    try caller.require(.manageImages)
    return try store.read { store in try store.images() }
  }
}
