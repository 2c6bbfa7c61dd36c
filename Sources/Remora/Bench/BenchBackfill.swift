import ArgumentParser
import Foundation
import ServiceLifecycle
import Hummingbird
import Logging
import RemoraAPIStub
import RemoraRuntime
import RemoraSimulator
import RemoraStore

/// A whole world backfilled from the API stub into PostgreSQL by the fetcher process: the
/// figure is trades stored per second of the fetcher's run (decode, dedup, insert, publish).
struct BenchBackfill: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backfill",
        abstract: "Backfill a simulated world (default: the 1M-trade scale world) from the API stub with the fetcher: trades/s.")

    @Option(help: "Wallets in the world.") var wallets = WorldParameters.scale.wallets
    @Option(help: "Markets in the world.") var markets = WorldParameters.scale.markets
    @Option(help: "Months in the world.") var months = WorldParameters.scale.months
    @Option(help: "Wallets the fetcher polls at once.") var concurrency = 8
    @Option(help: "Rows per /trades page.") var pageSize = 10_000
    @Option(help: "Folder for local state.") var state = ".remora"
    @Option(help: "Port of the embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let folder = root.appendingPathComponent("bench-backfill")
        try? FileManager.default.removeItem(at: folder)
        let parameters = WorldParameters(seed: 1, wallets: wallets, markets: markets, months: months)
        let world = try WorldGenerator.generate(parameters)
        try WorldWriter.write(world, to: folder.appendingPathComponent("world"))
        let stubWorld = try StubWorld.load(from: folder.appendingPathComponent("world"))
        print("world: \(world.trades.count) trades, \(wallets) wallets")

        let (databaseURL, configuration) = try await benchDatabase("remora_bench_backfill", root: root, port: port)
        let watchFile = folder.appendingPathComponent("wallets.txt")
        try world.wallets.map(\.truth.address).joined(separator: "\n").write(to: watchFile, atomically: true, encoding: .utf8)

        // The stub in this process, on a free port.
        let stub = RemoraAPIStub.APIStub(world: stubWorld, clock: FixedReplayClock(at: world.endTime))
        let server = try await stub.startOnLoopback()
        let port = server.port
        defer { server.cancel() }

        let fetcher = ServiceCatalog.binDirectory.appendingPathComponent("fetcher").path
        let environment = [
            "DATABASE_URL": databaseURL, "REMORA_DATA_API_URL": "http://127.0.0.1:\(port)",
            "REMORA_WATCH_FILE": watchFile.path, "REMORA_FETCHER_PAGE_SIZE": String(pageSize),
            "REMORA_FETCHER_CONCURRENCY": String(concurrency), "REMORA_API_BUDGET_SCALE": "1000",
            "REMORA_FETCHER_MARGIN_S": "0", "REMORA_LOG_LEVEL": "warning", "REMORA_HTTP_PORT": String(try freeLoopbackPort()),
        ]
        let started = ContinuousClock.now
        let (status, output) = try await runAndWait([fetcher, "--backfill"], environment: environment)
        let elapsed = ContinuousClock.now - started
        guard status == 0 else { throw ValidationError("fetcher failed (\(status)): \(output.suffix(2000))") }
        let stored = try await Store.withRunning(configuration, logger: quietLogger()) { store in
            for try await n in try await store.client.query("SELECT count(*) FROM trades").decode(Int64.self) { return n }
            return 0
        }
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print(output.split(separator: "\n").filter { $0.hasPrefix("backfill done") }.joined(separator: "\n"))
        print(String(format: "stored %d of %d trades in %.1f s: %.0f trades/s (target ≥ 50,000)",
                     stored, world.trades.count, seconds, Double(stored) / seconds))
        // Where the CPU went: the fetcher (child), this process (the stub), PostgreSQL (the rest).
        var child = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &child)
        var me = rusage()
        getrusage(RUSAGE_SELF.rawValue, &me)
        func cpu(_ u: rusage) -> Double {
            Double(u.ru_utime.tv_sec + u.ru_stime.tv_sec) + Double(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6
        }
        print(String(format: "CPU: fetcher %.1f s, stub and world generation (this process) %.1f s", cpu(child), cpu(me)))
    }
}

extension RemoraAPIStub.APIStub {
    /// Serves the stub on a free loopback port from this process, once bound.
    func startOnLoopback() async throws -> LoopbackServer {
        let bound = PortBox()
        let app = makeApplication(host: "127.0.0.1", port: 0, logger: quietLogger()) { port in bound.set(port) }
        // A service group of its own and no signal handlers: the command that started it stops it
        // with a graceful shutdown, which closes the listener once (cancelling the task instead
        // logged "Server shutdown error: Already closed" at the end of a clean run).
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: quietLogger()))
        let task = Task { try await group.run() }
        while bound.value == 0 {
            do { try await Task.sleep(for: .milliseconds(20)) } catch {
                await group.triggerGracefulShutdown()
                throw error
            }
        }
        return LoopbackServer(port: bound.value, group: group, task: task)
    }
}

/// The API stub served from this process (``RemoraAPIStub/APIStub/startOnLoopback()``).
struct LoopbackServer: Sendable {
    let port: Int
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Stops accepting, finishes the requests in hand, and returns when the server has closed.
    func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// The same without waiting (a benchmark's `defer`).
    func cancel() {
        let group = group
        Task { await group.triggerGracefulShutdown() }
    }
}

private final class PortBox: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    var value: Int { lock.withLock { port } }
    func set(_ value: Int) { lock.withLock { port = value } }
}

/// A fresh, migrated database for a benchmark: DATABASE_URL when set, else one of the embedded
/// cluster under `root` (on `port`).
func benchDatabase(_ name: String, root: URL, port: Int = 54329) async throws -> (url: String, configuration: DatabaseConfiguration) {
    var databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
    if databaseURL.isEmpty {
        let local = LocalDatabase(root: root, port: port)
        try local.up(database: "postgres")
        try local.dropDatabase(name)
        try local.createDatabase(name)
        databaseURL = local.url(database: name)
    }
    let configuration = try DatabaseConfiguration(url: databaseURL)
    try await Store.withRunning(configuration, logger: quietLogger()) { store in
        try await store.waitUntilReachable()
        try await Migrator().migrate(store)
    }
    return (databaseURL, configuration)
}
