import Foundation
import SwathGeometry

/// `swath validate` on one file: the validating reader streams its features, each problem and
/// each repair is handed to the caller as it is found (so a file with 500,000 problems is never
/// held whole), and with a fix output the repaired copy is written through an atomic writer.
public enum FileValidation {
  /// Validates `input`; `keepDetails` keeps every issue and repair in the returned report (the
  /// JSON report), otherwise only the counts.
  public static func validate(
    _ input: URL, displayName: String, options: ValidationOptions, fixOutput: URL?,
    keepDetails: Bool, issue: (ValidationIssue) -> Void, repair: (FeatureRepair) -> Void
  ) throws -> ValidationReport.File {
    var file = ValidationReport.File(file: displayName)
    var writer: GeoJSONFeatureStreamWriter?
    var fixReport: ValidationReport.Fix?
    if let fixOutput {
      do {
        writer = try GeoJSONFeatureStreamWriter(destination: fixOutput)
      } catch {
        throw WorkflowError("cannot write \(fixOutput.path): \(error)", kind: .environment)
      }
      fixReport = ValidationReport.Fix(output: fixOutput.path)
    }
    func record(_ found: ValidationIssue) {
      if found.severity == .error { file.errors += 1 } else { file.warnings += 1 }
      if keepDetails { file.issues.append(found) }
      issue(found)
    }
    let summary: GeoJSONDocumentSummary
    do {
      summary = try GeoJSONReader.forEachFeature(contentsOf: input, options: options) { feature in
        file.features += 1
        if !feature.isValid { file.invalidFeatures += 1 }
        for found in feature.issues { record(found) }
        guard let writer else { return }
        let repaired = FeatureFixer.repair(feature, options: options)
        if let kept = repaired.feature { try writer.write(kept) }
        fixReport!.count(repaired)
        if repaired.action != .kept {
          if keepDetails { fixReport!.features.append(ValidationReport.FixEntry(repaired)) }
          repair(repaired)
        }
      }
    } catch let error as GeoJSONReadError {
      writer?.discard()
      throw WorkflowError(error.message, kind: .environment)
    } catch {
      writer?.discard()
      throw WorkflowError("\(input.path): \(error)", kind: .environment)
    }
    for found in summary.documentIssues { record(found) }
    if let writer, var fixReport {
      if let syntax = summary.documentIssues.first(where: { $0.code == "invalid-json" }) {
        fixReport.unreadable =
          "everything from line \(syntax.line ?? 0), column \(syntax.column ?? 0) on is not valid JSON and is left out"
        fixReport.unreadablePath = syntax.path
      }
      do {
        try writer.commit(foreignMembers: summary.foreignMembers)
      } catch {
        throw WorkflowError("\(error)", kind: .environment)
      }
      file.fix = fixReport
    }
    return file
  }
}

/// The `--json` report (Schemas/validation-report.schema.json).
public struct ValidationReport: Encodable, Sendable {
  public struct Options: Encodable, Sendable {
    public var labels: [String]?
    public var planar: Bool
    public var geometry: String
    public var minArea: Double

    public func encode(to encoder: Encoder) throws {
      var container = encoder.container(keyedBy: CodingKeys.self)
      try container.encode(labels, forKey: .labels)  // explicit null when not checked
      try container.encode(planar, forKey: .planar)
      try container.encode(geometry, forKey: .geometry)
      try container.encode(minArea, forKey: .minArea)
    }
    enum CodingKeys: String, CodingKey { case labels, planar, geometry, minArea }

    public init(labels: [String]?, planar: Bool, geometry: String, minArea: Double) {
      self.labels = labels
      self.planar = planar
      self.geometry = geometry
      self.minArea = minArea
    }
  }

  public struct File: Encodable, Sendable {
    public var file: String
    public var features = 0
    public var invalidFeatures = 0
    public var errors = 0
    public var warnings = 0
    public var issues: [ValidationIssue] = []
    public var fix: Fix?
  }

  public struct Fix: Encodable, Sendable {
    public var output: String
    public var written = 0
    public var repaired = 0
    public var omitted = 0
    public var unreadable: String?
    public var features: [FixEntry] = []
    /// Where the unreadable rest starts (for text output; not part of the JSON report).
    public var unreadablePath: String?

    enum CodingKeys: String, CodingKey {
      case output, written, repaired, omitted, unreadable, features
    }

    mutating func count(_ repair: FeatureRepair) {
      switch repair.action {
      case .kept: written += 1
      case .repaired:
        written += 1
        repaired += 1
      case .omitted: omitted += 1
      }
    }
  }

  public struct FixEntry: Encodable, Sendable {
    public var featureIndex: Int
    public var path: String
    public var featureID: String?
    public var action: String
    public var changes: [String]
    public var reason: String?

    init(_ repair: FeatureRepair) {
      featureIndex = repair.index
      path = repair.path
      featureID = repair.featureID
      action = repair.action.rawValue
      changes = repair.changes
      reason = repair.reason
    }
  }

  public struct Summary: Encodable, Sendable {
    public init() {}

    public var files = 0
    public var features = 0
    public var invalidFeatures = 0
    public var errors = 0
    public var warnings = 0
    public var valid = true

    public mutating func add(_ file: File) {
      features += file.features
      invalidFeatures += file.invalidFeatures
      errors += file.errors
      warnings += file.warnings
    }
  }

  public var tool = "swath validate"
  public var options: Options
  public var files: [File]
  public var summary: Summary

  public init(options: Options, files: [File] = [], summary: Summary = Summary()) {
    self.options = options
    self.files = files
    self.summary = summary
  }
}
