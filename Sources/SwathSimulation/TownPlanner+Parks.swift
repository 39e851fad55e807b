import Foundation
import SwathGeometry

// Green blocks: parks (gravel paths, a pond, a sandpit, trees) and fields (soil or dry grass,
// trees along one edge).

extension TownPlanner {
  mutating func planPark(_ block: Box) {
    surfaces.append(Surface(rings: [block.ring], material: .grass(tint: rng.uniform(0.2...1))))
    // Two gravel paths crossing the park.
    for _ in 0..<2 {
      let vertical = rng.chance(0.5)
      let half = 1.2
      if vertical {
        let a = rng.uniform((block.x0 + 4)...(block.x1 - 4))
        let b = rng.uniform((block.x0 + 4)...(block.x1 - 4))
        surfaces.append(
          Surface(
            rings: [
              [
                Point(a - half, block.y0), Point(a + half, block.y0), Point(b + half, block.y1),
                Point(b - half, block.y1),
              ]
            ],
            material: .gravel))
      } else {
        let a = rng.uniform((block.y0 + 4)...(block.y1 - 4))
        let b = rng.uniform((block.y0 + 4)...(block.y1 - 4))
        surfaces.append(
          Surface(
            rings: [
              [
                Point(block.x0, a - half), Point(block.x1, b - half), Point(block.x1, b + half),
                Point(block.x0, a + half),
              ]
            ],
            material: .gravel))
      }
    }
    if block.width > 40, block.height > 40, rng.chance(0.5) {
      // A pond: an ellipse.
      let rx = rng.uniform(8...min(18, block.width / 4))
      let ry = rng.uniform(6...min(14, block.height / 4))
      let cx = rng.uniform((block.x0 + rx + 4)...(block.x1 - rx - 4))
      let cy = rng.uniform((block.y0 + ry + 4)...(block.y1 - ry - 4))
      let ring = (0..<40).map { index -> Point in
        let t = Double(index) / 40 * 2 * .pi
        let wobble = 1 + 0.08 * sin(3 * t + Double(index % 7))
        return Point(cx + rx * wobble * cos(t), cy + ry * wobble * sin(t))
      }
      surfaces.append(Surface(rings: [ring], material: .pond))
      obstacles.insert(Box.around(ring))
    }
    if block.width > 25, block.height > 25, rng.chance(0.4) {
      let w = rng.uniform(10...16)
      let h = rng.uniform(8...12)
      let x = rng.uniform((block.x0 + 3)...(block.x1 - 3 - w))
      let y = rng.uniform((block.y0 + 3)...(block.y1 - 3 - h))
      let sandpit = Box(x0: x, y0: y, x1: x + w, y1: y + h)
      if !obstacles.hits(sandpit, margin: 1) {
        surfaces.append(Surface(rings: [sandpit.ring], material: .sand))
        obstacles.insert(sandpit)
      }
    }
    treeRegions.append((block.inset(1), Int(block.width * block.height / 110), 2.5...5.5))
  }

  mutating func planField(_ block: Box) {
    if rng.chance(0.6) {
      surfaces.append(Surface(rings: [block.ring], material: .soil(stripesAlongX: rng.chance(0.5))))
    } else {
      surfaces.append(Surface(rings: [block.ring], material: .grass(tint: -1)))
    }
    // Trees along the field's edge.
    treeRegions.append(
      (Box(x0: block.x0, y0: block.y0, x1: block.x1, y1: block.y0 + 5), Int(block.width / 14), 2.5...4.5))
  }
}
