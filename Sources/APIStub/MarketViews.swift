import Foundation
import RemoraSimulator

/// What the APIs show of a market at the replay's "now".
extension StubWorld {
    /// Markets appear once they opened.
    func isVisible(_ market: StubMarket, at now: Int64) -> Bool { market.truth.startTime <= now }

    func state(of market: StubMarket, at now: Int64) -> MarketState {
        MarketTimeline.state(of: market.truth, at: now, midpoint: market.midpoint(at: now))
    }

    /// USDC traded in `market` up to `time`. Taker rows are summed (one per fill) and scaled so
    /// that at the world's end the figure equals the `volume` the generator wrote into
    /// `markets.json`, whatever volume definition it used.
    func tradedVolume(_ market: StubMarket, through time: Int64) -> Double {
        let seen = upperBound(market.tradeIndexes.count, time) { trades.timestamp[Int(market.tradeIndexes[$0])] }
        let taker = market.takerNotional[seen]
        let takerTotal = market.takerNotional[market.takerNotional.count - 1]
        guard market.volumeAtEnd > 0, takerTotal > 0 else { return taker }
        return market.volumeAtEnd * taker / takerTotal
    }

    /// The price of the last trade in `market` up to `now`, in outcome `outcome`'s terms.
    func lastTradePrice(_ market: StubMarket, outcome: Int, at now: Int64) -> Double? {
        let seen = upperBound(market.tradeIndexes.count, now) { trades.timestamp[Int(market.tradeIndexes[$0])] }
        guard seen > 0 else { return nil }
        let trade = Int(market.tradeIndexes[seen - 1])
        let price = trades.price[trade]
        return Int(trades.outcome[trade]) == outcome ? price : 1 - price
    }

    /// The current price of each outcome as a number (midpoint while trading, the last price
    /// while the answer is pending, then the payout).
    func outcomePrices(_ market: StubMarket, at now: Int64) -> [Double] {
        state(of: market, at: now).outcomePrices.map { Double($0) ?? 0 }
    }

    /// The Gamma `/markets` object at `now`: the world-end object with every time-dependent key
    /// recomputed (state, prices, statuses, volumes, price changes).
    func gammaObject(_ market: StubMarket, at now: Int64) -> [String: Any] {
        var object = market.gamma.fields
        let midpoint = market.midpoint(at: now)
        let state = MarketTimeline.state(of: market.truth, at: now, midpoint: midpoint)
        let volume = tradedVolume(market, through: now)
        MarketTimeline.apply(state, market: market.truth, volume: volume, midpoint: midpoint, to: &object)
        let windows: [(String, Int64)] = [
            ("volume24hr", 86_400), ("volume1wk", 7 * 86_400), ("volume1mo", 30 * 86_400), ("volume1yr", 365 * 86_400),
        ]
        for (key, span) in windows {
            let windowVolume = roundTo(volume - tradedVolume(market, through: now - span), places: 6)
            if object[key] != nil { object[key] = windowVolume }
            if object[key + "Clob"] != nil { object[key + "Clob"] = windowVolume }
        }
        let changes: [(String, Int64)] = [
            ("oneHourPriceChange", 3_600), ("oneDayPriceChange", 86_400), ("oneWeekPriceChange", 7 * 86_400),
            ("oneMonthPriceChange", 30 * 86_400), ("oneYearPriceChange", 365 * 86_400),
        ]
        for (key, span) in changes where object[key] != nil {
            object[key] = roundTo(midpoint - market.midpoint(at: now - span), places: 4)
        }
        if var events = object["events"] as? [[String: Any]], !events.isEmpty, let eventId = market.eventId,
            let event = eventById[eventId]
        {
            let closed = self.events[event].markets.allSatisfy { now >= markets[$0].truth.closedTime }
            events[0]["closed"] = closed
            object["events"] = events
        }
        return object
    }

    /// The CLOB `GET /markets/{condition_id}` object (see `clob-markets.json`).
    func clobObject(_ market: StubMarket, at now: Int64) -> [String: Any] {
        let state = state(of: market, at: now)
        let gamma = market.gamma.fields
        let prices = state.outcomePrices.map { Double($0) ?? 0 }
        let tokens: [[String: Any]] = market.truth.tokenIds.enumerated().map { index, token in
            [
                "token_id": token,
                "outcome": index < market.outcomes.count ? market.outcomes[index] : "",
                "price": index < prices.count ? prices[index] : 0,
                "winner": state.resolved && market.payout(outcome: index) == 1,
            ]
        }
        return [
            "enable_order_book": gamma["enableOrderBook"] as? Bool ?? true,
            "active": state.active,
            "closed": state.closed,
            "archived": false,
            "accepting_orders": state.acceptingOrders,
            "accepting_order_timestamp": MarketTimeline.iso8601(market.truth.startTime),
            "minimum_order_size": market.truth.minOrderSize,
            "minimum_tick_size": market.truth.tick,
            "condition_id": market.conditionId,
            "question_id": gamma["questionID"] as? String ?? "",
            "question": market.question,
            "description": gamma["description"] as? String ?? "",
            "market_slug": market.slug,
            "end_date_iso": market.endDate,
            "game_start_time": NSNull(),
            "seconds_delay": 0,
            "fpmm": "",
            "maker_base_fee": 0,
            // Basis points of the taker fee rate (fee = shares × rate × p × (1 − p)).
            "taker_base_fee": Int((market.truth.takerFeeRate * 10_000).rounded()),
            "notifications_enabled": true,
            "neg_risk": market.negRisk,
            "neg_risk_market_id": gamma["negRiskMarketID"] as? String ?? "",
            "neg_risk_request_id": gamma["negRiskRequestID"] as? String ?? "",
            "icon": market.icon,
            "image": market.image,
            "rewards": ["rates": NSNull(), "min_size": 0, "max_spread": 0] as [String: Any],
            "is_50_50_outcome": false,
            "tokens": tokens,
            "tags": ["All"],
        ]
    }
}
