import Foundation
import GRDB

/// `swath submit` from end to end: store, validate, finalise.
public enum SubmissionWorkflow {
  public struct Outcome: Sendable {
    public var results: [SubmissionResult]
    public var report: SubmissionProcessing.Report?
  }

  public static func submit(
    task: String, annotator: String, fileName: String, raw: Data, chip: String?, pixel: Bool,
    in store: Store, command: String
  ) throws -> Outcome {
    let id = try Submissions.receive(
      task: task, annotator: annotator, fileName: fileName, raw: raw, requestedChip: chip,
      pixelCoordinates: pixel, in: store, command: command)
    // Lets the robustness tests kill a process exactly between the two transactions.
    if let pause = ProcessInfo.processInfo.environment["SWATH_TEST_PAUSE_AFTER_RECEIVE"],
      let seconds = Double(pause)
    {
      Thread.sleep(forTimeInterval: seconds)
    }
    return try finish(id: id, in: store, command: command)
  }

  /// Validates a `received` row and stores the outcome; nil results when another process did.
  static func finish(id: Int64, in store: Store, command: String) throws -> Outcome {
    guard let row = try store.read({ db in try SubmissionRecord.fetchOne(db, key: id) }) else {
      throw StoreError("submission #\(id) vanished from the store")
    }
    let outcome = SubmissionProcessing.process(row, in: store)
    var report: SubmissionProcessing.Report?
    switch outcome {
    case .accepted(_, let text), .rejected(_, let text, _):
      report = try? JSONDecoder().decode(SubmissionProcessing.Report.self, from: Data(text.utf8))
    }
    let results = try Submissions.finalise(id: id, outcome: outcome, in: store, command: command)
    return Outcome(results: results ?? [], report: report)
  }

  /// Finishes the submissions that interrupted processes left `received`.
  public static func recoverStale(in store: Store) throws -> [SubmissionResult] {
    var recovered: [SubmissionResult] = []
    for row in try Submissions.stale(in: store) {
      recovered += try finish(id: row.id!, in: store, command: "recover").results
    }
    return recovered
  }
}
