import Foundation
import SwathGDAL
import SwathGeometry
import SwathSupport

/// How `swath export` writes its file formats, one object at a time from the stored layer.
extension Export {
  /// RFC 7946 GeoJSON (WGS84) or GeoJSON in the image's CRS, streamed by Swath's own writer:
  /// GDAL's GeoJSON driver builds a JSON tree per feature and formats every number with printf,
  /// which made it the slowest of the three formats.
  static func writeGeoJSON(
    _ objects: Objects, columns: ColumnTypes, to path: String, destination: Destination,
    progress: any ProgressReporter
  ) throws {
    let columnList = columns.columns
    let isAttribute = columnList.map { columns.attributeNames.contains($0.name) }
    let native = JSONValue.object(
      Dictionary(uniqueKeysWithValues: destination.metadata.map { ($0.0.lowercased(), .string($0.1)) }))
    var members: [(key: String, value: JSONValue)] = [
      ("swath", native), ("name", .string(destination.layerName)),
    ]
    let options: GeoJSONGeometryOptions
    if destination.transform == nil {
      // RFC 7946: WGS84 implied (no crs member), right-hand rule, 7 decimal places (about 1 cm),
      // as GDAL's driver writes with RFC7946=YES.
      options = GeoJSONGeometryOptions(decimals: 7, rightHandRule: true)
    } else {
      // The 2008 GeoJSON form GDAL's driver writes for another CRS: a named crs member and
      // MultiPolygons throughout; coordinates exactly (shortest round trip).
      if let epsg = destination.epsg {
        members.append(
          (
            "crs",
            .object([
              "type": .string("name"),
              "properties": .object(["name": .string("urn:ogc:def:crs:EPSG::\(epsg)")]),
            ])
          ))
      }
      options = GeoJSONGeometryOptions(decimals: nil, rightHandRule: false, alwaysMultiPolygon: true)
    }
    let writer = try GeoJSONLayerWriter(
      path: path, columns: columnList.map(\.name), members: members, geometryOptions: options)
    var values = [GeoJSONColumnValue?](repeating: nil, count: columnList.count)
    try objects.forEachObject(readGeometry: true) { object in
      defer { progress.advance() }
      for index in columnList.indices {
        values[index] = columnValue(
          object.properties, column: columnList[index], isAttribute: isAttribute[index])
      }
      let geometry =
        try destination.transform.map { try Reprojection.apply(object.geometry, $0) }
        ?? object.geometry.roundedLikePrintf(decimals: 7)
      try writer.add(values: values, geometry: geometry)
    }
    try writer.finish()
  }

  /// GeoPackage and FlatGeobuf through GDAL's drivers: geometries built from flat coordinate
  /// arrays (one PROJ call per object when reprojecting), all features in one transaction; both
  /// drivers build their spatial index once, when the file is closed.
  static func writeOGR(
    _ objects: Objects, columns: ColumnTypes, to path: String, format: Format, destination: Destination,
    progress: any ProgressReporter
  ) throws {
    var layerOptions: [String] = []
    if format == .gpkg { layerOptions.append("DESCRIPTION=Swath consensus of task \(destination.layerName)") }
    let columnList = columns.columns
    let isAttribute = columnList.map { columns.attributeNames.contains($0.name) }
    do {
      let writer = try VectorWriter(creating: path, driver: format.driver)
      let layer = try writer.createMultiPolygonLayer(
        name: destination.layerName, spatialReference: destination.reference, options: layerOptions)
      for column in columnList { try layer.addField(name: column.name, type: column.type) }
      // Task metadata: GPKG keeps dataset items in gpkg_metadata; FlatGeobuf (GDAL 3.6) keeps no
      // free metadata, so there it lives in the layer name only.
      for (key, value) in destination.metadata { try writer.setMetadataItem(value, for: key) }
      let transaction = try writer.startTransaction()
      var values = [VectorFieldValue?](repeating: nil, count: columnList.count)
      var coordinates = PolygonalCoordinates()
      try objects.forEachObject(readGeometry: true) { object in
        defer { progress.advance() }
        for index in columnList.indices {
          values[index] = columnValue(
            object.properties, column: columnList[index], isAttribute: isAttribute[index]
          ).map(vectorValue)
        }
        coordinates.removeAll()
        func append(_ ring: Ring) {
          coordinates.ringSizes.append(ring.count)
          for point in ring {
            coordinates.xs.append(point.x)
            coordinates.ys.append(point.y)
          }
        }
        for polygon in object.geometry.polygons {
          coordinates.polygonRingCounts.append(1 + polygon.holes.count)
          append(polygon.shell)
          for hole in polygon.holes { append(hole) }
        }
        if let transform = destination.transform { try coordinates.transform(with: transform) }
        // Always a MultiPolygon, so every layer has one geometry type.
        try layer.addFeature(values: values, coordinates: coordinates)
      }
      // GeoJSON and FlatGeobuf have no real transaction; GPKG's must commit.
      if transaction || format == .gpkg { try writer.commitTransaction() }
      try writer.close()
    } catch let error as GDALError {
      throw WorkflowError(error.message, kind: .environment)
    }
  }

  /// A column value as GDAL's field setters take it: lists and objects as JSON text.
  static func vectorValue(_ value: GeoJSONColumnValue) -> VectorFieldValue {
    switch value {
    case .null: .null
    case .integer(let number): .integer(number)
    case .real(let number): .real(number)
    case .string(let text): .string(text)
    case .boolean(let flag): .boolean(flag)
    case .json(let value): .string(value.jsonText)
    }
  }
}
