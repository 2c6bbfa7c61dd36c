internal import Foundation

/// A resolved trade seen through time decay: when it happened, whether it won, and its size.
public struct TimedOutcome: Sendable, Hashable {
    /// When the trade resolved, in seconds since the Unix epoch (UTC), as the APIs report it.
    public let timestamp: Double
    /// True when the position won (paid out).
    public let won: Bool
    /// Traded notional in USD (≥ 0); used by the decay-weighted volume.
    public let notionalUSD: Double

    /// A resolved trade at `timestamp` (Unix seconds) with outcome `won` and size `notionalUSD`.
    public init(timestamp: Double, won: Bool, notionalUSD: Double = 0) {
        self.timestamp = timestamp
        self.won = won
        self.notionalUSD = notionalUSD
    }
}

/// Exponential time decay with a half-life: an observation `age` days old weighs 2^(−age/halfLife).
///
/// There is no clock here: every function takes the "as of" instant explicitly (Unix seconds), so
/// results are reproducible. Observations after `asOf` (clock skew) are treated as age 0, weight 1.
public struct TimeDecay: Sendable, Hashable {
    /// Half-life in days (default 60): a trade this old counts half as much as one made at `asOf`.
    public let halfLifeDays: Double

    /// Decay with the given half-life in days (must be > 0 for meaningful weights).
    public init(halfLifeDays: Double = 60) {
        self.halfLifeDays = halfLifeDays
    }

    /// Seconds in a day (86,400).
    public static let secondsPerDay: Double = 86_400

    /// Weight 2^(−age/halfLife) of an observation at `timestamp`, seen from `asOf` (both Unix seconds);
    /// in (0, 1], exactly 1 at age 0 and 0.5 at one half-life.
    public func weight(at timestamp: Double, asOf: Double) -> Double {
        let ageDays = max(0, asOf - timestamp) / Self.secondsPerDay
        return exp2(-ageDays / halfLifeDays)
    }

    /// Decay-weighted win rate Σwᵢ·wonᵢ / Σwᵢ; NaN when there are no trades.
    public func winRate(_ outcomes: [TimedOutcome], asOf: Double) -> Double {
        let counts = effectiveCounts(outcomes, asOf: asOf)
        let total = counts.wins + counts.losses
        return total > 0 ? counts.wins / total : .nan
    }

    /// Decay-weighted wins and losses (fractional pseudo-counts), e.g. to feed `BayesianWinRate`.
    public func effectiveCounts(_ outcomes: [TimedOutcome], asOf: Double) -> (wins: Double, losses: Double) {
        var wins = CompensatedSum()
        var losses = CompensatedSum()
        for o in outcomes {
            let w = weight(at: o.timestamp, asOf: asOf)
            if o.won { wins.add(w) } else { losses.add(w) }
        }
        return (wins.value, losses.value)
    }

    /// Decay-weighted traded volume Σwᵢ·notionalᵢ in USD.
    public func volume(_ outcomes: [TimedOutcome], asOf: Double) -> Double {
        var total = CompensatedSum()
        for o in outcomes { total.add(weight(at: o.timestamp, asOf: asOf) * o.notionalUSD) }
        return total.value
    }
}
