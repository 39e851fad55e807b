import Foundation
import Hummingbird
import SwathConsensus
import SwathGeometry
import SwathStore
import SwathWorkflow

extension SwathAPI {
  /// Every route of the API, in the order of Schemas/openapi.yaml.
  public static let endpoints: [Endpoint] =
    [
      Endpoint(method: .get, path: "/healthz", authenticated: false) { _, _, _ in
        Bodies.json(.object(["status": .string("ok")]))
      },
      Endpoint(method: .get, path: "/readyz", authenticated: false) { _, _, api in
        try await api.ready()
      },
      Endpoint(method: .get, path: "/api/v1/openapi.yaml", authenticated: false) { _, _, _ in
        try OpenAPIDocument.response()
      },
      Endpoint(method: .get, path: "/metrics", authenticated: true) { _, context, api in
        // Counts of submissions are no annotator's business: analysts and admins only.
        let caller = try context.requireCaller()
        guard caller.role.may(.viewTaskStatus) else {
          throw Problem(
            .forbidden, "\(caller.name) (\(caller.role.rawValue)) may not see the server's metrics")
        }
        return Response(
          status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
          body: ResponseBody(byteBuffer: ByteBuffer(string: api.metrics.text)))
      },
      Endpoint(method: .get, path: "/api/v1/me", authenticated: true) { _, context, _ in
        let caller = try context.requireCaller()
        return Bodies.json(.object(["name": .string(caller.name), "role": .string(caller.role.rawValue)]))
      },

      // Annotators.
      Endpoint(method: .get, path: "/api/v1/queue", authenticated: true) { request, context, api in
        let task = request.uri.queryParameters["task"].map(String.init)
        return try Bodies.json(try await api.call(context) { try $0.ownQueue(task: task, by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/chips/{chip}", authenticated: true) {
        _, context, api in
        let (task, chip) = try context.taskAndChip()
        return try Bodies.json(
          try await api.call(context) { try $0.chipDetails(task: task, chip: chip, by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/chips/{chip}.png", authenticated: true) {
        request, context, api in
        let (task, chip) = try context.taskAndChip()
        return try await api.chipImage(task: task, chip: chip, request: request, context: context)
      },
      Endpoint(
        method: .get, path: "/api/v1/tasks/{task}/chips/{chip}/context.png", authenticated: true
      ) { request, context, api in
        try await api.chipContext(request, context)
      },
      Endpoint(
        method: .post, path: "/api/v1/tasks/{task}/chips/{chip}/submissions", authenticated: true
      ) { request, context, api in
        try await api.submit(request, context)
      },

      Endpoint(method: .post, path: "/api/v1/tasks/{task}/chips/{chip}/flags", authenticated: true) {
        request, context, api in
        try await api.flag(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/leases", authenticated: true) {
        request, context, api in
        try await api.takeLease(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/leases", authenticated: true) { _, context, api in
        try await api.ownLeases(context)
      },
      Endpoint(method: .post, path: "/api/v1/leases/{lease}/extend", authenticated: true) {
        _, context, api in
        try await api.changeLease(context, release: false)
      },
      Endpoint(method: .post, path: "/api/v1/leases/{lease}/release", authenticated: true) {
        _, context, api in
        try await api.changeLease(context, release: true)
      },

      Endpoint(method: .get, path: "/api/v1/me/tasks", authenticated: true) { _, context, api in
        try Bodies.json(try await api.call(context) { try $0.ownTasks(by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/me/statistics", authenticated: true) { _, context, api in
        try Bodies.json(try await api.call(context) { try $0.ownStatistics(by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/submissions", authenticated: true) { request, context, api in
        guard let task = request.uri.queryParameters["task"].map(String.init) else {
          throw Problem(.invalidRequest, "name the task: /api/v1/submissions?task=NAME")
        }
        return try Bodies.json(
          try await api.call(context) { try $0.submissions(of: $1.name, task: task, by: $1) })
      },

      // Reviewers (the list: analysts too).
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/review", authenticated: true) { _, context, api in
        try await api.reviewList(context)
      },
      Endpoint(method: .put, path: "/api/v1/tasks/{task}/review/thresholds", authenticated: true) {
        request, context, api in
        try await api.setReviewThresholds(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/review/next", authenticated: true) {
        _, context, api in
        try await api.nextReview(context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/review/leases/{lease}/release", authenticated: true)
      {
        _, context, api in
        try await api.releaseReviewLease(context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/review/next-chip", authenticated: true) {
        _, context, api in
        try await api.nextChipToValidate(context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/review/objects", authenticated: true) {
        request, context, api in
        try await api.addObject(request, context)
      },
      Endpoint(
        method: .post, path: "/api/v1/tasks/{task}/review/objects/{object}/decisions", authenticated: true
      ) { request, context, api in
        try await api.decide(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/chips/{chip}/review", authenticated: true) {
        _, context, api in
        try await api.reviewChipView(context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/chips/{chip}/review", authenticated: true) {
        request, context, api in
        try await api.reviewChip(request, context)
      },

      // Analysts.
      Endpoint(method: .get, path: "/api/v1/images", authenticated: true) { _, context, api in
        let images = try await api.call(context) { try $0.images(by: $1) }
        return Bodies.json(.array(images.map(ImageView.json)))
      },
      Endpoint(method: .post, path: "/api/v1/images", authenticated: true) { request, context, api in
        try await api.registerImage(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks", authenticated: true) { request, context, api in
        try await api.createTask(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/jobs/{job}", authenticated: true) { _, context, api in
        let text = try context.parameters.require("job")
        guard let id = Int64(text) else { throw Problem(.notFound, "no job #\(text)") }
        return try Bodies.json(JobView(try await api.call(context) { try $0.job(id, by: $1) }))
      },
      Endpoint(method: .get, path: "/api/v1/jobs/{job}/archive", authenticated: true) { _, context, api in
        try await api.exportArchive(context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/exports", authenticated: true) {
        request, context, api in
        try await api.enqueueExport(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/close", authenticated: true) { _, context, api in
        let task = try context.parameters.require("task")
        let summary = try await api.call(context) { workspace, caller in
          _ = try workspace.closeTask(task, by: caller)
          return try workspace.taskSummary(named: task, by: caller)
        }
        return try Bodies.json(summary)
      },
      Endpoint(method: .get, path: "/api/v1/audit", authenticated: true) { request, context, api in
        let query = request.uri.queryParameters
        let user = query["user"].map(String.init)
        let task = query["task"].map(String.init)
        let since = try query["since"].map { try Bodies.timestamp(String($0), "since") }
        let until = try query["until"].map { try Bodies.timestamp(String($0), "until") }
        return try Bodies.json(
          try await api.call(context) {
            try $0.auditLog(user: user, task: task, since: since, until: until, by: $1)
          })
      },
      Endpoint(method: .get, path: "/api/v1/tasks", authenticated: true) { _, context, api in
        try Bodies.json(try await api.call(context) { try $0.taskSummaries(by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}", authenticated: true) { _, context, api in
        let task = try context.parameters.require("task")
        return try Bodies.json(try await api.call(context) { try $0.taskSummary(named: task, by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/labels", authenticated: true) { _, context, api in
        let task = try context.parameters.require("task")
        return Bodies.json(try await api.call(context) { try $0.labelSchema(ofTask: task, by: $1) }.json)
      },
      Endpoint(method: .put, path: "/api/v1/tasks/{task}/labels", authenticated: true) {
        request, context, api in
        try await api.changeLabelSchema(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/status", authenticated: true) {
        _, context, api in
        let task = try context.parameters.require("task")
        return try Bodies.json(try await api.call(context) { try $0.status(task: task, by: $1) })
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/map", authenticated: true) { request, context, api in
        try await api.taskMap(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/overview.png", authenticated: true) {
        request, context, api in
        try await api.taskOverview(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/assignments", authenticated: true) {
        request, context, api in
        try await api.assign(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/consensus", authenticated: true) {
        request, context, api in
        try await api.consensus(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/export", authenticated: true) {
        request, context, api in
        try await api.export(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/gold", authenticated: true) { _, context, api in
        try await api.goldList(context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/gold", authenticated: true) {
        request, context, api in
        try await api.addGold(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/tasks/{task}/gold/promote", authenticated: true) {
        request, context, api in
        try await api.promoteGold(request, context)
      },
      Endpoint(method: .get, path: "/api/v1/tasks/{task}/gold/record", authenticated: true) {
        _, context, api in
        try await api.goldRecord(context)
      },
      Endpoint(method: .put, path: "/api/v1/tasks/{task}/gold/min-f1", authenticated: true) {
        request, context, api in
        try await api.setGoldMinF1(request, context)
      },

      // Admins.
      Endpoint(method: .get, path: "/api/v1/users", authenticated: true) { _, context, api in
        let users = try await api.call(context) { try $0.users(by: $1) }
        return try Bodies.json(users.map(UserView.init))
      },
      Endpoint(method: .post, path: "/api/v1/users", authenticated: true) { request, context, api in
        try await api.addUser(request, context)
      },
      Endpoint(method: .post, path: "/api/v1/users/{name}/disable", authenticated: true) {
        _, context, api in
        let name = try context.parameters.require("name")
        let user = try await api.call(context) { try $0.disableUser(name, by: $1) }
        return try Bodies.json(UserView(user))
      },
      Endpoint(method: .post, path: "/api/v1/users/{name}/token", authenticated: true) {
        _, context, api in
        let name = try context.parameters.require("name")
        let issued = try await api.call(context) { try $0.rotateToken(of: name, by: $1) }
        return try Bodies.json(IssuedTokenView(issued))
      },
    ] + liveLayerEndpoints
}

extension APIRequestContext {
  func taskAndChip() throws -> (task: String, chip: String) {
    (try parameters.require("task"), try parameters.require("chip"))
  }
}

/// A user as the API shows one: never the token's hash.
struct UserView: Codable, Sendable {
  var name: String
  var role: String
  var disabled: Bool
  var createdAt: String
  var tokenIssuedAt: String
  var disabledAt: String?

  init(_ user: UserRecord) {
    name = user.name
    role = user.role.rawValue
    disabled = user.disabled
    createdAt = user.createdAt
    tokenIssuedAt = user.tokenIssuedAt
    disabledAt = user.disabledAt
  }

  enum CodingKeys: String, CodingKey {
    case name, role, disabled
    case createdAt = "created_at"
    case tokenIssuedAt = "token_issued_at"
    case disabledAt = "disabled_at"
  }
}

/// A user and their new token, shown once.
struct IssuedTokenView: Codable, Sendable {
  var user: UserView
  var token: String
  init(_ issued: IssuedToken) {
    user = UserView(issued.user)
    token = issued.token
  }
}
