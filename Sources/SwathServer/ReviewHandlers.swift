import Foundation
import Hummingbird
import SwathGeometry
import SwathStore
import SwathWorkflow

// Reviewers: review work leased one object at a time, decisions, chip validation; analysts: the
// review list and thresholds.
extension SwathAPI {
  /// `GET /api/v1/tasks/{task}/review`.
  func reviewList(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let listing = try await call(context) { try $0.reviewList(task: task, by: $1) }
    return Bodies.json(ReviewView.json(listing))
  }

  /// `PUT /api/v1/tasks/{task}/review/thresholds` with `{"accept", "reject"}`.
  func setReviewThresholds(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["accept", "reject"])
    guard let accept = try body.number("accept"), let reject = try body.number("reject") else {
      throw Problem(.invalidRequest, "'accept' and 'reject' are required")
    }
    let thresholds = try await call(context) { workspace, caller in
      try workspace.setReviewThresholds(
        task: task, try Review.Thresholds(accept: accept, reject: reject), by: caller)
      return try workspace.reviewThresholds(task: task, by: caller)
    }
    return Bodies.json(ReviewView.json(thresholds))
  }

  /// `POST /api/v1/tasks/{task}/review/next`: 200 with the object and its lease, 204 when none.
  func nextReview(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let next = try await call(context) { try $0.nextReview(task: task, reviewer: $1.name, by: $1) }
    guard let (object, lease) = next else { return Response(status: .noContent) }
    var view = ReviewView.json(object).objectValue ?? [:]
    view["lease"] = .object([
      "id": .integer(lease.id ?? 0), "leased_at": .string(lease.leasedAt),
      "expires_at": .string(lease.expiresAt),
    ])
    return Bodies.json(.object(view))
  }

  /// `POST /api/v1/tasks/{task}/review/leases/{lease}/release`: gives the object back undecided.
  func releaseReviewLease(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let text = try context.parameters.require("lease")
    guard let id = Int64(text) else { throw Problem(.notFound, "no review lease #\(text)") }
    let (lease, object) = try await call(context) { try $0.releaseReviewLease(task: task, lease: id, by: $1) }
    return Bodies.json(
      .object([
        "id": .integer(lease.id ?? 0), "object": .string(object), "reviewer": .string(lease.reviewer),
        "leased_at": .string(lease.leasedAt), "expires_at": .string(lease.expiresAt),
        "released_at": lease.endedAt.map { .string($0) } ?? .null,
      ]))
  }

  /// `GET /api/v1/tasks/{task}/review/next-chip`: 200 with the chip, 204 when none.
  func nextChipToValidate(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let next = try await call(context) { try $0.nextChipToValidate(task: task, reviewer: $1.name, by: $1) }
    guard let next else { return Response(status: .noContent) }
    return Bodies.json(
      .object(["chip": .string(next.chip), "needs_review": .integer(Int64(next.needsReview))]))
  }

  /// `POST /api/v1/tasks/{task}/review/objects/{object}/decisions`.
  func decide(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let object = try context.parameters.require("object")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["decision", "reason", "label", "attributes", "feature", "chip"])
    let decision: Review.Decision
    switch try body.requiredString("decision") {
    case "accept": decision = .accept
    case "reject": decision = .reject(reason: try body.requiredString("reason"))
    case "relabel": decision = .relabel(try body.requiredString("label"))
    case "attributes":
      guard let values = body.object["attributes"]?.objectValue else {
        throw Problem(.invalidRequest, "'attributes' must be an object")
      }
      decision = .attributes(values)
    case "geometry":
      decision = .geometry(try Self.feature(body), pixelChip: try body.string("chip"))
    default:
      throw Problem(.invalidRequest, "'decision' must be accept, reject, relabel, attributes or geometry")
    }
    let record = try await call(context) { try $0.decide(task: task, object: object, decision, by: $1) }
    return Bodies.json(ReviewView.json(record), status: .created)
  }

  /// `POST /api/v1/tasks/{task}/review/objects` with `{"feature", "chip"?}`: an object everyone
  /// missed.
  func addObject(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["feature", "chip"])
    let feature = try Self.feature(body)
    let chip = try body.string("chip")
    let record = try await call(context) { try $0.addObject(task: task, feature, pixelChip: chip, by: $1) }
    return Bodies.json(ReviewView.json(record), status: .created)
  }

  /// `POST /api/v1/tasks/{task}/chips/{chip}/review` with `{"verdict", "comment"?}`.
  func reviewChip(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let (task, chip) = try context.taskAndChip()
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["verdict", "comment"])
    guard let text = try body.string("verdict"), let verdict = ChipVerdict(rawValue: text) else {
      throw Problem(.invalidRequest, "'verdict' must be validated or invalidated")
    }
    let comment = try body.string("comment")
    let review = try await call(context) {
      try $0.reviewChip(task: task, chip: chip, verdict: verdict, comment: comment, by: $1)
    }
    return Bodies.json(ReviewView.json(review, chip: chip), status: .created)
  }

  /// `GET /api/v1/tasks/{task}/chips/{chip}/review`: the chip as a reviewer sees it, every
  /// annotator under a letter, in chip pixels.
  func reviewChipView(_ context: APIRequestContext) async throws -> Response {
    let (task, chip) = try context.taskAndChip()
    let view = try await call(context) { try $0.reviewChipView(task: task, chip: chip, by: $1) }
    return Bodies.json(ReviewView.json(view))
  }

  /// The `feature` member as GeoJSON text for the validator.
  static func feature(_ body: JSONMembers) throws -> Data {
    guard let feature = body.object["feature"], feature.objectValue != nil else {
      throw Problem(.invalidRequest, "'feature' must be a GeoJSON Feature")
    }
    return Data(feature.jsonText.utf8)
  }
}

/// Review records as the API shows them.
enum ReviewView {
  static func json(_ thresholds: Review.Thresholds) -> JSONValue {
    .object(["accept": .number(thresholds.accept), "reject": .number(thresholds.reject)])
  }

  static func json(_ decision: ReviewDecisionRecord) -> JSONValue {
    func text(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
    return .object([
      "id": .integer(decision.id ?? 0), "run": .integer(decision.runId),
      "object": decision.objectIndex.map { .string(Review.objectId(run: decision.runId, index: $0)) }
        ?? .null,
      "decision": .string(decision.decision.rawValue), "reason": text(decision.reason),
      "label": text(decision.label),
      "attributes": decision.attributes.flatMap { try? JSONValue(parsing: Data($0.utf8)) } ?? .null,
      "geometry": decision.geometry.flatMap { try? JSONValue(parsing: Data($0.utf8)) } ?? .null,
      "reviewer": .string(decision.reviewer), "reviewed_at": .string(decision.decidedAt),
      "override": .bool(decision.overridden),
      "carried_from": decision.carriedFrom.map { .integer($0) } ?? .null,
    ])
  }

  static func json(_ object: Review.Object) -> JSONValue {
    .object([
      "id": .string(object.id), "state": .string(object.state.rawValue),
      "confidence": .number(object.confidence), "label": object.label.map { .string($0) } ?? .null,
      "status": .string(object.status), "conflicts": .array(object.conflicts.map { .string($0) }),
      "chips": .array(object.chips.map { .string($0) }),
      "decision": object.decision.map(json) ?? .null,
      "geometry": (try? JSONValue(parsing: Data(GeoJSONGeometry.text(object.geometry).utf8))) ?? .null,
    ])
  }

  static func json(_ review: ChipReviewRecord, chip: String) -> JSONValue {
    .object([
      "chip": .string(chip), "verdict": .string(review.verdict.rawValue),
      "comment": review.comment.map { .string($0) } ?? .null, "reviewer": .string(review.reviewer),
      "reviewed_at": .string(review.reviewedAt), "override": .bool(review.overridden),
    ])
  }

  /// Pixel coordinates as a GeoJSON MultiPolygon's `coordinates`: polygons, rings, [x, y].
  static func pixels(_ geometry: MultiPolygon) -> JSONValue {
    .array(
      geometry.polygons.map { polygon in
        .array(polygon.rings.map { ring in .array(ring.map { .array([.number($0.x), .number($0.y)]) }) })
      })
  }

  /// The chip as a reviewer sees it: letters only, never an annotator's name.
  static func json(_ view: Review.ChipView) -> JSONValue {
    let shapes: [JSONValue] = view.shapes.map(json)
    let objects: [JSONValue] = view.objects.map(json)
    var members: [String: JSONValue] = [
      "task": .string(view.task), "chip": .string(view.chip), "width": .integer(Int64(view.width)),
      "height": .integer(Int64(view.height)), "annotators": .array(view.letters.map { .string($0) }),
    ]
    members["run"] = view.run.map { .integer($0) } ?? .null
    members["shapes"] = .array(shapes)
    members["objects"] = .array(objects)
    members["reviews"] = .array(view.reviews.map { json($0, chip: view.chip) })
    return .object(members)
  }

  static func json(_ shape: Review.ChipView.Shape) -> JSONValue {
    var members: [String: JSONValue] = [
      "annotator": .string(shape.annotator), "shape": .string(shape.shape),
      "attributes": .object(shape.attributes), "pixels": pixels(shape.pixels),
    ]
    members["label"] = shape.label.map { .string($0) } ?? .null
    members["object"] = shape.object.map { .string($0) } ?? .null
    return .object(members)
  }

  static func json(_ item: Review.ChipView.Item) -> JSONValue {
    var object = json(item.object).objectValue ?? [:]
    object["pixels"] = pixels(item.pixels)
    object["attributes"] = .object(item.attributes)
    object["shape"] = item.object.properties["shape"] ?? .null
    object["members"] = .array(item.members.map { .string($0) })
    return .object(object)
  }

  static func json(_ listing: Review.Listing) -> JSONValue {
    var counts: [String: JSONValue] = [:]
    for state in Review.State.allCases {
      counts[state.rawValue] = .integer(Int64(listing.objects.filter { $0.state == state }.count))
    }
    return .object([
      "run": .integer(listing.run.id ?? 0), "thresholds": json(listing.thresholds), "counts": .object(counts),
      "objects": .array(listing.objects.map(json)), "added": .array(listing.added.map(json)),
      "unmatched": .array(listing.unmatched.map(json)),
      "chip_reviews": .array(listing.chipReviews.map { json($0, chip: listing.chipKeys[$0.chipId] ?? "") }),
    ])
  }
}
