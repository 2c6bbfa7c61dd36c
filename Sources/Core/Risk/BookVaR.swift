public import RemoraModel
import RemoraQuant

/// Thresholds and method of the book's mVaR (docs/risk.md, "mVaR and the trading state").
public struct VaRPolicy: Sendable, Hashable {
    /// Tail probability: 0.01 is the 99 % one-day VaR.
    public var alpha: Double = 0.01
    /// Days of daily price changes behind the Cornish-Fisher part.
    public var windowDays: Int = 60
    /// A token with fewer daily price changes than this in the window is measured by the stand-in.
    public var minimumReturns: Int = 20
    /// The stand-in's horizon (days): a price that must reach 0 or 1 within T days moves with a
    /// daily variance of p(1 − p) ÷ T on average (a bounded martingale).
    public var standInHorizonDays: Int = 30
    /// The floor's horizon (days): the largest position may move on news as a price due to
    /// resolve within this many days does. Ten is what a book of one fresh position needs to be
    /// exceeded on about 1 % of simulated days (docs/risk.md, "Validation"); without the floor it
    /// was exceeded on 3.9 %. 0: no floor.
    public var floorHorizonDays: Int = 10
    /// Above this loss (ppm of NAV) an ACTIVE book goes REDUCING.
    public var reduceAbovePpm: Int64 = 80_000
    /// A REDUCING book goes back to ACTIVE only below this loss (ppm of NAV).
    public var activeBelowPpm: Int64 = 60_000

    public init() {}

    /// Green below ``activeBelowPpm``, yellow up to ``reduceAbovePpm``, red above.
    public func alert(_ loss: Double) -> TailRiskAlert {
        loss * 1_000_000 < Double(activeBelowPpm) ? .green : loss * 1_000_000 <= Double(reduceAbovePpm) ? .yellow : .red
    }
}

/// The book's one-day mVaR at a decision, as a fraction of NAV, and how it was reached.
public struct BookVaR: Sendable, Hashable, Codable {
    /// The loss: the Cornish-Fisher part plus the stand-in part, at most the positions' value.
    public var loss: Double
    /// The Cornish-Fisher (modified) VaR of the historical scenarios (0 without scenarios).
    public var cornishFisher: Double
    /// False when the Cornish-Fisher expansion left its domain and the larger of the Gaussian and
    /// historical VaR stood in (``TailRisk/assess(_:alpha:)``).
    public var cornishFisherValid: Bool
    /// Daily scenarios (the window's days on which a token with history moved or stood).
    public var scenarios: Int
    /// The part of the loss from tokens with short history.
    public var standIn: Double
    /// The least the loss can be: the largest position's one-day move on news (its value at most).
    public var floor: Double
    /// Held tokens measured by their history, and by the stand-in.
    public var tokensWithHistory: Int
    public var tokensStandIn: Int

    public static let nothingHeld = BookVaR(
        loss: 0, cornishFisher: 0, cornishFisherValid: true, scenarios: 0, standIn: 0, floor: 0, tokensWithHistory: 0, tokensStandIn: 0)

    public init(
        loss: Double, cornishFisher: Double, cornishFisherValid: Bool, scenarios: Int, standIn: Double, floor: Double,
        tokensWithHistory: Int, tokensStandIn: Int
    ) {
        self.loss = loss
        self.cornishFisher = cornishFisher
        self.cornishFisherValid = cornishFisherValid
        self.scenarios = scenarios
        self.standIn = standIn
        self.floor = floor
        self.tokensWithHistory = tokensWithHistory
        self.tokensStandIn = tokensStandIn
    }
}

/// The book's mVaR by historical scenarios on today's holdings (docs/risk.md):
/// - each held token's closes at the start of each of the `windowDays` + 1 days up to the
///   decision's day (the same closes as ``PortfolioCorrelation``), so every decision of a day
///   sees the same history;
/// - scenario j is the P&L today's shares would have made on day j, Σ shares × (close_j −
///   close_{j−1}), over NAV: a price change, not a relative return, because a binary token's price
///   is bounded in [0, 1] (a move from 2 ¢ to 4 ¢ is +100 %, and applied to a position marked at
///   50 ¢ would be a 50 ¢ move that never happened);
/// - the loss is the Cornish-Fisher VaR of the scenarios at α (the loss tail, z = Φ⁻¹(α) < 0:
///   ``TailRisk``), its fallback outside the expansion's domain, and never below 0;
/// - a token with fewer than `minimumReturns` changes (a new market) has no history to speak
///   for it: its stand-in is z₁₋α × shares × √(p(1 − p) ÷ T), the one-day move of a price that
///   must reach 0 or 1 in T days (a bounded martingale's variance p(1 − p) spread over its
///   remaining days; T is `standInHorizonDays`); the stand-ins and the Cornish-Fisher part
///   combine as independent (root of the sum of squares): the portfolio gate keeps a market, or
///   an event's other outcomes, to one exposure;
/// - the loss is at least the floor, the largest position's move on news: the same bounded
///   move over `floorHorizonDays` (ten), at most the position's value. Sixty days of one market
///   rarely hold the jump that decides one day in a hundred; without the floor a book of one
///   fresh position was exceeded on 3.9 % of simulated days, with it on 1.1 %;
/// - the total never exceeds the positions' value over NAV (a long position loses at most it).
public enum BookRisk {
    /// The mVaR of `book` (marked) at `time`, or nil when a held token has no daily series at
    /// all: market data did not answer for it, and the book fails closed on entries.
    public static func valueAtRisk(
        _ book: Book, at time: EventTime, daily: Marks, policy: VaRPolicy = VaRPolicy()
    ) -> BookVaR? {
        let nav = Double(book.nav.micros)
        guard book.positions.values.contains(where: { $0.shares.micros > 0 }), nav > 0 else { return BookVaR.nothingHeld }
        guard let found = scenarios(book, at: time, daily: daily, policy: policy) else { return nil }
        let returns = found.returns
        var cornishFisher = 0.0
        var valid = true
        if !returns.isEmpty {
            let assessment = TailRisk.assess(returns, alpha: policy.alpha)
            cornishFisher = max(0, assessment.alertLoss.isFinite ? assessment.alertLoss : 1)
            valid = assessment.modifiedVaRIsValid
        }
        let ceiling = Double(book.exposure.micros) / nav
        let measured = (cornishFisher * cornishFisher + found.standIn * found.standIn).squareRoot()
        return BookVaR(
            loss: min(ceiling, max(measured, found.floor)), cornishFisher: cornishFisher, cornishFisherValid: valid,
            scenarios: returns.count, standIn: found.standIn, floor: found.floor, tokensWithHistory: found.withHistory,
            tokensStandIn: found.standIns)
    }

    /// The historical scenarios of today's holdings (each a fraction of NAV), the stand-in of the
    /// tokens with short history and the floor (fractions of NAV); nil when a held token has no
    /// daily series at all.
    public static func scenarios(
        _ book: Book, at time: EventTime, daily: Marks, policy: VaRPolicy = VaRPolicy()
    ) -> (returns: [Double], standIn: Double, floor: Double, withHistory: Int, standIns: Int)? {
        let nav = Double(book.nav.micros)
        let held = book.positions.values.filter { $0.shares.micros > 0 }.sorted { $0.asset < $1.asset }
        var scenario = [Double](repeating: 0, count: policy.windowDays)
        var moved = [Bool](repeating: false, count: policy.windowDays)
        var standInVariance = 0.0
        var floorMicros = 0.0
        var withHistory = 0
        var standIns = 0
        let z = -NormalDistribution.standardQuantile(policy.alpha)
        for position in held {
            guard daily.series[position.asset] != nil else { return nil }
            let closes = PortfolioCorrelation.closes(of: position.asset, before: time, daily: daily, days: policy.windowDays)
            let shares = Double(position.shares.micros) / 1_000_000
            let p = position.mark.doubleValue
            // The one-day move at 99 % of a price due to reach 0 or 1 within `days`, in micro-USDC.
            func bounded(_ days: Int) -> Double { z * shares * 1_000_000 * (p * (1 - p) / Double(max(1, days))).squareRoot() }
            if policy.floorHorizonDays > 0 {
                floorMicros = max(floorMicros, min(shares * p * 1_000_000, bounded(policy.floorHorizonDays)))
            }
            var changes: [(Int, Double)] = []
            for j in 1..<closes.count {
                if let now = closes[j], let before = closes[j - 1] { changes.append((j - 1, shares * (now - before) * 1_000_000)) }
            }
            if changes.count >= policy.minimumReturns {
                withHistory += 1
                for (j, pnl) in changes {
                    scenario[j] += pnl
                    moved[j] = true
                }
            } else {
                standIns += 1
                standInVariance += bounded(policy.standInHorizonDays) * bounded(policy.standInHorizonDays)
            }
        }
        let returns = zip(scenario, moved).compactMap { $1 ? $0 / nav : nil }
        return (returns, standInVariance.squareRoot() / nav, floorMicros / nav, withHistory, standIns)
    }
}

extension TradingState {
    /// The mVaR state after a measurement: hysteresis between the two thresholds.
    public static func measured(_ previous: TradingState, loss: Double, policy: VaRPolicy) -> TradingState {
        switch previous {
        case .active, .halted: loss * 1_000_000 > Double(policy.reduceAbovePpm) ? .reducing : .active
        case .reducing: loss * 1_000_000 < Double(policy.activeBelowPpm) ? .active : .reducing
        }
    }
}

/// An operator's action on the book's trading state, in event time (`remora risk halt|resume`).
public struct RiskAction: Sendable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case halt, resume
    }
    /// Its order among the actions (the table's id).
    public var id: Int64
    public var at: EventTime
    public var kind: Kind
    public var by: String
    public var reason: String

    public init(id: Int64, at: EventTime, kind: Kind, by: String, reason: String) {
        self.id = id
        self.at = at
        self.kind = kind
        self.by = by
        self.reason = reason
    }
}

/// A change of the book's trading state: an `alert`, keyed by its instant and state.
public struct TradingStateChange: Sendable, Hashable, Codable {
    public var at: EventTime
    public var from: TradingState
    public var to: TradingState
    /// What moved it: the mVaR against its threshold, or the operator's action.
    public var cause: String

    public init(at: EventTime, from: TradingState, to: TradingState, cause: String) {
        self.at = at
        self.from = from
        self.to = to
        self.cause = cause
    }

    public var alertId: String { "trading_state:\(at.millis):\(from.rawValue):\(to.rawValue)" }

    public var alert: Alert {
        Alert(
            level: to == .active ? .info : to == .reducing ? .warning : .critical, source: "risk-guard", code: "trading_state",
            message: "trading state \(from.rawValue) → \(to.rawValue): \(cause)", at: at)
    }
}
