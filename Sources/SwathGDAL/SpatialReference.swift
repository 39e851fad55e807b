import CGDAL
import Foundation

/// An owning wrapper of an OGRSpatialReferenceH, always in longitude/latitude
/// (x/y) axis order whatever the authority says.
// @unchecked: the handle is never changed after init, and OSR's read-only queries are thread-safe.
public final class SpatialReference: @unchecked Sendable {
  /// Package-only: for the store's exporter until it writes through VectorWriter.
  let handle: OGRSpatialReferenceH

  private init(handle: OGRSpatialReferenceH) {
    OSRSetAxisMappingStrategy(handle, OAMS_TRADITIONAL_GIS_ORDER)
    self.handle = handle
  }

  deinit { OSRDestroySpatialReference(handle) }

  /// Any definition OSRSetFromUserInput understands: `EPSG:32618`, WKT, PROJ strings.
  public convenience init(definition: String) throws {
    GDAL.initialize()
    guard let handle = OSRNewSpatialReference(nil) else {
      throw GDALError("cannot allocate a spatial reference")
    }
    GDAL.resetError()
    if OSRSetFromUserInput(handle, definition) != OGRERR_NONE {
      OSRDestroySpatialReference(handle)
      throw GDALError.last("unknown CRS '\(definition)'")
    }
    self.init(handle: handle)
  }

  public convenience init(epsg: Int) throws {
    try self.init(definition: "EPSG:\(epsg)")
  }

  /// A CRS named as GeoJSON 2008 `crs` members (solaris, SpaceNet, GDAL's own writer before
  /// RFC 7946) and OGC services name one: `urn:ogc:def:crs:EPSG::32616` (any version, also
  /// `urn:x-ogc:`), `EPSG:32616`, `http://www.opengis.net/def/crs/EPSG/0/32616`, and OGC's
  /// `CRS84`, `CRS83`, `CRS27` in the same forms (`urn:ogc:def:crs:OGC:1.3:CRS84` is WGS84
  /// longitude/latitude). Only names: unlike `init(definition:)` it never opens a file or a URL.
  public convenience init(crsName: String) throws {
    let text = crsName.trimmingCharacters(in: .whitespaces)
    let lower = text.lowercased()
    var parts: [Substring]
    if let prefix = ["urn:ogc:def:crs:", "urn:x-ogc:def:crs:"].first(where: { lower.hasPrefix($0) }) {
      parts = text.dropFirst(prefix.count).split(separator: ":", omittingEmptySubsequences: false)
    } else if let prefix = ["http://www.opengis.net/def/crs/", "https://www.opengis.net/def/crs/"]
      .first(where: { lower.hasPrefix($0) })
    {
      parts = text.dropFirst(prefix.count).split(separator: "/", omittingEmptySubsequences: false)
    } else {
      parts = text.split(separator: ":", omittingEmptySubsequences: false)
    }
    // authority[, version], code
    guard (2...3).contains(parts.count), let authority = parts.first?.uppercased(), let code = parts.last
    else { throw Self.unknownName(text) }
    if authority == "EPSG", !code.isEmpty, code.count <= 9, code.allSatisfy({ $0.isASCII && $0.isNumber }) {
      do {
        try self.init(definition: "EPSG:\(code)")
      } catch let error as GDALError {
        throw error.context("unknown CRS \"\(text)\": EPSG has no CRS \(code)")
      }
    } else if authority == "OGC", ["CRS84", "CRS83", "CRS27"].contains(code.uppercased()) {
      try self.init(definition: "OGC:\(code.uppercased())")
    } else {
      throw Self.unknownName(text)
    }
  }

  private static func unknownName(_ text: String) -> GDALError {
    GDALError(
      "unknown CRS name \"\(text)\": expected urn:ogc:def:crs:EPSG::CODE, EPSG:CODE or urn:ogc:def:crs:OGC:1.3:CRS84"
    )
  }

  public static func wgs84() -> SpatialReference {
    // EPSG:4326 is always in PROJ's database; failing here means a broken install.
    // swiftlint:disable:next force_try
    try! SpatialReference(epsg: 4326)
  }

  /// Takes ownership of a clone of a handle owned by someone else (e.g. a dataset).
  public static func cloning(_ borrowed: OGRSpatialReferenceH) -> SpatialReference? {
    guard let clone = OSRClone(borrowed) else { return nil }
    return SpatialReference(handle: clone)
  }

  public var wkt: String {
    var text: UnsafeMutablePointer<CChar>?
    let options = ["FORMAT=WKT2_2018", "MULTILINE=NO"]
    _ = withConstCStringArray(options) { OSRExportToWktEx(handle, &text, $0) }
    defer { VSIFree(text) }
    return text.map { String(cString: $0) } ?? ""
  }

  public var projJSONOrPROJ4: String {
    var text: UnsafeMutablePointer<CChar>?
    OSRExportToProj4(handle, &text)
    defer { VSIFree(text) }
    return text.map { String(cString: $0) } ?? ""
  }

  /// The EPSG code when the definition is, or is identified as, an EPSG CRS.
  public var epsg: Int? {
    if let code = authorityCode(), code > 0 { return code }
    // A WKT without AUTHORITY may still match a database entry exactly.
    guard let clone = OSRClone(handle) else { return nil }
    defer { OSRDestroySpatialReference(clone) }
    if OSRAutoIdentifyEPSG(clone) == OGRERR_NONE,
      let name = OSRGetAuthorityName(clone, nil), String(cString: name) == "EPSG",
      let code = OSRGetAuthorityCode(clone, nil)
    {
      return Int(String(cString: code))
    }
    return nil
  }

  private func authorityCode() -> Int? {
    let target: String? =
      OSRIsProjected(handle) != 0 ? "PROJCS" : (OSRIsGeographic(handle) != 0 ? "GEOGCS" : nil)
    guard let name = OSRGetAuthorityName(handle, target), String(cString: name) == "EPSG",
      let code = OSRGetAuthorityCode(handle, target)
    else { return nil }
    return Int(String(cString: code))
  }

  /// GDAL's data-axis-to-CRS-axis mapping (1-based, e.g. [1, 2]), as written in `.aux.xml`.
  public var dataAxisToSRSAxisMapping: [Int] {
    var count: Int32 = 0
    guard let axes = OSRGetDataAxisToSRSAxisMapping(handle, &count), count > 0 else { return [] }
    return (0..<Int(count)).map { Int(axes[$0]) }
  }

  /// The CRS's own name (`WGS 84 / UTM zone 16N`), when it has one.
  public var name: String? {
    guard let name = OSRGetName(handle) else { return nil }
    let text = String(cString: name)
    return text.isEmpty ? nil : text
  }

  public var isGeographic: Bool { OSRIsGeographic(handle) != 0 }
  public var isProjected: Bool { OSRIsProjected(handle) != 0 }

  /// Metres per CRS linear unit (1 for UTM); nil for geographic CRSs.
  public var linearUnitsInMetres: Double? {
    guard isProjected else { return nil }
    return OSRGetLinearUnits(handle, nil)
  }

  public func isSame(as other: SpatialReference) -> Bool { OSRIsSame(handle, other.handle) != 0 }

  /// The same CRS up to the axis order of a geographic CRS (OGC:CRS84 and EPSG:4326): with the
  /// longitude/latitude data order of every `SpatialReference`, coordinates mean the same.
  public func isEquivalent(to other: SpatialReference) -> Bool {
    withConstCStringArray([
      "CRITERION=EQUIVALENT_EXCEPT_AXIS_ORDER_GEOGCRS", "IGNORE_DATA_AXIS_TO_SRS_AXIS_MAPPING=YES",
    ]) {
      OSRIsSameEx(handle, other.handle, $0) != 0
    }
  }

  /// WGS84 UTM zone (EPSG:326xx north, 327xx south) containing a lon/lat point.
  public static func utmEPSG(longitude: Double, latitude: Double) -> Int {
    let normalized = ((longitude + 180).truncatingRemainder(dividingBy: 360) + 360)
      .truncatingRemainder(dividingBy: 360)
    let zone = min(60, max(1, Int(normalized / 6) + 1))
    return (latitude >= 0 ? 32600 : 32700) + zone
  }
}

/// An owning wrapper of an OGRCoordinateTransformationH (x/y axis order on both sides).
// @unchecked: PROJ transformations are not thread-safe, so every use of the handle holds `lock`.
public final class CoordinateTransform: @unchecked Sendable {
  public let source: SpatialReference
  public let target: SpatialReference
  let handle: OGRCoordinateTransformationH
  let lock = NSLock()

  public init(from source: SpatialReference, to target: SpatialReference) throws {
    GDAL.initialize()
    GDAL.resetError()
    guard let handle = OCTNewCoordinateTransformation(source.handle, target.handle) else {
      throw GDALError.last("cannot transform between these CRSs")
    }
    self.source = source
    self.target = target
    self.handle = handle
  }

  private init(source: SpatialReference, target: SpatialReference, handle: OGRCoordinateTransformationH) {
    self.source = source
    self.target = target
    self.handle = handle
  }

  deinit { OCTDestroyCoordinateTransformation(handle) }

  /// An independent copy with its own PROJ object, so another thread can transform at the same
  /// time without waiting for this one's lock.
  public func clone() throws -> CoordinateTransform {
    GDAL.resetError()
    let copy = lock.withLock { OCTClone(handle) }
    guard let copy else { throw GDALError.last("cannot copy a coordinate transformation") }
    return CoordinateTransform(source: source, target: target, handle: copy)
  }

  /// Transforms points in place; throws naming the first point that failed.
  public func transform(xs: inout [Double], ys: inout [Double]) throws {
    precondition(xs.count == ys.count)
    try xs.withUnsafeMutableBufferPointer { x in
      try ys.withUnsafeMutableBufferPointer { y in try transform(xs: x, ys: y) }
    }
  }

  /// Transforms points in place; throws naming the first point that failed, counted from
  /// `firstPointNumber` (for callers that transform a longer list in parts).
  public func transform(
    xs: UnsafeMutableBufferPointer<Double>, ys: UnsafeMutableBufferPointer<Double>, firstPointNumber: Int = 0
  ) throws {
    precondition(xs.count == ys.count)
    let count = xs.count
    guard count > 0 else { return }
    // On the stack for small calls: validation projects shapes one at a time.
    try withUnsafeTemporaryAllocation(of: Int32.self, capacity: count) { success in
      // PROJ transformation objects are not safe for concurrent use.
      lock.lock()
      defer { lock.unlock() }
      GDAL.resetError()
      let ok = OCTTransformEx(handle, Int32(count), xs.baseAddress, ys.baseAddress, nil, success.baseAddress)
      if let bad = success.firstIndex(of: 0) {
        throw GDALError.last("cannot reproject point \(firstPointNumber + bad)")
      }
      if ok == 0 { throw GDALError.last("cannot reproject points") }
    }
  }

  public func transform(x: Double, y: Double) throws -> (x: Double, y: Double) {
    var xs = [x]
    var ys = [y]
    try transform(xs: &xs, ys: &ys)
    return (xs[0], ys[0])
  }
}

/// Calls `body` with a NULL-terminated `char **` built from `strings`.
public func withCStringArray<R>(
  _ strings: [String], _ body: (UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) throws -> R
) rethrows -> R {
  var pointers: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
  pointers.append(nil)
  defer { for pointer in pointers { free(pointer) } }
  return try pointers.withUnsafeMutableBufferPointer { try body($0.baseAddress!) }
}

/// As `withCStringArray`, for C APIs taking `const char * const *`.
public func withConstCStringArray<R>(
  _ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) throws -> R
) rethrows -> R {
  try withCStringArray(strings) { array in
    try body(UnsafeRawPointer(array).assumingMemoryBound(to: UnsafePointer<CChar>?.self))
  }
}
