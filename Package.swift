// swift-tools-version: 6.1
// Remora: copy-trading engine for Polymarket. The folder tree follows the pipeline:
// Sources/Stages/1-Fetcher … 7-Attributor are thin service shells; every decision lives in
// RemoraCore (pure) and RemoraQuant (pure maths); Bus, Store and Runtime are the I/O edges.
import PackageDescription

let swiftSettings: [SwiftSetting] = [.enableUpcomingFeature("ExistentialAny")]

let stages: [(product: String, target: String, folder: String)] = [
    ("fetcher", "Fetcher", "1-Fetcher"),
    ("resolver", "Resolver", "2-Resolver"),
    ("scorer", "Scorer", "3-Scorer"),
    ("signal-gate", "SignalGate", "4-SignalGate"),
    ("sizer", "Sizer", "5-Sizer"),
    ("risk-guard", "RiskGuard", "6-RiskGuard"),
    ("attributor", "Attributor", "7-Attributor"),
]

let package = Package(
    name: "Remora",
    platforms: [.macOS(.v15)],
    products: stages.map { .executable(name: $0.product, targets: [$0.target]) } + [
        .executable(name: "remora", targets: ["Remora"]),
        .library(name: "RemoraQuant", targets: ["RemoraQuant"]),
        .library(name: "RemoraCore", targets: ["RemoraCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", exact: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based", exact: "2.0.1"),
        .package(url: "https://github.com/swift-server/async-http-client", exact: "1.37.0"),
        .package(url: "https://github.com/apple/swift-http-types", exact: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto", exact: "4.5.2"),
    ],
    targets: [
        // Pure layers: no I/O, no wall clock.
        .target(name: "RemoraModel", path: "Sources/Model", swiftSettings: swiftSettings),
        .target(name: "RemoraQuant", path: "Sources/Quant", swiftSettings: swiftSettings),
        .target(
            name: "RemoraCore", dependencies: ["RemoraModel", "RemoraQuant", .product(name: "Crypto", package: "swift-crypto")],
            path: "Sources/Core", swiftSettings: swiftSettings),
        .target(name: "RemoraSimulator", dependencies: ["RemoraModel"], path: "Sources/Simulator", swiftSettings: swiftSettings),
        // The simulated world served on loopback with Polymarket's paths and shapes.
        .target(
            name: "RemoraAPIStub",
            dependencies: [
                "RemoraSimulator", "RemoraCore", .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/APIStub", swiftSettings: swiftSettings),

        // I/O edges.
        .systemLibrary(
            name: "CZeroMQ", path: "Sources/CZeroMQ", pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]),
        .target(name: "ZeroMQ", dependencies: ["CZeroMQ"], path: "Sources/ZeroMQ", swiftSettings: swiftSettings),
        .target(
            name: "RemoraBus",
            dependencies: ["RemoraModel", "ZeroMQ", .product(name: "Logging", package: "swift-log")],
            path: "Sources/Bus", swiftSettings: swiftSettings),
        .target(
            name: "RemoraStore",
            dependencies: [
                "RemoraModel", "RemoraCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Store", resources: [.copy("Migrations")], swiftSettings: swiftSettings),
        // Typed clients for Polymarket's Data API, Gamma and CLOB.
        .target(
            name: "RemoraPolymarket",
            dependencies: [
                "RemoraModel", .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/Polymarket", swiftSettings: swiftSettings),
        .target(
            name: "RemoraRuntime",
            dependencies: [
                "RemoraModel", "RemoraCore", "RemoraBus", "RemoraStore", "RemoraPolymarket",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ],
            path: "Sources/Runtime", swiftSettings: swiftSettings),
    ]
        // The seven stages: receive → load state → call the core → persist → publish.
        + stages.map { stage in
            .executableTarget(
                name: stage.target,
                dependencies: [
                    "RemoraRuntime", "RemoraCore", "RemoraPolymarket",
                    .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                ],
                path: "Sources/Stages/\(stage.folder)", swiftSettings: swiftSettings)
        }
        + [
            .executableTarget(
                name: "Remora",
                dependencies: [
                    "RemoraRuntime", "RemoraCore", "RemoraQuant", "RemoraSimulator", "RemoraAPIStub", "RemoraPolymarket",
                    .product(name: "ArgumentParser", package: "swift-argument-parser"),
                    .product(name: "Histogram", package: "hdrhistogram-swift"),
                ],
                path: "Sources/Remora", swiftSettings: swiftSettings),

            // Tests.
            .target(
                name: "RemoraTestSupport", dependencies: ["RemoraStore", "RemoraRuntime", "RemoraSimulator"],
                path: "Tests/Support", swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraQuantTests",
                dependencies: ["RemoraQuant", .product(name: "PropertyBased", package: "swift-property-based")],
                path: "Tests/QuantTests", resources: [.copy("Fixtures")], swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraPolymarketTests",
                dependencies: [
                    "RemoraPolymarket", "RemoraModel", "RemoraCore", "RemoraSimulator", "RemoraAPIStub", "RemoraRuntime", "RemoraTestSupport",
                    .product(name: "HummingbirdTesting", package: "hummingbird"),
                ],
                path: "Tests/PolymarketTests", swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraSimulatorTests",
                dependencies: [
                    "RemoraSimulator", "RemoraAPIStub", "RemoraRuntime", "RemoraTestSupport",
                    .product(name: "HummingbirdTesting", package: "hummingbird"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                ],
                path: "Tests/SimulatorTests", swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraCoreTests", dependencies: ["RemoraCore", "RemoraRuntime", "RemoraSimulator"],
                path: "Tests/CoreTests", swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraPlatformTests",
                dependencies: ["RemoraBus", "RemoraCore", "RemoraStore", "RemoraRuntime", "RemoraTestSupport", "Yams"],
                path: "Tests/PlatformTests", swiftSettings: swiftSettings),
            .testTarget(
                name: "RemoraEndToEndTests",
                dependencies: [
                    "RemoraTestSupport", "RemoraStore", "RemoraRuntime", "RemoraSimulator", "RemoraAPIStub", "ZeroMQ",
                    .product(name: "HummingbirdTesting", package: "hummingbird"),
                    .product(name: "HTTPTypes", package: "swift-http-types"),
                ],
                path: "Tests/EndToEndTests", swiftSettings: swiftSettings),
        ]
)
