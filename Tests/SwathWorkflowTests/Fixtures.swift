import Foundation
import GRDB
import SwathGDAL
import SwathGeometry
import SwathStore
import SwathTestSupport

@testable import SwathWorkflow

/// Workspaces for store tests, built through the store's own API.
enum Fixtures {
  static let landsat = "landsat7_rgb_uint8_utm18n_nodata0.tif"
  /// The annotators every fixture workspace registers.
  static let annotators = ["ana", "ben", "chloe", "dan"] + (1...8).map { "annotator\($0)" }

  static func workspace() throws -> (url: URL, store: Workspace) {
    let url = try TestSupport.temporaryDirectory("swath-store")
    let (store, created) = try Workspace.initialize(at: url, store: TestPostgres.workspaceStore(), by: .test)
    precondition(created)
    for name in annotators { _ = try store.addUser(name, role: .annotator, by: .test) }
    return (url, store)
  }

  /// A task whose chips are a plain grid over a real image, recorded without running the tiling
  /// engine: enough for tests of assignment and storage that do not depend on chip pixels.
  @discardableResult
  static func seedTask(
    _ store: Workspace, image imageFile: String = landsat, name: String = "roofs", chipSize: Int = 200,
    replicas: Int = 3, labels: [String] = ["building", "vehicle"]
  ) throws -> TaskRecord {
    let inspection = try ImageCatalog.inspect(path: TestSupport.image(imageFile).path)
    let imageName = "img-\(name)"
    try store.registerImage(inspection, name: imageName, by: .test)
    let transform = GeoTransform(inspection.geotransform!)
    let reference = try SpatialReference(definition: inspection.crsWkt!)
    var chips: [NewChip] = []
    var row = 0
    while row < inspection.height {
      var column = 0
      while column < inspection.width {
        let width = min(chipSize, inspection.width - column)
        let height = min(chipSize, inspection.height - row)
        let ring = try PixelFootprint.ring(
          geoTransform: transform, column: Double(column), row: Double(row), width: Double(width),
          height: Double(height), pointsPerEdge: 16,
          to: CoordinateTransform(from: reference, to: SpatialReference.wgs84()))
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
    return try store.store.write { transaction in
      try TaskCatalog.insert(
        parameters, chips: chips, chipDirectory: "chips/\(name)", by: .test, in: transaction)
    }
  }

  static func writeJSON(_ text: String, in directory: URL, name: String) throws -> URL {
    let url = directory.appendingPathComponent(name)
    try Data(text.utf8).write(to: url)
    return url
  }
}

extension Caller {
  static let test = Caller(name: "test", role: .admin, command: "test")
}

extension Workspace {
  /// The SQLite file read directly, to check stored rows independently of the store's API.
  func sql<T>(_ body: (Database) throws -> T) throws -> T {
    try DatabaseQueue(path: folder.appendingPathComponent(Workspace.storeFileName).path).read(body)
  }

  /// One number a query counts, read behind the store's API on either backend.
  func count(_ query: String) throws -> Int {
    let address = folder.appendingPathComponent(Workspace.storeAddressFileName)
    if let text = try? String(contentsOf: address, encoding: .utf8) {
      let rows = try TestPostgres.column(query, store: text.trimmingCharacters(in: .whitespacesAndNewlines))
      return Int(rows.first ?? "") ?? -1
    }
    return try sql { db in try Int.fetchOne(db, sql: query) ?? -1 }
  }

  /// Changes rows behind the store's back, as a fault or an older Swath would.
  func sqlWrite<T>(_ body: (Database) throws -> T) throws -> T {
    try DatabaseQueue(path: folder.appendingPathComponent(Workspace.storeFileName).path).write(body)
  }
}
