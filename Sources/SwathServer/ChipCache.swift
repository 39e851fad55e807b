import Foundation
import NIOConcurrencyHelpers

/// Rendered chips kept in memory, bounded in bytes, the least recently used dropped first. Keyed
/// by the chip's ETag, which names what decides its pixels, so an entry never goes stale.
/// Requests for a chip being rendered wait for that render rather than starting another.
actor ChipCache {
  private struct Entry {
    var data: Data
    var used: UInt64
  }

  /// Bytes of PNG kept at most (0: nothing kept, but concurrent requests still share a render).
  let capacity: Int
  private var entries: [String: Entry] = [:]
  private var bytes = 0
  private var clock: UInt64 = 0
  private var rendering: [String: Task<Data, any Error>] = [:]
  private(set) var hits = 0
  private(set) var renders = 0

  init(capacity: Int) { self.capacity = max(0, capacity) }

  var storedBytes: Int { bytes }

  /// The chip's bytes: from memory, from a render already running, or from `render`.
  func data(for key: String, render: @escaping @Sendable () async throws -> Data) async throws -> Data {
    clock += 1
    if entries[key] != nil {
      entries[key]!.used = clock
      hits += 1
      return entries[key]!.data
    }
    if let running = rendering[key] { return try await running.value }
    renders += 1
    // Not cancelled with the request that started it: the others waiting on it still want it.
    let task = Task { try await render() }
    rendering[key] = task
    let result = await task.result
    rendering[key] = nil
    let data = try result.get()
    keep(data, as: key)
    return data
  }

  private func keep(_ data: Data, as key: String) {
    guard data.count <= capacity / 4, entries[key] == nil else { return }
    entries[key] = Entry(data: data, used: clock)
    bytes += data.count
    while bytes > capacity, let oldest = entries.min(by: { $0.value.used < $1.value.used }) {
      bytes -= oldest.value.data.count
      entries[oldest.key] = nil
    }
  }
}

/// Waits for `operation` at most `seconds`, then throws `late()`. The operation is not stopped (a
/// GDAL read cannot be): it finishes on its thread, and its result is dropped or cached.
func withDeadline<T: Sendable>(
  seconds: Double, late: @escaping @Sendable () -> any Error,
  _ operation: @escaping @Sendable () async throws -> T
) async throws -> T {
  let waiter = NIOLockedValueBox<CheckedContinuation<T, any Error>?>(nil)
  let resume = { @Sendable (result: Result<T, any Error>) in
    waiter.withLockedValue { continuation in
      continuation?.resume(with: result)
      continuation = nil
    }
  }
  return try await withCheckedThrowingContinuation { continuation in
    waiter.withLockedValue { $0 = continuation }
    let work = Task { resume(await Result(catching: operation)) }
    Task {
      try? await Task.sleep(for: .seconds(seconds))
      resume(.failure(late()))
      _ = work
    }
  }
}

extension Result where Failure == any Error {
  init(catching body: () async throws -> Success) async {
    do { self = .success(try await body()) } catch { self = .failure(error) }
  }
}
