public import RemoraModel

/// One category's settlements of one UTC day, summed: what the other wallets contribute to a
/// wallet's score.
public struct CategoryDay: Sendable, Hashable {
    public var category: String
    /// Days since 1970 (UTC) of the settlements.
    public var day: Int64
    public var wins: Int
    /// Wins and losses (voids are neither).
    public var decided: Int
    public var pnl: USDC
    public var cost: USDC

    public init(category: String, day: Int64, wins: Int, decided: Int, pnl: USDC, cost: USDC) {
        self.category = category
        self.day = day
        self.wins = wins
        self.decided = decided
        self.pnl = pnl
        self.cost = cost
    }

    /// The settlements summed by (category, day).
    public static func summing(_ settlements: some Sequence<TradeSettlement>) -> [CategoryDay] {
        var totals = CategoryDayTotals()
        for s in settlements {
            totals.add(category: s.category, settledAt: s.settledAt.millis, result: s.result, cost: s.cost.micros, pnl: s.realizedPnl.micros)
        }
        return totals.days(before: .max)
    }
}

/// Settlements summed by (category, day) as they come, so that a service keeps the figures every
/// ``ScoringContext`` is made of without summing the whole table again for each new day (integer
/// sums: the same whatever the order they come in).
public struct CategoryDayTotals: Sendable {
    private var sums: [CategoryDayKey: CategoryDay] = [:]

    public init(_ days: some Sequence<CategoryDay> = [CategoryDay]()) {
        for day in days { add(day) }
    }

    public mutating func add(category: String, settledAt: Int64, result: SettlementResult, cost: Int64, pnl: Int64) {
        let day = EventTime(millis: settledAt).dayNumber
        add(CategoryDay(
            category: category, day: day, wins: result == .win ? 1 : 0, decided: result == .void ? 0 : 1, pnl: USDC(micros: pnl),
            cost: USDC(micros: cost)))
    }

    public mutating func add(_ day: CategoryDay) {
        let key = CategoryDayKey(category: day.category, day: day.day)
        guard var sum = sums[key] else {
            sums[key] = day
            return
        }
        sum.wins += day.wins
        sum.decided += day.decided
        sum.pnl = sum.pnl + day.pnl
        sum.cost = sum.cost + day.cost
        sums[key] = sum
    }

    /// The sums of the days before `day`, by category and day.
    public func days(before day: Int64) -> [CategoryDay] {
        sums.values.filter { $0.day < day }.sorted { ($0.category, $0.day) < ($1.category, $1.day) }
    }
}

struct CategoryDayKey: Hashable {
    var category: String
    var day: Int64
}

/// What a score as of some time on day D takes from all wallets: only settlements of the days
/// before D, so it is final once every partition's `trade.settled` watermark has passed D's start,
/// and the incremental scorer and a full rescore see the same figures.
///
/// - **Base rate** of a category (the win-rate prior's mean): its wallets' share of winning
///   settled trades, once it has ``minimumDecided`` decided trades; before that the seed's figure
///   (``WalletMetricsCalculator/seedBaseRates``), else 50 %.
/// - **Daily return** of a category on a day: the P&L of its settlements of that day over their
///   cost — the category's return per dollar, the information ratio's benchmark.
public struct ScoringContext: Sendable, Equatable {
    /// The context holds the days before this one (days since 1970).
    public var day: Int64
    public var baseRates: [String: Double]
    public var dailyReturns: [String: [Int64: Double]]

    public static let minimumDecided = 200

    /// The daily returns as arrays from each category's first day (0 where none): the scorer
    /// looks one up for every settlement.
    let denseReturns: [String: (first: Int64, returns: [Double])]

    public init(day: Int64, baseRates: [String: Double] = [:], dailyReturns: [String: [Int64: Double]] = [:]) {
        self.day = day
        self.baseRates = baseRates
        self.dailyReturns = dailyReturns
        denseReturns = dailyReturns.compactMapValues { byDay in
            guard let first = byDay.keys.min(), let last = byDay.keys.max() else { return nil }
            var returns = [Double](repeating: 0, count: Int(last - first + 1))
            for (d, r) in byDay { returns[Int(d - first)] = r }
            return (first, returns)
        }
    }

    public static func == (a: ScoringContext, b: ScoringContext) -> Bool {
        a.day == b.day && a.baseRates == b.baseRates && a.dailyReturns == b.dailyReturns
    }

    /// The category's return of a day before the context's day; 0 when unknown.
    func dailyReturn(_ category: String, _ day: Int64) -> Double {
        guard day < self.day, let dense = denseReturns[category] else { return 0 }
        let index = day - dense.first
        return index >= 0 && index < dense.returns.count ? dense.returns[Int(index)] : 0
    }

    /// The context of `day` from category-days (those of `day` and later are left out).
    public init(day: Int64, from rows: some Sequence<CategoryDay>) {
        var wins: [String: Int] = [:]
        var decided: [String: Int] = [:]
        var returns: [String: [Int64: Double]] = [:]
        for row in rows where row.day < day {
            wins[row.category, default: 0] += row.wins
            decided[row.category, default: 0] += row.decided
            if row.cost.micros > 0 { returns[row.category, default: [:]][row.day] = row.pnl.doubleValue / row.cost.doubleValue }
        }
        var rates: [String: Double] = [:]
        for (category, n) in decided where n >= Self.minimumDecided {
            rates[category] = Double(wins[category] ?? 0) / Double(n)
        }
        self.init(day: day, baseRates: rates, dailyReturns: returns)
    }

    /// The prior's base rate for a wallet whose main category is `category`.
    public func baseRate(_ category: String?) -> Double {
        guard let category else { return 0.5 }
        return baseRates[category] ?? WalletMetricsCalculator.seedBaseRates[category] ?? 0.5
    }
}

extension WalletMetricsCalculator {
    /// The metrics of a wallet as of `asOf` with the other wallets' figures from `context` (the
    /// context of `asOf`'s day): the base rate of the wallet's main category (most cost traded),
    /// and as benchmark, what the wallet's dollars settled each day would have earned at its
    /// categories' return of that day. `open`: the wallet's open fills, marked (they take no part
    /// in the base rate or the benchmark).
    public static func metrics(
        of all: [TradeSettlement], asOf: EventTime, context: ScoringContext, open: [TradeSettlement] = []
    ) -> WalletMetrics {
        metrics(of: ScoringLedger(all), asOf: asOf, context: context, open: open)
    }

    static func metrics(
        of ledger: ScoringLedger, asOf: EventTime, context: ScoringContext, open: [TradeSettlement], series: Bool = true
    ) -> WalletMetrics {
        var fold = LedgerFold(ledger)
        fold.advance(to: ledger.count(upTo: asOf))
        return metrics(of: &fold, asOf: asOf, context: context, open: open, series: series)
    }

    /// The metrics from a fold that holds the settlements at or before `asOf`: the base rate of
    /// the wallet's main category, and the benchmark of the days before the context's.
    static func metrics(
        of fold: inout LedgerFold, asOf: EventTime, context: ScoringContext, open: [TradeSettlement], series: Bool = true
    ) -> WalletMetrics {
        fold.addBenchmarks(context)
        return fold.metrics(asOf: asOf, baseRate: context.baseRate(fold.mainCategory), open: open, series: series)
    }
}

/// A wallet's scores as the scorer keeps them: after each settlement, as of its time; per day the
/// last of them is the day's row of the history, and the last of all the current score.
public enum WalletScoring {
    /// v4: taker fills only (v3 scored maker fills too); v3: the Sharpe term over the last 30
    /// days (v2: over all history; v2 marked open fills to market, v1 read settled trades only).
    public static let method = "wqs.v4"

    /// Whether a fill of this role is scored. A maker's fill is its resting quote taken by
    /// someone else: the gate never copies one, and a market maker's steady spread income ranked
    /// it above the informed takers a copier can follow (docs/scoring.md). Fills whose role was
    /// never learned count, as the fee does.
    public static func counts(_ role: TradeRole) -> Bool { role != .maker }

    /// One wallet's score as of `asOf`, as the scorer computes it: its settlements, its fills
    /// open then marked with `marks`, the context of `asOf`'s day.
    public static func score(
        _ wallet: WalletAddress, settlements: [TradeSettlement], fills: [HeldFill], marks: MarketMarks, asOf: EventTime,
        context: ScoringContext
    ) -> WalletMetrics {
        score(wallet, ledger: ScoringLedger(settlements), fills: fills, marks: marks, asOf: asOf, context: context)
    }

    /// The same score from the wallet's ledger (the scorer keeps one per wallet), without the
    /// daily-return series (the tables keep figures only).
    public static func score(
        _ wallet: WalletAddress, ledger: ScoringLedger, fills: [HeldFill], marks: MarketMarks, asOf: EventTime,
        context: ScoringContext
    ) -> WalletMetrics {
        WalletMetricsCalculator.metrics(
            of: ledger, asOf: asOf, context: context, open: OpenPositions.marked(fills, of: wallet, asOf: asOf, marks: marks),
            series: false)
    }

    /// The days on which the scorer re-scores a wallet for its marks alone (``markDays(settlements:fills:through:)``)
    /// start at 00:00 UTC: the marks of a score are the prices before its day's start, so they
    /// move once a day, and a wallet holding open fills is scored again as of each day's start.
    /// Days from the one after its first settlement (a wallet is scored once it has settled
    /// trades) through `through`, on which at least one of its fills is open at the day's start.
    public static func markDays(settlements: [TradeSettlement], fills: [HeldFill], through: Int64?) -> [Int64] {
        markDays(firstSettlement: settlements.filter { counts($0.role) }.map(\.settledAt).min(), fills: fills, through: through)
    }

    /// ``markDays(settlements:fills:through:)`` given the time of the wallet's first settlement.
    public static func markDays(firstSettlement: EventTime?, fills: [HeldFill], through: Int64?) -> [Int64] {
        guard let through, let first = firstSettlement else { return [] }
        // Open at the start of day D: traded by D·day, not resolved by then.
        var intervals: [(Int64, Int64)] = []
        for fill in fills where counts(fill.role) {
            let from = max(first.dayNumber + 1, WalletMetricsCalculator.floorDiv(fill.time.millis + EventTime.day - 1, EventTime.day))
            var to = through
            if let resolved = fill.resolvedAt {
                // Last day D with D·day < resolvedAt.
                to = min(to, WalletMetricsCalculator.floorDiv(resolved.millis - 1, EventTime.day))
            }
            if from <= to { intervals.append((from, to)) }
        }
        intervals.sort { $0.0 < $1.0 }
        var days: [Int64] = []
        var next = Int64.min
        for (from, to) in intervals where to >= next {
            for day in max(from, next)...to { days.append(day) }
            next = to + 1
        }
        return days
    }

    /// The score as of the end of each day with settlements (as of the day's last settlement),
    /// and as of the start of each mark day through `markDaysThrough` without one
    /// (``markDays(settlements:fills:through:)``), in day order: what the incremental scorer leaves
    /// in the history once it has seen them all (without the daily-return series, which the
    /// tables do not keep).
    public static func history(
        of wallet: WalletAddress, settlements: [TradeSettlement], fills: [HeldFill] = [], marks: MarketMarks = MarketMarks(),
        markDaysThrough: Int64? = nil, context: (Int64) -> ScoringContext
    ) -> [WalletMetrics] {
        var lastOfDay: [Int64: EventTime] = [:]
        for day in markDays(settlements: settlements, fills: fills, through: markDaysThrough) {
            lastOfDay[day] = EventTime(millis: day * EventTime.day)
        }
        for s in settlements { lastOfDay[s.settledAt.dayNumber] = max(lastOfDay[s.settledAt.dayNumber] ?? s.settledAt, s.settledAt) }
        let ledger = ScoringLedger(settlements)
        // One fold carried from day to day: each settlement is added once.
        var fold = LedgerFold(ledger)
        return lastOfDay.sorted { $0.key < $1.key }.map { day, time in
            fold.advance(to: ledger.count(upTo: time))
            // The tables keep figures, not series: a history of series would hold days² numbers.
            return WalletMetricsCalculator.metrics(
                of: &fold, asOf: time, context: context(day),
                open: OpenPositions.marked(fills, of: wallet, asOf: time, marks: marks), series: false)
        }
    }
}

extension WalletScoring {
    /// Every wallet's history from scratch (``history(of:settlements:fills:marks:markDaysThrough:context:)``),
    /// the contexts built once per day from `categoryDays`, the wallets spread over `workers` tasks.
    /// Wallets in address order. `markDaysThrough`: how far the scorer has re-scored the wallet's
    /// partition for its marks.
    public static func rescore(
        _ settlements: [WalletAddress: [TradeSettlement]], fills: [WalletAddress: [HeldFill]] = [:],
        marks: MarketMarks = MarketMarks(), markDaysThrough: @escaping @Sendable (WalletAddress) -> Int64? = { _ in nil },
        categoryDays: [CategoryDay], workers: Int
    ) async -> [(wallet: WalletAddress, history: [WalletMetrics])] {
        var days = Set(settlements.values.flatMap { $0.map(\.settledAt.dayNumber) })
        for (wallet, list) in settlements {
            days.formUnion(markDays(settlements: list, fills: fills[wallet] ?? [], through: markDaysThrough(wallet)))
        }
        var contexts: [Int64: ScoringContext] = [:]
        // Cumulative by day: each context from the rows before its day, in one sweep.
        let sortedRows = categoryDays.sorted { ($0.day, $0.category) < ($1.day, $1.category) }
        for day in days { contexts[day] = ScoringContext(day: day, from: sortedRows.prefix { $0.day < day }) }
        let wallets = settlements.keys.sorted { $0.rawValue < $1.rawValue }
        let frozen = contexts
        let chunk = max(1, (wallets.count + workers * 4 - 1) / (workers * 4))
        return await withTaskGroup(of: (Int, [(WalletAddress, [WalletMetrics])]).self) { group in
            for (index, start) in stride(from: 0, to: wallets.count, by: chunk).enumerated() {
                let slice = Array(wallets[start..<min(start + chunk, wallets.count)])
                group.addTask {
                    (index, slice.map { wallet in
                        (wallet, history(
                            of: wallet, settlements: settlements[wallet] ?? [], fills: fills[wallet] ?? [], marks: marks,
                            markDaysThrough: markDaysThrough(wallet), context: { frozen[$0] ?? ScoringContext(day: $0) }))
                    })
                }
            }
            var parts: [(Int, [(WalletAddress, [WalletMetrics])])] = []
            for await part in group { parts.append(part) }
            return parts.sorted { $0.0 < $1.0 }.flatMap(\.1).map { (wallet: $0.0, history: $0.1) }
        }
    }
}
