import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// Validation of a received file and the chip(s) it belongs to; pure with respect to the store
/// (it only reads), so it can run again on a row a killed process left `received`.
public enum SubmissionProcessing {
  /// The validation report stored with every submission (and printed for invalid files).
  public struct Report: Codable, Sendable {
    public var valid: Bool
    public var errors: Int
    public var warnings: Int
    public var features: Int
    public var pixelCoordinates: Bool
    public var coordinates: CoordinateFrame
    public var chips: [String]
    public var reason: String?
    public var issues: [ValidationIssue]

    enum CodingKeys: String, CodingKey {
      case valid, errors, warnings, features, chips, reason, issues
      case pixelCoordinates = "pixel_coordinates"
      case coordinates
    }

    func json() -> String {
      (try? String(decoding: JSONValueEncoder().encodeData(self), as: UTF8.self)) ?? "{}"
    }
  }

  struct Context {
    var task: TaskRecord
    var image: ImageRecord
    var assigned: [ChipRecord]
    var requested: ChipRecord?
    /// Every chip of the task, or only the requested one when the file names a chip.
    var allChips: [ChipRecord]
  }

  static func process(_ row: SubmissionRecord, in store: any ProjectStore) -> SubmissionOutcome {
    var report = Report(
      valid: false, errors: 0, warnings: 0, features: 0, pixelCoordinates: row.pixelCoordinates,
      coordinates: row.coordinates,
      chips: [], reason: nil, issues: [])
    func reject(_ reason: String, chip: Int64? = nil) -> SubmissionOutcome {
      report.reason = reason
      return .rejected(reason: reason, report: report.json(), chipId: chip)
    }
    do {
      let context = try store.read { store -> Context in
        guard let task = try store.task(id: row.taskId) else {
          throw WorkflowError("submission #\(row.id ?? 0) refers to a missing task", kind: .environment)
        }
        let image = try store.requireImage(of: task)
        // A file for a named chip needs only that chip; the others are read only to place a
        // lon/lat or image-CRS file.
        let requested = try row.requestedChip.flatMap { key in try store.chip(taskId: row.taskId, key: key) }
        let allChips =
          row.requestedChip == nil ? try store.chips(ofTask: row.taskId) : requested.map { [$0] } ?? []
        // Leased tasks take a file for the chips the annotator held a lease on when it arrived.
        let assignedIds =
          task.distribution == .leased
          ? try Leases.chipsLeased(to: row.annotator, in: task, at: row.receivedAt, store: store)
          : Set(
            try store.assignments(ofTask: row.taskId).filter { $0.annotator == row.annotator }.map(\.chipId))
        return Context(
          task: task, image: image, assigned: allChips.filter { assignedIds.contains($0.id!) },
          requested: requested, allChips: allChips)
      }
      let task = context.task
      guard task.state == .open else { return reject("task '\(task.name)' is closed") }
      if let key = row.requestedChip {
        guard let chip = context.requested else {
          return reject("task '\(task.name)' has no chip '\(key)'")
        }
        guard context.assigned.contains(where: { $0.id == chip.id }) else {
          let relation = task.distribution == .leased ? "holds no running lease on" : "is not assigned to"
          return reject(
            "annotator '\(row.annotator)' \(relation) chip '\(key)' of task '\(task.name)'", chip: chip.id)
        }
      } else if row.coordinates == .chipPixels {
        return reject("pixel coordinates belong to one chip: name the chip they are in")
      }
      guard !context.assigned.isEmpty else {
        return reject("annotator '\(row.annotator)' has no chip assigned in task '\(task.name)'")
      }

      guard let wkt = context.image.crsWkt, let imageTransform = context.image.geotransform else {
        return reject("image '\(context.image.name)' has no georeference")
      }
      let imageCRS = try SpatialReference(definition: wkt)
      var options = ValidationOptions(
        labels: Set(task.labels), planar: row.coordinates != .lonLat, workingEPSG: context.image.epsg,
        parallelism: 1)
      let schema = try task.validationSchema()
      options.schema = schema
      if schema != nil {
        options.squareMetresPerPlanarUnit = Self.squareMetresPerUnit(
          row.coordinates, crs: imageCRS, image: imageTransform, chip: context.requested?.geotransform)
      }
      let document = GeoJSONReader.read(data: row.raw, options: options)
      report.issues = document.issues
      report.errors = document.errorCount
      report.warnings = document.warningCount
      report.features = document.features.count
      guard document.isValid else {
        return reject(invalidReason(document, labels: task.labels), chip: context.requested?.id)
      }

      let toWGS84 = try CoordinateTransform(from: imageCRS, to: SpatialReference.wgs84())
      let fromWGS84 = try CoordinateTransform(from: SpatialReference.wgs84(), to: imageCRS)
      let imageGeoTransform = GeoTransform(imageTransform)

      // Every feature both in the image CRS (planar, for chip overlap) and in WGS84 (stored).
      var inImage: [MultiPolygon] = []
      var inWGS84: [MultiPolygon] = []
      for validated in document.features {
        let geometry = validated.feature.geometry
        switch row.coordinates {
        case .chipPixels:
          guard let chip = context.requested else { return reject("pixel coordinates need a chip") }
          let chipTransform = GeoTransform(chip.geotransform)
          let projected = geometry.mapPoints { point in
            let mapped = chipTransform.apply(column: point.x, row: point.y)
            return Point(mapped.x, mapped.y)
          }
          inImage.append(projected)
          inWGS84.append(try Reprojection.apply(projected, toWGS84))
        case .imageCRS:
          inImage.append(geometry)
          inWGS84.append(try Reprojection.apply(geometry, toWGS84))
        case .lonLat:
          inWGS84.append(geometry)
          inImage.append(try Reprojection.apply(geometry, fromWGS84))
        }
      }

      let rectangles = Dictionary(
        uniqueKeysWithValues: try context.allChips.map {
          ($0.id!, MultiPolygon(Polygon(shell: try $0.outline(in: imageGeoTransform))))
        })
      var parts: [Int64: [AcceptedFeature]] = [:]
      var order: [Int64] = []
      if let chip = context.requested { order.append(chip.id!) }
      for (index, validated) in document.features.enumerated() {
        let name = featureName(validated)
        let candidates = context.requested.map { [$0] } ?? context.assigned
        var best: (chip: ChipRecord, area: Double)?
        for chip in candidates {
          let area = try overlapArea(inImage[index], rectangles[chip.id!]!)
          if area > 0, area > (best?.area ?? 0) { best = (chip, area) }
        }
        guard let best else {
          if let chip = context.requested {
            return reject("\(name) lies wholly outside chip '\(chip.chipKey)'", chip: chip.id)
          }
          for chip in context.allChips where try overlapArea(inImage[index], rectangles[chip.id!]!) > 0 {
            return reject(
              "\(name) lies in chip '\(chip.chipKey)', which is not assigned to annotator '\(row.annotator)'"
            )
          }
          return reject("\(name) lies outside every chip of task '\(task.name)'")
        }
        let chipId = best.chip.id!
        if parts[chipId] == nil, !order.contains(chipId) { order.append(chipId) }
        parts[chipId, default: []].append(
          AcceptedFeature(
            index: validated.index, label: validated.feature.label,
            shape: validated.feature.shape.rawValue,
            geometry: GeoJSONGeometry.text(inWGS84[index]),
            attributes: schema.map { _ in JSONValue.object(validated.feature.properties).jsonText }))
      }
      guard !order.isEmpty else {
        return reject("the file has no features; name the chip to report a chip with no objects")
      }
      report.valid = true
      report.chips = order.compactMap { id in context.allChips.first { $0.id == id }?.chipKey }
      return .accepted(
        parts: order.map { (chipId: $0, features: parts[$0] ?? []) }, report: report.json())
    } catch {
      return reject("cannot process the file: \(error)")
    }
  }

  /// m² per unit² of a planar file, for the label schema's `min_area`: a chip pixel's ground
  /// area, or one unit² of the scene's CRS (degrees² near the scene for a geographic one).
  static func squareMetresPerUnit(
    _ frame: CoordinateFrame, crs: SpatialReference, image: [Double], chip: [Double]?
  ) -> Double? {
    let unitArea: Double
    if crs.isGeographic {
      unitArea = WorkingCRS.squareMetresPerSquareDegree(atLatitude: (chip ?? image)[3])
    } else if let metres = crs.linearUnitsInMetres {
      unitArea = metres * metres
    } else {
      return nil
    }
    switch frame {
    case .lonLat: return nil
    case .imageCRS: return unitArea
    case .chipPixels:
      let transform = chip ?? image
      return abs(transform[1] * transform[5] - transform[2] * transform[4]) * unitArea
    }
  }

  /// One line for an invalid file: what is wrong and where, and how many problems in all.
  static func invalidReason(_ document: GeoJSONDocument, labels: [String]) -> String {
    let errors = document.issues.filter { $0.severity == .error }
    guard let first = errors.first else { return "invalid file" }
    var where_ = first.path
    if let line = first.line { where_ += " (line \(line))" }
    let more = errors.count > 1 ? " (and \(errors.count - 1) more error(s))" : ""
    if first.code == "unknown-label" || first.code == "missing-label" {
      return
        "label outside the task's labels (\(labels.joined(separator: ", "))): \(where_): \(first.message)\(more)"
    }
    return "invalid file: \(where_): \(first.message)\(more)"
  }

  static func featureName(_ feature: ValidatedFeature) -> String {
    let id = feature.feature.id.map { " (id \($0))" } ?? ""
    return "feature \(feature.index)\(id)"
  }

  /// The part of the image a chip holds, in the image CRS (a parallelogram for rotated images).
  static func overlapArea(_ geometry: MultiPolygon, _ rectangle: MultiPolygon) throws -> Double {
    guard let a = geometry.envelope, let b = rectangle.envelope, a.intersects(b) else { return 0 }
    return Topology.area(try Topology.intersection(geometry, rectangle))
  }
}
