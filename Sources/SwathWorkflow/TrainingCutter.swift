import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// One chip of a training export and the objects it shows, in its own pixels.
struct TrainingChip: Sendable {
  var record: ChipRecord
  var objects: [TrainingObject]
  var split: TrainingExport.Split = .train
  var block = TrainingSplit.Block(row: 0, col: 0)
  /// 1-based, in the order of the exported chips (COCO's image id).
  var imageId = 0
  /// Width and height of the chip PNG (the task's chip size: padded chips keep it).
  var size: Int

  var key: String { record.chipKey }
  var stem: String { TrainingFiles.safeName(record.chipKey) }
  var fileName: String { "\(stem).png" }
}

/// An object of the final layer as one chip shows it.
struct TrainingObject: Sendable {
  /// Its position in the final layer (the same object in several chips has the same index).
  var index: Int
  /// 1-based class id (0 is background).
  var category: Int
  var label: String
  /// In chip pixels (x right, y down, (0, 0) the chip's top-left corner), clipped to the chip.
  var pixels: MultiPolygon
  var area: Double
  var box: BoundingBox
  /// Cut by the chip's edge.
  var truncated: Bool
  /// Area in the chip / whole area.
  var visibleFraction: Double
  var properties: [String: JSONValue]

  var hasHoles: Bool { pixels.polygons.contains { !$0.holes.isEmpty } }
}

/// Finds each chip's objects through a spatial index of the layer in the image's CRS, then
/// moves them into chip pixels and clips the ones a chip edge cuts (GEOS).
struct TrainingCutter: Sendable {
  private let objects: [MultiPolygon]
  private let properties: [[String: JSONValue]]
  private let categories: [Int]
  private let labels: [String]
  private let index: SpatialIndex
  private let toWGS84: CoordinateTransform
  private let minVisibleFraction: Double

  init(image: ImageRecord, objects layer: [Export.Object], classes: [String], options: TrainingExport.Options)
    throws
  {
    guard let wkt = image.crsWkt else {
      throw WorkflowError("image '\(image.name)' has no CRS", kind: .environment)
    }
    let target = try SpatialReference(definition: wkt)
    let forward = try CoordinateTransform(from: SpatialReference.wgs84(), to: target)
    toWGS84 = try CoordinateTransform(from: target, to: SpatialReference.wgs84())
    // One reprojection call for every point of the layer.
    let all = MultiPolygon(layer.flatMap(\.geometry.polygons))
    let moved = all.isEmpty ? all : try Reprojection.apply(all, forward)
    var start = 0
    var objects: [MultiPolygon] = []
    objects.reserveCapacity(layer.count)
    for object in layer {
      let count = object.geometry.polygons.count
      objects.append(MultiPolygon(Array(moved.polygons[start..<(start + count)])))
      start += count
    }
    self.objects = objects
    properties = layer.map(\.properties)
    labels = layer.map { $0.properties["label"]?.stringValue ?? "" }
    let classIds = Dictionary(uniqueKeysWithValues: classes.enumerated().map { ($1, $0 + 1) })
    categories = labels.map { classIds[$0] ?? 0 }
    index = SpatialIndex(
      objects.map { $0.envelope ?? BoundingBox(minX: .nan, minY: .nan, maxX: .nan, maxY: .nan) })
    minVisibleFraction = options.minVisibleFraction
  }

  func cut(_ record: ChipRecord, chipSize: Int) throws -> TrainingChip {
    guard record.geotransform.count == 6, let inverse = GeoTransform(record.geotransform).inverted() else {
      throw WorkflowError("chip \(record.chipKey) has no usable geotransform", kind: .environment)
    }
    let transform = GeoTransform(record.geotransform)
    let width = Double(record.width)
    let height = Double(record.height)
    var box = BoundingBox(minX: .infinity, minY: .infinity, maxX: -.infinity, maxY: -.infinity)
    for (column, row) in [(0.0, 0.0), (width, 0), (width, height), (0, height)] {
      let point = transform.apply(column: column, row: row)
      box.include(Point(point.x, point.y))
    }
    let window = BoundingBox(minX: 0, minY: 0, maxX: width, maxY: height)
    let windowShape = MultiPolygon(window.polygon)
    var found: [TrainingObject] = []
    for candidate in index.query(box).sorted() where categories[candidate] > 0 {
      let pixels = objects[candidate].mapPoints { point in
        let (x, y) = inverse.apply(column: point.x, row: point.y)
        return Point(x, y)
      }
      guard let envelope = pixels.envelope, envelope.intersects(window) else { continue }
      let whole = Topology.area(pixels)
      guard whole > 0 else { continue }
      var shown = pixels
      var truncated = false
      if envelope.minX < 0 || envelope.minY < 0 || envelope.maxX > width || envelope.maxY > height {
        shown = try Topology.intersection(pixels, windowShape)
        truncated = true
      }
      let area = Topology.area(shown)
      guard area > 1e-9, let shownBox = shown.envelope else { continue }
      let visible = min(1, area / whole)
      if truncated && visible < minVisibleFraction { continue }
      found.append(
        TrainingObject(
          index: candidate, category: categories[candidate], label: labels[candidate], pixels: shown,
          area: area, box: shownBox, truncated: truncated, visibleFraction: visible,
          properties: properties[candidate]))
    }
    return TrainingChip(record: record, objects: found, size: chipSize)
  }

  /// Chip-pixel geometries back in WGS84 longitude/latitude, all points in one call.
  func wgs84(_ geometries: [MultiPolygon], chip: ChipRecord) throws -> [MultiPolygon] {
    let transform = GeoTransform(chip.geotransform)
    let all = MultiPolygon(geometries.flatMap(\.polygons)).mapPoints { point in
      let (x, y) = transform.apply(column: point.x, row: point.y)
      return Point(x, y)
    }
    let moved = all.isEmpty ? all : try Reprojection.apply(all, toWGS84)
    var start = 0
    return geometries.map { geometry in
      defer { start += geometry.polygons.count }
      return MultiPolygon(Array(moved.polygons[start..<(start + geometry.polygons.count)]))
    }
  }
}
