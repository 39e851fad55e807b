import Foundation
import SwathTestSupport
import Testing

/// tools/cluster-demo, smaller: two nodes and a worker on one PostgreSQL database, the scene by
/// URL from nginx, annotators through both nodes, a node and the worker killed mid-way.
@Suite(.enabled(if: TestPostgres.isInstalled || TestSupport.isCI, "needs PostgreSQL and nginx (tools/setup)"))
struct ClusterDemoTests {
  @Test func twoNodesAndAWorkerSurviveAKillLosingNothingAcknowledged() throws {
    let result = try TestSupport.run(
      URL(fileURLWithPath: "/usr/bin/env"),
      [
        "python3", TestSupport.packageRoot.appendingPathComponent("tools/cluster_demo.py").path, "--binary",
        TestSupport.swathBinary.path, "--annotators", "4", "--seconds", "12", "--scene-size", "768",
      ])
    #expect(result.status == 0, "\(result.stdout)\n\(result.stderr)")
    for check in [
      "every acknowledged submission stored exactly once",
      "the interrupted consensus job finished (succeeded)",
      "the consensus job recorded one run (1)", "every lease completed or returned to the pool",
      "no annotator has two accepted answers on a chip",
    ] {
      #expect(result.stdout.contains("ok    \(check)"), "\(check)\n\(result.stdout)")
    }
    #expect(result.stdout.hasSuffix("cluster-demo: PASS\n"), "\(result.stdout)")
  }
}
