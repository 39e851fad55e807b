import Foundation
import SwathGDAL

/// The CRS a legacy root `crs` member names (GeoJSON 2008: `{"type": "name", "properties":
/// {"name": "urn:ogc:def:crs:EPSG::32616"}}`, as solaris and SpaceNet label files carry), with the
/// transformation of its coordinates to WGS84 longitude/latitude. The reader reprojects every
/// position through it before the lon/lat range checks, so the rest of validation, `--fix` and
/// every caller see RFC 7946 coordinates.
final class LegacyCRS: Sendable {
  /// The name as the file gives it.
  let name: String
  /// `EPSG:32616 (WGS 84 / UTM zone 16N)`, for messages.
  let label: String
  /// Linear units (metres, feet): precision and bbox checks treat the file's numbers as planar.
  let isProjected: Bool
  /// nil when the CRS is WGS84 longitude/latitude itself (CRS84, EPSG:4326): nothing to reproject.
  let toWGS84: CoordinateTransform?

  private init(name: String, label: String, isProjected: Bool, toWGS84: CoordinateTransform?) {
    self.name = name
    self.label = label
    self.isProjected = isProjected
    self.toWGS84 = toWGS84
  }

  /// What a root `crs` member means for the read: a CRS to honour, or only an issue.
  enum Reading {
    case honoured(LegacyCRS, ValidationIssue)
    case rejected(ValidationIssue)
    case ignored(ValidationIssue)
  }

  /// Reads a root `crs` member. A named CRS that GDAL/PROJ knows is honoured (warning
  /// `legacy-crs`); a name it does not know is an error (`unknown-crs`); a member that names no
  /// CRS (null, a `link`, no `name`) is ignored with the `crs-member` warning, as before.
  static func read(_ node: JSONNode) -> Reading {
    func issue(_ code: String, _ severity: Severity, _ message: String) -> ValidationIssue {
      ValidationIssue(
        code: code, severity: severity, message: message, path: "crs", line: Int(node.line),
        column: Int(node.column))
    }
    guard node.member("type")?.string == "name", let name = node.member("properties")?.member("name")?.string
    else {
      return .ignored(
        issue(
          "crs-member", .warning,
          "the \"crs\" member was removed in RFC 7946 and this one names no CRS (only {\"type\": \"name\", \"properties\": {\"name\": …}} is read): coordinates are taken as WGS84 longitude/latitude; it is ignored"
        ))
    }
    let reference: SpatialReference
    let toWGS84: CoordinateTransform?
    do {
      reference = try SpatialReference(crsName: name)
      let wgs84 = SpatialReference.wgs84()
      toWGS84 =
        reference.isEquivalent(to: wgs84) ? nil : try CoordinateTransform(from: reference, to: wgs84)
    } catch {
      let reason = "\(error)".replacingOccurrences(of: "\n", with: " ")
      return .rejected(
        issue(
          "unknown-crs", .error,
          "the \"crs\" member names a CRS that cannot be read (\(reason)); coordinates cannot be reprojected to WGS84"
        ))
    }
    // `urn:ogc:def:crs:EPSG::32616 (EPSG:32616, WGS 84 / UTM zone 16N)`, `EPSG:4326 (WGS 84)`
    let details = [reference.epsg.map { "EPSG:\($0)" }.flatMap { $0 == name ? nil : $0 }, reference.name]
      .compactMap { $0 }
    let label = details.isEmpty ? name : "\(name) (\(details.joined(separator: ", ")))"
    let crs = LegacyCRS(name: name, label: label, isProjected: reference.isProjected, toWGS84: toWGS84)
    let message =
      toWGS84 == nil
      ? "the \"crs\" member (removed in RFC 7946) names \(label): coordinates are already WGS84 longitude/latitude"
      : "the \"crs\" member (removed in RFC 7946) names \(label): coordinates were reprojected from it to WGS84 longitude/latitude"
    return .honoured(crs, issue("legacy-crs", .warning, message))
  }
}

extension FeatureInterpreter {
  /// Reprojects positions read in the legacy CRS, in one PROJ call; nil for each position PROJ
  /// cannot transform (then found one by one, so the others still count).
  func reprojected(_ points: [Point], with transform: CoordinateTransform) -> [Point?] {
    var xs = points.map(\.x)
    var ys = points.map(\.y)
    if (try? transform.transform(xs: &xs, ys: &ys)) != nil {
      return (0..<points.count).map { Point(xs[$0], ys[$0]) }
    }
    return points.map { point in
      (try? transform.transform(x: point.x, y: point.y)).map { Point($0.x, $0.y) }
    }
  }
}
