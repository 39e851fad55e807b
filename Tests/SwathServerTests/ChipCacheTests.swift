import Foundation
import Testing

@testable import SwathServer

/// The rendered-chip cache: bounded in bytes (least recently used out first), and one render for
/// requests that arrive while it runs.
struct ChipCacheTests {
  @Test func keepsAtMostItsBytesDroppingTheLeastRecentlyUsed() async throws {
    let cache = ChipCache(capacity: 4_000)
    let chip = { @Sendable (byte: UInt8) in Data(repeating: byte, count: 1_000) }
    for key in ["a", "b", "c", "d"] { _ = try await cache.data(for: key) { chip(1) } }
    #expect(await cache.storedBytes == 4_000)
    _ = try await cache.data(for: "a") { chip(9) }  // a hit: "a" is now the most recent
    #expect(await cache.hits == 1)
    _ = try await cache.data(for: "e") { chip(2) }
    #expect(await cache.storedBytes == 4_000)
    // "b" went, "a" stayed.
    let renders = await cache.renders
    _ = try await cache.data(for: "a") { chip(9) }
    #expect(await cache.renders == renders)
    _ = try await cache.data(for: "b") { chip(3) }
    #expect(await cache.renders == renders + 1)
    // Larger than a quarter of the cache: served, not kept.
    let big = try await cache.data(for: "big") { Data(count: 1_500) }
    let stored = await cache.storedBytes
    #expect(big.count == 1_500 && stored <= 4_000)
  }

  @Test func concurrentRequestsShareOneRender() async throws {
    let cache = ChipCache(capacity: 1 << 20)
    actor Counter {
      var value = 0
      func add() { value += 1 }
    }
    let calls = Counter()
    let results = try await withThrowingTaskGroup(of: Data.self) { group in
      for _ in 0..<8 {
        group.addTask {
          try await cache.data(for: "chip") {
            await calls.add()
            try await Task.sleep(for: .milliseconds(200))
            return Data([1, 2, 3])
          }
        }
      }
      return try await group.reduce(into: []) { $0.append($1) }
    }
    #expect(results.count == 8 && results.allSatisfy { $0 == Data([1, 2, 3]) })
    #expect(await calls.value == 1)
    // A failed render is not kept: the next request tries again.
    struct Broken: Error {}
    await #expect(throws: Broken.self) { try await cache.data(for: "bad") { throw Broken() } }
    #expect(try await cache.data(for: "bad") { Data([7]) } == Data([7]))
  }

  @Test func aDeadlinePassedIsTheLateError() async throws {
    struct Late: Error {}
    await #expect(throws: Late.self) {
      try await withDeadline(seconds: 0.3, late: { Late() }) {
        try await Task.sleep(for: .seconds(3600))
        return 1
      }
    }
    #expect(try await withDeadline(seconds: 5, late: { Late() }) { 42 } == 42)
  }
}
