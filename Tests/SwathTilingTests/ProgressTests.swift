import Foundation
import SwathSupport
import SwathTestSupport
import SwathTiling
import Testing

/// Counts what a chipping run reports, from any thread.
// @unchecked: every property is read and written under `lock`.
final class CountingProgress: ProgressReporter, @unchecked Sendable {
  private let lock = NSLock()
  private var events: [String] = []
  private var advanced = 0

  func begin(_ step: String, unit: String, total: Int?) {
    lock.withLock { events.append("begin \(step) \(unit) \(total.map(String.init) ?? "nil")") }
  }
  func advance(by count: Int) { lock.withLock { advanced += count } }
  func end() { lock.withLock { events.append("end") } }

  var snapshot: (events: [String], advanced: Int) { lock.withLock { (events, advanced) } }
}

@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct ProgressTests {
  func run(_ options: ChipOptions, image: String = "landsat7_rgb_uint8_utm18n_nodata0.tif") throws
    -> (ChipIndex, CountingProgress)
  {
    let directory = try TestSupport.temporaryDirectory("swath-chip")
    defer { try? FileManager.default.removeItem(at: directory) }
    let progress = CountingProgress()
    let index = try Chipper.run(
      imagePath: TestSupport.image(image).path, outputDirectory: directory.path, options: options,
      progress: progress)
    return (index, progress)
  }

  @Test(arguments: [ChipFormat.png, .tif])
  func everyCellIsCountedOnceWrittenOrSkipped(_ format: ChipFormat) throws {
    // 256-px chips with min-valid 0.99 skip the chips touching the nodata collar.
    let (index, progress) = try run(ChipOptions(size: 256, minValid: 0.99, format: format, jobs: 2))
    let cells = index.grid.rows * index.grid.columns
    let (events, advanced) = progress.snapshot
    #expect(events == ["begin chips chips \(cells)", "end"])
    #expect(advanced == cells)
    #expect(index.chips.count < cells, "some cells are skipped")
  }

  @Test func aRegionCountsOnlyTheCellsItSelects() throws {
    let (index, progress) = try run(
      ChipOptions(size: 128, region: .pixels(x: 0, y: 0, width: 200, height: 100)))
    let (events, advanced) = progress.snapshot
    #expect(events == ["begin chips chips 2", "end"])
    #expect(advanced == 2 && index.chips.count <= 2)
  }

  @Test func aFailedRunEndsItsStep() throws {
    let directory = try TestSupport.temporaryDirectory()
    defer { try? FileManager.default.removeItem(at: directory) }
    let cog = try Data(contentsOf: TestSupport.image("landsat8_3band_uint16_utm18n_nodata0_cog.tif"))
    let cut = directory.appendingPathComponent("cut.tif")
    try cog.prefix(Int(Double(cog.count) * 0.9)).write(to: cut)
    let progress = CountingProgress()
    #expect(throws: ChipError.self) {
      try Chipper.run(
        imagePath: cut.path, outputDirectory: directory.appendingPathComponent("out").path,
        options: ChipOptions(size: 256, stretch: .none), progress: progress)
    }
    #expect(progress.snapshot.events.last == "end")
  }
}
