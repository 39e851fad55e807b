import ArgumentParser
import Dispatch
import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// `swath iou FILE`: exact polygon IoU between every pair of features whose envelopes meet.
struct IoUCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "iou",
    abstract: "Measure IoU between every pair of overlapping polygons in a GeoJSON file.",
    discussion: """
      Projects lon/lat features to the UTM zone of the data (or --crs), finds the pairs whose
      envelopes intersect with the spatial index, computes exact IoU with GEOS about a local
      origin, and prints each pair with IoU > 0 (a, b, IoU) and a summary with pairs per second.
      """)

  @Argument(help: "A GeoJSON FeatureCollection of Polygon/MultiPolygon features.")
  var file: String

  @Flag(help: "Write the report as JSON.")
  var json = false

  @Flag(help: "Coordinates are already planar (metres); do not reproject.")
  var planar = false

  @Option(help: "Working CRS (e.g. EPSG:32633) instead of the data's UTM zone.")
  var crs: String?

  func validate() throws {
    if planar && crs != nil { throw ValidationError("--planar and --crs exclude each other") }
  }

  func run() throws {
    let features = try IoUInput.features(contentsOf: URL(fileURLWithPath: file), file: file)
    let labels = features.enumerated().map { index, feature in feature.id ?? "#\(index)" }

    var geometries = features.map(\.geometry)
    var crsName = "planar"
    if !planar {
      if crs == nil, let bad = IoUInput.firstOutOfRange(geometries) {
        throw SwathFailure(
          "\(file): features[\(bad)] is not lon/lat (use --planar for projected coordinates)")
      }
      do {
        let working: WorkingCRS
        if let crs {
          working = try WorkingCRS(definition: crs)
        } else {
          working = try WorkingCRS.forData(geometries)
        }
        crsName = working.epsg.map { "EPSG:\($0)" } ?? (crs ?? "custom")
        geometries = try geometries.map { try working.fromWGS84($0) }
      } catch {
        throw SwathFailure("\(file): cannot reproject: \(error)")
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
    let rate = seconds > 0 ? Double(pairs.count) / seconds : 0

    var failures: [String] = []
    var overlapping: [(Int, Int, Double)] = []
    for (slot, outcome) in values.enumerated() {
      let (i, j) = pairs[slot]
      switch outcome {
      case .success(let value): if value > 0 { overlapping.append((i, j, value)) }
      case .failure(let error): failures.append("\(labels[i]) / \(labels[j]): \(error)")
      }
    }

    if json {
      let report: JSONValue = .object([
        "file": .string(file), "workingCRS": .string(crsName), "features": .integer(Int64(features.count)),
        "candidatePairs": .integer(Int64(pairs.count)),
        "overlappingPairs": .integer(Int64(overlapping.count)),
        "failedPairs": .integer(Int64(failures.count)), "indexSeconds": .number(indexSeconds),
        "seconds": .number(seconds), "pairsPerSecond": .number(rate),
        "pairs": .array(
          overlapping.map { i, j, value in
            .object([
              "a": .integer(Int64(i)), "b": .integer(Int64(j)), "aId": .string(labels[i]),
              "bId": .string(labels[j]), "iou": .number(value),
            ])
          }),
        "failures": .array(failures.map { .string($0) }),
      ])
      let encoded = report.jsonData()
      FileHandle.standardOutput.write(encoded + Data("\n".utf8))
    } else {
      var text = ""
      for (i, j, value) in overlapping {
        text += "\(labels[i])\t\(labels[j])\t\(value)\n"
        if text.utf8.count > 1 << 16 {
          FileHandle.standardOutput.write(Data(text.utf8))
          text = ""
        }
      }
      text +=
        "\(features.count) features, \(pairs.count) candidate pairs evaluated in "
        + "\(String(format: "%.3f", seconds)) s (\(Int(rate.rounded())) pairs/s), "
        + "\(overlapping.count) with IoU > 0, working CRS \(crsName)\n"
      FileHandle.standardOutput.write(Data(text.utf8))
    }
    for failure in failures.prefix(20) {
      FileHandle.standardError.write(Data("swath: iou failed for \(failure)\n".utf8))
    }
    if !failures.isEmpty {
      throw SwathFailure("\(failures.count) pairs could not be measured (invalid geometry?)")
    }
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

  static func features(contentsOf url: URL, file: String) throws -> [Feature] {
    // Coordinates are checked as lon/lat by the command itself (with its own advice); every
    // area counts.
    let options = ValidationOptions(planar: true, geometry: .polygonal, minArea: 0)
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
      throw SwathFailure("\(file): cannot read: \(error)", exitCode: 2)
    }
    if let issue = summary.documentIssues.first(where: { $0.severity == .error }) {
      if issue.code == "invalid-json" {
        let message =
          issue.message.hasPrefix("not valid JSON: ")
          ? String(issue.message.dropFirst("not valid JSON: ".count)) : issue.message
        throw SwathFailure("\(file): not JSON: \(message)")
      }
      throw SwathFailure("\(file): \(describe(issue))")
    }
    if let firstProblem { throw SwathFailure("\(file): \(firstProblem)") }
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
