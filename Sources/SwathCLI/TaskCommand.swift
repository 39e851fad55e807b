import ArgumentParser
import Foundation
import SwathGDAL
import SwathGeometry
import SwathSimulation
import SwathStore
import SwathWorkflow

struct TaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "task",
    abstract: "Create, assign, list, show and close tasks.",
    subcommands: [
      TaskCreateCommand.self, TaskAssignCommand.self, TaskListCommand.self, TaskShowCommand.self,
      TaskCloseCommand.self, TaskLabelsCommand.self, TaskSimulateCommand.self,
    ])
}

struct TaskAssignCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "assign",
    abstract: "Give every chip of a task `replicas` distinct annotators, load balanced.",
    discussion: """
      The least-loaded annotator goes first (ties by name, so the result is reproducible). Existing assignments are kept: running it again with more annotators only assigns what is still missing. With fewer annotators than replicas, chips get what there is and a warning says how many assignments are still missing.

      Example:
        swath task assign roofs --annotators ana,ben,chloe
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "Comma-separated annotator names.")
  var annotators: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let names = annotators.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingCharacters(in: .whitespaces)
    }
    let outcome = try workflowCall {
      try workspace.assign(task: task, annotators: names, by: processCaller)
    }
    if json {
      struct Output: Encodable {
        var task: String
        var added: [String: Int]
        var chips_short: Int
        var missing: Int
      }
      try printJSON(
        Output(
          task: task, added: outcome.added, chips_short: outcome.chipsShort,
          missing: outcome.missing))
    } else {
      let detail = outcome.added.keys.sorted().map { "\($0) +\(outcome.added[$0]!)" }
        .joined(separator: ", ")
      print("task '\(task)': \(outcome.totalAdded) new assignment(s) (\(detail))")
    }
    if outcome.missing > 0 {
      FileHandle.standardError.write(
        Data(
          "swath: warning: \(outcome.chipsShort) chip(s) still lack \(outcome.missing) assignment(s); add annotators and run again\n"
            .utf8))
    }
  }
}

struct TaskListCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "list",
    abstract: "List tasks with their progress.",
    discussion: """
      Example:
        swath task list --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Flag(help: "Print JSON instead of a table.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let tasks = try workflowCall { try workspace.taskSummaries(by: processCaller) }
    if json { return try printJSON(tasks) }
    if tasks.isEmpty { return print("no tasks (swath task create …)") }
    for task in tasks {
      print(
        "\(task.name)\t\(task.state)\timage=\(task.image)\tchips=\(task.chips)\tsubmitted=\(task.assignmentsSubmitted)/\(task.assignments)\tlabels=\(task.labels.joined(separator: ","))"
      )
    }
  }
}

struct TaskShowCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "show",
    abstract: "Show a task's parameters and progress.",
    discussion: """
      Example:
        swath task show roofs --json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let workspace = try self.workspace.open()
    let summary = try workflowCall {
      try workspace.taskSummary(named: task, by: processCaller)
    }
    if json { return try printJSON(summary) }
    print(
      """
      task:        \(summary.name) (\(summary.state))
      image:       \(summary.image)
      region:      \(summary.region)
      labels:      \(summary.labels.joined(separator: ", "))
      chips:       \(summary.chips) of \(summary.chipSize) px, overlap \(summary.overlap) px
      replicas:    \(summary.replicas)   iou: \(summary.iou)   quorum: \(summary.quorum)
      assignments: \(summary.assignmentsSubmitted) submitted of \(summary.assignments)
      submissions: \(summary.acceptedSubmissions) accepted, \(summary.rejectedSubmissions) rejected
      consensus:   \(summary.consensusRuns) run(s)
      review:      accept ≥ \(summary.review.accept), reject < \(summary.review.reject)
      created:     \(summary.createdAt)\(summary.closedAt.map { "\nclosed:      \($0)" } ?? "")
      """)
    if let instructions = summary.instructions {
      print(
        "instructions:\n"
          + instructions.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(
            separator: "\n"))
    }
  }
}

struct TaskCloseCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "close",
    abstract: "Close a task: it refuses further submissions and assignments.",
    discussion: """
      Example:
        swath task close roofs
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  func run() throws {
    let workspace = try self.workspace.open()
    let closed = try workflowCall {
      try workspace.closeTask(task, by: processCaller)
    }
    print("closed task '\(closed.name)'")
  }
}

struct TaskCreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Cut a region of a registered image into chips and record them as a task.",
    discussion: """
      REGION is `all`, a WGS84 box minlon,minlat,maxlon,maxlat, a pixel window px:x,y,width,height, or a GeoJSON file of polygons; only chips that intersect it and hold valid pixels are cut. With --chips precut (the default) the chips go to chips/TASK/ in the workspace (PNG with world files, plus chips.geojson); with --chips on-demand no file is written: the chips' grid, valid fractions and stretch are worked out from the scene (its mask read once) and `swath serve` renders each chip when it is asked for. Either way the task and its chips are recorded in one transaction once tiling has finished.

      Example:
        swath task create --image atlanta --region px:0,0,900,900 --labels building,vehicle --chip-size 512 --overlap 64 --replicas 3 --name roofs
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Option(help: "The registered image's name (swath image list).")
  var image: String

  @Option(help: "all, minlon,minlat,maxlon,maxlat, px:x,y,width,height, or a GeoJSON file.")
  var region: String

  @Option(help: "Comma-separated labels annotators may use (any shape, no attributes).")
  var labels: String?

  @Option(
    help: ArgumentHelp(
      "A label schema (Schemas/label-schema.schema.json): labels with their shapes, minimum area and attributes.",
      valueName: "file"))
  var labelsFile: String?

  @Option(help: "Chip width and height in pixels.")
  var chipSize = 512

  @Option(help: "Pixels shared by neighbouring chips.")
  var overlap = 64

  @Option(help: "Distinct annotators per chip.")
  var replicas = 3

  @Option(help: "IoU at which two annotators' shapes are the same object.")
  var iou = 0.5

  @Option(help: "Fraction of a chip's annotators that must agree on an object.")
  var quorum = 0.5

  @Option(help: "The task name (default: IMAGE-N).")
  var name: String?

  @Option(
    help:
      "assigned (chips assigned up front with `task assign`) or leased (annotators lease one chip at a time)."
  )
  var distribution: ChipDistribution = .assigned

  @Option(
    help:
      "precut (PNG files cut now, for annotators working from the folder) or on-demand (no files; `swath serve` renders each chip when asked)."
  )
  var chips: ChipSource = .precut

  @Option(help: "How long a lease lasts: seconds, or a number with s, m or h (e.g. 90m, 2h).")
  var leaseTime: LeaseTime = LeaseTime(seconds: 7200)

  @Option(help: "What annotators are asked to do, shown on their page (at most 10000 characters).")
  var instructions: String?

  @Option(help: ArgumentHelp("The instructions, read from a UTF-8 text file.", valueName: "file"))
  var instructionsFile: String?

  @OptionGroup var progress: ProgressOption

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func validate() throws {
    guard (labels == nil) != (labelsFile == nil) else {
      throw ValidationError("give the labels: --labels a,b or --labels-file schema.json (one of them)")
    }
    if instructions != nil, instructionsFile != nil {
      throw ValidationError(
        "give the instructions as --instructions TEXT or --instructions-file FILE, not both")
    }
  }

  func run() throws {
    let workspace = try self.workspace.open()
    let schema = try labelsFile.map { path in
      try workflowCall { try LabelSchemaFile.read(URL(fileURLWithPath: path)) }
    }
    let labelList =
      schema?.names ?? (labels ?? "").split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let taskName =
      try name ?? workflowCall { try workspace.defaultTaskName(forImage: image, by: processCaller) }
    var parameters = TaskParameters(
      name: taskName, imageName: image, region: region, labels: labelList, chipSize: chipSize,
      overlap: overlap, replicas: replicas, iou: iou, quorum: quorum, distribution: distribution,
      leaseSeconds: leaseTime.seconds)
    parameters.schema = schema
    parameters.instructions = instructions
    parameters.chips = chips
    if let instructionsFile {
      guard let text = String(data: try readFileArgument(instructionsFile), encoding: .utf8) else {
        throw SwathFailure("\(instructionsFile): the instructions are not UTF-8 text")
      }
      parameters.instructions = text
    }
    let outcome = try workflowCall {
      try workspace.createTask(parameters, by: processCaller, progress: progress.reporter) { warning in
        FileHandle.standardError.write(Data("swath: warning: \(warning)\n".utf8))
      }
    }
    if json {
      let summary = try workflowCall {
        try workspace.taskSummary(named: outcome.task.name, by: processCaller)
      }
      return try printJSON(summary)
    }
    if outcome.task.chipSource == .onDemand {
      print(
        "created task '\(outcome.task.name)': \(outcome.chips) chip(s) of \(chipSize) px, rendered on demand by swath serve"
      )
      return
    }
    print(
      "created task '\(outcome.task.name)': \(outcome.chips) chip(s) of \(chipSize) px in \(workspace.folder.appendingPathComponent(outcome.task.chipDirectory).path)"
    )
  }
}

struct TaskSimulateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "simulate",
    abstract: "Simulate a task's annotators from known truth: one GeoJSON file per assigned chip.",
    discussion: """
      For demos, tests and rehearsals. Each annotator assigned to the task labels the truth (WGS84 GeoJSON of polygons with a "label" property) with a realistic error profile from the panel simulator (missed objects, vertex jitter, shifts, false positives, label confusion, careless splits and duplicates) and draws, on each of their chips, the shapes whose centre lies in it: shapes in chip overlaps are drawn once per chip. Files go to OUT/ANNOTATOR/CHIP.geojson with a manifest OUT/manifest.tsv (annotator, chip, file, pixel) listing the `swath submit` calls to make. --pixel-annotators write chip pixel column/row instead of longitude/latitude; --invalid-annotator gets one file with a self-intersecting polygon.

      Example:
        swath task simulate roofs --truth Tiles/truth.geojson --out out/panel --profiles careful,average,weak --pixel-annotators ben --invalid-annotator chloe
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: "WGS84 GeoJSON of the true objects.")
  var truth: String

  @Option(help: "Folder for the simulated files.")
  var out: String

  @Option(
    help:
      "careful, average, weak or empty per annotator, in name order (default: careful,average,… alternating)."
  )
  var profiles: String?

  @Option(help: "Annotators whose files use chip pixel coordinates.")
  var pixelAnnotators: String = ""

  @Option(help: "An annotator one of whose files is invalid.")
  var invalidAnnotator: String?

  @Option(help: "Random seed: the same seed gives the same files.")
  var seed: UInt64 = 7

  func run() throws {
    let workspace = try self.workspace.open()
    let skills = try profiles.map { list in
      try list.split(separator: ",").map { name in
        guard let skill = SimulatedSkill(rawValue: String(name)) else {
          throw SwathFailure("--profiles '\(name)': expected careful, average, weak or empty")
        }
        return skill
      }
    }
    let outcome = try workflowCall {
      try workspace.simulatePanel(
        task: task, truth: truth, out: out, profiles: skills,
        pixelAnnotators: Set(pixelAnnotators.split(separator: ",").map(String.init)),
        invalidAnnotator: invalidAnnotator, seed: seed, by: processCaller)
    }
    print(
      "simulated \(outcome.files) file(s) for \(outcome.annotators.count) annotator(s) (\(outcome.annotators.joined(separator: ", "))) from \(outcome.truthObjects) true object(s); manifest \(outcome.manifest)"
    )
  }
}

struct TaskLabelsCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "labels",
    abstract: "Print a task's label schema, or replace it with --labels-file.",
    discussion: """
      Before any submission every change is allowed. Once answers exist, only changes they all still fit: adding labels or optional attributes, widening ranges, adding enum values, changing display names and colours. Removing or renaming a label or attribute, narrowing a range or a label's shapes, or raising a minimum area is refused, naming each change.

      Example:
        swath task labels roofs --labels-file roofs-labels.json
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Argument(help: "The task name.")
  var task: String

  @Option(help: ArgumentHelp("The new label schema.", valueName: "file"))
  var labelsFile: String?

  func run() throws {
    let workspace = try self.workspace.open()
    if let labelsFile {
      let schema = try workflowCall { try LabelSchemaFile.read(URL(fileURLWithPath: labelsFile)) }
      let changed = try workflowCall {
        try workspace.changeLabelSchema(ofTask: task, to: schema, by: processCaller)
      }
      print("task '\(changed.name)': labels \(changed.labels.joined(separator: ", "))")
      return
    }
    let schema = try workflowCall { try workspace.labelSchema(ofTask: task, by: processCaller) }
    print(schema.json.jsonText(format: .pretty))
  }
}
