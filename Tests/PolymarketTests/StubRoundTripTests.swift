import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraSimulator
import Testing

@testable import RemoraPolymarket

/// The typed clients against `remora api-stub` serving a generated world over a real loopback
/// socket: what the simulator writes, the stub serves and the clients decode must agree.
@Suite("Polymarket clients against the API stub", .serialized)
struct StubRoundTripTests {
    static let world = try! WorldGenerator.generate(WorldParameters(seed: 3, wallets: 80, markets: 40, months: 2))
    static let folder: URL = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-roundtrip-\(UUID().uuidString)")
        try! WorldWriter.write(world, to: folder)
        return folder
    }()
    static let stubWorld = try! StubWorld.load(from: folder)
    /// Many markets, few wallets: voids and disputes are present.
    static let marketsWorld = try! WorldGenerator.generate(WorldParameters(seed: 4, wallets: 20, markets: 800, months: 6))
    static let marketsStubWorld: StubWorld = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-markets-\(UUID().uuidString)")
        try! WorldWriter.write(marketsWorld, to: folder)
        return try! StubWorld.load(from: folder)
    }()

    func withClient(
        world: StubWorld = Self.stubWorld, at now: Int64? = nil, faults: FaultSettings = FaultSettings(),
        timeout: Duration = .seconds(5), _ body: @Sendable (PolymarketClient, String) async throws -> Void
    ) async throws {
        let stub = APIStub(
            world: world, clock: FixedReplayClock(at: now ?? Self.world.endTime),
            options: StubOptions(faults: faults))
        var logger = Logger(label: "stub")
        logger.logLevel = .critical
        let app = stub.makeApplication(host: "127.0.0.1", port: 0, logger: logger) { _ in }
        try await app.test(.live) { http in
            let base = "http://127.0.0.1:\(try #require(http.port))"
            let client = PolymarketClient(
                endpoints: PolymarketEndpoints(dataAPI: base + "/data-api", gamma: base + "/gamma-api", clob: base + "/clob"),
                retry: RetryPolicy(attempts: 8, timeout: timeout, backoffBase: .milliseconds(5), backoffCap: .milliseconds(50)),
                budgets: RequestBudgets(scale: 50))
            try await body(client, base)
        }
    }

    /// Every fill of every wallet, paged newest first. A page may repeat rows of the previous
    /// one (new fills pushed the list down, or the server shifted the page): the offset advances
    /// by the rows not seen before, so a repeat costs a re-read, never a skipped row.
    static func fetchAll(_ client: PolymarketClient, wallets: [String], pageSize: Int) async throws -> [String: Trade] {
        var all: [String: Trade] = [:]
        for wallet in wallets {
            var offset = 0
            var page: [DataAPITradeRow]
            repeat {
                page = try await client.trades(user: wallet, takerOnly: false, limit: pageSize, offset: offset)
                var fresh = 0
                for row in page {
                    let trade = try row.trade(occurrence: { _ in 0 })
                    if all.updateValue(trade, forKey: trade.id) == nil { fresh += 1 }
                }
                offset += fresh
            } while page.count == pageSize
        }
        return all
    }

    @Test("every public endpoint decodes what the stub serves, and the facts agree with the world")
    func everyEndpoint() async throws {
        let world = Self.world
        let resolved = try #require(world.markets.first { $0.truth.resolvedAt <= world.endTime && $0.truth.outcome != .void })
        let open = try #require(world.markets.first { $0.truth.startTime < world.endTime - 86_400 && $0.truth.closedTime > world.endTime })
        let busiest = Dictionary(grouping: world.trades, by: \.wallet).max { $0.value.count < $1.value.count }!
        let wallet = world.wallets[Int(busiest.key)].truth.address
        try await withClient { client, _ in
            let rows = try await client.trades(user: wallet, takerOnly: false, limit: 10_000)
            #expect(rows.count == busiest.value.count)
            #expect(zip(rows, rows.dropFirst()).allSatisfy { $0.timestamp >= $1.timestamp }, "newest first")
            let taker = try await client.trades(user: wallet, takerOnly: true, limit: 10_000)
            #expect(taker.count == busiest.value.filter { !$0.isMaker }.count)

            let gamma = try await client.markets(conditionIds: world.markets.prefix(100).map(\.truth.conditionId))
            #expect(gamma.count == min(100, world.markets.count))
            let settled = try #require(try await client.markets(conditionIds: [resolved.truth.conditionId]).first)
            #expect(settled.closed && settled.currentUMAStatus == "resolved")
            #expect(settled.outcomePrices == (resolved.truth.outcome == .yes ? ["1", "0"] : ["0", "1"]))
            #expect(settled.clobTokenIds == resolved.truth.tokenIds)
            let clob = try await client.clobMarket(conditionId: resolved.truth.conditionId)
            #expect(clob.winnerIndex == (resolved.truth.outcome == .yes ? 0 : 1))

            let book = try await client.book(tokenId: open.truth.tokenIds[0])
            let bid = try #require(book.bestBid)
            let ask = try #require(book.bestAsk)
            #expect(bid.price < ask.price && book.bids.last == bid && book.asks.last == ask)
            // In micro-units: the same levels as the world's model at the stub's instant (drawn per
            // minute), best first, and a walk through them exact to the micro-USDC.
            let ours = try book.orderBook()
            let now = world.endTime
            let model = OrderBookModel.book(
                market: open.truth, outcomeIndex: 0, midpoint: open.history.midpoint(at: now), moment: now / 60)
            #expect(ours.asks.map(\.price.doubleValue) == model.asks.reversed().map(\.price))
            #expect(ours.bids.map(\.price.doubleValue) == model.bids.reversed().map(\.price))
            #expect(ours.asks.map(\.size.doubleValue) == model.asks.reversed().map(\.size))
            // The book of an earlier instant (the stub's replay extension): the model's book then;
            // an instant after the replay clock is refused.
            let earlier = now - 3 * 3_600 - 17
            let then = try await client.book(tokenId: open.truth.tokenIds[1], at: earlier).orderBook()
            let modelThen = OrderBookModel.book(
                market: open.truth, outcomeIndex: 1, midpoint: open.history.midpoint(at: earlier), moment: earlier / 60)
            #expect(then.bids.map(\.price.doubleValue) == modelThen.bids.reversed().map(\.price))
            #expect(then.asks.map(\.size.doubleValue) == modelThen.asks.reversed().map(\.size))
            await #expect(throws: (any Error).self) { try await client.book(tokenId: open.truth.tokenIds[0], at: now + 60) }
            let walk = BookWalk.take(.buy, shares: ours.asks[0].size + ours.asks[1].size, from: ours)
            #expect(walk.fills.count == 2 && walk.unfilledShares == .zero)
            #expect(walk.cash == ours.asks[0].size.value(at: ours.asks[0].price) + ours.asks[1].size.value(at: ours.asks[1].price))
            let history = try await client.pricesHistory(
                tokenId: open.truth.tokenIds[0], startTs: world.endTime - 5 * 86_400, endTs: world.endTime)
            #expect(!history.history.isEmpty && history.history.allSatisfy { $0.p > 0 && $0.p < 1 })
            // Beyond the 15-day window cap (one request answers HTTP 400): paged, each point once,
            // in time order, the same points as the world's price line at that fidelity.
            let longOpen = try #require(world.markets.first { $0.truth.startTime < world.endTime - 40 * 86_400 && $0.truth.closedTime > world.endTime })
            let from = world.endTime - 40 * 86_400
            await #expect(throws: (any Error).self) {
                try await client.pricesHistory(tokenId: longOpen.truth.tokenIds[0], startTs: from, endTs: world.endTime)
            }
            let paged = try await client.pricesHistory(tokenId: longOpen.truth.tokenIds[0], from: from, through: world.endTime)
            #expect(paged.map(\.t) == paged.map(\.t).sorted() && Set(paged.map(\.t)).count == paged.count)
            #expect(paged.first!.t >= from && paged.first!.t < from + 2 * 3_600 && paged.last!.t > world.endTime - 2 * 3_600, "\(paged.first!.t) \(paged.last!.t)")
            // The first point of each hour (counted from the epoch), so at most an hour and a node apart.
            #expect(Set(paged.map { $0.t / 3_600 }).count == paged.count)
            let gaps = zip(paged, paged.dropFirst()).map { $1.t - $0.t }
            #expect(gaps.allSatisfy { $0 > 0 && $0 <= 3_600 + longOpen.history.step }, "\(Set(gaps))")
            let nodes = longOpen.history.points(from: from, to: world.endTime, outcomeIndex: 0)
            var firstOfHour: [Int64] = []
            for node in nodes where firstOfHour.last.map({ $0 / 3_600 < node.t / 3_600 }) ?? true { firstOfHour.append(node.t) }
            #expect(paged.map(\.t) == firstOfHour, "the world's nodes, first of each hour")
            #expect(paged.count >= 30 * 24, "about one point an hour over 40 days: \(paged.count)")

            let activity = try await client.activity(user: wallet)
            #expect(!activity.isEmpty && activity.allSatisfy { ["TRADE", "REDEEM", "CONVERSION"].contains($0.type) })
            _ = try await client.positions(user: wallet)
            let leaders = try await client.leaderboard(timePeriod: "ALL", orderBy: "PNL")
            #expect(!leaders.isEmpty && leaders.map(\.rank) == Array(1...leaders.count))
        }
    }

    @Test("conversions: CONVERSION rows of /activity name the No converted; /positions takes it out and pays Yes of the event's others")
    func conversions() async throws {
        let world = Self.world
        let conversion = try #require(world.conversions.first, "the world converts nothing")
        let wallet = world.wallets[Int(conversion.wallet)].truth.address
        let market = world.markets[Int(conversion.market)]
        try await withClient { client, _ in
            let rows = try await client.activity(user: wallet, types: ["CONVERSION"], ascending: true)
            let mine = world.conversions.filter { $0.wallet == conversion.wallet }
            #expect(rows.count == mine.count && rows.allSatisfy { $0.type == "CONVERSION" })
            let first = try #require(try rows.first?.conversion())
            #expect(first.kind == .conversion && first.side == .sell && first.price.micros == 0)
            #expect(first.asset == market.truth.tokenIds[1] && first.size.micros == conversion.sharesMicros)
            #expect(first.timestamp == EventTime(seconds: conversion.time) && first.transactionHash == conversion.transactionHash)
            // The other types stay out of a CONVERSION query, and TRADE rows are no conversions.
            let all = try await client.activity(user: wallet, limit: 500)
            #expect(all.filter { $0.type == "CONVERSION" }.count == mine.count)
            #expect(try all.filter { $0.type == "TRADE" }.allSatisfy { try $0.conversion() == nil })
        }
        // /positions at the end: the No held is the fills' less what was converted (markets still open).
        let now = world.endTime
        try await withClient(at: now) { client, _ in
            let positions = try await client.positions(user: wallet, sizeThreshold: 0)
            for c in world.conversions where c.wallet == conversion.wallet && world.markets[Int(c.market)].truth.resolvedAt > now {
                let m = world.markets[Int(c.market)]
                let filled = world.trades.filter { $0.wallet == c.wallet && $0.market == c.market && $0.outcomeIndex == 1 }
                    .reduce(Int64(0)) { $0 + ($1.isBuy ? $1.sharesMicros : -$1.sharesMicros) }
                let converted = world.conversions.filter { $0.wallet == c.wallet && $0.market == c.market }.reduce(Int64(0)) { $0 + $1.sharesMicros }
                let listed = positions.first { $0.asset == m.truth.tokenIds[1] }.map { Int64(($0.size * 1e6).rounded()) } ?? 0
                #expect(abs(listed - (filled - converted)) <= 10, "\(m.truth.conditionId): \(listed) listed, \(filled) filled, \(converted) converted")
            }
        }
        // A malformed row says why it cannot be followed.
        let bare = try JSONDecoder().decode(ActivityRow.self, from: Data("""
            {"proxyWallet":"\(wallet)","timestamp":1770000000,"conditionId":"\(market.truth.conditionId)","type":"CONVERSION","size":5,"usdcSize":0,"transactionHash":"0x1","price":0,"asset":"","side":"","outcomeIndex":999}
            """.utf8))
        #expect(throws: (any Error).self) { try bare.conversion() }
    }

    @Test("the resolution rule reads every market's truth from Gamma: winners, voids, disputes, open ones", arguments: [0.5, 0.8, 1.0])
    func resolutionRule(moment: Double) async throws {
        let world = Self.marketsWorld
        #expect(world.markets.contains { $0.truth.outcome == .void } && world.markets.contains { $0.truth.dispute != nil })
        let now = world.startTime + Int64(Double(world.endTime - world.startTime) * moment)
        try await withClient(world: Self.marketsStubWorld, at: now) { client, _ in
            var reports: [String: GammaMarket] = [:]
            let ids = world.markets.filter { $0.truth.startTime <= now }.map(\.truth.conditionId)
            for start in stride(from: 0, to: ids.count, by: 100) {
                for market in try await client.markets(conditionIds: Array(ids[start..<min(start + 100, ids.count)])) {
                    reports[market.conditionId] = market
                }
            }
            #expect(reports.count == ids.count)
            var resolved = 0
            for market in world.markets where market.truth.startTime <= now {
                let gamma = try #require(reports[market.truth.conditionId])
                let verdict = ResolutionRule.verdict(
                    MarketReport(closed: gamma.closed, umaStatus: gamma.currentUMAStatus, outcomePrices: gamma.outcomePrices))
                if market.truth.resolvedAt <= now {
                    let expected: ResolutionOutcome =
                        switch market.truth.outcome {
                        case .yes: .winner(index: 0)
                        case .no: .winner(index: 1)
                        case .void: .void
                        }
                    #expect(verdict == .resolved(expected), "\(market.truth.conditionId)")
                    resolved += 1
                } else if case .resolved = verdict {
                    Issue.record("\(market.truth.conditionId) resolved before its time")
                }
            }
            if moment == 1.0 { #expect(resolved > 0) }
        }
    }

    @Test("keyset paging lists every market once, through faults; closed=true lists the closed ones")
    func keysetPaging() async throws {
        let world = Self.marketsWorld
        let now = world.startTime + (world.endTime - world.startTime) * 3 / 4
        let visible = world.markets.filter { $0.truth.startTime <= now }
        // A slow fault (5 s) must time out; a page served on a machine busy with the whole
        // suite must not (a 1 s timeout ran out eight times in a row under `make test`).
        try await withClient(
            world: Self.marketsStubWorld, at: now, faults: FaultSettings(rate: 0.1, seed: 5, slowSeconds: 5), timeout: .milliseconds(2500)
        ) { client, _ in
            let pages = Counter()
            let all = try await client.allMarkets { page in
                #expect(page.count <= 100)
                pages.add()
            }
            #expect(all.count == visible.count)
            #expect(Set(all.map(\.conditionId)) == Set(visible.map(\.truth.conditionId)))
            #expect(pages.value == (visible.count + 99) / 100)
            let closed = try await client.allMarkets(closed: true)
            #expect(!closed.isEmpty && closed.allSatisfy(\.closed))
            #expect(closed.count == all.filter(\.closed).count)
        }
    }

    @Test("with 15 % of answers faulted (429, error bodies, 5xx, slow, truncated, malformed, repeats), no fill is missed")
    func faultsLoseNothing() async throws {
        let world = Self.world
        let expected = Set(world.trades.map { t -> String in
            let m = world.markets[Int(t.market)].truth
            let wallet = WalletAddress(world.wallets[Int(t.wallet)].truth.address)!
            var hash = SplitMix64(seed: t.transactionSeed)
            return Trade.fillKey(
                transactionHash: "0x" + hash.nextHex(digits: 64), asset: m.tokenIds[Int(t.outcomeIndex)], side: t.isBuy ? .buy : .sell,
                size: Shares(micros: t.sharesMicros), price: Price(micros: t.priceMicros), wallet: wallet, occurrence: 0)
        })
        try await withClient(
            faults: FaultSettings(rate: 0.15, seed: 11, slowSeconds: 1.5), timeout: .seconds(1)
        ) { client, base in
            let wallets = world.wallets.map(\.truth.address)
            // Pages of three: enough paged requests past the first page that every kind of fault,
            // the repeated rows included, is drawn.
            let fetched = try await Self.fetchAll(client, wallets: wallets, pageSize: 3)
            // Distinct fills: exact repeats (same hash, size and price) are one key here; telling
            // them from rows repeated across pages is the fetcher's job (occurrence numbering).
            let got = Set(fetched.keys)
            #expect(got == expected, "missing \(expected.subtracting(got).count), unexpected \(got.subtracting(expected).count)")
            // The faults did happen, of every kind the client must survive.
            let status = try await AsyncHTTPTransport().get(base + "/__stub/status", timeout: .seconds(5))
            let counts = try #require(
                (try JSONSerialization.jsonObject(with: Data(status.body)) as? [String: Any])?["faults"] as? [String: Int])
            #expect(counts.values.reduce(0, +) >= 10, "\(counts)")
            #expect(counts.allSatisfy { $0.value > 0 }, "\(counts)")
        }
    }
}

/// Counts calls from a `@Sendable` closure.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    var value: Int { lock.withLock { count } }
    func add() { lock.withLock { count += 1 } }
}
