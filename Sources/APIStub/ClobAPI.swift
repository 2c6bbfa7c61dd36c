import Foundation
import Hummingbird
import RemoraSimulator

/// CLOB API: `/book`, `/prices-history`, `/markets/{condition_id}`.
extension APIStub {
    static let noOrderbook = "No orderbook exists for the requested token id"
    /// The measured cap on an explicit `startTs`..`endTs` window: 15 days.
    static let priceHistoryMaximumWindow: Int64 = 15 * 86_400
    /// `interval=max` (and `all`) answers the last 31 days only, as measured on the real API.
    static let priceHistoryMaxInterval: Int64 = 31 * 86_400
    static let priceHistoryIntervals: [String: Int64] = [
        "1h": 3_600, "6h": 6 * 3_600, "1d": 86_400, "1w": 7 * 86_400, "1m": 30 * 86_400,
        "max": priceHistoryMaxInterval, "all": priceHistoryMaxInterval,
    ]

    /// `GET /book?token_id=`: the modelled book at now, drawn once per minute of replay time.
    /// Replay extension (the real CLOB ignores it): `at=UNIX_SECONDS` answers the book of that
    /// instant, at or before the replay clock — a later one is refused — so a replayed decision
    /// reads the book of its own event time, whatever the clock says when it asks.
    func book(_ query: Query, now replayNow: Int64) throws -> Response {
        guard let token = query.string("token_id") else { throw StubError.badRequest("Invalid token id") }
        var now = replayNow
        if let at = try query.integer("at") {
            guard at <= replayNow else { throw StubError.badRequest("'at' \(at) is after the replay clock \(replayNow)") }
            now = at
        }
        guard let replay = world.replayBook(token: token, at: now) else { throw StubError.notFound(Self.noOrderbook) }
        let (market, book, tick, moment) = (world.markets[replay.market], replay.book, replay.tick, replay.moment)
        let lastTrade = replay.lastTradePrice

        var writer = JSONWriter()
        writer.beginObject()
        writer.field("market", market.conditionId)
        writer.field("asset_id", token)
        writer.field("timestamp", String(now * 1_000))
        writer.field("hash", stableHex("book \(token) \(moment) \(now)", digits: 40))
        for (name, levels) in [("bids", book.bids), ("asks", book.asks)] {
            writer.key(name)
            writer.beginArray()
            for level in levels {
                writer.beginObject()
                writer.field("price", MarketTimeline.formatPrice(level.price, tick: tick))
                writer.field("size", decimalString(level.size, places: 2))
                writer.endObject()
            }
            writer.endArray()
        }
        writer.field("min_order_size", decimalString(market.truth.minOrderSize, places: 6))
        writer.field("tick_size", decimalString(tick, places: 6))
        writer.field("neg_risk", market.negRisk)
        writer.field("last_trade_price", MarketTimeline.formatPrice(lastTrade, tick: tick))
        writer.endObject()
        return .json(writer.bytes)
    }

    /// `GET /prices-history?market=TOKEN_ID`: the token's midpoints up to now, in a window given
    /// by `startTs` (and `endTs`, default now) or by `interval`, thinned to the first point of
    /// each `fidelity`-minute bucket counted from the epoch (so pages of one series agree).
    func pricesHistory(_ query: Query, now: Int64) throws -> Response {
        guard let token = query.string("market") else { throw StubError.badRequest("market is required") }
        let startTs = try query.integer("startTs")
        let endTs = try query.integer("endTs")
        let fidelity = try query.integer("fidelity")
        if let fidelity, fidelity <= 0 { throw StubError.badRequest("invalid 'fidelity': \(fidelity)") }
        let from: Int64
        var to = endTs ?? now
        if let startTs {
            if to - startTs > Self.priceHistoryMaximumWindow {
                throw StubError.badRequest("invalid filters: 'startTs' and 'endTs' interval is too long")
            }
            from = startTs
        } else if let interval = query.string("interval") {
            guard let span = Self.priceHistoryIntervals[interval] else {
                throw StubError.badRequest("invalid 'interval': \(interval)")
            }
            to = now
            from = now - span
        } else {
            throw StubError.badRequest("the time component is mandatory")
        }
        to = min(to, now)

        var writer = JSONWriter()
        writer.beginObject()
        writer.key("history")
        writer.beginArray()
        for point in world.historyPoints(token: token, from: from, through: to, fidelityMinutes: fidelity) {
            writer.beginObject()
            writer.field("t", point.t)
            writer.field("p", point.p)
            writer.endObject()
        }
        writer.endArray()
        writer.endObject()
        return .json(writer.bytes)
    }

    /// `GET /clob/markets/{condition_id}` in the CLOB shape.
    func clobMarket(conditionId: String, now: Int64) throws -> Response {
        guard let index = world.marketByCondition[conditionId] ?? world.marketByCondition[conditionId.lowercased()],
            world.isVisible(world.markets[index], at: now)
        else { throw StubError.notFound("market not found") }
        return .json(object: world.clobObject(world.markets[index], at: now))
    }
}

/// The world model's market data, shared by the HTTP answers and the in-process source.
extension StubWorld {
    /// A token's book at an instant, as the stub serves it.
    public struct ReplayBook: Sendable {
        public let market: Int
        public let outcome: Int
        public let book: OrderBookSnapshot
        public let tick: Double
        public let minOrderSize: Double
        public let lastTradePrice: Double
        /// The minute the book is drawn for (its noise seed).
        public let moment: Int64
    }

    /// The book of `token` at `now` (unix seconds): nil when there is none then (unknown token,
    /// market not yet open, or closed). Drawn once per minute.
    public func replayBook(token: String, at now: Int64) -> ReplayBook? {
        guard let ref = tokens[token] else { return nil }
        let market = markets[ref.market]
        guard isVisible(market, at: now), now < market.truth.closedTime else { return nil }
        let midpoint = market.midpoint(at: now)
        let outcomeMid = ref.outcome == 0 ? midpoint : 1 - midpoint
        let tick = OrderBookModel.tick(market: market.truth, price: outcomeMid)
        let moment = now / 60
        let book = OrderBookModel.book(
            market: market.truth, outcomeIndex: ref.outcome, midpoint: midpoint, moment: moment,
            taken: takenDepth(market, outcome: ref.outcome, at: now))
        let lastTrade = lastTradePrice(market, outcome: ref.outcome, at: now) ?? outcomeMid
        return ReplayBook(
            market: ref.market, outcome: ref.outcome, book: book, tick: tick, minOrderSize: market.truth.minOrderSize,
            lastTradePrice: lastTrade, moment: moment)
    }

    /// The depth of outcome `outcome`'s book that the taker fills up to `now` took and the makers
    /// have not put back yet (``ReactiveDepth``).
    func takenDepth(_ market: StubMarket, outcome: Int, at now: Int64) -> ReactiveDepth.Taken {
        var taken = ReactiveDepth.Taken.none
        var k = upperBound(market.tradeIndexes.count, now) { trades.timestamp[Int(market.tradeIndexes[$0])] } - 1
        while k >= 0 {
            let trade = Int(market.tradeIndexes[k])
            let age = now - trades.timestamp[trade]
            if age > ReactiveDepth.memorySeconds { break }
            if !trades.isMaker[trade] {
                taken.add(
                    shares: trades.size[trade], age: age, isBuy: trades.isBuy[trade], sameToken: Int(trades.outcome[trade]) == outcome)
            }
            k -= 1
        }
        return taken
    }

    /// `token`'s price points in `from ... through` (unix seconds) as `/prices-history` answers
    /// them: four decimals at most, the first point of each `fidelityMinutes` bucket.
    public func historyPoints(token: String, from: Int64, through: Int64, fidelityMinutes: Int64?) -> [(t: Int64, p: Double)] {
        guard let ref = tokens[token], let path = markets[ref.market].priceHistory else { return [] }
        // Four decimals at most: the finest tick (0.001) plus one, as the API prints.
        let tick = min(markets[ref.market].truth.tick, 0.001)
        let places = max(0, Int((-log10(tick)).rounded())) + 1
        let spacing = max(1, (fidelityMinutes ?? 1) * 60)
        var lastBucket = Int64.min
        var out: [(t: Int64, p: Double)] = []
        for point in path.points(from: from, to: through, outcomeIndex: ref.outcome) {
            let bucket = point.t >= 0 ? point.t / spacing : (point.t - spacing + 1) / spacing
            if bucket == lastBucket { continue }
            lastBucket = bucket
            out.append((point.t, roundTo(point.p, places: places)))
        }
        return out
    }
}
