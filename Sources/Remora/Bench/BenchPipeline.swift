import ArgumentParser
import Foundation
import Histogram
import Logging
import PostgresNIO
import RemoraAPIStub
import RemoraBus
import RemoraModel
import RemoraRuntime
import RemoraSimulator
import RemoraStore
import ZeroMQ

/// `remora bench pipeline`: the seven services in live event-time mode, fed whale trades at a
/// fixed rate; measures trade published (stored by the fetcher) → decision published (stored by
/// the risk guard), through every hop and its durable commit, with an HDR histogram.
struct BenchPipeline: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pipeline", abstract: "Trade in → paper fill decided, through every hop, at a given rate.")

    @Option(help: "Trades per second fed to the fetcher.") var rate = 1000
    @Option(help: "Seconds of live feed.") var seconds = 10
    @Option(help: "Folder for local state.") var state = ".remora"
    @Option(help: "synchronous_commit of the services' sessions: on (default) or off (see docs/architecture.md, Commit durability).")
    var synchronousCommit = "on"

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL.appendingPathComponent("bench")
        try? FileManager.default.removeItem(at: root)
        let world = try WorldGenerator.generate(WorldParameters(seed: 3, wallets: 60, markets: 60, months: 2))
        let files = try PipelineFeed.write(world, to: root)
        // Books come from the API stub (the world at its end): the live trades below are in
        // tokens of markets still open then, so every decision walks a real book.
        try WorldWriter.write(world, to: root.appendingPathComponent("world"))
        let stub = RemoraAPIStub.APIStub(
            world: try StubWorld.load(from: root.appendingPathComponent("world")), clock: FixedReplayClock(at: world.endTime),
            options: StubOptions())
        let listening = try await stub.startOnLoopback()
        defer { listening.cancel() }
        let openTokens = world.markets.filter { $0.truth.closedTime > world.endTime }.map { $0.truth.tokenIds[0] }
        guard !openTokens.isEmpty else { throw ValidationError("the bench world has no market open at its end") }
        var databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        if databaseURL.isEmpty {
            let local = LocalDatabase(root: URL(fileURLWithPath: state).standardizedFileURL)
            try local.up(database: "postgres")
            try local.dropDatabase("remora_bench")
            try local.createDatabase("remora_bench")
            databaseURL = local.url(database: "remora_bench")
        }
        guard ["on", "off"].contains(synchronousCommit) else { throw ValidationError("--synchronous-commit is on or off") }
        if synchronousCommit == "off" {
            databaseURL += (databaseURL.contains("?") ? "&" : "?") + "options=-c%20synchronous_commit%3Doff"
        }
        let configuration = try DatabaseConfiguration(url: databaseURL)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            try await store.waitUntilReachable()
            try await Migrator().migrate(store)
        }
        let zmq = ZMQContext()
        let proxy = try ZMQProxy(context: zmq, frontend: "tcp://127.0.0.1:*", backend: "tcp://127.0.0.1:*")
        var children = ServiceCatalog.children(
            databaseURL: databaseURL, publish: proxy.frontendEndpoint, subscribe: proxy.backendEndpoint,
            tradesFile: files.trades, marketsFile: files.markets, logLevel: ProcessInfo.processInfo.environment["REMORA_BENCH_LOG_LEVEL"] ?? "warning",
            httpPorts: try ServiceCatalog.httpPorts())
        for index in children.indices {
            children[index].environment.merge([
                "REMORA_EVENT_TIME": "live", "REMORA_FETCHER_POLL_MS": "1", "REMORA_GATE_MIN_SCORE": "0",
                "REMORA_GATE_MIN_SETTLED": "1", "REMORA_GATE_MIN_NOTIONAL": "1",
                // Every check open: the bench measures the path, not the strategy.
                "REMORA_GATE_RISING_SHARPE": "off", "REMORA_GATE_MAX_WHALE_DRAWDOWN": "1", "REMORA_GATE_COPY_MAKER_FILLS": "on",
                "REMORA_GATE_MAX_SIGNAL_AGE_S": "86400", "REMORA_GATE_MAX_SLIPPAGE": "1", "REMORA_GATE_MAX_DAYS_TO_END": "3650",
                "REMORA_GATE_MIN_COPYABILITY": "-1",
                "REMORA_RISK_MAX_EXPOSURE": "1", "REMORA_CLOB_API_URL": "http://127.0.0.1:\(listening.port)/clob",
                "REMORA_API_BUDGET_SCALE": "1000",
            ]) { $1 }
        }
        let supervisor = Supervisor(children: children, logDirectory: root.appendingPathComponent("logs"), echo: false)
        try supervisor.startAll()
        defer {
            supervisor.stopAll()
            proxy.stop()
        }
        let logger = quietLogger()
        // History first, so that wallets have settled trades and pass the whale gate.
        let wallets = try await Store.withRunning(configuration, logger: logger) { store -> [String] in
            try await store.waitUntilReachable()
            let deadline = Date().addingTimeInterval(120)
            while Date() < deadline {
                if try await Self.caughtUp(
                    store, tradesSize: NDJSONFile(path: files.trades).size, marketsSize: NDJSONFile(path: files.markets).size)
                {
                    break
                }
                try await Task.sleep(for: .milliseconds(200))
            }
            var wallets: [String] = []
            for try await wallet in try await store.client.query("SELECT wallet FROM wallet_stats ORDER BY wallet").decode(String.self) {
                wallets.append(wallet)
            }
            return wallets
        }
        guard !wallets.isEmpty else { throw ValidationError("history did not load") }

        // Open markets for the live trades.
        var rng = SplitMix64(seed: 99)
        let markets = (0..<20).map { _ in "0x" + (0..<64).map { _ in String(rng.next() & 15, radix: 16) }.joined() }
        let marketRows = markets.enumerated().map { i, id in
            #"{"market":{"category":"crypto","conditionId":"\#(id)","endDate":null,"outcomes":["Yes","No"],"question":"Bench \#(i)?","takerFeePpm":0,"tickSize":"0.01","tokenIds":["\#(openTokens[i % openTokens.count])","\#(900 + i)1"]}}"#
        }
        try append(marketRows, to: files.markets)
        try await Task.sleep(for: .seconds(1))

        let subscription = try BusSubscription(
            context: zmq, endpoints: BusEndpoints(publishEndpoint: proxy.frontendEndpoint, subscribeEndpoint: proxy.backendEndpoint),
            streams: [.trade, .signal, .orderProposed, .orderDecided], partitions: Array(0..<StreamName.partitionCount))
        try await Task.sleep(for: .milliseconds(500))  // the subscription must be live before the feed starts
        let total = rate * seconds
        let collector = Task { () -> (Histogram<UInt64>, [Histogram<UInt64>], Int, Int) in
            /// Arrival at the bench of each stream of a trade's path: the stage between two arrivals is one hop.
            var seen: [String: [UInt64]] = [:]
            func newHistogram() -> Histogram<UInt64> {
                Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            }
            var histogram = newHistogram()
            var hops = [newHistogram(), newHistogram(), newHistogram()]
            var decided = 0
            var trades = 0
            for await batch in subscription.batches {
                let now = monotonicNanos()
                for case .message(let message) in batch {
                    let tradeId: String?
                    let hop: Int
                    // Only the trade id is decoded: the collector shares the machine with the pipeline.
                    switch message.stream {
                    case .trade:
                        tradeId = (try? message.decodePayload(as: TradeRef.self))?.id
                        hop = 0
                        if tradeId != nil { trades += 1 }
                    case .signal:
                        tradeId = (try? message.decodePayload(as: DerivedRef.self))?.tradeId
                        hop = 1
                    case .orderProposed:
                        tradeId = (try? message.decodePayload(as: DerivedRef.self))?.tradeId
                        hop = 2
                    case .orderDecided:
                        tradeId = (try? message.decodePayload(as: DerivedRef.self))?.tradeId
                        hop = 3
                    default: continue
                    }
                    guard let tradeId else { continue }
                    var times = seen[tradeId] ?? [0, 0, 0, 0]
                    times[hop] = now
                    seen[tradeId] = times
                    if hop > 0, times[hop - 1] > 0 { _ = hops[hop - 1].record(now - times[hop - 1]) }
                    if hop == 3, times[0] > 0 {
                        _ = histogram.record(now - times[0])
                        decided += 1
                    }
                }
                if Task.isCancelled { break }
            }
            return (histogram, hops, trades, decided)
        }
        // The feed: one Data API row at a time, at the requested rate.
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: files.trades))
        handle.seekToEndOfFile()
        let interval = 1_000_000_000 / UInt64(rate)
        var next = monotonicNanos()
        let epoch = Int64(Date().timeIntervalSince1970)
        for i in 0..<total {
            while monotonicNanos() < next { try await Task.sleep(for: .microseconds(200)) }
            let wallet = wallets[i % wallets.count]
            let market = i % markets.count
            let row = #"{"proxyWallet":"\#(wallet)","side":"BUY","asset":"\#(openTokens[market % openTokens.count])","conditionId":"\#(markets[market])","size":50,"price":0.5,"timestamp":\#(epoch + Int64(i / rate)),"outcomeIndex":0,"outcome":"Yes","transactionHash":"0xbench\#(i)"}"# + "\n"
            handle.write(Data(row.utf8))
            next += interval
        }
        try handle.close()
        try await Task.sleep(for: .seconds(5))
        subscription.stop()
        let (histogram, hops, trades, decided) = await collector.value
        func ms(_ p: Double) -> String { String(format: "%.2f", Double(histogram.valueAtPercentile(p)) / 1e6) }
        print("pipeline bench: \(total) trades fed at \(rate)/s for \(seconds) s; live event-time mode; synchronous_commit=\(synchronousCommit); debug=\(isDebugBuild)")
        print("  trades published \(trades), decisions published \(decided)")
        print("  trade stored → decision stored: p50 \(ms(50)) ms, p99 \(ms(99)) ms, p99.9 \(ms(99.9)) ms, max \(String(format: "%.2f", Double(histogram.max) / 1e6)) ms")
        for (name, hop) in zip(["signal-gate", "sizer", "risk-guard"], hops) {
            func hms(_ p: Double) -> String { String(format: "%.2f", Double(hop.valueAtPercentile(p)) / 1e6) }
            print("    hop \(name): p50 \(hms(50)) ms, p99 \(hms(99)) ms")
        }
    }

    struct TradeRef: Decodable { var id: String }
    struct DerivedRef: Decodable { var tradeId: String }

    /// History fully processed: both sources read to the end, every trade gated, every order
    /// decided, and every settlement scored (the live feed picks wallets from `wallet_stats`).
    static func caughtUp(_ store: Store, tradesSize: Int64, marketsSize: Int64) async throws -> Bool {
        try await store.transaction { connection in
            let trades = try await Cursors.loadSource("fetcher:trades", on: connection, logger: store.logger)
            let markets = try await Cursors.loadSource("resolver:markets", on: connection, logger: store.logger)
            guard trades.position >= tradesSize, markets.position >= marketsSize else { return false }
            for try await n in try await connection.query(
                """
                SELECT (SELECT count(*) FROM trades) - (SELECT count(*) FROM signals)
                     + (SELECT count(*) FROM orders) - (SELECT count(*) FROM order_decisions)
                     + (SELECT count(*) FROM stream_heads h WHERE h.stream = 'trade.settled' AND h.seq > coalesce(
                            (SELECT c.seq FROM consumer_cursors c
                             WHERE c.consumer = 'scorer' AND c.stream = h.stream AND c.partition = h.partition), 0))
                     + (SELECT CASE WHEN EXISTS (SELECT 1 FROM wallet_stats) THEN 0 ELSE 1 END)
                """, logger: store.logger
            ).decode(Int64.self) {
                return n == 0
            }
            return false
        }
    }

    func append(_ lines: [String], to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        handle.seekToEndOfFile()
        handle.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        try handle.close()
    }
}

#if DEBUG
let isDebugBuild = true
#else
let isDebugBuild = false
#endif
