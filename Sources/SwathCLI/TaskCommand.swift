import ArgumentParser
import Foundation
import GRDB
import SwathGDAL
import SwathGeometry
import SwathSimulation
import SwathStore

struct TaskCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "task",
    abstract: "Create, assign, list, show and close tasks.",
    subcommands: [
      TaskCreateCommand.self, TaskAssignCommand.self, TaskListCommand.self, TaskShowCommand.self,
      TaskCloseCommand.self, TaskSimulateCommand.self,
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
    let store = try workspace.open()
    let names = annotators.split(separator: ",", omittingEmptySubsequences: false).map {
      String($0).trimmingCharacters(in: .whitespaces)
    }
    let outcome = try storeCall {
      try Assignments.assign(
        task: task, annotators: names, in: store, command: commandLineForAudit)
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
    let store = try workspace.open()
    let tasks = try storeCall { try TaskCatalog.summaries(in: store) }
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
    let store = try workspace.open()
    let summary = try storeCall {
      try store.read { db in try TaskCatalog.summary(of: TaskCatalog.find(task, in: db), in: db) }
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
      created:     \(summary.createdAt)\(summary.closedAt.map { "\nclosed:      \($0)" } ?? "")
      """)
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
    let store = try workspace.open()
    let closed = try storeCall {
      try TaskCatalog.close(task, in: store, command: commandLineForAudit)
    }
    print("closed task '\(closed.name)'")
  }
}

struct TaskCreateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "create",
    abstract: "Cut a region of a registered image into chips and record them as a task.",
    discussion: """
      REGION is `all`, a WGS84 box minlon,minlat,maxlon,maxlat, a pixel window px:x,y,width,height, or a GeoJSON file of polygons; only chips that intersect it and hold valid pixels are cut. The chips go to chips/TASK/ in the workspace (PNG with world files, plus chips.geojson); the task and its chips are recorded in one transaction once tiling has finished.

      Example:
        swath task create --image atlanta --region px:0,0,900,900 --labels building,vehicle --chip-size 512 --overlap 64 --replicas 3 --name roofs
      """)

  @OptionGroup var workspace: WorkspaceOption

  @Option(help: "The registered image's name (swath image list).")
  var image: String

  @Option(help: "all, minlon,minlat,maxlon,maxlat, px:x,y,width,height, or a GeoJSON file.")
  var region: String

  @Option(help: "Comma-separated labels annotators may use.")
  var labels: String

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

  @Flag(help: "Print JSON instead of text.")
  var json = false

  func run() throws {
    let store = try workspace.open()
    let labelList = labels.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    let taskName = try name ?? storeCall { try defaultName(in: store) }
    let parameters = TaskParameters(
      name: taskName, imageName: image, region: region, labels: labelList, chipSize: chipSize,
      overlap: overlap, replicas: replicas, iou: iou, quorum: quorum)
    let outcome = try storeCall {
      try TaskCreation.create(parameters, in: store, command: commandLineForAudit) { warning in
        FileHandle.standardError.write(Data("swath: warning: \(warning)\n".utf8))
      }
    }
    if json {
      let summary = try storeCall {
        try store.read { db in try TaskCatalog.summary(of: outcome.task, in: db) }
      }
      return try printJSON(summary)
    }
    print(
      "created task '\(outcome.task.name)': \(outcome.chips) chip(s) of \(chipSize) px in \(store.workspace.appendingPathComponent(outcome.task.chipDirectory).path)"
    )
  }

  private func defaultName(in store: Store) throws -> String {
    let existing = try store.read { db in
      try String.fetchAll(db, sql: "SELECT name FROM tasks")
    }
    var number = 1
    while existing.contains("\(image)-\(number)") { number += 1 }
    return "\(image)-\(number)"
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
    let store = try workspace.open()
    let outcome = try storeCall {
      try TaskSimulation.run(
        task: task, truth: truth, out: out, profiles: profiles,
        pixelAnnotators: Set(pixelAnnotators.split(separator: ",").map(String.init)),
        invalidAnnotator: invalidAnnotator, seed: seed, in: store)
    }
    print(
      "simulated \(outcome.files) file(s) for \(outcome.annotators.count) annotator(s) (\(outcome.annotators.joined(separator: ", "))) from \(outcome.truthObjects) true object(s); manifest \(outcome.manifest)"
    )
  }
}

/// The simulation behind `swath task simulate`.
enum TaskSimulation {
  static let labelSynonyms = ["shed": "building", "house": "building", "car": "vehicle", "truck": "vehicle"]

  struct Outcome {
    var files: Int
    var annotators: [String]
    var truthObjects: Int
    var manifest: String
  }

  static func run(
    task name: String, truth: String, out: String, profiles profileText: String?,
    pixelAnnotators: Set<String>, invalidAnnotator: String?, seed: UInt64, in store: Store
  ) throws -> Outcome {
    let (task, image, chips, assigned) = try store.read {
      db -> (TaskRecord, ImageRecord, [SwathStore.ChipRecord], [(Int64, String)]) in
      let task = try TaskCatalog.find(name, in: db)
      let image = try ImageRecord.fetchOne(db, key: task.imageId)!
      let chips = try SwathStore.ChipRecord.filter(Column("task_id") == task.id!)
        .order(Column("id")).fetchAll(db)
      let assigned = try Row.fetchAll(
        db,
        sql: """
          SELECT a.chip_id, a.annotator FROM assignments a JOIN chips c ON c.id = a.chip_id
          WHERE c.task_id = ? ORDER BY a.annotator, c.id
          """, arguments: [task.id!]
      ).map { ($0["chip_id"] as Int64, $0["annotator"] as String) }
      return (task, image, chips, assigned)
    }
    let annotators = Array(Set(assigned.map(\.1))).sorted()
    guard !annotators.isEmpty else {
      throw StoreError("task '\(name)' has no assignments (swath task assign \(name) --annotators …)")
    }
    guard let wkt = image.crsWkt, let transform = image.geotransform else {
      throw StoreError("image '\(image.name)' has no georeference")
    }
    for annotator in pixelAnnotators.union(invalidAnnotator.map { [$0] } ?? [])
    where !annotators.contains(annotator) {
      throw StoreError("'\(annotator)' has no chip in task '\(name)'")
    }
    let profileNames =
      profileText?.split(separator: ",").map(String.init)
      ?? annotators.indices.map { $0 % 2 == 0 ? "careful" : "average" }
    guard profileNames.count == annotators.count else {
      throw StoreError(
        "--profiles lists \(profileNames.count) profile(s) for \(annotators.count) annotator(s) (\(annotators.joined(separator: ",")))"
      )
    }
    let profiles = try zip(annotators, profileNames).map { annotator, profile -> AnnotatorProfile in
      switch profile {
      case "careful": return .careful(annotator)
      case "average": return .average(annotator)
      case "weak": return .weak(annotator)
      case "empty": return .empty(annotator)
      default: throw StoreError("--profiles '\(profile)': expected careful, average, weak or empty")
      }
    }

    let document = try GeoJSONReader.read(
      contentsOf: URL(fileURLWithPath: truth),
      options: ValidationOptions(labels: Set(task.labels), minArea: 0, parallelism: 1))
    let truthFeatures = document.features.filter(\.isValid).map(\.feature)
    guard !truthFeatures.isEmpty else {
      throw StoreError(
        "\(truth): no valid polygon with one of the task's labels (\(task.labels.joined(separator: ",")))")
    }
    // The image CRS is the working CRS: metres for the simulator, and the chips' own frame.
    let crs = try WorkingCRS(definition: wkt)
    let truthInImage = try truthFeatures.map { feature -> LabelFeature in
      var moved = feature
      moved.geometry = try crs.fromWGS84(feature.geometry)
      return moved
    }
    let imageTransform = GeoTransform(transform)
    let chipBoxes = Dictionary(
      uniqueKeysWithValues: chips.map { chip -> (Int64, BoundingBox) in
        let corners = [(0, 0), (chip.width, 0), (0, chip.height), (chip.width, chip.height)].map {
          imageTransform.apply(
            column: Double(chip.columnOffset + $0.0), row: Double(chip.rowOffset + $0.1))
        }
        return (
          chip.id!,
          BoundingBox(
            minX: corners.map(\.x).min()!, minY: corners.map(\.y).min()!,
            maxX: corners.map(\.x).max()!, maxY: corners.map(\.y).max()!)
        )
      })
    let extent = chipBoxes.values.reduce(chipBoxes.values.first!) { $0.union($1) }

    let outURL = URL(fileURLWithPath: out)
    try FileManager.default.createDirectory(at: outURL, withIntermediateDirectories: true)
    var manifest = "annotator\tchip\tfile\tpixel\n"
    var files = 0
    for (index, profile) in profiles.enumerated() {
      var random = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(index + 1))
      // An annotation tool offers only the task's labels: the simulator's finer ones map back.
      let drawn = PanelSimulator.annotate(
        truth: truthInImage, profile: profile, grid: nil, extent: extent, rng: &random
      ).map { feature in
        var mapped = feature
        if let label = feature.label, !task.labels.contains(label) {
          mapped.label = labelSynonyms[label].flatMap { task.labels.contains($0) ? $0 : nil } ?? label
        }
        return mapped
      }
      let folder = outURL.appendingPathComponent(profile.name)
      try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      var madeInvalid = false
      for (chipId, annotator) in assigned where annotator == profile.name {
        let chip = chips.first { $0.id == chipId }!
        let box = chipBoxes[chipId]!
        var features = drawn.filter { feature in
          guard let center = feature.geometry.envelope?.center else { return false }
          return box.minX <= center.x && center.x < box.maxX && box.minY <= center.y
            && center.y < box.maxY
        }
        let pixel = pixelAnnotators.contains(annotator)
        if pixel {
          guard let inverse = GeoTransform(chip.geotransform).inverted() else {
            throw StoreError("chip \(chip.chipKey) has a singular geotransform")
          }
          features = features.map { feature in
            var moved = feature
            moved.geometry = feature.geometry.mapPoints { point in
              let pixel = inverse.apply(column: point.x, row: point.y)
              return Point(pixel.x, pixel.y)
            }
            return moved
          }
        } else {
          features = try features.map { feature in
            var moved = feature
            moved.geometry = try crs.toWGS84(feature.geometry)
            return moved
          }
        }
        if annotator == invalidAnnotator, !madeInvalid, let first = features.first,
          let box = first.geometry.envelope
        {
          // A bow tie: the ring crosses itself, which the validator must refuse.
          madeInvalid = true
          var bowTie = first
          bowTie.geometry = MultiPolygon(
            Polygon(shell: [
              Point(box.minX, box.minY), Point(box.maxX, box.maxY), Point(box.maxX, box.minY),
              Point(box.minX, box.maxY), Point(box.minX, box.minY),
            ]))
          features.append(bowTie)
        }
        let file = folder.appendingPathComponent("\(chip.chipKey).geojson")
        try GeoJSONWriter.featureCollection(
          features: features, foreignMembers: ["annotator": .string(annotator)],
          decimals: pixel ? 3 : 9
        ).write(to: file)
        manifest += "\(annotator)\t\(chip.chipKey)\t\(file.path)\t\(pixel ? 1 : 0)\n"
        files += 1
      }
    }
    let manifestURL = outURL.appendingPathComponent("manifest.tsv")
    try Data(manifest.utf8).write(to: manifestURL)
    return Outcome(
      files: files, annotators: annotators, truthObjects: truthFeatures.count,
      manifest: manifestURL.path)
  }
}
