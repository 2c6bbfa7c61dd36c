import Foundation
import Hummingbird
import HTTPTypes
import HummingbirdTesting
import Logging
import Synchronization
import Testing

@testable import RemoraAPIStub
@testable import RemoraSimulator

/// The API stub over the hand-made world of ``StubFixture``: expectations are computed from the
/// fixture's trade list or by hand, never read back from the stub.
@Suite struct APIStubTests {
    typealias F = StubFixture
    static let world: StubWorld = {
        let directory = try! F.write()
        defer { try? FileManager.default.removeItem(at: directory) }
        return try! StubWorld.load(from: directory)
    }()

    /// Runs `body` against the stub's router with the clock at `now`.
    func withStub(
        at now: Int64 = F.end, options: StubOptions = StubOptions(),
        _ body: @Sendable (any TestClientProtocol, ManualReplayClock) async throws -> Void
    ) async throws {
        let clock = ManualReplayClock(at: now)
        let stub = APIStub(world: Self.world, clock: clock, options: options)
        let app = Application(router: stub.makeRouter())
        try await app.test(.router) { client in try await body(client, clock) }
    }

    // MARK: Loading

    @Test func loadsTheFixture() throws {
        #expect(Self.world.tradeCount == F.trades.count)
        #expect(Self.world.walletCount == 4)
        #expect(Self.world.markets.map(\.gammaId) == ["101", "102", "103"])
        #expect(Self.world.trades.isMaker.filter { $0 }.count == F.trades.filter(\.isMaker).count)
        #expect(Self.world.trades.size[0] == 120 && Self.world.trades.price[0] == 0.5)
    }

    @Test func missingTruthMarketIsALoadError() throws {
        let directory = try F.write()
        defer { try? FileManager.default.removeItem(at: directory) }
        var truth = try JSONDecoder().decode(WorldTruth.self, from: Data(contentsOf: directory.appendingPathComponent("truth.json")))
        truth.markets.removeLast()
        try JSONEncoder().encode(truth).write(to: directory.appendingPathComponent("truth.json"))
        #expect(throws: WorldLoadError.self) { try StubWorld.load(from: directory) }
    }

    // MARK: Data API /trades

    @Test func tradesServeTheRawRowsNewestFirst() async throws {
        try await withStub { client, _ in
            let response = try await client.get("/trades?takerOnly=false&limit=1000")
            // File order is time order, so newest first with "later line first" on ties is the
            // file reversed, byte for byte.
            #expect(response.text == "[" + F.tradeLines.reversed().joined(separator: ",") + "]")
        }
    }

    @Test func tradesPageByLimitAndOffset() async throws {
        try await withStub { client, _ in
            let all = try await client.get("/trades").array
            #expect(all.count == F.trades.filter { !$0.isMaker }.count)
            let times = all.map { $0["timestamp"] as! Int }
            #expect(times == times.sorted(by: >))
            var paged: [[String: Any]] = []
            var offset = 0
            while true {
                let page = try await client.get("/trades?limit=7&offset=\(offset)").array
                if page.isEmpty { break }
                #expect(page.count <= 7)
                paged += page
                offset += 7
            }
            #expect(paged.map(\.hashKey) == all.map(\.hashKey))
            #expect(try await client.get("/trades?limit=0").array.isEmpty)
            // Two fills of one transaction: both served, the later line first.
            let shared = all.filter { $0["transactionHash"] as? String == "0x" + String(repeating: "ee", count: 32) }
            #expect(shared.map { $0["size"] as! Double } == [80, 120])
        }
    }

    @Test func tradesOffsetBeyondTheCapIsA400() async throws {
        try await withStub { client, _ in
            let response = try await client.get("/trades?offset=10001")
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == "max historical activity offset of 10000 exceeded")
            #expect(try await client.get("/trades?offset=10000").status == .ok)
        }
        try await withStub(options: StubOptions(offsetCap: 20)) { client, _ in
            #expect(try await client.get("/trades?offset=20").status == .ok)
            let response = try await client.get("/data-api/trades?offset=21")
            #expect(response.status == .badRequest)
            #expect(response.object["error"] as? String == "max historical activity offset of 20 exceeded")
        }
    }

    @Test func tradesFilters() async throws {
        try await withStub { client, _ in
            func expected(_ keep: (F.TradeSpec) -> Bool) -> Int { F.trades.filter(keep).count }
            #expect(try await client.get("/trades?user=\(F.alice)").array.count == expected { $0.wallet == F.alice && !$0.isMaker })
            #expect(try await client.get("/trades?user=\(F.alice.uppercased().replacingOccurrences(of: "0X", with: "0x"))").array.count == 7)
            #expect(try await client.get("/trades?user=\(F.carol)").array.isEmpty)  // a maker only
            #expect(try await client.get("/trades?user=\(F.carol)&takerOnly=false").array.count == expected { $0.wallet == F.carol })
            #expect(try await client.get("/trades?takerOnly=false").array.count == F.trades.count)

            let twoMarkets = try await client.get("/trades?market=\(F.marketA.conditionId),\(F.marketC.conditionId)").array
            #expect(twoMarkets.count == expected { !$0.isMaker && $0.market.name != "B" })
            #expect(Set(twoMarkets.map { $0["conditionId"] as! String }) == [F.marketA.conditionId, F.marketC.conditionId])
            let byEvent = try await client.get("/trades?eventId=9001").array
            #expect(byEvent.count == twoMarkets.count)

            let sells = try await client.get("/trades?side=SELL").array
            #expect(sells.count == expected { !$0.isMaker && !$0.isBuy } && sells.allSatisfy { $0["side"] as? String == "SELL" })
            let aliceSells = try await client.get("/trades?user=\(F.alice)&side=SELL&market=\(F.marketB.conditionId)").array
            #expect(aliceSells.count == 1 && aliceSells[0]["size"] as? Double == 30)

            let cash = try await client.get("/trades?filterType=CASH&filterAmount=50").array
            #expect(cash.count == expected { !$0.isMaker && $0.notional >= 50 })
            let tokens = try await client.get("/trades?filterType=TOKENS&filterAmount=50").array
            #expect(tokens.count == expected { !$0.isMaker && $0.size >= 50 })
            #expect(try await client.get("/trades?filterType=CASH").status == .badRequest)
            #expect(try await client.get("/trades?side=HOLD").status == .badRequest)
        }
    }

    @Test func replayClockHidesFutureTrades() async throws {
        try await withStub(at: F.t0 + 2 * F.hour) { client, clock in
            let early = try await client.get("/trades?takerOnly=false").array
            #expect(early.count == F.trades.filter { $0.time <= F.t0 + 2 * F.hour }.count)
            #expect(early.allSatisfy { ($0["timestamp"] as! Int) <= F.t0 + 2 * F.hour })
            clock.set(F.t0 + 50 * F.hour)
            let later = try await client.get("/trades?takerOnly=false&user=\(F.alice)").array
            #expect(later.count == F.trades.filter { $0.wallet == F.alice && $0.time <= F.t0 + 50 * F.hour }.count)
            let status = try await client.get("/__stub/status").object
            #expect(status["now"] as? Int == Int(F.t0 + 50 * F.hour))
        }
    }

    /// A clock that moves one second each time it is read, so that two reads in one request differ.
    final class TickingReplayClock: ReplayClock {
        private let next: Mutex<Int64>
        init(at start: Int64) { next = Mutex(start) }
        func now() -> Int64 { next.withLock { value in defer { value += 1 }; return value } }
        var speed: Double? { 1 }
    }

    /// The resolver dates a result by the replay-time header (`min(header, updatedAt)`): a body
    /// read at a later instant than the header would date a resolution before it was written.
    @Test func headerAndBodyShowOneInstant() async throws {
        let resolved = F.marketA.resolved
        let stub = APIStub(world: Self.world, clock: TickingReplayClock(at: resolved - 1))
        try await Application(router: stub.makeRouter()).test(.router) { client in
            let response = try await client.get("/markets/101")
            let header = Int64(response.headers[HTTPField.Name(replayTimeHeader)!] ?? "")
            #expect(header == resolved - 1)
            #expect(response.object["umaResolutionStatus"] as? String == "proposed", "the body is as of the header's instant")
            let status = try await client.get("/__stub/status")
            #expect(status.object["now"] as? Int == Int(resolved), "one read of the clock per request")
        }
    }

    @Test func runningClockAdvancesAtItsSpeed() async throws {
        let clock = RunningReplayClock(origin: F.t0, speed: 3_600)
        #expect(clock.now() >= F.t0 && clock.now() < F.t0 + 60)
        try await Task.sleep(for: .milliseconds(300))
        #expect(clock.now() >= F.t0 + 1_080 && clock.speed == 3_600)  // ≥ 0.3 s × 3600
        let stub = APIStub(world: Self.world, clock: clock)
        try await Application(router: stub.makeRouter()).test(.router) { client in
            let status = try await client.get("/__stub/status").object
            #expect(status["speed"] as? Double == 3_600 && (status["now"] as! Int) >= Int(F.t0 + 1_080))
        }
    }

    // MARK: Gamma

    @Test func marketsAppearThenCloseThenResolve() async throws {
        try await withStub(at: F.t0 + 12 * F.hour) { client, clock in
            #expect(try await client.get("/markets").array.map { $0["id"] as! String } == ["101", "103"])
            let missing = try await client.get("/markets/102")
            #expect(missing.status == .notFound && missing.object["error"] as? String == "market not found")

            clock.set(F.t0 + 48 * F.hour)
            #expect(try await client.get("/gamma-api/markets?closed=false").array.count == 3)
            var a = try await client.get("/markets/101").object
            #expect(a["closed"] as? Bool == false && a["active"] as? Bool == true)
            #expect(a["umaResolutionStatuses"] as? String == "[]" && a["umaResolutionStatus"] == nil)
            #expect(a["outcomePrices"] as? String == #"["0.56", "0.44"]"#)  // 0.40 + 0.40 × 48/120

            clock.set(F.t0 + 120 * F.hour + 1_800)  // closed, nothing proposed yet
            a = try await client.get("/markets/101").object
            #expect(a["closed"] as? Bool == true && a["active"] as? Bool == true)
            #expect(a["umaResolutionStatuses"] as? String == "[]" && a["closedTime"] as? String == "2026-01-06 00:00:00+00")
            #expect(a["outcomePrices"] as? String == #"["0.8", "0.2"]"#)

            clock.set(F.t0 + 122 * F.hour)
            a = try await client.get("/markets/101").object
            #expect(a["umaResolutionStatus"] as? String == "proposed")
            #expect(a["outcomePrices"] as? String == #"["0.8", "0.2"]"#)

            clock.set(F.t0 + 123 * F.hour)
            a = try await client.get("/markets/101").object
            #expect(a["umaResolutionStatus"] as? String == "resolved")
            #expect(a["umaResolutionStatuses"] as? String == #"["proposed", "resolved"]"#)
            #expect(a["outcomePrices"] as? String == #"["1", "0"]"#)
            #expect(try await client.get("/markets?closed=true").array.map { $0["id"] as! String } == ["101", "103"])

            clock.set(F.end)
            let b = try await client.get("/markets/slug/market-b").object
            #expect(b["closed"] as? Bool == true && b["umaResolutionStatus"] as? String == "disputed")
            #expect(b["umaResolutionStatuses"] as? String == #"["proposed", "disputed"]"#)
            #expect(b["outcomePrices"] as? String == #"["0.3", "0.7"]"#)  // pending: the last price
            let c = try await client.get("/markets/103").object
            #expect(c["outcomePrices"] as? String == #"["0.5", "0.5"]"# && c["umaResolutionStatus"] as? String == "resolved")
        }
    }

    @Test func marketVolumeFollowsTheClock() async throws {
        try await withStub(at: F.t0 + 2 * F.hour) { client, clock in
            // Taker rows only: 120 × 0.5 + 80 × 0.5 + 40 × 0.45.
            #expect(try await client.get("/markets/101").object["volume"] as? String == "118")
            clock.set(F.end)
            let volume = F.trades.filter { $0.market.name == "A" && !$0.isMaker }.reduce(0) { $0 + $1.notional }
            let a = try await client.get("/markets/101").object
            #expect(abs(Double(a["volume"] as! String)! - volume) < 1e-6)
            #expect(a["volume24hr"] as? Double == 0)  // nothing traded in the last day
        }
    }

    @Test func gammaFiltersOrderAndKeyset() async throws {
        try await withStub { client, _ in
            #expect(try await client.get("/markets?id=101&id=103").array.count == 2)
            let byCondition = try await client.get("/markets?condition_ids=\(F.marketB.conditionId),\(F.marketC.conditionId)").array
            #expect(byCondition.map { $0["id"] as! String } == ["102", "103"])
            let byVolume = try await client.get("/markets?order=volume&ascending=false").array.map { $0["id"] as! String }
            let volumes = F.markets.map { market in
                (market.gammaId, F.trades.filter { $0.market.name == market.name && !$0.isMaker }.reduce(0) { $0 + $1.notional })
            }
            #expect(byVolume == volumes.sorted { $0.1 > $1.1 }.map(\.0))
            #expect(try await client.get("/markets?limit=1&offset=1").array.map { $0["id"] as! String } == ["102"])
            #expect(try await client.get("/markets?order=colour").status == .badRequest)

            let first = try await client.get("/markets/keyset?limit=2").object
            #expect((first["markets"] as! [[String: Any]]).map { $0["id"] as! String } == ["101", "102"])
            let cursor = try #require(first["next_cursor"] as? String)
            let second = try await client.get("/markets/keyset?limit=2&after_cursor=\(cursor)").object
            #expect((second["markets"] as! [[String: Any]]).map { $0["id"] as! String } == ["103"])
            #expect(second["next_cursor"] == nil)
            #expect(try await client.get("/markets/keyset?offset=2").status == .badRequest)

            let events = try await client.get("/events?id=9001").array
            #expect(events.count == 1)
            let eventMarkets = try #require(events.first?["markets"] as? [[String: Any]])
            #expect(eventMarkets.map { $0["id"] as! String } == ["101", "103"] && events[0]["closed"] as? Bool == true)
            #expect(try await client.get("/events/slug/event-b").object["id"] as? String == "9002")
        }
    }

    // MARK: CLOB

    @Test func bookSidesAreOrderedBestLast() async throws {
        let now = F.t0 + 48 * F.hour
        try await withStub(at: now) { client, _ in
            for token in ["1001", "1002", "2001"] {
                let response = try await client.get("/clob/book?token_id=\(token)")
                #expect(response.status == .ok)
                let book = response.object
                #expect(book["timestamp"] as? String == String(now * 1_000))
                #expect(book["tick_size"] as? String == "0.01" && book["min_order_size"] as? String == "5")
                #expect(book["neg_risk"] as? Bool == false && book["asset_id"] as? String == token)
                #expect(book["last_trade_price"] is String && (book["hash"] as? String)?.count == 40)
                func levels(_ side: String) -> [(Double, Double)] {
                    (book[side] as! [[String: Any]]).map { level in
                        let price = level["price"] as! String
                        let size = level["size"] as! String
                        return (Double(price)!, Double(size)!)
                    }
                }
                let bids = levels("bids")
                let asks = levels("asks")
                #expect(!bids.isEmpty && !asks.isEmpty)
                #expect(bids.map(\.0) == bids.map(\.0).sorted())  // ascending: best bid last
                #expect(asks.map(\.0) == asks.map(\.0).sorted(by: >))  // descending: best ask last
                #expect(bids.last!.0 < asks.last!.0)
                for (price, size) in bids + asks {
                    #expect(price > 0 && price < 1 && size > 0)
                    #expect(abs(price * 100 - (price * 100).rounded()) < 1e-9)  // on the 0.01 tick
                }
            }
            #expect(try await client.get("/book?token_id=1001").status == .ok)
            #expect(try await client.get("/book").status == .badRequest)
            let unknown = try await client.get("/book?token_id=42")
            #expect(unknown.status == .notFound)
        }
        try await withStub(at: F.end) { client, _ in
            let closed = try await client.get("/clob/book?token_id=3001")
            #expect(closed.status == .notFound)
            #expect(closed.object["error"] as? String == "No orderbook exists for the requested token id")
        }
    }

    @Test func pricesHistoryWindowAndFidelity() async throws {
        let now = F.t0 + 48 * F.hour
        try await withStub(at: now) { client, _ in
            let tooLong = try await client.get("/prices-history?market=1001&startTs=\(F.t0)&endTs=\(F.t0 + 16 * 86_400)")
            #expect(tooLong.status == .badRequest)
            #expect(tooLong.object["error"] as? String == "invalid filters: 'startTs' and 'endTs' interval is too long")
            #expect(try await client.get("/prices-history?market=1001&startTs=\(F.t0)&endTs=\(F.t0 + 15 * 86_400)").status == .ok)
            #expect(try await client.get("/prices-history?market=1001").status == .badRequest)

            // Only up to now, even when the window reaches further.
            let clipped = try await client.get("/clob/prices-history?market=1001&startTs=\(F.t0)&endTs=\(F.t0 + 100 * F.hour)")
            let points = try #require(clipped.object["history"] as? [[String: Any]])
            #expect(points.count == 49 && points.last?["t"] as? Int == Int(now))

            let daily = try await client.get("/prices-history?market=1001&interval=1d&fidelity=180").object["history"] as! [[String: Any]]
            let times = daily.map { $0["t"] as! Int }
            #expect(times.count == 9 && times.first == Int(now - 86_400) && times.last == Int(now))
            #expect(zip(times, times.dropFirst()).allSatisfy { $1 - $0 == 3 * 3_600 })
            let second = try await client.get("/prices-history?market=1002&interval=1d&fidelity=180").object["history"] as! [[String: Any]]
            for (yes, no) in zip(daily, second) {
                #expect(abs((yes["p"] as! Double) + (no["p"] as! Double) - 1) < 1e-9)
            }
            #expect((try await client.get("/prices-history?market=999&interval=1d").object["history"] as? [Any])?.isEmpty == true)
        }
    }

    @Test func clobMarketShape() async throws {
        try await withStub(at: F.t0 + 48 * F.hour) { client, clock in
            var market = try await client.get("/clob/markets/\(F.marketA.conditionId)").object
            #expect(market["closed"] as? Bool == false && market["accepting_orders"] as? Bool == true)
            #expect(market["minimum_tick_size"] as? Double == 0.01 && market["minimum_order_size"] as? Double == 5)
            var tokens = market["tokens"] as! [[String: Any]]
            #expect(tokens.map { $0["token_id"] as! String } == ["1001", "1002"] && tokens.allSatisfy { $0["winner"] as? Bool == false })
            clock.set(F.end)
            market = try await client.get("/clob/markets/\(F.marketA.conditionId)").object
            tokens = market["tokens"] as! [[String: Any]]
            #expect(market["closed"] as? Bool == true && market["accepting_orders"] as? Bool == false)
            #expect(tokens.map { $0["winner"] as! Bool } == [true, false] && tokens.map { $0["price"] as! Double } == [1, 0])
            let void = try await client.get("/clob/markets/\(F.marketC.conditionId)").object["tokens"] as! [[String: Any]]
            #expect(void.allSatisfy { $0["winner"] as? Bool == false && $0["price"] as? Double == 0.5 })
            #expect(try await client.get("/clob/markets/0xdead").status == .notFound)
        }
    }

    // MARK: Activity and positions

    /// The keys of a real `/activity` row (`captures/data-api-activity.json`).
    static let activityKeys: Set<String> = [
        "proxyWallet", "timestamp", "conditionId", "type", "size", "usdcSize", "transactionHash", "price", "asset", "side",
        "outcomeIndex", "title", "slug", "icon", "eventSlug", "outcome", "name", "pseudonym", "bio", "profileImage",
        "profileImageOptimized",
    ]

    @Test func activityHasTradesAndRedemptions() async throws {
        try await withStub { client, clock in
            let rows = try await client.get("/activity?user=\(F.alice)&limit=500").array
            #expect(rows.count == F.trades.filter { $0.wallet == F.alice }.count + 2)
            #expect(rows.allSatisfy { Set($0.keys) == Self.activityKeys })
            let times = rows.map { $0["timestamp"] as! Int }
            #expect(times == times.sorted(by: >))

            let redeems = rows.filter { $0["type"] as? String == "REDEEM" }
            #expect(redeems.map { $0["conditionId"] as! String } == [F.marketA.conditionId, F.marketC.conditionId])
            // A resolved YES: 200 Yes pay 1, 40 No pay 0.
            #expect(redeems[0]["timestamp"] as? Int == Int(F.marketA.resolved))
            #expect(redeems[0]["size"] as? Double == 240 && redeems[0]["usdcSize"] as? Double == 200)
            // C void: 10 shares at 0.5.
            #expect(redeems[1]["size"] as? Double == 10 && redeems[1]["usdcSize"] as? Double == 5)
            for redeem in redeems {
                #expect(redeem["asset"] as? String == "" && redeem["side"] as? String == "")
                #expect(redeem["outcomeIndex"] as? Int == 999 && redeem["price"] as? Double == 0)
                #expect(redeem["name"] as? String == "alice")
            }
            let trade = try #require(rows.last)  // the oldest: the 120-share fill at 0.50
            #expect(trade["type"] as? String == "TRADE" && trade["usdcSize"] as? Double == 60)

            #expect(try await client.get("/activity?user=\(F.alice)&type=REDEEM").array.count == 2)
            let ascending = try await client.get("/activity?user=\(F.alice)&sortDirection=ASC&limit=2").array
            #expect(ascending.map { $0["size"] as! Double } == [120, 80])
            #expect(try await client.get("/activity").status == .badRequest)

            clock.set(F.t0 + 100 * F.hour)  // C resolved, A not yet
            let early = try await client.get("/activity?user=\(F.alice)&type=REDEEM").array
            #expect(early.map { $0["conditionId"] as! String } == [F.marketC.conditionId])
        }
    }

    @Test func activityKeysMatchTheRealCapture() throws {
        let capture = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("../shared/polymarket/captures/data-api-activity.json")
            .standardizedFileURL
        guard let data = try? Data(contentsOf: capture) else {
            print("skipped: no capture at \(capture.path)")
            return
        }
        let rows = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
        for row in rows { #expect(Set(row.keys) == Self.activityKeys) }
    }

    @Test func positionsWithAverageCost() async throws {
        try await withStub(at: F.t0 + 96 * F.hour) { client, clock in
            let rows = try await client.get("/positions?user=\(F.alice)").array
            // C resolved at exactly this moment: redeemed, gone.
            #expect(rows.map { $0["asset"] as! String } == ["1001", "2001", "1002"])  // by size, descending
            let b = rows[1]
            // Bought 100 @ 0.60 and 50 @ 0.45 (avg 0.55), sold 30 @ 0.50 (realized −1.5).
            #expect(b["size"] as? Double == 120 && b["avgPrice"] as? Double == 0.55)
            #expect(b["initialValue"] as? Double == 66 && b["totalBought"] as? Double == 150)
            #expect(b["realizedPnl"] as? Double == -1.5)
            #expect(b["curPrice"] as? Double == 0.42)  // 0.60 − 0.30 × 72/120
            #expect(b["currentValue"] as? Double == 50.4 && b["cashPnl"] as? Double == -15.6)
            #expect(b["percentPnl"] as? Double == -23.6364)
            #expect(b["mergeable"] as? Bool == false && b["redeemable"] as? Bool == false)
            #expect(b["outcome"] as? String == "Yes" && b["oppositeOutcome"] as? String == "No")
            #expect(b["oppositeAsset"] as? String == "2002" && b["outcomeIndex"] as? Int == 0)
            #expect(b["endDate"] as? String == "2026-01-07" && b["negativeRisk"] as? Bool == false)
            #expect(b["conditionId"] as? String == F.marketB.conditionId && b["proxyWallet"] as? String == F.alice)
            let yes = rows[0]
            let no = rows[2]
            #expect(yes["size"] as? Double == 200 && yes["avgPrice"] as? Double == 0.5 && yes["curPrice"] as? Double == 0.72)
            #expect(no["size"] as? Double == 40 && no["avgPrice"] as? Double == 0.45 && no["curPrice"] as? Double == 0.28)
            #expect(yes["mergeable"] as? Bool == true && no["mergeable"] as? Bool == true)

            #expect(try await client.get("/positions?user=\(F.alice)&sizeThreshold=150").array.count == 1)
            #expect(try await client.get("/positions?user=\(F.alice)&market=\(F.marketB.conditionId)").array.count == 1)
            let byPnl = try await client.get("/positions?user=\(F.alice)&sortBy=CASHPNL&sortDirection=ASC").array
            #expect(byPnl.first?["asset"] as? String == "2001")

            clock.set(F.end)
            let atEnd = try await client.get("/positions?user=\(F.alice)").array
            #expect(atEnd.map { $0["asset"] as! String } == ["2001"])
            #expect(atEnd[0]["curPrice"] as? Double == 0.3)  // closed, answer pending: the last price
        }
    }

    @Test func leaderboardPnlAndVolume() async throws {
        try await withStub { client, _ in
            let rows = try await client.get("/v1/leaderboard?timePeriod=ALL&limit=50").array
            let alice = try #require(rows.first { $0["proxyWallet"] as? String == F.alice })
            // A: −118 paid, 200 paid out; C: −5, +5; B: −82.5 + 15, 120 shares marked at 0.30.
            #expect(abs((alice["pnl"] as! Double) - 50.5) < 1e-6)
            #expect(abs((alice["vol"] as! Double) - 220.5) < 1e-6)
            #expect(alice["userName"] as? String == "alice" && alice["rank"] is String)
            #expect(Set(alice.keys) == ["rank", "proxyWallet", "userName", "xUsername", "verifiedBadge", "vol", "pnl", "profileImage"])
            let pnl = rows.map { $0["pnl"] as! Double }
            #expect(pnl == pnl.sorted(by: >) && rows.map { $0["rank"] as! String } == rows.indices.map { String($0 + 1) })

            let byVolume = try await client.get("/v1/leaderboard?timePeriod=ALL&orderBy=VOL").array.map { $0["vol"] as! Double }
            #expect(byVolume == byVolume.sorted(by: >))
            let politics = try await client.get("/v1/leaderboard?timePeriod=ALL&category=POLITICS&user=\(F.alice)").array
            #expect(politics.count == 1 && abs((politics[0]["pnl"] as! Double) - 82) < 1e-6)
            #expect(abs((politics[0]["vol"] as! Double) - 118) < 1e-6)
            // Nothing traded, paid or re-priced in the world's last day.
            #expect(try await client.get("/v1/leaderboard?timePeriod=DAY").array.isEmpty)
            #expect(try await client.get("/v1/leaderboard?category=GOSSIP").status == .badRequest)
            #expect(try await client.get("/v1/leaderboard?offset=1001").status == .badRequest)
        }
    }

    // MARK: Faults

    func faulted(_ kind: FaultKind, slowSeconds: Double = 5) -> StubOptions {
        StubOptions(faults: FaultSettings(rate: 1, kinds: [kind], seed: 7, slowSeconds: slowSeconds))
    }

    @Test func fault429() async throws {
        try await withStub(options: faulted(.tooManyRequests)) { client, _ in
            let response = try await client.get("/trades")
            #expect(response.status == .tooManyRequests && response.headers[.retryAfter] == "1")
            #expect(response.object["error"] as? String == "Too Many Requests")
            #expect(try await client.get("/gamma-api/markets/101").status == .tooManyRequests)  // prefixed routes too
            let status = try await client.get("/__stub/status")  // never faulted
            #expect(status.status == .ok)
            #expect(status.object["requests"] as? Int == 2)
            #expect((status.object["faults"] as? [String: Any])?["429"] as? Int == 2)
        }
    }

    @Test func faultError200() async throws {
        try await withStub(options: faulted(.error200)) { client, _ in
            let response = try await client.get("/markets")
            #expect(response.status == .ok && response.text == #"{"error":"Too Many Requests"}"#)
        }
    }

    @Test func fault5xx() async throws {
        try await withStub(options: faulted(.serverError)) { client, _ in
            var statuses: Set<Int> = []
            for _ in 0..<12 { statuses.insert(try await client.get("/book?token_id=2001").status.code) }
            #expect(statuses.isSubset(of: [500, 502, 503]) && statuses.count > 1)
        }
    }

    @Test func faultSlow() async throws {
        try await withStub(options: faulted(.slow, slowSeconds: 0.3)) { client, _ in
            let started = ContinuousClock.now
            let response = try await client.get("/trades?limit=3")
            #expect(ContinuousClock.now - started >= .milliseconds(300))
            #expect(response.status == .ok && response.array.count == 3)
        }
    }

    @Test func faultTruncated() async throws {
        let normal = try await fetch("/trades?limit=5")
        try await withStub(options: faulted(.truncated)) { client, _ in
            let response = try await client.get("/trades?limit=5")
            #expect(response.status == .ok)
            #expect(response.bytes == Array(normal.prefix(normal.count / 2)))
            #expect((try? JSONSerialization.jsonObject(with: Data(response.bytes))) == nil)
        }
    }

    @Test func faultMalformed() async throws {
        try await withStub(options: faulted(.malformed)) { client, _ in
            let response = try await client.get("/positions?user=\(F.alice)")
            #expect(response.status == .ok && response.text.contains("<html>"))
            #expect((try? JSONSerialization.jsonObject(with: Data(response.bytes))) == nil)
        }
    }

    @Test func faultRepeatedRows() async throws {
        try await withStub(options: faulted(.repeatedRows)) { client, _ in
            // Offset 0 cannot repeat anything: served normally.
            let first = try await client.get("/trades?limit=5&offset=0").array.map(\.hashKey)
            let second = try await client.get("/trades?limit=5&offset=5").array.map(\.hashKey)
            #expect(second.count == 5 && first.contains(second[0]))
            let status = try await client.get("/__stub/status").object["faults"] as? [String: Any]
            #expect(status?["repeat"] as? Int == 1)
        }
    }

    @Test func faultsAreDeterministicPerSeed() async throws {
        let options = StubOptions(faults: FaultSettings(rate: 0.5, kinds: [.tooManyRequests, .error200, .serverError], seed: 42))
        func run() async throws -> [Int] {
            let codes = Mutex<[Int]>([])
            try await withStub(options: options) { client, _ in
                for _ in 0..<20 {
                    let response = try await client.get("/trades?limit=1")
                    let code = response.status.code * 10 + (response.text.contains("error") ? 1 : 0)
                    codes.withLock { $0.append(code) }
                }
            }
            return codes.withLock { $0 }
        }
        let a = try await run()
        #expect(a == (try await run()))
        #expect(a.contains(2000) && a.contains { $0 != 2000 })  // some pass, some fail
    }

    // MARK: Live

    @Test func liveServerOnLoopback() async throws {
        let clock = ManualReplayClock(at: F.end)
        let stub = APIStub(world: Self.world, clock: clock)
        let boundPort = Mutex(0)
        var logger = Logger(label: "api-stub-test")
        logger.logLevel = .warning
        let app = stub.makeApplication(host: "127.0.0.1", port: 0, logger: logger) { port in
            boundPort.withLock { $0 = port }
        }
        try await app.test(.live) { client in
            let trades = try await client.get("/data-api/trades?limit=2")
            #expect(trades.status == .ok && trades.headers[.contentType] == "application/json")
            #expect(trades.array.count == 2)
            let market = try await client.get("/gamma-api/markets/101")
            #expect(market.object["conditionId"] as? String == F.marketA.conditionId)
            let status = try await client.get("/__stub/status").object
            #expect(status["requests"] as? Int == 2 && status["speed"] is NSNull)
            #expect(boundPort.withLock { $0 } == client.port && client.port != 0)
        }
    }

    /// The unfaulted body of `uri`.
    func fetch(_ uri: String) async throws -> [UInt8] {
        let result = Mutex<[UInt8]>([])
        try await withStub { client, _ in
            let bytes = try await client.get(uri).bytes
            result.withLock { $0 = bytes }
        }
        return result.withLock { $0 }
    }
}

extension TestClientProtocol {
    func get(_ uri: String) async throws -> TestResponse {
        try await execute(uri: uri, method: .get)
    }
}

extension TestResponse {
    var bytes: [UInt8] { body.getBytes(at: body.readerIndex, length: body.readableBytes) ?? [] }
    var text: String { String(decoding: bytes, as: UTF8.self) }
    var json: Any? { try? JSONSerialization.jsonObject(with: Data(bytes)) }
    var array: [[String: Any]] { json as? [[String: Any]] ?? [] }
    var object: [String: Any] { json as? [String: Any] ?? [:] }
}

extension Dictionary where Key == String, Value == Any {
    /// A trade row's identity for comparisons: hash, size and time (fills share hashes).
    var hashKey: String { "\(self["transactionHash"] ?? "")|\(self["size"] ?? "")|\(self["timestamp"] ?? "")|\(self["proxyWallet"] ?? "")" }
}
