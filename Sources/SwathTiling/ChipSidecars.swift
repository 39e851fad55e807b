import Foundation
import SwathGDAL

/// The georeference files beside a chip PNG, as the chipper writes them: an ESRI world file
/// (`NAME.pgw`) and GDAL's `NAME.png.aux.xml` (CRS and geotransform). Anything laid pixel for
/// pixel over a chip (a label mask) carries the same pair.
public enum ChipSidecars {
  /// The sidecars of the PNG named `pngName` (`chip.png`): file names beside it and their text.
  /// `reference` nil writes the geotransform without a CRS.
  public static func files(
    forPNG pngName: String, geotransform: GeoTransform, reference: SpatialReference?
  ) -> [(name: String, text: String)] {
    let stem = pngName.hasSuffix(".png") ? String(pngName.dropLast(4)) : pngName
    return [
      ("\(stem).pgw", PNGChipWriter.worldFile(geotransform)),
      (
        "\(pngName).aux.xml",
        PNGChipWriter.auxXML(srs: reference.map(PNGChipWriter.srsElement), transform: geotransform)
      ),
    ]
  }
}
