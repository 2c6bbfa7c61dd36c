public import RemoraModel
import RemoraQuant
#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// A wallet's ledger summed up to some settlement, in scoring order, one settlement at a time:
/// counts, P&L, per-trade figures, decay sums, exposure per market, and per calendar day the
/// realized P&L, the capital changes and the benchmark P&L. A history carries one fold from day
/// to day (each settlement is added once, not once per day); a single score folds from the start.
/// Both run the same additions in the same order, so they give the same bits.
///
/// The decayed figures use weights 2^(t/h) from a fixed origin (the epoch), so that they can be
/// summed once: the win rate Σ won·w / Σ w needs no as-of time, and the volume is
/// 2^(−asOf/h) · Σ notional·w — algebraically ``TimeDecay``'s 2^(−(asOf − t)/h).
struct LedgerFold {
    let ledger: ScoringLedger
    private(set) var folded = 0
    var wins = 0
    var losses = 0
    var volume: Int64 = 0
    var pnl: Int64 = 0
    var perTradeSum = 0.0
    var perTradeCount = 0
    // Welford's running mean and sum of squared deviations of the per-trade returns.
    var perTradeMean = 0.0
    var perTradeSquares = 0.0
    var decayedWeight = 0.0
    var decayedWins = 0.0
    var decayedNotional = 0.0
    /// Cost per market, markets in order of first trade (the ledger numbers them so).
    var exposure: [Double] = []
    /// Day of the first trade folded (days since 1970).
    var firstTradeDay = Int64.max
    var costByCategory: [Int64]
    /// Day cells from `base` (the ledger's first trade day): P&L, P&L in micro-USDC, capital
    /// changes (+cost on the day bought, −cost the day after it settled), benchmark P&L.
    let base: Int64
    var dayPnl: [Double]
    var dayPnlMicros: [Int64]
    var dayChange: [Double]
    var dayBenchmark: [Double]
    private var benchmarked = 0

    static let day: Int64 = 86_400_000

    init(_ ledger: ScoringLedger) {
        self.ledger = ledger
        var first = Int64.max
        var last = Int64.min
        for e in ledger.entries {
            first = min(first, Int64(e.tradeDay))
            last = max(last, e.settledAt)
        }
        base = first == .max ? 0 : first
        let cells = first == .max ? 0 : Int(max(WalletMetricsCalculator.floorDiv(last, Self.day), base) - base + 2)
        dayPnl = [Double](repeating: 0, count: cells)
        dayPnlMicros = [Int64](repeating: 0, count: cells)
        dayChange = [Double](repeating: 0, count: cells)
        dayBenchmark = [Double](repeating: 0, count: cells)
        costByCategory = [Int64](repeating: 0, count: ledger.categories.count)
    }

    /// The exponent of a settlement's decay weight: days since the epoch over the half-life.
    static func decayExponent(_ millis: Int64) -> Double {
        Double(millis) / 1000 / TimeDecay.secondsPerDay / WalletMetricsCalculator.decay.halfLifeDays
    }

    /// Adds the ledger's settlements up to (not including) index `count`.
    mutating func advance(to count: Int) {
        guard count > folded else { return }
        ledger.entries.withUnsafeBufferPointer { entries in
            for i in folded..<count { add(entries[i]) }
        }
        folded = count
    }

    private mutating func add(_ s: ScoringLedger.Entry) {
        switch s.result {
        case .win: wins += 1
        case .loss: losses += 1
        case .void: break
        }
        volume += s.cost
        pnl += s.pnl
        let cost = Double(s.cost) / Double(microsPerUnit)
        if s.result != .void {
            let weight = exp2(Self.decayExponent(s.settledAt))
            decayedWeight += weight
            if s.result == .win { decayedWins += weight }
            decayedNotional += weight * cost
        }
        if s.cost > 0 {
            let r = (Double(s.pnl) / Double(microsPerUnit)) / cost
            perTradeSum += r
            perTradeCount += 1
            let delta = r - perTradeMean
            perTradeMean += delta / Double(perTradeCount)
            perTradeSquares += delta * (r - perTradeMean)
        }
        if Int(s.market) < exposure.count { exposure[Int(s.market)] += cost } else { exposure.append(cost) }
        firstTradeDay = min(firstTradeDay, Int64(s.tradeDay))
        costByCategory[Int(s.category)] += s.cost
        let bought = Int(Int64(s.tradeDay) - base)
        let closed = Int(WalletMetricsCalculator.floorDiv(s.settledAt, Self.day) - base)
        dayPnl[closed] += Double(s.pnl) / Double(microsPerUnit)
        dayPnlMicros[closed] += s.pnl
        dayChange[bought] += cost
        dayChange[max(bought, closed) + 1] -= cost
    }

    /// Adds the benchmark P&L of the folded settlements of the days before `context.day`: what
    /// their dollars would have earned at their categories' return of their day (final once the
    /// day is over, so the same in every later context).
    mutating func addBenchmarks(_ context: ScoringContext) {
        let returns = ledger.categories.map { context.denseReturns[$0] }
        while benchmarked < folded {
            let s = ledger.entries[benchmarked]
            let day = WalletMetricsCalculator.floorDiv(s.settledAt, Self.day)
            guard day < context.day else { break }
            if let r = returns[Int(s.category)], day >= r.first, day - r.first < r.returns.count {
                dayBenchmark[Int(day - base)] += (Double(s.cost) / Double(microsPerUnit)) * r.returns[Int(day - r.first)]
            }
            benchmarked += 1
        }
    }

    /// The folded benchmark P&L of a day (0 outside the ledger's days).
    func benchmark(_ day: Int64) -> Double {
        let index = day - base
        return index >= 0 && index < dayBenchmark.count ? dayBenchmark[Int(index)] : 0
    }

    /// The category of most cost folded (a tie goes to the first name in sort order).
    var mainCategory: String? {
        var main: String?
        var mainCost: Int64 = 0
        for (index, cost) in costByCategory.enumerated() where cost != 0 {
            let name = ledger.categories[index]
            if main == nil || cost > mainCost || (cost == mainCost && name < main!) {
                main = name
                mainCost = cost
            }
        }
        return main
    }

    /// Every figure as of `asOf` (the fold must hold exactly the settlements at or before it),
    /// with the open fills, marked, settling on the as-of day.
    func metrics(asOf: EventTime, baseRate: Double, benchmarkPnl: (Int64) -> Double, open: [TradeSettlement]) -> WalletMetrics {
        typealias Calc = WalletMetricsCalculator
        var exposure = self.exposure
        var openCost = USDC.zero
        var unrealized = USDC.zero
        let settledMarkets = exposure.count
        var openMarkets: [ConditionID: Int] = [:]
        var first = firstTradeDay
        // The settled markets' numbers, by a scan of the ledger's markets while that is cheap.
        let settledIndex = open.count * settledMarkets > 512
            ? Dictionary(uniqueKeysWithValues: ledger.markets.prefix(settledMarkets).enumerated().map { ($0.element, $0.offset) })
            : nil
        for s in open {
            openCost = openCost + s.cost
            unrealized = unrealized + s.realizedPnl
            first = min(first, Calc.floorDiv(s.tradeTime.millis, Self.day))
            if let index = settledIndex.map({ $0[s.conditionId] }) ?? ledger.marketNumber(of: s.conditionId, below: settledMarkets) {
                exposure[index] += s.cost.doubleValue
            } else if let index = openMarkets[s.conditionId] {
                exposure[index] += s.cost.doubleValue
            } else {
                openMarkets[s.conditionId] = exposure.count
                exposure.append(s.cost.doubleValue)
            }
        }
        let posterior = BayesianWinRate.estimate(wins: Double(wins), losses: Double(losses), baseRate: baseRate)

        // The daily series from the first trade's day to the as-of day: the folded cells, then
        // the open fills (P&L on the as-of day, capital from their day).
        var returns: [Double] = []
        var pnlMicros: [Int64] = []
        var capital = 0.0
        var firstDay: Int64 = 0
        if first != .max {
            firstDay = first
            let lastDay = max(firstDay, Calc.floorDiv(asOf.millis, Self.day))
            let count = Int(lastDay - firstDay + 1)
            var pnl = [Double](repeating: 0, count: count)
            pnlMicros = [Int64](repeating: 0, count: count)
            var change = [Double](repeating: 0, count: count + 1)
            let offset = Int(firstDay - base)
            for i in 0...count {
                let cell = offset + i
                guard cell >= 0, cell < dayChange.count else { continue }
                if i < count {
                    pnl[i] = dayPnl[cell]
                    pnlMicros[i] = dayPnlMicros[cell]
                }
                change[i] = dayChange[cell]
            }
            for s in open {
                let bought = Int(max(firstDay, Calc.floorDiv(s.tradeTime.millis, Self.day)) - firstDay)
                let closed = Int(lastDay - firstDay)
                pnl[closed] += s.realizedPnl.doubleValue
                pnlMicros[closed] += s.realizedPnl.micros
                change[bought] += s.cost.doubleValue
                change[max(bought, closed) + 1] -= s.cost.doubleValue
            }
            var openCapital = 0.0
            var total = 0.0
            for day in 0..<count {
                openCapital += change[day]
                total += openCapital
            }
            capital = max(1, total / Double(count))
            returns = pnl.map { $0 / capital }
        }
        let bench = returns.indices.map { benchmarkPnl(firstDay + Int64($0)) / capital }
        let drawdown = returns.isEmpty ? nil : Drawdown.statistics(returns)
        let hhi = exposure.isEmpty ? 0 : Concentration.herfindahlIndex(exposure)

        let sharpe30 = Calc.finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(30))))
        let sharpe90 = Calc.finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(90))))
        let sharpeAll = Calc.finite(PerformanceRatios.sharpeRatio(returns))
        let ir = Calc.finite(PerformanceRatios.informationRatio(returns, benchmark: bench))
        let calmar = Calc.finite(PerformanceRatios.calmarRatio(returns))
        let consistency = returns.count >= 2 ? Calc.finite(Calc.consistencyScore(dailyPnlMicros: pnlMicros)) : 0
        let meanTrade = perTradeCount == 0 ? 0 : perTradeSum / Double(perTradeCount)
        var tradeT = 0.0
        if perTradeCount >= 2 {
            let sd = (max(0, perTradeSquares) / Double(perTradeCount - 1)).squareRoot()
            tradeT = sd > 0 ? meanTrade / (sd / Double(perTradeCount).squareRoot()) : 0
        }
        let decided = wins + losses
        let score = WhaleQualityScore(WhaleMetrics(
            sharpeRatio: sharpeAll, informationRatio: ir, calmarRatio: calmar, consistencyScore: consistency,
            totalVolumeUSD: USDC(micros: volume).doubleValue, tradeCount: Double(folded), hhiConcentration: hhi))
        return WalletMetrics(
            asOf: asOf, settledTrades: folded, wins: wins, losses: losses, volume: USDC(micros: volume),
            realizedPnl: USDC(micros: pnl),
            decayedWinRate: decided == 0 ? 0 : Calc.finite(decayedWins / decayedWeight),
            decayedVolume: decided == 0 ? 0 : Calc.finite(decayedNotional * exp2(-Self.decayExponent(asOf.millis))),
            bayesianWinRate: posterior.posteriorMean, winRateInterval: posterior.credibleInterval, baseRate: baseRate,
            sharpe30: sharpe30, sharpe90: sharpe90, sharpeAll: sharpeAll, informationRatio: ir, calmar: calmar,
            maxDrawdown: Calc.finite(drawdown?.maxDrawdown ?? 0), currentDrawdown: Calc.finite(drawdown?.currentDrawdown ?? 0),
            consistency: consistency, hhi: Calc.finite(hhi), averageCapitalAtRisk: capital,
            meanTradeReturn: Calc.finite(meanTrade), tradeReturnT: Calc.finite(tradeT), openFills: open.count, openCost: openCost,
            unrealizedPnl: unrealized, dailyReturns: returns, score: score)
    }
}
