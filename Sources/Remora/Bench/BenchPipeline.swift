import ArgumentParser
import Foundation
import Histogram
import Logging
import PostgresNIO
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

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL.appendingPathComponent("bench")
        try? FileManager.default.removeItem(at: root)
        let files = try PipelineFeed.write(try WorldGenerator.generate(WorldParameters(seed: 3, wallets: 60, markets: 60, months: 2)), to: root)
        var databaseURL = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        if databaseURL.isEmpty {
            let local = LocalDatabase(root: URL(fileURLWithPath: state).standardizedFileURL)
            try local.up(database: "postgres")
            try local.dropDatabase("remora_bench")
            try local.createDatabase("remora_bench")
            databaseURL = local.url(database: "remora_bench")
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
            tradesFile: files.trades, marketsFile: files.markets, logLevel: ProcessInfo.processInfo.environment["REMORA_BENCH_LOG_LEVEL"] ?? "warning")
        for index in children.indices {
            children[index].environment.merge([
                "REMORA_EVENT_TIME": "live", "REMORA_FETCHER_POLL_MS": "1", "REMORA_GATE_MIN_SCORE": "0",
                "REMORA_GATE_MIN_SETTLED": "1", "REMORA_GATE_MIN_NOTIONAL": "1", "REMORA_SIZER_FRACTION": "0.0001",
                "REMORA_RISK_MAX_EXPOSURE": "1",
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
                if try await Self.caughtUp(store, tradesSize: NDJSONFile(path: files.trades).size) { break }
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
            #"{"market":{"category":"crypto","conditionId":"\#(id)","endDate":null,"outcomes":["Yes","No"],"question":"Bench \#(i)?","takerFeePpm":0,"tickSize":"0.01","tokenIds":["\#(900 + i)0","\#(900 + i)1"]}}"#
        }
        try append(marketRows, to: files.markets)
        try await Task.sleep(for: .seconds(1))

        let subscription = try BusSubscription(
            context: zmq, endpoints: BusEndpoints(publishEndpoint: proxy.frontendEndpoint, subscribeEndpoint: proxy.backendEndpoint),
            streams: [.trade, .orderDecided], partitions: Array(0..<StreamName.partitionCount))
        try await Task.sleep(for: .milliseconds(500))  // the subscription must be live before the feed starts
        let total = rate * seconds
        let collector = Task { () -> (Histogram<UInt64>, Int, Int) in
            var published: [String: UInt64] = [:]
            var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
            var decided = 0
            var trades = 0
            for await batch in subscription.batches {
                let now = monotonicNanos()
                for case .message(let message) in batch {
                    switch message.stream {
                    case .trade:
                        if let trade = try? message.decodePayload(as: Trade.self) {
                            published[trade.id] = now
                            trades += 1
                        }
                    case .orderDecided:
                        if let decision = try? message.decodePayload(as: OrderDecision.self),
                            let start = published[decision.tradeId]
                        {
                            _ = histogram.record(now - start)
                            decided += 1
                        }
                    default: break
                    }
                }
                if Task.isCancelled { break }
            }
            return (histogram, trades, decided)
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
            let row = #"{"proxyWallet":"\#(wallet)","side":"BUY","asset":"\#(900 + market)0","conditionId":"\#(markets[market])","size":50,"price":0.5,"timestamp":\#(epoch + Int64(i / rate)),"outcomeIndex":0,"outcome":"Yes","transactionHash":"0xbench\#(i)"}"# + "\n"
            handle.write(Data(row.utf8))
            next += interval
        }
        try handle.close()
        try await Task.sleep(for: .seconds(5))
        subscription.stop()
        let (histogram, trades, decided) = await collector.value
        func ms(_ p: Double) -> String { String(format: "%.2f", Double(histogram.valueAtPercentile(p)) / 1e6) }
        print("pipeline bench: \(total) trades fed at \(rate)/s for \(seconds) s; live event-time mode; debug=\(isDebugBuild)")
        print("  trades published \(trades), decisions published \(decided)")
        print("  trade stored → decision stored: p50 \(ms(50)) ms, p99 \(ms(99)) ms, p99.9 \(ms(99.9)) ms, max \(String(format: "%.2f", Double(histogram.max) / 1e6)) ms")
    }

    static func caughtUp(_ store: Store, tradesSize: Int64) async throws -> Bool {
        try await store.transaction { connection in
            let source = try await Cursors.loadSource("fetcher:trades", on: connection, logger: store.logger)
            guard source.position >= tradesSize else { return false }
            for try await n in try await connection.query(
                """
                SELECT (SELECT count(*) FROM trades) - (SELECT count(*) FROM signals)
                     + (SELECT count(*) FROM orders) - (SELECT count(*) FROM order_decisions)
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
