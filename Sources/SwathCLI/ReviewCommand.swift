import ArgumentParser
import Foundation
import SwathGeometry
import SwathStore
import SwathWorkflow

extension ChipVerdict: ExpressibleByArgument {}

/// `swath review`: reviewers lease the least certain objects of the latest consensus run, decide
/// them, validate chips; analysts list the states and set the thresholds.
struct ReviewCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "review",
    abstract: "Review the latest consensus run: objects, decisions, chips.",
    discussion: """
      Examples:
        swath review list roofs
        swath review thresholds roofs --accept 0.9 --reject 0.2
        swath review next roofs --reviewer rita
        swath review next roofs --chip --reviewer rita
        swath review release roofs 12 --reviewer rita
        swath review decide roofs 4-17 reject --reason duplicate --reviewer rita
        swath review decide roofs 4-18 relabel --label vehicle --reviewer rita
        swath review decide roofs 4-19 geometry --feature fixed.geojson --chip r0000_c0001 --reviewer rita
        swath review add roofs missed.geojson --reviewer rita
        swath review chip roofs r0002_c0003 invalidated --comment "the sheds are missing" --reviewer rita
      """,
    subcommands: [List.self, Thresholds.self, Next.self, Release.self, Decide.self, Add.self, Chip.self])

  struct ReviewerOption: ParsableArguments {
    @Option(help: "The reviewer (a registered reviewer or admin).")
    var reviewer: String

    func caller(_ workspace: Workspace) throws -> Caller {
      try workflowCall {
        try workspace.reviewer(named: reviewer, command: commandLineForAudit, by: processCaller)
      }
    }
  }

  struct List: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Each object of the latest run: id, state, confidence, label, decision.")
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String

    func run() throws {
      let workspace = try self.workspace.open()
      let listing = try workflowCall { try workspace.reviewList(task: task, by: processCaller) }
      print(
        "run #\(listing.run.id!): accept >= \(listing.thresholds.accept), reject < \(listing.thresholds.reject)"
      )
      for object in listing.objects {
        let decision = object.decision.map { d in
          "\(d.decision.rawValue)\(d.reason.map { " (\($0))" } ?? "") by \(d.reviewer)"
        }
        print(
          [
            object.id, object.state.rawValue, String(format: "%.3f", object.confidence), object.label ?? "-",
            decision ?? "-",
          ].joined(separator: "\t"))
      }
      for added in listing.added {
        print("added\t#\(added.id!)\t\(added.label ?? "-")\tby \(added.reviewer)")
      }
      for decision in listing.unmatched {
        print(
          "unmatched\t#\(decision.id!)\trun #\(decision.runId) object \(decision.objectIndex.map(String.init) ?? "-")\t\(decision.decision.rawValue) by \(decision.reviewer)"
        )
      }
      for review in listing.chipReviews {
        print(
          "chip\t\(listing.chipKeys[review.chipId] ?? "?")\t\(review.verdict.rawValue)\t\(review.comment ?? "")\tby \(review.reviewer)"
        )
      }
    }
  }

  struct Thresholds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show or set the task's review thresholds.")
    @OptionGroup var workspace: WorkspaceOption
    @Argument(help: "The task name.") var task: String
    @Option(help: "Confidence at or above which an object without a conflict is accepted without review.")
    var accept: Double?
    @Option(help: "Confidence below which an object without a conflict is rejected without review.")
    var reject: Double?

    func run() throws {
      let workspace = try self.workspace.open()
      if accept != nil || reject != nil {
        try workflowCall {
          let now = try workspace.reviewThresholds(task: task, by: processCaller)
          try workspace.setReviewThresholds(
            task: task, try Review.Thresholds(accept: accept ?? now.accept, reject: reject ?? now.reject),
            by: processCaller)
        }
      }
      let thresholds = try workflowCall { try workspace.reviewThresholds(task: task, by: processCaller) }
      print("accept >= \(thresholds.accept), reject < \(thresholds.reject)")
    }
  }

  struct Next: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Lease the reviewer the least certain object that needs a review.")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var reviewer: ReviewerOption
    @Argument(help: "The task name.") var task: String
    @Flag(help: "The next chip to validate instead (the most objects needing a review first).")
    var chip = false

    func run() throws {
      let workspace = try self.workspace.open()
      let caller = try reviewer.caller(workspace)
      if chip {
        let next = try workflowCall {
          try workspace.nextChipToValidate(task: task, reviewer: caller.name, by: caller)
        }
        guard let next else {
          print("no chip of task '\(task)' is waiting for \(caller.name) to validate it")
          return
        }
        print("chip \(next.chip) (\(next.needsReview) object(s) needing a review)")
        return
      }
      let next = try workflowCall { try workspace.nextReview(task: task, reviewer: caller.name, by: caller) }
      guard let (object, lease) = next else {
        print("nothing needs a review from \(caller.name) in task '\(task)'")
        return
      }
      print(
        "object \(object.id) (\(object.label ?? "-"), confidence \(String(format: "%.3f", object.confidence)), chips \(object.chips.joined(separator: ",")), conflicts \(object.conflicts.joined(separator: ",")))"
      )
      print("lease #\(lease.id!) to \(caller.name) until \(lease.expiresAt)")
    }
  }

  enum DecisionKind: String, ExpressibleByArgument, CaseIterable {
    case accept, reject, relabel, attributes, geometry
  }

  struct Decide: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Decide an object (RUN-INDEX) of the latest run.")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var reviewer: ReviewerOption
    @Argument(help: "The task name.") var task: String
    @Argument(help: "The object id, RUN-INDEX (from list or next).") var object: String
    @Argument(help: "accept, reject, relabel, attributes or geometry.") var decision: DecisionKind
    @Option(help: "reject: not_an_object, duplicate, wrong_label, bad_geometry or free text.")
    var reason: String?
    @Option(help: "relabel: the new label.") var label: String?
    @Option(help: "attributes: a JSON object of the new values, e.g. '{\"roof\": \"flat\"}'.")
    var attributes: String?
    @Option(help: "geometry: a GeoJSON file with one feature, as an annotator would submit it.")
    var feature: String?
    @Option(help: "geometry: the feature is in this chip's pixels.") var chip: String?

    func validate() throws {
      switch decision {
      case .reject where reason == nil: throw ValidationError("reject needs --reason")
      case .relabel where label == nil: throw ValidationError("relabel needs --label")
      case .attributes where attributes == nil: throw ValidationError("attributes needs --attributes")
      case .geometry where feature == nil: throw ValidationError("geometry needs --feature FILE")
      default: break
      }
    }

    func run() throws {
      let workspace = try self.workspace.open()
      let caller = try reviewer.caller(workspace)
      let choice: Review.Decision
      switch decision {
      case .accept: choice = .accept
      case .reject: choice = .reject(reason: reason!)
      case .relabel: choice = .relabel(label!)
      case .attributes:
        guard let values = (try? JSONValue(parsing: Data(attributes!.utf8)))?.objectValue else {
          throw ValidationError("--attributes must be a JSON object")
        }
        choice = .attributes(values)
      case .geometry:
        choice = .geometry(try readFileArgument(feature!), pixelChip: chip)
      }
      let record = try workflowCall { try workspace.decide(task: task, object: object, choice, by: caller) }
      print(
        "object \(object): \(record.decision.rawValue) by \(record.reviewer)\(record.overridden ? " (override)" : "")"
      )
    }
  }

  struct Release: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Give a review lease back undecided; the reviewer's next object is another one.")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var reviewer: ReviewerOption
    @Argument(help: "The task name.") var task: String
    @Argument(help: "The lease id, as 'swath review next' printed it.") var lease: Int64

    func run() throws {
      let workspace = try self.workspace.open()
      let caller = try reviewer.caller(workspace)
      let released = try workflowCall {
        try workspace.releaseReviewLease(task: task, lease: lease, by: caller)
      }
      print("released lease #\(lease) on object \(released.object) (\(released.lease.reviewer))")
    }
  }

  struct Add: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Add an object every annotator missed.")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var reviewer: ReviewerOption
    @Argument(help: "The task name.") var task: String
    @Argument(help: "A GeoJSON file with one feature, as an annotator would submit it.") var file: String
    @Option(help: "The feature is in this chip's pixels.") var chip: String?

    func run() throws {
      let workspace = try self.workspace.open()
      let caller = try reviewer.caller(workspace)
      let data = try readFileArgument(file)
      let record = try workflowCall { try workspace.addObject(task: task, data, pixelChip: chip, by: caller) }
      print("added #\(record.id!) (\(record.label ?? "-")) to run #\(record.runId) by \(record.reviewer)")
    }
  }

  struct Chip: ParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Mark a chip validated, or invalidated with a comment (back to annotation).")
    @OptionGroup var workspace: WorkspaceOption
    @OptionGroup var reviewer: ReviewerOption
    @Argument(help: "The task name.") var task: String
    @Argument(help: "The chip id, e.g. r0002_c0003.") var chip: String
    @Argument(help: "validated or invalidated.") var verdict: ChipVerdict
    @Option(help: "Why (required to invalidate): shown to the next annotator.") var comment: String?

    func run() throws {
      let workspace = try self.workspace.open()
      let caller = try reviewer.caller(workspace)
      let review = try workflowCall {
        try workspace.reviewChip(task: task, chip: chip, verdict: verdict, comment: comment, by: caller)
      }
      print("chip \(chip) of task '\(task)' \(review.verdict.rawValue) by \(review.reviewer)")
    }
  }
}
