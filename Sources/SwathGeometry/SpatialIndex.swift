import Dispatch
import Foundation

/// A packed R-tree over envelopes, bulk-loaded once by sort-tile-recursive packing and
/// read-only afterwards, so any number of threads may query it at once.
///
/// Every level is a flat array of nodes; a node's children are a contiguous run of the
/// level below (level 0 holds the envelopes themselves). STR sorts each level into vertical
/// slices by centre x, then each slice by centre y, before grouping runs of `nodeCapacity`.
public struct SpatialIndex: Sendable {
  public static let nodeCapacity = 16

  /// Nodes of one level: boxes, and the run of children each covers in the level below.
  private struct Level: Sendable {
    var boxes: [BoundingBox]
    var childStart: [Int32]
    var childCount: [Int32]
  }

  /// levels[0]: the envelopes in packed order (childStart = original index, childCount = 1);
  /// the last level is the root level, scanned in full.
  private let levels: [Level]
  /// The number of envelopes given, including those left out (NaN or inverted ones).
  public let count: Int

  public init(_ envelopes: [BoundingBox]) {
    count = envelopes.count
    // An envelope with NaN or min > max intersects nothing; keeping it out keeps sorts sane.
    var entries: [(box: BoundingBox, start: Int32, count: Int32)] = []
    entries.reserveCapacity(envelopes.count)
    for (index, box) in envelopes.enumerated() where box.minX <= box.maxX && box.minY <= box.maxY {
      entries.append((box, Int32(index), 1))
    }
    var levels: [Level] = []
    while true {
      SpatialIndex.sortTileRecursive(&entries)
      levels.append(
        Level(
          boxes: entries.map(\.box), childStart: entries.map(\.start),
          childCount: entries.map(\.count)))
      if entries.count <= SpatialIndex.nodeCapacity { break }
      let capacity = SpatialIndex.nodeCapacity
      var parents: [(box: BoundingBox, start: Int32, count: Int32)] = []
      parents.reserveCapacity((entries.count + capacity - 1) / capacity)
      var start = 0
      while start < entries.count {
        let end = min(start + capacity, entries.count)
        var box = entries[start].box
        for index in (start + 1)..<end { box = box.union(entries[index].box) }
        parents.append((box, Int32(start), Int32(end - start)))
        start = end
      }
      entries = parents
    }
    self.levels = levels
  }

  /// Orders entries so runs of `nodeCapacity` are spatially compact: vertical slices of
  /// about √(nodes) nodes each by centre x, each slice by centre y.
  private static func sortTileRecursive(_ entries: inout [(box: BoundingBox, start: Int32, count: Int32)]) {
    let capacity = nodeCapacity
    guard entries.count > capacity else { return }
    entries.sort { ($0.box.minX + $0.box.maxX) < ($1.box.minX + $1.box.maxX) }
    let nodeCount = (entries.count + capacity - 1) / capacity
    let sliceCount = Int(Double(nodeCount).squareRoot().rounded(.up))
    let sliceSize = ((nodeCount + sliceCount - 1) / sliceCount) * capacity
    var start = 0
    while start < entries.count {
      let end = min(start + sliceSize, entries.count)
      entries[start..<end].sort { ($0.box.minY + $0.box.maxY) < ($1.box.minY + $1.box.maxY) }
      start = end
    }
  }

  /// Indices of the envelopes that intersect `box` (closed: touching counts), ascending.
  public func query(_ box: BoundingBox) -> [Int] {
    var result: [Int] = []
    visit(box) { result.append($0) }
    result.sort()
    return result
  }

  /// Calls `body` with the index of every envelope intersecting `box`, in tree order.
  public func visit(_ box: BoundingBox, _ body: (Int) -> Void) {
    guard let top = levels.last, box.minX <= box.maxX, box.minY <= box.maxY else { return }
    // (level, node) pairs still to open; the tree is shallow, so the stack stays small.
    var stack: [(level: Int, node: Int32)] = []
    let topLevel = levels.count - 1
    for node in 0..<top.boxes.count where top.boxes[node].intersects(box) {
      if topLevel == 0 {
        body(Int(top.childStart[node]))
      } else {
        stack.append((topLevel, Int32(node)))
      }
    }
    while let (levelIndex, node) = stack.popLast() {
      let level = levels[levelIndex]
      let below = levels[levelIndex - 1]
      let start = Int(level.childStart[Int(node)])
      let end = start + Int(level.childCount[Int(node)])
      below.boxes.withUnsafeBufferPointer { boxes in
        for child in start..<end where boxes[child].intersects(box) {
          if levelIndex == 1 {
            body(Int(below.childStart[child]))
          } else {
            stack.append((levelIndex - 1, Int32(child)))
          }
        }
      }
    }
  }

  /// Every pair i < j whose envelopes intersect (closed), sorted; one query per envelope,
  /// spread over the cores for large inputs.
  public func intersectingPairs() -> [(Int, Int)] {
    guard let leaves = levels.first, !leaves.boxes.isEmpty else { return [] }
    let entryCount = leaves.boxes.count
    let chunkCount = entryCount < 4096 ? 1 : min(64, ProcessInfo.processInfo.activeProcessorCount * 4)
    let chunkSize = (entryCount + chunkCount - 1) / chunkCount
    let results = PairChunks(count: chunkCount)
    DispatchQueue.concurrentPerform(iterations: chunkCount) { chunk in
      var pairs: [(Int, Int)] = []
      let start = chunk * chunkSize
      let end = min(start + chunkSize, entryCount)
      if start < end {
        for entry in start..<end {
          let index = Int(leaves.childStart[entry])
          visit(leaves.boxes[entry]) { other in
            if other > index { pairs.append((index, other)) }
          }
        }
      }
      results.set(chunk, pairs)
    }
    var all = results.joined()
    all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    return all
  }
}

/// Per-chunk results of a parallel pair search, each slot written by one worker.
private final class PairChunks: @unchecked Sendable {
  private var chunks: [[(Int, Int)]]
  private let lock = NSLock()

  init(count: Int) { chunks = Array(repeating: [], count: count) }

  func set(_ index: Int, _ pairs: [(Int, Int)]) {
    lock.lock()
    chunks[index] = pairs
    lock.unlock()
  }

  func joined() -> [(Int, Int)] {
    lock.lock()
    defer { lock.unlock() }
    var all: [(Int, Int)] = []
    all.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
    for chunk in chunks { all.append(contentsOf: chunk) }
    return all
  }
}
