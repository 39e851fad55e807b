import Foundation
import Hummingbird
import NIOCore
import SwathGeometry
import SwathStore

/// Request bodies in, JSON out: every JSON goes through Swath's own codec (`JSONValue`,
/// `JSONValueEncoder`), never Foundation's.
enum Bodies {
  /// A whole number of pixels from the query, within `range`, `fallback` when absent; anything
  /// else is a 400 naming the parameter and the range.
  static func pixelQuery(
    _ request: Request, _ name: String, in range: ClosedRange<Int>, default fallback: Int
  ) throws -> Int {
    guard let text = request.uri.queryParameters[Substring(name)].map(String.init) else { return fallback }
    guard let value = Int(text), range.contains(value) else {
      throw Problem(
        .invalidRequest,
        "\(name) '\(text)': expected a whole number of pixels in \(range.lowerBound)…\(range.upperBound)")
    }
    return value
  }

  /// Whether the request's If-None-Match names `etag`: the client holds this version (304).
  static func holds(_ request: Request, etag: String) -> Bool {
    guard let match = request.headers[.ifNoneMatch] else { return false }
    return match.split(separator: ",").contains { $0.trimmingCharacters(in: .whitespaces) == etag }
  }

  /// An RFC 3339 date-time from a query, as the store's sortable UTC text.
  static func timestamp(_ text: String, _ name: String) throws -> String {
    let formatter = ISO8601DateFormatter()
    var date = formatter.date(from: text)
    if date == nil {
      formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
      date = formatter.date(from: text)
    }
    guard let date else {
      throw Problem(
        .invalidRequest, "\(name) '\(text)': expected an RFC 3339 date-time, e.g. 2026-12-01T00:00:00Z")
    }
    return Timestamp.string(from: date)
  }

  /// Reads the whole body, at most `limit` bytes: a declared `Content-Length` over it is refused
  /// before a byte is read, and a streamed body stops at the limit (Hummingbird's
  /// `collect(upTo:)` throws `NIOTooManyBytesError`, a 413).
  static func collect(_ request: Request, limit: Int) async throws -> Data {
    if let declared = request.headers[.contentLength].flatMap(Int.init), declared > limit {
      throw tooLarge(declared, limit: limit)
    }
    let buffer = try await request.body.collect(upTo: limit)
    return Data(buffer.readableBytesView)
  }

  static func tooLarge(_ size: Int, limit: Int) -> Problem {
    Problem(
      .payloadTooLarge,
      "the request body (\(size) bytes) is over the \(limit) bytes this server takes (--max-body-mb)")
  }

  /// Refuses a body whose media type is not one of `accepted` (parameters such as charset aside).
  static func requireMediaType(_ request: Request, _ accepted: [String]) throws {
    let declared = request.headers[.contentType]?.split(separator: ";").first
      .map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
    guard let declared, accepted.contains(declared) else {
      throw Problem(
        .unsupportedMediaType,
        "send the body as \(accepted.joined(separator: " or "))"
          + (declared.map { ", not \($0)" } ?? " (no Content-Type given)"))
    }
  }

  /// A JSON object body; an empty body is an empty object when `optional`.
  static func jsonObject(_ request: Request, limit: Int, optional: Bool = false) async throws
    -> [String: JSONValue]
  {
    let data = try await collect(request, limit: limit)
    if optional, data.isEmpty { return [:] }
    try requireMediaType(request, ["application/json"])
    let value = try JSONValue(parsing: data)
    guard let object = value.objectValue else {
      throw Problem(.invalidRequest, "the request body must be a JSON object")
    }
    return object
  }

  static func json(
    _ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]
  ) throws -> Response {
    try json(JSONValueEncoder().encode(value), status: status, headers: headers)
  }

  static func json(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:])
    -> Response
  {
    var headers = headers
    headers[.contentType] = "application/json"
    return Response(
      status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: value.jsonData())))
  }
}

/// Typed members of a JSON request body, each refusal naming the member.
struct JSONMembers {
  let object: [String: JSONValue]

  func string(_ key: String) throws -> String? {
    guard let value = object[key], !value.isNull else { return nil }
    guard let text = value.stringValue else { throw Problem(.invalidRequest, "'\(key)' must be a string") }
    return text
  }

  func requiredString(_ key: String) throws -> String {
    guard let text = try string(key) else { throw Problem(.invalidRequest, "'\(key)' is required") }
    return text
  }

  func number(_ key: String) throws -> Double? {
    guard let value = object[key], !value.isNull else { return nil }
    guard let number = value.doubleValue, number.isFinite else {
      throw Problem(.invalidRequest, "'\(key)' must be a finite number")
    }
    return number
  }

  func integer(_ key: String) throws -> Int? {
    guard let value = object[key], !value.isNull else { return nil }
    guard let number = value.integerValue, let integer = Int(exactly: number) else {
      throw Problem(.invalidRequest, "'\(key)' must be a whole number")
    }
    return integer
  }

  func strings(_ key: String) throws -> [String] {
    guard let array = object[key]?.arrayValue else {
      throw Problem(.invalidRequest, "'\(key)' must be an array of strings")
    }
    return try array.map { element in
      guard let text = element.stringValue else {
        throw Problem(.invalidRequest, "'\(key)' must be an array of strings")
      }
      return text
    }
  }

  /// Refuses members the endpoint does not know: a typo is an error, not a silent default.
  func allowOnly(_ keys: Set<String>) throws {
    if let unknown = object.keys.sorted().first(where: { !keys.contains($0) }) {
      throw Problem(
        .invalidRequest,
        "unknown member '\(unknown)' (expected \(keys.sorted().joined(separator: ", ")))")
    }
  }
}
