import Foundation
import SwathGeometry

// The planner's geometry in local metres: axis-aligned boxes, a grid index that keeps objects
// apart, and the frame of one side of a block (u along the street, w away from it).

/// An axis-aligned rectangle in local metres.
struct Box: Sendable, Hashable {
  var x0: Double
  var y0: Double
  var x1: Double
  var y1: Double

  var width: Double { x1 - x0 }
  var height: Double { y1 - y0 }
  var center: Point { Point((x0 + x1) / 2, (y0 + y1) / 2) }
  var ring: [Point] { [Point(x0, y0), Point(x1, y0), Point(x1, y1), Point(x0, y1)] }

  func intersects(_ other: Box, margin: Double = 0) -> Bool {
    x0 - margin < other.x1 && other.x0 < x1 + margin && y0 - margin < other.y1 && other.y0 < y1 + margin
  }

  func inset(_ amount: Double) -> Box {
    Box(x0: x0 + amount, y0: y0 + amount, x1: x1 - amount, y1: y1 - amount)
  }

  static func around(_ points: [Point]) -> Box {
    var box = Box(x0: .infinity, y0: .infinity, x1: -.infinity, y1: -.infinity)
    for point in points {
      box.x0 = min(box.x0, point.x)
      box.y0 = min(box.y0, point.y)
      box.x1 = max(box.x1, point.x)
      box.y1 = max(box.y1, point.y)
    }
    return box
  }
}

/// A uniform grid of boxes, to keep objects apart.
struct BoxIndex {
  private let cell = 16.0
  private var cells: [Int64: [Int]] = [:]
  private(set) var boxes: [Box] = []

  private func keys(_ box: Box) -> [Int64] {
    var result: [Int64] = []
    let cx0 = Int64((box.x0 / cell).rounded(.down))
    let cx1 = Int64((box.x1 / cell).rounded(.down))
    let cy0 = Int64((box.y0 / cell).rounded(.down))
    let cy1 = Int64((box.y1 / cell).rounded(.down))
    for cx in cx0...cx1 {
      for cy in cy0...cy1 { result.append((cx + 1_000_000) * 2_000_000 + cy + 1_000_000) }
    }
    return result
  }

  mutating func insert(_ box: Box) {
    boxes.append(box)
    for key in keys(box) { cells[key, default: []].append(boxes.count - 1) }
  }

  func hits(_ box: Box, margin: Double = 0) -> Bool {
    let grown = box.inset(-margin)
    for key in keys(grown) {
      for index in cells[key] ?? [] where boxes[index].intersects(grown) { return true }
    }
    return false
  }
}

/// Local axes of one side of a block: `u` along the street, `w` away from it.
struct Frame {
  var origin: Point
  var along: Point
  var away: Point

  func map(_ u: Double, _ w: Double) -> Point {
    Point(origin.x + u * along.x + w * away.x, origin.y + u * along.y + w * away.y)
  }

  func box(u0: Double, u1: Double, w0: Double, w1: Double) -> Box {
    Box.around([map(u0, w0), map(u1, w1)])
  }

  /// True when `u` runs east–west.
  var alongX: Bool { along.x != 0 }
}
