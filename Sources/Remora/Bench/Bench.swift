import ArgumentParser
import Foundation
import RemoraAPIStub
import RemoraRuntime

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release for figures worth quoting).",
        subcommands: [BenchBus.self, BenchPipeline.self, BenchQuant.self, BenchSimulate.self, BenchBackfill.self, BenchDetection.self, BenchSettle.self, BenchScore.self, BenchScorer.self, BenchMarketData.self, BenchGate.self, BenchRisk.self, BenchScale.self, BenchDashboard.self])
}

/// What the benches that re-run a stage on a finished demo share: its database, and its world
/// served again on loopback for the CLOB's books and series.
enum DemoBench {
    /// DATABASE_URL when set; otherwise `database` in the demo's embedded cluster, started if needed.
    static func databaseURL(state: String, port: Int, database: String = "remora_demo") throws -> String {
        if let url = ProcessInfo.processInfo.environment["DATABASE_URL"], !url.isEmpty { return url }
        let local = LocalDatabase(root: URL(fileURLWithPath: state).standardizedFileURL, port: port)
        try local.up(database: "postgres")
        return local.url(database: database)
    }

    /// The demo's world's end, unix seconds.
    static func worldEnd(state: String) throws -> Int64 {
        let worldFolder = URL(fileURLWithPath: state).standardizedFileURL.appendingPathComponent("demo/world")
        guard let world = try? StubWorld.load(from: worldFolder) else {
            throw ValidationError("no demo world in \(worldFolder.path): run `make demo` (or remora demo --state \(state)) first")
        }
        return world.manifest.endTime
    }

    /// The demo's world served at its end (call `cancel()` when done).
    static func serveWorld(state: String) async throws -> LoopbackServer {
        let worldFolder = URL(fileURLWithPath: state).standardizedFileURL.appendingPathComponent("demo/world")
        guard FileManager.default.fileExists(atPath: worldFolder.path) else {
            throw ValidationError("no demo world in \(worldFolder.path): run `make demo` (or remora demo --state \(state)) first")
        }
        let world = try StubWorld.load(from: worldFolder)
        let stub = RemoraAPIStub.APIStub(world: world, clock: FixedReplayClock(at: world.manifest.endTime), options: StubOptions())
        return try await stub.startOnLoopback()
    }
}
