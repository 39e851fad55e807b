import Crypto
import Foundation
import SwathStore

/// A user's token as issued: shown once, never stored (the store keeps its SHA-256).
public struct IssuedToken: Sendable {
  public var user: UserRecord
  public var token: String
}

/// Bearer tokens: 256 random bits, printable, and their SHA-256 as the store keeps it.
enum Tokens {
  static let prefix = "swath_"

  static func generate() -> String {
    let key = SymmetricKey(size: .bits256)
    let bytes = key.withUnsafeBytes { Data($0) }
    let text = bytes.base64EncodedString()
      .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
      .replacingOccurrences(of: "=", with: "")
    return prefix + text
  }

  static func hash(_ token: String) -> String {
    SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined()
  }

  /// Equal in time independent of where the two differ.
  static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
    let x = Array(a.utf8)
    let y = Array(b.utf8)
    guard x.count == y.count else { return false }
    var difference: UInt8 = 0
    for index in x.indices { difference |= x[index] ^ y[index] }
    return difference == 0
  }
}

extension Workspace {
  /// Registers a user and issues their first token.
  public func addUser(_ name: String, role: Role, by caller: Caller) throws -> IssuedToken {
    try caller.require(.manageUsers)
    try Users.validateName(name)
    let token = Tokens.generate()
    let user = try store.write { store -> UserRecord in
      if try store.user(named: name) != nil {
        throw WorkflowError("a user named '\(name)' already exists", kind: .conflict)
      }
      let now = Timestamp.now()
      var user = UserRecord(
        name: name, role: role, tokenHash: Tokens.hash(token), createdAt: now, tokenIssuedAt: now)
      try store.insert(&user)
      try store.audit(
        actor: caller.name, command: caller.command, action: "user.add",
        detail: "\(name) role=\(role.rawValue)")
      return user
    }
    return IssuedToken(user: user, token: token)
  }

  /// Every user, by name (never their tokens).
  public func users(by caller: Caller) throws -> [UserRecord] {
    try caller.require(.manageUsers)
    return try store.read { store in try store.users() }
  }

  /// Disables a user: their token stops working; their work stays.
  public func disableUser(_ name: String, by caller: Caller) throws -> UserRecord {
    try caller.require(.manageUsers)
    return try store.write { store in
      guard var user = try store.user(named: name) else {
        throw WorkflowError("no user named '\(name)'", kind: .notFound)
      }
      guard !user.disabled else { throw WorkflowError("user '\(name)' is already disabled", kind: .conflict) }
      user.disabled = true
      user.disabledAt = Timestamp.now()
      try store.update(user)
      try store.audit(actor: caller.name, command: caller.command, action: "user.disable", detail: name)
      return user
    }
  }

  /// Issues a new token for a user; the old one stops working at once.
  public func rotateToken(of name: String, by caller: Caller) throws -> IssuedToken {
    try caller.require(.manageUsers)
    let token = Tokens.generate()
    let user = try store.write { store -> UserRecord in
      guard var user = try store.user(named: name) else {
        throw WorkflowError("no user named '\(name)'", kind: .notFound)
      }
      user.tokenHash = Tokens.hash(token)
      user.tokenIssuedAt = Timestamp.now()
      try store.update(user)
      try store.audit(actor: caller.name, command: caller.command, action: "user.token", detail: name)
      return user
    }
    return IssuedToken(user: user, token: token)
  }

  /// The caller a bearer token stands for; `unauthenticated` for a missing, unknown or disabled
  /// user's token (the same message for each, so a guess learns nothing).
  public func authenticate(token: String, command: String) throws -> Caller {
    let hash = Tokens.hash(token)
    let user = try store.read { store in try store.user(tokenHash: hash) }
    guard let user, !user.disabled, Tokens.constantTimeEqual(user.tokenHash, hash) else {
      throw WorkflowError("invalid or revoked token", kind: .unauthenticated)
    }
    return Caller(name: user.name, role: user.role, command: command)
  }
}

enum Users {
  /// User names are identifiers in files, queues and the audit log: keep them plain.
  static func validateName(_ name: String, as what: String = "user") throws {
    let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-_.@"))
    guard !name.isEmpty, name.count <= 100, name.unicodeScalars.allSatisfy({ allowed.contains($0) })
    else {
      throw WorkflowError("\(what) name '\(name)' must be 1–100 letters, digits, '-', '_', '.' or '@'")
    }
  }

  /// A registered, enabled annotator, or a `notFound` error naming the problem.
  static func requireAnnotator(_ name: String, in store: any StoreReader) throws -> UserRecord {
    guard let user = try store.user(named: name) else {
      throw WorkflowError(
        "no annotator named '\(name)' (register users first: they must be known to the workspace)",
        kind: .notFound)
    }
    guard user.role == .annotator else {
      throw WorkflowError("user '\(name)' is a \(user.role.rawValue), not an annotator", kind: .invalid)
    }
    guard !user.disabled else { throw WorkflowError("annotator '\(name)' is disabled", kind: .conflict) }
    return user
  }
}
