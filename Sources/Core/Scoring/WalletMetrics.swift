public import RemoraModel
public import RemoraQuant

/// Every per-wallet figure behind the Whale Quality Score, as of one event time, from the
/// wallet's settled trades (pure: the same settlements and time give the same numbers).
///
/// Definitions (docs/scoring.md):
/// - **Days** are UTC calendar days from the day of the wallet's first trade to the as-of day.
/// - **Daily P&L** of a day: the realized P&L of the settlements of that day (fees included).
/// - **Capital at risk** of a day: the cost of the trades open during it (bought on or before
///   the day, settled on or after it). The **daily return** is the day's P&L over the average
///   capital at risk across the wallet's days (floored at 1 USDC): one denominator for the whole
///   series, so a thin day cannot blow a return up, and returns add up to P&L over capital.
/// - Ratios are annualised with 365 periods; they need two days and a non-zero deviation, else
///   they are 0 (never NaN), as are drawdowns of an empty series.
public struct WalletMetrics: Sendable, Hashable {
    public var asOf: EventTime
    public var settledTrades: Int
    public var wins: Int
    public var losses: Int
    public var volume: USDC
    public var realizedPnl: USDC
    /// Win rate and volume with a 60-day half-life (voids excluded from the win rate).
    public var decayedWinRate: Double
    public var decayedVolume: Double
    /// Posterior mean of the win rate, its 95 % credible interval, and the prior's base rate.
    public var bayesianWinRate: Double
    public var winRateInterval: ClosedRange<Double>
    public var baseRate: Double
    public var sharpe30: Double
    public var sharpe90: Double
    public var sharpeAll: Double
    public var informationRatio: Double
    public var calmar: Double
    public var maxDrawdown: Double
    public var currentDrawdown: Double
    /// 0–15: stability of the rolling 30-day Sharpe (``Consistency``).
    public var consistency: Double
    /// 0–10,000 Herfindahl index of the cost traded per market.
    public var hhi: Double
    public var averageCapitalAtRisk: Double
    /// Per-trade return (realized P&L ÷ cost): mean, and its t-statistic mean ÷ (sd / √n)
    /// (0 below two trades or with no deviation). Price-aware: a long shot that wins counts
    /// for what it paid, not as one more win.
    public var meanTradeReturn: Double
    public var tradeReturnT: Double
    public var dailyReturns: [Double]
    public var score: WhaleQualityScore

    public var wqs: Double { score.score }
}

public enum WalletMetricsCalculator {
    /// The seed's category base rates: the prior's fallback when a category has too little data.
    public static let seedBaseRates: [String: Double] = [
        "politics": 0.521, "crypto": 0.508, "sports": 0.513, "pop culture": 0.497,
    ]
    public static let decay = TimeDecay(halfLifeDays: 60)
    static let millisPerDay: Int64 = 86_400_000

    /// The metrics of one wallet's settlements as of `asOf` (later settlements are ignored).
    /// `baseRate` is the prior mean for the wallet's main category; `benchmarkPnl` gives the
    /// benchmark's P&L (USDC) of a day (days since 1970), 0 when unknown: its return is that over
    /// the wallet's capital at risk, like the wallet's own.
    public static func metrics(
        of all: [TradeSettlement], asOf: EventTime, baseRate: Double, benchmarkPnl: (Int64) -> Double = { _ in 0 }
    ) -> WalletMetrics {
        let settled = all.filter { $0.settledAt <= asOf }.sorted { ($0.settledAt, $0.tradeId) < ($1.settledAt, $1.tradeId) }
        let wins = settled.filter { $0.result == .win }.count
        let losses = settled.filter { $0.result == .loss }.count
        let volume = settled.reduce(USDC.zero) { $0 + $1.cost }
        let pnl = settled.reduce(USDC.zero) { $0 + $1.realizedPnl }
        let now = Double(asOf.millis) / 1000
        let outcomes = settled.filter { $0.result != .void }.map {
            TimedOutcome(timestamp: Double($0.settledAt.millis) / 1000, won: $0.result == .win, notionalUSD: $0.cost.doubleValue)
        }
        let posterior = BayesianWinRate.estimate(wins: Double(wins), losses: Double(losses), baseRate: baseRate)

        let (returns, capital, days) = dailyReturns(settled, asOf: asOf)
        let bench = days.map { benchmarkPnl($0) / capital }
        let drawdown = returns.isEmpty ? nil : Drawdown.statistics(returns)
        var exposure: [ConditionID: Double] = [:]
        for s in settled { exposure[s.conditionId, default: 0] += s.cost.doubleValue }
        // In market order: the same sum whichever process computes it (dictionary order is per process).
        let hhi = exposure.isEmpty ? 0 : Concentration.herfindahlIndex(exposure.sorted { $0.key.rawValue < $1.key.rawValue }.map(\.value))

        let sharpe30 = finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(30))))
        let sharpe90 = finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(90))))
        let sharpeAll = finite(PerformanceRatios.sharpeRatio(returns))
        let ir = finite(PerformanceRatios.informationRatio(returns, benchmark: bench))
        let calmar = finite(PerformanceRatios.calmarRatio(returns))
        let consistency = returns.count >= 2 ? finite(Consistency.score(returns: returns)) : 0
        let perTrade = settled.filter { $0.cost.micros > 0 }.map { $0.realizedPnl.doubleValue / $0.cost.doubleValue }
        let meanTrade = perTrade.isEmpty ? 0 : perTrade.reduce(0, +) / Double(perTrade.count)
        var tradeT = 0.0
        if perTrade.count >= 2 {
            let sd = (perTrade.map { ($0 - meanTrade) * ($0 - meanTrade) }.reduce(0, +) / Double(perTrade.count - 1)).squareRoot()
            tradeT = sd > 0 ? meanTrade / (sd / Double(perTrade.count).squareRoot()) : 0
        }
        let score = WhaleQualityScore(WhaleMetrics(
            sharpeRatio: sharpeAll, informationRatio: ir, calmarRatio: calmar, consistencyScore: consistency,
            totalVolumeUSD: volume.doubleValue, tradeCount: Double(settled.count), hhiConcentration: hhi))
        return WalletMetrics(
            asOf: asOf, settledTrades: settled.count, wins: wins, losses: losses, volume: volume, realizedPnl: pnl,
            decayedWinRate: outcomes.isEmpty ? 0 : finite(decay.winRate(outcomes, asOf: now)),
            decayedVolume: finite(decay.volume(outcomes, asOf: now)),
            bayesianWinRate: posterior.posteriorMean, winRateInterval: posterior.credibleInterval, baseRate: baseRate,
            sharpe30: sharpe30, sharpe90: sharpe90, sharpeAll: sharpeAll, informationRatio: ir, calmar: calmar,
            maxDrawdown: finite(drawdown?.maxDrawdown ?? 0), currentDrawdown: finite(drawdown?.currentDrawdown ?? 0),
            consistency: consistency, hhi: finite(hhi), averageCapitalAtRisk: capital,
            meanTradeReturn: finite(meanTrade), tradeReturnT: finite(tradeT), dailyReturns: returns, score: score)
    }

    /// Daily returns on the average capital at risk, the capital, and the days (since 1970).
    static func dailyReturns(_ settled: [TradeSettlement], asOf: EventTime) -> ([Double], Double, [Int64]) {
        guard let first = settled.map({ $0.tradeTime.millis }).min() else { return ([], 0, []) }
        let firstDay = floorDiv(first, millisPerDay)
        let lastDay = max(firstDay, floorDiv(asOf.millis, millisPerDay))
        let count = Int(lastDay - firstDay + 1)
        var pnl = [Double](repeating: 0, count: count)
        // Capital open per day, by differences: +cost on the day bought, −cost after the day settled.
        var change = [Double](repeating: 0, count: count + 1)
        for s in settled {
            let bought = Int(max(firstDay, floorDiv(s.tradeTime.millis, millisPerDay)) - firstDay)
            let closed = Int(min(lastDay, floorDiv(s.settledAt.millis, millisPerDay)) - firstDay)
            pnl[closed] += s.realizedPnl.doubleValue
            change[bought] += s.cost.doubleValue
            change[max(bought, closed) + 1] -= s.cost.doubleValue
        }
        var open = 0.0
        var total = 0.0
        for day in 0..<count {
            open += change[day]
            total += open
        }
        let capital = max(1, total / Double(count))
        return (pnl.map { $0 / capital }, capital, (0..<Int64(count)).map { firstDay + $0 })
    }

    static func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
