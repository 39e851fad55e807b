import ArgumentParser
import Foundation
import SwathGeometry
import SwathWorkflow

extension GeometryPolicy: ExpressibleByArgument {}

/// `swath validate`: checks annotator GeoJSON, optionally writing a repaired copy.
struct ValidateCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "validate",
    abstract: "Validate annotator GeoJSON: structure, coordinates, OGC validity, area, labels.",
    discussion: """
      Prints each problem as `file:path: error|warning CODE: message`, then a summary.
      Exit status: 0 without errors, 1 with errors, 2 on usage or I/O errors.
      """)

  @Argument(help: "GeoJSON files to check.")
  var files: [String]

  @Option(help: "Allowed values of the `label` property, comma-separated (e.g. building,vehicle).")
  var labels: String?

  @Option(
    help: ArgumentHelp(
      "A task's label schema: labels, their shapes, minimum areas (m², lon/lat files) and attributes.",
      valueName: "file"))
  var schema: String?

  @Flag(help: "Coordinates are not longitude/latitude: skip range checks, measure areas in CRS units².")
  var planar = false

  @Option(help: "polygonal (annotator shapes only) or any (lint any GeoJSON geometry).")
  var geometry: GeometryPolicy = .polygonal

  @Option(name: .customLong("min-area"), help: "Smallest polygon area in m² (CRS units² with --planar).")
  var minArea: Double = 0.5

  @Option(
    name: .customLong("working-epsg"),
    help: "EPSG code of the CRS that bbox shapes must be aligned with (default: each shape's UTM zone).")
  var workingEPSG: Int?

  @Option(help: "Write a repaired copy to OUT (a directory when several FILEs are given).")
  var fix: String?

  @Flag(help: "Write the report as JSON (Schemas/validation-report.schema.json).")
  var json = false

  func validate() throws {
    guard !files.isEmpty else { throw ValidationError("give at least one GeoJSON FILE") }
    guard minArea.isFinite, minArea >= 0 else { throw ValidationError("--min-area must be a number ≥ 0") }
    if labels != nil && schema != nil { throw ValidationError("give --labels or --schema, not both") }
    if let labels, parsedLabels(labels).isEmpty {
      throw ValidationError("--labels needs at least one label, e.g. --labels building,vehicle")
    }
    if fix != nil && files.count > 1 {
      let names = files.map { URL(fileURLWithPath: $0).lastPathComponent }
      if Set(names).count != names.count {
        throw ValidationError("--fix with several FILEs writes OUT/<name>: the file names must differ")
      }
    }
  }

  /// What to do about a problem, in this command's flags: the validator itself names none.
  static let hints: [String: String] = [
    "area-below-minimum": "see --min-area",
    "longitude-out-of-range": "see --planar",
    "latitude-out-of-range": "see --planar",
  ]

  private func parsedLabels(_ text: String) -> Set<String> {
    Set(text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
  }

  func run() throws {
    var options = ValidationOptions(
      labels: labels.map(parsedLabels), planar: planar, geometry: geometry, minArea: minArea,
      workingEPSG: workingEPSG)
    options.parallelism = ProcessInfo.processInfo.activeProcessorCount
    if let schema {
      do {
        options.schema = try LabelSchemaFile.read(URL(fileURLWithPath: schema))
      } catch let error as WorkflowError {
        throw SwathFailure(error.message, exitCode: 2)
      }
    }
    let inputs = files.map { URL(fileURLWithPath: $0) }
    for input in inputs {
      var isDirectory: ObjCBool = false
      guard FileManager.default.fileExists(atPath: input.path, isDirectory: &isDirectory) else {
        throw SwathFailure("\(input.path): no such file", exitCode: 2)
      }
      guard !isDirectory.boolValue else { throw SwathFailure("\(input.path): is a directory", exitCode: 2) }
      guard FileManager.default.isReadableFile(atPath: input.path) else {
        throw SwathFailure("\(input.path): not readable", exitCode: 2)
      }
    }
    let outputs = try fixOutputs(for: inputs)

    let output = ReportPrinter(json: json)
    var report = ValidationReport(
      options: .init(
        labels: options.labels?.sorted(), planar: planar, geometry: geometry.rawValue, minArea: minArea),
      files: [], summary: .init())
    for (offset, input) in inputs.enumerated() {
      let fileReport = try validateFile(
        input, displayName: files[offset], options: options, fixOutput: outputs?[offset], output: output)
      report.summary.add(fileReport)
      if json { report.files.append(fileReport) }
    }
    report.summary.files = inputs.count
    report.summary.valid = report.summary.errors == 0
    if json {
      let data = try JSONValueEncoder().encodeData(report, format: .pretty)
      output.write(String(decoding: data, as: UTF8.self) + "\n")
    } else {
      let summary = report.summary
      output.write(
        "\(summary.files) file\(summary.files == 1 ? "" : "s"), \(summary.features) feature\(summary.features == 1 ? "" : "s"): \(summary.errors) error\(summary.errors == 1 ? "" : "s"), \(summary.warnings) warning\(summary.warnings == 1 ? "" : "s") (\(summary.invalidFeatures) invalid feature\(summary.invalidFeatures == 1 ? "" : "s")) — \(summary.valid ? "valid" : "INVALID")\n"
      )
    }
    output.flush()
    if report.summary.errors > 0 { throw ExitCode(1) }
  }

  /// Where each input's repaired copy goes; nil without --fix.
  private func fixOutputs(for inputs: [URL]) throws -> [URL]? {
    guard let fix else { return nil }
    let out = URL(fileURLWithPath: fix)
    if inputs.count == 1 {
      var isDirectory: ObjCBool = false
      if FileManager.default.fileExists(atPath: out.path, isDirectory: &isDirectory), isDirectory.boolValue {
        return [out.appendingPathComponent(inputs[0].lastPathComponent)]
      }
      let folder = out.deletingLastPathComponent()
      guard FileManager.default.isWritableFile(atPath: folder.path) else {
        throw SwathFailure(
          "cannot write \(out.path): folder \(folder.path) is missing or not writable", exitCode: 2)
      }
      if out.standardizedFileURL == inputs[0].standardizedFileURL {
        throw SwathFailure("--fix OUT must differ from the input file", exitCode: 2)
      }
      return [out]
    }
    do {
      try FileManager.default.createDirectory(at: out, withIntermediateDirectories: true)
    } catch {
      throw SwathFailure("cannot create folder \(out.path): \(error.localizedDescription)", exitCode: 2)
    }
    guard FileManager.default.isWritableFile(atPath: out.path) else {
      throw SwathFailure("cannot write into \(out.path)", exitCode: 2)
    }
    let targets = inputs.map { out.appendingPathComponent($0.lastPathComponent) }
    for (input, target) in zip(inputs, targets) where input.standardizedFileURL == target.standardizedFileURL
    {
      throw SwathFailure("--fix would overwrite its input \(input.path)", exitCode: 2)
    }
    return targets
  }

  /// Validates one file through the workflow, printing each problem and repair as it streams.
  private func validateFile(
    _ input: URL, displayName: String, options: ValidationOptions, fixOutput: URL?, output: ReportPrinter
  ) throws -> ValidationReport.File {
    let file: ValidationReport.File
    do {
      file = try FileValidation.validate(
        input, displayName: displayName, options: options, fixOutput: fixOutput, keepDetails: json,
        issue: { issue in
          guard !json else { return }
          let id = issue.featureID.map { " (feature id \"\($0)\")" } ?? ""
          let hint = Self.hints[issue.code].map { " [\($0)]" } ?? ""
          output.write(
            "\(displayName):\(issue.path): \(issue.severity.rawValue) \(issue.code): \(issue.message)\(id)\(hint)\n"
          )
        },
        repair: { repair in
          guard !json else { return }
          let id = repair.featureID.map { " (feature id \"\($0)\")" } ?? ""
          let what =
            repair.action == .omitted
            ? "left out: \(repair.reason ?? "")" : "repaired: \(repair.changes.joined(separator: "; "))"
          output.write("\(displayName):\(repair.path): fix \(what)\(id)\n")
        })
    } catch let error as WorkflowError {
      throw SwathFailure(error.message, exitCode: 2)
    }
    if !json, let fix = file.fix {
      if let unreadable = fix.unreadable, let path = fix.unreadablePath {
        output.write("\(displayName):\(path): fix left out: \(unreadable)\n")
      }
      output.write(
        "\(displayName): wrote \(fix.output): \(fix.written) features (\(fix.repaired) repaired), \(fix.omitted) left out\n"
      )
    }
    if !json {
      output.write(
        "\(displayName): \(file.features) feature\(file.features == 1 ? "" : "s"), \(file.errors) error\(file.errors == 1 ? "" : "s"), \(file.warnings) warning\(file.warnings == 1 ? "" : "s")\n"
      )
    }
    return file
  }
}

/// Buffered stdout: a file with 500,000 problems must not make 500,000 write calls.
final class ReportPrinter {
  private var buffer = ""
  private let json: Bool

  init(json: Bool) { self.json = json }

  func write(_ text: String) {
    buffer += text
    if buffer.utf8.count >= 1 << 16 { flush() }
  }

  func flush() {
    guard !buffer.isEmpty else { return }
    FileHandle.standardOutput.write(Data(buffer.utf8))
    buffer.removeAll(keepingCapacity: true)
  }
}
