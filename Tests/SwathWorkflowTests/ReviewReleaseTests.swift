import Foundation
import SwathConsensus
import SwathStore
import SwathTestSupport
import Testing

@testable import SwathWorkflow

/// Giving a review lease back: the use case's rules, the queue order after a release, and
/// `swath review release`.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"), .serialized)
struct ReviewReleaseTests {
  /// A reviewed task whose every object needs a review.
  static func everyObjectUpForReview() throws -> ReviewedTask {
    let task = try ReviewedTask()
    _ = try task.store.runConsensus(task: "roofs", quorum: Quorum("0.6"), by: .test)
    try task.store.setReviewThresholds(task: "roofs", try Review.Thresholds(accept: 1, reject: 0), by: .test)
    return task
  }

  @Test func onlyTheHolderOrAnAdminReleasesOnceAndTheQueueMovesOn() throws {
    let task = try Self.everyObjectUpForReview()
    defer { task.remove() }
    let store = task.store
    let (rev, ida) = (ReviewedTask.rev, ReviewedTask.ida)
    let reviewable = try store.reviewList(task: "roofs", by: rev).objects.filter { $0.state == .needsReview }
    #expect(reviewable.count >= 3)
    let first = try #require(try store.nextReview(task: "roofs", reviewer: "rev", by: rev))
    func kind(_ caller: Caller, _ lease: Int64, task name: String = "roofs") -> WorkflowError.Kind? {
      (#expect(throws: WorkflowError.self) {
        try store.releaseReviewLease(task: name, lease: lease, by: caller)
      })?
      .kind
    }
    // Annotators and analysts may not review; another reviewer has no such lease; nor has a
    // task that does not exist.
    #expect(kind(Caller(name: "ana", role: .annotator, command: "test"), first.lease.id!) == .forbidden)
    #expect(kind(Caller(name: "alice", role: .analyst, command: "test"), first.lease.id!) == .forbidden)
    #expect(kind(ida, first.lease.id!) == .notFound)
    #expect(kind(rev, first.lease.id!, task: "nope") == .notFound)
    #expect(kind(rev, first.lease.id! + 50) == .notFound)

    let released = try store.releaseReviewLease(task: "roofs", lease: first.lease.id!, by: rev)
    #expect(released.object == first.object.id && released.lease.endedAt != nil)
    #expect(kind(rev, first.lease.id!) == .conflict)
    // The next object is another one, for rev; ida gets the released one at once.
    let second = try #require(try store.nextReview(task: "roofs", reviewer: "rev", by: rev))
    #expect(second.object.id != first.object.id)
    let idas = try #require(try store.nextReview(task: "roofs", reviewer: "ida", by: ida))
    #expect(idas.object.id == first.object.id)
    // An admin may give back another reviewer's lease.
    #expect(
      try store.releaseReviewLease(task: "roofs", lease: idas.lease.id!, by: .test).lease.reviewer == "ida")
    // Released objects come after every other open object, the longest ago first.
    _ = try store.releaseReviewLease(task: "roofs", lease: second.lease.id!, by: rev)
    var order: [String] = []
    for _ in reviewable.indices {
      let next = try #require(try store.nextReview(task: "roofs", reviewer: "rev", by: rev))
      order.append(next.object.id)
      _ = try store.releaseReviewLease(task: "roofs", lease: next.lease.id!, by: rev)
    }
    let fresh = reviewable.map(\.id).filter { $0 != first.object.id && $0 != second.object.id }
    #expect(order.prefix(fresh.count).sorted() == fresh.sorted(), "\(order)")
    #expect(Array(order.suffix(2)) == [first.object.id, second.object.id], "\(order)")
    // Nothing was decided; every release is audited.
    #expect(try store.reviewList(task: "roofs", by: rev).objects.allSatisfy { $0.decision == nil })
    let audited = try store.store.read { try $0.auditLog() }.filter { $0.action == "review.release" }
    #expect(audited.count == 3 + reviewable.count)
  }

  @Test func theCLIReleasesByLeaseId() throws {
    let task = try Self.everyObjectUpForReview()
    defer { task.remove() }
    let next = try task.task.run(["review", "next", "roofs", "--reviewer", "rev"])
    let match = try #require(next.stdout.firstMatch(of: #/lease #(\d+) to rev until/#), "\(next.stdout)")
    let object = try #require(next.stdout.firstMatch(of: #/object (\d+-\d+) /#)).1
    let released = try task.task.run(["review", "release", "roofs", String(match.1), "--reviewer", "rev"])
    #expect(
      released.stdout.contains("released lease #\(match.1) on object \(object) (rev)"), "\(released.stdout)")
    let again = try task.task.swath(["review", "release", "roofs", String(match.1), "--reviewer", "rev"])
    #expect(again.status != 0 && again.stderr.contains("already ended"), "\(again.stderr)")
    let other = try task.task.run(["review", "next", "roofs", "--reviewer", "rev"])
    #expect(!other.stdout.contains("object \(object) "), "\(other.stdout)")
  }
}
