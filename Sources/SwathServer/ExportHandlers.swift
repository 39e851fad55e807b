import Foundation
import Hummingbird
import SwathWorkflow

extension SwathAPI {
  /// `POST …/exports` with `{"format", "crs", "include_rejected"}`: 202 with the export job; its
  /// archive is at `GET /api/v1/jobs/{job}/archive` once it has succeeded.
  func enqueueExport(_ request: Request, _ context: APIRequestContext) async throws -> Response {
    let task = try context.parameters.require("task")
    let body = JSONMembers(object: try await Bodies.jsonObject(request, limit: options.maxBodyBytes))
    try body.allowOnly(["format", "crs", "include_rejected"])
    let formatText = try body.requiredString("format")
    guard let format = Export.Format(rawValue: formatText) else {
      throw Problem(
        .invalidRequest,
        "format '\(formatText)': expected \(Export.Format.allCases.map(\.rawValue).joined(separator: ", "))")
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
    let exportRequest = ExportRequest(task: task, format: format, crs: crs, includeRejected: includeRejected)
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
