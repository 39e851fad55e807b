import CGDAL
import Foundation

/// The attribute types a `VectorWriter` layer can hold.
public enum VectorFieldType: Sendable, Hashable {
  case integer64
  case real
  case string
  /// An integer column of OGR's Boolean subtype: GeoJSON writes true/false, GPKG a BOOLEAN
  /// column, FlatGeobuf a Bool column.
  case boolean
  /// A string column holding JSON text (OGR's JSON subtype: GeoJSON writes it natively, GPKG
  /// marks the column).
  case json

  var ogrType: OGRFieldType {
    switch self {
    case .integer64: OFTInteger64
    case .real: OFTReal
    case .string, .json: OFTString
    case .boolean: OFTInteger
    }
  }

  var ogrSubtype: OGRFieldSubType {
    switch self {
    case .json: OFSTJSON
    case .boolean: OFSTBoolean
    case .integer64, .real, .string: OFSTNone
    }
  }
}

/// One attribute value of a feature.
public enum VectorFieldValue: Sendable, Hashable {
  case null
  case integer(Int64)
  case real(Double)
  case string(String)
  case boolean(Bool)
}

/// Writes a vector dataset through one of GDAL's drivers (GeoJSON, GPKG, FlatGeobuf, …):
/// create it, add layers, fields and features, then `close()`, which reports failures GDAL
/// only finds while flushing.
// @unchecked: the handle is private and used by one thread at a time (Sendable only to be handed over).
public final class VectorWriter: @unchecked Sendable {
  private var handle: GDALDatasetH?
  public let path: String

  /// Creates `path` with the driver named `driver`.
  public init(creating path: String, driver driverName: String) throws {
    GDAL.initialize()
    GDAL.resetError()
    guard let driver = GDALGetDriverByName(driverName) else {
      throw GDALError("GDAL has no \(driverName) driver")
    }
    guard let handle = GDALCreate(driver, path, 0, 0, 0, GDT_Unknown, nil) else {
      throw GDALError.last("cannot create \(path)")
    }
    self.handle = handle
    self.path = path
  }

  deinit { if let handle { GDALClose(handle) } }

  fileprivate func open() throws -> GDALDatasetH {
    guard let handle else { throw GDALError("\(path): already closed") }
    return handle
  }

  /// Creates a MultiPolygon layer in `spatialReference` with the driver's layer creation
  /// options (e.g. `RFC7946=YES`, `DESCRIPTION=…`).
  public func createMultiPolygonLayer(
    name: String, spatialReference: SpatialReference, options: [String] = []
  ) throws -> VectorLayer {
    let dataset = try open()
    GDAL.resetError()
    let layer = withCStringArray(options) {
      GDALDatasetCreateLayer(dataset, name, spatialReference.handle, wkbMultiPolygon, $0)
    }
    guard let layer else { throw GDALError.last("cannot create layer in \(path)") }
    return VectorLayer(writer: self, handle: layer, spatialReference: spatialReference)
  }

  /// Sets a dataset metadata item (GPKG keeps them in gpkg_metadata).
  public func setMetadataItem(_ value: String, for key: String) throws {
    GDALSetMetadataItem(try open(), key, value, nil)
  }

  /// Starts a transaction (emulated where the driver has none); false when none was started.
  @discardableResult
  public func startTransaction() throws -> Bool {
    GDALDatasetStartTransaction(try open(), 0) == OGRERR_NONE
  }

  /// Commits the transaction; throws GDALError.last("cannot commit <path>") when GDAL fails
  /// (some drivers, e.g. GeoJSON, fail because they have no transaction to commit).
  public func commitTransaction() throws {
    GDAL.resetError()
    guard GDALDatasetCommitTransaction(try open()) == OGRERR_NONE else {
      throw GDALError.last("cannot commit \(path)")
    }
  }

  /// Closes the dataset; throws `writing <path>: <GDAL's message>` when GDAL reports a failure
  /// while closing (a full disk, a failed flush). Closing twice does nothing.
  public func close() throws {
    guard let handle else { return }
    self.handle = nil
    GDAL.resetError()
    GDALClose(handle)
    let message = GDAL.lastErrorMessage()
    if !message.isEmpty, GDAL.lastErrorIsFailure {
      throw GDALError("writing \(path): \(message)", reason: message)
    }
  }
}

/// A layer of a `VectorWriter`; valid while its writer is open.
// @unchecked: the handle belongs to the writer it keeps alive; used by one thread at a time like it.
public final class VectorLayer: @unchecked Sendable {
  private let writer: VectorWriter
  private let handle: OGRLayerH
  public let spatialReference: SpatialReference
  public private(set) var fields: [(name: String, type: VectorFieldType)] = []

  fileprivate init(writer: VectorWriter, handle: OGRLayerH, spatialReference: SpatialReference) {
    self.writer = writer
    self.handle = handle
    self.spatialReference = spatialReference
  }

  /// Adds an attribute column; fields are numbered in the order they are added.
  public func addField(name: String, type: VectorFieldType) throws {
    _ = try writer.open()
    let definition = OGR_Fld_Create(name, type.ogrType)
    defer { OGR_Fld_Destroy(definition) }
    OGR_Fld_SetSubType(definition, type.ogrSubtype)
    GDAL.resetError()
    guard OGR_L_CreateField(handle, definition, 1) == OGRERR_NONE else {
      throw GDALError.last("cannot create field \(name)")
    }
    fields.append((name, type))
  }

  /// Writes one feature: `values[i]` for field i (nil leaves it unset, `.null` sets it null;
  /// missing trailing values are unset) and a MultiPolygon given as polygons → rings → (x, y),
  /// tagged with the layer's CRS.
  public func addFeature(
    values: [VectorFieldValue?], multiPolygon polygons: [[[(x: Double, y: Double)]]]
  ) throws {
    var coordinates = PolygonalCoordinates()
    for rings in polygons {
      coordinates.polygonRingCounts.append(rings.count)
      for ring in rings {
        coordinates.ringSizes.append(ring.count)
        for point in ring {
          coordinates.xs.append(point.x)
          coordinates.ys.append(point.y)
        }
      }
    }
    try addFeature(values: values, coordinates: coordinates)
  }

  /// Writes one feature: `values[i]` for field i (as above) and a MultiPolygon given flat,
  /// tagged with the layer's CRS. Each ring is filled by one OGR_G_SetPoints call and the
  /// geometry handed to the feature without a copy.
  public func addFeature(values: [VectorFieldValue?], coordinates: PolygonalCoordinates) throws {
    _ = try writer.open()
    guard let feature = OGR_F_Create(OGR_L_GetLayerDefn(handle)) else {
      throw GDALError("cannot allocate an OGR feature")
    }
    defer { OGR_F_Destroy(feature) }
    for (index, value) in values.enumerated() {
      guard let value else { continue }
      switch value {
      case .null: OGR_F_SetFieldNull(feature, Int32(index))
      case .integer(let number): OGR_F_SetFieldInteger64(feature, Int32(index), number)
      case .real(let number): OGR_F_SetFieldDouble(feature, Int32(index), number)
      case .string(let text): OGR_F_SetFieldString(feature, Int32(index), text)
      case .boolean(let flag): OGR_F_SetFieldInteger(feature, Int32(index), flag ? 1 : 0)
      }
    }
    let geometry = coordinates.ogrMultiPolygon()
    OGR_G_AssignSpatialReference(geometry, spatialReference.handle)
    // The feature takes ownership of `geometry` (and frees it with itself).
    OGR_F_SetGeometryDirectly(feature, geometry)
    GDAL.resetError()
    guard OGR_L_CreateFeature(handle, feature) == OGRERR_NONE else {
      throw GDALError.last("cannot write a feature to \(writer.path)")
    }
  }
}

/// A MultiPolygon as flat arrays, the form OGR fills rings from: every point's x in `xs` and y
/// in `ys` in order, the point count of each ring in `ringSizes`, and the ring count of each
/// polygon (shell first, then holes) in `polygonRingCounts`. Rings are closed as given.
public struct PolygonalCoordinates: Sendable, Hashable {
  public var xs: [Double] = []
  public var ys: [Double] = []
  public var ringSizes: [Int] = []
  public var polygonRingCounts: [Int] = []

  public init() {}

  /// Empties the arrays, keeping their capacity (one value reused for every feature).
  public mutating func removeAll() {
    xs.removeAll(keepingCapacity: true)
    ys.removeAll(keepingCapacity: true)
    ringSizes.removeAll(keepingCapacity: true)
    polygonRingCounts.removeAll(keepingCapacity: true)
  }

  /// Reprojects every point, in one call.
  public mutating func transform(with transform: CoordinateTransform) throws {
    guard !xs.isEmpty else { return }
    try transform.transform(xs: &xs, ys: &ys)
  }

  /// A new OGR MultiPolygon the caller owns.
  func ogrMultiPolygon() -> OGRGeometryH {
    let multi = OGR_G_CreateGeometry(wkbMultiPolygon)!
    var ring = 0
    var point = 0
    xs.withUnsafeBufferPointer { xs in
      ys.withUnsafeBufferPointer { ys in
        for ringCount in polygonRingCounts {
          let polygon = OGR_G_CreateGeometry(wkbPolygon)!
          for _ in 0..<ringCount {
            let size = ringSizes[ring]
            let linearRing = OGR_G_CreateGeometry(wkbLinearRing)!
            if size > 0, let x = xs.baseAddress, let y = ys.baseAddress {
              // OGR copies the points (stride: one Double).
              let stride = Int32(MemoryLayout<Double>.stride)
              OGR_G_SetPoints(linearRing, Int32(size), x + point, stride, y + point, stride, nil, 0)
            }
            OGR_G_AddGeometryDirectly(polygon, linearRing)
            point += size
            ring += 1
          }
          OGR_G_AddGeometryDirectly(multi, polygon)
        }
      }
    }
    return multi
  }
}

/// Checksums of files.
public enum Checksum {
  /// The SHA-256 of a file as lower-case hex, computed by GDAL's CPL_SHA256 over a memory map
  /// (no copy of the file in memory).
  public static func sha256(fileAt path: String) throws -> String {
    let data: Data
    do {
      data = try Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped)
    } catch {
      throw GDALError("\(path): cannot read: \(error.localizedDescription)")
    }
    return sha256(data)
  }

  /// The SHA-256 of bytes in memory, as lower-case hex.
  public static func sha256(_ data: Data) -> String {
    var digest = [UInt8](repeating: 0, count: 32)
    data.withUnsafeBytes { bytes in
      digest.withUnsafeMutableBufferPointer { out in
        CPL_SHA256(bytes.baseAddress, bytes.count, out.baseAddress)
      }
    }
    return digest.map { String(format: "%02x", $0) }.joined()
  }
}
