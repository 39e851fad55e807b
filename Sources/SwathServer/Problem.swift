import Foundation
import Hummingbird
import Logging
import NIOCore
import SwathGeometry
import SwathStore
import SwathWorkflow

/// An RFC 9457 problem document: what every error of the API answers with, as
/// `application/problem+json`. `type` is a stable URI per kind of problem, so clients branch on it,
/// never on `detail`, which is the workflow's one-line message for people.
public struct Problem: Error, Sendable {
  public enum Kind: String, Sendable, CaseIterable {
    case notFound = "not-found"
    case conflict = "conflict"
    case invalidRequest = "invalid-request"
    case rejectedSubmission = "rejected-submission"
    case rejectedFeature = "rejected-feature"
    case unauthenticated = "unauthenticated"
    case forbidden = "forbidden"
    case payloadTooLarge = "payload-too-large"
    case unsupportedMediaType = "unsupported-media-type"
    case methodNotAllowed = "method-not-allowed"
    case tooManyRequests = "too-many-requests"
    case unavailable = "unavailable"
    case sceneUnreadable = "scene-unreadable"
    case internalError = "internal-error"

    public var type: String { "https://swath.dev/problems/\(rawValue)" }

    public var status: HTTPResponse.Status {
      switch self {
      case .notFound: .notFound
      case .conflict: .conflict
      case .invalidRequest: .badRequest
      case .rejectedSubmission, .rejectedFeature: .unprocessableContent
      case .unauthenticated: .unauthorized
      case .forbidden: .forbidden
      case .payloadTooLarge: .contentTooLarge
      case .unsupportedMediaType: .unsupportedMediaType
      case .methodNotAllowed: .methodNotAllowed
      case .tooManyRequests: .tooManyRequests
      case .unavailable: .serviceUnavailable
      case .sceneUnreadable: .badGateway
      case .internalError: .internalServerError
      }
    }

    var title: String {
      switch self {
      case .notFound: "Not found"
      case .conflict: "Conflict with the project's state"
      case .invalidRequest: "Invalid request"
      case .rejectedSubmission: "Submission rejected"
      case .rejectedFeature: "Feature rejected"
      case .unauthenticated: "Authentication required"
      case .forbidden: "Forbidden"
      case .payloadTooLarge: "Request body too large"
      case .unsupportedMediaType: "Unsupported media type"
      case .methodNotAllowed: "Method not allowed"
      case .tooManyRequests: "Too many failed attempts"
      case .unavailable: "Service unavailable"
      case .sceneUnreadable: "The scene cannot be read"
      case .internalError: "Internal server error"
      }
    }
  }

  public var kind: Kind
  public var detail: String
  /// Members beyond the standard four (e.g. `issues` of a rejected submission).
  public var extensions: [String: JSONValue]
  /// Whole seconds after which to try again (429), sent as `Retry-After`.
  public var retryAfter: Int?
  /// The methods a path takes (405), sent as `Allow`.
  public var allow: String?

  public init(
    _ kind: Kind, _ detail: String, extensions: [String: JSONValue] = [:], retryAfter: Int? = nil,
    allow: String? = nil
  ) {
    self.kind = kind
    self.detail = detail
    self.extensions = extensions
    self.retryAfter = retryAfter
    self.allow = allow
  }

  public static let mediaType = "application/problem+json"

  /// The document: the standard members and the extensions.
  public var json: JSONValue {
    var members = extensions
    members["type"] = .string(kind.type)
    members["title"] = .string(kind.title)
    members["status"] = .integer(Int64(kind.status.code))
    members["detail"] = .string(detail)
    return .object(members)
  }

  func response() -> Response {
    var headers: HTTPFields = [.contentType: Self.mediaType]
    if kind == .unauthenticated { headers[.wwwAuthenticate] = BearerAuthentication.challenge }
    if let retryAfter { headers[.retryAfter] = String(retryAfter) }
    if let allow { headers[.allow] = allow }
    return Response(
      status: kind.status, headers: headers,
      body: ResponseBody(byteBuffer: ByteBuffer(bytes: json.jsonData())))
  }
}

extension Problem {
  /// The problem any error thrown by a route stands for.
  static func from(_ error: any Error) -> Problem {
    switch error {
    case let problem as Problem:
      return problem
    case let error as WorkflowError where !error.issues.isEmpty:
      // A reviewer's feature the validator refused: its errors, located in the feature's own
      // coordinates (chip pixels when it was sent in them).
      let issues: [JSONValue] = error.issues.map { issue in
        var entry: [String: JSONValue] = [
          "code": .string(issue.code), "severity": .string(issue.severity.rawValue),
          "path": .string(issue.path), "message": .string(issue.message),
        ]
        if let location = issue.location, location.x.isFinite, location.y.isFinite {
          entry["location"] = .array([.number(location.x), .number(location.y)])
        }
        return .object(entry)
      }
      return Problem(.rejectedFeature, error.message, extensions: ["issues": .array(issues)])
    case let error as WorkflowError:
      let kind: Kind =
        switch error.kind {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalid: .invalidRequest
        case .environment: .internalError
        case .unauthenticated: .unauthenticated
        case .forbidden: .forbidden
        case .sceneUnreadable: .sceneUnreadable
        }
      return Problem(kind, error.message)
    case let error as JSONParseError:
      return Problem(
        .invalidRequest, "request body is not valid JSON: \(error.message)",
        extensions: [
          "line": .integer(Int64(error.line)), "column": .integer(Int64(error.column)),
          "path": .string(error.path),
        ])
    case is NIOTooManyBytesError:
      return Problem(.payloadTooLarge, "the request body is over the server's limit")
    case let error as StoreError:
      return Problem(error.unavailable ? .unavailable : .internalError, error.message)
    case let error as HTTPError:
      let kind: Kind =
        switch error.status {
        case .notFound: .notFound
        case .methodNotAllowed: .methodNotAllowed
        case .contentTooLarge: .payloadTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        case .unauthorized: .unauthenticated
        case .forbidden: .forbidden
        case .conflict: .conflict
        case _ where error.status.kind == .clientError: .invalidRequest
        default: .internalError
        }
      return Problem(kind, error.body ?? error.status.reasonPhrase)
    default:
      return Problem(.internalError, "internal error")
    }
  }
}

/// The outermost middleware: whatever a route or another middleware throws becomes a problem
/// document, and a server-side failure is logged (the client only learns that one happened).
struct ProblemMiddleware: RouterMiddleware {
  typealias Context = APIRequestContext

  func handle(
    _ request: Request, context: Context, next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(request, context)
    } catch {
      let problem = Problem.from(error)
      if problem.kind == .internalError {
        context.logger.error(
          "\(request.method) \(request.uri.path) failed: \(String(describing: error))")
      }
      return problem.response()
    }
  }
}
