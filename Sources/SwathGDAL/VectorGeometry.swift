import CGDAL
import Foundation

/// An owning wrapper of an OGR geometry (GEOS does its spatial predicates).
// @unchecked: mutated only before it is shared; OGR's read-only predicates are thread-safe.
public final class VectorGeometry: @unchecked Sendable {
  let handle: OGRGeometryH

  init(owning handle: OGRGeometryH) { self.handle = handle }

  deinit { OGR_G_DestroyGeometry(handle) }

  /// An axis-aligned rectangle: (minX, minY) → (maxX, minY) → (maxX, maxY) → (minX, maxY), closed.
  public static func rectangle(minX: Double, minY: Double, maxX: Double, maxY: Double) -> VectorGeometry {
    let ring = OGR_G_CreateGeometry(wkbLinearRing)!
    for (x, y) in [(minX, minY), (maxX, minY), (maxX, maxY), (minX, maxY), (minX, minY)] {
      OGR_G_AddPoint_2D(ring, x, y)
    }
    let polygon = OGR_G_CreateGeometry(wkbPolygon)!
    OGR_G_AddGeometryDirectly(polygon, ring)
    return VectorGeometry(owning: polygon)
  }

  /// A MultiPolygon from coordinates: polygons → rings (shell first, then holes) → (x, y),
  /// rings closed as given. Built with OGR's geometry API, so coordinates keep every bit.
  public static func multiPolygon(_ polygons: [[[(x: Double, y: Double)]]]) -> VectorGeometry {
    let multi = OGR_G_CreateGeometry(wkbMultiPolygon)!
    for rings in polygons {
      let polygon = OGR_G_CreateGeometry(wkbPolygon)!
      for points in rings {
        let ring = OGR_G_CreateGeometry(wkbLinearRing)!
        for point in points { OGR_G_AddPoint_2D(ring, point.x, point.y) }
        OGR_G_AddGeometryDirectly(polygon, ring)
      }
      OGR_G_AddGeometryDirectly(multi, polygon)
    }
    return VectorGeometry(owning: multi)
  }

  /// A MultiPolygon holding the parts of every Polygon/MultiPolygon in `geometries`, merged by
  /// a cascaded union (overlapping parts would make an invalid MultiPolygon).
  public static func union(of geometries: [VectorGeometry]) -> VectorGeometry {
    let collected = OGR_G_CreateGeometry(wkbMultiPolygon)!
    defer { OGR_G_DestroyGeometry(collected) }
    for geometry in geometries {
      if OGR_GT_Flatten(OGR_G_GetGeometryType(geometry.handle)) == wkbMultiPolygon {
        for part in 0..<OGR_G_GetGeometryCount(geometry.handle) {
          OGR_G_AddGeometry(collected, OGR_G_GetGeometryRef(geometry.handle, part))
        }
      } else {
        OGR_G_AddGeometry(collected, geometry.handle)
      }
    }
    return VectorGeometry(owning: OGR_G_UnionCascaded(collected) ?? OGR_G_Clone(collected)!)
  }

  /// OGR's name of the geometry type: POLYGON, MULTIPOLYGON, POINT, …
  public var typeName: String { String(cString: OGR_G_GetGeometryName(handle)) }

  /// Whether the geometry is a Polygon or MultiPolygon (any dimension).
  public var isPolygonal: Bool {
    let type = OGR_GT_Flatten(OGR_G_GetGeometryType(handle))
    return type == wkbPolygon || type == wkbMultiPolygon
  }

  public var area: Double { OGR_G_Area(handle) }

  /// Adds points so no segment is longer than `maxLength` (OGR_G_Segmentize).
  public func segmentize(maxLength: Double) { OGR_G_Segmentize(handle, maxLength) }

  /// Reprojects every point in place.
  public func transform(_ transform: CoordinateTransform) throws {
    GDAL.resetError()
    let status = transform.lock.withLock { OGR_G_Transform(handle, transform.handle) }
    guard status == OGRERR_NONE else { throw GDALError.last("cannot reproject a geometry") }
  }

  /// Replaces every point (x, y) by `body(x, y)`.
  public func mapPoints(_ body: (Double, Double) -> (Double, Double)) {
    Self.mapPoints(handle, body)
  }

  private static func mapPoints(_ geometry: OGRGeometryH, _ body: (Double, Double) -> (Double, Double)) {
    let parts = OGR_G_GetGeometryCount(geometry)
    if parts > 0 {
      for part in 0..<parts {
        if let child = OGR_G_GetGeometryRef(geometry, part) { mapPoints(child, body) }
      }
      return
    }
    for index in 0..<OGR_G_GetPointCount(geometry) {
      let (x, y) = body(OGR_G_GetX(geometry, index), OGR_G_GetY(geometry, index))
      OGR_G_SetPoint_2D(geometry, index, x, y)
    }
  }

  /// True when the two share area: their intersection has a positive area (touching edges or
  /// corners do not count).
  public func sharesArea(with other: VectorGeometry) -> Bool {
    guard OGR_G_Intersects(handle, other.handle) != 0 else { return false }
    guard let shared = OGR_G_Intersection(handle, other.handle) else { return false }
    defer { OGR_G_DestroyGeometry(shared) }
    return OGR_G_Area(shared) > 0
  }
}

/// The Polygon and MultiPolygon features of a vector file GDAL reads (GeoJSON, GPKG, …).
public struct PolygonFeatures: Sendable {
  /// Every polygonal feature geometry of every layer, in file order.
  public var geometries: [VectorGeometry]
  /// The CRS the first layer that declares one declares.
  public var spatialReference: SpatialReference?
  /// The type name of the last non-polygonal geometry skipped, if any.
  public var rejectedType: String?

  /// Reads `path` with GDAL's vector drivers. Throws GDALError.last("cannot read <path>") when
  /// GDAL cannot open it.
  public init(path: String) throws {
    GDAL.initialize()
    GDAL.resetError()
    guard let dataset = GDALOpenEx(path, UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY), nil, nil, nil) else {
      throw GDALError.last("cannot read \(path)")
    }
    defer { GDALClose(dataset) }
    geometries = []
    for layerIndex in 0..<GDALDatasetGetLayerCount(dataset) {
      guard let layer = GDALDatasetGetLayer(dataset, layerIndex) else { continue }
      if spatialReference == nil, let declared = OGR_L_GetSpatialRef(layer) {
        spatialReference = SpatialReference.cloning(declared)
      }
      OGR_L_ResetReading(layer)
      while let feature = OGR_L_GetNextFeature(layer) {
        defer { OGR_F_Destroy(feature) }
        guard let geometry = OGR_F_GetGeometryRef(feature) else { continue }
        let type = OGR_GT_Flatten(OGR_G_GetGeometryType(geometry))
        guard type == wkbPolygon || type == wkbMultiPolygon else {
          rejectedType = String(cString: OGR_G_GetGeometryName(geometry))
          continue
        }
        if let clone = OGR_G_Clone(geometry) { geometries.append(VectorGeometry(owning: clone)) }
      }
    }
  }
}
