import Foundation
import SwathGeometry

/// How one simulated annotator draws: the skills the consensus has to cope with.
public struct AnnotatorProfile: Sendable, Hashable, Codable {
  public var name: String
  /// Chance of drawing an object that is there.
  public var recall: Double
  /// Standard deviation (metres) of each vertex's error.
  public var jitter: Double
  /// Standard deviation (metres) of a whole shape's shift.
  public var offset: Double
  /// False shapes drawn, per real object.
  public var falsePositives: Double
  /// Chance of a wrong label within the object's family (building/shed, car/truck).
  public var labelConfusion: Double
  /// Chance of drawing an object as two pieces that do not overlap.
  public var splitRate: Double
  /// Chance of drawing an object cut by a chip edge as one piece per chip.
  public var seamSplitRate: Double
  /// Chance of drawing an object twice, once per overlapping chip.
  public var duplicateRate: Double
  /// Submits an empty FeatureCollection.
  public var empty: Bool
  /// Chance of getting each attribute of a drawn object wrong: an enum value confused with its
  /// neighbour in the schema's list, a boolean flipped, a number off by about 15 % (an integer
  /// by 1 or 2). Drawn from a stream of its own, so shapes do not depend on it.
  public var attributeError: Double

  public init(
    name: String, recall: Double, jitter: Double, offset: Double, falsePositives: Double,
    labelConfusion: Double, splitRate: Double, seamSplitRate: Double, duplicateRate: Double,
    attributeError: Double = 0, empty: Bool = false
  ) {
    self.name = name
    self.recall = recall
    self.jitter = jitter
    self.offset = offset
    self.falsePositives = falsePositives
    self.labelConfusion = labelConfusion
    self.splitRate = splitRate
    self.seamSplitRate = seamSplitRate
    self.duplicateRate = duplicateRate
    self.attributeError = attributeError
    self.empty = empty
  }

  public static func careful(_ name: String) -> AnnotatorProfile {
    AnnotatorProfile(
      name: name, recall: 0.93, jitter: 0.25, offset: 0.2, falsePositives: 0.03, labelConfusion: 0.03,
      splitRate: 0.01, seamSplitRate: 0.7, duplicateRate: 0.01, attributeError: 0.04)
  }

  public static func average(_ name: String) -> AnnotatorProfile {
    AnnotatorProfile(
      name: name, recall: 0.85, jitter: 0.4, offset: 0.3, falsePositives: 0.08, labelConfusion: 0.06,
      splitRate: 0.03, seamSplitRate: 0.7, duplicateRate: 0.02, attributeError: 0.1)
  }

  public static func weak(_ name: String) -> AnnotatorProfile {
    AnnotatorProfile(
      name: name, recall: 0.55, jitter: 0.8, offset: 0.6, falsePositives: 0.35, labelConfusion: 0.25,
      splitRate: 0.08, seamSplitRate: 0.7, duplicateRate: 0.04, attributeError: 0.3)
  }

  public static func empty(_ name: String) -> AnnotatorProfile {
    AnnotatorProfile(
      name: name, recall: 0, jitter: 0, offset: 0, falsePositives: 0, labelConfusion: 0, splitRate: 0,
      seamSplitRate: 0, duplicateRate: 0, empty: true)
  }
}

/// A square grid of chips in the scene CRS.
public struct PanelChipGrid: Sendable, Hashable {
  public var origin: Point
  public var size: Double
  public var columns: Int
  public var rows: Int

  public init(origin: Point, size: Double, columns: Int, rows: Int) {
    self.origin = origin
    self.size = size
    self.columns = columns
    self.rows = rows
  }

  public var chips: [(id: String, box: BoundingBox)] {
    var result: [(id: String, box: BoundingBox)] = []
    for row in 0..<rows {
      for column in 0..<columns {
        let minX = origin.x + Double(column) * size
        let minY = origin.y + Double(row) * size
        result.append(
          ("r\(row)c\(column)", BoundingBox(minX: minX, minY: minY, maxX: minX + size, maxY: minY + size)))
      }
    }
    return result
  }

  /// The first chip edge strictly inside `box`, as (vertical?, coordinate).
  func seam(crossing box: BoundingBox) -> (vertical: Bool, at: Double)? {
    let column = ((box.maxX - origin.x) / size).rounded(.down)
    let x = origin.x + column * size
    if x > box.minX, x < box.maxX { return (true, x) }
    let row = ((box.maxY - origin.y) / size).rounded(.down)
    let y = origin.y + row * size
    if y > box.minY, y < box.maxY { return (false, y) }
    return nil
  }
}

/// A scene with known truth, in a metric CRS.
public struct PanelScene: Sendable {
  public var epsg: Int
  public var truth: [LabelFeature]
  public var grid: PanelChipGrid
  public var extent: BoundingBox
}

/// Draws ground truth and simulates annotators labelling it.
public enum PanelSimulator {
  /// Labels that annotators confuse with each other.
  public static let labelFamilies: [[String]] = [["building", "shed"], ["car", "truck"]]

  /// The attributes of the panel's truth: a roof type and an occlusion flag for buildings and
  /// sheds, an occlusion flag for cars and trucks.
  public static let labelSchema: LabelSchema = {
    let roof = AttributeDefinition(
      name: "roof", type: .enum, values: ["gable", "hip", "flat"], required: true)
    let occluded = AttributeDefinition(name: "occluded", type: .boolean, defaultValue: .bool(false))
    return LabelSchema(labels: [
      LabelDefinition(name: "building", shapes: [.polygon], attributes: [roof, occluded]),
      LabelDefinition(name: "shed", shapes: [.polygon], attributes: [roof, occluded]),
      LabelDefinition(name: "car", shapes: [.bbox], attributes: [occluded]),
      LabelDefinition(name: "truck", shapes: [.bbox], attributes: [occluded]),
    ])
  }()

  /// Buildings (rotated rectangles, L-shapes, courtyards with a hole, small sheds) and rows of
  /// vehicles (boxes), one cluster per 24 m cell, laid out in a square around `origin`.
  public static func scene(
    objects: Int, seed: UInt64, epsg: Int = 32633, origin: Point = Point(400_000, 5_300_000),
    chipSize: Double = 250
  ) -> PanelScene {
    var rng = SeededRandom(seed: seed)
    let cell = 24.0
    let side = max(1, Int((Double(objects) / 1.4).squareRoot().rounded(.up)))
    var truth: [LabelFeature] = []
    truth.reserveCapacity(objects)
    var index = 0
    while truth.count < objects {
      let column = index % side
      let row = index / side
      index += 1
      let center = Point(
        origin.x + (Double(column) + 0.5) * cell, origin.y + (Double(row) + 0.5) * cell)
      if rng.chance(0.55) {
        truth.append(building(around: center, cell: cell, rng: &rng))
      } else {
        let count = min(objects - truth.count, rng.int(1...3))
        truth.append(contentsOf: vehicles(count, around: center, rng: &rng))
      }
    }
    // Attributes from a stream of their own: the shapes are what they were without them.
    var attributeRandom = SeededRandom(seed: seed ^ 0x6174_7472_6962_7574)
    for index in truth.indices {
      truth[index].properties = truthAttributes(truth[index], rng: &attributeRandom)
    }
    let rows = (index + side - 1) / side
    let extent = BoundingBox(
      minX: origin.x, minY: origin.y, maxX: origin.x + Double(side) * cell,
      maxY: origin.y + Double(rows) * cell)
    let grid = PanelChipGrid(
      origin: origin, size: chipSize, columns: Int((extent.width / chipSize).rounded(.up)),
      rows: Int((extent.height / chipSize).rounded(.up)))
    return PanelScene(epsg: epsg, truth: truth, grid: grid, extent: extent)
  }

  /// A roof that fits the shape (sheds gable or flat, courtyard blocks mostly flat) and an
  /// occlusion flag for 12 % of the buildings and 8 % of the vehicles.
  private static func truthAttributes(_ feature: LabelFeature, rng: inout SeededRandom) -> [String: JSONValue]
  {
    guard feature.shape == .polygon else { return ["occluded": .bool(rng.chance(0.08))] }
    let roll = rng.unit()
    let roof: String
    if feature.label == "shed" {
      roof = roll < 0.5 ? "gable" : "flat"
    } else if feature.geometry.polygons.contains(where: { !$0.holes.isEmpty }) {
      roof = roll < 0.7 ? "flat" : "hip"
    } else {
      roof = roll < 0.45 ? "gable" : (roll < 0.75 ? "hip" : "flat")
    }
    return ["roof": .string(roof), "occluded": .bool(rng.chance(0.12))]
  }

  private static func building(around center: Point, cell: Double, rng: inout SeededRandom) -> LabelFeature {
    let angle = rng.uniform(0...Double.pi)
    let kind = rng.unit()
    var label = "building"
    var polygon: Polygon
    if kind < 0.1 {
      label = "shed"
      polygon = Polygon(shell: rectangle(width: rng.uniform(3...5), height: rng.uniform(2.5...4)))
    } else if kind < 0.6 {
      polygon = Polygon(shell: rectangle(width: rng.uniform(8...16), height: rng.uniform(6...11)))
    } else if kind < 0.85 {
      let width = rng.uniform(10...16)
      let height = rng.uniform(9...14)
      let armX = rng.uniform(4...(width / 2))
      let armY = rng.uniform(4...(height / 2))
      let x0 = -width / 2
      let y0 = -height / 2
      polygon = Polygon(shell: [
        Point(x0, y0), Point(x0 + width, y0), Point(x0 + width, y0 + armY), Point(x0 + armX, y0 + armY),
        Point(x0 + armX, y0 + height), Point(x0, y0 + height), Point(x0, y0),
      ])
    } else {
      let outer = rng.uniform(14...18)
      let inner = rng.uniform(4...7)
      polygon = Polygon(
        shell: rectangle(width: outer, height: outer),
        holes: [rectangle(width: inner, height: inner).reversed()])
    }
    // Keep clear of the neighbouring cells whatever the rotation.
    let reach = polygon.shell.map { ($0.x * $0.x + $0.y * $0.y).squareRoot() }.max() ?? 0
    let slack = max(0, cell / 2 - reach - 1)
    let shift = Point(center.x + rng.uniform(-slack...slack), center.y + rng.uniform(-slack...slack))
    let placed = MultiPolygon(polygon).mapPoints { point in
      Point(
        shift.x + point.x * cos(angle) - point.y * sin(angle),
        shift.y + point.x * sin(angle) + point.y * cos(angle))
    }
    return LabelFeature(label: label, shape: .polygon, geometry: placed)
  }

  private static func vehicles(_ count: Int, around center: Point, rng: inout SeededRandom) -> [LabelFeature]
  {
    let alongX = rng.chance(0.5)
    var sizes: [(label: String, length: Double, width: Double)] = []
    for _ in 0..<count {
      sizes.append(
        rng.chance(0.8)
          ? ("car", rng.uniform(4.2...4.8), rng.uniform(1.75...2.0))
          : ("truck", rng.uniform(7...10), rng.uniform(2.4...2.6)))
    }
    // Side by side, a metre or so apart, like a parking row.
    let gaps = (0..<count).map { _ in rng.uniform(0.8...1.5) }
    let rowLength = sizes.map(\.width).reduce(0, +) + gaps.dropLast().reduce(0, +)
    var position = -rowLength / 2
    var result: [LabelFeature] = []
    for (index, size) in sizes.enumerated() {
      let across = position + size.width / 2
      position += size.width + gaps[index]
      let box =
        alongX
        ? BoundingBox(
          minX: center.x + across - size.width / 2, minY: center.y - size.length / 2,
          maxX: center.x + across + size.width / 2, maxY: center.y + size.length / 2)
        : BoundingBox(
          minX: center.x - size.length / 2, minY: center.y + across - size.width / 2,
          maxX: center.x + size.length / 2, maxY: center.y + across + size.width / 2)
      result.append(LabelFeature(label: size.label, shape: .bbox, geometry: MultiPolygon(box.polygon)))
    }
    return result
  }

  private static func rectangle(width: Double, height: Double) -> Ring {
    [
      Point(-width / 2, -height / 2), Point(width / 2, -height / 2), Point(width / 2, height / 2),
      Point(-width / 2, height / 2), Point(-width / 2, -height / 2),
    ]
  }

  /// One annotator's submission (scene CRS) for `truth` (scene CRS, metres), drawn with `profile`.
  /// `grid` places the chip edges for seam splits; `extent` bounds false positives.
  ///
  /// Every property of a truth object is copied onto what is drawn of it; the attributes
  /// `schema` defines are copied with `profile.attributeError` (every piece of one object gets
  /// the same values), and false shapes get plausible values for their label. The attribute
  /// errors come from their own generator, seeded with `attributeSeed`, so `rng` draws the same
  /// shapes with or without a schema.
  public static func annotate(
    truth: [LabelFeature], profile: AnnotatorProfile, grid: PanelChipGrid?, extent: BoundingBox,
    rng: inout SeededRandom, schema: LabelSchema? = nil, attributeSeed: UInt64 = 0
  ) -> [LabelFeature] {
    guard !profile.empty else { return [] }
    let attributes = schema?.attributesByName ?? [:]
    var attributeRandom = SeededRandom(seed: attributeSeed ^ 0x5357_4154_4841_5454)
    var drawn: [LabelFeature] = []
    for object in truth {
      let fake = rng.chance(profile.falsePositives)
      if rng.chance(profile.recall) {
        var pieces = draw(object, profile: profile, grid: grid, rng: &rng)
        if !attributes.isEmpty {
          var values: [String: JSONValue] = [:]
          for name in object.properties.keys.sorted() {
            guard let definition = attributes[name], let value = object.properties[name] else { continue }
            values[name] =
              attributeRandom.chance(profile.attributeError)
              ? mistaken(value, definition, rng: &attributeRandom) : value
          }
          for index in pieces.indices { pieces[index].properties.merge(values) { $1 } }
        }
        drawn.append(contentsOf: pieces)
      }
      if fake {
        var shape = falsePositive(near: truth, extent: extent, profile: profile, rng: &rng)
        if let label = shape.label, let definition = schema?.label(named: label) {
          shape.properties = guessedAttributes(definition, rng: &attributeRandom)
        }
        drawn.append(shape)
      }
    }
    return drawn
  }

  /// A plausible wrong value: an enum's neighbour in the schema's list, the other boolean, a
  /// number about 15 % off, an integer 1 or 2 off; text stays as it is.
  static func mistaken(_ value: JSONValue, _ definition: AttributeDefinition, rng: inout SeededRandom)
    -> JSONValue
  {
    switch definition.type {
    case .enum:
      guard let text = value.stringValue, let index = definition.values.firstIndex(of: text),
        definition.values.count > 1
      else { return value }
      let last = definition.values.count - 1
      let other = index == 0 ? 1 : (index == last ? last - 1 : index + (rng.chance(0.5) ? 1 : -1))
      return .string(definition.values[other])
    case .boolean:
      return value.boolValue.map { .bool(!$0) } ?? value
    case .integer:
      guard let number = value.integerValue else { return value }
      let step = Int64(rng.int(1...2)) * (rng.chance(0.5) ? 1 : -1)
      let next = number + step
      return .integer(clamped(Double(next), definition) == Double(next) ? next : number - step)
    case .number:
      guard let number = value.doubleValue else { return value }
      let factor = 1 + (rng.chance(0.5) ? 1 : -1) * rng.uniform(0.08...0.22)
      return .number(clamped(number * factor, definition))
    case .text:
      return value
    }
  }

  private static func clamped(_ number: Double, _ definition: AttributeDefinition) -> Double {
    min(definition.maximum ?? .infinity, max(definition.minimum ?? -.infinity, number))
  }

  /// Attributes for a shape drawn where there is nothing: any enum value, rarely occluded.
  private static func guessedAttributes(_ label: LabelDefinition, rng: inout SeededRandom) -> [String:
    JSONValue]
  {
    var values: [String: JSONValue] = [:]
    for attribute in label.attributes {
      switch attribute.type {
      case .enum where !attribute.values.isEmpty:
        values[attribute.name] = .string(attribute.values[rng.int(0...(attribute.values.count - 1))])
      case .boolean:
        values[attribute.name] = .bool(rng.chance(0.1))
      case .integer, .number:
        if attribute.required || attribute.defaultValue != nil {
          values[attribute.name] = attribute.defaultValue ?? .integer(Int64(attribute.minimum ?? 0))
        }
      default:
        if let value = attribute.defaultValue { values[attribute.name] = value }
      }
    }
    return values
  }

  private static func draw(
    _ object: LabelFeature, profile: AnnotatorProfile, grid: PanelChipGrid?, rng: inout SeededRandom
  ) -> [LabelFeature] {
    var label = object.label
    if rng.chance(profile.labelConfusion), let current = label,
      let family = labelFamilies.first(where: { $0.contains(current) })
    {
      label = family.first { $0 != current }
    }
    var shape = jittered(object, profile: profile, rng: &rng)
    shape.label = label
    var pieces = [shape]
    if let grid, let envelope = shape.geometry.envelope, let seam = grid.seam(crossing: envelope),
      rng.chance(profile.seamSplitRate)
    {
      pieces = split(shape, vertical: seam.vertical, at: seam.at)
    } else if rng.chance(profile.splitRate), let envelope = shape.geometry.envelope {
      pieces = split(
        shape, vertical: envelope.width >= envelope.height, at: envelope.center.x, envelope.center.y)
    }
    if rng.chance(profile.duplicateRate) {
      var again = jittered(object, profile: profile, rng: &rng)
      again.label = label
      pieces.append(again)
    }
    return pieces
  }

  private static func jittered(
    _ object: LabelFeature, profile: AnnotatorProfile, rng: inout SeededRandom
  ) -> LabelFeature {
    let shift = Point(rng.normal(deviation: profile.offset), rng.normal(deviation: profile.offset))
    var result = object
    if object.shape == .bbox, let box = object.geometry.envelope {
      var minX = box.minX + shift.x + rng.normal(deviation: profile.jitter)
      var maxX = box.maxX + shift.x + rng.normal(deviation: profile.jitter)
      var minY = box.minY + shift.y + rng.normal(deviation: profile.jitter)
      var maxY = box.maxY + shift.y + rng.normal(deviation: profile.jitter)
      if maxX - minX < 0.3 { (minX, maxX) = (box.center.x - 0.15, box.center.x + 0.15) }
      if maxY - minY < 0.3 { (minY, maxY) = (box.center.y - 0.15, box.center.y + 0.15) }
      result.geometry = MultiPolygon(BoundingBox(minX: minX, minY: minY, maxX: maxX, maxY: maxY).polygon)
      return result
    }
    result.geometry = MultiPolygon(
      object.geometry.polygons.map { polygon in
        Polygon(
          shell: jitterRing(polygon.shell, shift: shift, deviation: profile.jitter, rng: &rng),
          holes: polygon.holes.map { jitterRing($0, shift: shift, deviation: profile.jitter, rng: &rng) })
      })
    return result
  }

  private static func jitterRing(
    _ ring: Ring, shift: Point, deviation: Double, rng: inout SeededRandom
  ) -> Ring {
    var moved = ring.dropLast().map { point in
      Point(
        point.x + shift.x + rng.normal(deviation: deviation),
        point.y + shift.y + rng.normal(deviation: deviation))
    }
    moved.append(moved[0])
    return moved
  }

  /// Cuts a shape in two along a vertical or horizontal line (a chip edge, or a careless split).
  private static func split(_ shape: LabelFeature, vertical: Bool, at x: Double, _ y: Double? = nil)
    -> [LabelFeature]
  {
    guard let box = shape.geometry.envelope else { return [shape] }
    let cut = vertical ? x : (y ?? x)
    let margin = 1.0
    let sides =
      vertical
      ? [
        BoundingBox(minX: box.minX - margin, minY: box.minY - margin, maxX: cut, maxY: box.maxY + margin),
        BoundingBox(minX: cut, minY: box.minY - margin, maxX: box.maxX + margin, maxY: box.maxY + margin),
      ]
      : [
        BoundingBox(minX: box.minX - margin, minY: box.minY - margin, maxX: box.maxX + margin, maxY: cut),
        BoundingBox(minX: box.minX - margin, minY: cut, maxX: box.maxX + margin, maxY: box.maxY + margin),
      ]
    var pieces: [LabelFeature] = []
    for side in sides {
      var piece = shape
      if shape.shape == .bbox {
        // Nobody draws a sliver of an object at the edge of a chip.
        guard let clipped = intersect(box, side), clipped.area >= 1 else { continue }
        piece.geometry = MultiPolygon(clipped.polygon)
      } else {
        guard let clipped = try? Topology.intersection(shape.geometry, MultiPolygon(side.polygon)),
          Topology.area(clipped) >= 1
        else { continue }
        piece.geometry = clipped
      }
      pieces.append(piece)
    }
    return pieces.isEmpty ? [shape] : pieces
  }

  private static func intersect(_ a: BoundingBox, _ b: BoundingBox) -> BoundingBox? {
    let box = BoundingBox(
      minX: max(a.minX, b.minX), minY: max(a.minY, b.minY), maxX: min(a.maxX, b.maxX),
      maxY: min(a.maxY, b.maxY))
    return box.width > 0.05 && box.height > 0.05 ? box : nil
  }

  /// A plausible shape where there is nothing: a building or a vehicle of the usual sizes.
  private static func falsePositive(
    near truth: [LabelFeature], extent: BoundingBox, profile: AnnotatorProfile, rng: inout SeededRandom
  ) -> LabelFeature {
    let center = Point(rng.uniform(extent.minX...extent.maxX), rng.uniform(extent.minY...extent.maxY))
    if rng.chance(0.5) {
      let length = rng.uniform(4...5)
      let width = rng.uniform(1.8...2.1)
      let box = BoundingBox(
        minX: center.x - length / 2, minY: center.y - width / 2, maxX: center.x + length / 2,
        maxY: center.y + width / 2)
      return LabelFeature(label: "car", shape: .bbox, geometry: MultiPolygon(box.polygon))
    }
    let angle = rng.uniform(0...Double.pi)
    let shell = rectangle(width: rng.uniform(6...12), height: rng.uniform(5...9)).map { point in
      Point(
        center.x + point.x * cos(angle) - point.y * sin(angle),
        center.y + point.x * sin(angle) + point.y * cos(angle))
    }
    return LabelFeature(label: "building", shape: .polygon, geometry: MultiPolygon(Polygon(shell: shell)))
  }

  /// The usual panel: careful and average annotators, optionally one weak and one empty.
  public static func profiles(count: Int, weak: Bool, empty: Bool) -> [AnnotatorProfile] {
    var result: [AnnotatorProfile] = []
    for index in 1...max(1, count) {
      let name = "annotator-\(index)"
      if empty && index == count {
        result.append(.empty(name))
      } else if weak && index == count - (empty ? 1 : 0) {
        result.append(.weak(name))
      } else {
        result.append(index % 2 == 1 ? .careful(name) : .average(name))
      }
    }
    return result
  }

  /// A profile by name (`careful`, `average`, `weak`, `empty`), for `swath simulate-panel --profiles`.
  public static func profile(_ kind: String, name: String) -> AnnotatorProfile? {
    switch kind {
    case "careful": return .careful(name)
    case "average": return .average(name)
    case "weak": return .weak(name)
    case "empty": return .empty(name)
    default: return nil
    }
  }

  /// The chips whose truth is known: `fraction` of the grid's chips (at least one), drawn with
  /// `seed`, in grid order. Their truth is the gold standard's objects, their union its area.
  public static func goldChips(grid: PanelChipGrid, fraction: Double, seed: UInt64) -> [(
    id: String, box: BoundingBox
  )] {
    let chips = grid.chips
    var rng = SeededRandom(seed: seed ^ 0x676F_6C64)
    let wanted = min(chips.count, max(1, Int((fraction * Double(chips.count)).rounded())))
    var order = Array(chips.indices)
    for index in order.indices.reversed() where index > 0 {
      order.swapAt(index, rng.int(0...index))
    }
    return order.prefix(wanted).sorted().map { chips[$0] }
  }

  /// The truth objects whose envelope's centre lies in one of `chips`.
  public static func truth(_ truth: [LabelFeature], inside chips: [(id: String, box: BoundingBox)])
    -> [LabelFeature]
  {
    truth.filter { feature in
      guard let center = feature.geometry.envelope?.center else { return false }
      return chips.contains {
        $0.box.minX <= center.x && center.x < $0.box.maxX && $0.box.minY <= center.y && center.y < $0.box.maxY
      }
    }
  }

  /// Every profile's submission, each from its own generator derived from `seed`.
  public static func panel(scene: PanelScene, profiles: [AnnotatorProfile], seed: UInt64) -> [[LabelFeature]]
  {
    profiles.enumerated().map { index, profile in
      var rng = SeededRandom(seed: seed &* 0x9E37_79B9 &+ UInt64(index + 1))
      return annotate(
        truth: scene.truth, profile: profile, grid: scene.grid, extent: scene.extent, rng: &rng,
        schema: labelSchema, attributeSeed: seed &* 0xA24B_AED4 &+ UInt64(index + 1))
    }
  }

  /// Features from a metric CRS to WGS84, rings oriented by the right-hand rule.
  public static func toWGS84(_ features: [LabelFeature], crs: WorkingCRS) throws -> [LabelFeature] {
    try features.map { feature in
      var moved = feature
      moved.geometry = try crs.toWGS84(feature.geometry)
      moved.geometry = MultiPolygon(
        moved.geometry.polygons.map { polygon in
          Polygon(
            shell: Topology.ringSignedArea(polygon.shell) < 0 ? polygon.shell.reversed() : polygon.shell,
            holes: polygon.holes.map { Topology.ringSignedArea($0) > 0 ? $0.reversed() : $0 })
        })
      return moved
    }
  }
}
