import Foundation
import NIOConcurrencyHelpers

/// Repeated failed authentications from one address are slowed, then refused: a guess costs
/// time, and a flood of guesses gets 429 until the window passes. A success from the address
/// clears its count.
final class FailedLogins: Sendable {
  struct Policy: Sendable {
    /// Failures within `window` after which each further failure is answered late.
    var slowAfter = 5
    /// Failures within `window` after which the address is refused (429) until it passes.
    var refuseAfter = 20
    var window: TimeInterval = 300
    /// Extra delay per failure beyond `slowAfter`, up to `maximumDelay`.
    var delayStep: TimeInterval = 0.25
    var maximumDelay: TimeInterval = 2
  }

  private struct Entry {
    var failures: [Date] = []
  }

  let policy: Policy
  private let entries = NIOLockedValueBox<[String: Entry]>([:])

  init(policy: Policy = Policy()) { self.policy = policy }

  /// Seconds until `address` may try again, when it is refused now.
  func refusal(for address: String, at now: Date = Date()) -> Int? {
    entries.withLockedValue { entries in
      let recent = Self.recent(entries[address]?.failures ?? [], now: now, window: policy.window)
      guard recent.count >= policy.refuseAfter, let oldest = recent.first else { return nil }
      return max(1, Int((oldest.addingTimeInterval(policy.window).timeIntervalSince(now)).rounded(.up)))
    }
  }

  /// Records a failure; returns how long to hold the answer.
  func recordFailure(for address: String, at now: Date = Date()) -> TimeInterval {
    entries.withLockedValue { entries in
      var entry = entries[address] ?? Entry()
      entry.failures = Self.recent(entry.failures, now: now, window: policy.window) + [now]
      entries[address] = entry
      // Forget quiet addresses now and then, so the table cannot grow without bound.
      if entries.count > 10_000 {
        entries = entries.filter { !Self.recent($0.value.failures, now: now, window: policy.window).isEmpty }
      }
      let excess = entry.failures.count - policy.slowAfter
      return excess > 0 ? min(policy.maximumDelay, Double(excess) * policy.delayStep) : 0
    }
  }

  func recordSuccess(for address: String) {
    _ = entries.withLockedValue { $0.removeValue(forKey: address) }
  }

  private static func recent(_ failures: [Date], now: Date, window: TimeInterval) -> [Date] {
    failures.filter { now.timeIntervalSince($0) < window }
  }
}
