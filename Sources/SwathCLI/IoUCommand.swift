import ArgumentParser
import Foundation
import SwathGeometry
import SwathWorkflow

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
    let frame: LayerIoU.Frame = planar ? .planar : crs.map { .crs($0) } ?? .dataUTM
    let outcome: LayerIoU.Outcome
    do {
      outcome = try LayerIoU.measure(file: file, frame: frame)
    } catch let error as LayerIoU.NotLonLat {
      throw SwathFailure("\(error) (use --planar for projected coordinates)")
    } catch let error as WorkflowError {
      throw SwathFailure(error.message, exitCode: error.kind == .environment ? 2 : 1)
    }
    let labels = outcome.labels
    if json {
      let report: JSONValue = .object([
        "file": .string(file), "workingCRS": .string(outcome.workingCRS),
        "features": .integer(Int64(labels.count)),
        "candidatePairs": .integer(Int64(outcome.candidatePairs)),
        "overlappingPairs": .integer(Int64(outcome.overlapping.count)),
        "failedPairs": .integer(Int64(outcome.failures.count)),
        "indexSeconds": .number(outcome.indexSeconds), "seconds": .number(outcome.seconds),
        "pairsPerSecond": .number(outcome.pairsPerSecond),
        "pairs": .array(
          outcome.overlapping.map { pair in
            .object([
              "a": .integer(Int64(pair.a)), "b": .integer(Int64(pair.b)), "aId": .string(labels[pair.a]),
              "bId": .string(labels[pair.b]), "iou": .number(pair.iou),
            ])
          }),
        "failures": .array(outcome.failures.map { .string($0) }),
      ])
      FileHandle.standardOutput.write(report.jsonData() + Data("\n".utf8))
    } else {
      var text = ""
      for pair in outcome.overlapping {
        text += "\(labels[pair.a])\t\(labels[pair.b])\t\(pair.iou)\n"
        if text.utf8.count > 1 << 16 {
          FileHandle.standardOutput.write(Data(text.utf8))
          text = ""
        }
      }
      text +=
        "\(labels.count) features, \(outcome.candidatePairs) candidate pairs evaluated in "
        + "\(String(format: "%.3f", outcome.seconds)) s (\(Int(outcome.pairsPerSecond.rounded())) pairs/s), "
        + "\(outcome.overlapping.count) with IoU > 0, working CRS \(outcome.workingCRS)\n"
      FileHandle.standardOutput.write(Data(text.utf8))
    }
    for failure in outcome.failures.prefix(20) {
      FileHandle.standardError.write(Data("swath: iou failed for \(failure)\n".utf8))
    }
    if !outcome.failures.isEmpty {
      throw SwathFailure("\(outcome.failures.count) pairs could not be measured (invalid geometry?)")
    }
  }
}
