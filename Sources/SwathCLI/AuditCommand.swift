import ArgumentParser
import Foundation
import SwathWorkflow

/// `swath audit`: who did what, when, optionally for one user, one task or a time range.
struct AuditCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "audit",
    abstract: "Show the audit log: who did what and when.",
    discussion: """
      Examples:
        swath audit --task roofs
        swath audit --user ana --since 2026-12-01T00:00:00Z --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Option(help: "Only this user's entries.")
  var user: String?

  @Option(help: "Only entries about this task.")
  var task: String?

  @Option(help: "From this time on (ISO 8601 UTC, e.g. 2026-12-01T00:00:00Z).")
  var since: String?

  @Option(help: "Before this time (ISO 8601 UTC).")
  var until: String?

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let entries = try workflowCall {
      try workspace.auditLog(user: user, task: task, since: since, until: until, by: processCaller)
    }
    if json { return try printJSON(entries) }
    for entry in entries {
      print("\(entry.at)\t\(entry.actor)\t\(entry.action)\t\(entry.detail)")
    }
  }
}

/// `swath submissions`: an annotator's own submissions in a task, with their validation reports.
struct SubmissionsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "submissions",
    abstract: "List an annotator's submissions in a task, with their status and validation report.")

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "The annotator.")
  var annotator: String

  @Flag(help: "Print JSON (with each validation report) instead of text.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let mine = try workflowCall { try workspace.submissions(of: annotator, task: task, by: processCaller) }
    if json { return try printJSON(mine) }
    for submission in mine {
      print(
        "#\(submission.id)\t\(submission.chip ?? "-")\t\(submission.status)\t\(submission.receivedAt)"
          + (submission.reason.map { "\t\($0)" } ?? ""))
    }
  }
}
