import Foundation
import Testing

@testable import SwathGeometry

/// The one-feature-at-a-time reader of stored layers reads what the tree reader reads.
struct StoredFeatureCollectionTests {
  func features(_ text: String, readGeometry: Bool = true) throws -> [StoredFeature] {
    var features: [StoredFeature] = []
    try StoredFeatureCollection.forEachFeature(in: text, readGeometry: readGeometry) { features.append($0) }
    return features
  }

  /// Geometries as `GeoJSONGeometry.multiPolygon(_:)` reads them from a parsed tree.
  func treeGeometries(_ text: String) throws -> [MultiPolygon?] {
    let root = try JSONValue(parsing: text)
    return try #require(root["features"]?.arrayValue).map { feature in
      feature["geometry"].flatMap(GeoJSONGeometry.multiPolygon)
    }
  }

  static let collection = """
    {"name":"x","features":[
    {"type":"Feature","properties":{"label":"Gebäude ☕","n":3,"r":0.5,"l":[1,"a"],"o":{"k":null}},
     "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,0]],[[0.2,0.1],[0.3,0.1],[0.3,0.2],[0.2,0.1]]]}},
    {"type":"Feature","geometry":{"coordinates":[[[[0,0,5],[2,0,5],[2,2,5],[0,0,5]]],[[[5,5],[6,5],[6,6],[5,5]]]],"type":"MultiPolygon"},"properties":null},
    {"properties":{},"geometry":{"type":"Point","coordinates":[1,2]}},
    {"properties":{},"geometry":null},
    {"geometry":{"type":"Polygon","coordinates":[]}},
    {"geometry":{"type":"Polygon","coordinates":[[[0,0],[1,"x"],[1,1],[0,0]]]}},
    {"geometry":{"type":"MultiPolygon","coordinates":[[],[[[0,0],[1e-3,0],[1,1.5E2],[0,0]]]]}},
    {"geometry":{"bbox":[0,0,1,1],"coordinates":[[[0,0],[-1.25,0],[1,1],[0,0]]],"type":"Polygon"}, "type":"Feature"}
    ],"type":"FeatureCollection","swath":{"task":"t"}}
    """

  @Test func geometriesAndPropertiesAreThoseOfTheTreeReader() throws {
    let read = try features(Self.collection)
    let tree = try treeGeometries(Self.collection)
    #expect(read.count == 8)
    #expect(read.map(\.geometry) == tree)
    #expect(read[0].geometry?.polygons.first?.holes.count == 1)
    #expect(read[1].geometry?.polygons.count == 2)
    #expect(read[2].geometry == nil && read[3].geometry == nil && read[4].geometry == nil)
    #expect(read[5].geometry == nil)
    #expect(read[6].geometry?.polygons.count == 1 && read[6].geometry?.polygons[0].shell[2] == Point(1, 150))
    #expect(read[7].geometry?.polygons[0].shell[1] == Point(-1.25, 0))
    let root = try JSONValue(parsing: Self.collection)
    #expect(read[0].properties == root["features"]?.arrayValue?[0]["properties"]?.objectValue)
    #expect(read[0].properties["label"] == .string("Gebäude ☕") && read[0].properties["n"] == .integer(3))
    #expect(read[1].properties.isEmpty)
  }

  @Test func skippingGeometriesKeepsTheProperties() throws {
    let read = try features(Self.collection, readGeometry: false)
    #expect(read.count == 8 && read.allSatisfy { $0.geometry == nil })
    #expect(read[0].properties["l"] == .array([.integer(1), .string("a")]))
  }

  @Test func notACollectionIsAnError() throws {
    #expect(throws: StoredFeatureCollection.NotACollection.self) { try features("{\"type\":\"Feature\"}") }
    #expect(throws: StoredFeatureCollection.NotACollection.self) { try features("[1]") }
    #expect(throws: JSONParseError.self) { try features("{\"features\":[{\"geometry\":{]}") }
    #expect(throws: JSONParseError.self) { try features("{\"features\":[]} x") }
    #expect(try features("{\"features\":[]}").isEmpty)
  }
}
