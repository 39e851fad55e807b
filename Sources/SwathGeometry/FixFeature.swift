import Foundation

/// What `--fix` did with one feature.
public struct FeatureRepair: Sendable {
  public enum Action: String, Sendable, Codable {
    /// Written unchanged (apart from the writer's RFC 7946 form).
    case kept
    /// Written after the listed changes.
    case repaired
    /// Left out of the output; `reason` says why.
    case omitted
  }

  public var index: Int
  public var path: String
  public var featureID: String?
  public var action: Action
  /// Each change, one sentence.
  public var changes: [String]
  public var reason: String?
  /// The feature to write (nil when omitted).
  public var feature: LabelFeature?
}

/// Repairs what can be repaired without guessing the annotator's intent: ring closure, repeated
/// positions, winding, self-intersections (GEOS make-valid, polygonal parts kept). Everything
/// else is left out and reported. A repaired feature is validated again before it is kept.
public enum FeatureFixer {
  /// Issue codes a repair can clear. Any other error leaves the feature out.
  static let repairable: Set<String> = [
    "ring-not-closed", "ring-too-few-positions", "repeated-position", "ring-orientation", "empty-ring",
    "empty-geometry", "too-many-ordinates", "excessive-precision", "crs-member", "bbox-mismatch",
    "self-intersection", "ring-self-intersection", "hole-outside-shell", "nested-holes",
    "disconnected-interior", "nested-shells", "overlapping-parts", "duplicate-rings", "too-few-points",
    "invalid-polygon", "antimeridian-span", "bare-geometry",
  ]

  public static func repair(_ validated: ValidatedFeature, options: ValidationOptions) -> FeatureRepair {
    var result = FeatureRepair(
      index: validated.index, path: validated.path, featureID: validated.feature.id, action: .kept,
      changes: [], reason: nil, feature: nil)
    func omit(_ reason: String) -> FeatureRepair {
      result.action = .omitted
      result.reason = reason
      result.changes = []
      return result
    }
    guard let type = validated.geometryType else {
      return omit("its geometry is null or unreadable")
    }
    guard type == "Polygon" || type == "MultiPolygon" else {
      return omit(
        "a \(type) is not an annotator shape; the repaired copy holds Polygon and MultiPolygon features only")
    }
    let blocking = validated.issues.filter { $0.severity == .error && !repairable.contains($0.code) }
    if !blocking.isEmpty {
      let codes = Array(Set(blocking.map(\.code))).sorted().joined(separator: ", ")
      return omit("\(codes) cannot be repaired without guessing")
    }
    let codes = Set(validated.issues.map(\.code))
    var geometry = validated.feature.geometry
    var changes: [String] = []

    // Ring by ring: close, drop repeats, drop what stays too short.
    var polygons: [Polygon] = []
    var closedCount = 0
    var repeatsDropped = 0
    for (part, polygon) in geometry.polygons.enumerated() {
      var rings: [Ring] = []
      var shellDropped = false
      for (offset, ring) in polygon.rings.enumerated() {
        var points: [Point] = []
        points.reserveCapacity(ring.count + 1)
        for point in ring where points.last != point { points.append(point) }
        repeatsDropped += ring.count - points.count
        if let first = ring.first, ring.last != first { closedCount += 1 }
        if points.count > 1 && points.first == points.last { points.removeLast() }
        if Set(points).count < 3 {
          if offset == 0 {
            changes.append("dropped part \(part): fewer than 3 distinct corners")
            shellDropped = true
            break
          }
          changes.append("dropped hole \(offset) of part \(part): fewer than 3 distinct corners")
          continue
        }
        points.append(points[0])
        rings.append(points)
      }
      if !shellDropped, let shell = rings.first {
        polygons.append(Polygon(shell: shell, holes: Array(rings.dropFirst())))
      }
    }
    if closedCount > 0 { changes.append("closed \(closedCount) ring\(closedCount == 1 ? "" : "s")") }
    if repeatsDropped > 0 {
      changes.append("dropped \(repeatsDropped) repeated position\(repeatsDropped == 1 ? "" : "s")")
    }
    if codes.contains("empty-ring") || codes.contains("empty-geometry") {
      changes.append("left out empty rings or parts")
    }
    if codes.contains("too-many-ordinates") { changes.append("dropped ordinates beyond x, y") }
    if codes.contains("ring-orientation") { changes.append("rewound rings to the right-hand rule") }
    if codes.contains("crs-member") { changes.append("dropped the crs member") }
    if codes.contains("bbox-mismatch") { changes.append("dropped the wrong bbox member") }
    if codes.contains("excessive-precision") { changes.append("rounded coordinates to 8 decimal places") }
    geometry = MultiPolygon(polygons)
    guard !geometry.isEmpty else {
      return omit("nothing of the shape is left after dropping degenerate rings")
    }

    let validity = Topology.validity(geometry)
    if !validity.isValid {
      do {
        let repaired = try Topology.makeValid(geometry)
        guard !repaired.isEmpty else {
          return omit("GEOS make-valid leaves no polygonal area (\(validity.reason ?? "invalid"))")
        }
        changes.append(
          "repaired \"\(validity.reason ?? "invalid")\" with GEOS make-valid (\(repaired.polygons.count) part\(repaired.polygons.count == 1 ? "" : "s") kept)"
        )
        geometry = repaired
      } catch {
        return omit("GEOS make-valid failed: \(error)")
      }
    }

    var feature = validated.feature
    feature.geometry = geometry
    // The repaired shape must pass every check, area and bbox shape included.
    var recheckOptions = options
    recheckOptions.parallelism = 1
    recheckOptions.geometry = .polygonal
    recheckOptions.labels = options.labels
    let written = GeoJSONWriter.feature(feature)
    let recheck = GeoJSONReader.read(data: written, options: recheckOptions)
    let remaining = recheck.issues.filter { $0.severity == .error }
    if !remaining.isEmpty {
      let codes = Array(Set(remaining.map(\.code))).sorted().joined(separator: ", ")
      return omit("still invalid after repair: \(codes)")
    }
    result.feature = recheck.features.first?.feature ?? feature
    result.changes = changes
    result.action = changes.isEmpty ? .kept : .repaired
    return result
  }
}
