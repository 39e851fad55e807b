import Crypto
import Foundation
import SwathStore
import SwathSupport

/// What to do with a request that carries an idempotency key.
public enum IdempotencyClaim: Sendable {
  /// First time: run it, then `completeIdempotentRequest` (or `abandonIdempotentRequest`).
  case proceed(Int64)
  /// Seen and finished: answer this again, doing nothing.
  case replay(status: Int, contentType: String?, body: Data)
  /// The first request with this key is still running.
  case inProgress
  /// The key was used for a different request (another method, path or body).
  case keyReused
}

/// Idempotency keys (`Idempotency-Key` on POSTs): a retried request, to any server of the
/// workspace, gets the first answer and stores nothing new. Keys are per user.
extension Workspace {
  /// A first request whose runner died is taken over after this long.
  public static let idempotencyTakeover: TimeInterval = 600

  public func claimIdempotentRequest(
    key: String, method: String, path: String, body: Data, by caller: Caller
  ) throws -> IdempotencyClaim {
    guard !key.isEmpty, key.count <= 255,
      key.unicodeScalars.allSatisfy({ $0.isASCII && $0.value >= 0x21 && $0.value < 0x7F })
    else {
      throw WorkflowError("an idempotency key is 1–255 visible ASCII characters")
    }
    let digest = SHA256.hash(data: body).map { String(format: "%02x", $0) }.joined()
    return try store.write(scope: .user(caller.name)) { store in
      let now = Date()
      if var existing = try store.idempotencyRecord(user: caller.name, key: key) {
        guard existing.method == method, existing.path == path, existing.requestSha256 == digest else {
          return .keyReused
        }
        if let status = existing.status {
          return .replay(status: status, contentType: existing.contentType, body: existing.body ?? Data())
        }
        let takeover = Timestamp.string(from: now.addingTimeInterval(-Self.idempotencyTakeover))
        guard existing.createdAt < takeover || Idempotency.ownerIsGone(existing.owner) else {
          return .inProgress
        }
        existing.createdAt = Timestamp.string(from: now)
        existing.owner = Idempotency.thisProcess
        try store.update(existing)
        return .proceed(existing.id!)
      }
      var record = IdempotencyRecord(
        user: caller.name, key: key, method: method, path: path, requestSha256: digest,
        createdAt: Timestamp.string(from: now), owner: Idempotency.thisProcess)
      try store.insert(&record)
      return .proceed(record.id!)
    }
  }

  /// Keeps the answer of a claimed request, for its retries.
  public func completeIdempotentRequest(
    _ id: Int64, status: Int, contentType: String?, body: Data, by caller: Caller
  ) throws {
    try store.write(scope: .user(caller.name)) { store in
      guard var record = try store.idempotencyRecord(id: id) else { return }
      record.status = status
      record.contentType = contentType
      record.body = body
      record.completedAt = Timestamp.now()
      try store.update(record)
    }
  }

  /// Forgets a claim whose request failed on the server's side, so a retry runs it again.
  public func abandonIdempotentRequest(_ id: Int64, by caller: Caller) throws {
    try store.write(scope: .user(caller.name)) { store in try store.deleteIdempotencyRecord(id: id) }
  }
}

public enum Idempotency {
  static let host = ProcessInfo.processInfo.hostName
  public static var thisProcess: String { "\(ProcessInfo.processInfo.processIdentifier)@\(host)" }

  /// Whether the process that claimed a request is known to be gone: it ran on this host and no
  /// process has its id any more (a server killed mid-request, then restarted).
  static func ownerIsGone(_ owner: String?) -> Bool {
    guard let owner, let at = owner.firstIndex(of: "@"), owner[owner.index(after: at)...] == host,
      let pid = Int32(owner[..<at]), pid != ProcessInfo.processInfo.processIdentifier
    else { return false }
    return LocalProcess.isGone(pid)
  }
}
