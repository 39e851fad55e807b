import Prometheus

/// The server's metrics in Prometheus's text format at `GET /metrics`: requests by route, method
/// and status, their latency per route, and submissions by outcome. One registry per server, so
/// servers in one process (tests) keep their own counts.
final class ServerMetrics: Sendable {
  let registry = PrometheusCollectorRegistry()

  static let latencyBuckets: [Duration] = [
    .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50),
    .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1), .seconds(2.5),
    .seconds(5), .seconds(10),
  ]

  private static var requests: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "swath", metricName: "http_requests", unitName: "total",
      helpText: "HTTP requests answered, by route, method and status.")
  }
  private static var latency: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "swath", metricName: "http_request_duration", unitName: "seconds",
      helpText: "Time to answer an HTTP request, by route and method.")
  }
  private static var submissions: MetricNameDescriptor {
    MetricNameDescriptor(
      namespace: "swath", metricName: "submissions", unitName: "total",
      helpText: "Submissions received through the API, by outcome.")
  }

  func request(method: String, route: String, status: Int, duration: Duration) {
    registry.makeCounter(
      descriptor: Self.requests, labels: [("route", route), ("method", method), ("status", String(status))]
    ).increment()
    registry.makeDurationHistogram(
      descriptor: Self.latency, labels: [("route", route), ("method", method)], buckets: Self.latencyBuckets
    ).record(duration)
  }

  func submission(outcome: String) {
    registry.makeCounter(descriptor: Self.submissions, labels: [("outcome", outcome)]).increment()
  }

  var text: String { registry.emitToString() }
}
