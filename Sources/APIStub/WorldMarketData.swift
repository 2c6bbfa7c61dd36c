import Foundation
import RemoraSimulator
public import RemoraCore
public import RemoraModel

/// The world model's market data in process: the backtest's and the benchmarks' source, the
/// same numbers the API stub serves over HTTP (both come from ``StubWorld/replayBook(token:at:)``
/// and ``StubWorld/historyPoints(token:from:through:fidelityMinutes:)``, and the conversion to
/// micro-units goes through the same decimal text the stub prints).
public struct WorldMarketData: MarketData {
    public let world: StubWorld

    public init(world: StubWorld) { self.world = world }

    public func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook {
        let second = time.millis >= 0 ? time.millis / 1_000 : (time.millis - 999) / 1_000
        guard let replay = world.replayBook(token: token, at: second) else {
            throw .noBook(token, detail: "no order book then (market closed or not open)")
        }
        func level(_ level: BookLevel) -> DepthLevel {
            DepthLevel(
                price: Price(rounding: Double(MarketTimeline.formatPrice(level.price, tick: replay.tick))!)!,
                size: Shares(rounding: Double(decimalString(level.size, places: 2))!)!)
        }
        do {
            var book = try OrderBook(
                bids: replay.book.bids.map(level), asks: replay.book.asks.map(level),
                tick: Price(rounding: Double(decimalString(replay.tick, places: 6))!)!,
                minimumOrder: Shares(rounding: Double(decimalString(replay.minOrderSize, places: 6))!) ?? .zero,
                lastTradePrice: Price(rounding: Double(MarketTimeline.formatPrice(replay.lastTradePrice, tick: replay.tick))!))
            book.asOf = EventTime(seconds: second)
            return book
        } catch {
            throw .badBook(token, error)
        }
    }

    public func series(
        of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int
    ) async throws(MarketDataProblem) -> PriceSeries {
        // Each bucket's first point, those inside the range: asked from the first bucket's start,
        // as `ClobMarketData` asks the CLOB (a range starting mid-bucket would give that bucket a
        // later point).
        let spacing = Int64(max(1, fidelityMinutes)) * 60
        let second = from.millis >= 0 ? (from.millis + 999) / 1_000 : from.millis / 1_000
        let start = (second >= 0 ? second / spacing : (second - spacing + 1) / spacing) * spacing
        let last = through.millis / 1_000
        let points = world.historyPoints(token: token, from: start, through: last, fidelityMinutes: Int64(fidelityMinutes))
            .filter { $0.t * 1_000 >= from.millis }
            .compactMap { point in Price(rounding: point.p).map { PricePoint(time: EventTime(seconds: point.t), price: $0) } }
        return PriceSeries(token: token, fidelityMinutes: fidelityMinutes, points: points)
    }

    public func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms? {
        guard let index = world.marketByCondition[market.rawValue] else { return nil }
        let stub = world.markets[index]
        let truth = stub.truth
        let now = time.millis / 1_000
        guard truth.startTime <= now else { return nil }
        let end = ISO8601DateFormatter().date(from: stub.endDate).map { EventTime(millis: Int64($0.timeIntervalSince1970 * 1_000)) }
        return MarketTerms(
            conditionId: market, seenAt: time, endDate: end,
            closedAt: now >= truth.closedTime ? EventTime(seconds: truth.closedTime) : nil, acceptingOrders: now < truth.closedTime,
            takerFeeBps: Int((truth.takerFeeRate * 10_000).rounded()), tick: Price(rounding: truth.tick) ?? Price(micros: 10_000),
            minimumOrder: Shares(rounding: truth.minOrderSize) ?? .zero)
    }
}
