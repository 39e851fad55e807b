import Foundation

/// Reads GeoJSON and validates it as it goes. Syntax and structure problems become issues;
/// only I/O failures throw.
public enum GeoJSONReader {
  /// Reads and validates a whole file, keeping every feature.
  public static func read(contentsOf url: URL, options: ValidationOptions) throws -> GeoJSONDocument {
    var features: [ValidatedFeature] = []
    let summary = try forEachFeature(contentsOf: url, options: options) { features.append($0) }
    return GeoJSONDocument(
      features: features, documentIssues: summary.documentIssues, foreignMembers: summary.foreignMembers)
  }

  /// Reads and validates GeoJSON already in memory.
  public static func read(data: Data, options: ValidationOptions) -> GeoJSONDocument {
    var features: [ValidatedFeature] = []
    // In-memory input cannot fail to read, and the body below cannot throw.
    let summary = try? run(JSONStreamParser(data: data), options: options) { features.append($0) }
    return GeoJSONDocument(
      features: features, documentIssues: summary?.documentIssues ?? [],
      foreignMembers: summary?.foreignMembers ?? [:])
  }

  /// Streams a file: each feature is read, validated (on worker threads when
  /// `options.parallelism` > 1) and handed to `body` in file order, then forgotten, so memory
  /// stays bounded whatever the file's size. Throws on I/O errors and on errors from `body`.
  @discardableResult
  public static func forEachFeature(
    contentsOf url: URL, options: ValidationOptions, _ body: (ValidatedFeature) throws -> Void
  ) throws -> GeoJSONDocumentSummary {
    let parser = try JSONStreamParser(contentsOf: url)
    return try run(parser, options: options, body)
  }

  /// Streams GeoJSON in memory.
  @discardableResult
  public static func forEachFeature(
    data: Data, options: ValidationOptions, _ body: (ValidatedFeature) throws -> Void
  ) throws -> GeoJSONDocumentSummary {
    try run(JSONStreamParser(data: data), options: options, body)
  }

  private static func run(
    _ parser: consuming JSONStreamParser, options: ValidationOptions,
    _ body: (ValidatedFeature) throws -> Void
  ) throws -> GeoJSONDocumentSummary {
    var envelope: BoundingBox?
    var count = 0
    // The collection's bbox is in the file's own coordinates: before any legacy-crs reprojection.
    var sourceEnvelope: BoundingBox?
    let stream = GeoJSONRootReader(parser: parser, options: options)
    // The pipeline calls `body` only on this thread, before this function returns.
    try withoutActuallyEscaping(body) { body in
      let pipeline = ValidationPipeline(options: options) { feature in
        count += 1
        if let box = feature.envelope { envelope = envelope.map { $0.union(box) } ?? box }
        if let box = feature.sourceEnvelope ?? feature.envelope {
          sourceEnvelope = sourceEnvelope.map { $0.union(box) } ?? box
        }
        try body(feature)
      }
      do {
        try stream.read { try pipeline.submit($0) }
        try pipeline.finish()
      } catch {
        pipeline.abandon()
        throw error
      }
    }
    stream.checkCollectionBBox(featuresEnvelope: sourceEnvelope)
    return GeoJSONDocumentSummary(
      documentIssues: stream.documentIssues, foreignMembers: stream.foreignMembers, featureCount: count)
  }
}

/// One feature's JSON, waiting to be validated.
struct FeatureWork: Sendable {
  var index: Int
  var path: String
  var node: JSONNode
  var isBareGeometry: Bool
  /// The CRS of the root's legacy `crs` member, when one is honoured.
  var legacyCRS: LegacyCRS?
}

/// Walks the root object, streaming the elements of `features` one at a time.
///
/// A legacy root `crs` member (GeoJSON 2008) is read where it stands: files carry it before
/// `features` (GDAL, solaris and SpaceNet write it there), and every feature after it is
/// reprojected from its CRS to WGS84. One that follows features already streamed cannot be
/// applied to them without holding the whole file, so it is an error (`crs-after-features`)
/// naming where it must go; a `features` array read before the root's `type` is not streamed
/// and gets the CRS wherever it stands.
final class GeoJSONRootReader {
  var parser: JSONStreamParser
  let options: ValidationOptions
  private(set) var documentIssues: [ValidationIssue] = []
  private(set) var foreignMembers: [String: JSONValue] = [:]
  private var collectionBBox: JSONNode?
  /// The root `crs` member's CRS, once read and when honoured.
  private(set) var legacyCRS: LegacyCRS?
  /// What the root `crs` member gave: the `legacy-crs` warning or an error, reported with the
  /// other root issues once the root is known to be GeoJSON.
  private var crsIssue: ValidationIssue?
  private var crsRead = false

  init(parser: consuming JSONStreamParser, options: ValidationOptions) {
    self.parser = parser
    self.options = options
  }

  private func report(_ code: String, _ message: String, path: String = "$", node: JSONNode? = nil) {
    documentIssues.append(
      ValidationIssue(
        code: code, severity: .error, message: message, path: path, line: node.map { Int($0.line) },
        column: node.map { Int($0.column) }))
  }

  /// Reads the document; `emit` gets every feature. Syntax errors end the read and become an issue.
  func read(_ emit: (FeatureWork) throws -> Void) throws {
    do {
      try readRoot(emit)
    } catch let error as JSONSyntaxError {
      documentIssues.append(
        ValidationIssue(
          code: "invalid-json", severity: .error,
          message:
            "not valid JSON: \(error.message) (line \(error.line), column \(error.column), byte \(error.offset))",
          path: JSONPath.from(error.pathComponents), line: error.line, column: error.column))
    }
  }

  private func readRoot(_ emit: (FeatureWork) throws -> Void) throws {
    if try parser.skipByteOrderMark() {
      documentIssues.append(
        ValidationIssue(
          code: "byte-order-mark", severity: .warning,
          message:
            "the file starts with a UTF-8 byte order mark, which RFC 8259 forbids writers to add; it is skipped",
          path: "$", line: 1, column: 1))
    }
    guard let first = try parser.peekSignificant() else {
      throw parser.syntaxError("the file is empty")
    }
    if first != UInt8(ascii: "{") {
      let node = try parser.parseValue()
      guard try parser.atEnd() else { throw parser.syntaxError("unexpected content after the JSON value") }
      report(
        "not-geojson", "the root of a GeoJSON document must be an object, found \(node.typeName)",
        node: node)
      return
    }
    let rootLine = Int32(parser.line)
    let rootColumn = Int32(parser.column)
    parser.skipByte()
    var members: [JSONMember] = []
    var rootType: String?
    var streamedFeatures = false
    var featureCount = 0
    if try parser.peekSignificant() == UInt8(ascii: "}") {
      parser.skipByte()
    } else {
      repeat {
        let key = try parser.parseKey()
        if key == "features" && rootType == "FeatureCollection" && !streamedFeatures,
          try parser.peekSignificant() == UInt8(ascii: "[")
        {
          let line = Int32(parser.line)
          let column = Int32(parser.column)
          streamedFeatures = true
          parser.skipByte()
          try streamFeatures(&featureCount, emit)
          members.append(JSONMember(key: key, value: JSONNode(kind: .array([]), line: line, column: column)))
        } else {
          let value: JSONNode
          do {
            value = try parser.parseValue(depth: 1)
          } catch var error as JSONSyntaxError {
            error.pathComponents.insert(JSONPath.key(key), at: 0)
            throw error
          }
          if key == "type" && rootType == nil { rootType = value.string }
          if key == "crs" && !crsRead {
            crsRead = true
            readCRS(value, afterStreamedFeatures: featureCount > 0)
          }
          members.append(JSONMember(key: key, value: value))
        }
      } while try parser.parseObjectSeparator()
    }
    guard try parser.atEnd() else {
      throw parser.syntaxError("unexpected content after the end of the JSON document")
    }
    let root = JSONNode(kind: .object(members), line: rootLine, column: rootColumn)
    try interpretRoot(root, streamedFeatures: streamedFeatures, emit)
  }

  private func streamFeatures(_ count: inout Int, _ emit: (FeatureWork) throws -> Void) throws {
    if try parser.peekSignificant() == UInt8(ascii: "]") {
      parser.skipByte()
      return
    }
    repeat {
      let node: JSONNode
      do {
        node = try parser.parseValue(depth: 2)
      } catch var error as JSONSyntaxError {
        error.pathComponents.insert(contentsOf: ["features", JSONPath.index(count)], at: 0)
        throw error
      }
      try emit(
        FeatureWork(
          index: count, path: "features[\(count)]", node: node, isBareGeometry: false, legacyCRS: legacyCRS))
      count += 1
    } while try parser.parseArraySeparator()
  }

  private func interpretRoot(_ root: JSONNode, streamedFeatures: Bool, _ emit: (FeatureWork) throws -> Void)
    throws
  {
    var checker = FeatureInterpreter(options: options, index: 0, basePath: "$")
    checker.checkDuplicates(root.members ?? [], at: "", node: root)
    guard let typeNode = root.member("type") else {
      documentIssues += checker.issues.map(Self.documentLevel)
      report(
        "missing-type",
        "the root object has no \"type\" member: not GeoJSON (expected FeatureCollection, Feature or a geometry)",
        node: root)
      return
    }
    guard let type = typeNode.string else {
      documentIssues += checker.issues.map(Self.documentLevel)
      report(
        "invalid-type", "\"type\" must be a string, found \(typeNode.typeName)", path: "type",
        node: typeNode)
      return
    }
    switch type {
    case "FeatureCollection":
      checker.checkForbiddenMembers(
        root, forbidden: ["coordinates", "geometries", "geometry", "properties"], kind: "FeatureCollection",
        at: "")
      documentIssues += checker.issues.map(Self.documentLevel)
      reportCRS()
      collectionBBox = root.member("bbox")
      for member in root.members ?? []
      where !["type", "features", "bbox", "crs", "coordinates", "geometries", "geometry", "properties"]
        .contains(member.key) && foreignMembers[member.key] == nil
      {
        foreignMembers[member.key] = member.value.value
      }
      guard let features = root.member("features") else {
        report("missing-features", "a FeatureCollection must have a \"features\" array", node: root)
        return
      }
      if streamedFeatures { return }
      guard let elements = features.elements else {
        report(
          "invalid-features", "\"features\" must be an array of Feature objects, found \(features.typeName)",
          path: "features", node: features)
        return
      }
      for (offset, element) in elements.enumerated() {
        try emit(
          FeatureWork(
            index: offset, path: "features[\(offset)]", node: element, isBareGeometry: false,
            legacyCRS: legacyCRS))
      }
    case "Feature":
      documentIssues += checker.issues.map(Self.documentLevel)
      reportCRS()
      try emit(FeatureWork(index: 0, path: "$", node: root, isBareGeometry: false, legacyCRS: legacyCRS))
    default:
      documentIssues += checker.issues.map(Self.documentLevel)
      if FeatureInterpreter.geometryTypes.contains(type) {
        reportCRS()
        try emit(FeatureWork(index: 0, path: "$", node: root, isBareGeometry: true, legacyCRS: legacyCRS))
      } else {
        report(
          "unknown-type",
          "\"\(type)\" is not a GeoJSON type\(FeatureInterpreter.caseHint(type)); expected FeatureCollection, Feature or a geometry",
          path: "type", node: typeNode)
      }
    }
  }

  /// Reads the root `crs` member as soon as it is parsed, so the features after it are reprojected.
  /// With planar coordinates (`options.planar`: chip pixels, the scene's CRS) it is ignored.
  private func readCRS(_ node: JSONNode, afterStreamedFeatures: Bool) {
    func located(_ code: String, _ severity: Severity, _ message: String) -> ValidationIssue {
      ValidationIssue(
        code: code, severity: severity, message: message, path: "crs", line: Int(node.line),
        column: Int(node.column))
    }
    if options.planar {
      crsIssue = located(
        "crs-member", .warning,
        "the \"crs\" member was removed in RFC 7946; the coordinates are validated as planar, so it is ignored"
      )
      return
    }
    switch LegacyCRS.read(node) {
    case .honoured(let crs, let issue):
      if afterStreamedFeatures && crs.toWGS84 != nil {
        crsIssue = located(
          "crs-after-features", .error,
          "the \"crs\" member names \(crs.label) but follows \"features\", which were read as WGS84 longitude/latitude: move it before \"features\" (features are read as they stream)"
        )
      } else {
        legacyCRS = crs
        crsIssue = issue
      }
    case .rejected(let issue), .ignored(let issue):
      crsIssue = issue
    }
  }

  private func reportCRS() {
    if let crsIssue { documentIssues.append(crsIssue) }
  }

  /// The collection's `bbox` member, once every feature's extent is known.
  func checkCollectionBBox(featuresEnvelope: BoundingBox?) {
    guard let bbox = collectionBBox else { return }
    var checker = FeatureInterpreter(options: options, index: 0, basePath: "$", legacyCRS: legacyCRS)
    var holder: [JSONMember] = [JSONMember(key: "bbox", value: bbox)]
    if let box = featuresEnvelope {
      // Stand-in geometry with the features' extent, so one containment rule serves both levels.
      let corner = { (x: Double, y: Double) in
        JSONNode(
          kind: .array([
            JSONNode(kind: .number(x, decimals: 0), line: 0, column: 0),
            JSONNode(kind: .number(y, decimals: 0), line: 0, column: 0),
          ]), line: 0, column: 0)
      }
      holder.append(
        JSONMember(
          key: "coordinates",
          value: JSONNode(
            kind: .array([corner(box.minX, box.minY), corner(box.maxX, box.maxY)]), line: 0, column: 0)))
    }
    checker.checkBBoxMember(JSONNode(kind: .object(holder), line: bbox.line, column: bbox.column), at: "")
    documentIssues += checker.issues.map(Self.documentLevel)
  }

  private static func documentLevel(_ issue: ValidationIssue) -> ValidationIssue {
    var issue = issue
    issue.featureIndex = nil
    issue.featureID = nil
    return issue
  }
}

/// Validates features on worker threads in batches, and hands them back in file order.
/// At most `2 × parallelism` batches are in flight, which bounds memory.
final class ValidationPipeline {
  private let options: ValidationOptions
  private let body: (ValidatedFeature) throws -> Void
  private let batchSize = 128
  private var batch: [FeatureWork] = []
  private var inFlight: [(done: DispatchSemaphore, result: BatchResult)] = []
  private let checkers: CheckerPool

  init(options: ValidationOptions, body: @escaping (ValidatedFeature) throws -> Void) {
    self.options = options
    self.body = body
    self.checkers = CheckerPool(options: options)
  }

  func submit(_ work: FeatureWork) throws {
    batch.append(work)
    if batch.count >= batchSize { try flushBatch() }
  }

  func finish() throws {
    try flushBatch()
    while !inFlight.isEmpty { try deliverOldest() }
  }

  /// After a failure: let running batches end before their results are dropped.
  func abandon() {
    for entry in inFlight { entry.done.wait() }
    inFlight.removeAll()
  }

  private func flushBatch() throws {
    guard !batch.isEmpty else { return }
    let work = batch
    batch.removeAll(keepingCapacity: true)
    if options.parallelism == 1 {
      for feature in checkers.validate(work) { try body(feature) }
      return
    }
    let result = BatchResult()
    let done = DispatchSemaphore(value: 0)
    let checkers = self.checkers
    DispatchQueue.global().async {
      result.features = checkers.validate(work)
      done.signal()
    }
    inFlight.append((done, result))
    while inFlight.count >= 2 * options.parallelism { try deliverOldest() }
  }

  private func deliverOldest() throws {
    let entry = inFlight.removeFirst()
    entry.done.wait()
    for feature in entry.result.features { try body(feature) }
  }
}

/// A batch's results, written by one worker before it signals.
private final class BatchResult: @unchecked Sendable {
  var features: [ValidatedFeature] = []
}

/// Geometry checkers hold per-thread state (GEOS work, CRS transforms), so each batch borrows one.
final class CheckerPool: @unchecked Sendable {
  private let options: ValidationOptions
  private var idle: [GeometryChecker] = []
  private let lock = NSLock()

  init(options: ValidationOptions) { self.options = options }

  func validate(_ work: [FeatureWork]) -> [ValidatedFeature] {
    let checker = lock.withLock { idle.popLast() } ?? GeometryChecker(options: options)
    defer { lock.withLock { idle.append(checker) } }
    return work.map { checker.validate($0) }
  }
}
