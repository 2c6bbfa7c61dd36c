import ArgumentParser
import Foundation
import Logging
import RemoraAPIStub
import RemoraRuntime
import RemoraSimulator
import RemoraStore

/// Detection lag: the stub replays a world in real time (speed 1), the fetcher polls every
/// watched wallet each interval; lag = when a trade was stored − when it appeared on the stub,
/// in wall time (a trade appears when the replay clock passes its timestamp).
struct BenchDetection: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detection",
        abstract: "The fetcher polling the API stub at replay speed 1: detection lag percentiles (target ≤ one poll interval).")

    @Option(help: "Seconds to run.") var seconds = 60
    @Option(help: "Fetcher poll interval, ms.") var intervalMs = 1000
    @Option(help: "Wallets in the world (all watched).") var wallets = 3000
    @Option(help: "Replay speed (1: real time; higher: more trades per wall second, same meaning of lag).") var speed = 1.0
    @Option(help: "Folder for local state.") var state = ".remora"

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let folder = root.appendingPathComponent("bench-detection")
        try? FileManager.default.removeItem(at: folder)
        let world = try WorldGenerator.generate(WorldParameters(seed: 5, wallets: wallets, markets: 1000, months: 3))
        try WorldWriter.write(world, to: folder.appendingPathComponent("world"))
        let stubWorld = try StubWorld.load(from: folder.appendingPathComponent("world"))
        // Start the replay at the busiest hour of the world, so trades keep coming.
        let hours = Dictionary(grouping: world.trades, by: { $0.time / 3600 }).mapValues(\.count)
        let origin = (hours.max { $0.value < $1.value }?.key ?? world.startTime / 3600) * 3600

        let (databaseURL, configuration) = try await benchDatabase("remora_bench_detection", root: root)
        let watchFile = folder.appendingPathComponent("wallets.txt")
        try world.wallets.map(\.truth.address).joined(separator: "\n").write(to: watchFile, atomically: true, encoding: .utf8)

        let clock = RunningReplayClock(origin: origin, speed: speed)
        let startedWall = Date().timeIntervalSince1970 * 1000
        let stub = RemoraAPIStub.APIStub(world: stubWorld, clock: clock)
        let server = try await stub.startOnLoopback()
        let port = server.port
        defer { server.cancel() }

        let fetcher = try ChildProcess(
            [ServiceCatalog.binDirectory.appendingPathComponent("fetcher").path],
            environment: [
                "DATABASE_URL": databaseURL, "REMORA_DATA_API_URL": "http://127.0.0.1:\(port)",
                "REMORA_WATCH_FILE": watchFile.path, "REMORA_FETCHER_INTERVAL_MS": String(intervalMs),
                "REMORA_API_BUDGET_SCALE": "1000", "REMORA_FETCHER_MARGIN_S": "0", "REMORA_LOG_LEVEL": "warning",
                "REMORA_HTTP_PORT": "7492", "REMORA_FETCHER_CONCURRENCY": "8",
            ], output: .discarded)
        try await Task.sleep(for: .seconds(seconds))
        fetcher.stop()
        // Appeared on the stub at wall = start + (event − origin); stored at produced_at.
        let lags: [Double] = try await Store.withRunning(configuration, logger: quietLogger()) { store in
            var lags: [Double] = []
            let rows = try await store.client.query("SELECT event_time, produced_at FROM trades WHERE event_time >= \(origin * 1000)")
            for try await (event, produced) in rows.decode((Int64, Int64).self) {
                let appeared = startedWall + Double(event - origin * 1000) / speed
                lags.append((Double(produced) - appeared) / 1000)
            }
            return lags.sorted()
        }
        guard !lags.isEmpty else { throw ValidationError("no trade appeared during the run") }
        func q(_ p: Double) -> Double { lags[min(lags.count - 1, Int(p * Double(lags.count)))] }
        print(String(format: "detection lag over %d trades (replay ×%g, poll interval %.1f s, %d wallets): p50 %.2f s, p99 %.2f s, max %.2f s",
                     lags.count, speed, Double(intervalMs) / 1000, wallets, q(0.5), q(0.99), lags.last!))
    }
}
