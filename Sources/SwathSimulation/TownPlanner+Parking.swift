import Foundation
import SwathGeometry

// Car parks: stalls in rows across the long axis, painted lines, and parked cars and vans.

extension TownPlanner {
  mutating func planParking(_ lot: Box) {
    surfaces.append(Surface(rings: [lot.ring], material: .parking))
    let horizontal = lot.width >= lot.height
    // Rows of stalls stacked across the long axis, aisles along it.
    let frame =
      horizontal
      ? Frame(origin: Point(lot.x0, lot.y0), along: Point(1, 0), away: Point(0, 1))
      : Frame(origin: Point(lot.x0, lot.y0), along: Point(0, 1), away: Point(1, 0))
    let length = horizontal ? lot.width : lot.height
    let depth = horizontal ? lot.height : lot.width
    let occupancy = rng.uniform(0.25...0.7)
    var rows: [(w0: Double, towardAisle: Bool)] = []
    var cursor = 0.6
    while cursor + 11 <= depth - 0.4 {
      rows.append((cursor, true))
      if cursor + 16 <= depth - 0.4 { rows.append((cursor + 11, false)) }
      cursor += 16.6
    }
    let stall = 2.5
    let count = Int((length - 1.6) / stall)
    guard count > 0 else { return }
    let start = (length - Double(count) * stall) / 2
    for row in rows {
      for index in 0...count {
        let u = start + Double(index) * stall
        addLine(frame.box(u0: u - lineWidth / 2, u1: u + lineWidth / 2, w0: row.w0, w1: row.w0 + 5))
      }
      for index in 0..<count where rng.chance(occupancy) {
        let center = start + (Double(index) + 0.5) * stall + rng.uniform(-0.2...0.2)
        let van = rng.chance(0.08)
        let width = van ? rng.uniform(1.95...2.1) : rng.uniform(1.72...1.9)
        let length = van ? rng.uniform(5.0...5.6) : rng.uniform(4.1...4.9)
        let w0 = row.w0 + (row.towardAisle ? 4.85 - length : 0.15) + rng.uniform(-0.1...0.1)
        addVehicle(
          frame.box(u0: center - width / 2, u1: center + width / 2, w0: w0, w1: w0 + length),
          alongX: !frame.alongX, frontPositive: rng.chance(0.5), kind: van ? "van" : "car")
      }
    }
  }

  mutating func addLine(_ box: Box) {
    surfaces.append(Surface(rings: [box.ring], material: .marking))
  }
}
