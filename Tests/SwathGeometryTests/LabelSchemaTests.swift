import Foundation
import Testing

@testable import SwathGeometry

/// Label schemas: reading with located errors, checking features against them, and which
/// changes a task with answers may take.
@Suite struct LabelSchemaTests {
  static let damage = """
    {"labels": [
      {"name": "building", "display_name": "Building", "color": "#AA0000", "shapes": ["polygon"], "min_area": 10,
       "attributes": [
         {"name": "damage", "type": "enum", "values": ["none", "minor", "major", "destroyed"], "required": true},
         {"name": "occluded", "type": "boolean", "default": false},
         {"name": "floors", "type": "integer", "minimum": 1, "maximum": 200, "default": 1},
         {"name": "height", "type": "number", "minimum": 0},
         {"name": "note", "type": "text"}]},
      {"name": "vehicle", "shapes": ["bbox"], "attributes": [{"name": "occluded", "type": "boolean"}]}
    ]}
    """

  static func schema(_ text: String) throws -> LabelSchema { try LabelSchema(data: Data(text.utf8)) }

  static func failure(_ text: String) -> LabelSchemaError? {
    do {
      _ = try schema(text)
      return nil
    } catch let error as LabelSchemaError {
      return error
    } catch {
      return LabelSchemaError(path: "?", message: "\(error)")
    }
  }

  @Test func readsEveryPartAndWritesItBack() throws {
    let schema = try Self.schema(Self.damage)
    #expect(schema.names == ["building", "vehicle"])
    let building = try #require(schema.label(named: "building"))
    #expect(building.displayName == "Building" && building.color == "#aa0000")
    #expect(building.shapes == [.polygon] && building.minArea == 10)
    #expect(building.attributes.map(\.name) == ["damage", "occluded", "floors", "height", "note"])
    #expect(building.attributes.map(\.type) == [.enum, .boolean, .integer, .number, .text])
    #expect(building.attribute(named: "damage")?.required == true)
    #expect(building.attribute(named: "floors")?.defaultValue == .integer(1))
    #expect(schema.label(named: "vehicle")?.shapes == [.bbox])
    // Shapes default to both.
    #expect(try Self.schema(#"{"labels":[{"name":"tree"}]}"#).labels[0].shapes == [.polygon, .bbox])
    // The written document reads back to the same schema.
    #expect(try LabelSchema(json: schema.json) == schema)
    #expect(try JSONDecoder().decode(LabelSchema.self, from: JSONEncoder().encode(schema)) == schema)
  }

  /// Each bad schema names the member at fault.
  @Test(arguments: [
    (#"{"labels":[{"name":"a"},{"name":"a"}]}"#, "labels[1].name", #"label "a" is listed twice"#),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"enum","values":[]}]}]}"#,
      "labels[0].attributes[0].values", "an enum attribute needs at least one value"
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"enum"}]}]}"#,
      "labels[0].attributes[0].values", "an enum attribute needs at least one value"
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"n","type":"number","minimum":5,"maximum":1}]}]}"#,
      "labels[0].attributes[0].minimum", "the range is empty: minimum 5 is above maximum 1"
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"enum","values":["x","y"],"default":"z"}]}]}"#,
      "labels[0].attributes[0].default", #"the default must be one of "x", "y", found "z""#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"n","type":"integer","maximum":3,"default":4}]}]}"#,
      "labels[0].attributes[0].default", "the default must be of at most 3, found 4"
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"enum","values":["x","x"]}]}]}"#,
      "labels[0].attributes[0].values[1]", #""x" is listed twice"#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"boolean"},{"name":"k","type":"text"}]}]}"#,
      "labels[0].attributes[1].name", #"attribute "k" is listed twice for label "a""#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"boolean"}]},{"name":"b","attributes":[{"name":"k","type":"text"}]}]}"#,
      "labels[1].attributes[0].type",
      #"attribute "k" is boolean on label "a"; one name has one type in every label"#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"confidence","type":"number"}]}]}"#,
      "labels[0].attributes[0].name", #""confidence" is a property Swath writes itself; choose another name"#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"Roof Type","type":"text"}]}]}"#,
      "labels[0].attributes[0].name",
      #""Roof Type" is not an attribute name: lower-case letters, digits and _, starting with a letter, at most 63 characters"#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"date"}]}]}"#,
      "labels[0].attributes[0].type",
      #"must be one of "enum", "boolean", "integer", "number", "text", found "date""#
    ),
    (
      #"{"labels":[{"name":"a","attributes":[{"name":"k","type":"text","minimum":1}]}]}"#,
      "labels[0].attributes[0].minimum", "only an integer or number attribute has a range"
    ),
    (
      #"{"labels":[{"name":"a","shapes":["circle"]}]}"#, "labels[0].shapes[0]",
      #"must be "polygon" or "bbox", found "circle""#
    ),
    (#"{"labels":[{"name":"a","color":"red"}]}"#, "labels[0].color", #"must be #rrggbb, found "red""#),
    (
      #"{"labels":[{"name":"a","min_area":-1}]}"#, "labels[0].min_area",
      "must be a number of m², 0 or more, found -1"
    ),
    (
      #"{"labels":[{"name":" a"}]}"#, "labels[0].name",
      "a label name must be 1–100 characters without surrounding spaces"
    ),
    (
      ##"{"labels":[{"name":"a","colour":"#ffffff"}]}"##, "labels[0].colour",
      "unknown member; allowed: attributes, color, display_name, min_area, name, shapes"
    ),
    (#"{"labels":[]}"#, "labels", "a task needs at least one label"),
    (#"{"label":["a"]}"#, "label", "unknown member; allowed: $schema, labels"),
    (#"["a"]"#, "$", "must be an object, found a list"),
    (#"{"labels":[{"name":"a"}"#, "labels", ""),
  ])
  func badSchemasAreRefusedAtTheMemberAtFault(_ text: String, _ path: String, _ message: String) throws {
    let error = try #require(Self.failure(text))
    #expect(error.path == path)
    if message.isEmpty {
      #expect(error.message.hasPrefix("not JSON:"))
    } else {
      #expect(error.message == message)
    }
  }

  static func validate(_ properties: String, shape: String = "polygon", metres: Double = 20)
    -> GeoJSONDocument
  {
    let d = metres / 111_320
    let ring = "[[13.4,52.5],[\(13.4 + d),52.5],[\(13.4 + d),\(52.5 + d)],[13.4,\(52.5 + d)],[13.4,52.5]]"
    let text =
      #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"shape":"\#(shape)",\#(properties)},"geometry":{"type":"Polygon","coordinates":[\#(ring)]}}]}"#
    var options = ValidationOptions(parallelism: 1)
    options.schema = try! schema(damage)
    return GeoJSONReader.read(data: Data(text.utf8), options: options)
  }

  static func issues(_ document: GeoJSONDocument) -> [String] {
    document.issues.filter { $0.severity == .error }.map { "\($0.code) \($0.path)" }
  }

  @Test func featuresAreCheckedAgainstTheirLabel() throws {
    let fine = Self.validate(#""label":"building","damage":"minor","floors":2.0,"height":7.5,"note":"x""#)
    #expect(Self.issues(fine).isEmpty)
    // Defaults fill what was left out; a whole real becomes an integer.
    #expect(
      fine.features[0].feature.properties == [
        "damage": .string("minor"), "floors": .integer(2), "height": .number(7.5), "note": .string("x"),
        "occluded": .bool(false),
      ])
    #expect(
      Self.issues(
        Self.validate(
          #""label":"building","damage":"total","occluded":"no","floors":201,"height":-1,"note":3,"roof":"flat""#
        ))
        == [
          "unknown-attribute features[0].properties.roof", "invalid-attribute features[0].properties.damage",
          "invalid-attribute features[0].properties.occluded",
          "invalid-attribute features[0].properties.floors",
          "invalid-attribute features[0].properties.height", "invalid-attribute features[0].properties.note",
        ])
    #expect(
      Self.issues(Self.validate(#""label":"building","damage":null"#)) == [
        "missing-attribute features[0].properties"
      ])
    #expect(
      Self.issues(Self.validate(#""label":"building","damage":"none""#, shape: "bbox"))
        .contains("shape-not-allowed features[0].properties.shape"))
    #expect(Self.issues(Self.validate(#""label":"tree""#)) == ["unknown-label features[0].properties.label"])
    // The label's own minimum area (10 m²) instead of the default 0.5 m².
    #expect(
      Self.issues(Self.validate(#""label":"building","damage":"none""#, metres: 3))
        == ["area-below-minimum features[0].geometry.coordinates"])
    let vehicle = Self.issues(Self.validate(#""label":"vehicle","occluded":true"#, shape: "bbox", metres: 3))
    #expect(!vehicle.contains { $0.hasPrefix("area-below-minimum") || $0.contains("attribute") })
    let message = Self.validate(#""label":"building","floors":0,"damage":"none""#).issues.first?.message
    #expect(message == #"attribute "floors" must be from 1 to 200, found 0"#)
  }

  @Test func perLabelMinimumAreaInPlanarUnits() throws {
    let text =
      #"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"label":"building","damage":"none"},"geometry":{"type":"Polygon","coordinates":[[[0,0],[6,0],[6,6],[0,6],[0,0]]]}}]}"#
    var options = ValidationOptions(planar: true, parallelism: 1)
    options.schema = try Self.schema(Self.damage)
    // 36 px² of 0.25 m² each is 9 m², under 10 m²; of 0.3 m² each 10.8 m², over.
    options.squareMetresPerPlanarUnit = 0.25
    #expect(
      GeoJSONReader.read(data: Data(text.utf8), options: options).issues.map(\.code) == ["area-below-minimum"]
    )
    options.squareMetresPerPlanarUnit = 0.3
    #expect(GeoJSONReader.read(data: Data(text.utf8), options: options).issues.isEmpty)
  }

  @Test func changesThatEveryAnswerStillFitsAreAllowed() throws {
    let old = try Self.schema(Self.damage)
    var wider = old
    wider.labels.append(LabelDefinition(name: "tree"))
    wider.labels[0].attributes[0].values.append("unknown")
    wider.labels[0].attributes[2].maximum = 300
    wider.labels[0].attributes[3].minimum = nil
    wider.labels[0].attributes.append(AttributeDefinition(name: "roof", type: .text))
    wider.labels[0].attributes.append(
      AttributeDefinition(name: "storeys", type: .integer, required: true, defaultValue: .integer(1)))
    wider.labels[0].displayName = "House"
    wider.labels[0].color = "#00aa00"
    wider.labels[0].shapes.append(.bbox)
    wider.labels[0].minArea = 5
    #expect(wider.incompatibilities(replacing: old).isEmpty)

    var narrower = old
    narrower.labels.removeLast()
    narrower.labels[0].shapes = []
    narrower.labels[0].minArea = 12
    narrower.labels[0].attributes[0].values.removeLast()
    narrower.labels[0].attributes[1].required = true
    narrower.labels[0].attributes[1].defaultValue = nil
    narrower.labels[0].attributes[2].minimum = 2
    narrower.labels[0].attributes[3].type = .integer
    narrower.labels[0].attributes.removeLast()
    narrower.labels[0].attributes.append(AttributeDefinition(name: "roof", type: .text, required: true))
    #expect(
      narrower.incompatibilities(replacing: old) == [
        #"label "building" no longer allows polygon shapes"#,
        #"label "building": min_area rises from 10 to 12 m²"#,
        #"attribute "damage" of label "building" loses the value "destroyed""#,
        #"attribute "occluded" of label "building" becomes required without a default"#,
        #"attribute "floors" of label "building": the minimum rises to 2"#,
        #"attribute "height" of label "building" changes type from number to integer"#,
        #"attribute "note" of label "building" is removed (or renamed)"#,
        #"attribute "roof" is added to label "building" as required without a default"#,
        #"label "vehicle" is removed (or renamed)"#,
      ])
  }
}
