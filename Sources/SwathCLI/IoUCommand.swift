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
    let url = URL(fileURLWithPath: file)
    let data: Data
    do {
      data = try Data(contentsOf: url)
    } catch {
      throw SwathFailure("\(file): cannot read: \(error.localizedDescription)", exitCode: 2)
    }
    let features = try IoUInput.features(from: data, file: file)
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
      let report: [String: Any] = [
        "file": file, "workingCRS": crsName, "features": features.count,
        "candidatePairs": pairs.count, "overlappingPairs": overlapping.count,
        "failedPairs": failures.count, "indexSeconds": indexSeconds, "seconds": seconds,
        "pairsPerSecond": rate,
        "pairs": overlapping.map { i, j, value in
          ["a": i, "b": j, "aId": labels[i], "bId": labels[j], "iou": value] as [String: Any]
        },
        "failures": failures,
      ]
      let encoded = try JSONSerialization.data(
        withJSONObject: report, options: [.sortedKeys, .withoutEscapingSlashes])
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

/// The polygonal features of a GeoJSON FeatureCollection, decoded with full double precision.
enum IoUInput {
  struct Feature {
    var id: String?
    var geometry: MultiPolygon
  }

  static func features(from data: Data, file: String) throws -> [Feature] {
    let collection: Collection
    do {
      collection = try JSONDecoder().decode(Collection.self, from: data)
    } catch let error as DecodingError {
      throw SwathFailure("\(file): \(describe(error))")
    }
    return collection.features.map { Feature(id: $0.id, geometry: $0.geometry) }
  }

  /// The index of the first feature with a position outside lon/lat range.
  static func firstOutOfRange(_ geometries: [MultiPolygon]) -> Int? {
    geometries.firstIndex { geometry in
      geometry.allPoints.contains { abs($0.x) > 180 || abs($0.y) > 90 }
    }
  }

  private static func describe(_ error: DecodingError) -> String {
    func path(_ codingPath: [any CodingKey]) -> String {
      var text = ""
      for key in codingPath {
        if let index = key.intValue {
          text += "[\(index)]"
        } else {
          text += (text.isEmpty ? "" : ".") + key.stringValue
        }
      }
      return text.isEmpty ? "top level" : text
    }
    switch error {
    case .dataCorrupted(let context):
      if context.codingPath.isEmpty {
        let detail = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey]
        return "not JSON: \(detail ?? context.debugDescription)"
      }
      return "\(path(context.codingPath)): \(context.debugDescription)"
    case .keyNotFound(let key, let context):
      return "\(path(context.codingPath + [key])): missing"
    case .typeMismatch(_, let context), .valueNotFound(_, let context):
      return "\(path(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "\(error)"
    }
  }

  private struct Collection: Decodable {
    var features: [DecodedFeature]
    private enum Keys: String, CodingKey { case type, features }
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      let type = try container.decode(String.self, forKey: .type)
      guard type == "FeatureCollection" else {
        throw DecodingError.dataCorruptedError(
          forKey: .type, in: container, debugDescription: "a FeatureCollection is needed, not \(type)")
      }
      features = try container.decode([DecodedFeature].self, forKey: .features)
    }
  }

  private struct DecodedFeature: Decodable {
    var id: String?
    var geometry: MultiPolygon
    private enum Keys: String, CodingKey { case id, geometry }
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      if let text = try? container.decodeIfPresent(String.self, forKey: .id) {
        id = text
      } else if let number = try? container.decodeIfPresent(Int.self, forKey: .id) {
        id = String(number)
      } else if let number = try? container.decodeIfPresent(Double.self, forKey: .id) {
        id = String(number)
      }
      geometry = try container.decode(DecodedGeometry.self, forKey: .geometry).geometry
    }
  }

  private struct DecodedGeometry: Decodable {
    var geometry: MultiPolygon
    private enum Keys: String, CodingKey { case type, coordinates }
    init(from decoder: any Decoder) throws {
      let container = try decoder.container(keyedBy: Keys.self)
      let type = try container.decode(String.self, forKey: .type)
      switch type {
      case "Polygon":
        geometry = MultiPolygon(
          try polygon(container.decode([[[Double]]].self, forKey: .coordinates)))
      case "MultiPolygon":
        geometry = MultiPolygon(
          try container.decode([[[[Double]]]].self, forKey: .coordinates).map(polygon))
      default:
        throw DecodingError.dataCorruptedError(
          forKey: .type, in: container,
          debugDescription: "\(type) is not polygonal (Polygon or MultiPolygon expected)")
      }
      func polygon(_ rings: [[[Double]]]) throws -> SwathGeometry.Polygon {
        let parsed = try rings.map { ring in
          try ring.map { position -> Point in
            guard position.count >= 2 else {
              throw DecodingError.dataCorruptedError(
                forKey: .coordinates, in: container,
                debugDescription: "a position needs at least 2 numbers")
            }
            return Point(position[0], position[1])
          }
        }
        return SwathGeometry.Polygon(shell: parsed.first ?? [], holes: Array(parsed.dropFirst()))
      }
    }
  }
}
