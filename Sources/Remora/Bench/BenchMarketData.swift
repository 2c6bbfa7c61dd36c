import ArgumentParser
import Foundation
import Logging
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraSimulator
import RemoraStore

/// Strict-mode catch-up of the demo world's decisions with every market-data lookup a decision
/// makes: for each trade, in event-time order, the book of its token at the copy instant (over
/// loopback from the API stub, as in the seven-process demo) walked for a reference order; the
/// marks of the tokens held then (1-minute series); and the token's 60-day daily history (what
/// the risk guard's mVaR reads). Pages of trades are gathered as the risk guard gathers them
/// (``MarketDataBatch``). Run twice: cold (history fetched from the stub and stored in
/// PostgreSQL) and after a restart (history read back from PostgreSQL, no history request).
struct BenchMarketData: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "market-data",
        abstract: "Strict-mode decisions' market data (books, marks, history) over the demo world: trades/s (target ≥ 2,000).")

    @Option(help: "World seed.") var seed: UInt64 = WorldParameters.demo.seed
    @Option(help: "Wallets in the simulated world.") var wallets = WorldParameters.demo.wallets
    @Option(help: "Markets in the simulated world.") var markets = WorldParameters.demo.markets
    @Option(help: "Calendar months the world spans.") var months = WorldParameters.demo.months
    @Option(help: "Trades per batch (the risk guard's page).") var page = 1000
    @Option(help: "Tokens held at once (marked at every batch).") var held = 20
    @Option(help: "Reference order walked on each book, USDC.") var notional = 2000
    @Option(help: "Market-data requests in flight at once.") var concurrency = MarketDataBatch.concurrency
    @Option(help: "Folder for local state.") var state = ".remora"
    @Option(help: "Port of the embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let folder = root.appendingPathComponent("bench-market-data")
        try? FileManager.default.removeItem(at: folder)
        let world = try WorldGenerator.generate(WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months))
        try WorldWriter.write(world, to: folder.appendingPathComponent("world"))
        let stubWorld = try StubWorld.load(from: folder.appendingPathComponent("world"))
        let (_, configuration) = try await benchDatabase("remora_bench_market_data", root: root, port: port)
        let stub = RemoraAPIStub.APIStub(world: stubWorld, clock: FixedReplayClock(at: world.endTime))
        let server = try await stub.startOnLoopback()
        defer { server.cancel() }
        let api = "http://127.0.0.1:\(server.port)"
        let logger = quietLogger()
        let client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: api + "/data-api", gamma: api + "/gamma-api", clob: api + "/clob"),
            // Books from the stub's replay freely; history at the CLOB's documented budget (100/s).
            retry: RetryPolicy(attempts: 3, timeout: .seconds(5)), budgets: RequestBudgets(scale: 1000, priceHistoryScale: 1),
            logger: logger)
        let trades = world.trades.sorted { $0.time < $1.time }
        print("world: \(trades.count) trades, \(world.markets.count) markets, seed \(seed); stub \(api); pages of \(page), \(held) tokens held, \(concurrency) requests in flight")
        let lag = CopyLag.standard
        try await Store.withRunning(configuration, logger: logger) { store in
            for pass in ["cold (history fetched and stored)", "restarted (history from PostgreSQL)"] {
                let source = ClobMarketData(client: client, store: store, mode: .strict, logger: logger)
                let servedBefore = stub.requestsServed
                var walked = 0
                var filled = 0
                var slippage = 0.0
                var recent: [TokenID] = []
                var gatherSeconds = 0.0
                var historySeconds = 0.0
                let started = ContinuousClock.now
                for start in stride(from: 0, to: trades.count, by: page) {
                    let slice = trades[start..<min(start + page, trades.count)]
                    let requests = slice.enumerated().map { offset, trade in
                        MarketDataBatch.BookRequest(
                            id: String(start + offset), token: world.markets[Int(trade.market)].truth.tokenIds[Int(trade.outcomeIndex)],
                            time: lag.copyInstant(ofFillAt: EventTime(seconds: trade.time)))
                    }
                    let gatherStarted = ContinuousClock.now
                    let batch = try await MarketDataBatch.gather(
                        books: requests, markTokens: recent, source: source, policy: MarkPolicy(), mode: .strict, logger: logger,
                        concurrency: concurrency)
                    gatherSeconds += seconds(ContinuousClock.now - gatherStarted)
                    // What a decision computes from it: the walk and the marks of the book.
                    for request in requests {
                        var book = Book(initialCash: 100_000)
                        for token in recent {
                            book.positions[token] = BookPosition(
                                asset: token, conditionId: ConditionID("0x" + String(repeating: "0", count: 64))!, outcomeIndex: 0,
                                shares: 1000, cost: 500, mark: Price(micros: 500_000))
                        }
                        _ = book.marked(at: request.time, by: batch.marks).nav
                        if case .success(let orderBook) = batch.books[request.id] {
                            let walk = BookWalk.take(.buy, notional: USDC(micros: Int64(notional) * 1_000_000), from: orderBook)
                            walked += 1
                            if let bps = walk.slippageBps {
                                filled += 1
                                slippage += bps
                            }
                        }
                        recent.removeAll { $0 == request.token }
                        recent.append(request.token)
                        if recent.count > held { recent.removeFirst() }
                    }
                    // The traded tokens' 60-day daily history, a few at a time.
                    let daily = Set(requests.map(\.token)).sorted()
                    let lastTime = Dictionary(requests.map { ($0.token, $0.time) }) { max($0, $1) }
                    let historyStarted = ContinuousClock.now
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        var next = 0
                        func launch() {
                            guard next < daily.count else { return }
                            let token = daily[next]
                            let last = lastTime[token]!
                            next += 1
                            group.addTask { _ = try await Self.dailyHistory(token, through: last, from: source) }
                        }
                        for _ in 0..<concurrency { launch() }
                        while try await group.next() != nil { launch() }
                    }
                    historySeconds += seconds(ContinuousClock.now - historyStarted)
                }
                let elapsed = seconds(ContinuousClock.now - started)
                let requests = await source.requests
                let served = stub.requestsServed - servedBefore
                print(pass + ": " + String(
                    format: "%d trades in %.2f s = %.0f trades/s; %d books walked (%d with a fill, mean slippage %.0f bps); requests %d books + %d history pages (%.0f/s; budget 100/s), %d series read from PostgreSQL; stub served %d",
                    trades.count, elapsed, Double(trades.count) / elapsed, walked, filled, filled > 0 ? slippage / Double(filled) : 0,
                    requests.books, requests.historyPages, Double(requests.historyPages) / elapsed, requests.historySeriesFromStore, served)
                    + String(format: "; time: books and marks %.2f s, daily history %.2f s, the rest %.2f s",
                             gatherSeconds, historySeconds, elapsed - gatherSeconds - historySeconds))
            }
        }
    }

    /// Results across the task group (see ``MarketDataBatch``): typed throws are not carried there.
    static func dailyHistory(_ token: TokenID, through last: EventTime, from source: ClobMarketData) async throws -> Int {
        do {
            return try await source.series(
                of: token, from: last.adding(millis: -60 * EventTime.day), through: last, fidelityMinutes: 1440
            ).points.count
        } catch {
            throw MarketDataBatch.Unavailable(problem: error)
        }
    }
}
