import Testing

@testable import SwathConsensus

@Suite struct AssignmentTests {
  @Test func prefersMoreMatchesOverHigherTotal() {
    // Row 0 would take column 0 (0.9) greedily and leave row 1 unmatched.
    let weights: [[Double?]] = [[0.9, 0.6], [0.7, nil]]
    #expect(Assignment.maximize(weights) == [1, 0])
  }

  @Test func maximisesTotalAmongEquallyManyMatches() {
    let weights: [[Double?]] = [[0.9, 0.8], [0.8, 0.55]]
    // 0.9 + 0.55 = 1.45 < 0.8 + 0.8 = 1.6.
    #expect(Assignment.maximize(weights) == [1, 0])
  }

  @Test func rectangularAndForbidden() {
    let weights: [[Double?]] = [[nil, nil, 0.5], [0.6, nil, 0.7], [nil, nil, nil]]
    #expect(Assignment.maximize(weights) == [2, 0, nil])
    let tall: [[Double?]] = [[0.5], [0.9], [0.7]]
    #expect(Assignment.maximize(tall) == [nil, 0, nil])
  }
}
