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
    /// What the whale's side earned per share, payout − price, over its settled trades that were
    /// not void: the edge the sizer shrinks (``TradeEdge``).
    public var edge: TradeEdge
    /// Fills open at `asOf` (their markets unresolved then), what they cost, and what they would
    /// gain or lose at their marks (``OpenPositions``).
    public var openFills: Int
    public var openCost: USDC
    public var unrealizedPnl: USDC
    /// The end of the last day whose P&L was negative (the as-of instant if that day is the
    /// as-of day, whose P&L holds the open fills' marks); nil: no losing day.
    public var lastLossAt: EventTime?
    public var dailyReturns: [Double]
    public var score: WhaleQualityScore

    public var wqs: Double { score.score }
}

public enum WalletMetricsCalculator {
    /// The seed's category base rates: the prior's fallback when a category has too little data.
    public static let seedBaseRates: [String: Double] = [
        MarketCategory.politics: 0.521, MarketCategory.crypto: 0.508, MarketCategory.sports: 0.513, MarketCategory.popCulture: 0.497,
    ]
    public static let decay = TimeDecay(halfLifeDays: 60)
    /// The credible interval's quantiles stop at a Halley step of 1e-6 of the bound: 11
    /// significant digits (``BetaDistribution/quantile(_:relativeStep:)``).
    static let intervalStep = 1e-6
    static let millisPerDay: Int64 = 86_400_000

    /// The metrics of one wallet's settlements as of `asOf` (later settlements are ignored), with
    /// no benchmark (see ``metrics(of:asOf:context:open:)`` for the benchmarked figures).
    /// `baseRate` is the prior mean for the wallet's main category.
    ///
    /// `open` are the wallet's fills open at `asOf`, marked (``OpenPositions/marked(_:of:asOf:marks:)``):
    /// their mark-to-market P&L falls on the as-of day and their cost is capital at risk from the
    /// day they were traded, as if they were closed at their marks now; so they move the return
    /// series, the ratios, the drawdowns and the HHI. Counts, volume, realized P&L, win rates and
    /// per-trade returns stay those of settled trades.
    public static func metrics(
        of all: [TradeSettlement], asOf: EventTime, baseRate: Double, open: [TradeSettlement] = []
    ) -> WalletMetrics {
        let ledger = ScoringLedger(all)
        var fold = LedgerFold(ledger)
        fold.advance(to: ledger.count(upTo: asOf))
        return fold.metrics(asOf: asOf, baseRate: baseRate, open: open)
    }

    static func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }

    /// ``Consistency/score(returns:)`` of the daily returns, computed on the daily P&L: a Sharpe
    /// ratio does not change when every return is divided by the same capital. Each window's sum
    /// and sum of squares are kept exactly (integers; 128 bits for the squares) as the window
    /// slides, so the series costs one pass whatever the window, and a window's variance
    /// (w·Σx² − (Σx)²) / (w(w − 1)) carries no rounding before its conversion. A quiet window (all
    /// zero) or one without dispersion is undefined and skipped, as the reference skips it.
    public static func consistencyScore(dailyPnlMicros pnl: [Int64]) -> Double {
        let w = RollingWindow.thirtyDays.length
        guard pnl.count >= w else { return 0 }
        var ratios: [Double] = []
        ratios.reserveCapacity(pnl.count - w + 1)
        var sum: Int64 = 0
        var squares = Wide()
        pnl.withUnsafeBufferPointer { x in
            for i in 0..<x.count {
                sum &+= x[i]
                squares.add(x[i].multipliedFullWidth(by: x[i]))
                if i >= w {
                    sum &-= x[i - w]
                    squares.subtract(x[i - w].multipliedFullWidth(by: x[i - w]))
                }
                guard i >= w - 1 else { continue }
                ratios.append(LedgerFold.windowSharpe(sum: sum, squares: squares, count: w) ?? .nan)
            }
        }
        return Consistency.score(rollingSharpeRatios: ratios)
    }

    /// A 128-bit two's-complement integer, just what the sweep needs (the standard library's
    /// Int128 runs through unspecialized generic code on this toolchain: 10× slower).
    struct Wide {
        var high: Int64 = 0
        var low: UInt64 = 0

        mutating func add(_ x: (high: Int64, low: UInt64)) {
            let (low, carry) = self.low.addingReportingOverflow(x.low)
            self.low = low
            high = high &+ x.high &+ (carry ? 1 : 0)
        }

        mutating func subtract(_ x: (high: Int64, low: UInt64)) {
            let (low, borrow) = self.low.subtractingReportingOverflow(x.low)
            self.low = low
            high = high &- x.high &- (borrow ? 1 : 0)
        }

        mutating func subtract(_ x: Wide) { subtract((x.high, x.low)) }

        /// Times a small non-negative factor.
        func times(_ factor: Int) -> Wide {
            let (carry, low) = self.low.multipliedFullWidth(by: UInt64(factor))
            return Wide(high: high &* Int64(factor) &+ Int64(bitPattern: carry), low: low)
        }

        var isPositive: Bool { high > 0 || (high == 0 && low > 0) }
        var doubleValue: Double { Double(high) * 0x1p64 + Double(low) }
    }

    /// The order every sum over a wallet's settlements runs in: by settlement time, then by a
    /// stable 64-bit key of the trade id (``ScoringLedger/orderKey(_:)``: FNV-1a, the same in every
    /// process), then the id itself (reached only if two ids of one wallet settled in the same
    /// millisecond share a key).
    static func precedes(_ a: TradeSettlement, _ b: TradeSettlement) -> Bool {
        if a.settledAt != b.settledAt { return a.settledAt < b.settledAt }
        let (ka, kb) = (ScoringLedger.orderKey(a.tradeId), ScoringLedger.orderKey(b.tradeId))
        return ka != kb ? ka < kb : a.tradeId < b.tradeId
    }

    /// `settlements` in scoring order (``precedes(_:_:)``), each key computed once.
    public static func inScoringOrder(_ settlements: [TradeSettlement]) -> [TradeSettlement] {
        settlements.map { (s: $0, key: ScoringLedger.orderKey($0.tradeId)) }
            .sorted { a, b in
                if a.s.settledAt != b.s.settledAt { return a.s.settledAt < b.s.settledAt }
                return a.key != b.key ? a.key < b.key : a.s.tradeId < b.s.tradeId
            }
            .map(\.s)
    }

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }
}

/// A wallet's settlements in scoring order (``WalletMetricsCalculator/precedes(_:_:)``), reduced to
/// the numbers the metrics read, markets numbered in order of first appearance, categories as
/// indexes. The scorer keeps one per wallet (40 bytes a settlement, plus 4 bytes per market
/// traded) and a history builds one per wallet: scoring then copies no strings and hashes no ids,
/// which cost more than the arithmetic. No index by market is kept: merges build one for the
/// moment (a wallet's markets are few next to its settlements), and open fills look theirs up.
public struct ScoringLedger: Sendable {
    /// 40 bytes: the time shares its word with the result and the days held, the market number
    /// with the category number (a wallet's markets and categories are numbered from 0).
    struct Entry: Sendable {
        /// settledAt (millis, 44 bits signed: ±278 years) · result (2 bits) · days held (18 bits signed).
        private var timeAndFlags: Int64
        var cost: Int64
        var pnl: Int64
        var key: UInt32
        /// market (20 bits) · category (12 bits).
        private var marketAndCategory: UInt32
        /// What the trade's side earned per share, payout − price for a buy and price − payout for
        /// a sale, in micro-USDC: the whale's edge in probability units (``Row/edge``).
        var edge: Int32

        static let marketLimit = 1 << 20
        static let categoryLimit = 1 << 12
        private static let heldBits: Int64 = 18

        init(
            settledAt: Int64, cost: Int64, pnl: Int64, key: UInt32, tradeDay: Int64, market: Int32, category: UInt16,
            result: SettlementResult, edge: Int32
        ) {
            let held = WalletMetricsCalculator.floorDiv(settledAt, WalletMetricsCalculator.millisPerDay) - tradeDay
            precondition(abs(settledAt) < 1 << 43 && abs(held) < 1 << (Self.heldBits - 1), "a settlement time out of the ledger's range")
            let code: Int64 = switch result {
            case .win: 0
            case .loss: 1
            case .void: 2
            }
            timeAndFlags = settledAt << 20 | code << Self.heldBits | (held & (1 << Self.heldBits - 1))
            self.cost = cost
            self.pnl = pnl
            self.key = key
            marketAndCategory = UInt32(market) << 12 | UInt32(category)
            self.edge = edge
        }

        var settledAt: Int64 { timeAndFlags >> 20 }
        var result: SettlementResult {
            switch (timeAndFlags >> Self.heldBits) & 3 {
            case 0: .win
            case 1: .loss
            default: .void
            }
        }
        /// The trade's UTC day (days since 1970): all a score reads of its time.
        var tradeDay: Int64 {
            // The low 18 bits, sign-extended.
            let held = (timeAndFlags << (64 - Self.heldBits)) >> (64 - Self.heldBits)
            return WalletMetricsCalculator.floorDiv(settledAt, WalletMetricsCalculator.millisPerDay) - held
        }
        var market: Int32 {
            get { Int32(marketAndCategory >> 12) }
            set { marketAndCategory = UInt32(newValue) << 12 | (marketAndCategory & 0xFFF) }
        }
        var category: UInt16 { UInt16(marketAndCategory & 0xFFF) }

        func precedes(_ other: Entry) -> Bool {
            settledAt != other.settledAt ? settledAt < other.settledAt : key < other.key
        }
    }

    /// One settlement as a ledger takes it: what a store reads without decoding a whole
    /// ``TradeSettlement`` (the ids should be shared strings, so that a market held by many
    /// ledgers is one string).
    public struct Row: Sendable {
        public var settledAt: Int64
        /// ``ScoringLedger/orderKey(_:)`` of the trade id.
        public var key: UInt32
        public var tradeTime: Int64
        public var cost: Int64
        public var pnl: Int64
        public var result: SettlementResult
        public var conditionId: ConditionID
        public var category: String
        /// payout − price (a buy) or price − payout (a sale), micro-USDC per share: in [−1, 1].
        public var edge: Int32
        /// The settled fill's side of the match: a ledger leaves out what is not scored
        /// (``WalletScoring/counts(_:)``).
        public var role: TradeRole

        public init(
            tradeId: String, conditionId: ConditionID, category: String, result: SettlementResult, cost: Int64, pnl: Int64,
            tradeTime: Int64, settledAt: Int64, edge: Int32, role: TradeRole = .unknown
        ) {
            self.role = role
            self.settledAt = settledAt
            key = ScoringLedger.orderKey(tradeId)
            self.tradeTime = tradeTime
            self.cost = cost
            self.pnl = pnl
            self.result = result
            self.conditionId = conditionId
            self.category = category
            self.edge = edge
        }

        public init(_ s: TradeSettlement) {
            self.init(
                tradeId: s.tradeId, conditionId: s.conditionId, category: s.category, result: s.result, cost: s.cost.micros,
                pnl: s.realizedPnl.micros, tradeTime: s.tradeTime.millis, settledAt: s.settledAt.millis,
                edge: Self.edge(side: s.side, price: s.price.micros, payout: s.payout.micros), role: s.role)
        }

        /// What a fill's side earned per share at settlement, micro-USDC, clamped to [−1, 1].
        public static func edge(side: Side, price: Int64, payout: Int64) -> Int32 {
            let edge = side == .buy ? payout - price : price - payout
            return Int32(max(-microsPerUnit, min(microsPerUnit, edge)))
        }

        func precedes(_ other: Row) -> Bool {
            settledAt != other.settledAt ? settledAt < other.settledAt : key < other.key
        }
    }

    private(set) var entries: [Entry] = []
    /// Markets (``MarketNumbers``) in order of first appearance in scoring order: entry `market`
    /// indexes this.
    private(set) var markets: [UInt32] = []
    private(set) var categories: [String] = []

    /// `all` in any order (one check when already in scoring order, a sort otherwise).
    public init(_ all: [TradeSettlement] = []) {
        merge(all)
    }

    public init(rows: [Row]) {
        merge(rows)
    }

    public var count: Int { entries.count }
    /// What one settlement takes in a ledger.
    public static var bytesPerSettlement: Int { MemoryLayout<Entry>.stride }
    /// The earliest settlement's time.
    public var firstSettlement: EventTime? { entries.first.map { EventTime(millis: $0.settledAt) } }

    /// Adds settlements (in any order; usually later than those held, which is the cheap case).
    public mutating func merge(_ more: [TradeSettlement]) {
        merge(more.map(Row.init))
    }

    /// Adds settlements (in any order; usually later than those held, which is the cheap case).
    public mutating func merge(_ more: [Row]) {
        // Only what the score counts (a maker's fills are left out).
        let more = more.allSatisfy { WalletScoring.counts($0.role) } ? more : more.filter { WalletScoring.counts($0.role) }
        guard !more.isEmpty else { return }
        var ordered = true
        if more.count > 1 {
            for i in 1..<more.count where more[i].precedes(more[i - 1]) {
                ordered = false
                break
            }
        }
        let sorted = ordered ? more : more.sorted { $0.precedes($1) }
        let held = entries.count
        // Exactly the size on the first fill; later merges grow the array geometrically (an exact
        // reservation would copy a busy wallet's whole ledger on every step).
        if held == 0 { entries.reserveCapacity(sorted.count) }
        // A market's trades settle together: runs of one market (and category) are the rule, and
        // comparing with the previous id is cheaper than looking it up. Past a few rows, an index
        // of the markets held is worth building.
        let numbers = MarketNumbers.shared
        var index: [UInt32: Int32]?
        if sorted.count > 8 {
            index = Dictionary(uniqueKeysWithValues: markets.enumerated().map { ($0.element, Int32($0.offset)) })
        }
        var previous: (market: ConditionID, index: Int32, category: String, categoryIndex: UInt16)?
        for s in sorted {
            let market: Int32
            if let previous, previous.market == s.conditionId {
                market = previous.index
            } else {
                let number = numbers.number(of: s.conditionId)
                if let known = index.map({ $0[number] }) ?? markets.lastIndex(of: number).map(Int32.init) {
                    market = known
                } else {
                    precondition(markets.count < Entry.marketLimit, "a wallet traded more than 1,048,575 markets")
                    market = Int32(markets.count)
                    index?[number] = market
                    markets.append(number)
                }
            }
            let category: UInt16
            if let previous, previous.category == s.category {
                category = previous.categoryIndex
            } else if let known = categories.firstIndex(of: s.category) {
                category = UInt16(known)
            } else {
                precondition(categories.count < Entry.categoryLimit, "a wallet traded more than 4,095 categories")
                category = UInt16(categories.count)
                categories.append(s.category)
            }
            previous = (s.conditionId, market, s.category, category)
            entries.append(Entry(
                settledAt: s.settledAt, cost: s.cost, pnl: s.pnl, key: s.key,
                tradeDay: WalletMetricsCalculator.floorDiv(s.tradeTime, WalletMetricsCalculator.millisPerDay), market: market,
                category: category, result: s.result, edge: s.edge))
        }
        // Later than everything held: the numbering by first appearance still holds. Otherwise
        // sort again and number the markets anew in the new order.
        if held > 0, entries[held].precedes(entries[held - 1]) {
            entries.sort { $0.precedes($1) }
            var renumbered = [Int32](repeating: -1, count: markets.count)
            var order: [UInt32] = []
            order.reserveCapacity(markets.count)
            for i in entries.indices {
                let old = Int(entries[i].market)
                if renumbered[old] < 0 {
                    renumbered[old] = Int32(order.count)
                    order.append(markets[old])
                }
                entries[i].market = renumbered[old]
            }
            markets = order
        }
        // A ledger is mostly filled once and kept: no growth slack on its markets.
        if held == 0 && markets.capacity > markets.count + 4 {
            var exact: [UInt32] = []
            exact.reserveCapacity(markets.count)
            exact.append(contentsOf: markets)
            markets = exact
        }
    }

    /// The ledger's number of a market (``MarketNumbers``) among its first `limit` markets, if it
    /// is one of them.
    func marketNumber(of market: UInt32, below limit: Int) -> Int? {
        markets[..<min(limit, markets.count)].firstIndex(of: market)
    }

    /// The number of settlements at or before `asOf` (they come first).
    func count(upTo asOf: EventTime) -> Int {
        var low = 0
        var high = entries.count
        while low < high {
            let mid = (low + high) / 2
            if entries[mid].settledAt <= asOf.millis { low = mid + 1 } else { high = mid }
        }
        return low
    }

    /// FNV-1a (64-bit, its halves folded to 32) of the id's UTF-8 bytes: a key that orders
    /// settlements of one millisecond the same way in every process (Swift's own hash is seeded per
    /// process). 32 bits keep a ledger entry at 40 bytes; ids of one wallet settled in the same
    /// millisecond rarely share a key, and where they do the ledger's order is still one order.
    static func orderKey(_ id: String) -> UInt32 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in id.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        return UInt32(truncatingIfNeeded: hash ^ (hash >> 32))
    }
}

extension WalletMetrics {
    /// The figures the gate and the sizer read, published on `whale.score`.
    public var figures: WhaleFigures {
        WhaleFigures(
            wqs: wqs, settledTrades: settledTrades, sharpe30: sharpe30, sharpe90: sharpe90, currentDrawdown: currentDrawdown,
            bayesianWinRate: bayesianWinRate, winRateLow: winRateInterval.lowerBound, baseRate: baseRate, edge: edge,
            lastLossAt: lastLossAt)
    }
}
