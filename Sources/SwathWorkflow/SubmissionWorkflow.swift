import Foundation
import SwathStore

/// What one submit did: one result per stored row, and the validation report.
public struct SubmissionOutcomeReport: Sendable {
  public var results: [SubmissionResult]
  public var report: SubmissionProcessing.Report?
  /// Submissions that interrupted processes had left `received`, finished first.
  public var recovered: [SubmissionResult] = []
}

extension Workspace {
  /// An annotator's file from end to end: first the submissions interrupted processes left
  /// half-done are finished; then the file is stored as received (its own transaction),
  /// validated, and the outcome stored (a second transaction). `received` is called between the
  /// two with the stored row's id: a front end can acknowledge receipt, a test can stop the
  /// process there.
  ///
  /// Only a registered, enabled annotator's work is taken, sent by that annotator (or by an
  /// admin acting for them, as the local CLI does).
  public func submit(
    task: String, annotator: String, fileName: String, raw: Data, chip: String?, pixel: Bool,
    by caller: Caller, received: (Int64) -> Void = { _ in }
  ) throws -> SubmissionOutcomeReport {
    try submit(
      task: task, annotator: annotator, fileName: fileName, raw: raw, chip: chip,
      coordinates: pixel ? .chipPixels : .lonLat, by: caller, received: received)
  }

  /// As `submit(…pixel:…)`, for a file in any coordinate frame: lon/lat, chip pixels (one chip
  /// per file) or the scene's own CRS.
  public func submit(
    task: String, annotator: String, fileName: String, raw: Data, chip: String?,
    coordinates: CoordinateFrame, by caller: Caller, received: (Int64) -> Void = { _ in }
  ) throws -> SubmissionOutcomeReport {
    let command = caller.command
    try Assignments.validateAnnotator(annotator)
    guard caller.mayActAs(annotator: annotator) else {
      throw WorkflowError("\(caller.name) may not submit for '\(annotator)'", kind: .forbidden)
    }
    _ = try store.read { store in try Users.requireAnnotator(annotator, in: store) }
    let recovered = try recoverStaleSubmissions()
    let id = try Submissions.receive(
      task: task, annotator: annotator, fileName: fileName, raw: raw, requestedChip: chip,
      coordinates: coordinates, in: store, command: command)
    received(id)
    var outcome = try finishSubmission(id: id, command: command)
    outcome.recovered = recovered
    return outcome
  }

  /// Validates a `received` row and stores the outcome; no results when another process did.
  func finishSubmission(id: Int64, command: String) throws -> SubmissionOutcomeReport {
    guard let row = try store.read({ store in try store.submission(id: id) }) else {
      throw WorkflowError("submission #\(id) vanished from the store", kind: .environment)
    }
    let outcome = SubmissionProcessing.process(row, in: store)
    var report: SubmissionProcessing.Report?
    switch outcome {
    case .accepted(_, let text), .rejected(_, let text, _):
      report = try? JSONDecoder().decode(SubmissionProcessing.Report.self, from: Data(text.utf8))
    }
    let results = try Submissions.finalise(
      id: id, annotator: row.annotator, outcome: outcome, in: store, command: command)
    return SubmissionOutcomeReport(results: results ?? [], report: report)
  }

  /// Finishes the submissions that interrupted processes left `received`.
  public func recoverStaleSubmissions() throws -> [SubmissionResult] {
    var recovered: [SubmissionResult] = []
    for row in try Submissions.stale(in: store) {
      recovered += try finishSubmission(id: row.id!, command: "recover").results
    }
    return recovered
  }
}
