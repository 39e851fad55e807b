import ArgumentParser
import Foundation
import SwathStore
import SwathWorkflow

/// `swath lease`: the next chip of a leased task for an annotator, and extending or releasing it.
struct LeaseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lease",
    abstract: "Lease an annotator the next chip of a leased task that still needs an answer.",
    discussion: """
      Fewest answers first, then chip order; one running lease per annotator and task (asking again shows it). The lease ends when the annotator submits for the chip, releases it, or its time runs out; then the chip returns to the pool.

      Examples:
        swath lease roofs --annotator ana
        swath lease roofs --annotator ana --extend 12
        swath lease roofs --annotator ana --release 12
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "The annotator (a registered user).")
  var annotator: String

  @Option(help: "Extend this lease by the task's lease time.")
  var extend: Int64?

  @Option(help: "Release this lease.")
  var release: Int64?

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    if extend != nil && release != nil { throw ValidationError("give --extend or --release, not both") }
  }

  struct Output: Encodable {
    var id: Int64
    var task: String
    var chip: String
    var annotator: String
    var leased_at: String
    var expires_at: String
    var ended_at: String?
  }

  func run() throws {
    let workspace = try self.workspace.open()
    let lease: LeaseRecord? = try workflowCall {
      if let extend { return try workspace.extendLease(extend, by: processCaller) }
      if let release { return try workspace.releaseLease(release, by: processCaller) }
      return try workspace.lease(task: task, annotator: annotator, by: processCaller)
    }
    guard let lease else {
      if json { return print("null") }
      return print("no chip of task '\(task)' needs an answer from \(annotator) now")
    }
    let chip = try workflowCall { try workspace.chipKey(of: lease) }
    if json {
      return try printJSON(
        Output(
          id: lease.id!, task: task, chip: chip, annotator: lease.annotator, leased_at: lease.leasedAt,
          expires_at: lease.expiresAt, ended_at: lease.endedAt))
    }
    let state = lease.endedAt == nil ? "until \(lease.expiresAt)" : "released"
    print("lease #\(lease.id!): chip \(chip) of task '\(task)' for \(lease.annotator), \(state)")
  }
}
