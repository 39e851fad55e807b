import ArgumentParser
import Foundation
import SwathConsensus
import SwathGeometry

/// `swath merge`: several annotators' GeoJSON submissions in, one consensus layer and a report out.
struct MergeCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Merge several annotators' shapes into one consensus layer, and score the annotators.",
    discussion: """
      Each SUBMISSION is one annotator's RFC 7946 FeatureCollection; the annotator is its top-level
      "annotator" member, else the file's stem. An empty FeatureCollection is a real answer and counts
      as a vote. Invalid features are left out and listed in the report; a file that is not GeoJSON
      stops the run and nothing is written.

      Examples:
        swath merge a.geojson b.geojson c.geojson --out consensus.geojson --report report.json
        swath merge panel/annotator-*.geojson --chips panel/chips.geojson --method majority --quorum 3 --out merged.geojson
      """)

  @Argument(help: "Annotator submissions (GeoJSON FeatureCollections).")
  var submissions: [String] = []

  @Option(help: "Where to write the consensus layer (GeoJSON).")
  var out: String

  @Option(help: "IoU a shape needs with the merged shape to count as the same object.")
  var iou: Double = 0.5

  @Option(help: "weighted (Dawid–Skene, the default; majority with fewer than 3 annotators) or majority.")
  var method: String = "weighted"

  @Option(help: "For majority: a fraction of the annotators asked (0.5), or a whole number of votes (3).")
  var quorum: String = "0.5"

  @Option(name: .customLong("min-confidence"), help: "For weighted: the posterior an object needs.")
  var minConfidence: Double = 0.5

  @Option(help: "How many annotators were asked, when some did not answer.")
  var assigned: Int?

  @Option(help: "Only these labels take part (comma-separated).")
  var labels: String?

  @Option(name: .customLong("polygon-merge"), help: "vote (region covered by at least half) or medoid.")
  var polygonMerge: String = "vote"

  @Option(name: .customLong("box-merge"), help: "median or mean of the box coordinates.")
  var boxMerge: String = "median"

  @Option(help: "The chip index (GeoJSON polygons with an id), for stitching across chip edges.")
  var chips: String?

  @Option(help: "Working CRS, e.g. EPSG:32633 (default: the UTM zone of the data's centroid).")
  var crs: String?

  @Option(help: "Where to write the annotator report (JSON).")
  var report: String?

  @Flag(name: .customLong("include-rejected"), help: "Also output objects that were not accepted.")
  var includeRejected = false

  @Flag(help: "Print how long each step took (wall and processor time) to standard error.")
  var timings = false

  func validate() throws {
    guard !submissions.isEmpty else { throw ValidationError("give at least one SUBMISSION file") }
    guard iou > 0, iou <= 1 else { throw ValidationError("--iou must be in (0, 1], got \(iou)") }
    guard ConsensusMethod(rawValue: method) != nil else {
      throw ValidationError("--method must be weighted or majority, got '\(method)'")
    }
    guard let parsed = Quorum(quorum), parsed.required(of: 1) >= 1 else {
      throw ValidationError("--quorum must be a fraction in (0, 1) or a whole number ≥ 1, got '\(quorum)'")
    }
    guard minConfidence >= 0, minConfidence <= 1 else {
      throw ValidationError("--min-confidence must be in [0, 1], got \(minConfidence)")
    }
    if let assigned, assigned < 1 { throw ValidationError("--assigned must be at least 1, got \(assigned)") }
    guard PolygonMerge(rawValue: polygonMerge) != nil else {
      throw ValidationError("--polygon-merge must be vote or medoid, got '\(polygonMerge)'")
    }
    guard BoxMerge(rawValue: boxMerge) != nil else {
      throw ValidationError("--box-merge must be median or mean, got '\(boxMerge)'")
    }
  }

  func run() throws {
    var options = ConsensusOptions()
    options.iou = iou
    options.method = ConsensusMethod(rawValue: method)!
    options.quorum = Quorum(quorum)!
    options.minConfidence = minConfidence
    options.assigned = assigned
    options.polygonMerge = PolygonMerge(rawValue: polygonMerge)!
    options.boxMerge = BoxMerge(rawValue: boxMerge)!
    options.includeRejected = includeRejected
    if let labels {
      options.labels = Set(labels.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
    }
    if let crs {
      do {
        options.workingCRS = try WorkingCRS(definition: crs)
      } catch {
        throw SwathFailure("--crs \(crs): \(error)", exitCode: 2)
      }
    }
    var clock = PhaseClock()
    let readOptions = ValidationOptions(workingEPSG: options.workingCRS?.epsg)
    let read = try Self.submissions(at: submissions, options: readOptions)
    if let chips { options.chips = try Self.chips(at: chips) }

    clock.lap("read and validate")
    let result: ConsensusResult
    do {
      result = try ConsensusEngine.run(read, options: options)
    } catch let error as ConsensusError {
      throw SwathFailure(error.message, exitCode: 1)
    }

    var steps = clock.timings + result.timings
    clock = PhaseClock()

    // Both outputs to temporary names first: a failure leaves neither behind.
    let layer = GeoJSONWriter.featureCollection(
      features: result.objects.map(\.feature), decimals: options.outputDecimals)
    var pending = [(data: layer, path: out)]
    if let report { pending.append((try result.report.jsonData(), report)) }
    try MergeOutputs.write(pending)
    clock.lap("write")
    if timings {
      steps += clock.timings
      let width = steps.map(\.phase.count).max() ?? 0
      let line = { (phase: String, seconds: Double, cpu: Double) in
        phase.padding(toLength: width, withPad: " ", startingAt: 0)
          + String(format: " %7.2f s  (cpu %6.2f s)", seconds, cpu)
      }
      var lines = steps.map { line($0.phase, $0.seconds, $0.cpuSeconds) }
      lines.append(
        line("total", steps.reduce(0) { $0 + $1.seconds }, steps.reduce(0) { $0 + $1.cpuSeconds }))
      FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }

    let shapes = result.report.annotators.reduce(0) { $0 + $1.shapes }
    let agreement = result.report.agreement.overall.map { String(format: ", agreement %.3f", $0) } ?? ""
    print(
      "merged \(read.count) submissions (\(shapes) shapes, \(result.report.invalidFeatures.count) invalid) "
        + "with \(result.report.methodUsed.rawValue): \(result.report.accepted) accepted, "
        + "\(result.report.rejected) rejected\(agreement) → \(out)")
  }

  /// Document-level problems that mean the file is not a GeoJSON submission at all.
  static let fatalCodes: Set<String> = [
    "invalid-json", "not-geojson", "missing-type", "invalid-type", "unknown-type", "missing-features",
    "invalid-features",
  ]

  /// Reads the files at the same time, one thread each, so that every core is busy until the
  /// last file ends: the system shares the cores among the readers. With at least as many files
  /// as cores, each reader validates its own features as it parses them (no hand-off to a pool,
  /// and each feature's parse tree is freed by the thread that built it, while still in cache);
  /// with fewer, each file's features are validated on the reader's worker pool as well.
  /// Readers are threads of their own, not dispatch workers: a pooled reader blocks waiting for
  /// validated batches, and blocked workers would starve the pool those batches run on.
  /// A failure names the first bad file in argument order, as reading them in turn would.
  static func submissions(at paths: [String], options: ValidationOptions) throws -> [Submission] {
    let cores = ProcessInfo.processInfo.activeProcessorCount
    var readOptions = options
    if paths.count >= cores { readOptions.parallelism = 1 }
    let perFile = readOptions
    let results = ReadResults(count: paths.count)
    let done = DispatchGroup()
    for _ in 0..<min(paths.count, 4 * cores) {
      done.enter()
      let reader = Thread {
        while let index = results.next() {
          results.store(index, Result { try submission(at: paths[index], options: perFile) })
        }
        done.leave()
      }
      // The main thread's stack size: the JSON parser recurses once per nesting level.
      reader.stackSize = 8 << 20
      reader.start()
    }
    done.wait()
    return try results.values()
  }

  static func submission(at path: String, options: ValidationOptions) throws -> Submission {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw SwathFailure("\(path): no such file")
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
      throw SwathFailure("\(path): cannot read: \(error)")
    }
    if let fatal = summary.documentIssues.first(where: { fatalCodes.contains($0.code) }) {
      let place = fatal.line.map { " (line \($0))" } ?? ""
      throw SwathFailure("\(path): not a GeoJSON FeatureCollection: \(fatal.message)\(place)")
    }
    let stem = url.deletingPathExtension().lastPathComponent
    let annotator =
      summary.foreignMembers["annotator"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 } ?? stem
    return Submission(annotator: annotator, features: features, invalid: invalid)
  }

  /// The chip index: polygons with an `id` (feature id or property), optionally `annotators`.
  static func chips(at path: String) throws -> [ChipFootprint] {
    let url = URL(fileURLWithPath: path)
    guard FileManager.default.fileExists(atPath: url.path) else {
      throw SwathFailure("--chips \(path): no such file")
    }
    let document = try GeoJSONReader.read(contentsOf: url, options: ValidationOptions(minArea: 0))
    if let fatal = document.documentIssues.first(where: { fatalCodes.contains($0.code) }) {
      throw SwathFailure("--chips \(path): not a GeoJSON FeatureCollection: \(fatal.message)")
    }
    return try document.features.map { validated in
      let feature = validated.feature
      guard validated.isValid else {
        let reason = validated.issues.first { $0.severity == .error }?.message ?? "invalid"
        throw SwathFailure("--chips \(path): chip \(validated.index): \(reason)")
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

/// Submissions read by several threads: which file is next, and what each gave.
private final class ReadResults: @unchecked Sendable {
  private var results: [Result<Submission, Error>?]
  private var taken = 0
  private let lock = NSLock()

  init(count: Int) { results = Array(repeating: nil, count: count) }

  func next() -> Int? {
    lock.withLock {
      guard taken < results.count else { return nil }
      defer { taken += 1 }
      return taken
    }
  }

  func store(_ index: Int, _ result: Result<Submission, Error>) {
    lock.withLock { results[index] = result }
  }

  func values() throws -> [Submission] {
    try lock.withLock { try results.map { try $0!.get() } }
  }
}

/// Writes files by temporary name and rename, so readers never see half a file and a failure
/// leaves nothing behind.
enum MergeOutputs {
  static func write(_ files: [(data: Data, path: String)]) throws {
    var written: [(temporary: URL, final: URL)] = []
    do {
      for file in files {
        let final = URL(fileURLWithPath: file.path)
        let temporary = final.deletingLastPathComponent()
          .appendingPathComponent(".\(final.lastPathComponent).\(UUID().uuidString).tmp")
        do {
          try file.data.write(to: temporary)
        } catch {
          throw SwathFailure("cannot write \(file.path): \((error as NSError).localizedDescription)")
        }
        written.append((temporary, final))
      }
      for file in written where rename(file.temporary.path, file.final.path) != 0 {
        throw SwathFailure("cannot write \(file.final.path): \(String(cString: strerror(errno)))")
      }
    } catch {
      for file in written { try? FileManager.default.removeItem(at: file.temporary) }
      throw error
    }
  }
}
