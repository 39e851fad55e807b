import SwathGDAL

/// The outline of a window of pixels on the ground: the one place Swath walks a pixel
/// rectangle's edges and reprojects them (chip footprints, image footprints, task chip boxes).
public enum PixelFootprint {
  /// The closed outline of the pixel window (column, row, width, height), `pointsPerEdge`
  /// points per edge, through `geoTransform` into the image CRS, then through `transform`
  /// (e.g. to WGS84) when given; counter-clockwise, first point repeated at the end.
  ///
  /// The walk starts at the window's top-left corner and goes top-left → bottom-left →
  /// bottom-right → top-right (counter-clockwise on the ground for a north-up image); point i
  /// of an edge lies at `extent * i / pointsPerEdge` from the edge's start (the top and right
  /// edges count down: `extent * (pointsPerEdge - i) / pointsPerEdge`). When the walk is
  /// clockwise on the ground (a south-up or mirrored geotransform) the ring is reversed and
  /// keeps its first point, so it always starts at the window's top-left corner.
  ///
  /// Throws the transformation's GDALError when a point cannot be reprojected.
  public static func ring(
    geoTransform: GeoTransform, column: Double, row: Double, width: Double, height: Double,
    pointsPerEdge: Int, to transform: CoordinateTransform? = nil
  ) throws -> Ring {
    precondition(pointsPerEdge >= 1)
    let steps = Double(pointsPerEdge)
    var pixels: [(Double, Double)] = []
    pixels.reserveCapacity(4 * pointsPerEdge)
    for i in 0..<pointsPerEdge { pixels.append((0, height * Double(i) / steps)) }
    for i in 0..<pointsPerEdge { pixels.append((width * Double(i) / steps, height)) }
    for i in 0..<pointsPerEdge { pixels.append((width, height * Double(pointsPerEdge - i) / steps)) }
    for i in 0..<pointsPerEdge { pixels.append((width * Double(pointsPerEdge - i) / steps, 0)) }
    var xs: [Double] = []
    var ys: [Double] = []
    xs.reserveCapacity(pixels.count)
    ys.reserveCapacity(pixels.count)
    for (dx, dy) in pixels {
      let point = geoTransform.apply(column: column + dx, row: row + dy)
      xs.append(point.x)
      ys.append(point.y)
    }
    if let transform { try transform.transform(xs: &xs, ys: &ys) }
    var ring: Ring = (0..<xs.count).map { Point(xs[$0], ys[$0]) }
    ring.append(ring[0])
    // RFC 7946's right-hand rule: exterior rings counter-clockwise (positive signed area).
    if Topology.ringSignedArea(ring) < 0 { ring.reverse() }
    return ring
  }
}
