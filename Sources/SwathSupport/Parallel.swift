import Foundation

/// Runs independent work items on every core; results keep their order.
public enum Parallel {
  // Inlinable so callers in other modules get a version specialised for their element type:
  // the generic one copied every result through run-time value witnesses.
  @inlinable
  public static func map<T: Sendable>(_ indices: Range<Int>, _ body: @Sendable (Int) throws -> T) throws
    -> [T]
  {
    let count = indices.count
    guard count > 0 else { return [] }
    let lower = indices.lowerBound
    // Chunks amortise dispatch; small inputs run on the calling thread.
    let chunk = max(1, min(256, count / (ProcessInfo.processInfo.activeProcessorCount * 8)))
    let chunks = (count + chunk - 1) / chunk
    return try Array(unsafeUninitializedCapacity: count) { buffer, initializedCount in
      // Each chunk initialises its own slots of the result in place: no per-item lock or copy.
      let slots = ParallelSlots<T>(base: buffer.baseAddress!, chunks: chunks)
      defer { slots.release() }
      DispatchQueue.concurrentPerform(iterations: chunks) { chunkIndex in
        let start = chunkIndex * chunk
        let end = min(count, start + chunk)
        var offset = start
        do {
          while offset < end {
            (slots.base + offset).initialize(to: try body(lower + offset))
            offset += 1
          }
        } catch {
          slots.fail(error)
        }
        slots.filled[chunkIndex] = offset - start
      }
      if let error = slots.error {
        for chunkIndex in 0..<chunks {
          (slots.base + chunkIndex * chunk).deinitialize(count: slots.filled[chunkIndex])
        }
        initializedCount = 0
        throw error
      }
      initializedCount = count
    }
  }

  /// As `map`, on at most `maxThreads` threads (the calling thread alone when 1), each taking
  /// the next index as it finishes one: for work whose items are large (one image chip each)
  /// and whose thread count the user chooses. After the first failure no new item starts; the
  /// first error is rethrown.
  public static func map<T: Sendable>(
    _ indices: Range<Int>, maxThreads: Int, _ body: @Sendable (Int) throws -> T
  ) throws -> [T] {
    let count = indices.count
    let threads = max(1, min(maxThreads, count))
    if threads == 1 { return try indices.map(body) }
    let work = BoundedWork<T>(count: count)
    defer { work.release() }
    DispatchQueue.concurrentPerform(iterations: threads) { _ in
      while let item = work.take() {
        do { work.results[item] = try body(indices.lowerBound + item) } catch { work.fail(error) }
      }
    }
    if let error = work.firstError { throw error }
    return (0..<count).map { work.results[$0]! }
  }

  /// As `map`, for work that cannot fail.
  @inlinable
  public static func map<T: Sendable>(_ indices: Range<Int>, _ body: @Sendable (Int) -> T) -> [T] {
    // The throwing form fails only by rethrowing from `body`, which cannot throw.
    try! map(indices) { (index: Int) throws -> T in body(index) }
  }
}

/// The result buffer shared by the chunks of one `Parallel.map`: chunks write disjoint slots,
/// and each its own `filled` count; only the first error needs the lock.
// @unchecked: see above; disjoint slots need no lock, `firstError` is read and written under it.
@usableFromInline
final class ParallelSlots<T>: @unchecked Sendable {
  @usableFromInline let base: UnsafeMutablePointer<T>
  @usableFromInline let filled: UnsafeMutablePointer<Int>
  @usableFromInline var firstError: Error?
  @usableFromInline let lock = NSLock()

  @inlinable
  init(base: UnsafeMutablePointer<T>, chunks: Int) {
    self.base = base
    filled = .allocate(capacity: chunks)
    filled.initialize(repeating: 0, count: chunks)
  }

  @inlinable
  func release() { filled.deallocate() }

  @inlinable
  func fail(_ error: Error) {
    lock.lock()
    if firstError == nil { firstError = error }
    lock.unlock()
  }

  @inlinable
  var error: Error? {
    lock.lock()
    defer { lock.unlock() }
    return firstError
  }
}

/// The shared state of one bounded `Parallel.map`: the next index and the first error under a
/// lock; each result slot is written by the one worker that took its index, and read only after
/// every worker is done.
// @unchecked: counter and error are under `lock`; each slot has one writer, read after the join.
final class BoundedWork<T>: @unchecked Sendable {
  let results: UnsafeMutablePointer<T?>
  private let count: Int
  private var next = 0
  private var error: Error?
  private let lock = NSLock()

  init(count: Int) {
    self.count = count
    results = .allocate(capacity: count)
    results.initialize(repeating: nil, count: count)
  }

  func release() {
    results.deinitialize(count: count)
    results.deallocate()
  }

  /// The next index to do, or nil when all are taken or a worker failed.
  func take() -> Int? {
    lock.lock()
    defer { lock.unlock() }
    guard error == nil, next < count else { return nil }
    next += 1
    return next - 1
  }

  func fail(_ error: Error) {
    lock.lock()
    if self.error == nil { self.error = error }
    lock.unlock()
  }

  var firstError: Error? {
    lock.lock()
    defer { lock.unlock() }
    return error
  }
}
