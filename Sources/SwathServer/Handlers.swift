import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathWorkflow

// The routes that do more than call one use case and encode its report.
extension SwathAPI {
  /// Ready when the store answers a read.
  func ready() async throws -> Response {
    let workspace = self.workspace
    do {
      _ = try await work.run { try workspace.store.read { store in try store.tasks().count } }
    } catch {
      throw Problem(.unavailable, "the workspace's store cannot be read: \(error)")
    }
    return Bodies.json(.object(["status": .string("ready")]))
  }

  /// The chip's PNG: a pre-cut task's file, or an on-demand task's chip rendered from the scene
  /// (kept in `chipCache`). The ETag names what decides the pixels, so a client (`private`: only
  /// for the signed-in) keeps the chip and revalidates it without a render.
  func chipImage(task: String, chip: String, request: Request, context: APIRequestContext)
    async throws -> Response
  {
    let picture = try await call(context) { workspace, caller in
      try workspace.chipPicture(task: task, chip: chip, by: caller)
    }
    let etag = "\"\(picture.tag)\""
    var headers: HTTPFields = [.eTag: etag, .cacheControl: "private, max-age=86400"]
    if Bodies.holds(request, etag: etag) { return Response(status: .notModified, headers: headers) }
    let work = self.work
    let render = picture.render
    guard picture.rendered else {
      // Pre-cut files are in the page cache already; only renders are worth the memory.
      let data = try await work.run(render)
      return Response(
        status: .ok, headers: headers + [.contentType: "image/png"],
        body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
    let cache = chipCache
    let data = try await withDeadline(
      seconds: options.renderTimeout, late: Self.late(chip, options.renderTimeout)
    ) {
      try await cache.data(for: picture.tag) { try await work.run(render) }
    }
    headers[.contentType] = "image/png"
    return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
  }

  /// `GET …/chips/{chip}/context.png?margin=PX`: the scene around the chip, for the annotator's
  /// page to dim around it. The image's offset from the chip's corner is in `Swath-Offset-X/Y`.
  /// The picture only changes with the scene's file, so it caches like the chip.
  func chipContext(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let (task, chip) = try context.taskAndChip()
    let margin = try Bodies.pixelQuery(request, "margin", in: 0...ChipContextImage.maxMargin, default: 128)
    let image = try await withDeadline(
      seconds: options.renderTimeout, late: Self.late(chip, options.renderTimeout)
    ) {
      try await self.call(context) { workspace, caller in
        try workspace.chipContext(task: task, chip: chip, margin: margin, by: caller)
      }
    }
    let etag = "\"\(image.tag)\""
    var headers: HTTPFields = [
      .eTag: etag, .cacheControl: "private, max-age=86400",
      HTTPField.Name("Swath-Offset-X")!: "\(image.offsetX)",
      HTTPField.Name("Swath-Offset-Y")!: "\(image.offsetY)",
    ]
    if Bodies.holds(request, etag: etag) { return Response(status: .notModified, headers: headers) }
    headers[.contentType] = "image/png"
    return Response(
      status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: image.png)))
  }

  /// The problem of a render that outlived `renderTimeout`.
  static func late(_ chip: String, _ seconds: Double) -> @Sendable () -> any Error {
    {
      Problem(
        .sceneUnreadable,
        "chip \(chip): the scene did not answer within \(seconds.formatted(.number.precision(.fractionLength(0...1)))) s; try again later"
      )
    }
  }

  /// `POST …/chips/{chip}/submissions`: the body is the annotator's GeoJSON, stored as received
  /// before anything else, then validated. 201 with the stored rows, or 422 with the issues.
  func submit(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let (task, chip) = try context.taskAndChip()
    let coordinates: CoordinateFrame
    switch request.uri.queryParameters["coordinates"].map(String.init) {
    case nil: coordinates = .lonLat
    case let text?:
      guard let frame = CoordinateFrame(rawValue: text) else {
        throw Problem(.invalidRequest, "coordinates '\(text)': expected lonlat (default), pixel or crs")
      }
      coordinates = frame
    }
    let raw = try await Bodies.collect(request, limit: options.maxBodyBytes)
    try Bodies.requireMediaType(request, ["application/geo+json", "application/json"])
    let outcome = try await call(context) { workspace, caller in
      try workspace.submitOwn(
        task: task, chip: chip, fileName: "api:\(chip).geojson", raw: raw, coordinates: coordinates,
        by: caller)
    }
    for result in outcome.results { metrics.submission(outcome: result.status) }
    let results = try JSONValueEncoder().encode(outcome.results)
    if let rejected = outcome.results.first(where: { $0.status == "rejected" }) {
      let issues = try (outcome.report?.issues ?? []).map { issue -> JSONValue in
        var entry = try JSONValueEncoder().encode(issue).objectValue ?? [:]
        // The issue as the validator located it: code, severity, path, line, column, message.
        entry = entry.filter { ["code", "severity", "path", "line", "column", "message"].contains($0.key) }
        return .object(entry)
      }
      throw Problem(
        .rejectedSubmission,
        "submission #\(rejected.id) rejected: \(rejected.reason ?? "invalid")",
        extensions: [
          "submission": .integer(rejected.id), "issues": .array(issues), "results": results,
        ])
    }
    return Bodies.json(.object(["results": results]), status: .created)
  }

  /// `POST …/assignments` with `{"annotators": [...]}`.
  func assign(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["annotators"])
    let annotators = try body.strings("annotators")
    let outcome = try await call(context) { try $0.assign(task: task, annotators: annotators, by: $1) }
    return Bodies.json(
      .object([
        "task": .string(task),
        "added": .object(outcome.added.mapValues { .integer(Int64($0)) }),
        "total_added": .integer(Int64(outcome.totalAdded)),
        "chips_short": .integer(Int64(outcome.chipsShort)),
        "missing": .integer(Int64(outcome.missing)),
      ]))
  }

  /// `POST …/consensus`, the body optional: `{"iou", "quorum", "method", "min_confidence"}`.
  func consensus(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(
      object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes, optional: true))
    try body.allowOnly(["iou", "quorum", "method", "min_confidence"])
    let iou = try body.number("iou").map { value throws -> IoUThreshold in
      do { return try IoUThreshold(value) } catch {
        throw Problem(.invalidRequest, "iou \(value): \(error)")
      }
    }
    let quorum: Quorum?
    switch body.object["quorum"] {
    case nil, .null?: quorum = nil
    case .integer(let votes)?: quorum = Quorum("\(votes)")
    case .number(let fraction)?: quorum = Quorum("\(fraction)")
    case .string(let text)?: quorum = Quorum(text)
    default: quorum = nil
    }
    if body.object["quorum"].map({ !$0.isNull }) ?? false, quorum == nil {
      throw Problem(.invalidRequest, "quorum: expected a fraction in (0, 1] or a whole number of votes")
    }
    let method = try body.string("method").map { text in
      guard let method = ConsensusMethod(rawValue: text) else {
        throw Problem(
          .invalidRequest,
          "method '\(text)': expected \(ConsensusMethod.allCases.map(\.rawValue).joined(separator: " or "))")
      }
      return method
    }
    let minConfidence = try body.number("min_confidence")
    let job = try await call(context) { workspace, caller in
      try workspace.enqueueConsensus(
        task: task, iou: iou, quorum: quorum, method: method, minConfidence: minConfidence, by: caller)
    }
    return try Self.accepted(job)
  }

  /// 202 with the job and where to follow it.
  static func accepted(_ job: JobRecord) throws -> Response {
    var response = try Bodies.json(JobView(job), status: .accepted)
    response.headers[.location] = "/api/v1/jobs/\(job.id ?? 0)"
    return response
  }

  /// `GET …/export?format=geojson|gpkg|fgb[&crs=wgs84|image]`: written by the workflow to a
  /// temporary file in the workspace, then streamed. The file is unlinked as soon as it is
  /// open, so nothing is left behind whether the client reads it all or goes away.
  func export(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let formatText = request.uri.queryParameters["format"].map(String.init) ?? "geojson"
    guard let format = Export.Format(rawValue: formatText.lowercased()) else {
      throw Problem(.invalidRequest, "format '\(formatText)': expected geojson, gpkg or fgb")
    }
    let crs: Export.TargetCRS
    switch request.uri.queryParameters["crs"].map({ String($0).lowercased() }) {
    case nil, "wgs84", "epsg:4326": crs = .wgs84
    case "image": crs = .image
    case let other?: throw Problem(.invalidRequest, "crs '\(other)': expected wgs84 or image")
    }
    let handle = try await call(context) { workspace, caller -> FileHandle in
      let folder = workspace.folder.appendingPathComponent(".exports", isDirectory: true)
      do {
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
      } catch {
        throw WorkflowError("cannot create \(folder.path): \(error.localizedDescription)", kind: .environment)
      }
      let file = folder.appendingPathComponent("\(UUID().uuidString).\(format.rawValue)")
      defer { try? FileManager.default.removeItem(at: file) }
      _ = try workspace.export(task: task, out: file.path, format: format, crs: crs, by: caller)
      do {
        return try FileHandle(forReadingFrom: file)
      } catch {
        throw WorkflowError("cannot read the export: \(error.localizedDescription)", kind: .environment)
      }
    }
    let size = (try? handle.seekToEnd()).map(Int.init)
    try? handle.seek(toOffset: 0)
    let work = self.work
    let body = ResponseBody(contentLength: size) { writer in
      defer { try? handle.close() }
      while true {
        let chunk = try await work.run { try handle.read(upToCount: 1 << 16) ?? Data() }
        if chunk.isEmpty { break }
        try await writer.write(ByteBuffer(bytes: chunk))
      }
      try await writer.finish(nil)
    }
    let headers: HTTPFields = [
      .contentType: format.mediaType,
      .contentDisposition: "attachment; filename=\"\(task).\(format.rawValue)\"",
    ]
    return Response(status: .ok, headers: headers, body: body)
  }

  /// `POST /api/v1/users` with `{"name", "role"}`: 201 with the token, shown this once.
  func addUser(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["name", "role"])
    let name = try body.requiredString("name")
    let roleText = try body.requiredString("role")
    guard let role = Role(rawValue: roleText) else {
      throw Problem(
        .invalidRequest,
        "role '\(roleText)': expected \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
    }
    let issued = try await call(context) { try $0.addUser(name, role: role, by: $1) }
    return try Bodies.json(IssuedTokenView(issued), status: .created)
  }
}

extension Export.Format {
  var mediaType: String {
    switch self {
    case .geojson: "application/geo+json"
    case .gpkg: "application/geopackage+sqlite3"
    case .fgb: "application/vnd.flatgeobuf"
    }
  }
}

// Leases and flags: an annotator takes, extends and gives back chips.
extension SwathAPI {
  /// `POST /api/v1/tasks/{task}/leases`: the caller's next chip, or their running lease in the
  /// task (200); 204 when no chip needs them now.
  func takeLease(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let lease = try await call(context) { workspace, caller in
      try workspace.lease(task: task, annotator: caller.name, by: caller).map {
        let chip = try workspace.chipKey(of: $0)
        return ($0, chip, try workspace.reviewComment(task: task, chip: chip))
      }
    }
    guard let (record, chip, comment) = lease else { return Response(status: .noContent) }
    return Bodies.json(LeaseView.json(record, task: task, chip: chip, reviewComment: comment))
  }

  /// `POST /api/v1/leases/{lease}/extend` and `…/release`.
  func changeLease(_ context: APIRequestContext, release: Bool) async throws -> Response {
    let text = try context.parameters.require("lease")
    guard let id = Int64(text) else { throw Problem(.notFound, "no lease #\(text)") }
    let (record, task, chip) = try await call(context) { workspace, caller in
      let lease =
        release ? try workspace.releaseLease(id, by: caller) : try workspace.extendLease(id, by: caller)
      return (lease, try workspace.taskName(of: lease), try workspace.chipKey(of: lease))
    }
    return Bodies.json(LeaseView.json(record, task: task, chip: chip))
  }

  /// `GET /api/v1/leases`: the caller's running leases.
  func ownLeases(_ context: APIRequestContext) async throws -> Response {
    let views = try await call(context) { workspace, caller in
      try workspace.runningLeases(of: caller.name, by: caller).map {
        LeaseView.json($0, task: try workspace.taskName(of: $0), chip: try workspace.chipKey(of: $0))
      }
    }
    return Bodies.json(.array(views))
  }

  /// `POST …/chips/{chip}/flags` with `{"kind": "bad_imagery"|"skip", "comment"?}`.
  func flag(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let (task, chip) = try context.taskAndChip()
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["kind", "comment"])
    guard let kindText = try body.string("kind"), let kind = ChipFlagKind(rawValue: kindText) else {
      throw Problem(.invalidRequest, "'kind' must be bad_imagery or skip")
    }
    let comment = try body.string("comment")
    let flag = try await call(context) { workspace, caller in
      try workspace.flagChip(
        task: task, chip: chip, annotator: caller.name, kind: kind, comment: comment, by: caller)
    }
    return Bodies.json(
      .object([
        "task": .string(task), "chip": .string(chip), "kind": .string(flag.kind.rawValue),
        "comment": flag.comment.map { .string($0) } ?? .null, "flagged_at": .string(flag.flaggedAt),
      ]), status: .created)
  }
}

/// A lease as the API shows it.
enum LeaseView {
  /// `reviewComment`: why a reviewer sent the chip back to annotation, shown when it is leased.
  static func json(_ lease: LeaseRecord, task: String, chip: String, reviewComment: String? = nil)
    -> JSONValue
  {
    var members: [String: JSONValue] = [
      "id": .integer(lease.id ?? 0), "task": .string(task), "chip": .string(chip),
      "leased_at": .string(lease.leasedAt), "expires_at": .string(lease.expiresAt),
      "ended_at": lease.endedAt.map { .string($0) } ?? .null,
    ]
    if let reviewComment { members["review_comment"] = .string(reviewComment) }
    return .object(members)
  }
}

// Analysts: images and tasks; everyone: their own history.
extension SwathAPI {
  /// `POST /api/v1/images` with `{"path", "name"?}`: a scene the server can read, registered.
  func registerImage(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["path", "name"])
    let path = try body.requiredString("path")
    let name = try body.string("name") ?? URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
    let image = try await call(context) { workspace, caller in
      try workspace.registerImage(path: path, name: name, by: caller)
    }
    return Bodies.json(ImageView.json(image), status: .created)
  }

  /// `POST /api/v1/tasks`: the chips are cut, then the task is recorded (one transaction).
  func createTask(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly([
      "name", "image", "region", "labels", "label_schema", "chip_size", "overlap", "replicas", "iou",
      "quorum", "distribution", "lease_seconds", "instructions", "chips",
    ])
    let schema = try body.object["label_schema"].map(Self.labelSchema)
    guard (schema == nil) != (body.object["labels"] == nil) else {
      throw Problem(
        .invalidRequest, "give 'labels' (a list of names) or 'label_schema' (a label schema), one of them")
    }
    var parameters = TaskParameters(
      name: try body.requiredString("name"), imageName: try body.requiredString("image"),
      region: try body.string("region") ?? "all", labels: try schema?.names ?? body.strings("labels"))
    parameters.schema = schema
    if let size = try body.integer("chip_size") { parameters.chipSize = size }
    if let overlap = try body.integer("overlap") { parameters.overlap = overlap }
    if let replicas = try body.integer("replicas") { parameters.replicas = replicas }
    if let iou = try body.number("iou") { parameters.iou = iou }
    if let quorum = try body.number("quorum") { parameters.quorum = quorum }
    if let seconds = try body.integer("lease_seconds") { parameters.leaseSeconds = seconds }
    parameters.instructions = try body.string("instructions")
    if let text = try body.string("distribution") {
      guard let distribution = ChipDistribution(rawValue: text) else {
        throw Problem(.invalidRequest, "distribution '\(text)': expected assigned or leased")
      }
      parameters.distribution = distribution
    }
    if let text = try body.string("chips") {
      guard let source = ChipSource(rawValue: text) else {
        throw Problem(.invalidRequest, "chips '\(text)': expected precut or on-demand")
      }
      parameters.chips = source
    }
    let chosen = parameters
    let job = try await call(context) { workspace, caller in
      try workspace.enqueueTaskCreation(chosen, by: caller)
    }
    return try Self.accepted(job)
  }
}

extension SwathAPI {
  /// `PUT /api/v1/tasks/{task}/labels` with a label schema document.
  func changeLabelSchema(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let schema = try Self.labelSchema(
      .object(try await Bodies.jsonObject(request, limit: options.maxBodyBytes)))
    let changed = try await call(context) { workspace, caller in
      try workspace.changeLabelSchema(ofTask: task, to: schema, by: caller)
    }
    return Bodies.json(try changed.schema().json)
  }

  /// A label schema from a request body; its problems are the client's, located in the document.
  static func labelSchema(_ value: JSONValue) throws -> LabelSchema {
    do { return try LabelSchema(json: value) } catch {
      throw Problem(.invalidRequest, error.description)
    }
  }
}

/// An image as the API shows one.
enum ImageView {
  static func json(_ image: ImageRecord) -> JSONValue {
    .object([
      "name": .string(image.name), "path": .string(image.path), "sha256": .string(image.sha256),
      "width": .integer(Int64(image.width)), "height": .integer(Int64(image.height)),
      "bands": .integer(Int64(image.bands)), "data_type": .string(image.dataType),
      "epsg": image.epsg.map { .integer(Int64($0)) } ?? .null, "added_at": .string(image.addedAt),
    ])
  }
}
