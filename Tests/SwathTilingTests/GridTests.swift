import Testing

@testable import SwathTiling

@Suite struct GridTests {
  @Test func padCoversTheImageWithPartialLastChips() {
    #expect(ChipPlan.positions(extent: 791, size: 512, stride: 512, edge: .pad) == [0, 512])
    #expect(ChipPlan.positions(extent: 1024, size: 512, stride: 512, edge: .pad) == [0, 512])
    #expect(ChipPlan.positions(extent: 383, size: 512, stride: 512, edge: .pad) == [0])
    #expect(ChipPlan.positions(extent: 1000, size: 512, stride: 256, edge: .pad) == [0, 256, 512])
  }

  @Test func shiftMovesTheLastChipInward() {
    #expect(ChipPlan.positions(extent: 791, size: 512, stride: 512, edge: .shift) == [0, 279])
    #expect(ChipPlan.positions(extent: 1000, size: 512, stride: 256, edge: .shift) == [0, 256, 488])
    #expect(ChipPlan.positions(extent: 383, size: 512, stride: 512, edge: .shift) == [0])
  }

  @Test func dropSkipsPartialChips() {
    #expect(ChipPlan.positions(extent: 791, size: 512, stride: 512, edge: .drop) == [0])
    #expect(ChipPlan.positions(extent: 1024, size: 512, stride: 256, edge: .drop) == [0, 256, 512])
    #expect(ChipPlan.positions(extent: 383, size: 512, stride: 512, edge: .drop) == [])
  }
}
