import Foundation

/// Runs independent work items on every core; results keep their order.
public enum Parallel {
  public static func map<T: Sendable>(_ indices: Range<Int>, _ body: @Sendable (Int) throws -> T) throws
    -> [T]
  {
    let count = indices.count
    guard count > 0 else { return [] }
    let results = ResultBox<T>(count: count)
    let lower = indices.lowerBound
    // Chunks amortise dispatch; small inputs run on the calling thread.
    let chunk = max(1, min(256, count / (ProcessInfo.processInfo.activeProcessorCount * 8)))
    let chunks = (count + chunk - 1) / chunk
    DispatchQueue.concurrentPerform(iterations: chunks) { chunkIndex in
      let start = chunkIndex * chunk
      let end = min(count, start + chunk)
      for offset in start..<end {
        do {
          results.set(offset, try body(lower + offset))
        } catch {
          results.fail(error)
        }
      }
    }
    return try results.values()
  }

  /// As `map`, for work that cannot fail.
  public static func map<T: Sendable>(_ indices: Range<Int>, _ body: @Sendable (Int) -> T) -> [T] {
    // The throwing form fails only by rethrowing from `body`, which cannot throw.
    try! map(indices) { (index: Int) throws -> T in body(index) }
  }
}

private final class ResultBox<T>: @unchecked Sendable {
  private var storage: [T?]
  private var error: Error?
  private let lock = NSLock()

  init(count: Int) { storage = Array(repeating: nil, count: count) }

  func set(_ index: Int, _ value: T) {
    lock.lock()
    storage[index] = value
    lock.unlock()
  }

  func fail(_ error: Error) {
    lock.lock()
    if self.error == nil { self.error = error }
    lock.unlock()
  }

  func values() throws -> [T] {
    if let error { throw error }
    return storage.map { $0! }
  }
}
