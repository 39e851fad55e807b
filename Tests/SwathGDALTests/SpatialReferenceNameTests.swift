import Foundation
import SwathGDAL
import Testing

/// CRS names as GeoJSON 2008 `crs` members carry them: names only, never files or URLs to fetch.
struct SpatialReferenceNameTests {
  @Test(arguments: [
    "urn:ogc:def:crs:EPSG::32616", "urn:ogc:def:crs:EPSG:6.6:32616", "urn:x-ogc:def:crs:EPSG:32616",
    "EPSG:32616", "epsg:32616", "http://www.opengis.net/def/crs/EPSG/0/32616",
  ])
  func epsgNames(name: String) throws {
    let reference = try SpatialReference(crsName: name)
    #expect(reference.epsg == 32616 && reference.isProjected)
    #expect(reference.name == "WGS 84 / UTM zone 16N")
  }

  @Test func ogcCRS84IsWGS84LongitudeLatitude() throws {
    for name in ["urn:ogc:def:crs:OGC:1.3:CRS84", "urn:ogc:def:crs:OGC::CRS84", "OGC:CRS84"] {
      let reference = try SpatialReference(crsName: name)
      #expect(reference.isGeographic && reference.isEquivalent(to: SpatialReference.wgs84()))
    }
    #expect(try !SpatialReference(crsName: "EPSG:32616").isEquivalent(to: SpatialReference.wgs84()))
    // Longitude first through a transformation, whatever the definition's axis order.
    let utm = try SpatialReference(crsName: "EPSG:32616")
    let toWGS84 = try CoordinateTransform(from: utm, to: SpatialReference(crsName: "EPSG:4326"))
    let lonLat = try toWGS84.transform(x: 733826, y: 3_724_914)
    #expect(abs(lonLat.x - -84.479) < 0.01 && abs(lonLat.y - 33.638) < 0.01)
  }

  @Test(arguments: [
    "EPSG:999999", "urn:ogc:def:crs:EPSG::abc", "/etc/hostname", "http://example.com/crs.prj",
    "+proj=longlat", "", "OGC:CRS85", "ESRI:102003",
  ])
  func otherTextIsRefusedInOneLine(name: String) {
    #expect {
      _ = try SpatialReference(crsName: name)
    } throws: { error in
      "\(error)".contains("\"\(name)\"") && !"\(error)".contains("\n")
    }
  }
}
