import Foundation
import SwathGeometry

// The colours the planner draws roofs, vehicles, trees and pavings from.

enum Palette {
  static let tiledRoofs: [RGB] = [
    RGB(170, 84, 60), RGB(152, 72, 52), RGB(186, 104, 72), RGB(128, 66, 52), RGB(112, 74, 60),
  ]
  static let darkRoofs: [RGB] = [RGB(74, 76, 82), RGB(96, 99, 106), RGB(62, 64, 70), RGB(118, 112, 104)]
  static let flatRoofs: [RGB] = [
    RGB(178, 177, 172), RGB(160, 156, 146), RGB(132, 132, 130), RGB(190, 186, 176), RGB(104, 104, 106),
  ]
  static let shedRoofs: [RGB] = [RGB(120, 96, 70), RGB(92, 110, 84), RGB(140, 140, 138), RGB(150, 80, 60)]
  static let copper = RGB(96, 142, 122)
  static let cars: [(RGB, Double)] = [
    (RGB(226, 228, 230), 0.24), (RGB(28, 29, 32), 0.16), (RGB(172, 174, 178), 0.18),
    (RGB(102, 104, 108), 0.14), (RGB(36, 58, 118), 0.09), (RGB(150, 28, 30), 0.08),
    (RGB(40, 72, 50), 0.04), (RGB(196, 180, 150), 0.04), (RGB(210, 150, 30), 0.03),
  ]
  static let trees: [RGB] = [
    RGB(58, 86, 40), RGB(72, 96, 46), RGB(50, 80, 48), RGB(84, 102, 50), RGB(38, 62, 44), RGB(64, 90, 36),
  ]
  static let copperBeech = RGB(96, 58, 52)
  static let pavings: [RGB] = [
    RGB(150, 146, 138), RGB(164, 124, 104), RGB(128, 124, 120), RGB(176, 168, 150),
  ]
}
