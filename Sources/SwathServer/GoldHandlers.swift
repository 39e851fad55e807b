import Foundation
import Hummingbird
import SwathGeometry
import SwathWorkflow

// Analysts: gold chips.
extension SwathAPI {
  /// `POST /api/v1/tasks/{task}/gold` with `{"truth": FeatureCollection, "chips"?: [id]}`.
  func addGold(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["truth", "chips"])
    guard let truth = body.object["truth"], truth.objectValue != nil else {
      throw Problem(.invalidRequest, "'truth' must be a GeoJSON FeatureCollection")
    }
    var chips: [String]?
    if let value = body.object["chips"] {
      guard let items = value.arrayValue, items.allSatisfy({ $0.stringValue != nil }) else {
        throw Problem(.invalidRequest, "'chips' must be an array of chip ids")
      }
      chips = items.compactMap(\.stringValue)
    }
    let data = Data(truth.jsonText.utf8)
    let listing = try await call(context) { [chips] in
      try $0.addGold(task: task, truth: data, chips: chips, by: $1)
    }
    return Bodies.json(listing.json, status: .created)
  }

  /// `POST /api/v1/tasks/{task}/gold/promote` with `{"chips": [id]}`: reviewed chips made gold
  /// with their final layer; answers the promoted chips and the task's gold now.
  func promoteGold(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["chips"])
    guard let items = body.object["chips"]?.arrayValue, !items.isEmpty,
      items.allSatisfy({ $0.stringValue != nil })
    else {
      throw Problem(.invalidRequest, "'chips' must be a non-empty array of chip ids")
    }
    let chips = items.compactMap(\.stringValue)
    let (promoted, listing) = try await call(context) { workspace, caller in
      (
        try workspace.promoteToGold(task: task, chips: chips, by: caller),
        try workspace.gold(task: task, by: caller)
      )
    }
    return Bodies.json(
      .object([
        "promoted": .array(
          promoted.map {
            .object([
              "chip": .string($0.chip), "reviewed": .string($0.reviewedBy.rawValue),
              "objects": .integer(Int64($0.objects)),
            ])
          }),
        "gold": listing.json,
      ]), status: .created)
  }

  /// `GET /api/v1/tasks/{task}/gold`.
  func goldList(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    return Bodies.json(try await call(context) { try $0.gold(task: task, by: $1) }.json)
  }

  /// `PUT /api/v1/tasks/{task}/gold/min-f1` with `{"min_f1": 0.6}` (0 or null removes the bar).
  func setGoldMinF1(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["min_f1"])
    guard body.object["min_f1"] != nil else { throw Problem(.invalidRequest, "'min_f1' is required") }
    let value = try body.number("min_f1")
    try await call(context) { try $0.setGoldMinF1(task: task, value == 0 ? nil : value, by: $1) }
    return Bodies.json(.object(["task": .string(task), "min_f1": .number(value ?? 0)]))
  }

  /// `GET /api/v1/tasks/{task}/gold/record`.
  func goldRecord(_ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let records = try await call(context) { try $0.goldRecord(task: task, by: $1) }
    return Bodies.json(.array(records.map(\.json)))
  }
}
