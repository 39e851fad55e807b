import Foundation
import SwathGDAL
import SwathGeometry

/// How a task's chips look: which bands, through which 8-bit stretch, with or without alpha.
/// Decided once per task (by the chipper or by `Chipper.layOut`) and kept, so a chip rendered on
/// request has the pixels its pre-cut file would have had.
public struct ChipLook: Sendable, Hashable {
  public var bands: [Int]
  public var stretch: [BandStretch]
  /// Every chip carries an alpha channel (the scene has a mask or the grid has padded chips).
  public var alpha: Bool

  public init(bands: [Int], stretch: [BandStretch], alpha: Bool) {
    self.bands = bands
    self.stretch = stretch
    self.alpha = alpha
  }

  /// The look of chips cut into this index.
  public init(index: ChipIndex) {
    self.init(bands: index.output.bands, stretch: index.stretch, alpha: index.output.alpha)
  }

  /// `{"bands": [...], "stretch": [{"band", "method", "min", "max"}], "alpha": bool}`, as stored.
  public var json: JSONValue {
    .object([
      "bands": .array(bands.map { .integer(Int64($0)) }),
      "stretch": .array(
        stretch.map { cut in
          .object([
            "band": .integer(Int64(cut.band)), "method": .string(cut.method.rawValue),
            "min": cut.min.map { .number($0) } ?? .null, "max": cut.max.map { .number($0) } ?? .null,
          ])
        }),
      "alpha": .bool(alpha),
    ])
  }

  /// The look from its `json`; nil when the text is not one.
  public init?(json text: String) {
    guard let value = try? JSONValue(parsing: text), let object = value.objectValue,
      let alpha = object["alpha"]?.boolValue, let (bands, stretch) = ChipContext.look(in: value)
    else { return nil }
    self.init(bands: bands, stretch: stretch, alpha: alpha)
  }

  /// Changes whenever the pixels could: a short hash of the look's JSON.
  public var fingerprint: String { String(Checksum.sha256(Data(json.jsonText.utf8)).prefix(12)) }
}

/// Renders chips and their context from the scene on request: the window read, the mask as alpha,
/// the task's stretch, PNG in memory. The pixels equal the chipper's (`StretchedWindow` is shared
/// with the context and the overview).
///
/// GDAL dataset handles are not thread-safe, so each render checks one out of a small pool per
/// scene and gives it back: opening a COG (and, over HTTP, fetching its header) happens once per
/// handle, not once per chip.
public final class ChipRenderer: Sendable {
  /// One per process: the pool is what makes a second chip of a scene cheap.
  public static let shared = ChipRenderer()

  private let pool: DatasetPool

  /// `handlesPerScene`: idle handles kept per scene; `scenes`: scenes kept open.
  public init(handlesPerScene: Int = 4, scenes: Int = 16) {
    pool = DatasetPool(perScene: handlesPerScene, scenes: scenes)
  }

  /// The chip of `size` × `size` pixels whose window in the scene is `window` (clipped to the
  /// scene; the rest padded transparent, as the chipper pads), as PNG.
  public func chip(scene: String, look: ChipLook, size: Int, window: PixelWindow) throws -> Data {
    try diagnosed(scene) {
      try pool.with(scene) { dataset in
        try check(look, against: dataset)
        guard window.x >= 0, window.y >= 0, window.width >= 1, window.height >= 1,
          window.width <= size, window.height <= size,
          window.x + window.width <= dataset.width, window.y + window.height <= dataset.height
        else {
          throw ChipError.input("the chip's window lies outside \(dataset.path)")
        }
        return try StretchedWindow.png(
          dataset: dataset, bands: look.bands, stretch: look.stretch, window: window,
          width: window.width, height: window.height, canvas: (size, size),
          alpha: look.alpha ? .always : .whenMasked,
          readFailure: {
            "\(dataset.path): cannot read band \($0) at rows \(window.y)…\(window.y + window.height - 1)"
          },
          what: "chip")
      }
    }
  }

  /// A failed read of a scene by URL says why in the server's terms when it can ("HTTP response
  /// code: 404", a timeout): GDAL's last message is only the tile that could not be read.
  private func diagnosed<T>(_ scene: String, _ body: () throws -> T) throws -> T {
    do {
      return try body()
    } catch let error as ChipError where RemoteScene.isURL(scene) && error.kind == .input {
      guard let reason = RemoteScene.unreachable(scene) else { throw error }
      throw ChipError.input("\(scene): \(reason) (\(error.message))")
    }
  }

  /// The context of a chip (see `ChipContext`), rendered with the task's look.
  public func context(scene: String, look: ChipLook, chip window: PixelWindow, margin: Int) throws
    -> ChipContext.Rendered
  {
    try diagnosed(scene) {
      try pool.with(scene) { dataset in
        try check(look, against: dataset)
        return try ChipContext.render(
          dataset: dataset, bands: look.bands, stretch: look.stretch, chip: window, margin: margin)
      }
    }
  }

  /// The look the chipper would give chips of `size` cut from the scene (for a task that has
  /// none recorded).
  public func look(scene: String, chipSize: Int) throws -> ChipLook {
    try pool.with(scene) { dataset in
      let plan = try ChipPlan(dataset: dataset, options: ChipOptions(size: chipSize, edge: .pad))
      return ChipLook(bands: plan.bands, stretch: try plan.computeStretch(), alpha: plan.alpha)
    }
  }

  /// Forgets the idle handles of a scene and what curl keeps of its URL (the file was replaced
  /// or moved), so the next chip reads it afresh.
  public func forget(scene: String) {
    pool.forget(scene)
    RemoteScene.forgetCached(scene)
  }

  private func check(_ look: ChipLook, against dataset: RasterDataset) throws {
    guard !look.bands.isEmpty, look.bands.count == look.stretch.count,
      look.bands.allSatisfy({ $0 >= 1 && $0 <= dataset.bandCount })
    else {
      throw ChipError.input(
        "\(dataset.path) has \(dataset.bandCount) band(s); the task's chips show bands \(look.bands)")
    }
  }
}

/// Open datasets per scene, each used by one thread at a time.
// @unchecked: `idle` and `order` are only touched under `lock`; a handle checked out is owned by
// the one thread that took it until it is given back.
final class DatasetPool: @unchecked Sendable {
  private let lock = NSLock()
  private var idle: [String: [RasterDataset]] = [:]
  /// Scenes, least recently used first.
  private var order: [String] = []
  private let perScene: Int
  private let scenes: Int

  init(perScene: Int, scenes: Int) {
    self.perScene = max(1, perScene)
    self.scenes = max(1, scenes)
  }

  func with<T>(_ scene: String, _ body: (RasterDataset) throws -> T) throws -> T {
    let dataset = try take(scene)
    defer { give(dataset, scene) }
    return try body(dataset)
  }

  private func take(_ scene: String) throws -> RasterDataset {
    lock.lock()
    if let dataset = idle[scene]?.popLast() {
      lock.unlock()
      return dataset
    }
    lock.unlock()
    // Opened outside the lock: a slow server must not hold up the other scenes.
    do {
      return try RasterDataset(path: scene)
    } catch let error as GDALError {
      throw ChipError.input(error.message)
    }
  }

  private func give(_ dataset: RasterDataset, _ scene: String) {
    var closing: [RasterDataset] = []
    lock.lock()
    var handles = idle[scene] ?? []
    if handles.count < perScene { handles.append(dataset) } else { closing.append(dataset) }
    idle[scene] = handles
    order.removeAll { $0 == scene }
    order.append(scene)
    while order.count > scenes {
      let oldest = order.removeFirst()
      closing += idle.removeValue(forKey: oldest) ?? []
    }
    lock.unlock()
    // Closed (deinit) outside the lock.
    closing.removeAll()
  }

  func forget(_ scene: String) {
    lock.lock()
    let dropped = idle.removeValue(forKey: scene)
    order.removeAll { $0 == scene }
    lock.unlock()
    _ = dropped
  }
}
