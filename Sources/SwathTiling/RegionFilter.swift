import CGDAL
import Foundation
import SwathGDAL

/// A region resolved into the image's pixel space, as an OGR geometry (GEOS does the tests).
final class RegionFilter {
  private let geometry: OGRGeometryH

  private init(geometry: OGRGeometryH) { self.geometry = geometry }

  deinit { OGR_G_DestroyGeometry(geometry) }

  /// Resolves `region` against an image; fails when it lies outside the image.
  static func resolve(
    _ region: ChipRegion, imageWidth: Int, imageHeight: Int, geoTransform: GeoTransform?,
    spatialReference: SpatialReference?
  ) throws -> RegionFilter {
    let filter: RegionFilter
    switch region {
    case .pixels(let x, let y, let width, let height):
      filter = RegionFilter(
        geometry: rectangle(
          minX: Double(x), minY: Double(y), maxX: Double(x + width), maxY: Double(y + height)))
    case .lonLatBox(let minLon, let minLat, let maxLon, let maxLat):
      let box = rectangle(minX: minLon, minY: minLat, maxX: maxLon, maxY: maxLat)
      // Densify so the box's edges follow the projection's curvature.
      OGR_G_Segmentize(box, max(maxLon - minLon, maxLat - minLat) / 64)
      filter = try toPixels(
        [box], from: SpatialReference.wgs84(), description: "the box", geoTransform: geoTransform,
        spatialReference: spatialReference)
    case .geoJSONFile(let path):
      let (geometries, reference) = try readPolygons(path)
      filter = try toPixels(
        geometries, from: reference ?? SpatialReference.wgs84(), description: path,
        geoTransform: geoTransform, spatialReference: spatialReference)
    }
    let image = RegionFilter(
      geometry: rectangle(minX: 0, minY: 0, maxX: Double(imageWidth), maxY: Double(imageHeight)))
    guard filter.overlapsWithArea(image.geometry) else {
      throw ChipError.input(
        "region \(describe(region)) lies outside the image (\(imageWidth)×\(imageHeight) px\(extentText(imageWidth, imageHeight, geoTransform, spatialReference)))"
      )
    }
    return filter
  }

  /// True when the window shares area with the region (touching edges do not count).
  func intersects(x: Int, y: Int, width: Int, height: Int) -> Bool {
    let window = Self.rectangle(
      minX: Double(x), minY: Double(y), maxX: Double(x + width), maxY: Double(y + height))
    defer { OGR_G_DestroyGeometry(window) }
    return overlapsWithArea(window)
  }

  private func overlapsWithArea(_ other: OGRGeometryH) -> Bool {
    guard OGR_G_Intersects(geometry, other) != 0 else { return false }
    guard let shared = OGR_G_Intersection(geometry, other) else { return false }
    defer { OGR_G_DestroyGeometry(shared) }
    return OGR_G_Area(shared) > 0
  }

  private static func describe(_ region: ChipRegion) -> String {
    switch region {
    case .pixels(let x, let y, let w, let h): return "px:\(x),\(y),\(w),\(h)"
    case .lonLatBox(let a, let b, let c, let d): return "\(a),\(b),\(c),\(d)"
    case .geoJSONFile(let path): return path
    }
  }

  private static func extentText(
    _ width: Int, _ height: Int, _ geoTransform: GeoTransform?, _ reference: SpatialReference?
  ) -> String {
    guard let geoTransform, let reference,
      let transform = try? CoordinateTransform(from: reference, to: SpatialReference.wgs84())
    else { return "" }
    var xs: [Double] = []
    var ys: [Double] = []
    for (column, row) in [
      (0.0, 0.0), (Double(width), 0), (Double(width), Double(height)), (0, Double(height)),
    ] {
      let point = geoTransform.apply(column: column, row: row)
      xs.append(point.x)
      ys.append(point.y)
    }
    guard (try? transform.transform(xs: &xs, ys: &ys)) != nil else { return "" }
    func f(_ value: Double) -> String { String(format: "%.5f", value) }
    return ", lon \(f(xs.min()!))…\(f(xs.max()!)), lat \(f(ys.min()!))…\(f(ys.max()!))"
  }

  static func rectangle(minX: Double, minY: Double, maxX: Double, maxY: Double) -> OGRGeometryH {
    let ring = OGR_G_CreateGeometry(wkbLinearRing)!
    for (x, y) in [(minX, minY), (maxX, minY), (maxX, maxY), (minX, maxY), (minX, minY)] {
      OGR_G_AddPoint_2D(ring, x, y)
    }
    let polygon = OGR_G_CreateGeometry(wkbPolygon)!
    OGR_G_AddGeometryDirectly(polygon, ring)
    return polygon
  }

  /// Every Polygon/MultiPolygon of a GeoJSON file, and the CRS its layer declares (if any).
  private static func readPolygons(_ path: String) throws -> ([OGRGeometryH], SpatialReference?) {
    GDAL.initialize()
    GDAL.resetError()
    guard
      let dataset = GDALOpenEx(
        path, UInt32(GDAL_OF_VECTOR | GDAL_OF_READONLY), nil, nil, nil)
    else {
      throw ChipError.input(GDALError.last("--region \(path): not a GeoJSON file GDAL can read").message)
    }
    defer { GDALClose(dataset) }
    var geometries: [OGRGeometryH] = []
    var reference: SpatialReference?
    var rejected: String?
    for layerIndex in 0..<GDALDatasetGetLayerCount(dataset) {
      guard let layer = GDALDatasetGetLayer(dataset, layerIndex) else { continue }
      if reference == nil, let declared = OGR_L_GetSpatialRef(layer) {
        reference = SpatialReference.cloning(declared)
      }
      OGR_L_ResetReading(layer)
      while let feature = OGR_L_GetNextFeature(layer) {
        defer { OGR_F_Destroy(feature) }
        guard let geometry = OGR_F_GetGeometryRef(feature) else { continue }
        let type = OGR_GT_Flatten(OGR_G_GetGeometryType(geometry))
        guard type == wkbPolygon || type == wkbMultiPolygon else {
          rejected = String(cString: OGR_G_GetGeometryName(geometry))
          continue
        }
        if let clone = OGR_G_Clone(geometry) { geometries.append(clone) }
      }
    }
    guard !geometries.isEmpty else {
      let detail = rejected.map { " (found \($0))" } ?? ""
      throw ChipError.input("--region \(path): no Polygon or MultiPolygon feature\(detail)")
    }
    return (geometries, reference)
  }

  /// Reprojects geometries into the image CRS, then into pixel space, as one union.
  private static func toPixels(
    _ geometries: [OGRGeometryH], from source: SpatialReference, description: String,
    geoTransform: GeoTransform?, spatialReference: SpatialReference?
  ) throws -> RegionFilter {
    var pending = geometries
    defer { for geometry in pending { OGR_G_DestroyGeometry(geometry) } }
    guard let geoTransform, let spatialReference, let inverse = geoTransform.inverted() else {
      throw ChipError.input(
        "--region \(description): the image has no georeference; use px:x,y,width,height")
    }
    GDAL.resetError()
    guard let transform = OCTNewCoordinateTransformation(source.handle, spatialReference.handle)
    else {
      throw ChipError.input(
        GDALError.last("--region \(description): cannot reproject to the image CRS").message)
    }
    defer { OCTDestroyCoordinateTransformation(transform) }
    let union = OGR_G_CreateGeometry(wkbMultiPolygon)!
    var unionOwned = true
    defer { if unionOwned { OGR_G_DestroyGeometry(union) } }
    for geometry in pending {
      guard OGR_G_Transform(geometry, transform) == OGRERR_NONE else {
        throw ChipError.input(
          GDALError.last("--region \(description): cannot reproject to the image CRS").message)
      }
      mapPoints(geometry) { x, y in
        let pixel = inverse.apply(column: x, row: y)
        return (pixel.x, pixel.y)
      }
      if OGR_GT_Flatten(OGR_G_GetGeometryType(geometry)) == wkbMultiPolygon {
        for part in 0..<OGR_G_GetGeometryCount(geometry) {
          OGR_G_AddGeometry(union, OGR_G_GetGeometryRef(geometry, part))
        }
      } else {
        OGR_G_AddGeometry(union, geometry)
      }
    }
    for geometry in pending { OGR_G_DestroyGeometry(geometry) }
    pending = []
    // Overlapping parts would make an invalid MultiPolygon; the union repairs that.
    let merged = OGR_G_UnionCascaded(union) ?? OGR_G_Clone(union)!
    unionOwned = true
    return RegionFilter(geometry: merged)
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
}
