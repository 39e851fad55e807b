import Foundation
import Hummingbird
import SwathWorkflow

extension SwathAPI {
  /// `POST …/exports` with `{"format", …}`: a layer file (`crs`, `include_rejected`) or training
  /// data (`statuses`, `review_states`, `min_valid`, `min_visible`, `split`, `seed`,
  /// `block_size`). 202 with the export job; its archive is at `GET /api/v1/jobs/{job}/archive`
  /// once it has succeeded.
  func enqueueExport(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly([
      "format", "crs", "include_rejected", "statuses", "review_states", "min_valid", "min_visible", "split",
      "seed", "block_size",
    ])
    let formatText = try body.requiredString("format")
    guard let format = ExportRequest.Format(rawValue: formatText) else {
      throw Problem(
        .invalidRequest,
        "format '\(formatText)': expected \(ExportRequest.Format.names.joined(separator: ", "))")
    }
    let crs: Export.TargetCRS
    switch try body.string("crs") {
    case nil, "wgs84", "EPSG:4326": crs = .wgs84
    case "image": crs = .image
    case let other?: throw Problem(.invalidRequest, "crs '\(other)': expected EPSG:4326 or image")
    }
    guard
      let includeRejected = body.object["include_rejected"].map({ $0.isNull ? false : $0.boolValue }) ?? false
    else { throw Problem(.invalidRequest, "'include_rejected' must be true or false") }
    let trainingKeys = [
      "statuses", "review_states", "min_valid", "min_visible", "split", "seed", "block_size",
    ]
    var training: ExportRequest.Training?
    if trainingKeys.contains(where: { body.object[$0].map { !$0.isNull } ?? false }) {
      let split = try body.object["split"].flatMap { value -> [Double]? in
        if value.isNull { return nil }
        guard let numbers = value.arrayValue?.compactMap(\.doubleValue),
          numbers.count == value.arrayValue?.count
        else { throw Problem(.invalidRequest, "'split' must be an array of numbers") }
        return numbers
      }
      let seed = try body.integer("seed").map { value -> UInt64 in
        guard value >= 0 else { throw Problem(.invalidRequest, "'seed' must not be negative") }
        return UInt64(value)
      }
      let statuses = try body.object["statuses"].map { _ in try body.strings("statuses") }
      let reviewStates = try body.object["review_states"].map { _ in try body.strings("review_states") }
      training = ExportRequest.Training(
        statuses: statuses, reviewStates: reviewStates,
        minValid: try body.number("min_valid"), minVisible: try body.number("min_visible"), split: split,
        seed: seed, blockSize: try body.integer("block_size"))
    }
    let exportRequest = ExportRequest(
      task: task, format: format, crs: crs, includeRejected: includeRejected, training: training)
    let job = try await call(context) { workspace, caller in
      try workspace.enqueueExport(exportRequest, by: caller)
    }
    return try Self.accepted(job)
  }

  /// `GET /api/v1/jobs/{job}/archive`: the ZIP archive of a finished export job, streamed part by
  /// part from the store (any node can serve it).
  func exportArchive(_ context: APIRequestContext) async throws -> Response {
    let text = try context.parameters.require("job")
    guard let id = Int64(text) else { throw Problem(.notFound, "no job #\(text)") }
    let archive = try await call(context) { workspace, caller in
      try workspace.exportArchive(job: id, by: caller)
    }
    let work = self.work
    let workspace = self.workspace
    let body = ResponseBody(contentLength: archive.bytes) { writer in
      for index in 0..<archive.parts {
        let part = try await work.run { try workspace.exportArchivePart(archive, index: index) }
        try await writer.write(ByteBuffer(bytes: part))
      }
      try await writer.finish(nil)
    }
    let headers: HTTPFields = [
      .contentType: "application/zip",
      .contentDisposition: "attachment; filename=\"\(archive.fileName)\"",
    ]
    return Response(status: .ok, headers: headers, body: body)
  }
}
