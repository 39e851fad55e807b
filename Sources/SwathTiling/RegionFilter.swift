import Foundation
import SwathGDAL

/// A region resolved into the image's pixel space, as an OGR geometry (GEOS does the tests).
final class RegionFilter {
  private let geometry: VectorGeometry

  private init(geometry: VectorGeometry) { self.geometry = geometry }

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
      box.segmentize(maxLength: max(maxLon - minLon, maxLat - minLat) / 64)
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
    guard filter.geometry.sharesArea(with: image.geometry) else {
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
    return geometry.sharesArea(with: window)
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

  static func rectangle(minX: Double, minY: Double, maxX: Double, maxY: Double) -> VectorGeometry {
    VectorGeometry.rectangle(minX: minX, minY: minY, maxX: maxX, maxY: maxY)
  }

  /// Every Polygon/MultiPolygon of a GeoJSON file, and the CRS its layer declares (if any).
  private static func readPolygons(_ path: String) throws -> ([VectorGeometry], SpatialReference?) {
    let features: PolygonFeatures
    do {
      features = try PolygonFeatures(path: path)
    } catch let error as GDALError {
      throw ChipError.input(
        error.context("region \(path): not a GeoJSON file GDAL can read").message, setting: .region)
    }
    guard !features.geometries.isEmpty else {
      let detail = features.rejectedType.map { " (found \($0))" } ?? ""
      throw ChipError.input("region \(path): no Polygon or MultiPolygon feature\(detail)")
    }
    return (features.geometries, features.spatialReference)
  }

  /// Reprojects geometries into the image CRS, then into pixel space, as one union.
  private static func toPixels(
    _ geometries: [VectorGeometry], from source: SpatialReference, description: String,
    geoTransform: GeoTransform?, spatialReference: SpatialReference?
  ) throws -> RegionFilter {
    guard let geoTransform, let spatialReference, let inverse = geoTransform.inverted() else {
      throw ChipError.input(
        "region \(description): the image has no georeference; use px:x,y,width,height")
    }
    let failure = "region \(description): cannot reproject to the image CRS"
    do {
      let transform = try CoordinateTransform(from: source, to: spatialReference)
      for geometry in geometries {
        try geometry.transform(transform)
        geometry.mapPoints { x, y in
          let pixel = inverse.apply(column: x, row: y)
          return (pixel.x, pixel.y)
        }
      }
    } catch let error as GDALError {
      throw ChipError.input(error.context(failure).message)
    }
    // Overlapping parts would make an invalid MultiPolygon; the union repairs that.
    return RegionFilter(geometry: VectorGeometry.union(of: geometries))
  }
}
