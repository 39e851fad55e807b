/// Where long work says how far it has come. Engines and use cases report through it; each
/// front end shows it its own way (the CLI draws a bar on a terminal, the HTTP API's jobs record
/// a percentage). Calls may come from several threads at once, so implementations must be
/// thread-safe, and they must be cheap: `advance` is called once per chip or feature.
public protocol ProgressReporter: Sendable {
  /// A step begins; `total` is the number of units it will take, when known.
  func begin(_ step: String, unit: String, total: Int?)
  /// `count` more units of the current step are done.
  func advance(by count: Int)
  /// The current step is over (done or failed).
  func end()
}

extension ProgressReporter {
  public func advance() { advance(by: 1) }
}

/// Reports nowhere: the default for callers that show no progress.
public struct SilentProgress: ProgressReporter {
  public init() {}
  public func begin(_ step: String, unit: String, total: Int?) {}
  public func advance(by count: Int) {}
  public func end() {}
}
