import Foundation
import SwathTestSupport
import Testing

@testable import SwathGeometry

/// Geometric checks: area in m², bbox shapes, labels, OGC reasons with locations, winding, ranges.
@Suite("Validation checks")
struct ValidationTests {
  static let latitude = 52.5
  static let metresPerDegreeLatitude = 111_250.0  // near 52.5°N
  static var metresPerDegreeLongitude: Double { 111_320 * cos(latitude * .pi / 180) }

  /// A lon/lat ring from metre offsets around (13.4, 52.5), counter-clockwise as given.
  static func ring(_ metres: [(Double, Double)]) -> [Point] {
    let points = metres.map {
      Point(13.4 + $0.0 / metresPerDegreeLongitude, latitude + $0.1 / metresPerDegreeLatitude)
    }
    return points + [points[0]]
  }

  static func document(
    _ geometry: MultiPolygon, properties: [String: JSONValue] = [:], shape: ShapeKind = .polygon,
    options: ValidationOptions = ValidationOptions(parallelism: 1)
  ) -> GeoJSONDocument {
    let feature = LabelFeature(
      id: "f1", label: properties["label"]?.stringValue, shape: shape, geometry: geometry,
      properties: properties.filter { $0.key != "label" })
    return GeoJSONReader.read(
      data: GeoJSONWriter.featureCollection(features: [feature], decimals: 12), options: options)
  }

  static func errors(_ document: GeoJSONDocument) -> [ValidationIssue] {
    document.issues.filter { $0.severity == .error }
  }

  static func codes(_ document: GeoJSONDocument, _ severity: Severity = .error) -> [String] {
    document.issues.filter { $0.severity == severity }.map(\.code)
  }

  @Test func minimumAreaIsInSquareMetres() {
    let small = MultiPolygon(Polygon(shell: Self.ring([(0, 0), (0.6, 0), (0.6, 0.6), (0, 0.6)])))  // 0.36 m²
    let big = MultiPolygon(Polygon(shell: Self.ring([(0, 0), (0.8, 0), (0.8, 0.8), (0, 0.8)])))  // 0.64 m²
    let smallIssues = Self.errors(Self.document(small))
    #expect(smallIssues.map(\.code) == ["area-below-minimum"])
    #expect(smallIssues.first?.message.contains("area, 0.36") == true, "\(smallIssues)")
    #expect(Self.codes(Self.document(big)).isEmpty)
    #expect(
      Self.codes(Self.document(small, options: ValidationOptions(minArea: 0.3, parallelism: 1))).isEmpty)
    #expect(
      Self.codes(Self.document(big, options: ValidationOptions(minArea: 0.7, parallelism: 1))) == [
        "area-below-minimum"
      ])
  }

  @Test func areaNearTheLimitIsMeasuredInUTM() {
    // 1 m × 0.5 m = 0.5 m²; UTM scale distortion here is below 0.1%.
    let exact = MultiPolygon(Polygon(shell: Self.ring([(0, 0), (1.002, 0), (1.002, 0.5), (0, 0.5)])))
    #expect(Self.codes(Self.document(exact)).isEmpty)
    let under = MultiPolygon(Polygon(shell: Self.ring([(0, 0), (0.99, 0), (0.99, 0.5), (0, 0.5)])))
    #expect(Self.codes(Self.document(under)) == ["area-below-minimum"])
  }

  @Test func planarSkipsGeographicChecksAndMeasuresInCRSUnits() {
    let utm = MultiPolygon(
      Polygon(shell: [
        Point(500_000, 5_800_000), Point(500_000.5, 5_800_000), Point(500_000.5, 5_800_000.5),
        Point(500_000, 5_800_000.5), Point(500_000, 5_800_000),
      ]))
    let geographic = Self.document(utm)
    #expect(Set(Self.codes(geographic)) == ["longitude-out-of-range", "latitude-out-of-range"])
    #expect(Self.errors(geographic).first?.message.contains("validate them as planar") == true)
    let planar = Self.document(utm, options: ValidationOptions(planar: true, parallelism: 1))
    #expect(Self.codes(planar) == ["area-below-minimum"])  // 0.25 units²
    #expect(Self.errors(planar).first?.message.contains("CRS units²") == true)
    #expect(
      Self.codes(Self.document(utm, options: ValidationOptions(planar: true, minArea: 0.2, parallelism: 1)))
        .isEmpty)
  }

  @Test func bboxShapesMustBeAlignedInTheWorkingCRS() throws {
    let utm = try WorkingCRS(epsg: 32633)
    let aligned = try utm.toWGS84(
      MultiPolygon(
        Polygon(shell: [
          Point(390_000, 5_818_000), Point(390_020, 5_818_000), Point(390_020, 5_818_010),
          Point(390_000, 5_818_010), Point(390_000, 5_818_000),
        ])))
    #expect(Self.codes(Self.document(aligned, shape: .bbox)).isEmpty)
    // Rotated by 10°: a fine polygon, not a bbox.
    let angle = 10.0 * .pi / 180
    let rotated = try utm.toWGS84(
      MultiPolygon(
        Polygon(
          shell: [(0.0, 0.0), (20, 0), (20, 10), (0, 10), (0, 0)].map { x, y in
            Point(390_000 + x * cos(angle) - y * sin(angle), 5_818_000 + x * sin(angle) + y * cos(angle))
          })))
    #expect(Self.codes(Self.document(rotated, shape: .polygon)).isEmpty)
    let issues = Self.errors(Self.document(rotated, shape: .bbox))
    #expect(issues.map(\.code) == ["bbox-not-aligned"])
    #expect(issues.first?.message.contains("EPSG:32633") == true)
    // Aligned in lon/lat degrees is not aligned in UTM far from the central meridian… but within 1%.
    let lShape = MultiPolygon(
      Polygon(shell: Self.ring([(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)])))
    #expect(Self.codes(Self.document(lShape, shape: .bbox)) == ["bbox-not-aligned"])
    // An image CRS other than the shape's UTM zone can be named.
    let mercator = try WorkingCRS(epsg: 3857)
    let alignedInMercator = try mercator.toWGS84(
      MultiPolygon(
        Polygon(shell: [
          Point(1_491_000, 6_890_000), Point(1_491_040, 6_890_000), Point(1_491_040, 6_890_030),
          Point(1_491_000, 6_890_030), Point(1_491_000, 6_890_000),
        ])))
    #expect(
      Self.codes(
        Self.document(
          alignedInMercator, shape: .bbox, options: ValidationOptions(workingEPSG: 3857, parallelism: 1))
      ).isEmpty)
  }

  @Test func labelsAreCheckedAgainstTheAllowedSet() {
    let square = MultiPolygon(Polygon(shell: Self.ring([(0, 0), (5, 0), (5, 5), (0, 5)])))
    let options = ValidationOptions(labels: ["building", "vehicle"], parallelism: 1)
    #expect(
      Self.codes(Self.document(square, properties: ["label": .string("building")], options: options)).isEmpty)
    let unknown = Self.document(square, properties: ["label": .string("tree")], options: options)
    #expect(Self.codes(unknown) == ["unknown-label"])
    #expect(Self.errors(unknown)[0].message.contains("building, vehicle"))
    #expect(Self.errors(unknown)[0].path == "features[0].properties.label")
    #expect(Self.codes(Self.document(square, options: options)) == ["missing-label"])
    #expect(Self.codes(Self.document(square)).isEmpty)
  }

  @Test func ogcProblemsCarryGEOSReasonAndLocation() {
    func issues(_ geojson: String) -> [ValidationIssue] {
      GeoJSONReader.read(
        data: Data(geojson.utf8), options: ValidationOptions(planar: true, minArea: 0, parallelism: 1)
      ).issues.filter { $0.severity == .error }
    }
    let bowtie = issues(#"{"type":"Polygon","coordinates":[[[0,0],[10,10],[10,0],[0,10],[0,0]]]}"#)
    #expect(bowtie.map(\.code) == ["self-intersection"])
    #expect(bowtie.first?.location == Point(5, 5))
    #expect(bowtie.first?.path == "coordinates")
    let holeOutside = issues(
      #"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[20,20],[21,20],[21,21],[20,20]]]}"#
    )
    #expect(holeOutside.map(\.code) == ["hole-outside-shell"])
    let nested = issues(
      #"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[0,10],[0,0]],[[1,1],[9,1],[9,9],[1,9],[1,1]],[[2,2],[3,2],[3,3],[2,2]]]}"#
    )
    #expect(nested.map(\.code) == ["nested-holes"])
    let overlap = issues(
      #"{"type":"MultiPolygon","coordinates":[[[[0,0],[10,0],[10,10],[0,10],[0,0]]],[[[5,5],[15,5],[15,15],[5,15],[5,5]]]]}"#
    )
    #expect(overlap.map(\.code) == ["overlapping-parts"])
    #expect(overlap.first?.message.contains("Self-intersection") == true)
    let spike = issues(
      #"{"type":"Polygon","coordinates":[[[0,0],[10,0],[10,10],[5,10],[5,15],[5,10],[0,10],[0,0]]]}"#)
    #expect(spike.map(\.code) == ["ring-self-intersection"])
    let zero = issues(#"{"type":"Polygon","coordinates":[[[0,0],[0,0],[0,0],[0,0]]]}"#)
    #expect(zero.count == 1)
  }

  @Test func windingRangePrecisionAndCRSAreReported() {
    let clockwise =
      #"{"type":"Feature","properties":{},"crs":{"type":"name"},"geometry":{"type":"Polygon","coordinates":[[[13.4,52.5],[13.4,52.5001],[13.4001,52.5001],[13.4001,52.5],[13.4,52.5]]]}}"#
    let document = GeoJSONReader.read(data: Data(clockwise.utf8), options: ValidationOptions(parallelism: 1))
    #expect(Self.codes(document).isEmpty)
    #expect(Set(Self.codes(document, .warning)) == ["ring-orientation", "crs-member"])
    let precise =
      #"{"type":"Polygon","coordinates":[[[13.4,52.5],[13.4001,52.5],[13.4001,52.5001],[13.4000000001,52.5],[13.4,52.5]]]}"#
    let precision = GeoJSONReader.read(
      data: Data(precise.utf8), options: ValidationOptions(geometry: .any, parallelism: 1))
    #expect(precision.issues.contains { $0.code == "excessive-precision" && $0.path == "coordinates[0][3]" })
    let outOfRange = #"{"type":"Point","coordinates":[200,-95]}"#
    let range = GeoJSONReader.read(
      data: Data(outOfRange.utf8), options: ValidationOptions(geometry: .any, parallelism: 1))
    #expect(Set(Self.codes(range)) == ["longitude-out-of-range", "latitude-out-of-range"])
    #expect(range.issues.first?.location == Point(200, -95))
  }

  @Test func unclosedAndShortRingsAreStructuralErrors() {
    let text =
      #"{"type":"Polygon","coordinates":[[[13.4,52.5],[13.41,52.5],[13.41,52.51],[13.4,52.51]],[[13.401,52.501],[13.402,52.501],[13.401,52.501]]]}"#
    let document = GeoJSONReader.read(
      data: Data(text.utf8), options: ValidationOptions(geometry: .any, parallelism: 1))
    let errors = document.issues.filter { $0.severity == .error }
    #expect(errors.map(\.code) == ["ring-not-closed", "ring-too-few-positions"])
    #expect(errors[0].path == "coordinates[0][3]")
    #expect(errors[1].path == "coordinates[1]")
    #expect(errors[1].message.contains("found 3"))
  }
}
