import SwathGDAL
import SwathGeometry
import SwathStore

/// Look-ups that fail with a message naming what exists, for every use case.
extension StoreReader {
  func requireTask(named name: String) throws -> TaskRecord {
    if let task = try task(named: name) { return task }
    let known = try tasks().map(\.name)
    throw WorkflowError(
      "no task named '\(name)'"
        + (known.isEmpty ? " (none created yet)" : " (known: \(known.joined(separator: ", ")))"),
      kind: .notFound)
  }

  func requireImage(named name: String) throws -> ImageRecord {
    if let image = try image(named: name) { return image }
    let known = try images().map(\.name)
    throw WorkflowError(
      "no image named '\(name)'"
        + (known.isEmpty ? " (none registered yet)" : " (known: \(known.joined(separator: ", ")))"),
      kind: .notFound)
  }

  func requireImage(of task: TaskRecord) throws -> ImageRecord {
    guard let image = try image(id: task.imageId) else {
      throw WorkflowError(
        "task '\(task.name)' refers to a missing image #\(task.imageId)", kind: .environment)
    }
    return image
  }
}

extension ChipRecord {
  /// The part of the image the chip holds, in the image CRS: its pixel window's corners through
  /// the image's geotransform (a parallelogram for a rotated image), counter-clockwise.
  func outline(in imageTransform: GeoTransform) throws -> Ring {
    try PixelFootprint.ring(
      geoTransform: imageTransform, column: Double(columnOffset), row: Double(rowOffset),
      width: Double(width), height: Double(height), pointsPerEdge: 1)
  }
}
