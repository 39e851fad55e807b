import Foundation

/// Which geometry types a file may hold.
public enum GeometryPolicy: String, Sendable, CaseIterable, Codable {
  /// What annotators can draw: Polygon and MultiPolygon features.
  case polygonal
  /// Any RFC 7946 geometry (structure still checked), null geometries allowed.
  case any
}

public struct ValidationOptions: Sendable {
  /// Allowed `label` values; nil: labels are not checked.
  public var labels: Set<String>?
  /// A task's label schema: the labels (overriding `labels`), each label's shapes, smallest area
  /// and attributes. Missing optional attributes take their defaults.
  public var schema: LabelSchema? {
    didSet { if let schema { labels = Set(schema.names) } }
  }
  /// m² per CRS unit² for a schema label's `min_area` when `planar` (a chip pixel's area, or 1 for
  /// a metric CRS); nil: per-label minimum areas apply only to lon/lat files.
  public var squareMetresPerPlanarUnit: Double?
  /// Coordinates are not longitude/latitude: skip range checks, measure areas in CRS units².
  public var planar: Bool
  public var geometry: GeometryPolicy
  /// Smallest acceptable polygon area: m² (geographic), or CRS units² with `planar`.
  public var minArea: Double
  /// How far a `bbox`-shaped feature may stray from an axis-aligned rectangle in the working CRS,
  /// as a fraction of its envelope's larger side (0.01 = 1%).
  public var bboxTolerance: Double
  /// The working CRS (an image's EPSG code) for bbox alignment; nil: the UTM zone of each feature.
  public var workingEPSG: Int?
  /// Features validated at once by worker threads; 1 validates on the calling thread.
  public var parallelism: Int

  public init(
    labels: Set<String>? = nil, planar: Bool = false, geometry: GeometryPolicy = .polygonal,
    minArea: Double = 0.5, bboxTolerance: Double = 0.01, workingEPSG: Int? = nil,
    parallelism: Int = ProcessInfo.processInfo.activeProcessorCount
  ) {
    self.labels = labels
    self.planar = planar
    self.geometry = geometry
    self.minArea = minArea
    self.bboxTolerance = bboxTolerance
    self.workingEPSG = workingEPSG
    self.parallelism = max(1, parallelism)
  }
}

public enum Severity: String, Sendable, Codable {
  case error
  case warning
}

/// One problem found in a file.
public struct ValidationIssue: Sendable, Codable, Hashable {
  /// Stable, kebab-case (see README: "What the validator checks").
  public var code: String
  public var severity: Severity
  public var message: String
  /// JSON path of the offending value, e.g. `features[12].geometry.coordinates[0][3]`; `$` is the root.
  public var path: String
  public var featureIndex: Int?
  public var featureID: String?
  /// 1-based line and byte column where the offending value starts, when known.
  public var line: Int?
  public var column: Int?
  /// Where on the map, in the file's coordinates (GEOS's point for topology problems); in WGS84
  /// when a legacy `crs` member was honoured, except for a position that could not be reprojected.
  public var location: Point?

  public init(
    code: String, severity: Severity, message: String, path: String, featureIndex: Int? = nil,
    featureID: String? = nil, line: Int? = nil, column: Int? = nil, location: Point? = nil
  ) {
    self.code = code
    self.severity = severity
    self.message = message
    self.path = path
    self.featureIndex = featureIndex
    self.featureID = featureID
    self.line = line
    self.column = column
    self.location = location
  }
}

/// One feature as read and checked.
public struct ValidatedFeature: Sendable {
  /// Position in the file's feature list (0 for a lone Feature or geometry).
  public var index: Int
  /// JSON path of the feature: `features[12]`, or `$` for a root Feature or geometry.
  public var path: String
  /// The feature as read: rings exactly as in the file (empty rings left out, positions cut to
  /// x/y). Polygonal parts only; other geometry types leave `geometry` empty.
  public var feature: LabelFeature
  /// The GeoJSON geometry type (`Polygon`, `LineString`, …); nil for null or unreadable geometry.
  public var geometryType: String?
  public var issues: [ValidationIssue]
  /// Envelope of every finite position read, whatever the geometry type (in WGS84 when a legacy
  /// `crs` member was honoured).
  public var envelope: BoundingBox?
  /// The same before reprojection from a legacy `crs` (nil without one).
  var sourceEnvelope: BoundingBox?

  public var isValid: Bool { !issues.contains { $0.severity == .error } }

  public init(
    index: Int, path: String, feature: LabelFeature, geometryType: String?, issues: [ValidationIssue]
  ) {
    self.index = index
    self.path = path
    self.feature = feature
    self.geometryType = geometryType
    self.issues = issues
  }
}

/// A whole file read into memory (see `GeoJSONReader.forEachFeature` for large files).
public struct GeoJSONDocument: Sendable {
  public var features: [ValidatedFeature]
  /// Problems that belong to no single feature: syntax, root type, `crs`, collection `bbox`.
  public var documentIssues: [ValidationIssue]
  /// Root members that GeoJSON does not define, such as `annotator`.
  public var foreignMembers: [String: JSONValue]

  public init(
    features: [ValidatedFeature], documentIssues: [ValidationIssue], foreignMembers: [String: JSONValue]
  ) {
    self.features = features
    self.documentIssues = documentIssues
    self.foreignMembers = foreignMembers
  }

  public var issues: [ValidationIssue] { documentIssues + features.flatMap(\.issues) }
  public var errorCount: Int { issues.filter { $0.severity == .error }.count }
  public var warningCount: Int { issues.filter { $0.severity == .warning }.count }
  public var isValid: Bool { errorCount == 0 }
}

/// What a streaming read returns besides the features.
public struct GeoJSONDocumentSummary: Sendable {
  public var documentIssues: [ValidationIssue]
  public var foreignMembers: [String: JSONValue]
  public var featureCount: Int
}
