public import Foundation
import RemoraModel

/// What Gamma shows of a market at one moment, derived from its ``MarketTruth``: open, then
/// closed, then proposed to the oracle, maybe disputed, then resolved. The generator writes
/// `markets.json` with it at the world's end and the API stub applies it at its replay "now",
/// so both agree.
public struct MarketState: Sendable, Equatable {
    public var active: Bool
    public var closed: Bool
    public var acceptingOrders: Bool
    /// The oracle statuses seen so far (Gamma's `umaResolutionStatuses`), the last is current.
    public var umaStatuses: [String]
    /// `outcomePrices` as Gamma writes them: midpoints while trading, the last price while the
    /// answer is pending, then "1"/"0" (or "0.5"/"0.5" when void).
    public var outcomePrices: [String]
    public var resolved: Bool
}

public enum MarketTimeline {
    /// The state at `time` (unix seconds); `midpoint` is the first token's price then.
    public static func state(of market: MarketTruth, at time: Int64, midpoint: Double) -> MarketState {
        let tradingPrices = [formatPrice(midpoint, tick: market.tick), formatPrice(1 - midpoint, tick: market.tick)]
        if time < market.closedTime {
            return MarketState(
                active: true, closed: false, acceptingOrders: true, umaStatuses: [], outcomePrices: tradingPrices,
                resolved: false)
        }
        var statuses: [String] = []
        if time >= market.proposedAt { statuses.append("proposed") }
        if let dispute = market.dispute {
            if time >= dispute.from { statuses.append("disputed") }
            if time >= dispute.to { statuses.append("proposed") }
        }
        let resolved = time >= market.resolvedAt
        if resolved { statuses.append("resolved") }
        let prices: [String]
        switch (resolved, market.outcome) {
        case (false, _): prices = tradingPrices
        case (true, .yes): prices = ["1", "0"]
        case (true, .no): prices = ["0", "1"]
        case (true, .void): prices = ["0.5", "0.5"]
        }
        // `active` stays true on closed markets, as on Polymarket.
        return MarketState(
            active: true, closed: true, acceptingOrders: false, umaStatuses: statuses, outcomePrices: prices,
            resolved: resolved)
    }

    /// Overwrites the time-dependent keys of a Gamma market object with the state at `time`.
    /// `volume` is the USDC traded up to then.
    public static func apply(
        _ state: MarketState, market: MarketTruth, volume: Double, midpoint: Double, to object: inout [String: Any]
    ) {
        object["active"] = state.active
        object["closed"] = state.closed
        object["acceptingOrders"] = state.acceptingOrders
        object["outcomePrices"] = jsonEncodedStrings(state.outcomePrices)
        object["umaResolutionStatuses"] = jsonEncodedStrings(state.umaStatuses)
        if let current = state.umaStatuses.last {
            object["umaResolutionStatus"] = current
        } else {
            object.removeValue(forKey: "umaResolutionStatus")
        }
        if state.closed {
            object["closedTime"] = gammaClosedTime(market.closedTime)
        } else {
            object.removeValue(forKey: "closedTime")
        }
        let volumeText = formatAmount(volume)
        object["volume"] = volumeText
        object["volumeNum"] = roundTo(volume, places: 6)
        object["volumeClob"] = roundTo(volume, places: 6)
        let touch = OrderBookModel.touch(market: market, outcomeIndex: 0, midpoint: midpoint)
        let (bid, ask) = (touch.bid, touch.ask)
        // The tick in force: 0.001 once the price leaves 0.04–0.96, as Polymarket changes it.
        object["orderPriceMinTickSize"] = OrderBookModel.tick(market: market, price: min(midpoint, 1 - midpoint))
        object["lastTradePrice"] = roundTo(midpoint, places: 4)
        object["bestBid"] = state.closed ? 0 : roundTo(bid, places: 4)
        object["bestAsk"] = state.closed ? 0 : roundTo(ask, places: 4)
        object["spread"] = state.closed ? 0 : roundTo(ask - bid, places: 4)
    }

    /// `["a", "b"]` as Gamma encodes lists inside strings: `"[\"a\", \"b\"]"`.
    public static func jsonEncodedStrings(_ values: [String]) -> String {
        "[" + values.map { "\"\($0)\"" }.joined(separator: ", ") + "]"
    }

    /// Gamma's `closedTime` format: `2026-06-04 00:34:19+00` (not ISO 8601).
    public static func gammaClosedTime(_ seconds: Int64) -> String {
        let d = civil(seconds)
        return String(format: "%04d-%02d-%02d %02d:%02d:%02d+00", d.year, d.month, d.day, d.hour, d.minute, d.second)
    }

    /// ISO 8601 with a `Z`, Gamma's `endDate`/`startDate` format.
    public static func iso8601(_ seconds: Int64) -> String {
        let d = civil(seconds)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02dZ", d.year, d.month, d.day, d.hour, d.minute, d.second)
    }

    /// `yyyy-MM-dd`.
    public static func isoDate(_ seconds: Int64) -> String {
        let d = civil(seconds)
        return String(format: "%04d-%02d-%02d", d.year, d.month, d.day)
    }

    /// A price on the market's tick, as the shortest decimal string ("0.054", "1").
    public static func formatPrice(_ value: Double, tick: Double) -> String {
        let places = max(0, Int((-log10(tick)).rounded()))
        return decimalString(roundTo(min(1, max(0, value)), places: places + 1), places: places + 1)
    }

    /// A USDC amount with 6 decimals, trailing zeros dropped.
    public static func formatAmount(_ value: Double) -> String { decimalString(value, places: 6) }
}

/// Rounds to `places` decimals (half away from zero).
public func roundTo(_ value: Double, places: Int) -> Double {
    let scale = pow(10, Double(places))
    return (value * scale).rounded() / scale
}

/// The shortest decimal string of `value` rounded to `places` decimals.
public func decimalString(_ value: Double, places: Int) -> String {
    let scale = Int64(pow(10, Double(places)))
    let scaled = Int64((value * Double(scale)).rounded())
    let negative = scaled < 0
    let magnitude = negative ? -scaled : scaled
    var text = String(magnitude / scale)
    var fraction = magnitude % scale
    if fraction != 0 {
        var digits = String(fraction)
        digits = String(repeating: "0", count: places - digits.count) + digits
        while digits.hasSuffix("0") {
            digits.removeLast()
            fraction /= 10
        }
        text += "." + digits
    }
    return negative ? "-" + text : text
}

/// Calendar fields of a unix time in UTC.
func civil(_ seconds: Int64) -> (year: Int, month: Int, day: Int, hour: Int, minute: Int, second: Int) {
    let days = Int(seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400)
    let rest = Int(seconds - Int64(days) * 86_400)
    let date = civilFromDays(days)
    return (date.year, date.month, date.day, rest / 3600, rest / 60 % 60, rest % 60)
}

/// Unix seconds of a UTC calendar date.
public func unixTime(year: Int, month: Int, day: Int) -> Int64 {
    Int64(daysFromCivil(year: year, month: month, day: day)) * 86_400
}
