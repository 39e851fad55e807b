import Foundation
import SwathConsensus
import SwathGeometry
import SwathSupport

/// `swath merge` without a workspace: annotators' GeoJSON files in, one consensus layer and an
/// annotator report out.
public enum FileMerge {
  /// What a merge produced, and how long each step took.
  public struct Outcome: Sendable {
    public var submissions: [Submission]
    public var result: ConsensusResult
    public var timings: [PhaseTiming]
  }

  /// Reads the submissions and the chip index, runs the consensus engine and writes the layer
  /// (and the report) so that both appear or neither does. With `options.schema`, the files are
  /// checked against it (its labels, shapes and attributes, defaults filled in) and each object's
  /// attributes are voted.
  public static func run(
    submissions paths: [String], chipIndex: String?, options: ConsensusOptions, layer: URL,
    report: URL?, progress: any ProgressReporter = SilentProgress()
  ) throws -> Outcome {
    var options = options
    var clock = PhaseClock()
    var readOptions = ValidationOptions(workingEPSG: options.workingCRS?.epsg)
    readOptions.schema = options.schema
    progress.begin("read and validate", unit: "files", total: paths.count)
    let submissions = try readSubmissions(at: paths, options: readOptions, progress: progress)
    if let chipIndex { options.chips = try readChips(at: chipIndex) }
    progress.end()
    clock.lap("read and validate")
    progress.begin("consensus", unit: "", total: nil)
    defer { progress.end() }
    let result: ConsensusResult
    do {
      result = try ConsensusEngine.run(submissions, options: options)
    } catch let error as ConsensusError {
      throw WorkflowError(error.message)
    }
    var timings = clock.timings + result.timings
    clock = PhaseClock()
    let layerData = GeoJSONWriter.featureCollection(
      features: result.objects.map(\.feature), decimals: options.outputDecimals)
    var files = [(data: layerData, destination: layer)]
    if let report { files.append((try result.report.jsonData(), report)) }
    do {
      try AtomicFile.writeAll(files)
    } catch let error as FileWriteError {
      throw WorkflowError(error.message, kind: .environment)
    }
    clock.lap("write")
    timings += clock.timings
    return Outcome(submissions: submissions, result: result, timings: timings)
  }

  /// A label schema document (`{"labels": [...]}`), for `swath merge --schema`.
  public static func readSchema(at path: String) throws -> LabelSchema {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw WorkflowError("label schema \(path): no such file", kind: .notFound)
    }
    do {
      return try LabelSchema(data: Data(contentsOf: url))
    } catch let error as LabelSchemaError {
      throw WorkflowError("\(path): \(error)")
    } catch {
      throw WorkflowError(
        "label schema \(path): cannot read: \(error.localizedDescription)", kind: .environment)
    }
  }

  /// A gold standard: TRUTH, the true objects, complete inside AREA (Polygon/MultiPolygon
  /// features, lon/lat). An invalid shape in either file stops the merge with one line.
  public static func readGold(truth: String, area: String) throws -> GoldStandard {
    let objects = try readGoldFile(truth, role: "gold")
    let parts = try readGoldFile(area, role: "gold area")
    guard !parts.isEmpty else { throw WorkflowError("gold area \(area): no polygon in it") }
    let joined: MultiPolygon
    do {
      joined = try Topology.union(parts.map(\.geometry))
    } catch {
      throw WorkflowError("gold area \(area): cannot join its polygons: \(error)")
    }
    return GoldStandard(objects: objects, area: joined)
  }

  private static func readGoldFile(_ path: String, role: String) throws -> [LabelFeature] {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw WorkflowError("\(role) \(path): no such file", kind: .notFound)
    }
    let document = try GeoJSONReader.read(contentsOf: url, options: ValidationOptions(minArea: 0))
    if let fatal = document.documentIssues.first(where: { fatalCodes.contains($0.code) }) {
      throw WorkflowError("\(role) \(path): not a GeoJSON FeatureCollection: \(fatal.message)")
    }
    return try document.features.map { validated in
      guard validated.isValid else {
        let reason = validated.issues.first { $0.severity == .error }?.message ?? "invalid"
        throw WorkflowError("\(role) \(path): feature \(validated.index): \(reason)")
      }
      return validated.feature
    }
  }

  /// Document-level problems that mean the file is not a GeoJSON submission at all.
  static let fatalCodes: Set<String> = [
    "invalid-json", "not-geojson", "missing-type", "invalid-type", "unknown-type", "missing-features",
    "invalid-features",
  ]

  /// Reads the files on every core. With at least as many files as cores, each file is read and
  /// validated on one core (each feature's parse tree is freed by the thread that built it, while
  /// still in cache); with fewer, the files are read one after another, each validated on every
  /// core. A failure names the first bad file in argument order, as reading them in turn would.
  public static func readSubmissions(
    at paths: [String], options: ValidationOptions, progress: any ProgressReporter = SilentProgress()
  ) throws -> [Submission] {
    guard paths.count >= ProcessInfo.processInfo.activeProcessorCount else {
      return try paths.map { path in
        defer { progress.advance() }
        return try readSubmission(at: path, options: options)
      }
    }
    var single = options
    single.parallelism = 1
    let perFile = single
    let results = Parallel.map(paths.indices) { index in
      defer { progress.advance() }
      return Result { try readSubmission(at: paths[index], options: perFile) }
    }
    return try results.map { try $0.get() }
  }

  /// One annotator's file: valid features kept, invalid ones listed; the annotator is the file's
  /// top-level "annotator" member, else its stem.
  public static func readSubmission(at path: String, options: ValidationOptions) throws -> Submission {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw WorkflowError("\(path): no such file", kind: .notFound)
    }
    var features: [LabelFeature] = []
    var invalid: [InvalidFeature] = []
    let summary: GeoJSONDocumentSummary
    do {
      // Valid and invalid features are told apart as they stream in, not kept whole and copied.
      summary = try GeoJSONReader.forEachFeature(contentsOf: url, options: options) { validated in
        if validated.isValid {
          features.append(validated.feature)
        } else {
          let reasons = validated.issues.filter { $0.severity == .error }.map { "\($0.code): \($0.message)" }
          invalid.append(InvalidFeature(index: validated.index, id: validated.feature.id, reasons: reasons))
        }
      }
    } catch {
      throw WorkflowError("\(path): cannot read: \(error)")
    }
    if let fatal = summary.documentIssues.first(where: { fatalCodes.contains($0.code) }) {
      let place = fatal.line.map { " (line \($0))" } ?? ""
      throw WorkflowError("\(path): not a GeoJSON FeatureCollection: \(fatal.message)\(place)")
    }
    let stem = url.deletingPathExtension().lastPathComponent
    let annotator =
      summary.foreignMembers["annotator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? stem
    return Submission(annotator: annotator, features: features, invalid: invalid)
  }

  /// A chip index: polygons with an `id` (feature id or property), optionally `annotators`.
  public static func readChips(at path: String) throws -> [ChipFootprint] {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw WorkflowError("chip index \(path): no such file", kind: .notFound)
    }
    let document = try GeoJSONReader.read(contentsOf: url, options: ValidationOptions(minArea: 0))
    if let fatal = document.documentIssues.first(where: { fatalCodes.contains($0.code) }) {
      throw WorkflowError("chip index \(path): not a GeoJSON FeatureCollection: \(fatal.message)")
    }
    return try document.features.map { validated in
      let feature = validated.feature
      guard validated.isValid else {
        let reason = validated.issues.first { $0.severity == .error }?.message ?? "invalid"
        throw WorkflowError("chip index \(path): chip \(validated.index): \(reason)")
      }
      let id =
        feature.id ?? feature.properties["id"]?.stringValue ?? feature.properties["chip"]?.stringValue
        ?? String(validated.index)
      var annotators: Set<String>?
      if case .array(let names)? = feature.properties["annotators"] {
        annotators = Set(names.compactMap(\.stringValue))
      }
      return ChipFootprint(id: id, footprint: feature.geometry, annotators: annotators)
    }
  }
}
