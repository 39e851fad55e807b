import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathSupport

/// `swath export`: a task's final layer (the latest consensus run with its review decisions) as
/// a file, made and written one object at a time from the stored layer: GeoJSON by Swath's own
/// streaming writer, GeoPackage and FlatGeobuf through GDAL's drivers.
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
    // One transaction reads everything the layer is made of; the objects are then made and
    // written one at a time from the stored text, never all held at once.
    let (task, image, layer) = try store.read { store -> (TaskRecord, ImageRecord, Review.FinalLayer) in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      guard let run = try store.latestConsensusRun(ofTask: task.id!) else {
        throw WorkflowError(
          "task '\(name)' has no consensus run yet (swath consensus \(name))", kind: .conflict)
      }
      return (task, image, try Review.FinalLayer(run, task: task, in: store))
    }
    let run = layer.run
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
    let objects = Objects(layer: layer, includeRejected: includeRejected)
    // First pass, properties only: the columns and their types, and how many objects there are.
    var columnTypes = ColumnTypes(schema: schema)
    var count = 0
    try objects.forEachObject(readGeometry: false) { object in
      columnTypes.add(object.properties)
      count += 1
    }
    progress.begin("export", unit: "objects", total: count)
    defer { progress.end() }
    let destination = Destination(
      layerName: task.name, reference: target, transform: transform,
      epsg: crs == .wgs84 ? 4326 : image.epsg, metadata: metadata)
    do {
      // The driver chooses the format by the extension, so the temporary name keeps it.
      try AtomicFile.write(to: outURL, keepExtension: true) { temporary in
        try write(
          objects, columns: columnTypes, to: temporary.path, format: format,
          destination: destination, progress: progress)
      }
    } catch let error as FileWriteError {
      throw WorkflowError(error.message, kind: .environment)
    }
    return Outcome(path: outURL.path, features: count, run: run.id!, crs: crsName)
  }

  /// The objects an export writes: the final layer, without the rejected ones unless asked.
  struct Objects {
    var layer: Review.FinalLayer
    var includeRejected: Bool

    func forEachObject(readGeometry: Bool, _ body: (Object) throws -> Void) throws {
      try layer.forEachObject(readGeometry: readGeometry) { object in
        guard includeRejected || object.properties["status"]?.stringValue ?? "accepted" == "accepted" else {
          return
        }
        try body(object)
      }
    }
  }

  /// Where and how an export's features go, besides the format.
  struct Destination {
    var layerName: String
    var reference: SpatialReference
    /// From WGS84 to `reference`; nil when writing WGS84.
    var transform: CoordinateTransform?
    /// The EPSG code of `reference`, when it has one (GeoJSON's `crs` member names it).
    var epsg: Int?
    var metadata: [(String, String)]
  }

  /// Calls `body` with each object of a stored consensus result in order, read from the text one
  /// at a time (geometries left empty when `readGeometry` is false).
  static func forEachStoredObject(
    in text: String, readGeometry: Bool = true, _ body: (Object) throws -> Void
  ) throws {
    do {
      try StoredFeatureCollection.forEachFeature(in: text, readGeometry: readGeometry) { feature in
        let geometry: MultiPolygon
        if readGeometry {
          guard let read = feature.geometry else {
            throw WorkflowError("a stored consensus object has no polygonal geometry", kind: .environment)
          }
          geometry = read
        } else {
          geometry = MultiPolygon([])
        }
        try body(Object(geometry: geometry, properties: feature.properties))
      }
    } catch is JSONParseError {
      throw WorkflowError(
        "the stored consensus result is not a GeoJSON FeatureCollection", kind: .environment)
    } catch is StoredFeatureCollection.NotACollection {
      throw WorkflowError(
        "the stored consensus result is not a GeoJSON FeatureCollection", kind: .environment)
    }
  }

  static func parseResult(_ text: String) throws -> [Object] {
    var objects: [Object] = []
    try forEachStoredObject(in: text) { objects.append($0) }
    return objects
  }

  /// The columns: Swath's own from the objects' properties, in a stable order (mixed types
  /// widen), then one typed column per attribute of the schema, in the schema's order, whether
  /// or not an object has a value.
  static func fields(_ objects: [Object], schema: LabelSchema? = nil) -> [(
    name: String, type: VectorFieldType
  )] {
    var types = ColumnTypes(schema: schema)
    for object in objects { types.add(object.properties) }
    return types.columns
  }

  /// The column types of `fields(_:schema:)`, gathered one object at a time.
  struct ColumnTypes {
    let attributes: [(name: String, type: VectorFieldType)]
    let attributeNames: Set<String>
    private var types: [String: VectorFieldType] = [:]

    init(schema: LabelSchema?) {
      attributes = attributeFields(schema)
      attributeNames = Set(attributes.map(\.name))
    }

    mutating func add(_ properties: [String: JSONValue]) {
      for (key, value) in properties where !attributeNames.contains(key) {
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
        if let existing = types[key] {
          guard existing != type else { continue }
          let numeric: Set<VectorFieldType> = [.integer64, .real]
          types[key] =
            numeric.contains(existing) && numeric.contains(type)
            ? .real : (existing == .json || type == .json ? .json : .string)
        } else {
          types[key] = type
        }
      }
    }

    /// Swath's own columns sorted by name, then the schema's attributes.
    var columns: [(name: String, type: VectorFieldType)] {
      types.keys.sorted().map { ($0, types[$0]!) } + attributes
    }
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

  /// One column's value for an object, as every format writes it: nil leaves the column unset.
  static func columnValue(
    _ properties: [String: JSONValue], column: (name: String, type: VectorFieldType), isAttribute: Bool
  ) -> GeoJSONColumnValue? {
    if isAttribute {
      switch attributeValue(properties[column.name], type: column.type) {
      case .null: return .null
      case .integer(let number): return .integer(number)
      case .real(let number): return .real(number)
      case .string(let text): return .string(text)
      case .boolean(let flag): return .boolean(flag)
      }
    }
    guard let value = properties[column.name] else { return nil }
    switch (column.type, value) {
    case (_, .null): return .null
    case (.integer64, .integer(let number)): return .integer(number)
    case (.real, .integer(let number)): return .real(Double(number))
    case (.real, .number(let number)): return .real(number)
    case (_, .string(let text)): return .string(text)
    case (.json, _): return .json(value)
    default: return .string(value.jsonText)
    }
  }

  static func write(
    _ objects: Objects, columns: ColumnTypes, to path: String, format: Format, destination: Destination,
    progress: any ProgressReporter
  ) throws {
    switch format {
    case .geojson:
      try writeGeoJSON(objects, columns: columns, to: path, destination: destination, progress: progress)
    case .gpkg, .fgb:
      try writeOGR(
        objects, columns: columns, to: path, format: format, destination: destination, progress: progress)
    }
  }
}

extension Workspace {
  /// Writes a task's final layer as GeoJSON, GeoPackage or FlatGeobuf, atomically.
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
