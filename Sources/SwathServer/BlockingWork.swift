import NIOPosix

/// Runs the workflow's use cases, which are synchronous and may block (SQLite waits up to 10 s
/// for another process's write lock; GEOS and GDAL work on whole files), off the event loops.
///
/// A dedicated `NIOThreadPool`, not `Task.detached`: a detached task still runs on Swift's
/// cooperative pool, which has one thread per core (two here), so two requests waiting on a
/// SQLite lock would stall every other task of the process, the event loops' async handlers
/// included. The pool's threads exist to block; its size bounds how many use cases run at once,
/// and the rest wait their turn without holding a thread of either NIO or Swift concurrency.
public final class BlockingWork: Sendable {
  let pool: NIOThreadPool

  /// Starts `threads` threads (default: enough for a few waits on the store's lock at once).
  public init(threads: Int = 8) {
    pool = NIOThreadPool(numberOfThreads: max(1, threads))
    pool.start()
  }

  /// Runs `body` on one of the pool's threads and returns its result.
  func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await pool.runIfActive(body)
  }

  /// Stops the threads once the work queued so far is done.
  public func shutdown() async throws {
    try await pool.shutdownGracefully()
  }
}
