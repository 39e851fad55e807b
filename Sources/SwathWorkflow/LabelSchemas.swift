import Foundation
import SwathGeometry
import SwathStore

extension TaskRecord {
  /// The task's label schema: its document, or its names as a schema without attributes.
  public func schema() throws -> LabelSchema {
    guard let labelSchema else { return .names(labels) }
    do {
      return try LabelSchema(data: Data(labelSchema.utf8))
    } catch {
      throw WorkflowError("task '\(name)' has an unreadable label schema: \(error)", kind: .environment)
    }
  }

  /// The schema submissions are checked against: nil for a task given names only, whose
  /// features may carry any other properties.
  func validationSchema() throws -> LabelSchema? { labelSchema == nil ? nil : try schema() }
}

extension Workspace {
  /// A task's label schema (names only when it was made with `--labels`). Annotators see it for
  /// the open tasks they can work on (leased ones, or those with chips assigned to them); any
  /// other task does not exist for them.
  public func labelSchema(ofTask name: String, by caller: Caller) throws -> LabelSchema {
    try store.read { store in
      // Reviewers relabel and correct attributes of any task's objects: they need its schema.
      if caller.role.may(.viewTaskStatus) || caller.role.may(.review) {
        return try store.requireTask(named: name).schema()
      }
      guard caller.role.may(.annotate) else {
        throw WorkflowError("\(caller.name) (\(caller.role.rawValue)) may not see tasks", kind: .forbidden)
      }
      guard let task = try store.task(named: name), task.state == .open,
        try task.distribution == .leased
          || store.assignments(ofTask: task.id!).contains(where: { $0.annotator == caller.name })
      else { throw WorkflowError("no task named '\(name)'", kind: .notFound) }
      return try task.schema()
    }
  }

  /// Replaces a task's label schema. Before any submission every change is allowed; after, only
  /// changes every answer already given still fits (labels and optional attributes added,
  /// ranges and enums widened, names and colours for display changed).
  public func changeLabelSchema(ofTask name: String, to schema: LabelSchema, by caller: Caller) throws
    -> TaskRecord
  {
    try caller.require(.manageTasks)
    return try store.write { store in
      var task = try store.requireTask(named: name)
      guard task.state == .open else { throw WorkflowError("task '\(name)' is closed", kind: .conflict) }
      let old = try task.schema()
      if try !store.submissionSummaries(ofTask: task.id!).isEmpty {
        let problems = schema.incompatibilities(replacing: old)
        if !problems.isEmpty {
          throw WorkflowError(
            "task '\(name)' has submissions, and answers given under its schema would no longer fit: "
              + problems.joined(separator: "; "), kind: .conflict)
        }
      }
      task.labels = schema.names
      task.labelSchema = schema.json.jsonText
      try store.update(task)
      try store.audit(
        actor: caller.name, command: caller.command, action: "task.labels",
        detail: "\(task.name) labels=\(schema.names.joined(separator: ","))")
      return task
    }
  }
}

/// A label schema document on disk (`--labels-file`, `--schema`).
public enum LabelSchemaFile {
  public static func read(_ url: URL) throws -> LabelSchema {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
      throw WorkflowError(
        "\(url.path): cannot read the label schema (\(error.localizedDescription))", kind: .environment)
    }
    do { return try LabelSchema(data: data) } catch {
      throw WorkflowError("\(url.path): \(error)")
    }
  }
}
