import CGEOS
import Foundation

/// A failure reported by GEOS, carrying GEOS's own message.
public struct GEOSError: Error, CustomStringConvertible, Sendable {
  public let message: String
  public init(_ message: String) { self.message = message }
  public var description: String { message }
}

/// Each thread's GEOS context lives in a pthread key; the key's destructor releases it
/// (and so calls GEOS_finish_r) when the thread exits.
private let contextKey: pthread_key_t = {
  var key = pthread_key_t()
  let status = pthread_key_create(&key) { pointer in
    guard let pointer else { return }
    Unmanaged<GEOSContext>.fromOpaque(pointer).release()
  }
  precondition(status == 0, "cannot create the thread key for GEOS contexts")
  return key
}()

/// One GEOS context handle, used by one thread only (GEOS contexts are not thread-safe).
/// Its handlers keep GEOS's last error and notice messages so they can become `GEOSError`s.
public final class GEOSContext {
  public let handle: GEOSContextHandle_t
  /// GEOS's last error message on this context, cleared by `resetMessages()`.
  public private(set) var lastError: String?
  /// GEOS's last notice (warnings such as "Self-intersection at or near point").
  public private(set) var lastNotice: String?
  /// Reused coordinate buffer, so building geometries does not allocate per ring.
  var scratch: [Double] = []

  private init() {
    guard let handle = GEOS_init_r() else { fatalError("GEOS_init_r returned no context") }
    self.handle = handle
    let unretainedSelf = Unmanaged.passUnretained(self).toOpaque()
    _ = GEOSContext_setErrorMessageHandler_r(
      handle,
      { message, userData in
        guard let userData, let message else { return }
        let context = Unmanaged<GEOSContext>.fromOpaque(userData).takeUnretainedValue()
        context.lastError = String(cString: message)
      }, unretainedSelf)
    _ = GEOSContext_setNoticeMessageHandler_r(
      handle,
      { message, userData in
        guard let userData, let message else { return }
        let context = Unmanaged<GEOSContext>.fromOpaque(userData).takeUnretainedValue()
        context.lastNotice = String(cString: message)
      }, unretainedSelf)
  }

  deinit { GEOS_finish_r(handle) }

  /// The calling thread's context, created on first use.
  public static var current: GEOSContext {
    if let existing = pthread_getspecific(contextKey) {
      return Unmanaged<GEOSContext>.fromOpaque(existing).takeUnretainedValue()
    }
    let context = GEOSContext()
    pthread_setspecific(contextKey, Unmanaged.passRetained(context).toOpaque())
    return context
  }

  public func resetMessages() {
    lastError = nil
    lastNotice = nil
  }

  /// GEOS's last error as a Swift error, prefixed by what was being done.
  func error(_ operation: String) -> GEOSError {
    defer { lastError = nil }
    guard let message = lastError, !message.isEmpty else {
      return GEOSError("\(operation) failed in GEOS")
    }
    return GEOSError("\(operation): \(message)")
  }

  public static var version: String { String(cString: GEOSversion()) }
}

/// An owned GEOSGeometry*: destroyed exactly once, on the context that made it.
/// Not Sendable: a geometry stays on the thread (and context) that created it.
final class GEOSGeometryBox {
  let context: GEOSContext
  let pointer: OpaquePointer

  init(_ pointer: OpaquePointer, context: GEOSContext) {
    self.pointer = pointer
    self.context = context
  }

  /// Wraps the result of a GEOS call, turning NULL into GEOS's error message.
  static func check(_ pointer: OpaquePointer?, _ operation: String, context: GEOSContext) throws
    -> GEOSGeometryBox
  {
    guard let pointer else { throw context.error(operation) }
    return GEOSGeometryBox(pointer, context: context)
  }

  deinit { GEOSGeom_destroy_r(context.handle, pointer) }

  var area: Double {
    var value = 0.0
    _ = GEOSArea_r(context.handle, pointer, &value)
    return value
  }

  var isEmpty: Bool { GEOSisEmpty_r(context.handle, pointer) == 1 }
}

/// An owned GEOSPreparedGeometry*; keeps its base geometry alive as GEOS requires.
final class GEOSPreparedBox {
  let base: GEOSGeometryBox
  let pointer: OpaquePointer

  init(_ base: GEOSGeometryBox) throws {
    guard let pointer = GEOSPrepare_r(base.context.handle, base.pointer) else {
      throw base.context.error("prepare")
    }
    self.base = base
    self.pointer = pointer
  }

  deinit { GEOSPreparedGeom_destroy_r(base.context.handle, pointer) }
}

// MARK: - MultiPolygon <-> GEOS

extension GEOSContext {
  /// Builds a GEOS geometry from `geometry` with `origin` subtracted from every position
  /// (a local origin keeps UTM-sized coordinates from losing precision in overlay).
  /// Rings are passed as they are: an unclosed ring or one of 1–3 positions makes GEOS's
  /// LinearRing constructor fail, and that failure is thrown with GEOS's message.
  /// Empty rings follow GEOS/JTS: an empty shell makes an empty polygon, an empty hole is dropped.
  func makeGeometry(_ geometry: MultiPolygon, origin: Point = Point(0, 0)) throws -> GEOSGeometryBox {
    if geometry.polygons.count == 1 {
      return GEOSGeometryBox(try makePolygon(geometry.polygons[0], origin: origin), context: self)
    }
    return try makeCollection(of: geometry.polygons, type: GEOS_MULTIPOLYGON, origin: origin)
  }

  /// A GEOS geometry collection holding every polygon of every input (for unary union).
  func makeCollection(_ geometries: [MultiPolygon], origin: Point) throws -> GEOSGeometryBox {
    try makeCollection(
      of: geometries.flatMap(\.polygons), type: GEOS_GEOMETRYCOLLECTION, origin: origin)
  }

  /// A GEOS collection of `type` owning one GEOS polygon per element of `polygons`.
  private func makeCollection(of polygons: [Polygon], type: GEOSGeomTypes, origin: Point) throws
    -> GEOSGeometryBox
  {
    var parts: [OpaquePointer?] = []
    parts.reserveCapacity(polygons.count)
    do {
      for polygon in polygons { parts.append(try makePolygon(polygon, origin: origin)) }
    } catch {
      for part in parts { if let part { GEOSGeom_destroy_r(handle, part) } }
      throw error
    }
    let collection = parts.withUnsafeMutableBufferPointer { buffer in
      GEOSGeom_createCollection_r(
        handle, Int32(type.rawValue), buffer.baseAddress, UInt32(buffer.count))
    }
    guard let collection else {
      // On failure GEOS has not taken ownership of the parts.
      for part in parts { if let part { GEOSGeom_destroy_r(handle, part) } }
      throw error(type == GEOS_MULTIPOLYGON ? "build multipolygon" : "build collection")
    }
    return GEOSGeometryBox(collection, context: self)
  }

  /// An owned (caller destroys or hands on) GEOS Polygon.
  private func makePolygon(_ polygon: Polygon, origin: Point) throws -> OpaquePointer {
    if polygon.shell.isEmpty {
      guard polygon.holes.allSatisfy(\.isEmpty) else {
        throw GEOSError("build polygon: a polygon with an empty shell cannot have holes")
      }
      guard let empty = GEOSGeom_createEmptyPolygon_r(handle) else {
        throw error("build polygon")
      }
      return empty
    }
    let shell = try makeRing(polygon.shell, origin: origin)
    var holes: [OpaquePointer?] = []
    holes.reserveCapacity(polygon.holes.count)
    do {
      for hole in polygon.holes where !hole.isEmpty {
        holes.append(try makeRing(hole, origin: origin))
      }
    } catch {
      GEOSGeom_destroy_r(handle, shell)
      for hole in holes { if let hole { GEOSGeom_destroy_r(handle, hole) } }
      throw error
    }
    let result = holes.withUnsafeMutableBufferPointer { buffer in
      GEOSGeom_createPolygon_r(handle, shell, buffer.baseAddress, UInt32(buffer.count))
    }
    guard let result else {
      GEOSGeom_destroy_r(handle, shell)
      for hole in holes { if let hole { GEOSGeom_destroy_r(handle, hole) } }
      throw error("build polygon")
    }
    return result
  }

  private func makeRing(_ ring: Ring, origin: Point) throws -> OpaquePointer {
    scratch.removeAll(keepingCapacity: true)
    scratch.reserveCapacity(ring.count * 2)
    for point in ring {
      scratch.append(point.x - origin.x)
      scratch.append(point.y - origin.y)
    }
    let sequence = scratch.withUnsafeBufferPointer { buffer in
      GEOSCoordSeq_copyFromBuffer_r(handle, buffer.baseAddress, UInt32(ring.count), 0, 0)
    }
    guard let sequence else { throw error("build ring") }
    // The ring takes ownership of the sequence, also when it fails.
    guard let linearRing = GEOSGeom_createLinearRing_r(handle, sequence) else {
      throw error("build ring")
    }
    return linearRing
  }

  /// The polygonal parts of `geometry` (Polygon, MultiPolygon, or inside a collection),
  /// with `origin` added back; empty polygons, lines and points are left out.
  func polygons(of geometry: OpaquePointer, origin: Point = Point(0, 0)) -> MultiPolygon {
    var result: [Polygon] = []
    collectPolygons(geometry, origin: origin, into: &result)
    return MultiPolygon(result)
  }

  private func collectPolygons(_ geometry: OpaquePointer, origin: Point, into result: inout [Polygon]) {
    let type = GEOSGeomTypeId_r(handle, geometry)
    switch type {
    case Int32(GEOS_POLYGON.rawValue):
      guard GEOSisEmpty_r(handle, geometry) == 0, let exterior = GEOSGetExteriorRing_r(handle, geometry)
      else { return }
      let shell = ring(of: exterior, origin: origin)
      var holes: [Ring] = []
      let holeCount = GEOSGetNumInteriorRings_r(handle, geometry)
      if holeCount > 0 {
        holes.reserveCapacity(Int(holeCount))
        for index in 0..<holeCount {
          if let interior = GEOSGetInteriorRingN_r(handle, geometry, index) {
            let hole = ring(of: interior, origin: origin)
            if !hole.isEmpty { holes.append(hole) }
          }
        }
      }
      result.append(Polygon(shell: shell, holes: holes))
    case Int32(GEOS_MULTIPOLYGON.rawValue), Int32(GEOS_GEOMETRYCOLLECTION.rawValue):
      let count = GEOSGetNumGeometries_r(handle, geometry)
      guard count > 0 else { return }
      for index in 0..<count {
        if let part = GEOSGetGeometryN_r(handle, geometry, index) {
          collectPolygons(part, origin: origin, into: &result)
        }
      }
    default:
      return
    }
  }

  private func ring(of linearRing: OpaquePointer, origin: Point) -> Ring {
    guard let sequence = GEOSGeom_getCoordSeq_r(handle, linearRing) else { return [] }
    var size: UInt32 = 0
    guard GEOSCoordSeq_getSize_r(handle, sequence, &size) != 0, size > 0 else { return [] }
    let count = Int(size)
    scratch.removeAll(keepingCapacity: true)
    scratch.append(contentsOf: repeatElement(0, count: count * 2))
    let copied = scratch.withUnsafeMutableBufferPointer { buffer in
      GEOSCoordSeq_copyToBuffer_r(handle, sequence, buffer.baseAddress, 0, 0)
    }
    guard copied != 0 else { return [] }
    var points: Ring = []
    points.reserveCapacity(count)
    for index in 0..<count {
      points.append(Point(scratch[2 * index] + origin.x, scratch[2 * index + 1] + origin.y))
    }
    return points
  }
}
