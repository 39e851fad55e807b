import Crypto
import Foundation
import SwathGDAL
import SwathGeometry
import SwathStore

extension Review {
  /// One chip as a reviewer sees it: every annotator's shapes under an anonymous letter, and the
  /// latest run's objects on the chip, all in chip pixels (x right, y down, origin at the chip's
  /// top-left corner).
  public struct ChipView: Sendable {
    /// One shape an annotator drew on the chip (their accepted submission).
    public struct Shape: Sendable {
      /// `A`, `B`, … never the annotator's name.
      public var annotator: String
      public var label: String?
      public var shape: String
      public var attributes: [String: JSONValue]
      public var pixels: MultiPolygon
      /// The object of the run this shape overlaps most, if any.
      public var object: String?
    }

    /// One object of the latest run that lies on the chip.
    public struct Item: Sendable {
      public var object: Object
      public var pixels: MultiPolygon
      /// The voted attributes (the properties that are not Swath's own).
      public var attributes: [String: JSONValue]
      /// The letters of the annotators whose shapes overlap it most.
      public var members: [String]
    }

    public var task: String
    public var chip: String
    /// The chip's window in the scene: at the scene's edge smaller than the chip's image, which
    /// the tiling engine pads to the chip size (chip pixels are the image's).
    public var width: Int
    public var height: Int
    public var run: Int64?
    public var letters: [String]
    public var shapes: [Shape]
    public var objects: [Item]
    public var reviews: [ChipReviewRecord]
  }

  /// `A` … `Z`, then `AA`, `AB`, …
  static func letter(_ index: Int) -> String {
    var index = index
    var text = ""
    repeat {
      text = String(UnicodeScalar(UInt8(65 + index % 26))) + text
      index = index / 26 - 1
    } while index >= 0
    return text
  }

  /// The order of a chip's annotators behind their letters: a digest of the chip and of their
  /// first answer on it (its id and the time it arrived), which a reviewer never sees. Stable
  /// for the chip, different from chip to chip, and neither alphabetical nor by time of answer,
  /// so a letter says nothing about who it is.
  static func letterOrder(chip: ChipRecord, firstAnswers: [String: SubmissionRecord]) -> [String] {
    func key(_ annotator: String) -> String {
      let first = firstAnswers[annotator]!
      let text = "\(chip.id!)|\(chip.chipKey)|\(first.id!)|\(first.receivedAt)"
      return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
    return firstAnswers.keys.sorted { (key($0), $0) < (key($1), $1) }
  }
}

extension Workspace {
  /// A chip as a reviewer sees it (`Review.ChipView`): reviewers and admins; a chip the caller
  /// annotated is refused unless they are an admin, as deciding on it is.
  public func reviewChipView(task name: String, chip key: String, by caller: Caller) throws -> Review.ChipView
  {
    try caller.require(.review)
    return try store.read { store in
      let task = try store.requireTask(named: name)
      guard ChipKeys.isPlausible(key), let chip = try store.chip(taskId: task.id!, key: key) else {
        throw WorkflowError("task '\(name)' has no chip '\(key)'", kind: .notFound)
      }
      let summaries = try store.submissionSummaries(ofTask: task.id!).filter { $0.chipId == chip.id }
      var annotators = Set(summaries.map(\.annotator))
      for assignment in try store.assignments(ofTask: task.id!) where assignment.chipId == chip.id {
        annotators.insert(assignment.annotator)
      }
      _ = try caller.requireNotAnnotator(of: annotators, "chip \(key)")

      // Each annotator's current answer (accepted) and their first answer (for the letters).
      var firstAnswers: [String: SubmissionRecord] = [:]
      var acceptedIds: [Int64] = []
      var annotatorOf: [Int64: String] = [:]
      for annotator in Set(summaries.filter { $0.status == .accepted }.map(\.annotator)) {
        let accepted = try store.acceptedSubmissions(taskId: task.id!, chipId: chip.id!, annotator: annotator)
        guard !accepted.isEmpty else { continue }
        let first = summaries.filter { $0.annotator == annotator }.map(\.id).min()
        firstAnswers[annotator] = try first.flatMap { try store.submission(id: $0) } ?? accepted[0]
        for submission in accepted {
          acceptedIds.append(submission.id!)
          annotatorOf[submission.id!] = annotator
        }
      }
      let order = Review.letterOrder(chip: chip, firstAnswers: firstAnswers)
      let letterOf = Dictionary(uniqueKeysWithValues: order.enumerated().map { ($1, Review.letter($0)) })

      let toPixels = try Self.pixelMapping(task: task, chip: chip, in: store)
      let run = try store.latestConsensusRun(ofTask: task.id!)
      let objects =
        try run.map { try Review.objects(of: $0, task: task, in: store) }?.filter {
          $0.chips.contains(key)
        } ?? []

      var shapes: [Review.ChipView.Shape] = []
      var members: [String: Set<String>] = [:]
      for feature in try store.features(ofSubmissions: acceptedIds.sorted()) {
        guard let geometry = GeoJSONGeometry.multiPolygon(text: feature.geometry),
          let letter = annotatorOf[feature.submissionId].flatMap({ letterOf[$0] })
        else { continue }
        var best: (id: String, iou: Double)?
        if let box = geometry.envelope {
          for object in objects {
            guard let objectBox = object.geometry.envelope, Review.overlaps(box, objectBox) else { continue }
            let iou = (try? IoU.polygons(geometry, object.geometry)) ?? 0
            if iou > (best?.iou ?? 0) { best = (object.id, iou) }
          }
        }
        if let best { members[best.id, default: []].insert(letter) }
        let attributes =
          feature.attributes.flatMap { try? JSONValue(parsing: Data($0.utf8)).objectValue } ?? [:]
        shapes.append(
          Review.ChipView.Shape(
            annotator: letter, label: feature.label, shape: feature.shape, attributes: attributes,
            pixels: try toPixels(geometry), object: best?.id))
      }
      shapes.sort { ($0.annotator.count, $0.annotator) < ($1.annotator.count, $1.annotator) }
      let items = try objects.map { object in
        Review.ChipView.Item(
          object: object, pixels: try toPixels(object.geometry),
          attributes: object.properties.filter {
            !LabelSchema.reservedNames.contains($0.key) && $0.key != "gold"
          },
          members: (members[object.id] ?? []).sorted { ($0.count, $0) < ($1.count, $1) })
      }
      return Review.ChipView(
        task: task.name, chip: chip.chipKey, width: chip.width, height: chip.height, run: run?.id,
        letters: order.map { letterOf[$0]! }, shapes: shapes, objects: items,
        reviews: try store.chipReviews(ofTask: task.id!).filter { $0.chipId == chip.id })
    }
  }

  /// WGS84 → the chip's pixels, rounded to a hundredth of a pixel.
  static func pixelMapping(task: TaskRecord, chip: ChipRecord, in store: any StoreReader) throws
    -> (MultiPolygon) throws -> MultiPolygon
  {
    let frame = try PixelFrame(try store.requireImage(of: task), geotransform: chip.geotransform)
    return { geometry in
      try frame.pixels(geometry).mapPoints {
        Point(($0.x * 100).rounded() / 100, ($0.y * 100).rounded() / 100)
      }
    }
  }
}
