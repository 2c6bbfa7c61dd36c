import ArgumentParser
import Foundation
import Logging
import RemoraAPIStub
import RemoraModel
import RemoraRuntime
import RemoraSimulator
import RemoraStore
import Synchronization
import ZeroMQ

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the whole pipeline on this machine against a generated world, print a summary, stop.",
        discussion: """
            The default source is the world served over loopback by the API stub (Data API, Gamma, CLOB), \
            its replay clock at the world's end: the fetcher backfills every wallet of the world through the \
            Polymarket client, the resolver reads every market it sees from Gamma, and the demo ends when every \
            stage has consumed everything and the book's watermark has reached the world's end. \
            --source file replays the same world from NDJSON files instead (no HTTP).
            """)

    enum Source: String, ExpressibleByArgument, CaseIterable {
        case api, file
    }

    @Option(help: "Folder for local state (database, logs, data).") var state = ".remora"
    @Option(help: "Port of the embedded PostgreSQL on 127.0.0.1 (when DATABASE_URL is unset).") var port = 54329
    @Option(help: "World seed.") var seed: UInt64 = WorldParameters.demo.seed
    @Option(help: "Wallets in the simulated world.") var wallets = WorldParameters.demo.wallets
    @Option(help: "Markets in the simulated world.") var markets = WorldParameters.demo.markets
    @Option(help: "Calendar months the world spans.") var months = WorldParameters.demo.months
    @Option(help: "Where the fetcher and the resolver read: api (the loopback API stub) or file (NDJSON replay).")
    var source: Source = .api
    @Option(help: "API stub: share of answers faulted (429, 5xx, error bodies, slow, malformed), 0...0.5.")
    var faults = 0.0
    @Option(help: "API source: watch only this many of the world's wallets, the most active first (all when unset): a trader following a handful of whales.")
    var watch: Int?
    @Option(help: "SIGKILL these services once mid-run (comma-separated) to show recovery.") var kill = ""
    @Option(
        help: """
            Restart the embedded PostgreSQL at these moments of the run, in order, to show that no stage hangs and \
            nothing is lost: comma-separated moment[:mode[:seconds down]], moment backfill (trades coming in), \
            scoring (wallets being scored) or deciding (orders being decided), mode fast (default) or immediate. \
            Example: backfill,scoring:immediate:3,deciding
            """)
    var restartDb = ""
    @Flag(help: "Do not echo service logs to the terminal.") var quiet = false
    @Flag(help: "Exit after the summary instead of serving the dashboard (scripts, tests).") var noServe = false
    @Option(help: "Port of the dashboard served after the summary, on 127.0.0.1.") var dashboardPort = 7400
    @Option(help: "Give up after this many seconds.") var timeout = 600.0

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let parameters = WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months)
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
        let world = try WorldGenerator.generate(parameters)
        let worldFolder = root.appendingPathComponent("demo/world")
        try WorldWriter.write(world, to: worldFolder)
        let files = try PipelineFeed.write(world, to: root.appendingPathComponent("demo/feed"))
        guard (0...0.5).contains(faults) else { throw ValidationError("--faults must be within 0...0.5") }
        if let watch {
            guard source == .api else { throw ValidationError("--watch needs --source api (the file source replays every wallet)") }
            guard (1...wallets).contains(watch) else { throw ValidationError("--watch must be within 1...\(wallets)") }
        }
        print("world: \(files.tradeCount) trades, \(wallets) wallets, \(markets) markets, \(months) months, seed \(seed) → \(worldFolder.path)")

        let drills: [DatabaseDrill]
        do { drills = try DatabaseDrill.parse(restartDb) } catch { throw ValidationError("--restart-db: \(error)") }
        var databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        var embedded: LocalDatabase?
        if !drills.isEmpty && !databaseURL.isEmpty {
            throw ValidationError("--restart-db restarts the embedded PostgreSQL: unset DATABASE_URL")
        }
        if databaseURL.isEmpty {
            let local = LocalDatabase(root: root, port: port)
            embedded = local
            try local.up(database: "postgres")
            try local.dropDatabase("remora_demo")  // a fresh book every run: same world, same summary
            try local.createDatabase("remora_demo")
            databaseURL = local.url(database: "remora_demo")
            print("database: \(databaseURL) (embedded; logs in \(root.path)/logs)")
        }
        let configuration = try DatabaseConfiguration(url: databaseURL)
        let logger = quietLogger()
        try await Store.withRunning(configuration, logger: logger) { store in
            try await store.waitUntilReachable()
            try await Migrator().migrate(store)
        }

        // The source: the API stub in this process, or the NDJSON files.
        var server: LoopbackServer?
        var apiStub: RemoraAPIStub.APIStub?
        let sourceSettings: [String: String]
        let sources: [String: Int64]
        let end: EventTime
        // The API stub serves the world over loopback in both modes: with the API source it is
        // the Data API, Gamma and the CLOB; with the file source, only the CLOB's books and
        // price history (the market data the risk guard and the attributor read).
        let stub = RemoraAPIStub.APIStub(
            world: try StubWorld.load(from: worldFolder), clock: FixedReplayClock(at: world.endTime),
            // Whole histories are reachable here (Polymarket's own depth cap is 10,000 rows).
            options: StubOptions(
                offsetCap: 1_000_000, faults: FaultSettings(rate: source == .api ? faults : 0, seed: seed, slowSeconds: 3)))
        let listening = try await stub.startOnLoopback()
        server = listening
        apiStub = stub
        let api = "http://127.0.0.1:\(listening.port)"
        let marketData = [
            "REMORA_CLOB_API_URL": api + "/clob",
            // Loopback: no rate limit to respect.
            "REMORA_API_BUDGET_SCALE": "100", "REMORA_API_TIMEOUT_MS": "2000",
        ]
        switch source {
        case .file:
            print("api stub: \(api) (CLOB books and price history; replay clock at the world's end)")
            sourceSettings = ["REMORA_SOURCE_TRADES": files.trades, "REMORA_SOURCE_MARKETS": files.markets].merging(marketData) { $1 }
            sources = [
                "fetcher:trades": NDJSONFile(path: files.trades).size, "resolver:markets": NDJSONFile(path: files.markets).size,
            ]
            end = files.end
        case .api:
            let watchFile = root.appendingPathComponent("demo/watch.txt")
            try Self.watched(world, count: watch).joined(separator: "\n").write(to: watchFile, atomically: true, encoding: .utf8)
            print("api stub: \(api) (Data API, Gamma, CLOB; replay clock at the world's end; faults \(faults))")
            sourceSettings = [
                "REMORA_DATA_API_URL": api + "/data-api", "REMORA_GAMMA_API_URL": api + "/gamma-api",
                "REMORA_WATCH_FILE": watchFile.path, "REMORA_FETCHER_OFFSET_CAP": "1000000",
                // The stub's clock does not move, so nothing can still be on its way when a pass ends.
                "REMORA_FETCHER_MARGIN_S": "0", "REMORA_RESOLVER_MARGIN_S": "0",
                "REMORA_FETCHER_INTERVAL_MS": "2000", "REMORA_RESOLVER_INTERVAL_MS": "2000",
            ].merging(marketData) { $1 }
            sources = [:]
            end = EventTime(seconds: world.endTime)
        }

        // The demo's gate profile, where the operator set nothing: said, never silent.
        let environment = ProcessInfo.processInfo.environment
        let profile = Self.gateProfile.filter { environment[$0.key] == nil }
        if !profile.isEmpty {
            print("gate: demo profile \(profile.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")) (docs/strategy.md#the-demo)")
        }
        let zmq = ZMQContext()
        let proxy = try ZMQProxy(context: zmq, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        let supervisor = Supervisor(
            children: ServiceCatalog.children(
                databaseURL: databaseURL, publish: proxy.frontendEndpoint, subscribe: proxy.backendEndpoint,
                source: sourceSettings.merging(profile) { given, _ in given }, logLevel: "info",
                httpPorts: try ServiceCatalog.httpPorts()),
            logDirectory: root.appendingPathComponent("logs"), echo: !quiet)
        try supervisor.startAll()
        let interrupt = InterruptFlag()

        let started = Date()
        let victims = kill.split(separator: ",").map(String.init)
        let drillDatabase = embedded
        let drillStub = apiStub
        let watchedCount = watch ?? wallets
        var summary: PipelineSummary?
        do {
            summary = try await Store.withRunning(configuration, logger: logger) { store in
                var killed = victims.isEmpty
                var drills = drills[...]
                var unreachableSince: Date?
                while !interrupt.isSet {
                    if Date().timeIntervalSince(started) > timeout {
                        await Self.diagnose(store, end: end, logs: root.appendingPathComponent("logs"))
                        throw ValidationError("pipeline did not drain in \(timeout) s")
                    }
                    // Each look at the database has a deadline and a failure is waited out: the
                    // database may be restarting (here by --restart-db, or by anyone), and the demo
                    // must neither hang on a dead session nor stop a pipeline that recovers.
                    let look: (progress: PipelineSummary.Progress, drained: Bool)
                    do {
                        look = try await answer(within: .seconds(10)) {
                            (try await PipelineSummary.progress(store), try await PipelineSummary.isDrained(store, sources: sources, end: end))
                        }
                    } catch {
                        if unreachableSince == nil {
                            unreachableSince = Date()
                            print("demo: database unreachable (\(describe(error))); waiting for it")
                        }
                        try await Task.sleep(for: .seconds(1))
                        continue
                    }
                    if let since = unreachableSince {
                        print(String(format: "demo: database reachable again after %.1f s", Date().timeIntervalSince(since)))
                        unreachableSince = nil
                    }
                    if look.drained {
                        do { return try await answer(within: .seconds(30)) { try await PipelineSummary.read(store) } } catch { continue }
                    }
                    let now = look.progress
                    if !killed, now.settled > 0 {
                        for name in victims {
                            print("demo: SIGKILL \(name)")
                            supervisor.signal(name, SIGKILL)
                        }
                        killed = true
                    }
                    if let drill = drills.first, let drillDatabase,
                        drill.moment.reached(now, apiRequests: drillStub?.requestsServed, watched: watchedCount)
                    {
                        print(
                            "demo: PostgreSQL restart (\(drill.mode), down \(drill.downSeconds) s) during \(drill.moment.rawValue): "
                                + "trades in \(now.trades), settled \(now.settled), wallets scored \(now.walletsScored), "
                                + "signals passed \(now.signalsPassed), orders \(now.orders)")
                        try await drillDatabase.restart(mode: drill.mode.rawValue, downFor: .seconds(drill.downSeconds))
                        drills.removeFirst()
                        continue
                    }
                    // Close watch while a restart waits for its moment.
                    try await Task.sleep(for: drills.isEmpty ? .milliseconds(250) : .milliseconds(20))
                }
                return nil
            }
        } catch {
            supervisor.stopAll()
            proxy.stop()
            await server?.stop()
            throw error
        }
        supervisor.stopAll()
        proxy.stop()
        zmq.terminate()
        await server?.stop()
        guard let summary else {
            print("demo interrupted; services stopped")
            return
        }
        print("")
        print(summary.text)
        let restarts = supervisor.restartCounts
        if !restarts.isEmpty { print("  restarts             \(restarts.map { "\($0.key)×\($0.value)" }.sorted().joined(separator: ", "))") }
        print(String(format: "  drained in           %.1f s", Date().timeIntervalSince(started)))
        guard !noServe else { return }
        try await serveDashboard(configuration: configuration, interrupt: interrupt)
    }

    /// Serves the demo's dashboard from its database until Ctrl-C (the services have stopped;
    /// the embedded PostgreSQL keeps running).
    func serveDashboard(configuration: DatabaseConfiguration, interrupt: InterruptFlag) async throws {
        let settings = DashboardSettings(port: dashboardPort)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            let failure = Mutex<String?>(nil)
            let server = Task {
                do { try await DashboardServer.application(settings: settings, store: store, logger: quietLogger()).runService() } catch {
                    failure.withLock { $0 = "\(error)" }
                }
            }
            print("  dashboard            \(settings.url) (Ctrl-C to stop)")
            while !interrupt.isSet {
                if let failed = failure.withLock({ $0 }) {
                    throw ValidationError("the dashboard could not be served on \(settings.url): \(failed) (--dashboard-port, or --no-serve)")
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            server.cancel()
            _ = await server.result
        }
    }
}


extension Demo {
    /// The gate's settings the demo runs with unless the environment sets them. The roadmap's
    /// thresholds copy nothing in the demo's world: its highest scores are market makers', whose
    /// fills the gate never copies, a skilled whale's record is three months long, and the
    /// simulated books are thin (docs/strategy.md#the-demo).
    /// The thresholds `remora validate gate --tune` chose on a demo-sized world the demo never
    /// sees (seed 1) and on the year-long one alike (docs/strategy.md#the-demo).
    static let gateProfile = [
        "REMORA_GATE_MIN_SCORE": "10", "REMORA_GATE_MIN_SETTLED": "2", "REMORA_GATE_MIN_NOTIONAL": "100",
        "REMORA_GATE_RISING_SHARPE": "off", "REMORA_GATE_MAX_SLIPPAGE": "0.25", "REMORA_GATE_MIN_COPYABILITY": "0.01",
        "REMORA_GATE_PROBABILITY": "blend",
        // Quarantine's score levels in proportion to the lower follow score (50 and 60 of 75).
        "REMORA_QUARANTINE_BELOW_SCORE": "6.67", "REMORA_QUARANTINE_RELEASE_SCORE": "8",
    ]

    /// For a run that did not drain: what is behind, and the last warnings of each service — what
    /// an operator (or a failed test's output) needs to tell a stuck stage from a slow one.
    static func diagnose(_ store: Store, end: EventTime, logs: URL) async {
        print("demo: not drained; what is behind:")
        do {
            for line in try await answer(within: .seconds(10), { try await PipelineSummary.backlog(store, end: end) }) {
                print("  " + line)
            }
        } catch { print("  (database unreadable: \(describe(error)))") }
        let files = (try? FileManager.default.contentsOfDirectory(at: logs, includingPropertiesForKeys: nil)) ?? []
        for file in files.filter({ $0.pathExtension == "log" }).sorted(by: { $0.path < $1.path }) {
            guard let text = try? String(contentsOf: file, encoding: .utf8) else { continue }
            // This run's lines only: the log keeps earlier runs' above its last start.
            let lines = text.split(separator: "\n")
            let run = lines[(lines.lastIndex { $0.contains("msg=starting") } ?? lines.startIndex)...]
            let notable = run.filter { line in
                ["warning", "error", "critical"].contains { line.contains("level=\($0) ") }
            }
            guard !notable.isEmpty else { continue }
            print("demo: \(file.deletingPathExtension().lastPathComponent): last \(min(4, notable.count)) of \(notable.count) warnings")
            for line in notable.suffix(4) { print("  " + line.prefix(300)) }
        }
    }

    /// The wallets the demo follows: all, or the `count` with the most trades (ties by address).
    static func watched(_ world: SimulatedWorld, count: Int?) -> [String] {
        let all = world.wallets.map(\.truth)
        guard let count else { return all.map(\.address) }
        return all.sorted { ($0.trades, $1.address) > ($1.trades, $0.address) }.prefix(count).map(\.address)
    }
}

/// A restart of the embedded PostgreSQL at a moment of the demo's run (`--restart-db`).
struct DatabaseDrill: Equatable {
    enum Moment: String, CaseIterable {
        case backfill, scoring, deciding
        /// Whether the run has reached this moment: the stage has work in hand. Backfill: over the
        /// API, half as many requests served as wallets watched (a pass commits at its end, so no
        /// trade is stored yet); from files, the first trades stored. Scoring: the first
        /// settlements stored (the scorer's input). Deciding: the first signals passed (the sizer's
        /// and the risk guard's input).
        func reached(_ progress: PipelineSummary.Progress, apiRequests: Int?, watched: Int) -> Bool {
            switch self {
            case .backfill: progress.trades > 0 || (apiRequests ?? 0) >= max(1, watched / 2)
            case .scoring: progress.settled > 0
            case .deciding: progress.signalsPassed > 0
            }
        }
    }
    enum Mode: String { case fast, immediate }
    var moment: Moment
    var mode = Mode.fast
    var downSeconds = 0

    struct Invalid: Error, CustomStringConvertible { let description: String }

    static func parse(_ text: String) throws -> [DatabaseDrill] {
        try text.split(separator: ",").map { item in
            let parts = item.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
            guard (1...3).contains(parts.count), let moment = Moment(rawValue: parts[0]) else {
                throw Invalid(description: "'\(item)': expected moment[:mode[:seconds]], moment one of backfill, scoring, deciding")
            }
            var drill = DatabaseDrill(moment: moment)
            if parts.count > 1 {
                guard let mode = Mode(rawValue: parts[1]) else { throw Invalid(description: "'\(item)': mode is fast or immediate") }
                drill.mode = mode
            }
            if parts.count > 2 {
                guard let seconds = Int(parts[2]), (0...600).contains(seconds) else {
                    throw Invalid(description: "'\(item)': seconds down within 0...600")
                }
                drill.downSeconds = seconds
            }
            return drill
        }
    }
}

/// Ctrl-C during the demo: stop the loop, then the services, cleanly.
final class InterruptFlag: @unchecked Sendable {
    private var sources: [any DispatchSourceSignal] = []
    private let lock = NSLock()
    private var set = false
    var isSet: Bool { lock.withLock { set } }
    init() {
        signal(SIGINT, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in self?.lock.withLock { self?.set = true } }
        source.resume()
        sources.append(source)
    }
}

