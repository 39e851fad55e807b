import Foundation
import SwathGDAL
import SwathGeometry
import SwathTestSupport

@testable import SwathStore

/// Workspaces for store tests, built through the store's own API.
enum Fixtures {
  static let landsat = "landsat7_rgb_uint8_utm18n_nodata0.tif"

  static func workspace() throws -> (url: URL, store: Store) {
    let url = try TestSupport.temporaryDirectory("swath-store")
    let (store, created) = try Store.initialize(at: url)
    precondition(created)
    return (url, store)
  }

  /// A task whose chips are a plain grid over a real image, recorded without running the tiling
  /// engine: enough for tests of assignment and storage that do not depend on chip pixels.
  @discardableResult
  static func seedTask(
    _ store: Store, image imageFile: String = landsat, name: String = "roofs", chipSize: Int = 200,
    replicas: Int = 3, labels: [String] = ["building", "vehicle"]
  ) throws -> TaskRecord {
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(imageFile).path)
    let imageName = "img-\(name)"
    try ImageCatalog.register(inspection, name: imageName, in: store, command: "test")
    let transform = GeoTransform(inspection.geotransform!)
    let reference = try SpatialReference(definition: inspection.crsWkt!)
    var chips: [NewChip] = []
    var row = 0
    while row < inspection.height {
      var column = 0
      while column < inspection.width {
        let width = min(chipSize, inspection.width - column)
        let height = min(chipSize, inspection.height - row)
        let ring = try ImageCatalog.wgs84Ring(
          columnOffset: Double(column), rowOffset: Double(row), width: Double(width),
          height: Double(height), transform: transform, from: reference)
        chips.append(
          NewChip(
            key: "r\(row)_c\(column)", columnOffset: column, rowOffset: row, width: width,
            height: height,
            geotransform: transform.offset(column: Double(column), row: Double(row)).coefficients,
            footprint: ring, validFraction: 1, path: "chips/\(name)/r\(row)_c\(column).png"))
        column += chipSize
      }
      row += chipSize
    }
    let parameters = TaskParameters(
      name: name, imageName: imageName, region: "all", labels: labels, chipSize: chipSize,
      overlap: 0, replicas: replicas)
    return try store.write { db in
      try TaskCatalog.insert(
        parameters, chips: chips, chipDirectory: "chips/\(name)", actor: "test", command: "test",
        in: db)
    }
  }

  static func writeJSON(_ text: String, in directory: URL, name: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }
}
