import Foundation
import SwathGeometry

// Zoning: each block between the roads becomes commercial, flats, houses, a park or a field,
// more often commercial near the crossing of the two main roads.

extension TownPlanner {
  mutating func planBlocks() {
    let bounds = columnBounds()
    let mainX = mainVertical >= 0 ? verticalLines[mainVertical] : extent / 2
    let mainY = mainHorizontal >= 0 ? horizontalLines[mainHorizontal] : extent / 2
    for column in 0..<(bounds.count - 1) {
      let left = column > 0 ? roads.first { $0.vertical && $0.center == bounds[column] } : nil
      let right =
        column < bounds.count - 2 ? roads.first { $0.vertical && $0.center == bounds[column + 1] } : nil
      let x0 = left.map { $0.center + $0.halfOuter } ?? -40
      let x1 = right.map { $0.center - $0.halfOuter } ?? extent + 40
      var cuts: [Road?] = [nil]
      for (index, y) in horizontalLines.enumerated() where horizontalPresent[index][column] {
        cuts.append(roads.first { !$0.vertical && $0.center == y && $0.from == bounds[column] })
      }
      cuts.append(nil)
      for index in 0..<(cuts.count - 1) {
        let y0 = cuts[index].map { $0.center + $0.halfOuter } ?? -40
        let y1 = cuts[index + 1].map { $0.center - $0.halfOuter } ?? extent + 40
        let block = Box(x0: x0, y0: y0, x1: x1, y1: y1)
        guard block.width > 12, block.height > 12 else { continue }
        let distance = hypot(block.center.x - mainX, block.center.y - mainY)
        let central = distance < 170
        let roll = rng.unit()
        if central ? roll < 0.45 : roll < 0.1 {
          planCommercial(block)
        } else if roll < (central ? 0.9 : 0.86) {
          if distance < 260, rng.chance(0.4) { planApartments(block) } else { planResidential(block) }
        } else if roll < (central ? 1.0 : 0.94) {
          planPark(block)
        } else {
          planField(block)
        }
      }
    }
  }
}
