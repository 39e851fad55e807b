import Foundation
import SwathGeometry
import SwathTestSupport
import Testing

/// GeoJSON Polygon/MultiPolygon geometry objects decoded with JSONDecoder, rings as given (no
/// closing, no rewinding), so the tests do not depend on the GeoJSON reader. Not
/// JSONSerialization: on Linux it returns NSDecimalNumber for long numbers, whose doubleValue
/// is off by ulps (1000000000.3169873 reads as 1000000000.316987).
struct FixtureGeometry: Decodable {
  var geometry: MultiPolygon

  private enum Keys: String, CodingKey { case type, coordinates }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Keys.self)
    switch try container.decode(String.self, forKey: .type) {
    case "Polygon":
      let rings = try container.decode([[[Double]]].self, forKey: .coordinates)
      geometry = MultiPolygon(Self.polygon(rings))
    case "MultiPolygon":
      // A `[]` part is an EMPTY polygon: an empty shell.
      let parts = try container.decode([[[[Double]]]].self, forKey: .coordinates)
      geometry = MultiPolygon(parts.map(Self.polygon))
    case let other:
      throw DecodingError.dataCorruptedError(
        forKey: .type, in: container, debugDescription: "not polygonal: \(other)")
    }
  }

  private static func polygon(_ rings: [[[Double]]]) -> SwathGeometry.Polygon {
    let parsed = rings.map { ring in ring.map { Point($0[0], $0[1]) } }
    guard let shell = parsed.first else { return SwathGeometry.Polygon(shell: []) }
    return SwathGeometry.Polygon(shell: shell, holes: Array(parsed.dropFirst()))
  }
}

enum FixtureLines {
  /// Every line of a JSON Lines fixture, decoded as `T`.
  static func decode<T: Decodable>(_ name: String, as type: T.Type) throws -> [T] {
    let text = try String(contentsOf: TestSupport.fixture(name), encoding: .utf8)
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try text.split(separator: "\n").map { try decoder.decode(T.self, from: Data($0.utf8)) }
  }
}

func square(_ x: Double, _ y: Double, _ size: Double) -> MultiPolygon {
  MultiPolygon(BoundingBox(minX: x, minY: y, maxX: x + size, maxY: y + size).polygon)
}

/// Resident set size in bytes, from /proc/self/statm.
func residentBytes() -> Int {
  guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else {
    return 0
  }
  let fields = text.split(separator: " ")
  guard fields.count > 1, let pages = Int(fields[1]) else { return 0 }
  return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

@Suite struct GEOSTests {
  @Test func oneContextPerThread() async throws {
    let first = GEOSContext.current
    #expect(GEOSContext.current === first)
    let otherHandle = await withCheckedContinuation { continuation in
      Thread.detachNewThread {
        let context = GEOSContext.current
        #expect(GEOSContext.current === context)
        continuation.resume(returning: UInt(bitPattern: Int(bitPattern: context.handle)))
      }
    }
    #expect(otherHandle != UInt(bitPattern: Int(bitPattern: first.handle)))
    #expect(GEOSContext.version.hasPrefix("3."))
  }

  @Test func errorsCarryGEOSMessage() throws {
    let unclosed = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 0), Point(10, 10), Point(0, 10)]))
    do {
      _ = try Topology.makeValid(unclosed)
      Issue.record("an unclosed ring must not build")
    } catch let error as GEOSError {
      #expect(error.message.contains("closed linestring"), "\(error.message)")
    }
    let threePositions = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 10), Point(0, 0)]))
    #expect(throws: GEOSError.self) { try IoU.polygons(threePositions, square(0, 0, 5)) }
    // The context recovers: the next operation works.
    #expect(try IoU.polygons(square(0, 0, 10), square(5, 0, 10)) == 50.0 / 150.0)
  }

  static let isLeakWorker = ProcessInfo.processInfo.environment["SWATH_GEOS_LEAK_WORKER"] != nil

  /// Thousands of operations, including failing ones, must not grow the resident set: every
  /// GEOS geometry, coordinate sequence, message and location is freed. The work runs in a
  /// child process (this test binary, filtered to `leakWorker`) so tests running in
  /// parallel here cannot move the resident size.
  @Test(.disabled(if: isLeakWorker)) func operationsDoNotLeak() throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0])
    let result = try TestSupport.run(
      binary, ["--testing-library", "swift-testing", "--filter", "GEOSTests/leakWorker"],
      environment: ["SWATH_GEOS_LEAK_WORKER": "1"])
    let line = (result.stdout + result.stderr).split(separator: "\n")
      .first { $0.hasPrefix("resident-growth ") }
    let growth = try #require(
      line.flatMap { Int($0.dropFirst("resident-growth ".count)) },
      "no measurement from \(binary.path): \(result.stdout) \(result.stderr)")
    #expect(result.status == 0)
    // 36,000 operations: leaking one small geometry (a few hundred bytes) per operation
    // would be over 7 MB. Allow allocator noise.
    #expect(growth < 2 << 20, "resident grew by \(growth) bytes")
  }

  @Test(.enabled(if: isLeakWorker)) func leakWorker() throws {
    let bowtie = MultiPolygon(
      Polygon(shell: [Point(0, 0), Point(10, 10), Point(10, 0), Point(0, 10), Point(0, 0)]))
    let unclosed = MultiPolygon(Polygon(shell: [Point(0, 0), Point(10, 0), Point(10, 10)]))
    let holed = MultiPolygon(
      Polygon(
        shell: square(500_000, 4_000_000, 100).polygons[0].shell,
        holes: [square(500_010, 4_000_010, 20).polygons[0].shell.reversed()]))
    let badHole = MultiPolygon(
      Polygon(
        shell: square(0, 0, 10).polygons[0].shell,
        holes: [[Point(1, 1), Point(2, 2), Point(3, 1), Point(1, 2)]]))
    let twoParts = MultiPolygon([square(0, 0, 10).polygons[0], square(5, 5, 10).polygons[0]])
    func round() throws {
      for step in 0..<200 {
        let shift = Double(step % 17)
        _ = try IoU.overlay(holed, square(500_000 + shift, 4_000_000 + shift, 60))
        _ = try Topology.union([square(shift, 0, 10), square(5, shift, 10)])
        _ = try Topology.makeValid(bowtie)
        _ = Topology.validity(bowtie)
        _ = Topology.validity(twoParts)
        _ = Topology.validity(unclosed)
        _ = try? Topology.makeValid(badHole)
        _ = try Topology.difference(holed, square(500_050, 4_000_050, 100))
        _ = try Topology.buffer(square(0, 0, 10), distance: 1)
      }
    }
    try round()  // warm-up: caches, allocator arenas
    let before = residentBytes()
    for _ in 0..<20 { try round() }
    print("resident-growth \(residentBytes() - before)")
  }
}
