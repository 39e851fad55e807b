import Foundation
import SwathGeometry
import Testing

/// A legacy (GeoJSON 2008) root `crs` member: honoured by reprojecting to WGS84, with a warning.
@Suite struct LegacyCRSTests {
  /// A 20 m × 10 m building near Atlanta in UTM 16N, counter-clockwise.
  static let utmRing = [
    (733700.0, 3724900.0), (733720.0, 3724900.0), (733720.0, 3724910.0), (733700.0, 3724910.0),
    (733700.0, 3724900.0),
  ]

  static func ring(_ points: [(Double, Double)]) -> String {
    "[[" + points.map { "[\($0.0),\($0.1)]" }.joined(separator: ",") + "]]"
  }

  static func feature(_ points: [(Double, Double)] = utmRing) -> String {
    #"{"type":"Feature","properties":{"label":"building"},"geometry":{"type":"Polygon","coordinates":"#
      + ring(points) + "}}"
  }

  static func crs(_ name: String) -> String {
    #""crs":{"type":"name","properties":{"name":"\#(name)"}}"#
  }

  static func read(_ text: String, planar: Bool = false, parallelism: Int = 1) -> GeoJSONDocument {
    GeoJSONReader.read(
      data: Data(text.utf8), options: ValidationOptions(planar: planar, parallelism: parallelism))
  }

  static func codes(_ document: GeoJSONDocument, _ severity: Severity) -> [String] {
    document.issues.filter { $0.severity == severity }.map(\.code)
  }

  @Test(arguments: [
    "urn:ogc:def:crs:EPSG::32616", "EPSG:32616", "http://www.opengis.net/def/crs/EPSG/0/32616",
  ])
  func aNamedUTMCRSIsReprojectedToWGS84WithAWarning(name: String) throws {
    let text = #"{"type":"FeatureCollection",\#(Self.crs(name)),"features":[\#(Self.feature())]}"#
    let document = Self.read(text)
    #expect(Self.codes(document, .error).isEmpty, "\(document.issues)")
    #expect(Self.codes(document, .warning) == ["legacy-crs"])
    let warning = try #require(document.documentIssues.first)
    #expect(warning.path == "crs" && warning.line == 1)
    #expect(warning.message.contains("EPSG:32616") && warning.message.contains("reprojected"))
    #expect(warning.message.contains("WGS84") && !warning.message.contains("\n"))
    // Longitude first, as an independent transformation gives it.
    let expected = try WorkingCRS(epsg: 32616).toWGS84(Self.utmRing.map { Point($0.0, $0.1) })
    let shell = try #require(document.features.first?.feature.geometry.polygons.first?.shell)
    #expect(shell.count == expected.count)
    for (read, want) in zip(shell, expected) {
      #expect(read == want)
    }
    #expect(abs(shell[0].x - -84.479) < 0.01 && abs(shell[0].y - 33.638) < 0.01)
  }

  @Test func wgs84NamesLeaveCoordinatesAsTheyAre() throws {
    let lonLat = [
      (-84.48, 33.64), (-84.4799, 33.64), (-84.4799, 33.6401), (-84.48, 33.6401), (-84.48, 33.64),
    ]
    for name in ["urn:ogc:def:crs:OGC:1.3:CRS84", "EPSG:4326", "urn:ogc:def:crs:EPSG::4326"] {
      let text = #"{"type":"FeatureCollection",\#(Self.crs(name)),"features":[\#(Self.feature(lonLat))]}"#
      let document = Self.read(text)
      #expect(Self.codes(document, .error).isEmpty, "\(name): \(document.issues)")
      #expect(Self.codes(document, .warning) == ["legacy-crs"])
      #expect(document.documentIssues.first?.message.contains("already WGS84") == true)
      let shell = document.features.first?.feature.geometry.polygons.first?.shell ?? []
      #expect(shell == lonLat.map { Point($0.0, $0.1) }, "\(name)")
    }
    // NAD83 is geographic with latitude first in EPSG's definition: the file's x is still longitude.
    let nad83 =
      #"{"type":"FeatureCollection",\#(Self.crs("EPSG:4269")),"features":[\#(Self.feature(lonLat))]}"#
    let document = Self.read(nad83)
    #expect(Self.codes(document, .error).isEmpty, "\(document.issues)")
    let first = try #require(document.features.first?.feature.geometry.polygons.first?.shell.first)
    #expect(abs(first.x - -84.48) < 1e-4 && abs(first.y - 33.64) < 1e-4)
  }

  @Test func anUnknownNameIsOneLocatedErrorNotACrash() throws {
    for name in ["urn:ogc:def:crs:EPSG::999999", "EPSG:banana", "/etc/passwd", "+proj=utm +zone=16", ""] {
      let text = "{\"type\":\"FeatureCollection\",\n\(Self.crs(name)),\"features\":[\(Self.feature())]}"
      let document = Self.read(text)
      let crsIssues = document.documentIssues.filter { $0.path == "crs" }
      #expect(crsIssues.map(\.code) == ["unknown-crs"], "\(name)")
      let issue = try #require(crsIssues.first)
      #expect(issue.severity == .error && issue.line == 2 && !issue.message.contains("\n"))
      #expect(!document.isValid)
    }
  }

  @Test func aMemberThatNamesNoCRSIsIgnoredAsBefore() {
    for member in [#""crs":null"#, #""crs":{"type":"link","properties":{"href":"x.prj"}}"#] {
      let text = #"{"type":"FeatureCollection",\#(member),"features":[\#(Self.feature())]}"#
      let document = Self.read(text)
      #expect(Self.codes(document, .warning).contains("crs-member"))
      #expect(Self.codes(document, .error).contains("longitude-out-of-range"))
    }
  }

  /// Planar reads (chip pixels, `--planar`) keep today's behaviour: the member is ignored.
  @Test func planarReadsLeaveTheCRSMemberAlone() throws {
    let text =
      #"{"type":"FeatureCollection",\#(Self.crs("urn:ogc:def:crs:EPSG::32616")),"features":[\#(Self.feature())]}"#
    let document = Self.read(text, planar: true)
    #expect(Self.codes(document, .error).isEmpty)
    #expect(Self.codes(document, .warning) == ["crs-member"])
    let shell = try #require(document.features.first?.feature.geometry.polygons.first?.shell)
    #expect(shell == Self.utmRing.map { Point($0.0, $0.1) })
  }

  @Test func aCRSAfterStreamedFeaturesIsALocatedError() throws {
    let after =
      #"{"type":"FeatureCollection","features":[\#(Self.feature())],\#(Self.crs("EPSG:32616"))}"#
    let document = Self.read(after)
    let issue = try #require(document.documentIssues.first { $0.path == "crs" })
    #expect(issue.code == "crs-after-features" && issue.severity == .error)
    #expect(issue.message.contains("before \"features\""))
    // Features read before the root's type are not streamed: the crs applies wherever it stands.
    let unstreamed =
      #"{"features":[\#(Self.feature())],\#(Self.crs("EPSG:32616")),"type":"FeatureCollection"}"#
    let late = Self.read(unstreamed)
    #expect(Self.codes(late, .error).isEmpty, "\(late.issues)")
    #expect(Self.codes(late, .warning) == ["legacy-crs"])
    // A WGS84 name after the features changes nothing: only the warning.
    let lonLat = [
      (-84.48, 33.64), (-84.4799, 33.64), (-84.4799, 33.6401), (-84.48, 33.6401), (-84.48, 33.64),
    ]
    let harmless = Self.read(
      #"{"type":"FeatureCollection","features":[\#(Self.feature(lonLat))],\#(Self.crs("OGC:CRS84"))}"#)
    #expect(Self.codes(harmless, .error).isEmpty && Self.codes(harmless, .warning) == ["legacy-crs"])
  }

  @Test func rootFeaturesGeometriesAndBBoxesUseTheFileCRS() {
    // A root Feature and a bare geometry honour their own crs member.
    let feature = Self.feature().dropLast() + "," + Self.crs("EPSG:32616") + "}"
    let document = Self.read(String(feature))
    #expect(Self.codes(document, .error).isEmpty, "\(document.issues)")
    #expect(Self.codes(document, .warning) == ["legacy-crs"])
    let bare = #"{"type":"Polygon",\#(Self.crs("EPSG:32616")),"coordinates":\#(Self.ring(Self.utmRing))}"#
    #expect(Self.codes(Self.read(bare), .error).isEmpty)
    // bbox members are in the file's coordinates, at both levels; precision is judged in metres.
    let boxed =
      #"{"type":"FeatureCollection",\#(Self.crs("EPSG:32616")),"bbox":[733700,3724900,733720,3724911],"features":[{"type":"Feature","bbox":[733700,3724900,733720,3724910],"properties":{},"geometry":{"type":"Polygon","coordinates":[[[733700.0,3724900.0],[733720.0,3724900.0],[733720.0,3724910.0],[733700.0,3724910.123456],[733700.0,3724900.0]]]}}]}"#
    let checked = Self.read(boxed)
    #expect(Self.codes(checked, .error).isEmpty, "\(checked.issues)")
    #expect(Set(Self.codes(checked, .warning)) == ["legacy-crs", "excessive-precision", "bbox-mismatch"])
    #expect(checked.issues.filter { $0.code == "bbox-mismatch" }.map(\.path) == ["features[0].bbox"])
  }

  @Test func manyFeaturesOnWorkerThreadsMatchOneThread() throws {
    let features = (0..<600).map { offset in
      Self.feature(Self.utmRing.map { ($0.0 + Double(offset) * 30, $0.1) })
    }
    let text =
      #"{"type":"FeatureCollection",\#(Self.crs("EPSG:32616")),"features":[\#(features.joined(separator: ","))]}"#
    let one = Self.read(text, parallelism: 1)
    let two = Self.read(text, parallelism: 2)
    #expect(one.errorCount == 0 && one.features.count == 600)
    #expect(one.features.map(\.feature.geometry) == two.features.map(\.feature.geometry))
  }
}
