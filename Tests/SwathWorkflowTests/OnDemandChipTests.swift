import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathTestSupport
import SwathTiling
import Testing

@testable import SwathWorkflow

/// Tasks whose chips are rendered on demand: the same chip rows as a pre-cut task, no file
/// written, and each chip's PNG the pre-cut file's pixels. Scenes by URL: read in ranges.
@Suite(.enabled(if: TestSupport.hasImagery, "needs ../shared/imagery"))
struct OnDemandChipTests {
  static let landsat = "landsat7_rgb_uint8_utm18n_nodata0.tif"

  @Test func onDemandTasksRecordThePrecutChipsWithoutFiles() throws {
    let (url, workspace) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    try workspace.registerImage(
      ImageCatalog.inspect(path: TestSupport.image(Self.landsat).path), name: "bahamas", by: .test)
    var parameters = TaskParameters(
      name: "cut", imageName: "bahamas", region: "all", labels: ["cloud"], chipSize: 256, overlap: 32)
    let cut = try workspace.createTask(parameters, by: .test)
    parameters.name = "drawn"
    parameters.chips = .onDemand
    let drawn = try workspace.createTask(parameters, by: .test)
    #expect(cut.task.chipSource == .precut && drawn.task.chipSource == .onDemand)
    #expect(drawn.chips == cut.chips && drawn.task.chipLook == cut.task.chipLook)
    #expect(!FileManager.default.fileExists(atPath: url.appendingPathComponent("chips/drawn").path))
    #expect(try workspace.taskSummary(named: "drawn", by: .test).chipSource == .onDemand)

    let (cutChips, drawnChips) = try workspace.store.read { store in
      (try store.chips(ofTask: cut.task.id!), try store.chips(ofTask: drawn.task.id!))
    }
    #expect(cutChips.count == drawnChips.count)
    for (a, b) in zip(cutChips, drawnChips) {
      #expect(a.chipKey == b.chipKey && a.validFraction == b.validFraction && a.footprint == b.footprint)
      let window: [Int] = [a.columnOffset, a.rowOffset, a.width, a.height]
      #expect(a.geotransform == b.geotransform && window == [b.columnOffset, b.rowOffset, b.width, b.height])
      #expect(b.path.isEmpty && !a.path.isEmpty)
    }
    // An edge chip and a masked interior one: the rendered PNG has the pre-cut file's pixels.
    let folder = try TestSupport.temporaryDirectory("swath-ondemand")
    defer { try? FileManager.default.removeItem(at: folder) }
    let edge = try #require(cutChips.first { $0.width < 256 })
    let masked = try #require(cutChips.first { $0.width == 256 && $0.height == 256 && $0.validFraction < 1 })
    for chip in [edge, masked] {
      let picture = try workspace.chipPicture(task: "drawn", chip: chip.chipKey, by: .test)
      #expect(picture.rendered)
      let rendered = folder.appendingPathComponent("\(chip.chipKey).png")
      try picture.render().write(to: rendered)
      let file = try workspace.chipImage(task: "cut", chip: chip.chipKey, by: .test)
      #expect(try pixels(rendered.path) == pixels(file.path), "\(chip.chipKey)")
      let precut = try workspace.chipPicture(task: "cut", chip: chip.chipKey, by: .test)
      #expect(!precut.rendered)
      #expect(try precut.render() == Data(contentsOf: file))
    }
    // The tag names what decides the pixels: another window, another tag; the same, the same.
    let tags = try cutChips.prefix(3).map {
      try workspace.chipPicture(task: "drawn", chip: $0.chipKey, by: .test).tag
    }
    #expect(Set(tags).count == 3)
    #expect(try workspace.chipPicture(task: "drawn", chip: cutChips[0].chipKey, by: .test).tag == tags[0])
    // The queue gives an on-demand chip's API path, where it is rendered, instead of a file.
    _ = try workspace.assign(task: "drawn", annotators: ["ana", "ben", "chloe"], by: .test)
    let pending = try workspace.queue(annotator: "ana", task: "drawn", by: .test).pending
    #expect(!pending.isEmpty && pending.allSatisfy { $0.png == "/api/v1/tasks/drawn/chips/\($0.chip).png" })
    // An on-demand chip has no file to hand out.
    #expect(throws: WorkflowError.self) {
      try workspace.chipImage(task: "drawn", chip: edge.chipKey, by: .test)
    }
  }

  /// A scene by URL: recorded with its URL, its size and the hash of its size and first 64 KiB;
  /// its on-demand chips equal the local file's; once the file has changed, no new task.
  @Test func scenesByURL() throws {
    let (url, workspace) = try Fixtures.workspace()
    defer { try? FileManager.default.removeItem(at: url) }
    let served = try TestSupport.temporaryDirectory("swath-served")
    defer { try? FileManager.default.removeItem(at: served) }
    let cog = served.appendingPathComponent("bahamas.tif")
    try RangeServer.makeCOG(from: TestSupport.image(Self.landsat), to: cog)
    let server = try RangeServer(root: served)
    defer { server.stop() }

    let remote = try ImageCatalog.inspect(path: server.url("bahamas.tif"))
    let bytes = try Data(contentsOf: cog)
    #expect(remote.path == server.url("bahamas.tif") && remote.sizeBytes == Int64(bytes.count))
    #expect(remote.sha256 == Checksum.sha256(Data("\(bytes.count)\n".utf8) + bytes.prefix(65_536)))
    #expect(remote.width == 791 && remote.height == 718 && remote.footprint != nil)
    try workspace.registerImage(remote, name: "remote", by: .test)
    try workspace.registerImage(ImageCatalog.inspect(path: cog.path), name: "local", by: .test)
    var parameters = TaskParameters(
      name: "by-url", imageName: "remote", region: "px:0,0,500,500", labels: ["cloud"], chipSize: 256,
      overlap: 0)
    parameters.chips = .onDemand
    _ = try workspace.createTask(parameters, by: .test)
    parameters.name = "by-file"
    parameters.imageName = "local"
    _ = try workspace.createTask(parameters, by: .test)
    for chip in ["r0000_c0000", "r0001_c0001"] {
      let a = try workspace.chipPicture(task: "by-url", chip: chip, by: .test).render()
      let b = try workspace.chipPicture(task: "by-file", chip: chip, by: .test).render()
      #expect(a == b)
    }

    // A URL that answers 404 is refused with curl's words.
    let missing = #expect(throws: WorkflowError.self) {
      try ImageCatalog.inspect(path: server.url("nothing.tif"))
    }
    #expect(missing?.message.contains("404") == true, "\(missing?.message ?? "")")

    // The served file replaced by another: the task is refused, as for a local file.
    try RangeServer.makeCOG(from: TestSupport.image("landsat8_3band_uint16_utm18n_nodata0_cog.tif"), to: cog)
    parameters.name = "later"
    parameters.imageName = "remote"
    let changed = #expect(throws: WorkflowError.self) { try workspace.createTask(parameters, by: .test) }
    #expect(changed?.message.contains("changed since it was registered") == true)
  }

  /// The band count, then the bands pixel-interleaved.
  private func pixels(_ path: String) throws -> [UInt8] {
    let read = try TestSupport.rasterBytes(path)
    return [UInt8(read.bandCount)] + read.bytes
  }
}
