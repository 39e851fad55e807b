import Foundation
import SwathGeometry

/// A colour while shading, in 0…255 per channel.
struct Shade {
  var r: Double
  var g: Double
  var b: Double

  init(_ r: Double, _ g: Double, _ b: Double) {
    self.r = r
    self.g = g
    self.b = b
  }
  init(_ color: RGB) { self.init(Double(color.r), Double(color.g), Double(color.b)) }

  static func * (shade: Shade, factor: Double) -> Shade {
    Shade(shade.r * factor, shade.g * factor, shade.b * factor)
  }
  static func + (shade: Shade, offset: Double) -> Shade {
    Shade(shade.r + offset, shade.g + offset, shade.b + offset)
  }
  func mix(_ other: Shade, _ t: Double) -> Shade {
    Shade(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
  }
}

/// Deterministic lattice noise from integer hashing: no state, same on every machine.
struct Noise: Sendable {
  let seed: UInt64

  func hash(_ x: Int, _ y: Int, _ salt: UInt64) -> UInt64 {
    var z = seed ^ (salt &* 0x9E37_79B9_7F4A_7C15)
    z ^= UInt64(bitPattern: Int64(x)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 31)) &* 0x94D0_49BB_1331_11EB
    z ^= UInt64(bitPattern: Int64(y)) &* 0xD6E8_FEB8_6659_FD93
    z = (z ^ (z >> 32)) &* 0xBF58_476D_1CE4_E5B9
    return z ^ (z >> 29)
  }

  /// Uniform in [0, 1) for a lattice point.
  func unit(_ x: Int, _ y: Int, _ salt: UInt64) -> Double { Double(hash(x, y, salt) >> 11) * 0x1.0p-53 }

  /// Per-pixel grain in [-1, 1).
  func grain(_ column: Int, _ row: Int, _ salt: UInt64 = 1) -> Double { unit(column, row, salt) * 2 - 1 }

  /// Smooth value noise in [0, 1] with features about `scale` metres across.
  func value(_ x: Double, _ y: Double, scale: Double, salt: UInt64) -> Double {
    let fx = x / scale
    let fy = y / scale
    let floorX = fx.rounded(.down)
    let floorY = fy.rounded(.down)
    let ix = Int(floorX)
    let iy = Int(floorY)
    let tx = fx - floorX
    let ty = fy - floorY
    let sx = tx * tx * (3 - 2 * tx)
    let sy = ty * ty * (3 - 2 * ty)
    let a = unit(ix, iy, salt)
    let b = unit(ix + 1, iy, salt)
    let c = unit(ix, iy + 1, salt)
    let d = unit(ix + 1, iy + 1, salt)
    return a + (b - a) * sx + (c - a) * sy + (a - b - c + d) * sx * sy
  }

  /// Fractal sum of octaves, in [0, 1].
  func fractal(_ x: Double, _ y: Double, scale: Double, octaves: Int, salt: UInt64) -> Double {
    var sum = 0.0
    var weight = 1.0
    var total = 0.0
    var size = scale
    for octave in 0..<octaves {
      sum += weight * value(x, y, scale: size, salt: salt &+ UInt64(octave))
      total += weight
      weight *= 0.5
      size *= 0.5
    }
    return sum / total
  }
}

/// Calls `body(row, firstColumn, endColumn)` for the runs of pixels whose centres lie inside
/// the rings (even–odd rule, pixel coordinates). The same rule decides the truth's pixels.
func forEachSpan(_ rings: [[Point]], width: Int, height: Int, _ body: (Int, Int, Int) -> Void) {
  var edges: [(x0: Double, y0: Double, x1: Double, y1: Double)] = []
  var minY = Double.infinity
  var maxY = -Double.infinity
  for ring in rings where ring.count > 1 {
    for index in ring.indices {
      let a = ring[index]
      let b = ring[(index + 1) % ring.count]
      minY = min(minY, a.y)
      maxY = max(maxY, a.y)
      if a.y != b.y { edges.append((a.x, a.y, b.x, b.y)) }
    }
  }
  guard !edges.isEmpty, minY.isFinite, maxY.isFinite else { return }
  let firstRow = max(0, Int((minY - 0.5).rounded(.up)))
  let lastRow = min(height - 1, Int((maxY - 0.5).rounded(.down)))
  guard firstRow <= lastRow else { return }
  var crossings: [Double] = []
  for row in firstRow...lastRow {
    let y = Double(row) + 0.5
    crossings.removeAll(keepingCapacity: true)
    for edge in edges where (edge.y0 <= y) != (edge.y1 <= y) {
      crossings.append(edge.x0 + (y - edge.y0) * (edge.x1 - edge.x0) / (edge.y1 - edge.y0))
    }
    crossings.sort()
    var index = 0
    while index + 1 < crossings.count {
      let start = max(0, Int((crossings[index] - 0.5).rounded(.up)))
      let end = min(width, Int((crossings[index + 1] - 0.5).rounded(.up)))
      if start < end { body(row, start, end) }
      index += 2
    }
  }
}

/// Paints a planned town into an RGB buffer, pixel-interleaved, top row first.
struct TownRenderer {
  let truth: SceneTruth
  let layout: TownLayout
  let width: Int
  let height: Int
  let gsd: Double
  let noise: Noise
  var pixels: [UInt8]
  var shadow: [UInt8]

  // The sun in the south-south-east, 48° up: shadows fall north-north-west, as in a
  // late-morning summer flight over central Europe.
  static let sunAzimuth = 150.0 * .pi / 180
  static let sunElevation = 48.0 * .pi / 180
  /// Horizontal unit vector towards the sun, in local axes (x east, y south).
  let toSun = Point(sin(sunAzimuth), -cos(sunAzimuth))
  let sunZ = sin(sunElevation)
  let sunXY = cos(sunElevation)
  /// Ground offset of a shadow per metre of height.
  var shadowPerMetre: Point {
    let length = 1 / tan(Self.sunElevation)
    return Point(-toSun.x * length, -toSun.y * length)
  }

  init(truth: SceneTruth) {
    self.truth = truth
    layout = truth.layout
    width = truth.width
    height = truth.height
    gsd = truth.options.gsd
    noise = Noise(seed: truth.options.seed &* 0x9E37_79B9_7F4A_7C15 ^ 0x0123_4567)
    pixels = [UInt8](repeating: 0, count: truth.width * truth.height * 3)
    shadow = [UInt8](repeating: 0, count: truth.width * truth.height)
  }

  func toPixels(_ ring: [Point]) -> [Point] { ring.map { Point($0.x / gsd, $0.y / gsd) } }

  /// Local metres of a UTM point of the truth.
  func local(_ point: Point) -> Point {
    Point(point.x - truth.options.originX, truth.options.originY - point.y)
  }

  @inline(__always)
  mutating func put(_ column: Int, _ row: Int, _ shade: Shade) {
    let offset = (row * width + column) * 3
    pixels[offset] = UInt8(max(1, min(255, shade.r.rounded())))
    pixels[offset + 1] = UInt8(max(1, min(255, shade.g.rounded())))
    pixels[offset + 2] = UInt8(max(1, min(255, shade.b.rounded())))
  }

  func metres(_ column: Int, _ row: Int) -> (x: Double, y: Double) {
    ((Double(column) + 0.5) * gsd, (Double(row) + 0.5) * gsd)
  }

  mutating func render() -> [UInt8] {
    paintGround()
    for surface in layout.surfaces { paint(surface) }
    castShadows()
    for (index, object) in truth.buildings.enumerated() { paintRoof(object, layout.buildings[index]) }
    for (index, object) in truth.vehicles.enumerated() { paintVehicle(object, layout.vehicles[index]) }
    // Crowns over roofs and cars: an object under one is the truth's `occluded`.
    for tree in layout.trees { paint(tree) }
    applyCollar()
    return pixels
  }

  // MARK: ground

  func grass(_ x: Double, _ y: Double, column: Int, row: Int, tint: Double) -> Shade {
    Self.grass(noise, x, y, column: column, row: row, tint: tint)
  }

  static func grass(_ noise: Noise, _ x: Double, _ y: Double, column: Int, row: Int, tint: Double) -> Shade {
    let lush = Shade(60, 96, 42)
    let dry = Shade(132, 128, 74)
    let patches = noise.fractal(x, y, scale: 10, octaves: 3, salt: 11)
    let t = max(0, min(1, 0.5 + 0.32 * tint + 0.6 * (patches - 0.5)))
    let tufts = 0.86 + 0.28 * noise.value(x, y, scale: 0.9, salt: 12)
    return dry.mix(lush, t) * tufts + 7 * noise.grain(column, row)
  }

  /// The whole image as meadow, in bands of rows on every core: the costliest pass.
  mutating func paintGround() {
    let noise = self.noise
    let gsd = self.gsd
    let width = self.width
    let height = self.height
    let bands = max(1, min(64, height / 16))
    pixels.withUnsafeMutableBufferPointer { buffer in
      let target = SharedPixels(base: buffer.baseAddress!)
      DispatchQueue.concurrentPerform(iterations: bands) { band in
        for row in (band * height / bands)..<((band + 1) * height / bands) {
          for column in 0..<width {
            let x = (Double(column) + 0.5) * gsd
            let y = (Double(row) + 0.5) * gsd
            // Meadows away from the lots drift between lush and dry over tens of metres.
            let tint = 1.6 * (noise.fractal(x, y, scale: 70, octaves: 2, salt: 10) - 0.5) - 0.1
            target.put(
              (row * width + column) * 3, Self.grass(noise, x, y, column: column, row: row, tint: tint))
          }
        }
      }
    }
  }

  func asphalt(_ x: Double, _ y: Double, column: Int, row: Int, base: Double) -> Shade {
    let wear = 0.9 + 0.18 * noise.fractal(x, y, scale: 7, octaves: 2, salt: 20)
    return Shade(base, base + 2, base + 6) * wear + 7 * noise.grain(column, row, 2)
  }

  func shade(_ material: Material, column: Int, row: Int) -> Shade {
    let (x, y) = metres(column, row)
    let grain = noise.grain(column, row, 3)
    switch material {
    case .grass(let tint):
      return grass(x, y, column: column, row: row, tint: tint)
    case .soil(let stripesAlongX):
      let across = stripesAlongX ? y : x
      let furrow = 0.9 + 0.14 * (0.5 + 0.5 * sin(2 * .pi * across / 1.7))
      let moisture = 0.88 + 0.22 * noise.fractal(x, y, scale: 18, octaves: 3, salt: 30)
      return Shade(124, 100, 74) * (furrow * moisture) + 8 * grain
    case .asphalt:
      return asphalt(x, y, column: column, row: row, base: 82)
    case .parking:
      return asphalt(x, y, column: column, row: row, base: 94)
    case .sidewalk(let alongX):
      let along = alongX ? x : y
      let joint = (along / 2.0 - (along / 2.0).rounded(.down)) * 2.0 < gsd * 0.9
      return Shade(178, 174, 166)
        * ((joint ? 0.86 : 1) * (0.95 + 0.1 * noise.value(x, y, scale: 3, salt: 31)))
        + 6 * grain
    case .paving(let color):
      return Shade(color) * (0.93 + 0.14 * noise.value(x, y, scale: 2.2, salt: 32)) + 7 * grain
    case .gravel:
      return Shade(180, 168, 144) * (0.94 + 0.1 * noise.value(x, y, scale: 4, salt: 33)) + 15 * grain
    case .sand:
      return Shade(212, 198, 158) * (0.94 + 0.1 * noise.value(x, y, scale: 2, salt: 34)) + 8 * grain
    case .pool:
      return Shade(72, 166, 208) * (0.92 + 0.16 * noise.value(x, y, scale: 1.3, salt: 35)) + 3 * grain
    case .pond:
      return Shade(50, 76, 70) * (0.9 + 0.2 * noise.value(x, y, scale: 6, salt: 36)) + 3 * grain
    case .marking:
      let paint = Shade(226, 226, 220) + 6 * grain
      let worn = noise.value(x, y, scale: 0.8, salt: 37)
      return worn < 0.3 ? paint.mix(asphalt(x, y, column: column, row: row, base: 82), 0.55) : paint
    case .hedge:
      return Shade(44, 74, 36) * (0.7 + 0.55 * noise.value(x, y, scale: 0.7, salt: 38)) + 8 * grain
    }
  }

  mutating func paint(_ surface: Surface) {
    forEachSpan(surface.rings.map(toPixels), width: width, height: height) { row, start, end in
      for column in start..<end { put(column, row, shade(surface.material, column: column, row: row)) }
    }
  }

  // MARK: shadows

  /// Marks the ground swept by `rings` moving along `offset` (metres): the far copy plus
  /// the parallelogram each edge sweeps. The object itself is painted over later.
  mutating func markShadow(_ rings: [[Point]], offset: Point) {
    let moved = rings.map { ring in ring.map { Point($0.x + offset.x, $0.y + offset.y) } }
    var parts: [[[Point]]] = [moved]
    for ring in rings where ring.count > 1 {
      for index in ring.indices {
        let a = ring[index]
        let b = ring[(index + 1) % ring.count]
        parts.append([
          [a, b, Point(b.x + offset.x, b.y + offset.y), Point(a.x + offset.x, a.y + offset.y)]
        ])
      }
    }
    for part in parts {
      forEachSpan(part.map(toPixels), width: width, height: height) { row, start, end in
        for column in start..<end { shadow[row * width + column] = 1 }
      }
    }
  }

  mutating func castShadows() {
    let step = shadowPerMetre
    for object in truth.objects {
      let rings = object.polygon.rings.map { $0.map(local) }
      markShadow(rings, offset: Point(step.x * object.height, step.y * object.height))
    }
    for tree in layout.trees {
      // The canopy's shadow runs from near the trunk to the height of its top.
      let near = tree.height * 0.3
      let far = tree.height * 0.85
      let center = Point(tree.center.x + step.x * near, tree.center.y + step.y * near)
      let ring = (0..<24).map { index -> Point in
        let angle = Double(index) / 24 * 2 * .pi
        return Point(center.x + tree.radius * 0.95 * cos(angle), center.y + tree.radius * 0.95 * sin(angle))
      }
      markShadow([ring], offset: Point(step.x * (far - near), step.y * (far - near)))
      forEachSpan([toPixels(ring)], width: width, height: height) { row, start, end in
        for column in start..<end { shadow[row * width + column] = 1 }
      }
    }
    for index in 0..<(width * height) where shadow[index] != 0 {
      pixels[index * 3] = UInt8(max(1, Double(pixels[index * 3]) * 0.42))
      pixels[index * 3 + 1] = UInt8(max(1, Double(pixels[index * 3 + 1]) * 0.46))
      pixels[index * 3 + 2] = UInt8(max(1, Double(pixels[index * 3 + 2]) * 0.58))
    }
    shadow = []
  }

  // MARK: trees

  mutating func paint(_ tree: TreePlan) {
    let reach = tree.radius * 1.2
    let column0 = max(0, Int(((tree.center.x - reach) / gsd).rounded(.down)))
    let column1 = min(width - 1, Int(((tree.center.x + reach) / gsd).rounded(.up)))
    let row0 = max(0, Int(((tree.center.y - reach) / gsd).rounded(.down)))
    let row1 = min(height - 1, Int(((tree.center.y + reach) / gsd).rounded(.up)))
    guard column0 <= column1, row0 <= row1 else { return }
    let base = Shade(tree.color)
    let salt = UInt64(bitPattern: Int64(tree.phase * 1e6))
    for row in row0...row1 {
      for column in column0...column1 {
        let (x, y) = metres(column, row)
        let dx = x - tree.center.x
        let dy = y - tree.center.y
        let distance = (dx * dx + dy * dy).squareRoot()
        let angle = atan2(dy, dx)
        let lobes = 1 + 0.07 * sin(5 * angle + tree.phase) + 0.05 * sin(11 * angle + 2 * tree.phase)
        let edge = tree.radius * lobes * (0.9 + 0.2 * noise.value(x, y, scale: 0.8, salt: salt))
        guard distance < edge else { continue }
        // A lit dome: bright towards the sun, dark on the far side.
        let q = distance / edge
        let nz = (1 - q * q).squareRoot()
        let light = max(0, (dx / edge) * toSun.x * sunXY + (dy / edge) * toSun.y * sunXY + nz * sunZ)
        let clumps = noise.value(x, y, scale: 0.9, salt: salt &+ 1)
        var factor = (0.4 + 0.75 * light / sunZ) * (0.72 + 0.5 * clumps)
        if clumps < 0.18 { factor *= 0.65 }
        put(column, row, base * factor + 5 * noise.grain(column, row, 4))
      }
    }
  }

  // MARK: buildings

  /// Distance from `p` to segment ab.
  func distance(_ p: Point, _ a: Point, _ b: Point) -> Double {
    let abx = b.x - a.x
    let aby = b.y - a.y
    let length2 = abx * abx + aby * aby
    var t = length2 > 0 ? ((p.x - a.x) * abx + (p.y - a.y) * aby) / length2 : 0
    t = max(0, min(1, t))
    let dx = p.x - (a.x + t * abx)
    let dy = p.y - (a.y + t * aby)
    return (dx * dx + dy * dy).squareRoot()
  }

  mutating func paintRoof(_ object: SceneObject, _ plan: BuildingPlan) {
    let rings = object.polygon.rings.map { $0.map(local) }
    // Each eave with the horizontal direction its roof plane falls towards (outwards).
    var eaves: [(a: Point, b: Point, down: Point, ridgeParallel: Bool)] = []
    for ring in rings {
      for index in 0..<(ring.count - 1) {
        let a = ring[index]
        let b = ring[index + 1]
        let length = hypot(b.x - a.x, b.y - a.y)
        guard length > 0 else { continue }
        var normal = Point((b.y - a.y) / length, -(b.x - a.x) / length)
        let probe = Point((a.x + b.x) / 2 + normal.x * 0.01, (a.y + b.y) / 2 + normal.y * 0.01)
        if contains(rings, probe) { normal = Point(-normal.x, -normal.y) }
        var parallel = true
        if case .gable(let axis) = plan.roof {
          parallel = abs((b.x - a.x) / length * axis.x + (b.y - a.y) / length * axis.y) > 0.8
        }
        eaves.append((a, b, normal, parallel))
      }
    }
    let base = Shade(object.color)
    let pitch = 35.0 * .pi / 180
    let unitLift = shadowPerMetre
    forEachSpan(rings.map(toPixels), width: width, height: height) { row, start, end in
      for column in start..<end {
        let (x, y) = metres(column, row)
        let p = Point(x, y)
        var nearest = Double.infinity
        var nearestPlane = Double.infinity
        var down = Point(0, 0)
        for eave in eaves {
          let d = distance(p, eave.a, eave.b)
          nearest = min(nearest, d)
          if eave.ridgeParallel, d < nearestPlane {
            nearestPlane = d
            down = eave.down
          }
        }
        var factor: Double
        switch plan.roof {
        case .flat:
          // Membrane sheets with seams every 2 m, and weathering stains.
          let seam = (x / 2.0 - (x / 2.0).rounded(.down)) * 2.0 < gsd * 0.6
          factor =
            (0.93 + 0.14 * noise.fractal(x, y, scale: 9, octaves: 3, salt: 40)) * (seam ? 0.95 : 1)
          if nearest < 0.45 { factor = 1.13 }
          for unit in plan.details {
            if x >= unit.x0, x < unit.x1, y >= unit.y0, y < unit.y1 {
              factor = 1.22
            } else {
              let sx = x - unitLift.x * 1.2
              let sy = y - unitLift.y * 1.2
              if sx >= unit.x0, sx < unit.x1, sy >= unit.y0, sy < unit.y1 { factor = min(factor, 0.78) }
            }
          }
        case .gable, .hip:
          let light =
            sin(pitch) * (down.x * toSun.x + down.y * toSun.y) * sunXY + cos(pitch) * sunZ
          factor = 0.25 + 0.75 * max(0, light) / sunZ
          // Courses of tiles or slates parallel to the eave.
          factor *=
            (0.95 + 0.1 * noise.value(x, y, scale: 1.5, salt: 41)) * (1 + 0.035 * sin(nearestPlane * 7.9))
          if nearest < 0.3 { factor *= 0.88 }
          for chimney in plan.details {
            if x >= chimney.x0, x < chimney.x1, y >= chimney.y0, y < chimney.y1 {
              factor = 0.6
            } else {
              let sx = x - unitLift.x * 1.0
              let sy = y - unitLift.y * 1.0
              if sx >= chimney.x0, sx < chimney.x1, sy >= chimney.y0, sy < chimney.y1 { factor *= 0.7 }
            }
          }
        }
        put(column, row, base * factor + 4 * noise.grain(column, row, 5))
      }
    }
  }

  // MARK: vehicles

  mutating func paintVehicle(_ object: SceneObject, _ plan: VehiclePlan) {
    let rings = object.polygon.rings.map { $0.map(local) }
    let box = Box.around(rings[0])
    let base = Shade(object.color)
    let glass = Shade(38, 44, 54)
    forEachSpan(rings.map(toPixels), width: width, height: height) { row, start, end in
      for column in start..<end {
        let (x, y) = metres(column, row)
        let alongRaw = plan.alongX ? (x - box.x0) / box.width : (y - box.y0) / box.height
        let across = plan.alongX ? (y - box.y0) / box.height : (x - box.x0) / box.width
        let t = plan.frontPositive ? alongRaw : 1 - alongRaw
        let side = across < 0.12 || across > 0.88
        var shade: Shade
        switch plan.kind {
        case "truck":
          if t > 0.8 {
            shade = (t > 0.86 && t < 0.93 && !side) ? glass : base
          } else if t > 0.78 {
            shade = Shade(30, 30, 32)
          } else {
            shade = Shade(222, 222, 218) * (side ? 0.85 : (Int(t * 40) % 3 == 0 ? 0.94 : 1))
          }
        case "van":
          shade = (t > 0.8 && t < 0.9 && !side) ? glass : base * (side ? 0.8 : 1.04)
        default:
          if side {
            shade = base * 0.8
          } else if (t > 0.62 && t < 0.77) || (t > 0.15 && t < 0.25) {
            shade = glass
          } else if t >= 0.25 && t <= 0.62 {
            shade = base * 1.07
          } else {
            shade = base
          }
        }
        put(column, row, shade + 4 * noise.grain(column, row, 6))
      }
    }
  }

  // MARK: collar

  mutating func applyCollar() {
    var valid = [Bool](repeating: false, count: width * height)
    // The truth's footprint, so that the valid pixels are exactly those inside it.
    let footprint = truth.footprint.shell.map(local)
    forEachSpan([toPixels(footprint)], width: width, height: height) { row, start, end in
      for column in start..<end { valid[row * width + column] = true }
    }
    for index in 0..<(width * height) where !valid[index] {
      pixels[index * 3] = 0
      pixels[index * 3 + 1] = 0
      pixels[index * 3 + 2] = 0
    }
  }
}

/// The pixel buffer shared by bands of rows that never overlap.
struct SharedPixels: @unchecked Sendable {
  let base: UnsafeMutablePointer<UInt8>

  func put(_ offset: Int, _ shade: Shade) {
    base[offset] = UInt8(max(1, min(255, shade.r.rounded())))
    base[offset + 1] = UInt8(max(1, min(255, shade.g.rounded())))
    base[offset + 2] = UInt8(max(1, min(255, shade.b.rounded())))
  }
}

/// Even–odd point-in-polygon, the rasteriser's rule.
func contains(_ rings: [[Point]], _ point: Point) -> Bool {
  var inside = false
  for ring in rings {
    for index in ring.indices {
      let a = ring[index]
      let b = ring[(index + 1) % ring.count]
      if (a.y <= point.y) != (b.y <= point.y) {
        let x = a.x + (point.y - a.y) * (b.x - a.x) / (b.y - a.y)
        if point.x < x { inside.toggle() }
      }
    }
  }
  return inside
}
