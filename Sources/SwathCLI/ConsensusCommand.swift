import ArgumentParser
import Foundation
import SwathConsensus
import SwathStore
import SwathWorkflow

struct ConsensusCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "consensus",
    abstract: "Run consensus over a task's current accepted submissions and store the run.",
    discussion: """
      Merges every annotator's current accepted shapes with the consensus engine, chip-aware: each object's quorum counts the annotators assigned to the chips it lies in, and pieces cut by chip edges or drawn twice in chip overlaps are stitched. The run (parameters, merged layer with accepted and rejected objects, annotator report) is stored in one transaction; `swath export` writes the latest. --iou and --quorum default to the task's. Submissions left half-done by an interrupted `submit` are finished first.

      Example:
        swath consensus roofs --iou 0.5 --quorum 0.5 --method weighted --truth truth.geojson
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "IoU at which two shapes are one object (default: the task's).")
  var iou: IoUThreshold?

  @Option(help: "Fraction of assigned annotators (e.g. 0.5) or a vote count (e.g. 2) (default: the task's).")
  var quorum: String?

  @Option(help: "weighted (Dawid–Skene) or majority.")
  var method: String?

  @Option(help: "Posterior an object needs under the weighted method.")
  var minConfidence: Double?

  @Option(help: "A reference layer (WGS84 GeoJSON) to score the agreed objects against.")
  var truth: String?

  @OptionGroup var progress: ProgressOption

  @Flag(help: "Print the run's annotator report as JSON.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let quorum = try quorum.map { text in
      guard let quorum = Quorum(text) else {
        throw SwathFailure("--quorum '\(text)': expected a fraction in (0, 1) or a whole number of votes")
      }
      return quorum
    }
    let method = try method.map { text in
      guard let method = ConsensusMethod(rawValue: text) else {
        throw SwathFailure(
          "--method '\(text)': expected \(ConsensusMethod.allCases.map(\.rawValue).joined(separator: " or "))"
        )
      }
      return method
    }
    let outcome = try workflowCall {
      try workspace.runConsensus(
        task: task, iou: iou, quorum: quorum, method: method, minConfidence: minConfidence,
        by: processCaller, progress: progress.reporter)
    }
    let score = try truth.map { path in
      try workflowCall {
        try workspace.score(
          run: outcome.run, truth: path, iou: outcome.report.iouThreshold, by: processCaller)
      }
    }
    let attributeScore = try truth.flatMap { path in
      try workflowCall {
        try workspace.attributeAccuracy(
          run: outcome.run, truth: path, iou: outcome.report.iouThreshold, by: processCaller)
      }
    }
    if json {
      FileHandle.standardOutput.write(Data(outcome.run.report.utf8))
      FileHandle.standardOutput.write(Data("\n".utf8))
      return
    }
    let report = outcome.report
    print(
      "consensus run #\(outcome.run.id!) of task '\(task)': \(outcome.accepted) object(s) agreed, \(outcome.rejected) below quorum, from \(outcome.run.submissionCount) accepted submission(s) of \(outcome.annotators) assigned annotator(s) (\(report.methodUsed.rawValue), IoU \(report.iouThreshold))"
    )
    if let overall = report.agreement.overall {
      print(String(format: "agreement between annotators (mean pairwise F1): %.3f", overall))
    }
    for entry in report.annotators {
      let f1 = entry.f1.map { String(format: "%.3f", $0) } ?? "-"
      let precision = entry.precision.map { String(format: "%.3f", $0) } ?? "-"
      let recall = entry.recall.map { String(format: "%.3f", $0) } ?? "-"
      // With a label schema: the share of their attribute values that agree with the vote.
      let attributes =
        entry.attributeValues == nil
        ? "" : "\tattributes " + (entry.attributeAgreement.map { String(format: "%.3f", $0) } ?? "-")
      print(
        "  \(entry.annotator)\tshapes \(entry.shapes)\tmatched \(entry.matched)\tmissed \(entry.missed)\textra \(entry.extra)\tprecision \(precision)\trecall \(recall)\tF1 \(f1)\(attributes)"
      )
    }
    for (name, entry) in (report.attributeAgreement ?? [:]).sorted(by: { $0.key < $1.key }) {
      let agreement = entry.agreement.map { String(format: "%.3f", $0) } ?? "-"
      let conflicts = report.conflicts["attribute:\(name)"] ?? 0
      print(
        "  attribute \(name)\tobjects \(entry.objects)\tvalues \(entry.values)\tagreement \(agreement)\tconflicts \(conflicts)"
      )
    }
    if let score {
      print(
        String(
          format:
            "against the truth: precision %.3f, recall %.3f, F1 %.3f, mean IoU %.3f (%d agreed, %d true, %d matched)",
          score.precision, score.recall, score.f1, score.meanIoU,
          score.truePositives + score.falsePositives, score.truePositives + score.falseNegatives,
          score.truePositives))
    }
    if let attributeScore, let overall = attributeScore.overall {
      let each = attributeScore.attributes.sorted { $0.key < $1.key }.compactMap { name, tally in
        tally.accuracy.map { "\(name) " + String(format: "%.3f", $0) }
      }
      print(
        String(format: "attributes against the truth: %.3f of the values right", overall)
          + " on the \(attributeScore.matched) matched objects (\(each.joined(separator: ", ")))")
    }
    if outcome.carriedDecisions > 0 || !outcome.unmatchedDecisions.isEmpty {
      print(
        "review decisions: \(outcome.carriedDecisions) carried to run #\(outcome.run.id!), \(outcome.unmatchedDecisions.count) match no object any more"
      )
      for decision in outcome.unmatchedDecisions {
        print(
          "  unmatched #\(decision.id!): run #\(decision.runId) object \(decision.objectIndex.map(String.init) ?? "-") \(decision.decision.rawValue) by \(decision.reviewer)"
        )
      }
    }
    if outcome.unsubmitted > 0 {
      FileHandle.standardError.write(
        Data(
          "swath: warning: \(outcome.unsubmitted) assignment(s) not submitted yet; quorum still counts those annotators\n"
            .utf8))
    }
  }
}
