import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// `swath iou`: exact polygon IoU between every pair of features of one layer whose envelopes
/// meet, in a working CRS (the data's UTM zone, a given CRS, or the file's own planar units).
public enum LayerIoU {
  /// Where the coordinates are measured.
  public enum Frame: Sendable, Hashable {
    /// Longitude/latitude, projected to the UTM zone of the data's centre.
    case dataUTM
    /// Longitude/latitude, projected to this CRS (any definition GDAL reads, e.g. EPSG:32633).
    case crs(String)
    /// Coordinates already planar (metres): measured as they are.
    case planar
  }

  /// A position outside longitude/latitude range where lon/lat was expected: the coordinates
  /// are probably projected, and should be measured in the `.planar` frame.
  public struct NotLonLat: Error, CustomStringConvertible, Sendable {
    public let file: String
    public let feature: Int
    public var description: String { "\(file): features[\(feature)] is not lon/lat" }
  }

  public struct Pair: Sendable, Hashable {
    public var a: Int
    public var b: Int
    public var iou: Double
  }

  public struct Outcome: Sendable {
    /// Each feature's id, else `#index`.
    public var labels: [String]
    public var workingCRS: String
    public var candidatePairs: Int
    /// Pairs with IoU > 0, in index order.
    public var overlapping: [Pair]
    /// Pairs GEOS could not measure (an invalid geometry): `a / b: reason`.
    public var failures: [String]
    public var indexSeconds: Double
    public var seconds: Double
    public var pairsPerSecond: Double { seconds > 0 ? Double(candidatePairs) / seconds : 0 }
  }

  public static func measure(file: String, frame: Frame) throws -> Outcome {
    let features = try IoUInput.features(
      contentsOf: URL(fileURLWithPath: file), file: file, planar: frame == .planar)
    let labels = features.enumerated().map { index, feature in feature.id ?? "#\(index)" }
    var geometries = features.map(\.geometry)
    var crsName = "planar"
    if frame != .planar {
      if frame == .dataUTM, let bad = IoUInput.firstOutOfRange(geometries) {
        throw NotLonLat(file: file, feature: bad)
      }
      do {
        let working: WorkingCRS
        if case .crs(let definition) = frame {
          working = try WorkingCRS(definition: definition)
          crsName = working.epsg.map { "EPSG:\($0)" } ?? definition
        } else {
          working = try WorkingCRS.forData(geometries)
          crsName = working.epsg.map { "EPSG:\($0)" } ?? "custom"
        }
        geometries = try geometries.map { try working.fromWGS84($0) }
      } catch {
        throw WorkflowError("\(file): cannot reproject: \(error)")
      }
    }

    let envelopes = geometries.map {
      $0.envelope ?? BoundingBox(minX: .nan, minY: .nan, maxX: .nan, maxY: .nan)
    }
    let indexStart = Date()
    let pairs = SpatialIndex(envelopes).intersectingPairs()
    let indexSeconds = Date().timeIntervalSince(indexStart)

    let start = Date()
    let shared = SharedInput(geometries: geometries, envelopes: envelopes, pairs: pairs)
    // One outcome per pair: a pair GEOS cannot measure is reported, not fatal.
    let values = Parallel.map(0..<pairs.count) { slot -> Result<Double, any Error> in
      let (i, j) = shared.pairs[slot]
      return Result {
        try IoU.polygons(
          shared.geometries[i], envelope: shared.envelopes[i], shared.geometries[j],
          envelope: shared.envelopes[j])
      }
    }
    let seconds = Date().timeIntervalSince(start)

    var failures: [String] = []
    var overlapping: [Pair] = []
    for (slot, outcome) in values.enumerated() {
      let (i, j) = pairs[slot]
      switch outcome {
      case .success(let value): if value > 0 { overlapping.append(Pair(a: i, b: j, iou: value)) }
      case .failure(let error): failures.append("\(labels[i]) / \(labels[j]): \(error)")
      }
    }
    return Outcome(
      labels: labels, workingCRS: crsName, candidatePairs: pairs.count, overlapping: overlapping,
      failures: failures, indexSeconds: indexSeconds, seconds: seconds)
  }
}

/// Read-only inputs shared by the worker threads.
private struct SharedInput: Sendable {
  let geometries: [MultiPolygon]
  let envelopes: [BoundingBox]
  let pairs: [(Int, Int)]
}

/// The polygonal features of a GeoJSON FeatureCollection, streamed through the validating
/// reader: a file that is not JSON, not a FeatureCollection, or holds a geometry that cannot be
/// read as polygons stops the command with the place of the first problem. Topology problems
/// (self-intersections, unclosed rings, …) do not: GEOS reports the pairs it cannot measure.
enum IoUInput {
  struct Feature {
    var id: String?
    var geometry: MultiPolygon
  }

  /// Problems that leave a file or feature without readable polygons.
  static let fatalCodes: Set<String> = [
    "invalid-json", "not-geojson", "missing-type", "invalid-type", "unknown-type", "missing-features",
    "invalid-features", "invalid-feature", "missing-geometry", "null-geometry", "invalid-geometry",
    "undrawable-geometry", "missing-coordinates", "invalid-coordinates", "coordinates-depth",
    "invalid-position", "too-few-ordinates", "non-finite-number", "bare-geometry",
  ]

  /// `planar`: the layer is measured as it is; otherwise it is read as lon/lat, so a legacy
  /// `crs` member (SpaceNet's UTM labels) is honoured and its coordinates come back in WGS84.
  static func features(contentsOf url: URL, file: String, planar: Bool) throws -> [Feature] {
    // Coordinates are checked as lon/lat by the command itself (with its own advice), not as
    // issues; every area counts.
    let options = ValidationOptions(planar: planar, geometry: .polygonal, minArea: 0)
    var features: [Feature] = []
    var firstProblem: String?
    let summary: GeoJSONDocumentSummary
    do {
      summary = try GeoJSONReader.forEachFeature(contentsOf: url, options: options) { validated in
        features.append(Feature(id: validated.feature.id, geometry: validated.feature.geometry))
        guard firstProblem == nil else { return }
        if let type = validated.geometryType, type != "Polygon", type != "MultiPolygon" {
          firstProblem =
            "\(validated.path).geometry: \(type) is not polygonal (Polygon or MultiPolygon expected)"
        } else if let issue = validated.issues.first(where: {
          $0.severity == .error && fatalCodes.contains($0.code)
        }) {
          firstProblem = describe(issue)
        }
      }
    } catch {
      throw WorkflowError("\(file): cannot read: \(error)", kind: .environment)
    }
    if let issue = summary.documentIssues.first(where: { $0.severity == .error }) {
      if issue.code == "invalid-json" {
        let message =
          issue.message.hasPrefix("not valid JSON: ")
          ? String(issue.message.dropFirst("not valid JSON: ".count)) : issue.message
        throw WorkflowError("\(file): not JSON: \(message)")
      }
      throw WorkflowError("\(file): \(describe(issue))")
    }
    if let firstProblem { throw WorkflowError("\(file): \(firstProblem)") }
    return features
  }

  private static func describe(_ issue: ValidationIssue) -> String {
    let place = issue.line.map { " (line \($0), column \(issue.column ?? 0))" } ?? ""
    return "\(issue.path): \(issue.message)\(place)"
  }

  /// The index of the first feature with a position outside lon/lat range.
  static func firstOutOfRange(_ geometries: [MultiPolygon]) -> Int? {
    geometries.firstIndex { geometry in
      geometry.allPoints.contains { abs($0.x) > 180 || abs($0.y) > 90 }
    }
  }
}
