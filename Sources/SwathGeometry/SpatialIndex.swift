import Dispatch
import Foundation
import SwathSupport

/// A packed R-tree over envelopes, bulk-loaded once by sort-tile-recursive packing and
/// read-only afterwards, so any number of threads may query it at once.
///
/// A node's children are a contiguous run of the level below (level 0 holds the envelopes
/// themselves), so the tree is three flat arrays and queries chase no pointers. STR sorts each level into vertical
/// slices by centre x, then each slice by centre y, before grouping runs of `nodeCapacity`.
public struct SpatialIndex: Sendable {
  public static let nodeCapacity = 16

  /// Every level's nodes in one flat array, level 0 (the envelopes) first, the root level
  /// last. A node's children are entries [childStart, childStart + childCount) of the same
  /// arrays; for level-0 entries childStart is the envelope's original index.
  private let boxes: [BoundingBox]
  private let childStart: [Int32]
  private let childCount: [Int32]
  /// Entries below this index are envelopes (level 0).
  private let leafCount: Int
  /// Where the root level starts in the flat arrays.
  private let rootStart: Int
  private let depth: Int
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
    let leafCount = entries.count
    var boxes: [BoundingBox] = []
    var childStart: [Int32] = []
    var childCount: [Int32] = []
    boxes.reserveCapacity(entries.count + entries.count / 8)
    childStart.reserveCapacity(boxes.capacity)
    childCount.reserveCapacity(boxes.capacity)
    var levelStart = 0
    var depth = 0
    let capacity = SpatialIndex.nodeCapacity
    while true {
      SpatialIndex.sortTileRecursive(&entries)
      levelStart = boxes.count
      for entry in entries {
        boxes.append(entry.box)
        childStart.append(entry.start)
        childCount.append(entry.count)
      }
      depth += 1
      if entries.count <= capacity { break }
      var parents: [(box: BoundingBox, start: Int32, count: Int32)] = []
      parents.reserveCapacity((entries.count + capacity - 1) / capacity)
      var start = 0
      while start < entries.count {
        let end = min(start + capacity, entries.count)
        var box = entries[start].box
        for index in (start + 1)..<end { box = box.union(entries[index].box) }
        parents.append((box, Int32(levelStart + start), Int32(end - start)))
        start = end
      }
      entries = parents
    }
    self.boxes = boxes
    self.childStart = childStart
    self.childCount = childCount
    self.leafCount = leafCount
    self.rootStart = levelStart
    self.depth = depth
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
    guard leafCount > 0, box.minX <= box.maxX, box.minY <= box.maxY else { return }
    // Nodes still to open: at most one node's children per level, plus the root level.
    let stackCapacity = Self.nodeCapacity * (depth + 1)
    boxes.withUnsafeBufferPointer { boxes in
      childStart.withUnsafeBufferPointer { childStart in
        childCount.withUnsafeBufferPointer { childCount in
          withUnsafeTemporaryAllocation(of: Int32.self, capacity: stackCapacity) { stack in
            var top = 0
            for node in rootStart..<boxes.count where boxes[node].intersects(box) {
              if node < leafCount {
                body(Int(childStart[node]))
              } else {
                stack[top] = Int32(node)
                top += 1
              }
            }
            while top > 0 {
              top -= 1
              let node = Int(stack[top])
              let start = Int(childStart[node])
              for child in start..<(start + Int(childCount[node])) where boxes[child].intersects(box) {
                if child < leafCount {
                  body(Int(childStart[child]))
                } else {
                  stack[top] = Int32(child)
                  top += 1
                }
              }
            }
          }
        }
      }
    }
  }

  /// Every pair i < j whose envelopes intersect (closed), sorted; one query per envelope,
  /// spread over the cores for large inputs.
  public func intersectingPairs() -> [(Int, Int)] {
    guard leafCount > 0 else { return [] }
    let entryCount = leafCount
    let chunkCount =
      entryCount < 4096 ? 1 : min(64, ProcessInfo.processInfo.activeProcessorCount * 4)
    let chunkSize = (entryCount + chunkCount - 1) / chunkCount
    let chunks = Parallel.map(0..<chunkCount) { chunk -> [(Int, Int)] in
      var pairs: [(Int, Int)] = []
      let start = chunk * chunkSize
      let end = min(start + chunkSize, entryCount)
      if start < end {
        for entry in start..<end {
          let index = Int(childStart[entry])
          visit(boxes[entry]) { other in
            if other > index { pairs.append((index, other)) }
          }
        }
      }
      return pairs
    }
    var all: [(Int, Int)] = []
    all.reserveCapacity(chunks.reduce(0) { $0 + $1.count })
    for chunk in chunks { all.append(contentsOf: chunk) }
    all.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
    return all
  }
}
