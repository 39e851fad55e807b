// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Swath",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "swath", targets: ["swath"])
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.0.0"),
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.0.0"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
    // Both come with Hummingbird; named for NIOThreadPool (blocking use cases) and the logger.
    .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.21.0"),
  ],
  targets: [
    // System C libraries, found through pkg-config.
    .systemLibrary(
      name: "CGDAL", pkgConfig: "gdal", providers: [.apt(["libgdal-dev"])]),
    .systemLibrary(
      name: "CGEOS", pkgConfig: "geos", providers: [.apt(["libgeos-dev"])]),
    // libpng only decodes, in the tests (through its simplified API, which needs no longjmp).
    .systemLibrary(
      name: "CPNG", pkgConfig: "libpng", providers: [.apt(["libpng-dev"])]),
    .systemLibrary(
      name: "CDeflate", pkgConfig: "libdeflate", providers: [.apt(["libdeflate-dev"])]),
    // The PNG encoder of chips and rendered images: adaptive row filters, libdeflate's zlib stream.
    .target(name: "CPNGEncoder", dependencies: ["CDeflate"]),

    // Process primitives every layer shares: atomic files, the CPU-parallel map, progress.
    .target(name: "SwathSupport"),
    // Owning Swift wrappers of GDAL/OGR/OSR handles; GDAL errors as Swift errors.
    .target(name: "SwathGDAL", dependencies: ["CGDAL"]),
    // 1. Tiling engine: scenes into georeferenced chips.
    .target(
      name: "SwathTiling", dependencies: ["SwathSupport", "SwathGDAL", "SwathGeometry", "CPNGEncoder"]),
    // 2. Geometry core: GeoJSON, validation, GEOS topology, IoU, index, reprojection.
    .target(name: "SwathGeometry", dependencies: ["SwathSupport", "SwathGDAL", "CGEOS"]),
    // 3. Consensus engine: matching, voting, fusion, annotator scores.
    .target(name: "SwathConsensus", dependencies: ["SwathSupport", "SwathGeometry"]),
    // Simulators: the sample scene and annotator panels with known truth.
    .target(name: "SwathSimulation", dependencies: ["SwathSupport", "SwathGDAL", "SwathGeometry"]),
    // 4. The project store: records and the protocol every backend implements (persistence only).
    .target(name: "SwathStore"),
    // The SQLite backend of the store (GRDB); the only module that imports GRDB.
    .target(
      name: "SwathStoreSQLite",
      dependencies: ["SwathStore", .product(name: "GRDB", package: "GRDB.swift")]),
    // The PostgreSQL/PostGIS backend of the store (PostgresNIO), for several nodes on one database.
    .target(
      name: "SwathStorePostgres",
      dependencies: [
        "SwathStore", .product(name: "PostgresNIO", package: "postgres-nio"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ]),
    // 5. The workflow: every use case, for every front end.
    .target(
      name: "SwathWorkflow",
      dependencies: [
        "SwathSupport", "SwathGDAL", "CGDAL", "SwathTiling", "SwathGeometry", "SwathConsensus",
        "SwathSimulation", "SwathStore", "SwathStoreSQLite", "SwathStorePostgres",
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    // Schemas/ as a module: its files are the single source, bundled for the API to serve.
    .target(
      name: "SwathSchemas", path: "Schemas", exclude: ["stac"], sources: ["SwathSchemas.swift"],
      resources: [
        .copy("openapi.yaml"), .copy("annotator-report.schema.json"), .copy("chips.schema.json"),
        .copy("consensus.schema.json"), .copy("queue.schema.json"), .copy("status.schema.json"),
        .copy("submission.schema.json"), .copy("task.schema.json"),
        .copy("validation-report.schema.json"), .copy("label-schema.schema.json"),
      ]),
    // 6. Front ends: the browser pages (HTML, CSS and JavaScript modules, no build step) ...
    .target(name: "SwathWeb", resources: [.copy("Pages")]),
    // ... the HTTP API (a Hummingbird application over a workspace) serving them ...
    .target(
      name: "SwathServer",
      dependencies: [
        "SwathWorkflow", "SwathStore", "SwathGeometry", "SwathConsensus", "SwathSchemas", "SwathWeb",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        .product(name: "Logging", package: "swift-log"),
      ],
    ),
    // ... and the commands, kept in a library so tests can reach them.
    .target(
      name: "SwathCLI",
      dependencies: [
        "SwathSupport", "SwathGDAL", "SwathTiling", "SwathGeometry", "SwathConsensus", "SwathStore",
        "SwathSimulation", "SwathWorkflow", "SwathServer", "SwathWeb",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]),
    .executableTarget(name: "swath", dependencies: ["SwathCLI"]),

    // Runs a use case with a fault point the tests install (stop the process at a named point).
    .executableTarget(
      name: "swath-fault-runner", dependencies: ["SwathWorkflow", "SwathStore", "SwathSupport"],
      path: "Tests/SwathFaultRunner"),
    // The GeoJSON reader's fuzz target: tools/fuzz-geojson builds it with libFuzzer; a plain build
    // makes a command that replays inputs (reproducers) through the same checks.
    .executableTarget(
      name: "swath-fuzz-geojson", dependencies: ["SwathGeometry"], path: "tools/fuzz",
      exclude: ["seeds", "geojson.dict"]),
    // Shared paths and process helpers for the test targets.
    .target(name: "SwathTestSupport", dependencies: ["SwathGDAL"], path: "Tests/SwathTestSupport"),
    .testTarget(name: "SwathSupportTests", dependencies: ["SwathSupport", "SwathTestSupport"]),
    .testTarget(
      name: "SwathTilingTests",
      dependencies: [
        "SwathTiling", "SwathGDAL", "SwathGeometry", "SwathSupport", "CPNG", "CDeflate", "SwathTestSupport",
        "swath",
      ]),
    .testTarget(
      name: "SwathGDALTests", dependencies: ["SwathGDAL", "SwathGeometry", "SwathTestSupport"]),
    .testTarget(
      name: "SwathGeometryTests", dependencies: ["SwathGeometry", "CGEOS", "SwathTestSupport", "swath"]),
    .testTarget(
      name: "SwathConsensusTests",
      dependencies: [
        "SwathConsensus", "SwathGeometry", "SwathSimulation", "SwathTestSupport", "swath",
      ]),
    .testTarget(
      name: "SwathStoreTests",
      dependencies: [
        "SwathStore", "SwathStoreSQLite", "SwathStorePostgres", "SwathTestSupport",
        .product(name: "GRDB", package: "GRDB.swift"),
      ]),
    .testTarget(
      name: "SwathWorkflowTests",
      dependencies: [
        "SwathWorkflow", "SwathStore", "SwathStoreSQLite", "SwathGDAL", "SwathGeometry", "SwathTiling",
        "SwathTestSupport", "swath", "swath-fault-runner", .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
      ]),
    .testTarget(
      name: "SwathSimulationTests",
      dependencies: ["SwathSimulation", "SwathGeometry", "SwathGDAL", "SwathTestSupport", "swath"]),
    .testTarget(
      name: "SwathServerTests",
      dependencies: [
        "SwathServer", "SwathWorkflow", "SwathStore", "SwathGeometry", "SwathGDAL", "SwathTiling", "SwathTestSupport",
        "swath",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
      ]),
    .testTarget(
      name: "SwathCLITests",
      dependencies: ["SwathCLI", "SwathSupport", "SwathGeometry", "SwathTestSupport", "swath"]),
  ],
  swiftLanguageModes: [.v6]
)
