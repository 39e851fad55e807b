import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

/// Gold chips (issue #12): chips of a task whose truth the analyst knows. The truth file's
/// objects are validated as a submission is (geometry core, the task's labels and label schema,
/// lon/lat) and stored once per task; the gold chips are the chips where that truth is complete.
/// Adding gold with a truth file replaces the task's gold; promoting reviewed chips
/// (`promoteToGold`) adds to it.
public enum Gold {
  /// A task's gold as an analyst sees it.
  public struct Listing: Sendable {
    public var task: String
    public var chips: [Chip]
    public var objects: [GoldObjectRecord]

    public struct Chip: Sendable, Hashable {
      public var chip: String
      /// How many gold objects share area with the chip.
      public var objects: Int
      public var addedBy: String
      public var addedAt: String
    }

    /// `{"task", "chips": [{"chip", "objects", "added_by", "added_at"}], "objects": FeatureCollection}`.
    public var json: JSONValue {
      .object([
        "task": .string(task),
        "chips": .array(
          chips.map {
            .object([
              "chip": .string($0.chip), "objects": .integer(Int64($0.objects)),
              "added_by": .string($0.addedBy), "added_at": .string($0.addedAt),
            ])
          }),
        "objects": Gold.featureCollection(objects),
      ])
    }
  }

  /// The gold objects as an RFC 7946 FeatureCollection (lon/lat), each with its `label`, `shape`
  /// and attributes.
  static func featureCollection(_ objects: [GoldObjectRecord]) -> JSONValue {
    .object([
      "type": .string("FeatureCollection"),
      "features": .array(
        objects.map { object in
          var properties: [String: JSONValue] = [:]
          if let text = object.attributes, case .object(let values)? = try? JSONValue(parsing: text) {
            properties = values
          }
          properties["label"] = .string(object.label)
          properties["shape"] = .string(object.shape)
          return .object([
            "type": .string("Feature"), "id": .integer(Int64(object.featureIndex)),
            "properties": .object(properties),
            "geometry": (try? JSONValue(parsing: object.geometry)) ?? .null,
          ])
        }),
    ])
  }

  /// Whether `point` lies inside `ring` (even–odd rule).
  static func contains(_ ring: Ring, _ point: Point) -> Bool {
    let points = ring
    guard points.count > 2 else { return false }
    var inside = false
    var j = points.count - 1
    for i in points.indices {
      let a = points[i]
      let b = points[j]
      if (a.y > point.y) != (b.y > point.y),
        point.x < (b.x - a.x) * (point.y - a.y) / (b.y - a.y) + a.x
      {
        inside.toggle()
      }
      j = i
    }
    return inside
  }

  /// The chips of `chips` each gold object shares area with, in the image CRS.
  static func overlaps(
    _ objects: [MultiPolygon], chips: [ChipRecord], image: GeoTransform
  ) throws -> [[ChipRecord]] {
    let rectangles = try chips.map { MultiPolygon(Polygon(shell: try $0.outline(in: image))) }
    return try objects.map { object in
      try zip(chips, rectangles).filter { try SubmissionProcessing.overlapArea(object, $0.1) > 0 }.map(\.0)
    }
  }
}

extension Workspace {
  /// Makes chips of a task gold with the true objects of `truth` (a GeoJSON FeatureCollection in
  /// lon/lat), replacing the task's gold (promoted chips included), and scores again the answers
  /// already on the gold chips. With `chips`, those chips are gold (a chip with nothing
  /// on it too) and every object must share area with one of them; without, the gold chips are
  /// the chips the objects' centres (of their envelopes) fall in. An invalid file, an object
  /// outside every chip of the task or outside the named chips, or an unknown chip is one error
  /// and nothing is stored.
  public func addGold(task name: String, truth: Data, chips keys: [String]?, by caller: Caller) throws
    -> Gold.Listing
  {
    try caller.require(.manageGold)
    if let keys, keys.isEmpty { throw WorkflowError("name at least one chip") }
    try store.write { store in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      guard let wkt = image.crsWkt, let imageTransform = image.geotransform else {
        throw WorkflowError("image '\(image.name)' has no georeference", kind: .environment)
      }
      var options = ValidationOptions(
        labels: Set(task.labels), planar: false, workingEPSG: image.epsg, parallelism: 1)
      let schema = try task.validationSchema()
      options.schema = schema
      let document = GeoJSONReader.read(data: truth, options: options)
      guard document.isValid else {
        throw WorkflowError(
          "gold: " + SubmissionProcessing.invalidReason(document, labels: task.labels))
      }
      let allChips = try store.chips(ofTask: task.id!)
      var named: [ChipRecord]?
      if let keys {
        named = try keys.map { key in
          guard let chip = allChips.first(where: { $0.chipKey == key }) else {
            throw WorkflowError("task '\(name)' has no chip '\(key)'", kind: .notFound)
          }
          return chip
        }
      }
      guard !document.features.isEmpty || named != nil else {
        throw WorkflowError("gold: the file has no objects; name the chips that have nothing on them")
      }
      let imageCRS = try SpatialReference(definition: wkt)
      let fromWGS84 = try CoordinateTransform(from: SpatialReference.wgs84(), to: imageCRS)
      let geoTransform = GeoTransform(imageTransform)
      let inImage = try document.features.map { try Reprojection.apply($0.feature.geometry, fromWGS84) }
      let overlaps = try Gold.overlaps(inImage, chips: allChips, image: geoTransform)
      var goldIds = Set((named ?? []).map { $0.id! })
      for (index, validated) in document.features.enumerated() {
        let feature = SubmissionProcessing.featureName(validated)
        guard !overlaps[index].isEmpty else {
          throw WorkflowError("gold: \(feature) lies outside every chip of task '\(name)'")
        }
        if let named {
          guard overlaps[index].contains(where: { chip in named.contains { $0.id == chip.id } }) else {
            throw WorkflowError(
              "gold: \(feature) lies outside the chips named (\(named.map(\.chipKey).joined(separator: ", ")))"
            )
          }
        } else if let box = inImage[index].envelope {
          let centre = Point((box.minX + box.maxX) / 2, (box.minY + box.maxY) / 2)
          for chip in overlaps[index] where Gold.contains(try chip.outline(in: geoTransform), centre) {
            goldIds.insert(chip.id!)
          }
        }
      }
      guard !goldIds.isEmpty else {
        throw WorkflowError("gold: no object's centre lies in a chip of task '\(name)'; name the chips")
      }
      try store.deleteGold(ofTask: task.id!)
      let now = Timestamp.now()
      for chip in allChips where goldIds.contains(chip.id!) {
        var record = GoldChipRecord(taskId: task.id!, chipId: chip.id!, addedBy: caller.name, addedAt: now)
        try store.insert(&record)
      }
      for validated in document.features {
        var object = GoldObjectRecord(
          taskId: task.id!, featureIndex: validated.index, label: validated.feature.label ?? "",
          shape: validated.feature.shape.rawValue, geometry: GeoJSONGeometry.text(validated.feature.geometry),
          attributes: schema.map { _ in JSONValue.object(validated.feature.properties).jsonText })
        try store.insert(&object)
      }
      // Answers given before the gold was (re)placed are scored against the new gold.
      try Gold.rescore(task, in: store)
      try store.audit(
        actor: caller.name, command: caller.command, action: "gold.add",
        detail: "task=\(name) chips=\(goldIds.count) objects=\(document.features.count)")
    }
    return try gold(task: name, by: caller)
  }

  /// A task's gold chips and objects.
  public func gold(task name: String, by caller: Caller) throws -> Gold.Listing {
    try caller.require(.manageGold)
    return try store.read { store in
      let task = try store.requireTask(named: name)
      let image = try store.requireImage(of: task)
      let records = try store.goldChips(ofTask: task.id!)
      let objects = try store.goldObjects(ofTask: task.id!)
      var counts: [Int64: Int] = [:]
      if !records.isEmpty, !objects.isEmpty, let wkt = image.crsWkt, let transform = image.geotransform {
        let fromWGS84 = try CoordinateTransform(
          from: SpatialReference.wgs84(), to: try SpatialReference(definition: wkt))
        let chips = try records.compactMap { try store.chip(id: $0.chipId) }
        let shapes = try objects.map { object in
          try Reprojection.apply(
            GeoJSONGeometry.multiPolygon(text: object.geometry) ?? MultiPolygon([]), fromWGS84)
        }
        for list in try Gold.overlaps(shapes, chips: chips, image: GeoTransform(transform)) {
          for chip in list { counts[chip.id!, default: 0] += 1 }
        }
      }
      let chips = try records.map { record -> Gold.Listing.Chip in
        let key = try store.chip(id: record.chipId)?.chipKey ?? "#\(record.chipId)"
        return Gold.Listing.Chip(
          chip: key, objects: counts[record.chipId] ?? 0, addedBy: record.addedBy, addedAt: record.addedAt)
      }
      return Gold.Listing(task: name, chips: chips, objects: objects)
    }
  }
}
