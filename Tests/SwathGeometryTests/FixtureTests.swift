import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

/// Other validators' own test suites (../shared/fixtures, see its README), run through the full
/// reader and validator.
@Suite("Validator against third-party fixtures")
struct FixtureTests {
  struct Row {
    var file: String
    var verdict: String
    var ogcValidAll: String
  }

  /// manifest.csv (RFC 4180: quoted fields may hold commas, quotes and newlines).
  static func manifest() throws -> [Row] {
    let text = try String(contentsOf: TestSupport.fixture("geojson/manifest.csv"), encoding: .utf8)
    var records: [[String]] = []
    var record: [String] = []
    var field = ""
    var quoted = false
    var iterator = Array(text.unicodeScalars).makeIterator()
    var pending: Unicode.Scalar? = nil
    while let scalar = pending ?? iterator.next() {
      pending = nil
      if quoted {
        if scalar == "\"" {
          if let next = iterator.next() {
            if next == "\"" {
              field.unicodeScalars.append("\"")
            } else {
              quoted = false
              pending = next
            }
          } else {
            quoted = false
          }
        } else {
          field.unicodeScalars.append(scalar)
        }
        continue
      }
      switch scalar {
      case "\"": quoted = true
      case ",":
        record.append(field)
        field = ""
      case "\n":
        record.append(field)
        records.append(record)
        record = []
        field = ""
      case "\r": break
      default: field.unicodeScalars.append(scalar)
      }
    }
    if !field.isEmpty || !record.isEmpty {
      record.append(field)
      records.append(record)
    }
    let header = records.removeFirst()
    let file = header.firstIndex(of: "file")!
    let verdict = header.firstIndex(of: "expected_verdict")!
    let ogc = header.firstIndex(of: "ogc_valid_all")!
    return records.filter { $0.count == header.count }.map {
      Row(file: $0[file], verdict: $0[verdict], ogcValidAll: $0[ogc])
    }
  }

  static func read(_ file: String, options: ValidationOptions) throws -> (
    errors: Set<String>, warnings: Set<String>
  ) {
    let document = try GeoJSONReader.read(
      contentsOf: TestSupport.fixture("geojson/" + file), options: options)
    let issues = document.issues
    return (
      Set(issues.filter { $0.severity == .error }.map(\.code)),
      Set(issues.filter { $0.severity == .warning }.map(\.code))
    )
  }

  /// Where a fixture's folder and this validator's policy disagree, and why (README, "Fixture policy").
  static let conflicts: [String: Set<String>] = [
    // Winding is a warning: the issue and RFC 7946 §3.1.6 ("parsers SHOULD NOT reject").
    "bad/gjvalidator__invalid_geometries__invalid_exterior_not_ccw.geojson": [],
    "bad/gjvalidator__invalid_geometries__invalid_interior_not_cw.geojson": [],
    // An empty GeometryCollection is a warning: good/ holds an empty collection and an empty Polygon.
    "bad/turf-boolean-valid__false__GeometryCollection__empty-geometry-collection.geojson": [],
    // Latitudes down to -141: the issue makes out-of-range coordinates an error; geojsonhint has no range check.
    "good/geojsonhint__issue82.geojson": ["latitude-out-of-range", "longitude-out-of-range"],
  ]

  /// The warning or error each warn/ criterion gets.
  static let warnPolicy: [String: (errors: Set<String>, warnings: Set<String>)] = [
    "warn/draftgeojson__example_appendix_06.geojson": ([], ["ring-orientation"]),
    "warn/geojsonhint__bad-polygon-interiorring-rhr.geojson": ([], ["ring-orientation"]),
    "warn/geojsonhint__polygon_winding_order.geojson": ([], ["ring-orientation"]),
    "warn/rewind__collection.input.geojson": ([], ["ring-orientation"]),
    "warn/rewind__featuregood.input.geojson": ([], ["ring-orientation"]),
    "warn/rewind__geomcollection.input.geojson": ([], ["ring-orientation"]),
    "warn/rewind__multipolygon.input.geojson": ([], ["ring-orientation"]),
    "warn/rewind__rev.input.geojson": ([], ["ring-orientation"]),
    // A ring of exact area -1.3e-21 square degrees: a sliver, whatever its winding.
    "warn/rewind__near-zero.input.geojson": (
      ["area-below-minimum"], ["ring-orientation", "excessive-precision"]
    ),
    "warn/rewind__near-zero.output.geojson": (
      ["area-below-minimum"], ["ring-orientation", "excessive-precision"]
    ),
    "warn/geojsonhint__excessive_precision_truncated.geojson": ([], ["excessive-precision"]),
    "warn/gjvalidator__problematic_geometries__problematic_excessive_coordinate_precision.geojson": (
      [], ["excessive-precision"]
    ),
    "warn/gjvalidator__problematic_geometries__problematic_excessive_vertices.geojson": (
      [], ["excessive-precision"]
    ),
    // More than 3 ordinates: an error, as the issue says (geojsonhint only warns).
    "warn/geojsonhint__point-toomany.geojson": (["too-many-ordinates"], []),
    "warn/gjinvalidgeom__problematic_geometries__problematic_4d_coordinates.geojson": (
      ["too-many-ordinates"], []
    ),
    // Altitude is allowed; a vertical segment repeats its x/y.
    "warn/gjinvalidgeom__problematic_geometries__problematic_3d_coordinates.geojson": ([], []),
    "warn/gjvalidator__problematic_geometries__problematic_3d_coordinates.geojson": (
      [], ["repeated-position"]
    ),
    "warn/gjinvalidgeom__problematic_geometries__problematic_crosses_antimeridian.geojson": (
      [], ["antimeridian-span", "ring-orientation"]
    ),
    "warn/gjvalidator__problematic_geometries__problematic_crosses_antimeridian.geojson": (
      ["longitude-out-of-range"], ["excessive-precision"]
    ),
    "warn/gjinvalidgeom__problematic_geometries__problematic_outside_lat_lon_boundaries.geojson": (
      ["longitude-out-of-range"], ["antimeridian-span"]
    ),
    // Fixture drift (README): this copy's ring is also unclosed.
    "warn/gjvalidator__problematic_geometries__problematic_outside_lat_lon_boundaries.geojson": (
      ["longitude-out-of-range", "ring-not-closed"], []
    ),
    "warn/gjinvalidgeom__problematic_geometries__problematic_wrong_bbox_coordinate_order.geojson": (
      [], ["bbox-mismatch"]
    ),
    "warn/gjvalidator__problematic_geometries__problematic_wrong_bbox_coordinate_order.geojson": (
      [], ["bbox-mismatch"]
    ),
    // With --geometry any a bare geometry is plain GeoJSON (polygonal mode warns: it carries no label).
    "warn/gjinvalidgeom__problematic_structure__problematic_geometry_not_wrapped.geojson": ([], []),
    // A legacy crs naming UTM 32N is honoured with a warning: the coordinates are reprojected to
    // WGS84 (in range), and their 6 decimals are judged as metres.
    "warn/gjvalidator__invalid_structure__invalid_featurecollection_crs_defined.geojson": (
      [], ["legacy-crs", "excessive-precision"]
    ),
    "warn/gjvalidator__problematic_structure__invalid_crs_defined.geojson": (
      [], ["legacy-crs", "excessive-precision"]
    ),
    // The same bytes are in geojsonhint's bad/: nested and single-member collections are errors.
    "warn/gjvalidator__invalid_structure__invalid_geometry_geometrycollection_nested.geojson": (
      ["nested-geometry-collection"], []
    ),
    "warn/gjvalidator__invalid_structure__invalid_geometry_geometrycollection_single.geojson": (
      ["single-geometry-collection"], []
    ),
    "warn/gjvalidator__problematic_geometries__problematic_duplicate_nodes.geojson": (
      [], ["repeated-position"]
    ),
    "warn/gjvalidator__problematic_geometries__problematic_zero_length_linestring.geojson": (
      [], ["repeated-position"]
    ),
    // Self-intersection is an OGC error.
    "warn/gjvalidator__problematic_geometries__problematic_self_intersection_large.geojson": (
      ["self-intersection"], []
    ),
    "warn/gjvalidator__problematic_geometries__problematic_self_intersection_small.geojson": (
      ["self-intersection"], []
    ),
    // RFC 7946 allows these; so does the validator with --geometry any.
    "warn/gjvalidator__problematic_geometries__problematic_feature_null_geometry.geojson": ([], []),
    "warn/gjvalidator__problematic_geometries__problematic_holes.geojson": ([], []),
    "warn/gjvalidator__problematic_geometries__problematic_multitype_geometry_with_just_one_geometry.geojson":
      (
        [], []
      ),
  ]

  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func everyGeoJSONFixture() throws {
    let rows = try Self.manifest()
    #expect(rows.count == 360)
    let options = ValidationOptions(geometry: .any)
    var counts: [String: Int] = [:]
    for row in rows {
      let (errors, warnings) = try Self.read(row.file, options: options)
      counts[row.verdict, default: 0] += 1
      if let expected = Self.conflicts[row.file] {
        #expect(errors == expected, "\(row.file): pinned conflict, got errors \(errors.sorted())")
        continue
      }
      switch row.verdict {
      case "valid":
        if row.ogcValidAll == "false" {
          #expect(!errors.isEmpty, "\(row.file): not OGC-valid, so an error is expected")
        } else {
          #expect(errors.isEmpty, "\(row.file): good/ file got errors \(errors.sorted())")
        }
      case "invalid":
        #expect(!errors.isEmpty, "\(row.file): bad/ file got no error")
      default:
        guard let policy = Self.warnPolicy[row.file] else {
          Issue.record(
            "\(row.file): no pinned policy (errors \(errors.sorted()), warnings \(warnings.sorted()))")
          continue
        }
        #expect(errors == policy.errors, "\(row.file): errors \(errors.sorted())")
        #expect(warnings == policy.warnings, "\(row.file): warnings \(warnings.sorted())")
      }
    }
    #expect(counts == ["valid": 130, "invalid": 195, "warning": 35])
  }

  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func badFixturesSayWhatIsWrong() throws {
    let options = ValidationOptions(geometry: .any)
    let cases: [(String, String)] = [
      ("bad/geojsonhint__bad-json.geojson", "invalid-json"),
      ("bad/geojsonhint__bad-duplicate-properties.geojson", "duplicate-member"),
      ("bad/geojsonhint__different-first-last.geojson", "ring-not-closed"),
      ("bad/geojsonhint__short-linearring.geojson", "ring-too-few-positions"),
      ("bad/geojsonhint__short-line.geojson", "line-too-short"),
      ("bad/geojsonhint__point-toofew.geojson", "too-few-ordinates"),
      ("bad/geojsonhint__bbox-4or6elements.geojson", "invalid-bbox"),
      ("bad/geojsonhint__featurecollection-type-case.geojson", "unknown-type"),
      ("bad/geojsonhint__rootstring.geojson", "not-geojson"),
      ("bad/geojsonhint__feature_changed_semantics.geojson", "forbidden-member"),
      ("bad/geojsonhint__badfeatureid.geojson", "invalid-id"),
      ("bad/pygeojson__multipoint_not_number.geojson", "invalid-position"),
      ("bad/turf-kinks__hourglass.geojson", "self-intersection"),
      ("bad/turf-boolean-valid__false__Polygon__polygon-with-spike.geojson", "ring-self-intersection"),
      ("bad/turf-boolean-valid__false__MultiPolygon__multipolygons-overlap.geojson", "overlapping-parts"),
      (
        "bad/turf-boolean-valid__false__Polygon__polygon-with-hole-2-vertices-touching.geojson",
        "disconnected-interior"
      ),
      ("bad/gjschema__invalid__feature__no-geometry.json", "missing-geometry"),
      (
        "bad/gjvalidator__invalid_structure__invalid_geometry_depth_shallow_polygon.geojson",
        "coordinates-depth"
      ),
    ]
    for (file, code) in cases {
      let (errors, _) = try Self.read(file, options: options)
      #expect(errors.contains(code), "\(file): expected \(code), got \(errors.sorted())")
    }
  }

  struct OGCCase: Decodable {
    var id: String
    var wkt: String
    var expectedValid: Bool
    var expectedReason: String?

    enum CodingKeys: String, CodingKey {
      case id, wkt
      case expectedValid = "expected_valid"
      case expectedReason = "expected_reason"
    }
  }

  /// The 407 JTS/GEOS validity cases, as GeoJSON text through the reader, planar.
  @Test(.enabled(if: TestSupport.hasFixtures, "needs ../shared/fixtures"))
  func ogcValidityCases() throws {
    let text = try String(contentsOf: TestSupport.fixture("ogc_valid_cases.jsonl"), encoding: .utf8)
    // JTS coordinates are unitless test values, some far below 0.5 units²: no area floor here.
    let options = ValidationOptions(planar: true, geometry: .polygonal, minArea: 0)
    var checked = 0
    var mismatches: [String] = []
    for line in text.split(separator: "\n") {
      let data = Data(line.utf8)
      let meta = try JSONDecoder().decode(OGCCase.self, from: data)
      guard let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] else { continue }
      let geojson: Data
      if let geometry = object["geojson"] as? [String: Any] {
        geojson = try JSONSerialization.data(withJSONObject: geometry)
      } else {
        // POLYGON ((0 0, 10 NaN, 20 0, 0 10, 0 0)): NaN is not JSON, but tools write it.
        #expect(meta.wkt.contains("NaN"))
        geojson = Data(#"{"type":"Polygon","coordinates":[[[0,0],[10,NaN],[20,0],[0,10],[0,0]]]}"#.utf8)
      }
      let document = GeoJSONReader.read(data: geojson, options: options)
      let errors = document.issues.filter { $0.severity == .error }
      if errors.isEmpty != meta.expectedValid {
        mismatches.append(
          "\(meta.id) \(meta.wkt.prefix(80)): expected valid=\(meta.expectedValid), got \(errors.map(\.code))"
        )
      }
      if meta.id == "ogc-0030" { #expect(errors.map(\.code) == ["non-finite-number"]) }
      checked += 1
    }
    #expect(checked == 407)
    #expect(mismatches.isEmpty, "\(mismatches.count) mismatches:\n\(mismatches.joined(separator: "\n"))")
  }
}
