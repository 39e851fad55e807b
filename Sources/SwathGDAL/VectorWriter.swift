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
    let geometry = VectorGeometry.multiPolygon(polygons)
    OGR_G_AssignSpatialReference(geometry.handle, spatialReference.handle)
    // The feature takes a copy; `geometry` frees its own.
    OGR_F_SetGeometry(feature, geometry.handle)
    GDAL.resetError()
    guard OGR_L_CreateFeature(handle, feature) == OGRERR_NONE else {
      throw GDALError.last("cannot write a feature to \(writer.path)")
    }
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
