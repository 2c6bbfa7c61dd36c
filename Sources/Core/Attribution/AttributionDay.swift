public import RemoraModel
public import RemoraQuant

/// One category of one book over one day: its value at the day's start and end (at the marks of
/// those instants) and its flows. P&L = end − start + received − bought, exact.
public struct CategoryBookDay: Sendable, Hashable, Codable {
    public var category: String
    public var start: USDC
    public var bought: USDC
    public var received: USDC
    public var end: USDC
    public init(category: String, start: USDC, bought: USDC, received: USDC, end: USDC) {
        self.category = category
        self.start = start
        self.bought = bought
        self.received = received
        self.end = end
    }
    public var pnl: USDC { end - start + received - bought }
    /// Capital the category used that day: what it held at the start plus what it bought.
    public var employed: USDC { start + bought }
}

/// One book over one day.
public struct BookDay: Sendable, Hashable, Codable {
    public var navStart: USDC
    public var navEnd: USDC
    public var categories: [CategoryBookDay]
    public var fills: Int
    public init(navStart: USDC, navEnd: USDC, categories: [CategoryBookDay], fills: Int) {
        self.navStart = navStart
        self.navEnd = navEnd
        self.categories = categories
        self.fills = fills
    }
    /// Simple return of the day (NAV end ÷ NAV start − 1).
    public var dailyReturn: Double { navStart.micros > 0 ? Double(navEnd.micros - navStart.micros) / Double(navStart.micros) : 0 }

    /// The Brinson segments of this book: each category weighted by the capital it employed ÷ the
    /// NAV at the start, returning its P&L ÷ that capital; cash takes the rest of the weight at a
    /// return of 0. So Σw = 1 and Σ w·r = the day's return, exactly as the NAV moved.
    public func segments() -> [String: (weight: Double, return: Double)] {
        var result: [String: (weight: Double, return: Double)] = [:]
        let nav = Double(navStart.micros)
        guard nav > 0 else { return result }
        var invested = 0.0
        for day in categories where day.employed.micros > 0 || day.pnl.micros != 0 {
            let employed = Double(day.employed.micros)
            let weight = employed / nav
            result[day.category] = (weight, employed > 0 ? Double(day.pnl.micros) / employed : 0)
            invested += weight
        }
        result[AttributionDay.cash] = (1 - invested, 0)
        return result
    }
}

/// One day of Brinson-Fachler attribution of our book against the copy-all benchmark, by category
/// (cash a category of its own, so the effects add up to the excess return exactly).
public struct AttributionDay: Sendable, Hashable, Codable {
    public static let cash = "cash"
    /// The day (days since 1970-01-01, UTC).
    public var day: Int64
    public var ours: BookDay
    public var benchmark: BookDay
    /// The rejected signals' shadow book.
    public var rejected: BookDay
    /// Per category: allocation, selection, interaction (fractions of NAV).
    public var effects: [String: Effects]
    /// Whale buy orders the gate judged this day, and how many it passed (copies; an accepted buy
    /// of the other outcome of a held market is an exit, counted under `exit`).
    public var orders = 0
    public var passed = 0
    /// Those orders by verdict: `passed` or `stage/reason`.
    public var funnel: [String: Int] = [:]
    /// The book's mVaR at its last decision of the day (fraction of NAV), if it made one.
    public var mvar: Double?
    /// The KPIs at the day's end.
    public var kpis: KPIs?

    /// The day's last instant.
    public var endTime: EventTime { EventTime(millis: (day + 1) * EventTime.day - 1) }

    public struct Effects: Sendable, Hashable, Codable {
        public var allocation: Double
        public var selection: Double
        public var interaction: Double
        public var total: Double { allocation + selection + interaction }
    }

    public var excessReturn: Double { ours.dailyReturn - benchmark.dailyReturn }
    /// Summed in the categories' order, the same in every process (not the dictionary's).
    public var totals: Effects {
        effects.sorted { $0.key < $1.key }.map(\.value).reduce(Effects(allocation: 0, selection: 0, interaction: 0)) {
            Effects(allocation: $0.allocation + $1.allocation, selection: $0.selection + $1.selection,
                    interaction: $0.interaction + $1.interaction)
        }
    }

    /// Brinson-Fachler of `ours` against `benchmark`. A category one book did not use takes the
    /// other book's return there: absent from ours, selection and interaction are 0 and only the
    /// allocation (not holding it) counts; absent from the benchmark, the whole difference is
    /// allocation against the benchmark's total return.
    public init(day: Int64, ours: BookDay, benchmark: BookDay, rejected: BookDay) {
        self.day = day
        self.ours = ours
        self.benchmark = benchmark
        self.rejected = rejected
        let p = ours.segments()
        let b = benchmark.segments()
        let names = Set(p.keys).union(b.keys).sorted()
        let segments = names.map { name in
            let ps = p[name]
            let bs = b[name]
            return AttributionSegment(
                category: name, portfolioWeight: ps?.weight ?? 0, benchmarkWeight: bs?.weight ?? 0,
                portfolioReturn: ps?.return ?? bs?.return ?? 0, benchmarkReturn: bs?.return ?? ps?.return ?? 0)
        }
        let brinson = BrinsonAttribution(segments, method: .brinsonFachler)
        var effects: [String: Effects] = [:]
        for row in brinson.categories {
            effects[row.category] = Effects(
                allocation: row.effects.allocation, selection: row.effects.selection, interaction: row.effects.interaction)
        }
        self.effects = effects
    }
}

/// The attributor's running state: the three books, each whale's position as its signals show it,
/// and the next day to close.
public struct AttributionState: Sendable, Hashable, Codable {
    public var nextDay: Int64
    public var ours: AttributedBook
    public var benchmark: AttributedBook
    public var rejected: AttributedBook
    public var whaleShares: [WhaleHolding: Shares] = [:]
    /// The KPIs' levels as last alerted.
    public var kpiLevels: [String: AlertLevel] = [:]
    /// The last mVaR the book reported (carried over days without decisions).
    public var mvar: Double?
    /// Our daily returns so far (the Sharpe of the KPIs) and the last 30 days' gate counts.
    public var returns: [Double] = []
    public var recentCounts: [[Int]] = []

    /// The KPIs as of the end of the last day closed into this state: Sharpe over every day so
    /// far, the pass rate over the last 30 days.
    public func kpis(at time: EventTime, quarantined: Int) -> KPIs {
        let orders = recentCounts.reduce(0) { $0 + $1[0] }
        let passed = recentCounts.reduce(0) { $0 + $1[1] }
        return KPIs(
            at: time, mvar: mvar, sharpe: PerformanceSummary(returns: returns).sharpeRatio, sharpeDays: returns.count,
            passRate: orders > 0 ? Double(passed) / Double(orders) : nil, quarantined: quarantined)
    }

    public init(nextDay: Int64, initialCash: USDC) {
        self.nextDay = nextDay
        ours = AttributedBook(cash: initialCash)
        benchmark = AttributedBook(cash: initialCash)
        rejected = AttributedBook(cash: initialCash)
    }
}

/// What happened on one day, in event time, with the market data the shadow copies need.
public enum AttributionEvent: Sendable {
    case resolution(MarketResolution)
    case decision(OrderDecision, category: String)
    case whaleOrder(ShadowOrder)

    public var at: EventTime {
        switch self {
        case .resolution(let r): r.resolvedAt
        case .decision(let d, _): d.decidedAt
        case .whaleOrder(let o): o.copyAt
        }
    }

    /// Resolutions first at one instant (a resolved market takes no more orders), then our
    /// decisions, then the shadow copies; ties by id, so the order never depends on arrival.
    var sortKey: (Int64, Int, String) {
        switch self {
        case .resolution(let r): (r.resolvedAt.millis, 0, r.conditionId.rawValue)
        case .decision(let d, _): (d.decidedAt.millis, 1, d.orderId)
        case .whaleOrder(let o): (o.copyAt.millis, 2, o.signal.tradeId)
        }
    }
}

/// A day whose events are applied, waiting for the marks of its last instant.
public struct OpenDay: Sendable {
    public let day: Int64
    var state: AttributionState
    let startValues: [[String: USDC]]
    let startNav: [USDC]
    let fillsBefore: [Int]
    let orders: Int
    let passed: Int
    let funnel: [String: Int]

    /// Every token one of the three books holds at the day's end: what `close` needs marks of.
    public var heldTokens: Set<TokenID> {
        Set(state.ours.positions.keys).union(state.benchmark.positions.keys).union(state.rejected.positions.keys)
    }

    /// The day's last instant (its marks are taken there).
    public var end: EventTime { EventTime(millis: (day + 1) * EventTime.day - 1) }

    /// Marks the books at the day's end and attributes the day.
    public func close(marks: Marks) -> (AttributionState, AttributionDay) {
        var next = state
        next.ours.mark(by: marks, at: end)
        next.benchmark.mark(by: marks, at: end)
        next.rejected.mark(by: marks, at: end)
        func bookDay(_ book: AttributedBook, _ index: Int) -> BookDay {
            let start = startValues[index]
            let endValues = book.valueByCategory
            let names = Set(start.keys).union(endValues.keys).union(book.flows.keys).sorted()
            return BookDay(
                navStart: startNav[index], navEnd: book.nav,
                categories: names.map { name in
                    CategoryBookDay(
                        category: name, start: start[name] ?? .zero, bought: book.flows[name]?.bought ?? .zero,
                        received: book.flows[name]?.received ?? .zero, end: endValues[name] ?? .zero)
                },
                fills: book.fills - fillsBefore[index])
        }
        var result = AttributionDay(
            day: day, ours: bookDay(next.ours, 0), benchmark: bookDay(next.benchmark, 1), rejected: bookDay(next.rejected, 2))
        result.orders = orders
        result.passed = passed
        result.funnel = funnel
        result.mvar = next.mvar
        next.returns.append(result.ours.dailyReturn)
        next.recentCounts = Array((next.recentCounts + [[orders, passed]]).suffix(30))
        next.nextDay = day + 1
        return (next, result)
    }
}

public enum Attribution {
    /// Applies one day's events in event time to the three books; `close(marks:)` on the result
    /// marks them at the day's last instant and attributes the day.
    public static func open(
        day: Int64, events: [AttributionEvent], state: AttributionState, shadowNotional: USDC,
        executor: any Executor = PaperExecutor()
    ) -> OpenDay {
        var next = state
        let startValues = [next.ours.valueByCategory, next.benchmark.valueByCategory, next.rejected.valueByCategory]
        let startNav = [next.ours.nav, next.benchmark.nav, next.rejected.nav]
        let fillsBefore = [next.ours.fills, next.benchmark.fills, next.rejected.fills]
        next.ours.flows = [:]
        next.benchmark.flows = [:]
        next.rejected.flows = [:]
        let all = ShadowPolicy(copies: .all, orderNotional: shadowNotional)
        let rejectedOnly = ShadowPolicy(copies: .rejected, orderNotional: shadowNotional)
        var orders = 0
        var passed = 0
        var funnel: [String: Int] = [:]
        for event in events.sorted(by: { $0.sortKey < $1.sortKey }) {
            switch event {
            case .resolution(let resolution):
                next.ours.resolve(resolution)
                next.benchmark.resolve(resolution)
                next.rejected.resolve(resolution)
            case .decision(let decision, let category):
                next.ours.apply(decision, category: category)
                if let mvar = decision.bookVaR { next.mvar = mvar }
            case .whaleOrder(let order):
                let signal = order.signal
                let key = WhaleHolding(wallet: signal.wallet, asset: signal.asset)
                let position = next.whaleShares[key] ?? .zero
                if ShadowBook.opens(signal, policy: all) {
                    // An accepted buy of the other outcome is an exit of a held one, not a copy.
                    orders += 1
                    if signal.accepted && signal.reason == "passed" { passed += 1 }
                    funnel[signal.accepted ? signal.reason : "\(signal.stage.rawValue)/\(signal.reason)", default: 0] += 1
                }
                ShadowBook.apply(order, to: &next.benchmark, policy: all, whalePosition: position, executor: executor)
                ShadowBook.apply(order, to: &next.rejected, policy: rejectedOnly, whalePosition: position, executor: executor)
                // An order's first signal carries the whole order's size: its later fills add nothing.
                guard !signal.isLaterFillOfOrder else { continue }
                let after = signal.side == .buy ? position + signal.size : max(.zero, position - signal.size)
                next.whaleShares[key] = after.micros > 0 ? after : nil
            }
        }
        return OpenDay(
            day: day, state: next, startValues: startValues, startNav: startNav, fillsBefore: fillsBefore, orders: orders,
            passed: passed, funnel: funnel)
    }

    /// Whether a whale's signal may need market books at its copy instant, given the state before
    /// the day and the signals before it that day: it opens a copy, or it reduces a position a
    /// shadow book may hold. The tokens to fetch are `ShadowBook.bookTokens(of:)`.
    public static func needsBooks(_ signal: Signal, state: AttributionState, boughtToday: Set<WhaleHolding>) -> Bool {
        if ShadowBook.opens(signal, policy: ShadowPolicy(copies: .all, orderNotional: .zero)) { return true }
        guard signal.exit != nil || signal.side == .sell else { return false }
        let token = signal.exit?.asset ?? signal.asset
        let key = WhaleHolding(wallet: signal.wallet, asset: token)
        return state.benchmark.lots[key] != nil || state.rejected.lots[key] != nil || boughtToday.contains(key)
    }
}
