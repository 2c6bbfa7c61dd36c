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
    /// Fills open at `asOf` (their markets unresolved then), what they cost, and what they would
    /// gain or lose at their marks (``OpenPositions``).
    public var openFills: Int
    public var openCost: USDC
    public var unrealizedPnl: USDC
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
    ///
    /// `open` are the wallet's fills open at `asOf`, marked (``OpenPositions/marked(_:of:asOf:marks:)``):
    /// their mark-to-market P&L falls on the as-of day and their cost is capital at risk from the
    /// day they were traded, as if they were closed at their marks now; so they move the return
    /// series, the ratios, the drawdowns and the HHI. Counts, volume, realized P&L, win rates and
    /// per-trade returns stay those of settled trades.
    public static func metrics(
        of all: [TradeSettlement], asOf: EventTime, baseRate: Double, benchmarkPnl: (Int64) -> Double = { _ in 0 },
        open: [TradeSettlement] = []
    ) -> WalletMetrics {
        let settled = inScoringOrder(all, upTo: asOf)
        // One pass over the settled trades; sums in trade order, so the same trades always give
        // the same bits (the incremental scorer and a rescore compare equal).
        var wins = 0
        var losses = 0
        var volume = USDC.zero
        var pnl = USDC.zero
        var outcomes: [TimedOutcome] = []
        outcomes.reserveCapacity(settled.count)
        var perTrade: [Double] = []
        perTrade.reserveCapacity(settled.count)
        var marketIndex: [ConditionID: Int] = [:]
        var exposure: [Double] = []
        for s in settled {
            switch s.result {
            case .win: wins += 1
            case .loss: losses += 1
            case .void: break
            }
            volume = volume + s.cost
            pnl = pnl + s.realizedPnl
            if s.result != .void {
                outcomes.append(TimedOutcome(
                    timestamp: Double(s.settledAt.millis) / 1000, won: s.result == .win, notionalUSD: s.cost.doubleValue))
            }
            if s.cost.micros > 0 { perTrade.append(s.realizedPnl.doubleValue / s.cost.doubleValue) }
            // Markets in order of first trade: a fixed order of the HHI's sum.
            if let index = marketIndex[s.conditionId] {
                exposure[index] += s.cost.doubleValue
            } else {
                marketIndex[s.conditionId] = exposure.count
                exposure.append(s.cost.doubleValue)
            }
        }
        var openCost = USDC.zero
        var unrealized = USDC.zero
        for s in open {
            openCost = openCost + s.cost
            unrealized = unrealized + s.realizedPnl
            if let index = marketIndex[s.conditionId] {
                exposure[index] += s.cost.doubleValue
            } else {
                marketIndex[s.conditionId] = exposure.count
                exposure.append(s.cost.doubleValue)
            }
        }
        let now = Double(asOf.millis) / 1000
        let posterior = BayesianWinRate.estimate(wins: Double(wins), losses: Double(losses), baseRate: baseRate)

        let (returns, capital, days, pnlMicros) = dailyReturns(settled, open: open, asOf: asOf)
        let bench = days.map { benchmarkPnl($0) / capital }
        let drawdown = returns.isEmpty ? nil : Drawdown.statistics(returns)
        let hhi = exposure.isEmpty ? 0 : Concentration.herfindahlIndex(exposure)

        let sharpe30 = finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(30))))
        let sharpe90 = finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(90))))
        let sharpeAll = finite(PerformanceRatios.sharpeRatio(returns))
        let ir = finite(PerformanceRatios.informationRatio(returns, benchmark: bench))
        let calmar = finite(PerformanceRatios.calmarRatio(returns))
        let consistency = returns.count >= 2 ? finite(consistencyScore(dailyPnlMicros: pnlMicros)) : 0
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
            meanTradeReturn: finite(meanTrade), tradeReturnT: finite(tradeT), openFills: open.count, openCost: openCost,
            unrealizedPnl: unrealized, dailyReturns: returns, score: score)
    }

    /// Daily returns on the average capital at risk, the capital, and the days (since 1970).
    /// Also the daily P&L in micro-USDC. Open fills (marked) settle on the as-of day.
    static func dailyReturns(
        _ settled: ArraySlice<TradeSettlement>, open: [TradeSettlement] = [], asOf: EventTime
    ) -> ([Double], Double, [Int64], [Int64]) {
        var first = Int64.max
        for s in settled { first = min(first, s.tradeTime.millis) }
        for s in open { first = min(first, s.tradeTime.millis) }
        guard first != .max else { return ([], 0, [], []) }
        let firstDay = floorDiv(first, millisPerDay)
        let lastDay = max(firstDay, floorDiv(asOf.millis, millisPerDay))
        let count = Int(lastDay - firstDay + 1)
        var pnl = [Double](repeating: 0, count: count)
        var pnlMicros = [Int64](repeating: 0, count: count)
        // Capital open per day, by differences: +cost on the day bought, −cost after the day settled.
        var change = [Double](repeating: 0, count: count + 1)
        func add(_ s: TradeSettlement) {
            let bought = Int(max(firstDay, floorDiv(s.tradeTime.millis, millisPerDay)) - firstDay)
            let closed = Int(min(lastDay, floorDiv(s.settledAt.millis, millisPerDay)) - firstDay)
            pnl[closed] += s.realizedPnl.doubleValue
            pnlMicros[closed] += s.realizedPnl.micros
            change[bought] += s.cost.doubleValue
            change[max(bought, closed) + 1] -= s.cost.doubleValue
        }
        for s in settled { add(s) }
        for s in open { add(s) }
        var openCapital = 0.0
        var total = 0.0
        for day in 0..<count {
            openCapital += change[day]
            total += openCapital
        }
        let capital = max(1, total / Double(count))
        return (pnl.map { $0 / capital }, capital, (0..<Int64(count)).map { firstDay + $0 }, pnlMicros)
    }

    static func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }

    /// ``Consistency/score(returns:)`` of the daily returns, computed on the daily P&L: a Sharpe
    /// ratio does not change when every return is divided by the same capital. Each window's
    /// P&L sum is exact (integers), so a quiet window (all zero) is undefined and skipped exactly
    /// as the reference skips it; plain loops, no generic statistics, because the scorer runs
    /// this for every settlement.
    public static func consistencyScore(dailyPnlMicros pnl: [Int64]) -> Double {
        let w = RollingWindow.thirtyDays.length
        guard pnl.count >= w else { return 0 }
        var ratios: [Double] = []
        ratios.reserveCapacity(pnl.count - w + 1)
        pnl.withUnsafeBufferPointer { x in
            for start in 0...(x.count - w) {
                var sum: Int64 = 0
                for i in start..<(start + w) { sum &+= x[i] }
                guard sum != 0 || x[start..<(start + w)].contains(where: { $0 != 0 }) else {
                    ratios.append(.nan)
                    continue
                }
                let mean = Double(sum) / Double(w)
                var squares = 0.0
                for i in start..<(start + w) {
                    let d = Double(x[i]) - mean
                    squares += d * d
                }
                let sd = (squares / Double(w - 1)).squareRoot()
                ratios.append(sd > 0 ? mean / sd : .nan)
            }
        }
        return Consistency.score(rollingSharpeRatios: ratios)
    }

    /// The order every sum over a wallet's settlements runs in: by settlement time, then trade.
    static func precedes(_ a: TradeSettlement, _ b: TradeSettlement) -> Bool {
        a.settledAt != b.settledAt ? a.settledAt < b.settledAt : a.tradeId < b.tradeId
    }

    /// The settlements at or before `asOf`, in scoring order. Callers that keep them in that order
    /// (the scorer, the rescore) pay one check and a binary search, not a sort.
    static func inScoringOrder(_ all: [TradeSettlement], upTo asOf: EventTime) -> ArraySlice<TradeSettlement> {
        var ordered = true
        if all.count > 1 {
            for i in 1..<all.count where precedes(all[i], all[i - 1]) {
                ordered = false
                break
            }
        }
        let sorted = ordered ? all : all.sorted(by: precedes)
        var low = 0
        var high = sorted.count
        while low < high {
            let mid = (low + high) / 2
            if sorted[mid].settledAt <= asOf { low = mid + 1 } else { high = mid }
        }
        return sorted[..<low]
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}
