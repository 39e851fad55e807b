import Foundation
import SwathGDAL

/// The geometric half of validation: winding, OGC validity (GEOS), area, bbox shape, antimeridian.
/// One checker per thread at a time: it caches CRS transforms, which are not thread-safe.
final class GeometryChecker {
  let options: ValidationOptions
  private var transforms: [Int: WorkingCRS] = [:]

  init(options: ValidationOptions) { self.options = options }

  /// This checker's own copy of the legacy CRS's transformation, so threads do not queue for one.
  private var legacyTransform: (crs: LegacyCRS, transform: CoordinateTransform)?

  func validate(_ work: FeatureWork) -> ValidatedFeature {
    var toWGS84: CoordinateTransform?
    if let crs = work.legacyCRS, let shared = crs.toWGS84 {
      if let cached = legacyTransform, cached.crs === crs {
        toWGS84 = cached.transform
      } else {
        let copy = (try? shared.clone()) ?? shared
        legacyTransform = (crs, copy)
        toWGS84 = copy
      }
    }
    var interpreter = FeatureInterpreter(
      options: options, index: work.index, basePath: work.path, legacyCRS: work.legacyCRS, toWGS84: toWGS84)
    var feature =
      work.isBareGeometry
      ? interpreter.interpretBareGeometry(work.node) : interpreter.interpretFeature(work.node)
    check(&feature, polygons: interpreter.polygons)
    return feature
  }

  private func issue(
    _ feature: ValidatedFeature, _ code: String, _ severity: Severity, _ message: String, path: String,
    location: Point? = nil
  ) -> ValidationIssue {
    ValidationIssue(
      code: code, severity: severity, message: message, path: JSONPath.join(feature.path, path),
      featureIndex: feature.index, featureID: feature.feature.id, location: location)
  }

  func check(_ feature: inout ValidatedFeature, polygons: [PolygonRecord]) {
    guard !polygons.isEmpty else { return }
    var found: [ValidationIssue] = []
    // Winding is a warning: RFC 7946 §3.1.6 says parsers should not reject it.
    for polygon in polygons {
      for (offset, ring) in polygon.rings.enumerated() where ring.complete && ring.points.count >= 4 {
        let signed = Topology.ringSignedArea(ring.points)
        if offset == 0 && signed < 0 {
          found.append(
            issue(
              feature, "ring-orientation", .warning,
              "the exterior ring is clockwise; RFC 7946 (right-hand rule) wants exterior rings counter-clockwise",
              path: ring.path, location: ring.points.first))
        } else if offset > 0 && signed > 0 {
          found.append(
            issue(
              feature, "ring-orientation", .warning,
              "hole \(offset) is counter-clockwise; RFC 7946 (right-hand rule) wants holes clockwise",
              path: ring.path, location: ring.points.first))
        }
      }
    }
    // Each geometry object (a Polygon, a MultiPolygon, each polygonal member of a collection)
    // is one OGC geometry.
    var groups: [(path: String, polygons: [PolygonRecord])] = []
    for polygon in polygons {
      if let last = groups.last, last.path == polygon.geometryPath {
        groups[groups.count - 1].polygons.append(polygon)
      } else {
        groups.append((polygon.geometryPath, [polygon]))
      }
    }
    for group in groups where group.polygons.allSatisfy(\.sound) {
      found += checkGeometry(feature, group.polygons, path: group.path)
    }
    feature.issues += found
  }

  private func checkGeometry(_ feature: ValidatedFeature, _ records: [PolygonRecord], path: String)
    -> [ValidationIssue]
  {
    var found: [ValidationIssue] = []
    let geometry = MultiPolygon(
      records.map { Polygon(shell: $0.rings[0].points, holes: $0.rings.dropFirst().map(\.points)) })
    let validity = Topology.validity(geometry)
    if !validity.isValid {
      let reason = validity.reason ?? "invalid"
      var code = Self.code(forGEOSReason: reason)
      var message = "not a valid polygon (OGC): GEOS says \"\(reason)\""
      if code == "self-intersection" && geometry.polygons.count > 1
        && geometry.polygons.allSatisfy({ Topology.validity(MultiPolygon($0)).isValid })
      {
        code = "overlapping-parts"
        message = "MultiPolygon parts overlap: GEOS says \"\(reason)\""
      }
      if let point = validity.location {
        message += " at (\(String(format: "%.10g", point.x)), \(String(format: "%.10g", point.y)))"
      }
      found.append(issue(feature, code, .error, message, path: path, location: validity.location))
      return found
    }
    guard let envelope = geometry.envelope else { return found }
    if !options.planar && envelope.width > 180 {
      found.append(
        issue(
          feature, "antimeridian-span", .warning,
          "the shape spans \(envelope.width)° of longitude: if it crosses the antimeridian, split it there (RFC 7946 §3.1.9)",
          path: path, location: geometry.polygons[0].shell.first))
    }
    found += checkArea(feature, geometry, envelope: envelope, path: path)
    if feature.feature.shape == .bbox { found += checkBBoxShape(feature, geometry, path: path) }
    return found
  }

  // MARK: Area

  private func checkArea(
    _ feature: ValidatedFeature, _ geometry: MultiPolygon, envelope: BoundingBox, path: String
  ) -> [ValidationIssue] {
    let planarArea = Topology.area(geometry)
    let unit = options.planar ? "CRS units²" : "m²"
    let minArea = minimumArea(of: feature)
    var area = planarArea
    if !options.planar {
      // Out-of-range positions are already errors, and no UTM zone can measure them.
      guard envelope.minX >= -180, envelope.maxX <= 180, envelope.minY >= -90, envelope.maxY <= 90 else {
        return []
      }
      // Degrees² to m² near the shape, to skip the exact projection for shapes far above the limit.
      let approximate = planarArea * WorkingCRS.squareMetresPerSquareDegree(atLatitude: envelope.center.y)
      if planarArea > 0 && approximate > 4 * minArea { return [] }
      if planarArea > 0 {
        do {
          area = Topology.area(try transform(for: envelope.center).fromWGS84(geometry))
        } catch {
          return [
            issue(
              feature, "projection-failed", .error,
              "cannot project the shape to its UTM zone to measure its area: \(error)", path: path)
          ]
        }
      }
    }
    if area <= 0 {
      return [
        issue(
          feature, "zero-area", .error, "the polygon has zero area (its positions are collinear or coincide)",
          path: path, location: geometry.polygons[0].shell.first)
      ]
    }
    if area < minArea {
      let label = feature.feature.label.map { " for label \"\($0)\"" } ?? ""
      return [
        issue(
          feature, "area-below-minimum", .error,
          "the polygon's area, \(Self.format(area)) \(unit), is below the minimum of \(Self.format(minArea)) \(unit)\(label) (a sliver)",
          path: path, location: geometry.polygons[0].shell.first)
      ]
    }
    return []
  }

  /// The task's minimum, or the label's own (m², in CRS units² for a planar file) when its schema
  /// sets one.
  private func minimumArea(of feature: ValidatedFeature) -> Double {
    guard let label = feature.feature.label, let squareMetres = options.schema?.label(named: label)?.minArea
    else { return options.minArea }
    if !options.planar { return squareMetres }
    guard let scale = options.squareMetresPerPlanarUnit, scale > 0 else { return options.minArea }
    return squareMetres / scale
  }

  // MARK: bbox shapes

  private func checkBBoxShape(_ feature: ValidatedFeature, _ geometry: MultiPolygon, path: String)
    -> [ValidationIssue]
  {
    var working = geometry
    var crsName = "the file's coordinates"
    if !options.planar, let center = geometry.envelope?.center {
      do {
        let crs = try options.workingEPSG.map(transform(epsg:)) ?? transform(for: center)
        working = try crs.fromWGS84(geometry)
        crsName = "EPSG:\(options.workingEPSG ?? Self.utmEPSG(center))"
      } catch {
        return [
          issue(
            feature, "projection-failed", .error,
            "cannot project the bbox to its working CRS to check its alignment: \(error)", path: path)
        ]
      }
    }
    guard let box = working.envelope else { return [] }
    let tolerance = options.bboxTolerance * max(box.width, box.height)
    if Topology.isRectangleAligned(working, tolerance: tolerance) { return [] }
    let holes = geometry.polygons.contains { !$0.holes.isEmpty }
    let detail =
      geometry.polygons.count > 1
      ? "it has \(geometry.polygons.count) parts"
      : holes ? "it has holes" : "its corners are not on an axis-aligned rectangle"
    return [
      issue(
        feature, "bbox-not-aligned", .error,
        "the feature has shape \"bbox\" but is not a rectangle aligned with the axes of \(crsName) (tolerance \(Self.format(options.bboxTolerance * 100))% of its size): \(detail)",
        path: path, location: geometry.polygons[0].shell.first)
    ]
  }

  // MARK: CRS

  static func utmEPSG(_ lonLat: Point) -> Int {
    let zone = min(60, max(1, Int(((lonLat.x + 180) / 6).rounded(.down)) + 1))
    return (lonLat.y >= 0 ? 32600 : 32700) + zone
  }

  /// The UTM zone of `lonLat`, cached by EPSG code.
  func transform(for lonLat: Point) throws -> WorkingCRS {
    try transform(epsg: Self.utmEPSG(lonLat))
  }

  func transform(epsg: Int) throws -> WorkingCRS {
    if let cached = transforms[epsg] { return cached }
    let crs = try WorkingCRS(epsg: epsg)
    transforms[epsg] = crs
    return crs
  }

  // MARK: Reasons

  /// Stable codes for GEOS's validity reasons.
  static func code(forGEOSReason reason: String) -> String {
    let lowered = reason.lowercased()
    if lowered.hasPrefix("ring self-intersection") { return "ring-self-intersection" }
    if lowered.hasPrefix("self-intersection") { return "self-intersection" }
    if lowered.hasPrefix("hole lies outside shell") { return "hole-outside-shell" }
    if lowered.hasPrefix("holes are nested") { return "nested-holes" }
    if lowered.hasPrefix("interior is disconnected") { return "disconnected-interior" }
    if lowered.hasPrefix("nested shells") { return "nested-shells" }
    if lowered.hasPrefix("duplicate rings") { return "duplicate-rings" }
    if lowered.hasPrefix("too few points") { return "too-few-points" }
    if lowered.hasPrefix("invalid coordinate") { return "non-finite-number" }
    if lowered.hasPrefix("ring not closed") || lowered.hasPrefix("ring is not closed") {
      return "ring-not-closed"
    }
    return "invalid-polygon"
  }

  static func format(_ value: Double) -> String {
    if value == 0 { return "0" }
    if abs(value) >= 0.01 && abs(value) < 1e7 { return String(format: "%.3g", value) }
    return String(format: "%.3e", value)
  }
}
