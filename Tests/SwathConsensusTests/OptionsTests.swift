import SwathConsensus
import Testing

@Suite struct OptionsTests {
  @Test func iouThresholdIsInZeroToOne() throws {
    #expect(try IoUThreshold(0.5).value == 0.5)
    #expect(try IoUThreshold(1).value == 1)
    for bad in [0, -0.1, 1.01, .nan, .infinity] {
      #expect(throws: ConsensusError.self) { try IoUThreshold(bad) }
    }
    #expect(ConsensusOptions().iouThreshold == .half)
  }

  @Test func outOfRangeIoUIsRefusedWhereTheValueIsMade() throws {
    let error = #expect(throws: ConsensusError.self) { try IoUThreshold(1.5) }
    #expect(error?.message == "the IoU threshold must be in (0, 1], got 1.5")
    var options = ConsensusOptions()
    options.iouThreshold = try IoUThreshold(0.7)
    #expect(options.iouThreshold.value == 0.7)
    _ = try ConsensusEngine.run([Submission(annotator: "a", features: [])], options: options)
  }

  @Test func quorumParsesFractionsAndCounts() throws {
    #expect(try Quorum(parsing: "0.5").rule == .fraction(0.5))
    #expect(try Quorum(parsing: "3").rule == .count(3))
    #expect(Quorum("3") == (try .count(3)))
    for bad in ["0", "-1", "1.5", "x", "", "inf", "nan"] {
      #expect(Quorum(bad) == nil)
      #expect(throws: ConsensusError.self) { try Quorum(parsing: bad) }
    }
    #expect(try Quorum.fraction(1).required(of: 5) == 5)
    #expect(throws: ConsensusError.self) { try Quorum.fraction(1.2) }
    #expect(throws: ConsensusError.self) { try Quorum.count(0) }
    #expect(Quorum.half.required(of: 5) == 3)
  }
}
