import Foundation
import SwathGeometry

// The road grid: main and minor roads with their sidewalks, and their paint (centre dashes,
// zebra crossings, stop lines).

struct Road {
  var vertical: Bool
  var center: Double
  var from: Double
  var to: Double
  var width: Double
  var sidewalk: Double
  var main: Bool

  var halfOuter: Double { width / 2 + sidewalk }

  func rect(halfWidth: Double) -> Box {
    vertical
      ? Box(x0: center - halfWidth, y0: from, x1: center + halfWidth, y1: to)
      : Box(x0: from, y0: center - halfWidth, x1: to, y1: center + halfWidth)
  }
}

extension TownPlanner {
  mutating func gridLines() -> [Double] {
    var lines: [Double] = []
    var position = rng.uniform(22...70)
    while position < extent - 12 {
      lines.append(position)
      position += rng.uniform(78...122)
    }
    return lines
  }

  func columnBounds() -> [Double] { [-40] + verticalLines + [extent + 40] }

  mutating func planRoads() {
    verticalLines = gridLines()
    horizontalLines = gridLines()
    if !verticalLines.isEmpty {
      mainVertical = verticalLines.indices.min {
        abs(verticalLines[$0] - extent * 0.45) < abs(verticalLines[$1] - extent * 0.45)
      }!
    }
    if !horizontalLines.isEmpty {
      mainHorizontal = horizontalLines.indices.min {
        abs(horizontalLines[$0] - extent * 0.55) < abs(horizontalLines[$1] - extent * 0.55)
      }!
    }
    let bounds = columnBounds()
    for (index, x) in verticalLines.enumerated() {
      let main = index == mainVertical
      roads.append(
        Road(
          vertical: true, center: x, from: -40, to: extent + 40, width: main ? 10 : 7,
          sidewalk: main ? 2.6 : 2,
          main: main))
    }
    for (index, y) in horizontalLines.enumerated() {
      let main = index == mainHorizontal
      var present: [Bool] = []
      for column in 0..<(bounds.count - 1) {
        let keep = main || rng.chance(0.8)
        present.append(keep)
        if keep {
          roads.append(
            Road(
              vertical: false, center: y, from: bounds[column], to: bounds[column + 1], width: main ? 10 : 7,
              sidewalk: main ? 2.6 : 2, main: main))
        }
      }
      horizontalPresent.append(present)
    }
    for road in roads {
      roadSurfaces.append(
        Surface(
          rings: [road.rect(halfWidth: road.halfOuter).ring], material: .sidewalk(alongX: !road.vertical)))
    }
    // Asphalt after every sidewalk, so crossings are clean.
    for road in roads {
      roadSurfaces.append(Surface(rings: [road.rect(halfWidth: road.width / 2).ring], material: .asphalt))
    }
    for road in roads { planMarkings(road) }
  }

  /// Stretches of `road` inside crossings, as (from, to) along it, widened by `margin`.
  func crossings(of road: Road, margin: Double) -> [(Double, Double)] {
    roads.compactMap { other in
      guard other.vertical != road.vertical, other.from <= road.center, road.center <= other.to else {
        return nil
      }
      return (other.center - other.halfOuter - margin, other.center + other.halfOuter + margin)
    }
  }

  func isClear(_ position: ClosedRange<Double>, of zones: [(Double, Double)]) -> Bool {
    !zones.contains { position.lowerBound < $0.1 && $0.0 < position.upperBound }
  }

  mutating func addMarking(_ road: Road, along: ClosedRange<Double>, across: ClosedRange<Double>) {
    let box =
      road.vertical
      ? Box(
        x0: road.center + across.lowerBound, y0: along.lowerBound, x1: road.center + across.upperBound,
        y1: along.upperBound)
      : Box(
        x0: along.lowerBound, y0: road.center + across.lowerBound, x1: along.upperBound,
        y1: road.center + across.upperBound)
    roadSurfaces.append(Surface(rings: [box.ring], material: .marking))
  }

  mutating func planMarkings(_ road: Road) {
    let zones = crossings(of: road, margin: 0.5)
    let half = lineWidth / 2
    if road.main {
      // Dashed centre line, 3 m on and 6 m off as on German town roads.
      var position = road.from
      while position < road.to {
        let dash = position...(position + 3)
        if isClear(dash, of: zones) { addMarking(road, along: dash, across: -half...half) }
        position += 9
      }
      // Zebra crossings before some junctions.
      for zone in zones where rng.chance(0.7) {
        let start = zone.1 + 1.5
        for stripe in stride(from: -road.width / 2 + 0.5, to: road.width / 2 - 0.4, by: 1.0) {
          addMarking(road, along: start...(start + 3.5), across: stripe...(stripe + 0.5))
        }
      }
    } else {
      // Stop lines where a minor road meets a main one.
      for other in roads
      where other.main && other.vertical != road.vertical && other.from <= road.center
        && road.center <= other.to
      {
        for end in [other.center - other.halfOuter - 0.8, other.center + other.halfOuter + 0.4] {
          guard end > road.from, end < road.to else { continue }
          addMarking(road, along: end...(end + 0.4), across: (-road.width / 2 + 0.3)...(road.width / 2 - 0.3))
        }
      }
    }
  }
}
