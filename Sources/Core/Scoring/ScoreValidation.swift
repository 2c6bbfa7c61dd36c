public import RemoraModel
public import RemoraQuant

/// Does the score find skill before it pays? Scores every wallet at each month end from the
/// settlements before it, and compares them with what the wallet realized the next month.
public struct ScoreValidationReport: Sendable {
    /// Spearman correlation between WQS at a month end and the next month's return, per month.
    public var monthlyIC: [Double]
    /// Wallets in each month's correlation.
    public var monthlyWallets: [Int]
    /// The month (index of its month end) of each correlation: months with fewer than ten
    /// wallets or an undefined correlation are left out.
    public var months: [Int]
    public var meanIC: Double
    /// mean ÷ (sd / √months); 0 with fewer than two months.
    public var icTStatistic: Double
    /// Next-month returns of the wallets ranked in the top / bottom decile at each month end,
    /// pooled over months: mean ÷ sd (a per-wallet-month Sharpe, not annualised).
    public var topDecileSharpe: Double
    public var bottomDecileSharpe: Double
    /// Top decile's Sharpe minus the bottom's, and its 95 % interval from a bootstrap over months
    /// (2,000 resamples of whole months with replacement, a fixed seed: the months' wallets are
    /// correlated within a month, not across).
    public var sharpeDifference: Double
    public var sharpeDifferenceInterval: ClosedRange<Double>
    public var topDecileMeanReturn: Double
    public var bottomDecileMeanReturn: Double
    /// At the last month end: the top 0.5 % (at least one wallet) and the top decile by WQS, and
    /// how many truly skilled wallets are in each.
    public var topHalfPercent: Int
    /// Those wallets, best first.
    public var topHalfPercentWallets: [WalletAddress] = []
    public var skilledInTopHalfPercent: Int
    public var topDecile: Int
    public var skilledInTopDecile: Int
    public var skilledScored: Int
    /// Over every month end: the top 0.5 % slots (at least one a month end), how many of them
    /// truly skilled wallets held, and the skilled share of all wallet-months scored. Five slots
    /// at one instant are too few to tell over-representation from luck; every month end's are not.
    public var topHalfPercentSlots: Int
    public var skilledTopHalfPercentSlots: Int
    public var skilledShareScored: Double
    /// How many times their share of the wallets scored the skilled hold of the top 0.5 %
    /// slots, over every month end (1: no better than chance).
    public var topHalfPercentEnrichment: Double {
        guard topHalfPercentSlots > 0, skilledShareScored > 0 else { return 0 }
        return Double(skilledTopHalfPercentSlots) / Double(topHalfPercentSlots) / skilledShareScored
    }
    /// Decaying wallets: mean WQS at the regime change, and 30, 60 and 90 days after.
    public var decayScores: [Double]
    public var decayingWallets: Int
}

public enum ScoreValidation {
    /// - Parameters:
    ///   - settlements: every settled trade of every wallet.
    ///   - monthEnds: the as-of times, increasing; the last one only closes the month before it.
    ///   - context: what the other wallets contribute to a score on a day (``ScoringContext``),
    ///     as the scorer sees it.
    ///   - fills, marks: every wallet's fills and the markets' prices, to mark open fills as the
    ///     scorer does (none: settled trades only).
    ///   - skilled: wallets that truly have an edge.
    ///   - regimeChanges: when each decaying wallet lost its edge.
    ///   - score: the figure under test (the WQS; alternatives for comparison).
    ///   - outcome: what the next month is measured by, between two month ends (nil: the realized
    ///     return of the wallet's settlements in the month).
    public static func run(
        settlements: [WalletAddress: [TradeSettlement]], fills: [WalletAddress: [HeldFill]] = [:],
        marks: MarketMarks = MarketMarks(), monthEnds: [EventTime], context: (Int64) -> ScoringContext,
        skilled: Set<WalletAddress>, regimeChanges: [WalletAddress: EventTime],
        score scoreOf: (WalletAddress, WalletMetrics) -> Double = { $1.wqs },
        outcome: ((WalletAddress, EventTime, EventTime) -> Double?)? = nil
    ) -> ScoreValidationReport {
        let wallets = settlements.keys.sorted { $0.rawValue < $1.rawValue }
        func score(_ wallet: WalletAddress, at time: EventTime) -> Double? {
            let history = settlements[wallet] ?? []
            // Ranked once it has a settlement the score counts (a maker-only wallet is not a whale to follow).
            guard history.contains(where: { $0.settledAt <= time && WalletScoring.counts($0.role) }) else { return nil }
            return scoreOf(wallet, WalletScoring.score(
                wallet, settlements: history, fills: fills[wallet] ?? [], marks: marks, asOf: time, context: context(time.dayNumber)))
        }
        func nextReturn(_ wallet: WalletAddress, from start: EventTime, to end: EventTime) -> Double? {
            let window = (settlements[wallet] ?? []).filter { $0.settledAt > start && $0.settledAt <= end }
            let cost = window.reduce(0.0) { $0 + $1.cost.doubleValue }
            guard cost > 0 else { return nil }
            return window.reduce(0.0) { $0 + $1.realizedPnl.doubleValue } / cost
        }

        var ics: [Double] = []
        var counts: [Int] = []
        var months: [Int] = []
        var top: [Double] = []
        var bottom: [Double] = []
        var monthlyTop: [[Double]] = []
        var monthlyBottom: [[Double]] = []
        var lastScores: [(WalletAddress, Double)] = []
        var slots = 0
        var skilledSlots = 0
        var walletMonths = 0
        var skilledWalletMonths = 0
        for (index, end) in monthEnds.enumerated() {
            let scored = wallets.compactMap { w in score(w, at: end).map { (w, $0) } }
            let byScore = scored.sorted { ($0.1, $1.0.rawValue) > ($1.1, $0.0.rawValue) }
            let slotsNow = max(1, Int((Double(byScore.count) * 0.005).rounded(.up)))
            if !byScore.isEmpty {
                slots += slotsNow
                skilledSlots += byScore.prefix(slotsNow).filter { skilled.contains($0.0) }.count
                walletMonths += byScore.count
                skilledWalletMonths += byScore.filter { skilled.contains($0.0) }.count
            }
            if index == monthEnds.count - 1 {
                lastScores = scored
                break
            }
            let next = monthEnds[index + 1]
            // A wallet the outcome has nothing for is left out of the month (not measured by the
            // realized return instead: that would mix two measures in one ranking).
            let pairs = scored.compactMap { w, s in
                (outcome.map { $0(w, end, next) } ?? nextReturn(w, from: end, to: next)).map { (s, $0) }
            }
            guard pairs.count >= 10 else { continue }
            let ic = Correlation.spearman(pairs.map(\.0), pairs.map(\.1)).coefficient
            if ic.isFinite {
                ics.append(ic)
                counts.append(pairs.count)
                months.append(index)
            }
            let ranked = pairs.sorted { $0.0 > $1.0 }
            let decile = max(1, ranked.count / 10)
            top += ranked.prefix(decile).map(\.1)
            bottom += ranked.suffix(decile).map(\.1)
            monthlyTop.append(ranked.prefix(decile).map(\.1))
            monthlyBottom.append(ranked.suffix(decile).map(\.1))
        }
        let meanIC = ics.isEmpty ? 0 : ics.reduce(0, +) / Double(ics.count)
        var tStat = 0.0
        if ics.count >= 2 {
            let sd = (ics.map { ($0 - meanIC) * ($0 - meanIC) }.reduce(0, +) / Double(ics.count - 1)).squareRoot()
            tStat = sd > 0 ? meanIC / (sd / Double(ics.count).squareRoot()) : 0
        }

        let ranked = lastScores.sorted { ($0.1, $1.0.rawValue) > ($1.1, $0.0.rawValue) }
        let half = max(1, Int((Double(ranked.count) * 0.005).rounded(.up)))
        let decile = max(1, ranked.count / 10)

        let day: Int64 = 86_400_000
        var decay = [Double](repeating: 0, count: 4)
        var decaying = 0
        for (wallet, change) in regimeChanges where settlements[wallet] != nil {
            let figures = (0..<4).compactMap { score(wallet, at: change.adding(millis: Int64($0) * 30 * day)) }
            guard figures.count == 4 else { continue }
            decaying += 1
            for i in 0..<4 { decay[i] += figures[i] }
        }
        return ScoreValidationReport(
            monthlyIC: ics, monthlyWallets: counts, months: months, meanIC: meanIC, icTStatistic: tStat,
            topDecileSharpe: ratio(top), bottomDecileSharpe: ratio(bottom),
            sharpeDifference: ratio(top) - ratio(bottom),
            sharpeDifferenceInterval: bootstrapSharpeDifference(top: monthlyTop, bottom: monthlyBottom),
            topDecileMeanReturn: mean(top), bottomDecileMeanReturn: mean(bottom),
            topHalfPercent: half, topHalfPercentWallets: ranked.prefix(half).map(\.0), skilledInTopHalfPercent: ranked.prefix(half).filter { skilled.contains($0.0) }.count,
            topDecile: decile, skilledInTopDecile: ranked.prefix(decile).filter { skilled.contains($0.0) }.count,
            skilledScored: ranked.filter { skilled.contains($0.0) }.count,
            topHalfPercentSlots: slots, skilledTopHalfPercentSlots: skilledSlots,
            skilledShareScored: walletMonths > 0 ? Double(skilledWalletMonths) / Double(walletMonths) : 0,
            decayScores: decaying > 0 ? decay.map { $0 / Double(decaying) } : [], decayingWallets: decaying)
    }

    static func mean(_ x: [Double]) -> Double { x.isEmpty ? 0 : x.reduce(0, +) / Double(x.count) }

    /// The 2.5 % and 97.5 % quantiles of Sharpe(top) − Sharpe(bottom) over `resamples` draws of
    /// whole months with replacement (SplitMix64 from a fixed seed: the same report every run).
    public static func bootstrapSharpeDifference(top: [[Double]], bottom: [[Double]], resamples: Int = 2_000) -> ClosedRange<Double> {
        guard top.count >= 2 else { return 0...0 }
        var random = SplitMixRandom(seed: 0x5EED_B007)
        func next() -> UInt64 { random.next() }
        var differences: [Double] = []
        differences.reserveCapacity(resamples)
        for _ in 0..<resamples {
            var t: [Double] = []
            var b: [Double] = []
            for _ in 0..<top.count {
                let month = Int(next() % UInt64(top.count))
                t += top[month]
                b += bottom[month]
            }
            differences.append(ratio(t) - ratio(b))
        }
        differences.sort()
        return differences[Int(0.025 * Double(resamples))]...differences[Int(0.975 * Double(resamples)) - 1]
    }

    static func ratio(_ x: [Double]) -> Double {
        guard x.count >= 2 else { return 0 }
        let m = mean(x)
        let sd = (x.map { ($0 - m) * ($0 - m) }.reduce(0, +) / Double(x.count - 1)).squareRoot()
        return sd > 0 ? m / sd : 0
    }
}

extension ScoreValidationReport {
    /// This score's monthly IC minus `other`'s, over the months both have
    /// (``ScoreValidation/pairedDifference(_:_:)``).
    public func pairedDifference(from other: ScoreValidationReport) -> (mean: Double, t: Double, months: Int) {
        ScoreValidation.pairedDifference(
            Dictionary(uniqueKeysWithValues: zip(months, monthlyIC)), Dictionary(uniqueKeysWithValues: zip(other.months, other.monthlyIC)))
    }
}

extension ScoreValidation {
    /// `mine` − `theirs` (IC by month), over the months both have: the mean difference, its
    /// t-statistic (mean ÷ (sd / √months), 0 below two months) and the months compared.
    public static func pairedDifference(_ mine: [Int: Double], _ theirs: [Int: Double]) -> (mean: Double, t: Double, months: Int) {
        let differences = mine.keys.sorted().compactMap { month in theirs[month].map { mine[month]! - $0 } }
        guard !differences.isEmpty else { return (0, 0, 0) }
        let n = Double(differences.count)
        let mean = differences.reduce(0, +) / n
        guard differences.count >= 2 else { return (mean, 0, differences.count) }
        let sd = (differences.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / (n - 1)).squareRoot()
        return (mean, sd > 0 ? mean / (sd / n.squareRoot()) : 0, differences.count)
    }
}
