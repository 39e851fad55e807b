import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport

/// `swath export`: the latest consensus layer through GDAL's vector drivers.
public enum Export {
  public enum Format: String, Sendable, CaseIterable {
    case geojson
    case gpkg
    case fgb

    var driver: String {
      switch self {
      case .geojson: "GeoJSON"
      case .gpkg: "GPKG"
      case .fgb: "FlatGeobuf"
      }
    }
    var fileExtension: String {
      switch self {
      case .geojson: "geojson"
      case .gpkg: "gpkg"
      case .fgb: "fgb"
      }
    }

    /// The format an output path's extension names; GeoJSON for any other.
    public init(forPath path: String) {
      switch URL(fileURLWithPath: path).pathExtension.lowercased() {
      case "gpkg": self = .gpkg
      case "fgb": self = .fgb
      default: self = .geojson
      }
    }
  }

  /// The CRS an export is written in.
  public enum TargetCRS: Sendable, Hashable {
    /// WGS84 longitude/latitude, as RFC 7946 asks.
    case wgs84
    /// The CRS of the task's image.
    case image
  }

  public struct Outcome: Sendable {
    public var path: String
    public var features: Int
    public var run: Int64
    public var crs: String
  }

  /// A consensus object as stored in a run's result.
  struct Object {
    var geometry: MultiPolygon
    var properties: [String: JSONValue]
  }

  static func run(
    task name: String, out: String, format: Format, crs: TargetCRS, includeRejected: Bool,
    progress: any ProgressReporter, in store: any ProjectStore
  ) throws -> Outcome {
    let (task, image, run) = try store.read { store -> (TaskRecord, ImageRecord, ConsensusRunRecord) in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      guard let run = try store.latestConsensusRun(ofTask: task.id!) else {
        throw WorkflowError(
          "task '\(name)' has no consensus run yet (swath consensus \(name))", kind: .conflict)
      }
      return (task, image, run)
    }
    let target: SpatialReference
    let crsName: String
    switch crs {
    case .wgs84:
      target = SpatialReference.wgs84()
      crsName = "EPSG:4326"
    case .image:
      guard let wkt = image.crsWkt else { throw WorkflowError("image '\(image.name)' has no CRS") }
      target = try SpatialReference(definition: wkt)
      crsName = image.epsg.map { "EPSG:\($0)" } ?? "image CRS"
    }
    let schema = try task.validationSchema()
    var objects = try store.read { store in try Review.finalLayer(run, task: task, in: store) }
    if !includeRejected {
      objects = objects.filter { $0.properties["status"]?.stringValue ?? "accepted" == "accepted" }
    }
    let transform =
      crsName == "EPSG:4326"
      ? nil : try CoordinateTransform(from: SpatialReference.wgs84(), to: target)

    let outURL = URL(fileURLWithPath: out).standardizedFileURL
    let folder = outURL.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    else { throw WorkflowError("output \(out): folder \(folder.path) does not exist") }
    if FileManager.default.fileExists(atPath: outURL.path, isDirectory: &isDirectory),
      isDirectory.boolValue
    {
      throw WorkflowError("output \(out) is a folder")
    }
    guard access(folder.path, W_OK) == 0 else {
      throw WorkflowError("output \(out): folder \(folder.path) is not writable", kind: .environment)
    }
    let metadata: [(String, String)] =
      [
        ("SWATH_TASK", task.name), ("SWATH_IMAGE", image.name),
        ("SWATH_IMAGE_SHA256", image.sha256), ("SWATH_REGION", task.region),
        ("SWATH_LABELS", task.labels.joined(separator: ",")),
        ("SWATH_REPLICAS", "\(task.replicas)"), ("SWATH_CONSENSUS_RUN", "\(run.id!)"),
        ("SWATH_CONSENSUS_AT", run.runAt), ("SWATH_CONSENSUS_PARAMETERS", run.parameters),
        ("SWATH_INCLUDES_REJECTED", includeRejected ? "YES" : "NO"),
      ] + (task.labelSchema.map { [("SWATH_LABEL_SCHEMA", $0)] } ?? [])
    progress.begin("export", unit: "objects", total: objects.count)
    defer { progress.end() }
    do {
      // The driver chooses the format by the extension, so the temporary name keeps it.
      try AtomicFile.write(to: outURL, keepExtension: true) { temporary in
        try write(
          objects, to: temporary.path, format: format, layerName: task.name, reference: target,
          transform: transform, metadata: metadata, schema: schema, progress: progress)
      }
    } catch let error as FileWriteError {
      throw WorkflowError(error.message, kind: .environment)
    }
    return Outcome(path: outURL.path, features: objects.count, run: run.id!, crs: crsName)
  }

  static func parseResult(_ text: String) throws -> [Object] {
    guard let collection = try? JSONValue(parsing: text), let features = collection["features"]?.arrayValue
    else {
      throw WorkflowError(
        "the stored consensus result is not a GeoJSON FeatureCollection", kind: .environment)
    }
    return try features.map { feature in
      guard let geometry = feature["geometry"].flatMap(GeoJSONGeometry.multiPolygon) else {
        throw WorkflowError("a stored consensus object has no polygonal geometry", kind: .environment)
      }
      return Object(geometry: geometry, properties: feature["properties"]?.objectValue ?? [:])
    }
  }

  /// The columns: Swath's own from the objects' properties, in a stable order (mixed types
  /// widen), then one typed column per attribute of the schema, in the schema's order, whether
  /// or not an object has a value.
  static func fields(_ objects: [Object], schema: LabelSchema? = nil) -> [(
    name: String, type: VectorFieldType
  )] {
    let attributes = attributeFields(schema)
    let attributeNames = Set(attributes.map(\.name))
    var types: [String: VectorFieldType] = [:]
    for object in objects {
      for (key, value) in object.properties where !attributeNames.contains(key) {
        let type: VectorFieldType
        switch value {
        case .integer: type = .integer64
        case .number: type = .real
        // The review fields are columns even while no object has a decision.
        case .null:
          if types[key] == nil, Review.fieldNames.contains(key) { types[key] = .string }
          continue
        // Lists and objects stay JSON: GeoJSON writes them natively, GPKG marks the column.
        case .array, .object: type = .json
        default: type = .string
        }
        if let existing = types[key], existing != type {
          let numeric: Set<VectorFieldType> = [.integer64, .real]
          types[key] =
            numeric.contains(existing) && numeric.contains(type)
            ? .real : (existing == .json || type == .json ? .json : .string)
        } else {
          types[key] = type
        }
      }
    }
    return types.keys.sorted().map { ($0, types[$0]!) } + attributes
  }

  /// One column per attribute of the schema, in the order its labels list them: enums and texts
  /// as strings, booleans as OGR booleans, integers as 64-bit integers, numbers as reals.
  static func attributeFields(_ schema: LabelSchema?) -> [(name: String, type: VectorFieldType)] {
    guard let schema else { return [] }
    var seen: Set<String> = []
    var columns: [(name: String, type: VectorFieldType)] = []
    for label in schema.labels {
      for attribute in label.attributes where seen.insert(attribute.name).inserted {
        let type: VectorFieldType
        switch attribute.type {
        case .enum, .text: type = .string
        case .boolean: type = .boolean
        case .integer: type = .integer64
        case .number: type = .real
        }
        columns.append((attribute.name, type))
      }
    }
    return columns
  }

  /// An attribute's value for its typed column; null when the object has none (or, from a run
  /// older than a schema change, one of another type).
  static func attributeValue(_ value: JSONValue?, type: VectorFieldType) -> VectorFieldValue {
    switch (type, value) {
    case (.string, .string(let text)?): return .string(text)
    case (.boolean, .bool(let flag)?): return .boolean(flag)
    case (.integer64, .integer(let number)?): return .integer(number)
    case (.real, let number?) where number.doubleValue != nil: return .real(number.doubleValue!)
    default: return .null
    }
  }

  static func write(
    _ objects: [Object], to path: String, format: Format, layerName: String,
    reference: SpatialReference, transform: CoordinateTransform?, metadata: [(String, String)],
    schema: LabelSchema? = nil, progress: any ProgressReporter
  ) throws {
    var layerOptions: [String] = []
    switch format {
    case .geojson:
      if transform == nil { layerOptions.append("RFC7946=YES") }
      layerOptions.append("WRITE_NAME=YES")
      let native = JSONValue.object(
        Dictionary(uniqueKeysWithValues: metadata.map { ($0.0.lowercased(), .string($0.1)) }))
      layerOptions.append("NATIVE_DATA=\(JSONValue.object(["swath": native]).jsonText)")
      layerOptions.append("NATIVE_MEDIA_TYPE=application/vnd.geo+json")
    case .gpkg:
      layerOptions.append("DESCRIPTION=Swath consensus of task \(layerName)")
    case .fgb:
      break
    }
    do {
      let writer = try VectorWriter(creating: path, driver: format.driver)
      let layer = try writer.createMultiPolygonLayer(
        name: layerName, spatialReference: reference, options: layerOptions)
      let columns = fields(objects, schema: schema)
      let attributeNames = Set(attributeFields(schema).map(\.name))
      for column in columns { try layer.addField(name: column.name, type: column.type) }
      // Task metadata: GPKG keeps dataset items in gpkg_metadata; FlatGeobuf (GDAL 3.6) keeps no
      // free metadata, so there it lives in the layer name only.
      for (key, value) in metadata { try writer.setMetadataItem(value, for: key) }
      try writer.startTransaction()
      for object in objects {
        defer { progress.advance() }
        let values = columns.map { column -> VectorFieldValue? in
          if attributeNames.contains(column.name) {
            return attributeValue(object.properties[column.name], type: column.type)
          }
          guard let value = object.properties[column.name] else { return nil }
          switch (column.type, value) {
          case (_, .null): return .null
          case (.integer64, .integer(let number)): return .integer(number)
          case (.real, .integer(let number)): return .real(Double(number))
          case (.real, .number(let number)): return .real(number)
          case (_, .string(let text)): return .string(text)
          default: return .string(value.jsonText)
          }
        }
        var geometry = object.geometry
        if let transform { geometry = try Reprojection.apply(geometry, transform) }
        // Always a MultiPolygon, so every layer has one geometry type.
        try layer.addFeature(
          values: values,
          multiPolygon: geometry.polygons.map { polygon in
            polygon.rings.map { ring in ring.map { (x: $0.x, y: $0.y) } }
          })
      }
      do {
        try writer.commitTransaction()
      } catch  where format != .gpkg {
        // GeoJSON and FlatGeobuf have no real transaction to commit.
      }
      try writer.close()
    } catch let error as GDALError {
      throw WorkflowError(error.message, kind: .environment)
    }
  }
}

extension Workspace {
  /// Writes a task's latest consensus layer through GDAL's vector drivers, atomically.
  public func export(
    task: String, out: String, format: Export.Format? = nil, crs: Export.TargetCRS = .wgs84,
    includeRejected: Bool = false, by caller: Caller, progress: any ProgressReporter = SilentProgress()
  ) throws -> Export.Outcome {
    try caller.require(.exportLayers)
    let format = format ?? Export.Format(forPath: out)
    return try Export.run(
      task: task, out: out, format: format, crs: crs, includeRejected: includeRejected,
      progress: progress, in: store)
  }
}
