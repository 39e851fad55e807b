import ArgumentParser
import Foundation
import SwathConsensus
import SwathGeometry
import SwathWorkflow

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
        swath merge a.geojson b.geojson c.geojson --schema labels.json --out consensus.geojson

      With --schema, features are checked against the label schema (labels, shapes, attributes;
      defaults filled in) and each object's attributes are voted: enums, booleans and texts by
      plurality, numbers by median, weighted by each annotator's precision under weighted.
      """)

  @Argument(help: "Annotator submissions (GeoJSON FeatureCollections).")
  var submissions: [String] = []

  @Option(help: "Where to write the consensus layer (GeoJSON).")
  var out: String

  @Option(help: "IoU a shape needs with the merged shape to count as the same object.")
  var iou: IoUThreshold = .half

  @Option(help: "weighted (Dawid–Skene, the default; majority with fewer than 3 annotators) or majority.")
  var method: ConsensusMethod = .weighted

  @Option(help: "For majority: a fraction of the annotators asked (0.5), or a whole number of votes (3).")
  var quorum: Quorum = Quorum("0.5")!

  @Option(name: .customLong("min-confidence"), help: "For weighted: the posterior an object needs.")
  var minConfidence: Double = 0.5

  @Option(help: "How many annotators were asked, when some did not answer.")
  var assigned: Int?

  @Option(help: "Only these labels take part (comma-separated).")
  var labels: String?

  @Option(name: .customLong("polygon-merge"), help: "vote (region covered by at least half) or medoid.")
  var polygonMerge: PolygonMerge = .vote

  @Option(name: .customLong("box-merge"), help: "median or mean of the box coordinates.")
  var boxMerge: BoxMerge = .median

  @Option(help: "A label schema (JSON): check the files against it and vote each object's attributes.")
  var schema: String?

  @Option(help: "The chip index (GeoJSON polygons with an id), for stitching across chip edges.")
  var chips: String?

  @Option(help: "Gold truth (GeoJSON): the true objects inside --gold-area, output as they are there.")
  var gold: String?

  @Option(
    name: .customLong("gold-area"),
    help: "Where the gold truth is complete (GeoJSON polygons, lon/lat); the model is estimated there.")
  var goldArea: String?

  @Option(help: "Working CRS, e.g. EPSG:32633 (default: the UTM zone of the data's centroid).")
  var crs: String?

  @Option(help: "Where to write the annotator report (JSON).")
  var report: String?

  @Flag(name: .customLong("include-rejected"), help: "Also output objects that were not accepted.")
  var includeRejected = false

  @Flag(help: "Print how long each step took (wall and processor time) to standard error.")
  var timings = false

  @OptionGroup var progress: ProgressOption

  func validate() throws {
    guard !submissions.isEmpty else { throw ValidationError("give at least one SUBMISSION file") }
    guard minConfidence >= 0, minConfidence <= 1 else {
      throw ValidationError("--min-confidence must be in [0, 1], got \(minConfidence)")
    }
    if let assigned, assigned < 1 { throw ValidationError("--assigned must be at least 1, got \(assigned)") }
    guard (gold == nil) == (goldArea == nil) else {
      throw ValidationError("--gold and --gold-area go together: give both or neither")
    }
  }

  func run() throws {
    var options = ConsensusOptions()
    options.iouThreshold = iou
    options.method = method
    options.quorum = quorum
    options.minConfidence = minConfidence
    options.assigned = assigned
    options.polygonMerge = polygonMerge
    options.boxMerge = boxMerge
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
    let outcome = try workflowCall {
      if let schema { options.schema = try FileMerge.readSchema(at: schema) }
      if let gold, let goldArea { options.gold = try FileMerge.readGold(truth: gold, area: goldArea) }
      return try FileMerge.run(
        submissions: submissions, chipIndex: chips, options: options,
        layer: URL(fileURLWithPath: out), report: report.map { URL(fileURLWithPath: $0) },
        progress: progress.reporter)
    }
    if timings {
      let steps = outcome.timings
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

    let summary = outcome.result.report
    let shapes = summary.annotators.reduce(0) { $0 + $1.shapes }
    let agreement = summary.agreement.overall.map { String(format: ", agreement %.3f", $0) } ?? ""
    print(
      "merged \(outcome.submissions.count) submissions (\(shapes) shapes, \(summary.invalidFeatures.count) invalid) "
        + "with \(summary.methodUsed.rawValue): \(summary.accepted) accepted, "
        + "\(summary.rejected) rejected\(agreement) → \(out)")
  }
}
