import SwathStore

/// What a use case needs the caller to be allowed.
public enum Permission: String, Sendable, CaseIterable {
  /// Add, list and disable users; issue tokens.
  case manageUsers
  /// Register and list images.
  case manageImages
  /// Create, assign, close and simulate tasks.
  case manageTasks
  /// Task progress, per chip and per annotator.
  case viewTaskStatus
  /// Run consensus and score it.
  case runConsensus
  /// Export consensus layers.
  case exportLayers
  /// Lease chips and submit one's own answers.
  case annotate
  /// Lease review work, decide objects, validate chips.
  case review
  /// See review states and decisions.
  case viewReviews
  /// Make chips gold, see the gold and each annotator's gold record.
  case manageGold
  /// Act for another user (submit as an annotator, see their queue): the local CLI's admin.
  case actForOthers
}

extension Role {
  /// The roles table: what each role may do (README, "Roles").
  public func may(_ permission: Permission) -> Bool {
    switch (self, permission) {
    case (.admin, _): return true
    case (.analyst, .manageImages), (.analyst, .manageTasks), (.analyst, .viewTaskStatus),
      (.analyst, .runConsensus), (.analyst, .exportLayers), (.analyst, .manageGold):
      return true
    case (.annotator, .annotate): return true
    case (.reviewer, .review), (.reviewer, .viewReviews), (.analyst, .viewReviews): return true
    default: return false
    }
  }
}

extension Caller {
  /// Throws `forbidden` unless the caller's role allows `permission`.
  func require(_ permission: Permission) throws {
    guard role.may(permission) else {
      throw WorkflowError(
        "\(name) (\(role.rawValue)) may not \(permission.phrase)", kind: .forbidden)
    }
  }

  /// Throws `forbidden` unless the caller does annotation work (annotators, and admins acting
  /// for them): leases, submissions and statistics are theirs only.
  func requireAnnotationWork(_ what: String) throws {
    guard role.may(.annotate) || role.may(.actForOthers) else {
      throw WorkflowError("\(name) (\(role.rawValue)) has no \(what)", kind: .forbidden)
    }
  }

  /// Whether the caller may act as `annotator`: they are that annotator, or may act for others.
  func mayActAs(annotator: String) -> Bool {
    (name == annotator && role.may(.annotate)) || role.may(.actForOthers)
  }
}

extension Permission {
  var phrase: String {
    switch self {
    case .manageUsers: "manage users"
    case .manageImages: "manage images"
    case .manageTasks: "manage tasks"
    case .viewTaskStatus: "see task status"
    case .runConsensus: "run consensus"
    case .exportLayers: "export layers"
    case .annotate: "annotate"
    case .review: "review"
    case .viewReviews: "see reviews"
    case .manageGold: "manage gold chips"
    case .actForOthers: "act for other users"
    }
  }
}
