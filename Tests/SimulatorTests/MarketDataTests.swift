import Foundation
import HummingbirdTesting
import Logging
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraSimulator
import RemoraStore
import RemoraTestSupport
import Testing

/// The market-data component against the API stub over loopback and a real PostgreSQL: the same
/// numbers as the world model in process, history stored once and read back after a restart.
@Suite("Market data: books, series and marks as of event time", .serialized)
struct MarketDataTests {
    static let world = try! WorldGenerator.generate(WorldParameters(seed: 31, wallets: 60, markets: 40, months: 2))
    static let stubWorld: StubWorld = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-marketdata-\(UUID().uuidString)")
        try! WorldWriter.write(world, to: folder)
        return try! StubWorld.load(from: folder)
    }()

    static var quiet: Logger {
        var logger = Logger(label: "market-data-test")
        logger.logLevel = .critical
        return logger
    }

    /// A client of the stub at the world's end, and a counter of the requests it served.
    func withStub(_ body: @Sendable (PolymarketClient, APIStub) async throws -> Void) async throws {
        let stub = APIStub(world: Self.stubWorld, clock: FixedReplayClock(at: Self.world.endTime))
        let app = stub.makeApplication(host: "127.0.0.1", port: 0, logger: Self.quiet) { _ in }
        try await app.test(.live) { client in
            let api = "http://127.0.0.1:\(try #require(client.port))"
            let polymarket = PolymarketClient(
                endpoints: PolymarketEndpoints(dataAPI: api + "/data-api", gamma: api + "/gamma-api", clob: api + "/clob"),
                retry: RetryPolicy(attempts: 5, timeout: .seconds(30)), budgets: RequestBudgets(scale: 100), logger: Self.quiet)
            try await body(polymarket, stub)
        }
    }

    @Test("strict mode: the book of an instant over HTTP equals the world model's in process, for every kind of instant")
    func booksAgree() async throws {
        let world = Self.world
        let inProcess = WorldMarketData(world: Self.stubWorld)
        try await withStub { client, _ in
            let source = ClobMarketData(client: client, store: nil, mode: .strict, logger: Self.quiet)
            var compared = 0
            var noBook = 0
            var rng = SplitMix64(seed: 5)
            for _ in 0..<150 {
                let market = world.markets[Int(rng.next() % UInt64(world.markets.count))].truth
                let token = market.tokenIds[Int(rng.next() % 2)]
                // Before the market opens, while it trades, after it closed; to the millisecond.
                let span = market.closedTime - market.startTime
                // Never past the stub's clock (the world's end): a later instant is refused, tested below.
                let second = rng.next() % 5 == 0
                    ? min(world.endTime, [market.startTime - 1, market.closedTime][Int(rng.next() % 2)])
                    : min(world.endTime, market.startTime + Int64(rng.next() % UInt64(span)))
                let time = EventTime(millis: second * 1_000 + Int64(rng.next() % 1_000))
                let over: Result<OrderBook, MarketDataProblem>
                let here: Result<OrderBook, MarketDataProblem>
                do throws(MarketDataProblem) { over = .success(try await source.book(of: token, at: time)) } catch { over = .failure(error) }
                do throws(MarketDataProblem) { here = .success(try await inProcess.book(of: token, at: time)) } catch { here = .failure(error) }
                switch (over, here) {
                case (.success(let a), .success(let b)):
                    #expect(a == b, "token \(token) at \(time)")
                    #expect(a.midpoint.micros > 0 && a.bestBid.price < a.bestAsk.price)
                    compared += 1
                case (.failure(.noBook), .failure(.noBook)):
                    #expect(second < market.startTime || second >= market.closedTime)
                    noBook += 1
                default:
                    Issue.record("over HTTP \(over), in process \(here)")
                }
            }
            #expect(compared > 80 && noBook > 10, "\(compared) books compared, \(noBook) without a book")
            // Asked twice, the book of an instant is fetched once (kept by instant, no expiry).
            let token = world.markets[0].truth.tokenIds[0]
            let time = EventTime(seconds: world.markets[0].truth.startTime + 60)
            let before = await source.requests.books
            let first = try await source.book(of: token, at: time)
            let again = try await source.book(of: token, at: time)
            let after = await source.requests.books
            #expect(first == again && after == before + 1)
            // An instant after the replay clock is refused: no book (not a transient failure).
            let open = try #require(world.markets.first { $0.truth.closedTime > world.endTime })
            await #expect(throws: MarketDataProblem.self) {
                try await source.book(of: open.truth.tokenIds[0], at: EventTime(seconds: world.endTime + 60))
            }
        }
    }

    @Test("live mode: the live book (the stub's now), reused within its TTL and asked again after; no book is a typed problem")
    func liveBooks() async throws {
        let world = Self.world
        let open = try #require(world.markets.first { $0.truth.closedTime > world.endTime && $0.truth.startTime < world.endTime })
        let closed = try #require(world.markets.first { $0.truth.closedTime < world.endTime })
        try await withStub { client, _ in
            let kept = ClobMarketData(client: client, store: nil, mode: .live(bookTTL: .seconds(60)), logger: Self.quiet)
            // Whatever the event time asked, live mode answers the book of now.
            let early = try await kept.book(of: open.truth.tokenIds[0], at: EventTime(seconds: open.truth.startTime))
            let now = try await WorldMarketData(world: Self.stubWorld).book(of: open.truth.tokenIds[0], at: EventTime(seconds: world.endTime))
            #expect(early == now)
            _ = try await kept.book(of: open.truth.tokenIds[0], at: EventTime(seconds: 1))
            #expect(await kept.requests.books == 1, "within the TTL: reused")
            let fresh = ClobMarketData(client: client, store: nil, mode: .live(bookTTL: .zero), logger: Self.quiet)
            for _ in 0..<3 { _ = try await fresh.book(of: open.truth.tokenIds[0], at: EventTime(seconds: 1)) }
            #expect(await fresh.requests.books == 3, "a TTL of zero asks every time")
            await #expect(throws: MarketDataProblem.noBook(closed.truth.tokenIds[0], detail: "no order book then (market closed or not open)")) {
                try await kept.book(of: closed.truth.tokenIds[0], at: EventTime(seconds: world.endTime))
            }
        }
    }

    @Test("a series is the same whichever ranges were asked before it: each bucket keeps its first point, not the first inside a range")
    func seriesIndependentOfAskingOrder() async throws {
        // Open for the 36 days asked, within the world (the stub's clock stands at its end).
        let long = Self.world.markets.filter {
            $0.truth.closedTime - $0.truth.startTime > 40 * 86_400 && $0.truth.startTime + 37 * 86_400 < Self.world.endTime
        }.prefix(4).map(\.truth)
        #expect(long.count >= 2)
        let inProcess = WorldMarketData(world: Self.stubWorld)
        try await withStub { client, _ in
            for market in long {
                let token = market.tokenIds[0]
                // A decision's 30 days of daily prices, its window starting mid-day.
                let at = EventTime(seconds: market.startTime + 35 * 86_400 + 7 * 3_600 + 13 * 60)
                let from = at.adding(millis: -30 * EventTime.day)
                let alone = try await ClobMarketData(client: client, store: nil, mode: .strict, logger: Self.quiet)
                    .series(of: token, from: from, through: at, fidelityMinutes: 1440)
                // Another process first decided a day earlier: the window's first day is then
                // inside what it holds, and a range asked from mid-day would have kept a later point for it.
                let after = ClobMarketData(client: client, store: nil, mode: .strict, logger: Self.quiet)
                _ = try await after.series(
                    of: token, from: from.adding(millis: -EventTime.day + 5 * 3_600_000), through: at.adding(millis: -EventTime.day),
                    fidelityMinutes: 1440)
                let later = try await after.series(of: token, from: from, through: at, fidelityMinutes: 1440)
                // And one asked over a window starting later, then extended down.
                let below = ClobMarketData(client: client, store: nil, mode: .strict, logger: Self.quiet)
                _ = try await below.series(of: token, from: from.adding(millis: 3 * EventTime.day), through: at, fidelityMinutes: 1440)
                let extended = try await below.series(of: token, from: from, through: at, fidelityMinutes: 1440)
                let expected = try await inProcess.series(of: token, from: from, through: at, fidelityMinutes: 1440)
                #expect(alone.points.count >= 29)
                #expect(alone == expected)
                #expect(later == expected)
                #expect(extended == expected)
                // Every point is its day's first in the world.
                for point in expected.points {
                    let day = point.time.millis / EventTime.day * 86_400
                    let first = Self.stubWorld.historyPoints(token: token, from: day, through: day + 86_399, fidelityMinutes: 1440).first
                    #expect(first.map { $0.t * 1_000 } == point.time.millis)
                }
            }
        }
    }

    @Test("series are stored once: a restarted process reads them from PostgreSQL, not from the API, and marks agree with the world")
    func seriesStoredOnce() async throws {
        let database = try await TestPostgres.freshDatabase()
        let world = Self.world
        let open = world.markets.filter { $0.truth.closedTime - $0.truth.startTime > 20 * 86_400 }.prefix(6).map(\.truth)
        #expect(open.count >= 3)
        let inProcess = WorldMarketData(world: Self.stubWorld)
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            try await withStub { client, stub in
                var first: [PriceSeries] = []
                let source = ClobMarketData(client: client, store: store, mode: .strict, logger: Self.quiet)
                for market in open {
                    // Twenty days: two pages of /prices-history; asked forward in three steps as a replay does.
                    let from = EventTime(seconds: market.startTime)
                    for step in 1...3 {
                        let through = EventTime(seconds: market.startTime + Int64(step) * 20 * 86_400 / 3)
                        _ = try await source.series(of: market.tokenIds[1], from: from, through: through, fidelityMinutes: 1)
                    }
                    let whole = try await source.series(
                        of: market.tokenIds[1], from: from, through: EventTime(seconds: market.startTime + 20 * 86_400), fidelityMinutes: 1)
                    let expected = try await inProcess.series(
                        of: market.tokenIds[1], from: from, through: EventTime(seconds: market.startTime + 20 * 86_400), fidelityMinutes: 1)
                    #expect(whole == expected && whole.points.count > 400)
                    first.append(whole)
                }
                let fetched = await source.requests.historyPages
                #expect(fetched >= open.count * 2)
                let servedBefore = stub.requestsServed
                // A new process: nothing in memory; everything asked before comes from PostgreSQL.
                let restarted = ClobMarketData(client: client, store: store, mode: .strict, logger: Self.quiet)
                for (index, market) in open.enumerated() {
                    let again = try await restarted.series(
                        of: market.tokenIds[1], from: EventTime(seconds: market.startTime),
                        through: EventTime(seconds: market.startTime + 20 * 86_400), fidelityMinutes: 1)
                    #expect(again == first[index])
                    // A mark is the last point at or before the instant.
                    let instant = EventTime(millis: (market.startTime + 7 * 86_400) * 1_000 + 1)
                    let marks = try await restarted.marks(of: [market.tokenIds[1]], from: instant, through: instant, policy: MarkPolicy())
                    let node = Self.stubWorld.historyPoints(token: market.tokenIds[1], from: market.startTime, through: instant.millis / 1_000, fidelityMinutes: 1).last!
                    #expect(marks.mark(of: market.tokenIds[1], at: instant) == PricePoint(time: EventTime(seconds: node.t), price: Price(rounding: node.p)!))
                }
                let requests = await restarted.requests
                #expect(requests.historyPages == 0 && stub.requestsServed == servedBefore, "no request after the restart")
                #expect(requests.historySeriesFromStore == open.count)
                // What is stored is exactly the world's series over the interval each token claims.
                for market in open {
                    let token = market.tokenIds[1]
                    let (from, through, count) = try await store.transaction { connection in
                        try await connection.query(
                            """
                            SELECT c.from_ms, c.through_ms, (SELECT count(*) FROM price_points p WHERE p.token = c.token AND p.fidelity = 1)
                            FROM price_coverage c WHERE c.token = \(token) AND c.fidelity = 1
                            """, logger: TestPostgres.testLogger
                        ).collect().first!.decode((Int64, Int64, Int64).self)
                    }
                    let expected = try await inProcess.series(
                        of: token, from: EventTime(millis: from), through: EventTime(millis: through), fidelityMinutes: 1)
                    #expect(count == Int64(expected.points.count) && through >= (market.startTime + 20 * 86_400) * 1_000)
                }
            }
        }
    }

    @Test("market terms are versioned by when they were seen: a decision reads the version in force then")
    func termsVersioned() async throws {
        let database = try await TestPostgres.freshDatabase()
        let market = ConditionID("0x" + String(repeating: "ab", count: 32))!
        @Sendable func terms(_ seen: Int64, end: Int64, fee: Int) -> MarketTerms {
            MarketTerms(
                conditionId: market, seenAt: EventTime(seconds: seen), endDate: EventTime(seconds: end), closedAt: nil,
                acceptingOrders: true, takerFeeBps: fee, tick: Price(micros: 10_000), minimumOrder: 5)
        }
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            try await store.transaction { connection in
                for version in [terms(100, end: 1_000, fee: 0), terms(200, end: 1_000, fee: 0), terms(300, end: 2_000, fee: 0), terms(400, end: 2_000, fee: 100)] {
                    try await MarketTermsStore.record(version, on: connection, logger: TestPostgres.testLogger)
                }
            }
            let source = ClobMarketData(
                client: PolymarketClient(logger: Self.quiet), store: store, mode: .strict, logger: Self.quiet)
            // Before the first sighting: that sighting as it stood then (end, fee and tick are
            // fixed when a market opens; a replay sees every market only at its world's end).
            #expect(try await source.terms(of: market, at: EventTime(seconds: 99)) == terms(100, end: 1_000, fee: 0))
            #expect(try await source.terms(of: market, at: EventTime(seconds: 250))?.endDate == EventTime(seconds: 1_000))
            #expect(try await source.terms(of: market, at: EventTime(seconds: 250))?.seenAt == EventTime(seconds: 100), "an unchanged sighting is not a version")
            #expect(try await source.terms(of: market, at: EventTime(seconds: 350))?.endDate == EventTime(seconds: 2_000))
            #expect(try await source.terms(of: market, at: EventTime(seconds: 350))?.takerFeeBps == 0)
            #expect(try await source.terms(of: market, at: EventTime(seconds: 5_000))?.takerFeeBps == 100)
            // The resolver's set-based path: unchanged sightings add nothing, a change (here the
            // market closing, with no end date any more) adds a version.
            var closing = terms(600, end: 2_000, fee: 100)
            closing.endDate = nil
            closing.closedAt = EventTime(seconds: 590)
            closing.acceptingOrders = false
            try await store.transaction { connection in
                try await MarketTermsStore.record([terms(500, end: 2_000, fee: 100), closing, terms(550, end: 2_000, fee: 100)], on: connection, logger: TestPostgres.testLogger)
            }
            #expect(try await source.terms(of: market, at: EventTime(seconds: 580))?.seenAt == EventTime(seconds: 400))
            #expect(try await source.terms(of: market, at: EventTime(seconds: 600)) == closing)
            let versions = try await store.transaction { connection in
                try await connection.query("SELECT count(*) FROM market_terms", logger: TestPostgres.testLogger).collect().first!.decode(Int64.self)
            }
            #expect(versions == 4)
        }
    }
}
