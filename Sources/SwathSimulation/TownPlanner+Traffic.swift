import Foundation
import SwathGeometry

// Vehicles on the roads: moving traffic in both lanes (trucks only on main roads) and cars
// parked along minor roads, kept out of the crossings.

extension TownPlanner {
  mutating func planRoadVehicles() {
    for road in roads {
      let zones = crossings(of: road, margin: 1.5)
      // Right-hand traffic: the lane on the right of the driving direction.
      var lanes: [(offset: Double, forward: Bool, parked: Bool)] =
        road.main
        ? [(2.5, !road.vertical, false), (-2.5, road.vertical, false)]
        : [(1.75, !road.vertical, false), (-1.75, road.vertical, false)]
      if !road.main {
        lanes += [
          (road.width / 2 - 1.05, !road.vertical, true), (-road.width / 2 + 1.05, road.vertical, true),
        ]
      }
      for lane in lanes {
        var position = road.from + rng.uniform(2...30)
        while position < road.to {
          let kind: String
          let roll = rng.unit()
          if road.main && !lane.parked && roll < 0.06 {
            kind = "truck"
          } else if roll < 0.16 {
            kind = "van"
          } else {
            kind = "car"
          }
          let length =
            kind == "truck"
            ? rng.uniform(8...12) : (kind == "van" ? rng.uniform(5...5.8) : rng.uniform(4.1...4.9))
          let width =
            kind == "truck" ? 2.5 : (kind == "van" ? rng.uniform(1.95...2.1) : rng.uniform(1.72...1.88))
          let across = lane.offset + rng.uniform(-0.25...0.25)
          let span = position...(position + length)
          if isClear(span, of: zones) {
            let box =
              road.vertical
              ? Box(
                x0: road.center + across - width / 2, y0: position, x1: road.center + across + width / 2,
                y1: position + length)
              : Box(
                x0: position, y0: road.center + across - width / 2, x1: position + length,
                y1: road.center + across + width / 2)
            addVehicle(box, alongX: !road.vertical, frontPositive: lane.forward, kind: kind)
          }
          position +=
            length
            + (lane.parked
              ? (rng.chance(0.3) ? rng.uniform(0.8...2) : rng.uniform(15...80)) : rng.uniform(18...110))
        }
      }
    }
  }
}
