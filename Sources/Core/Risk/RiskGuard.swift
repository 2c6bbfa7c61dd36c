public import RemoraModel
import RemoraQuant

/// Limits of the risk guard's simplest real job.
public struct RiskPolicy: Sendable, Hashable {
    /// Open exposure may not exceed this fraction of NAV (ppm; 500_000 = 50 %).
    public var maxExposurePpm: Int64
    /// Orders below this are not worth a fill.
    public var minimumOrder: USDC
    /// No single order stakes more than this fraction of NAV (ppm; the roadmap's 8 %), whatever
    /// the Kelly fraction asked.
    public var maxOrderPpm: Int64
    /// The portfolio gate: no order whose token moves with a held position at this correlation or
    /// more (``PortfolioCorrelation``); below it the size is scaled by max(0.3, 1 − ρ²).
    public var maxCorrelation: Double
    /// A category's exposure after an order stays at or below this fraction of NAV (ppm; the
    /// roadmap's 30 %). Orders of a market whose category is not known are not capped by it.
    public var maxCategoryPpm: Int64
    /// The book's mVaR and the thresholds of its trading state.
    public var valueAtRisk: VaRPolicy
    /// Pre-trade checks (docs/risk.md, "Pre-trade checks"): the most an entry spends whatever
    /// NAV says (a clamp, like the 8 % cap); a market's and a whale's exposure after an entry
    /// (ppm of NAV); the oldest order book a fill may walk (ms); how far from the midpoint a fill
    /// may take levels (micro-USDC of price); entries per minute of event time; and the window in
    /// which a second entry of one whale in one token is a duplicate (ms).
    public var maxOrderNotional = USDC(micros: 10_000 * microsPerUnit)
    public var maxMarketPpm: Int64 = 100_000
    public var maxWhalePpm: Int64 = 200_000
    public var maxBookAgeMillis: Int64 = 60_000
    public var priceBandMicros: Int64 = 100_000
    public var maxEntriesPerMinute = 30
    public var duplicateWindowMillis: Int64 = 60_000
    /// The trailing stop and the time exit (``PositionControls``).
    public var controls = ControlPolicy()
    /// Sell the copies of a whale in quarantine at the next control instant (off: they keep
    /// their stops and time exits, and the whale's own exits are still mirrored).
    public var closeQuarantined = false

    public init(
        maxExposurePpm: Int64 = 500_000, minimumOrder: USDC = 1, maxOrderPpm: Int64 = 80_000, maxCorrelation: Double = 0.4,
        maxCategoryPpm: Int64 = 300_000, valueAtRisk: VaRPolicy = VaRPolicy()
    ) {
        self.valueAtRisk = valueAtRisk
        self.maxCategoryPpm = maxCategoryPpm
        self.maxExposurePpm = maxExposurePpm
        self.minimumOrder = minimumOrder
        self.maxOrderPpm = maxOrderPpm
        self.maxCorrelation = maxCorrelation
    }
}

/// The risk guard on the submit path: a typed decision with a reason, and paper execution on
/// the book of the copy instant. Pure: the book, the market's order book, the marks and the
/// event time come in; the decision and the new book go out.
public enum RiskGuard {
    /// - Parameters:
    ///   - book: the book, or nil when it cannot be read: then every order is blocked with
    ///     `portfolio_unavailable` (the guard fails closed).
    ///   - market: the token's order book at the copy instant, or why there is none: no book,
    ///     no copy (blocked with the problem's code and its words in `detail`).
    ///   - marks: price series of the held tokens; positions are marked at `time` before the
    ///     order is sized, so NAV and exposure are those of the event time.
    ///   - marketResolved: the order's market has already resolved (its resolution was applied to
    ///     the book): nothing is bought in a market that has ended.
    ///   - daily: daily prices of the held tokens and the order's, over the mVaR window and the
    ///     correlation window before `time`.
    ///
    /// Before anything else the trading state: a HALTED book decides nothing; otherwise the
    /// book's mVaR is measured on the marked book (``BookRisk``) and moves its state (REDUCING
    /// above the limit, ACTIVE again only below the lower threshold); a REDUCING book takes exits
    /// only, and an entry whose mVaR cannot be measured is blocked (`var_unavailable`).
    public static func decide(
        _ order: ProposedOrder, book: Book?, policy: RiskPolicy, at time: EventTime, marketResolved: Bool = false,
        market: Result<OrderBook, MarketDataProblem>, marks: Marks = Marks(), daily: Marks = Marks(),
        groups: [ConditionID: MarketGroup] = [:], takerFeeBps: Int = 0, schedule: MarketSchedule = MarketSchedule(),
        executor: any Executor = PaperExecutor()
    ) -> (OrderDecision, Book?) {
        let midpoint = try? market.get().midpoint
        @Sendable func blocked(_ reason: String, detail: String?, book: Book?) -> (OrderDecision, Book?) {
            (OrderDecision(
                orderId: order.orderId, tradeId: order.tradeId, wallet: order.wallet, conditionId: order.conditionId,
                asset: order.asset, outcomeIndex: order.outcomeIndex, side: order.side, status: .blocked,
                reason: reason, fillPrice: order.limitPrice, fillShares: .zero, fillNotional: .zero,
                navBefore: book?.nav ?? .zero, decidedAt: time, bookMidpoint: midpoint, detail: detail), book)
        }
        guard let unmarked = book else { return blocked("portfolio_unavailable", detail: nil, book: nil) }
        if let halt = unmarked.halt {
            var (decision, same) = blocked(
                "trading_halted", detail: "halted by \(halt.by): \(halt.reason)", book: unmarked)
            decision.tradingState = .halted
            decision.bookMidpoint = nil  // as for nothing_held: whether a book was read depends on the batch
            return (decision, same)
        }
        // An exit of a whale the book holds nothing from changes nothing, not even the marks: the
        // book does not depend on how many such exits there were.
        if order.exitFractionPpm != nil {
            let held = unmarked.fromWhales[WhaleHolding(wallet: order.wallet, asset: order.asset)] ?? .zero
            if held.micros <= 0 || (unmarked.positions[order.asset]?.shares.micros ?? 0) <= 0 {
                var (decision, same) = blocked("nothing_held", detail: "the book holds none of this token from this whale", book: unmarked)
                decision.tradingState = unmarked.tradingState
                // Whether a book was read for it depends on the batch (none is asked for a token
                // not held): the decision does not say, so that it is the same in every run.
                decision.bookMidpoint = nil
                return (decision, same)
            }
        }
        var book = unmarked.marked(at: time, by: marks).peaked()
        // The trading state, measured before the order: exits go on whatever the mVaR says.
        let risk = BookRisk.valueAtRisk(book, at: time, daily: daily, policy: policy.valueAtRisk)
        if let risk { book.measuredState = TradingState.measured(book.measuredState, loss: risk.loss, policy: policy.valueAtRisk) }
        var (decision, next) = decideMeasured(
            order, book: book, risk: risk, policy: policy, at: time, marketResolved: marketResolved, market: market,
            marks: marks, daily: daily, groups: groups, takerFeeBps: takerFeeBps, schedule: schedule, executor: executor,
            blocked: blocked)
        decision.bookVaR = risk?.loss
        decision.tradingState = book.tradingState
        return (decision, next)
    }

    /// The decision once the book is marked and its trading state measured.
    static func decideMeasured(
        _ order: ProposedOrder, book: Book, risk: BookVaR?, policy: RiskPolicy, at time: EventTime, marketResolved: Bool,
        market: Result<OrderBook, MarketDataProblem>, marks: Marks, daily: Marks, groups: [ConditionID: MarketGroup],
        takerFeeBps: Int, schedule: MarketSchedule = MarketSchedule(), executor: any Executor = PaperExecutor(),
        blocked block: (String, String?, Book?) -> (OrderDecision, Book?)
    ) -> (OrderDecision, Book?) {
        func blocked(_ reason: String, detail: String? = nil, book: Book?) -> (OrderDecision, Book?) { block(reason, detail, book) }
        let nav = book.nav
        guard !marketResolved else { return blocked("market_resolved", book: book) }
        if let exitFraction = order.exitFractionPpm {
            return exit(
                order, fractionPpm: exitFraction, book: book, at: time, market: market, marks: marks, takerFeeBps: takerFeeBps,
                executor: executor,
                policy: policy, blocked: { blocked($0, detail: $1, book: $2) })
        }
        guard let risk else {
            return blocked("var_unavailable", detail: "no daily prices for a held token: the book's mVaR cannot be measured", book: book)
        }
        guard book.measuredState == .active else {
            return blocked(
                "book_reducing",
                detail: "mVaR \(percent(risk.loss)) of NAV: entries wait until it is under \(percent(Double(policy.valueAtRisk.activeBelowPpm) / 1_000_000))",
                book: book)
        }
        if let stale = stale(market, at: time, policy: policy) { return blocked("stale_book", detail: stale, book: book) }
        // The time exit would sell it at the next control instant: a round trip for nothing.
        if let exitAt = schedule.exitInstant(of: order.conditionId, at: time, policy: policy.controls), time >= exitAt {
            let end = exitAt.adding(millis: policy.controls.exitBeforeEndMillis)
            return blocked(
                "time_exit_window",
                detail: "the market takes its last orders at \(end.utcText), within the \(policy.controls.exitBeforeEndMillis / 3_600_000) h exit window",
                book: book)
        }
        if let earlier = book.recentEntries.last(where: {
            $0.wallet == order.wallet && $0.asset == order.asset && time.millis - $0.at.millis < policy.duplicateWindowMillis
        }) {
            return blocked(
                "duplicate_order",
                detail: "an entry of this whale in this token filled \((time.millis - earlier.at.millis) / 1000) s before (window \(policy.duplicateWindowMillis / 1000) s)",
                book: book)
        }
        let lastMinute = book.recentEntries.filter { time.millis - $0.at.millis < 60_000 }.count
        guard lastMinute < policy.maxEntriesPerMinute else {
            return blocked("order_rate", detail: "\(lastMinute) entries in the last minute (limit \(policy.maxEntriesPerMinute))", book: book)
        }
        guard order.side == .buy else { return blocked("unsupported_side", book: book) }
        guard order.limitPrice.micros > 0, order.limitPrice.micros < microsPerUnit else { return blocked("invalid_price", book: book) }
        // The portfolio gate: correlation with what is held, then k_corr on the Kelly fraction,
        // then the cap.
        let strongest = PortfolioCorrelation.strongest(
            token: order.asset, market: order.conditionId, held: book.positions.values, at: time, daily: daily, groups: groups)
        if let strongest, strongest.rho >= policy.maxCorrelation {
            var (decision, same) = blocked(
                "correlated_with_book",
                detail: strongest.rho == 1 && book.positions[strongest.asset]?.conditionId == order.conditionId
                    ? "the book holds this market already (one exposure)"
                    : strongest.rho == 1 && groups[order.conditionId]?.negRiskEvent != nil
                        && book.positions[strongest.asset].flatMap({ groups[$0.conditionId]?.negRiskEvent }) == groups[order.conditionId]?.negRiskEvent
                    ? "the book holds another market of this negative-risk event (one exposure)"
                    : "ρ \((strongest.rho * 1000).rounded() / 1000) with held token \(strongest.asset) ≥ \(policy.maxCorrelation)",
                book: book)
            decision.correlation = strongest.rho
            return (decision, same)
        }
        // k_corr and k_dd: the Kelly factors that read our book (the quant library's).
        let correlationFactor = AdaptiveKelly.correlationFactor(strongest?.rho ?? 0)
        let drawdownFactor = AdaptiveKelly.drawdownFactor(book.drawdown)
        let fraction = min(
            Int64((Double(order.fractionPpm) * correlationFactor * drawdownFactor).rounded(.down)), policy.maxOrderPpm)
        let wanted = min(nav.scaled(partsPerMillion: fraction), policy.maxOrderNotional)
        guard wanted >= policy.minimumOrder else { return blocked("below_minimum_order", book: book) }
        guard wanted <= book.cash else { return blocked("insufficient_cash", book: book) }
        let cap = nav.scaled(partsPerMillion: policy.maxExposurePpm)
        guard book.exposure + wanted <= cap else { return blocked("exposure_cap", book: book) }
        if let category = groups[order.conditionId]?.category {
            let held = book.positions.values.filter { groups[$0.conditionId]?.category == category }.reduce(USDC.zero) { $0 + $1.value }
            let limit = nav.scaled(partsPerMillion: policy.maxCategoryPpm)
            guard held + wanted <= limit else {
                return blocked(
                    "category_cap", detail: "\(category): \(held) held + \(wanted) > \(limit) (\(Double(policy.maxCategoryPpm) / 10_000) % of NAV)",
                    book: book)
            }
        }
        let inMarket = book.positions.values.filter { $0.conditionId == order.conditionId }.reduce(USDC.zero) { $0 + $1.value }
        let marketLimit = nav.scaled(partsPerMillion: policy.maxMarketPpm)
        guard inMarket + wanted <= marketLimit else {
            return blocked("market_cap", detail: "\(inMarket) held in this market + \(wanted) > \(marketLimit)", book: book)
        }
        let fromWhale = book.fromWhales.filter { $0.key.wallet == order.wallet }.reduce(USDC.zero) { total, holding in
            total + holding.value.value(at: book.positions[holding.key.asset]?.mark ?? Price(micros: 0))
        }
        let whaleLimit = nav.scaled(partsPerMillion: policy.maxWhalePpm)
        guard fromWhale + wanted <= whaleLimit else {
            return blocked("whale_cap", detail: "\(fromWhale) held copying this whale + \(wanted) > \(whaleLimit)", book: book)
        }
        let quoted: OrderBook
        switch market {
        case .success(let found): quoted = found
        case .failure(let problem): return blocked(problem.code, detail: problem.description, book: book)
        }
        // The price band: only asks within it of the midpoint are taken (a partial fill beyond).
        guard var orderBook = quoted.banded(.buy, within: Price(micros: policy.priceBandMicros)) else {
            return blocked(
                "price_band", detail: "no ask within \(Price(micros: policy.priceBandMicros)) of the midpoint \(quoted.midpoint)", book: book)
        }
        // The edge limit: no ask above the price at which the sizer's probability no longer pays
        // for the share and its taker fee. Past it a copy buys shares its own estimate says lose
        // money: on thin books a Kelly-sized order walked up to the 10-cent band (docs/risk.md).
        if let p = order.kelly?.probability {
            let limit = Self.breakEven(probability: p, takerFeeBps: takerFeeBps)
            guard let cut = orderBook.asks(atMost: limit) else {
                return blocked(
                    "no_edge_at_book",
                    detail: "best ask \(orderBook.asks.first.map { "\($0.price)" } ?? "none") above \(limit), where p = \((p * 10_000).rounded() / 10_000) leaves no edge after the fee",
                    book: book)
            }
            orderBook = cut
        }
        let execution = executor.execute(.buy(notional: wanted), against: orderBook, takerFeeBps: takerFeeBps)
        let walk = execution.walk
        if let refusal = walk.refusal { return blocked("below_market_minimum", detail: refusal.description, book: book) }
        guard let average = walk.averagePrice else { return blocked("nothing_to_take", book: book) }
        let fee = execution.fee
        guard walk.cash + fee <= book.cash else { return blocked("insufficient_cash", detail: "\(walk.cash) + fee \(fee) > cash \(book.cash)", book: book) }
        var next = book
        next.cash = next.cash - walk.cash - fee
        var position = next.positions[order.asset]
            ?? BookPosition(
                asset: order.asset, conditionId: order.conditionId, outcomeIndex: order.outcomeIndex, shares: .zero,
                cost: .zero, mark: orderBook.midpoint)
        position.shares = position.shares + walk.shares
        position.cost = position.cost + walk.cash + fee
        position.mark = marks.mark(of: order.asset, at: time)?.price ?? orderBook.midpoint
        next.positions[order.asset] = position
        // The trailing stop starts at entry (a position bought into a fall is protected before
        // the next control instant); adding to a held position keeps the stop it has.
        if next.stops[order.asset] == nil, policy.controls.atrMultiple > 0 {
            next.stops[order.asset] = PositionControls.stopLevel(
                of: order.asset, mark: position.mark, at: time, daily: daily, policy: policy.controls)
        }
        next.fromWhales[WhaleHolding(wallet: order.wallet, asset: order.asset), default: .zero] += walk.shares
        next.recentEntries = next.recentEntries.filter { time.millis - $0.at.millis < max(60_000, policy.duplicateWindowMillis) }
            + [RecentEntry(at: time, wallet: order.wallet, asset: order.asset)]
        let decision = OrderDecision(
            orderId: order.orderId, tradeId: order.tradeId, wallet: order.wallet, conditionId: order.conditionId,
            asset: order.asset, outcomeIndex: order.outcomeIndex, side: order.side, status: .filled,
            reason: walk.exhausted ? "partial_fill" : "within_limits", fillPrice: average,
            fillShares: walk.shares, fillNotional: walk.cash, navBefore: nav, decidedAt: time,
            bookMidpoint: orderBook.midpoint, unfilledNotional: walk.unfilledCash, correlation: strongest?.rho,
            bookDrawdown: book.drawdown, fee: fee)
        return (decision, next)
    }

    /// An exit: sells the order's share of what the book holds of the token from the order's
    /// whale, walking the bids of the copy instant; the position's cost leaves at its average.
    static func exit(
        _ order: ProposedOrder, fractionPpm: Int64, book: Book, at time: EventTime, market: Result<OrderBook, MarketDataProblem>,
        marks: Marks, takerFeeBps: Int, executor: any Executor = PaperExecutor(), policy: RiskPolicy,
        blocked: (String, String?, Book?) -> (OrderDecision, Book?)
    ) -> (OrderDecision, Book?) {
        let key = WhaleHolding(wallet: order.wallet, asset: order.asset)
        guard let position = book.positions[order.asset], position.shares.micros > 0 else {
            return blocked("nothing_held", "the book holds none of this token", book)
        }
        let held = min(book.fromWhales[key] ?? .zero, position.shares)
        guard held.micros > 0 else { return blocked("nothing_held", "the book holds none of this token from this whale", book) }
        let wanted = Shares(micros: fractionPpm >= 1_000_000 ? held.micros : mulDivRounded(held.micros, fractionPpm, 1_000_000))
        guard wanted.micros > 0 else { return blocked("nothing_held", "the whale's share of our holding rounds to nothing", book) }
        let orderBook: OrderBook
        switch market {
        case .success(let found): orderBook = found
        case .failure(let problem): return blocked(problem.code, problem.description, book)
        }
        if let stale = stale(market, at: time, policy: policy) { return blocked("stale_book", stale, book) }
        let execution = executor.execute(.sell(shares: wanted), against: orderBook, takerFeeBps: takerFeeBps)
        let walk = execution.walk
        if let refusal = walk.refusal { return blocked("below_market_minimum", refusal.description, book) }
        guard let average = walk.averagePrice, walk.shares.micros > 0 else { return blocked("nothing_to_take", nil, book) }
        let fee = execution.fee
        let proceeds = walk.cash - fee
        var next = book
        var left = position
        let costOut = USDC(micros: mulDivRounded(position.cost.micros, walk.shares.micros, position.shares.micros))
        left.shares = position.shares - walk.shares
        left.cost = position.cost - costOut
        left.mark = marks.mark(of: order.asset, at: time)?.price ?? position.mark
        next.positions[order.asset] = left.shares.micros > 0 ? left : nil
        next.cash = next.cash + proceeds
        next.realizedPnl = next.realizedPnl + proceeds - costOut
        let remaining = (book.fromWhales[key] ?? .zero) - walk.shares
        next.fromWhales[key] = remaining.micros > 0 ? remaining : nil
        next = next.pruningStops()
        let decision = OrderDecision(
            orderId: order.orderId, tradeId: order.tradeId, wallet: order.wallet, conditionId: order.conditionId,
            asset: order.asset, outcomeIndex: order.outcomeIndex, side: .sell, status: .filled,
            reason: walk.exhausted ? "partial_fill" : "exit", fillPrice: average, fillShares: walk.shares,
            fillNotional: walk.cash, navBefore: book.nav, decidedAt: time, bookMidpoint: orderBook.midpoint,
            detail: "sold \(walk.shares) of the \(held) shares held from this whale (\(Double(fractionPpm) / 10_000) %)", fee: fee)
        return (decision, next)
    }

    /// Why the book is too old to fill on, if it is: taken more than the limit before `time`.
    static func stale(_ market: Result<OrderBook, MarketDataProblem>, at time: EventTime, policy: RiskPolicy) -> String? {
        guard case .success(let book) = market, let asOf = book.asOf, time.millis - asOf.millis > policy.maxBookAgeMillis else { return nil }
        return "the book was taken \((time.millis - asOf.millis) / 1000) s before the decision (limit \(policy.maxBookAgeMillis / 1000) s)"
    }

    /// A fraction as a percentage with two decimals ("8.25 %").
    static func percent(_ fraction: Double) -> String {
        "\((fraction * 10_000).rounded() / 100) %"
    }

    /// The change of trading state a decision or an operator's action made, if any.
    /// The highest price at which a share bought as a taker is worth its cost at probability
    /// `p`: x + r·x·(1 − x) = p with r the fee rate (Polymarket's fee per share), rounded down to
    /// the micro-unit.
    public static func breakEven(probability p: Double, takerFeeBps: Int) -> Price {
        let r = Double(max(0, takerFeeBps)) / 10_000
        let q = min(max(p, 0), 1)
        let x = r == 0 ? q : ((1 + r) - ((1 + r) * (1 + r) - 4 * r * q).squareRoot()) / (2 * r)
        return Price(micros: min(microsPerUnit - 1, max(0, Int64((x * Double(microsPerUnit)).rounded(.down)))))
    }

    public static func stateChange(from before: Book?, to after: Book?, at time: EventTime, cause: String) -> TradingStateChange? {
        guard let before, let after, before.tradingState != after.tradingState else { return nil }
        return TradingStateChange(at: time, from: before.tradingState, to: after.tradingState, cause: cause)
    }

    /// An operator's halt or resume (`remora risk halt|resume`): a halt holds the book HALTED
    /// until a resume, which returns it to its mVaR state. A halt of a halted book, or a resume
    /// of one not halted, changes nothing.
    public static func apply(_ action: RiskAction, to book: Book) -> (Book, TradingStateChange?) {
        var next = book
        next.actionsThrough = max(book.actionsThrough, action.id)
        switch action.kind {
        case .halt where book.halt == nil: next.halt = action
        case .resume where book.halt != nil: next.halt = nil
        default: return (next, nil)
        }
        let cause = "\(action.kind == .halt ? "halted" : "resumed") by \(action.by): \(action.reason)"
        return (next, stateChange(from: book, to: next, at: action.at, cause: cause))
    }

    /// Closes every position of a resolved market at its payout; realized P&L moves to cash.
    public static func apply(_ resolution: MarketResolution, to book: Book) -> Book {
        var next = book.peaked()
        for (asset, position) in book.positions where position.conditionId == resolution.conditionId {
            let proceeds = position.shares.value(at: resolution.outcome.payout(forOutcome: position.outcomeIndex))
            next.cash = next.cash + proceeds
            next.realizedPnl = next.realizedPnl + proceeds - position.cost
            next.positions[asset] = nil
            for key in book.fromWhales.keys where key.asset == asset { next.fromWhales[key] = nil }
        }
        return next.pruningStops()
    }
}
