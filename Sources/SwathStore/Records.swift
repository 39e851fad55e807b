import Foundation

/// A row of the project store: a plain value that every backend reads and writes the same way.
/// `id` is nil until the row is inserted; the store sets it.
public protocol StoreRecord: Codable, Sendable, Hashable {
  var id: Int64? { get set }
}

public struct ImageRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var name: String
  public var path: String
  public var sha256: String
  public var sizeBytes: Int64
  public var width: Int
  public var height: Int
  public var bands: Int
  public var dataType: String
  public var crsWkt: String?
  public var epsg: Int?
  public var geotransform: [Double]?
  public var footprint: String?
  public var addedAt: String

  public init(
    id: Int64? = nil, name: String, path: String, sha256: String, sizeBytes: Int64, width: Int, height: Int,
    bands: Int, dataType: String, crsWkt: String?, epsg: Int?, geotransform: [Double]?, footprint: String?,
    addedAt: String
  ) {
    self.id = id
    self.name = name
    self.path = path
    self.sha256 = sha256
    self.sizeBytes = sizeBytes
    self.width = width
    self.height = height
    self.bands = bands
    self.dataType = dataType
    self.crsWkt = crsWkt
    self.epsg = epsg
    self.geotransform = geotransform
    self.footprint = footprint
    self.addedAt = addedAt
  }
}

public enum TaskState: String, Codable, Sendable, CaseIterable {
  case open
  case closed
}

public struct TaskRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var name: String
  public var imageId: Int64
  public var region: String
  public var labels: [String]
  public var chipSize: Int
  public var overlap: Int
  public var replicas: Int
  public var iou: Double
  public var quorum: Double
  public var state: TaskState
  public var chipDirectory: String
  public var createdAt: String
  public var closedAt: String?
  /// How annotators get chips: assigned up front, or leased one at a time.
  public var distribution: ChipDistribution
  /// How long a lease lasts, in seconds (leased tasks).
  public var leaseSeconds: Int
  /// The label schema document (JSON); nil for a task made with a plain list of labels. `labels`
  /// always holds the names.
  public var labelSchema: String?
  /// What the annotators are asked to do, in the analyst's words; nil when not given.
  public var instructions: String?
  /// Whether the chips are files cut at creation or rendered from the scene when asked for.
  public var chipSource: ChipSource
  /// The chips' bands, stretch and alpha as JSON (`{"bands", "stretch", "alpha"}`), so any node
  /// renders the pixels the chipper would; nil for tasks made before it was kept.
  public var chipLook: String?

  public init(
    id: Int64? = nil, name: String, imageId: Int64, region: String, labels: [String], chipSize: Int,
    overlap: Int, replicas: Int, iou: Double, quorum: Double, state: TaskState, chipDirectory: String,
    createdAt: String, closedAt: String?, distribution: ChipDistribution = .assigned,
    leaseSeconds: Int = 7200, labelSchema: String? = nil, instructions: String? = nil,
    chipSource: ChipSource = .precut, chipLook: String? = nil
  ) {
    self.chipSource = chipSource
    self.chipLook = chipLook
    self.instructions = instructions
    self.labelSchema = labelSchema
    self.distribution = distribution
    self.leaseSeconds = leaseSeconds
    self.id = id
    self.name = name
    self.imageId = imageId
    self.region = region
    self.labels = labels
    self.chipSize = chipSize
    self.overlap = overlap
    self.replicas = replicas
    self.iou = iou
    self.quorum = quorum
    self.state = state
    self.chipDirectory = chipDirectory
    self.createdAt = createdAt
    self.closedAt = closedAt
  }
}

public struct ChipRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipKey: String
  public var columnOffset: Int
  public var rowOffset: Int
  public var width: Int
  public var height: Int
  public var geotransform: [Double]
  public var footprint: String
  public var minLon: Double
  public var minLat: Double
  public var maxLon: Double
  public var maxLat: Double
  public var validFraction: Double
  public var path: String

  public init(
    id: Int64? = nil, taskId: Int64, chipKey: String, columnOffset: Int, rowOffset: Int, width: Int,
    height: Int, geotransform: [Double], footprint: String, minLon: Double, minLat: Double, maxLon: Double,
    maxLat: Double, validFraction: Double, path: String
  ) {
    self.id = id
    self.taskId = taskId
    self.chipKey = chipKey
    self.columnOffset = columnOffset
    self.rowOffset = rowOffset
    self.width = width
    self.height = height
    self.geotransform = geotransform
    self.footprint = footprint
    self.minLon = minLon
    self.minLat = minLat
    self.maxLon = maxLon
    self.maxLat = maxLat
    self.validFraction = validFraction
    self.path = path
  }
}

/// How a task's chips reach annotators.
public enum ChipDistribution: String, Codable, Sendable, CaseIterable {
  /// `task assign`: each chip gets its annotators up front.
  case assigned
  /// Annotators lease the next chip that still needs an answer, one at a time.
  case leased
}

/// A chip leased to an annotator until it expires, is released, or is answered.
public struct LeaseRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64
  public var annotator: String
  public var leasedAt: String
  public var expiresAt: String
  /// When the lease ended early (released or answered); nil while it runs or once it expired.
  public var endedAt: String?
  public var endReason: String?

  public init(
    id: Int64? = nil, taskId: Int64, chipId: Int64, annotator: String, leasedAt: String,
    expiresAt: String, endedAt: String? = nil, endReason: String? = nil
  ) {
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.annotator = annotator
    self.leasedAt = leasedAt
    self.expiresAt = expiresAt
    self.endedAt = endedAt
    self.endReason = endReason
  }

  /// Running at `now` (timestamps compare as text).
  public func isActive(at now: String) -> Bool { endedAt == nil && expiresAt > now }
}

public enum AssignmentState: String, Codable, Sendable, CaseIterable {
  case pending
  case submitted
}

public struct AssignmentRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var chipId: Int64
  public var annotator: String
  public var state: AssignmentState
  public var assignedAt: String

  public init(
    id: Int64? = nil, chipId: Int64, annotator: String, state: AssignmentState, assignedAt: String
  ) {
    self.id = id
    self.chipId = chipId
    self.annotator = annotator
    self.state = state
    self.assignedAt = assignedAt
  }
}

public enum SubmissionStatus: String, Codable, Sendable, CaseIterable {
  /// Stored, not yet validated: what a process killed mid-submit leaves behind.
  case received
  case accepted
  case rejected
  case superseded
}

/// The coordinates a submission's file is written in.
public enum CoordinateFrame: String, Codable, Sendable, CaseIterable {
  /// Longitude/latitude, RFC 7946 (a legacy `crs` member is honoured).
  case lonLat = "lonlat"
  /// The chip's pixel column/row (one chip per file).
  case chipPixels = "pixel"
  /// The scene's own CRS, as GIS tools export in a project CRS.
  case imageCRS = "crs"
}

public struct SubmissionRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64?
  public var requestedChip: String?
  public var annotator: String
  public var fileName: String
  /// Kept beside `coordinates` for stores written before coordinate frames (same meaning as
  /// `coordinates == .chipPixels`).
  public var pixelCoordinates: Bool
  public var coordinates: CoordinateFrame
  public var raw: Data
  public var receivedAt: String
  public var receiverPid: Int32?
  public var status: SubmissionStatus
  public var report: String?
  public var reason: String?
  public var supersedes: Int64?
  public var sourceId: Int64?
  public var finalisedAt: String?

  public init(
    id: Int64? = nil, taskId: Int64, chipId: Int64?, requestedChip: String?, annotator: String,
    fileName: String, pixelCoordinates: Bool, raw: Data, receivedAt: String, receiverPid: Int32?,
    status: SubmissionStatus, report: String?, reason: String?, supersedes: Int64?, sourceId: Int64?,
    finalisedAt: String?, coordinates: CoordinateFrame? = nil
  ) {
    self.coordinates = coordinates ?? (pixelCoordinates ? .chipPixels : .lonLat)
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.requestedChip = requestedChip
    self.annotator = annotator
    self.fileName = fileName
    self.pixelCoordinates = pixelCoordinates
    self.raw = raw
    self.receivedAt = receivedAt
    self.receiverPid = receiverPid
    self.status = status
    self.report = report
    self.reason = reason
    self.supersedes = supersedes
    self.sourceId = sourceId
    self.finalisedAt = finalisedAt
  }
}

public struct SubmissionFeatureRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var submissionId: Int64
  public var featureIndex: Int
  public var label: String?
  public var shape: String
  public var geometry: String
  /// The feature's attributes as a JSON object (defaults filled in); nil when it has none.
  public var attributes: String?

  public init(
    id: Int64? = nil, submissionId: Int64, featureIndex: Int, label: String?, shape: String, geometry: String,
    attributes: String? = nil
  ) {
    self.attributes = attributes
    self.id = id
    self.submissionId = submissionId
    self.featureIndex = featureIndex
    self.label = label
    self.shape = shape
    self.geometry = geometry
  }
}

public struct ConsensusRunRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var parameters: String
  public var runAt: String
  public var submissionCount: Int
  public var objectCount: Int
  public var result: String
  public var report: String

  public init(
    id: Int64? = nil, taskId: Int64, parameters: String, runAt: String, submissionCount: Int,
    objectCount: Int, result: String, report: String
  ) {
    self.id = id
    self.taskId = taskId
    self.parameters = parameters
    self.runAt = runAt
    self.submissionCount = submissionCount
    self.objectCount = objectCount
    self.result = result
    self.report = report
  }
}

public struct AuditEntry: StoreRecord, Identifiable {
  public var id: Int64?
  public var at: String
  public var actor: String
  public var command: String
  public var action: String
  public var detail: String

  public init(
    id: Int64? = nil, at: String, actor: String, command: String, action: String, detail: String
  ) {
    self.id = id
    self.at = at
    self.actor = actor
    self.command = command
    self.action = action
    self.detail = detail
  }
}

/// What a user may do: the workflow enforces it for every front end.
public enum Role: String, Codable, Sendable, CaseIterable {
  /// Sees and submits only their own work.
  case annotator
  /// Reviews what annotators disagreed on (the review workflow comes next).
  case reviewer
  /// Manages images, tasks, assignments, consensus runs and exports.
  case analyst
  /// Manages users, and may do what analysts do.
  case admin
}

/// A user of the service. The token is never stored, only its SHA-256.
public struct UserRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var name: String
  public var role: Role
  /// Lower-case hex SHA-256 of the user's current token.
  public var tokenHash: String
  public var disabled: Bool
  public var createdAt: String
  public var tokenIssuedAt: String
  public var disabledAt: String?

  public init(
    id: Int64? = nil, name: String, role: Role, tokenHash: String, disabled: Bool = false,
    createdAt: String, tokenIssuedAt: String, disabledAt: String? = nil
  ) {
    self.id = id
    self.name = name
    self.role = role
    self.tokenHash = tokenHash
    self.disabled = disabled
    self.createdAt = createdAt
    self.tokenIssuedAt = tokenIssuedAt
    self.disabledAt = disabledAt
  }
}

/// Why an annotator gave a chip back without shapes.
public enum ChipFlagKind: String, Codable, Sendable, CaseIterable {
  /// The imagery is unusable (cloud, blur, nodata): no vote; two such reports take the chip out.
  case badImagery = "bad_imagery"
  /// The annotator passes: no vote; the chip goes to someone else.
  case skip
}

/// An annotator's report that a chip could not be labelled, with an optional comment.
public struct ChipFlagRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64
  public var annotator: String
  public var kind: ChipFlagKind
  public var comment: String?
  public var flaggedAt: String

  public init(
    id: Int64? = nil, taskId: Int64, chipId: Int64, annotator: String, kind: ChipFlagKind,
    comment: String?, flaggedAt: String
  ) {
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.annotator = annotator
    self.kind = kind
    self.comment = comment
    self.flaggedAt = flaggedAt
  }
}

/// A request sent with an `Idempotency-Key`: claimed before it runs, and its response kept, so a
/// retry with the same key gets the first answer and changes nothing.
public struct IdempotencyRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var user: String
  public var key: String
  public var method: String
  public var path: String
  /// SHA-256 of the request body: the same key with another body is another request.
  public var requestSha256: String
  /// The response, once the request has finished.
  public var status: Int?
  public var contentType: String?
  public var body: Data?
  public var createdAt: String
  public var completedAt: String?
  /// The process running the first request, as `pid@host`: a claim whose process is gone is
  /// taken over at once by a retry on the same host.
  public var owner: String?

  public init(
    id: Int64? = nil, user: String, key: String, method: String, path: String, requestSha256: String,
    status: Int? = nil, contentType: String? = nil, body: Data? = nil, createdAt: String,
    completedAt: String? = nil, owner: String? = nil
  ) {
    self.owner = owner
    self.id = id
    self.user = user
    self.key = key
    self.method = method
    self.path = path
    self.requestSha256 = requestSha256
    self.status = status
    self.contentType = contentType
    self.body = body
    self.createdAt = createdAt
    self.completedAt = completedAt
  }
}

/// Work the server does in the background: cutting a task's chips, running consensus.
public enum JobKind: String, Codable, Sendable, CaseIterable {
  case createTask = "create_task"
  case consensus
  case export
}

public enum JobState: String, Codable, Sendable, CaseIterable {
  case queued, running, succeeded, failed
}

/// A background job: what to do (its parameters as JSON), who asked, how far it has come, and
/// its result (JSON) or its error.
public struct JobRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var kind: JobKind
  public var parameters: String
  public var state: JobState
  /// The step running now and how far it has come (`total` nil when unknown).
  public var step: String?
  public var done: Int
  public var total: Int?
  public var result: String?
  public var error: String?
  public var createdBy: String
  public var createdByRole: Role
  public var createdAt: String
  public var startedAt: String?
  public var finishedAt: String?
  /// The process running it, as `pid@host`: a job whose process is gone is queued again.
  public var worker: String?
  /// When its worker last said it is still working: a running job whose heartbeat lapsed is
  /// claimed by another worker, on any machine.
  public var heartbeatAt: String?

  public init(
    id: Int64? = nil, kind: JobKind, parameters: String, state: JobState = .queued, step: String? = nil,
    done: Int = 0, total: Int? = nil, result: String? = nil, error: String? = nil, createdBy: String,
    createdByRole: Role, createdAt: String, startedAt: String? = nil, finishedAt: String? = nil,
    worker: String? = nil, heartbeatAt: String? = nil
  ) {
    self.id = id
    self.kind = kind
    self.parameters = parameters
    self.state = state
    self.step = step
    self.done = done
    self.total = total
    self.result = result
    self.error = error
    self.createdBy = createdBy
    self.createdByRole = createdByRole
    self.createdAt = createdAt
    self.startedAt = startedAt
    self.finishedAt = finishedAt
    self.worker = worker
    self.heartbeatAt = heartbeatAt
  }
}

/// What a reviewer decided about a consensus object (or an object they added).
public enum ReviewDecisionKind: String, Codable, Sendable, CaseIterable {
  case accept
  case reject
  case relabel
  case attributes
  case geometry
  /// An object every annotator missed, drawn by the reviewer.
  case add
}

/// A reviewer's decision on object `objectIndex` of consensus run `runId` (nil for an added
/// object). A decision carried to a newer run is a new row naming the one it came from.
public struct ReviewDecisionRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var runId: Int64
  public var objectIndex: Int?
  public var decision: ReviewDecisionKind
  /// Why an object was rejected: `not_an_object`, `duplicate`, `wrong_label`, `bad_geometry` or
  /// free text.
  public var reason: String?
  /// The new label (relabel, add).
  public var label: String?
  /// The new attributes, a JSON object (attributes, add).
  public var attributes: String?
  /// The new geometry, GeoJSON in WGS84 (geometry, add).
  public var geometry: String?
  public var reviewer: String
  public var decidedAt: String
  /// An admin reviewed a chip they annotated.
  public var overridden: Bool
  /// The decision of an earlier run this one was carried from.
  public var carriedFrom: Int64?

  public init(
    id: Int64? = nil, taskId: Int64, runId: Int64, objectIndex: Int?, decision: ReviewDecisionKind,
    reason: String? = nil, label: String? = nil, attributes: String? = nil, geometry: String? = nil,
    reviewer: String, decidedAt: String, overridden: Bool = false, carriedFrom: Int64? = nil
  ) {
    self.id = id
    self.taskId = taskId
    self.runId = runId
    self.objectIndex = objectIndex
    self.decision = decision
    self.reason = reason
    self.label = label
    self.attributes = attributes
    self.geometry = geometry
    self.reviewer = reviewer
    self.decidedAt = decidedAt
    self.overridden = overridden
    self.carriedFrom = carriedFrom
  }
}

/// A reviewer's lease on one object of a run: offered to no other reviewer while it runs.
public struct ReviewLeaseRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var runId: Int64
  public var objectIndex: Int
  public var reviewer: String
  public var leasedAt: String
  public var expiresAt: String
  public var endedAt: String?

  public init(
    id: Int64? = nil, taskId: Int64, runId: Int64, objectIndex: Int, reviewer: String, leasedAt: String,
    expiresAt: String, endedAt: String? = nil
  ) {
    self.id = id
    self.taskId = taskId
    self.runId = runId
    self.objectIndex = objectIndex
    self.reviewer = reviewer
    self.leasedAt = leasedAt
    self.expiresAt = expiresAt
    self.endedAt = endedAt
  }

  /// Running at `now` (timestamps compare as text).
  public func isActive(at now: String) -> Bool { endedAt == nil && expiresAt > now }
}

/// Chip-level validation, as in HOT Tasking Manager.
public enum ChipVerdict: String, Codable, Sendable, CaseIterable {
  case validated
  /// Sent back to annotation with a comment: one more answer is asked for.
  case invalidated
}

public struct ChipReviewRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var chipId: Int64
  public var reviewer: String
  public var verdict: ChipVerdict
  public var comment: String?
  public var reviewedAt: String
  public var overridden: Bool

  public init(
    id: Int64? = nil, taskId: Int64, chipId: Int64, reviewer: String, verdict: ChipVerdict, comment: String?,
    reviewedAt: String, overridden: Bool = false
  ) {
    self.id = id
    self.taskId = taskId
    self.chipId = chipId
    self.reviewer = reviewer
    self.verdict = verdict
    self.comment = comment
    self.reviewedAt = reviewedAt
    self.overridden = overridden
  }
}

/// A task's review thresholds: objects at or above `accept` confidence without a conflict are
/// accepted without review, those below `reject` rejected; the rest need a reviewer.
public struct ReviewSettingsRecord: StoreRecord, Identifiable {
  public var id: Int64?
  public var taskId: Int64
  public var accept: Double
  public var reject: Double

  public init(id: Int64? = nil, taskId: Int64, accept: Double, reject: Double) {
    self.id = id
    self.taskId = taskId
    self.accept = accept
    self.reject = reject
  }
}

/// Where a task's chip images come from.
public enum ChipSource: String, Codable, Sendable, CaseIterable {
  /// Cut into PNG files under the workspace when the task is created.
  case precut
  /// Rendered from the scene when asked for; no chip file exists (`ChipRecord.path` is empty).
  case onDemand = "on-demand"
}
