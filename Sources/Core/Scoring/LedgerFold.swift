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
    typealias Wide = WalletMetricsCalculator.Wide
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
    // Welford's running mean and sum of squared deviations of the edge per share (payout − price)
    // of the settlements that were not void.
    var edgeCount = 0
    var edgeMean = 0.0
    var edgeSquares = 0.0
    var decayedWeight = 0.0
    var decayedWins = 0.0
    var decayedNotional = 0.0
    /// Cost per market (micro-USDC), markets in order of first trade (the ledger numbers them so),
    /// with its exact sum and sum of squares: the HHI without a pass over the markets.
    var exposure: [Int64] = []
    var exposureTotal: Int64 = 0
    var exposureSquares = Wide()
    /// Σ cost × days held (micro-USDC·days): the capital at risk summed over the days.
    var capitalDays = Wide()
    /// Day of the first trade folded (days since 1970).
    var firstTradeDay = Int64.max
    var costByCategory: [Int64]
    /// Day cells from `base` (the ledger's first trade day): realized P&L in micro-USDC and the
    /// benchmark P&L (USDC) of the settlements of each day.
    let base: Int64
    var dayPnlMicros: [Int64]
    var dayBenchmark: [Double]
    private var benchmarked = 0
    /// Running sums over the cells before `finalCells`, which no later settlement can change (a
    /// fold adds settlements in time order, and each lands on its settlement day): the P&L's exact
    /// prefix sums and sums of squares, per window end the rolling 30-day Sharpe ratio's prefix
    /// sums, and the benchmark-relative P&L's sums. A history extends them day by day, a single
    /// score from the start: the same additions in the same order, so the same bits, and each row
    /// of a history costs O(1) for every ratio but the drawdown.
    private var finalCells = 0
    private var prefixPnl: [Int64] = [0]
    private var prefixSquares: [Wide] = [Wide()]
    private var prefixRatio: [Double] = [0]
    private var prefixRatioSquares: [Double] = [0]
    private var prefixDefined: [Int32] = [0]
    private var activeSum = CompensatedSum()
    private var activeSquares = CompensatedSum()

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
        dayPnlMicros = [Int64](repeating: 0, count: cells)
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
            let edge = Double(s.edge) / Double(microsPerUnit)
            edgeCount += 1
            let delta = edge - edgeMean
            edgeMean += delta / Double(edgeCount)
            edgeSquares += delta * (edge - edgeMean)
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
        let market = Int(s.market)
        let held = market < exposure.count ? exposure[market] : 0
        exposureSquares.add((2 * held + s.cost).multipliedFullWidth(by: s.cost))
        exposureTotal += s.cost
        if market < exposure.count { exposure[market] += s.cost } else { exposure.append(s.cost) }
        firstTradeDay = min(firstTradeDay, Int64(s.tradeDay))
        costByCategory[Int(s.category)] += s.cost
        let bought = Int64(s.tradeDay)
        let closed = WalletMetricsCalculator.floorDiv(s.settledAt, Self.day)
        capitalDays.add(s.cost.multipliedFullWidth(by: max(bought, closed) - bought + 1))
        dayPnlMicros[Int(closed - base)] += s.pnl
    }

    /// Adds the benchmark P&L of the folded settlements of the days before `context.day`: what
    /// their dollars would have earned at their categories' return of their day (final once the
    /// day is over, so the same in every later context).
    mutating func addBenchmarks(_ context: ScoringContext) {
        let limit = context.day * Self.day  // settlements of the days before the context's
        guard benchmarked < folded, ledger.entries[benchmarked].settledAt < limit else { return }
        let returns = ledger.categories.map { context.denseReturns[$0] }
        var next = benchmarked
        ledger.entries.withUnsafeBufferPointer { entries in
            while next < folded, entries[next].settledAt < limit {
                let s = entries[next]
                let day = WalletMetricsCalculator.floorDiv(s.settledAt, Self.day)
                if let r = returns[Int(s.category)], day >= r.first, day - r.first < r.returns.count {
                    dayBenchmark[Int(day - base)] += (Double(s.cost) / Double(microsPerUnit)) * r.returns[Int(day - r.first)]
                }
                next += 1
            }
        }
        benchmarked = next
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

    /// P&L of a cell (0 outside the ledger's days).
    private func pnlCell(_ i: Int) -> Int64 { i >= 0 && i < dayPnlMicros.count ? dayPnlMicros[i] : 0 }
    private func benchmarkCell(_ i: Int) -> Double { i >= 0 && i < dayBenchmark.count ? dayBenchmark[i] : 0 }

    static let window = RollingWindow.thirtyDays.length

    /// Extends the running sums through the cells before `limit`.
    private mutating func finalize(through limit: Int) {
        guard limit > finalCells else { return }
        let w = Self.window
        for i in finalCells..<limit {
            let x = pnlCell(i)
            prefixPnl.append(prefixPnl[i] &+ x)
            var squares = prefixSquares[i]
            squares.add(x.multipliedFullWidth(by: x))
            prefixSquares.append(squares)
            // The 30-day window ending at this cell (cells before the ledger's first day are 0).
            let from = max(0, i + 1 - w)
            var spread = prefixSquares[i + 1]
            spread.subtract(prefixSquares[from])
            let ratio = Self.windowSharpe(sum: prefixPnl[i + 1] &- prefixPnl[from], squares: spread, count: w)
            prefixRatio.append(prefixRatio[i] + (ratio ?? 0))
            prefixRatioSquares.append(prefixRatioSquares[i] + (ratio.map { $0 * $0 } ?? 0))
            prefixDefined.append(prefixDefined[i] + (ratio == nil ? 0 : 1))
            let active = Double(x) / Double(microsPerUnit) - benchmarkCell(i)
            activeSum.add(active)
            activeSquares.add(active * active)
        }
        finalCells = limit
    }

    /// The per-period Sharpe ratio mean ÷ sample deviation of `count` values from their exact sum
    /// and sum of squares: nil without dispersion. The variance (n·Σx² − (Σx)²) / (n(n − 1)) carries
    /// no rounding before its conversion.
    static func windowSharpe(sum: Int64, squares: Wide, count: Int) -> Double? {
        guard count >= 2 else { return nil }
        var spread = squares.times(count)
        spread.subtract(sum.multipliedFullWidth(by: sum))
        guard spread.isPositive else { return nil }
        let variance = spread.doubleValue / Double(count * (count - 1))
        return (Double(sum) / Double(count)) / variance.squareRoot()
    }

    /// Every figure as of `asOf` (the fold must hold exactly the settlements at or before it),
    /// with the open fills, marked, settling on the as-of day. `series`: also the daily returns.
    mutating func metrics(asOf: EventTime, baseRate: Double, open: [TradeSettlement], series: Bool = true) -> WalletMetrics {
        typealias Calc = WalletMetricsCalculator
        var openCost = USDC.zero
        var unrealized = USDC.zero
        var first = firstTradeDay
        for s in open {
            openCost = openCost + s.cost
            unrealized = unrealized + s.realizedPnl
            first = min(first, Calc.floorDiv(s.tradeTime.millis, Self.day))
        }
        let hhi = concentration(with: open)
        // The interval to 11 significant digits: one incomplete-beta evaluation fewer per bound.
        let posterior = BayesianWinRate.estimate(
            wins: Double(wins), losses: Double(losses), baseRate: baseRate, relativeStep: WalletMetricsCalculator.intervalStep)

        // The daily series from the first trade's day to the as-of day: the folded cells, then
        // the open fills (P&L on the as-of day, capital from their day). Cells relative to `base`.
        var returns: [Double] = []
        var capital = 0.0
        var sharpe30 = 0.0, sharpe90 = 0.0, sharpeAll = 0.0, ir = 0.0, calmar = 0.0, consistency = 0.0
        var maxDrawdown = 0.0, currentDrawdown = 0.0
        var lastLossAt: EventTime?
        if first != .max {
            let asOfDay = Calc.floorDiv(asOf.millis, Self.day)
            let lastDay = max(first, asOfDay)
            let count = Int(lastDay - first + 1)
            let last = Int(lastDay - base)
            let start = Int(first - base)
            // Final: the cells before the as-of day whose benchmark is in (all of them when the
            // context is the as-of day's, as the scorer's and the history's are).
            var final = last
            if benchmarked < folded {
                final = min(final, Int(Calc.floorDiv(ledger.entries[benchmarked].settledAt, Self.day) - base))
            }
            finalize(through: max(0, final))
            let settled = max(0, min(finalCells, last))  // cells [0, settled) come from the sums

            var lastPnl = pnlCell(last)
            var held = capitalDays
            for s in open {
                lastPnl += s.realizedPnl.micros
                held.add(s.cost.micros.multipliedFullWidth(by: lastDay - max(first, Calc.floorDiv(s.tradeTime.millis, Self.day)) + 1))
            }
            capital = max(1, held.doubleValue / Double(microsPerUnit) / Double(count))
            /// A cell's P&L, the open fills' on the last day.
            func cell(_ i: Int) -> Int64 { i == last ? lastPnl : pnlCell(i) }
            /// Σ P&L and Σ P&L² over the cells [from, end] (the final ones from the running sums).
            func sums(from: Int, through end: Int) -> (sum: Int64, squares: Wide) {
                let lower = max(from, 0)
                var sum: Int64 = 0
                var squares = Wide()
                let upper = min(end + 1, settled)
                if lower < upper {
                    sum = prefixPnl[upper] &- prefixPnl[lower]
                    squares = prefixSquares[upper]
                    squares.subtract(prefixSquares[lower])
                }
                var i = max(lower, settled)
                while i <= end {
                    let x = cell(i)
                    sum &+= x
                    squares.add(x.multipliedFullWidth(by: x))
                    i += 1
                }
                return (sum, squares)
            }
            func annualSharpe(days: Int) -> Double {
                let n = min(days, count)
                let (sum, squares) = sums(from: last - n + 1, through: last)
                return Calc.finite((Self.windowSharpe(sum: sum, squares: squares, count: n) ?? .nan) * Annualization.dailyPeriodsPerYear.squareRoot())
            }
            sharpe30 = annualSharpe(days: 30)
            sharpe90 = annualSharpe(days: 90)
            sharpeAll = annualSharpe(days: count)

            // Information ratio: the Sharpe ratio of the P&L over the benchmark's (one capital
            // divides both, so it cancels).
            var active = activeSum
            var activeSq = activeSquares
            if settled < last {
                for i in max(settled, start)..<last {
                    let a = Double(pnlCell(i)) / Double(microsPerUnit) - benchmarkCell(i)
                    active.add(a)
                    activeSq.add(a * a)
                }
            }
            let lastActive = Double(lastPnl) / Double(microsPerUnit) - benchmarkCell(last)
            active.add(lastActive)
            activeSq.add(lastActive * lastActive)
            if count >= 2 {
                let n = Double(count)
                let mean = active.value / n
                let spread = activeSq.value - active.value * mean
                // A spread within the sums' rounding of Σa² is no dispersion (a constant series).
                if spread > 1e-12 * activeSq.value {
                    ir = Calc.finite(mean / (spread / (n - 1)).squareRoot() * Annualization.dailyPeriodsPerYear.squareRoot())
                }
            }

            // Consistency: the spread of the rolling 30-day Sharpe ratios of the windows inside
            // the series (those ending before the as-of day from the sums).
            let w = Self.window
            if count >= w {
                let firstEnd = max(start + w - 1, 0)
                var defined = 0
                var total = 0.0
                var totalSquares = 0.0
                if firstEnd < settled {
                    defined = Int(prefixDefined[settled] - prefixDefined[firstEnd])
                    total = prefixRatio[settled] - prefixRatio[firstEnd]
                    totalSquares = prefixRatioSquares[settled] - prefixRatioSquares[firstEnd]
                }
                var end = max(firstEnd, settled)
                while end <= last {
                    let (sum, squares) = sums(from: end - w + 1, through: end)
                    if let ratio = Self.windowSharpe(sum: sum, squares: squares, count: w) {
                        defined += 1
                        total += ratio
                        totalSquares += ratio * ratio
                    }
                    end += 1
                }
                if defined >= 2 {
                    let n = Double(defined)
                    let sd = (max(0, totalSquares - total * total / n) / (n - 1)).squareRoot()
                    consistency = Calc.finite(Consistency.maximumScore * max(0, 1 - sd / Consistency.zeroScoreDeviation))
                }
            }

            // Drawdowns compound the returns: one pass, from the first cell with P&L.
            var wealth = 1.0
            var peak = 1.0
            var worst = 1.0
            let scale = Double(microsPerUnit) * capital
            func step(_ pnl: Int64) {
                wealth *= 1 + Double(pnl) / scale
                if wealth > peak { peak = wealth } else { worst = min(worst, wealth / peak) }
            }
            // Cells past the ledger's days are 0: they change no wealth, so only the last is added.
            var i = max(start, 0)
            let through = min(last - 1, dayPnlMicros.count - 1)
            var lossCell: Int?
            while i <= through {
                step(dayPnlMicros[i])
                if dayPnlMicros[i] < 0 { lossCell = i }
                i += 1
            }
            step(lastPnl)
            if lastPnl < 0 { lossCell = last }
            // A loss counts from the end of its day (the as-of instant on the as-of day).
            if let lossCell {
                lastLossAt = EventTime(millis: min(asOf.millis, (base + Int64(lossCell) + 1) * Self.day))
            }
            maxDrawdown = Calc.finite(1 - worst)
            currentDrawdown = Calc.finite(1 - wealth / peak)
            if maxDrawdown > 0 {
                let growth = wealth >= 0 ? pow(wealth, Annualization.dailyPeriodsPerYear / Double(count)) - 1 : .nan
                calmar = Calc.finite(growth / maxDrawdown)
            }
            if series { returns = (start...last).map { Double(cell($0)) / scale } }
        }

        let meanTrade = perTradeCount == 0 ? 0 : perTradeSum / Double(perTradeCount)
        var tradeT = 0.0
        if perTradeCount >= 2 {
            let sd = (max(0, perTradeSquares) / Double(perTradeCount - 1)).squareRoot()
            tradeT = sd > 0 ? meanTrade / (sd / Double(perTradeCount).squareRoot()) : 0
        }
        let decided = wins + losses
        // wqs.v3: the Sharpe term is the last 30 days' (v2 took all history's): better out of sample
        // on worlds not tuned on, and a decaying wallet's score falls (docs/scoring.md).
        let score = WhaleQualityScore(WhaleMetrics(
            sharpeRatio: sharpe30, informationRatio: ir, calmarRatio: calmar, consistencyScore: consistency,
            totalVolumeUSD: USDC(micros: volume).doubleValue, tradeCount: Double(folded), hhiConcentration: hhi))
        return WalletMetrics(
            asOf: asOf, settledTrades: folded, wins: wins, losses: losses, volume: USDC(micros: volume),
            realizedPnl: USDC(micros: pnl),
            decayedWinRate: decided == 0 ? 0 : Calc.finite(decayedWins / decayedWeight),
            decayedVolume: decided == 0 ? 0 : Calc.finite(decayedNotional * exp2(-Self.decayExponent(asOf.millis))),
            bayesianWinRate: posterior.posteriorMean, winRateInterval: posterior.credibleInterval, baseRate: baseRate,
            sharpe30: sharpe30, sharpe90: sharpe90, sharpeAll: sharpeAll, informationRatio: ir, calmar: calmar,
            maxDrawdown: maxDrawdown, currentDrawdown: currentDrawdown,
            consistency: consistency, hhi: hhi, averageCapitalAtRisk: capital,
            meanTradeReturn: Calc.finite(meanTrade), tradeReturnT: Calc.finite(tradeT),
            edge: TradeEdge(
                count: edgeCount, mean: edgeMean,
                deviation: edgeCount >= 2 ? (max(0, edgeSquares) / Double(edgeCount - 1)).squareRoot() : 0),
            openFills: open.count, openCost: openCost,
            unrealizedPnl: unrealized, lastLossAt: lastLossAt, dailyReturns: returns, score: score)
    }

    /// The HHI of the cost per market, the open fills' included: 10,000 · Σ cost² ÷ (Σ cost)².
    private func concentration(with open: [TradeSettlement]) -> Double {
        var total = exposureTotal
        var squares = exposureSquares
        if !open.isEmpty {
            // The settled markets' numbers, by a scan of the ledger's markets while that is cheap.
            let settledMarkets = exposure.count
            let settledIndex = open.count * settledMarkets > 4096
                ? Dictionary(uniqueKeysWithValues: ledger.markets.prefix(settledMarkets).enumerated().map { ($0.element, $0.offset) })
                : nil
            var added: [Int: Int64] = [:]
            var openMarkets: [ConditionID: Int64] = [:]
            for s in open {
                total += s.cost.micros
                if let number = MarketNumbers.shared.existingNumber(of: s.conditionId),
                   let index = settledIndex.map({ $0[number] }) ?? ledger.marketNumber(of: number, below: settledMarkets) {
                    added[index, default: 0] += s.cost.micros
                } else {
                    openMarkets[s.conditionId, default: 0] += s.cost.micros
                }
            }
            for (index, more) in added {
                squares.add((2 * exposure[index] + more).multipliedFullWidth(by: more))
            }
            for more in openMarkets.values { squares.add(more.multipliedFullWidth(by: more)) }
        }
        guard total > 0 else { return 0 }
        let t = Double(total)
        return WalletMetricsCalculator.finite(10_000 * squares.doubleValue / (t * t))
    }
}
