// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Swath",
  platforms: [.macOS(.v13)],
  products: [
    .executable(name: "swath", targets: ["swath"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
  ],
  targets: [
    // System C libraries, found through pkg-config.
    .systemLibrary(
      name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
    .systemLibrary(
      name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),

    // Process primitives every layer shares: atomic files, the CPU-parallel map, progress.
    .target(name: "SwathSupport"),
    // Owning Swift wrappers of GDAL/OGR/OSR handles; GDAL errors as Swift errors.
    .target(name: "SwathGDAL", dependencies: ["CGDAL"]),
    // 1. Tiling engine: scenes into georeferenced chips.
    .target(name: "SwathTiling", dependencies: ["SwathGDAL", "CGDAL", "CPNG", "SwathGeometry"]),
    // 2. Geometry core: GeoJSON, validation, GEOS topology, IoU, index, reprojection.
    .target(name: "SwathGeometry", dependencies: ["SwathSupport", "SwathGDAL", "CGDAL", "CGEOS"]),
    // 3. Consensus engine: matching, voting, fusion, annotator scores.
    .target(name: "SwathConsensus", dependencies: ["SwathSupport", "SwathGeometry"]),
    // 4. Project store and tasking workflow.
    .target(
      name: "SwathStore",
      dependencies: [
        "SwathGDAL", "CGDAL", "SwathTiling", "SwathGeometry", "SwathConsensus",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    // Simulators: the sample scene and annotator panels with known truth.
    .target(name: "SwathSimulation", dependencies: ["SwathGDAL", "CGDAL", "SwathGeometry"]),
    // Commands, kept in a library so tests can reach them.
    .target(
      name: "SwathCLI",
      dependencies: [
        "SwathSupport", "SwathGDAL", "SwathTiling", "SwathGeometry", "SwathConsensus", "SwathStore",
        "SwathSimulation",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "swath", dependencies: ["SwathCLI"]),

    // Shared paths and process helpers for the test targets.
    .target(name: "SwathTestSupport", path: "Tests/SwathTestSupport"),
    .testTarget(
      name: "SwathTilingTests",
      dependencies: ["SwathTiling", "SwathGDAL", "CGDAL", "CPNG", "SwathTestSupport", "swath"]),
    .testTarget(
      name: "SwathGeometryTests", dependencies: ["SwathGeometry", "CGEOS", "SwathTestSupport", "swath"]),
    .testTarget(
      name: "SwathConsensusTests",
      dependencies: [
        "SwathConsensus", "SwathGeometry", "SwathSimulation", "SwathTestSupport", "swath",
      ]),
    .testTarget(
      name: "SwathStoreTests", dependencies: ["SwathStore", "SwathCLI", "SwathTestSupport", "swath"]),
    .testTarget(
      name: "SwathCLITests",
      dependencies: [
        "SwathCLI", "SwathSimulation", "SwathGeometry", "SwathGDAL", "CGDAL", "SwathTestSupport", "swath",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
