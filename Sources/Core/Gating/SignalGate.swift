public import RemoraModel
import RemoraQuant

/// What the trade gate reads of the market, fetched before deciding (so the decision stays a
/// pure function): the market's terms as of the copy instant, the book then, and the token's
/// daily prices before it.
public struct MarketView: Sendable {
    public var terms: Result<MarketTerms?, MarketDataProblem>
    public var book: Result<OrderBook, MarketDataProblem>
    public var dailyPrices: Result<PriceSeries, MarketDataProblem>

    public init(
        terms: Result<MarketTerms?, MarketDataProblem>, book: Result<OrderBook, MarketDataProblem>,
        dailyPrices: Result<PriceSeries, MarketDataProblem>
    ) {
        self.terms = terms
        self.book = book
        self.dailyPrices = dailyPrices
    }
}

/// The signal gate: is the whale qualified now, and is this trade worth copying? (Whether it fits
/// our portfolio is decided by the risk guard, the only reader of our book.) Every verdict keeps
/// its stage, a stable reason code, and every value it measured. Pure: the whale's figures are the
/// scorer's as of the trade, the market's are as of the copy instant, both passed in.
public enum SignalGate {
    /// The checks that need no market data, in order. `detectedAt` is when we learned of the
    /// trade, in live mode only (a replay learns of everything late, by design). Nil: go on to
    /// the market checks (``evaluate(_:whale:market:copyAt:detectedAt:policy:)``).
    public static func screen(
        _ trade: Trade, whale: WhaleFigures?, quarantine: QuarantineEvent? = nil, detectedAt: EventTime?, policy: GatePolicy
    ) -> Signal? {
        let verdict = Verdict(trade: trade, whale: whale)
        if trade.late {
            // Stored behind the watermark: the stages after us may have decided past its time.
            return verdict.rejected(.trade, "late", "stored behind its partition's watermark: settled and scored, never copied")
        }
        if let rejected = whaleGate(trade, whale: whale, quarantine: quarantine, policy: policy) { return rejected }
        guard let whale else { return nil }
        return tradeScreen(trade, whale: whale, detectedAt: detectedAt, policy: policy)
    }

    /// Stage 1 alone: nil when the whale qualifies as of the trade. `quarantine`: the one in
    /// effect then (``Quarantine``), checked last — only a whale the figures qualify needs its
    /// history folded.
    public static func whaleGate(
        _ trade: Trade, whale: WhaleFigures?, quarantine: QuarantineEvent? = nil, policy: GatePolicy
    ) -> Signal? {
        let verdict = Verdict(trade: trade, whale: whale)
        guard let whale else { return verdict.rejected(.whale, "unscored_wallet", "no score before this trade") }
        if whale.settledTrades < policy.minimumSettledTrades {
            return verdict.rejected(.whale, "too_few_settled_trades", "\(whale.settledTrades) settled < \(policy.minimumSettledTrades)")
        }
        if whale.wqs < policy.minimumScore {
            return verdict.rejected(.whale, "score_below_threshold", "WQS \(fixed(whale.wqs, 2)) < \(fixed(policy.minimumScore, 2))")
        }
        if policy.requireRisingSharpe, !(whale.sharpe30 > whale.sharpe90) {
            return verdict.rejected(
                .whale, "sharpe_fading", "30-day Sharpe \(fixed(whale.sharpe30, 2)) ≤ 90-day \(fixed(whale.sharpe90, 2))")
        }
        if whale.currentDrawdown >= policy.maximumWhaleDrawdown {
            return verdict.rejected(
                .whale, "whale_drawdown",
                "drawdown \(percent(whale.currentDrawdown)) ≥ \(percent(policy.maximumWhaleDrawdown))")
        }
        if policy.requireWinRateAboveBase, !(whale.winRateLow > whale.baseRate) {
            return verdict.rejected(
                .whale, "win_rate_not_above_base",
                "win rate's 95 % lower bound \(fixed(whale.winRateLow, 3)) ≤ base rate \(fixed(whale.baseRate, 3))")
        }
        if let quarantine {
            return verdict.rejected(
                .whale, "quarantined",
                "quarantined since \(quarantine.at.utcText) (\(quarantine.triggers.map(\.rawValue).joined(separator: ", "))): \(quarantine.detail)")
        }
        return nil
    }

    /// Stage 2 before the market: sales, maker fills, size, staleness.
    static func tradeScreen(_ trade: Trade, whale: WhaleFigures, detectedAt: EventTime?, policy: GatePolicy) -> Signal? {
        let verdict = Verdict(trade: trade, whale: whale)
        if trade.side == .sell {
            return verdict.rejected(.trade, "sell_not_copied", "a sale opens nothing; exits follow our own positions")
        }
        if trade.role == .maker, !policy.copyMakerFills {
            return verdict.rejected(
                .trade, "maker_fill", "the whale's resting order was taken: its price was the taker's choice, not a signal")
        }
        if trade.notional < policy.minimumNotional {
            return verdict.rejected(.trade, "size_below_minimum", "notional \(trade.notional) < \(policy.minimumNotional)")
        }
        if let detectedAt, detectedAt.millis - trade.timestamp.millis > policy.maximumSignalAgeMillis {
            return verdict.rejected(
                .trade, "stale",
                "detected \(fixed(Double(detectedAt.millis - trade.timestamp.millis) / 1000, 1)) s after the fill > \(policy.maximumSignalAgeMillis / 1000) s")
        }
        return nil
    }

    /// A whale's sale — a fall in its position — mirrored: the entry gates are skipped (a whale
    /// we follow out of a position is followed out even if it no longer qualifies, quarantined
    /// included), and the order goes to sizing and risk with reason `exit`. `followed`: the whale
    /// reached the gate's minimum score before the sale; `positionBefore`: its position in the
    /// token before the order, from its listed trades. The risk guard sells only what our book
    /// holds from this whale.
    public static func exit(
        _ trade: Trade, whale: WhaleFigures?, followed: Bool, positionBefore: Shares, otherOutcomeHeld: Shares = .zero,
        policy: GatePolicy
    ) -> Signal {
        var verdict = Verdict(trade: trade, whale: whale)
        if trade.late {
            return verdict.rejected(.trade, "late", "stored behind its partition's watermark: settled and scored, never copied")
        }
        if trade.kind == .conversion, !policy.followConversions {
            return verdict.rejected(
                .trade, "conversion_held",
                "a negative-risk conversion: the whale holds the event's other outcomes instead, its exposure unchanged; held (REMORA_GATE_CONVERSIONS=hold)")
        }
        guard followed else {
            return verdict.rejected(
                .trade, "sell_not_copied", "a sale by a whale never followed (WQS never \(fixed(policy.minimumScore, 2)) or more): nothing of it was copied")
        }
        guard positionBefore.micros > 0 else {
            return verdict.rejected(.trade, "sell_not_copied", "no position before the sale in the whale's listed trades")
        }
        // Its exposure is what it holds net of the other outcome: pairs of both are worth 1
        // whatever happens, and the buys of the other outcome that made them were exits already.
        guard let exposure = netHeld(positionBefore, against: otherOutcomeHeld) else {
            return verdict.rejected(
                .trade, "sell_not_copied",
                "its \(positionBefore) shares are all paired with \(otherOutcomeHeld) of the other outcome: a sale of pairs, already followed out")
        }
        let exit = WhaleExit(sharesBefore: exposure, sharesReduced: trade.size)
        verdict.exit = exit
        // A conversion hands the shares over for "Yes" of the event's other markets: the position
        // we copied falls as by a sale, and we follow it out with one (docs/strategy.md#conversions).
        let how = trade.kind == .conversion ? "converted (negative risk)" : "sold"
        return verdict.accepted(
            reason: "exit",
            "the whale \(how) \(trade.size) of its \(exposure) shares\(exposure == positionBefore ? "" : " net of the other outcome") (\(percent(Double(exit.fractionPpm) / 1_000_000))): we sell that share of what we hold from it")
    }

    /// A whale's exposure to one outcome of a binary market: what it holds of it beyond what it
    /// holds of the other (a pair of both is cash in waiting, merged or not); nil when none.
    public static func netHeld(_ held: Shares, against other: Shares) -> Shares? {
        // A negative holding (sales beyond the listed buys) counts as none.
        let paired = max(0, other.micros)
        return held.micros > paired ? Shares(micros: held.micros - paired) : nil
    }

    /// A whale's buy of one outcome while it holds the other: its position in that other outcome
    /// falls by what it bought (a pair of both outcomes is worth 1 whatever happens), so we reduce
    /// ours in the same proportion — an exit of the other token, never a copy of the buy (what it
    /// bought beyond its holding is not copied: we follow the whale out, not into the other side).
    /// `held`: its exposure to the other outcome before the order, net of what it held of this
    /// one (``netHeld(_:against:)``).
    public static func complementExit(
        _ trade: Trade, whale: WhaleFigures?, held: Shares, heldToken: TokenID, heldOutcome: Int
    ) -> Signal {
        var verdict = Verdict(trade: trade, whale: whale)
        let exit = WhaleExit(
            sharesBefore: held, sharesReduced: min(trade.size, held), asset: heldToken, outcomeIndex: heldOutcome)
        verdict.exit = exit
        return verdict.accepted(
            reason: "exit",
            "the whale bought \(trade.size) of the other outcome against its \(held) shares (\(percent(Double(exit.fractionPpm) / 1_000_000)) of them paired off): we sell that share of what we hold from it")
    }

    /// A fill of a whale order another fill stands for: gated and sized once, with that one. The
    /// stages stay in order: a fill that is late, or whose whale does not qualify, says so first.
    public static func partOfOrder(
        _ trade: Trade, whale: WhaleFigures?, quarantine: QuarantineEvent? = nil, order: WhaleOrder, exit: Bool = false,
        policy: GatePolicy
    ) -> Signal {
        // Whatever the reason, the signal names the fill that stands for the order.
        func marked(_ signal: Signal) -> Signal {
            var signal = signal
            signal.orderFirstFill = order.first.id
            return signal
        }
        let verdict = Verdict(trade: trade, whale: whale)
        if trade.late {
            return marked(verdict.rejected(.trade, "late", "stored behind its partition's watermark: settled and scored, never copied"))
        }
        // A sale is an exit or nothing: the entry gates do not apply to it.
        if trade.side == .buy, !exit, let rejected = whaleGate(trade, whale: whale, quarantine: quarantine, policy: policy) {
            return marked(rejected)
        }
        return marked(verdict.rejected(
            .trade, "part_of_order",
            "one of the \(order.fills) fills of an order of \(order.combined.notional) USDC, gated once with its first fill \(order.first.id)"))
    }

    /// The whole gate: ``screen(_:whale:detectedAt:policy:)``, then the market at the copy
    /// instant. `market` nil is never asked for a trade the screen rejects.
    public static func evaluate(
        _ trade: Trade, whale: WhaleFigures?, quarantine: QuarantineEvent? = nil, market: MarketView?, copyAt: EventTime,
        detectedAt: EventTime? = nil, policy: GatePolicy
    ) -> Signal {
        if let rejected = screen(trade, whale: whale, quarantine: quarantine, detectedAt: detectedAt, policy: policy) {
            return rejected
        }
        var verdict = Verdict(trade: trade, whale: whale)
        verdict.measures = TradeMeasures(copyAt: copyAt)
        guard let market, let whale else {
            return verdict.rejected(.trade, "market_data_unavailable", "no market data was read for this trade")
        }
        // The market's terms then: open, and ending soon enough.
        let terms: MarketTerms
        switch market.terms {
        case .failure(let problem): return verdict.rejected(.trade, problem.code, problem.description)
        case .success(nil): return verdict.rejected(.trade, "market_terms_unknown", "no terms of this market seen by then")
        case .success(let known?): terms = known
        }
        verdict.measures?.takerFeeBps = terms.takerFeeBps
        if !terms.acceptingOrders || (terms.closedAt.map { $0 <= copyAt } ?? false) {
            return verdict.rejected(.trade, "market_closed", "the market took no orders at the copy instant")
        }
        guard let last = terms.lastOrderTime else {
            return verdict.rejected(.trade, "end_unknown", "the market has no end date: the time to its end cannot be checked")
        }
        let daysToEnd = Double(last.millis - copyAt.millis) / Double(EventTime.day)
        verdict.measures?.daysToEnd = daysToEnd
        if daysToEnd <= 0 { return verdict.rejected(.trade, "market_closed", "the market ended before the copy instant") }
        if daysToEnd > policy.maximumDaysToEnd {
            return verdict.rejected(
                .trade, "too_far_from_end", "\(fixed(daysToEnd, 1)) days to the end > \(fixed(policy.maximumDaysToEnd, 0))")
        }
        // The book then: what a reference order would pay.
        let book: OrderBook
        switch market.book {
        case .failure(let problem): return verdict.rejected(.trade, problem.code, problem.description)
        case .success(let known): book = known
        }
        let walk = BookWalk.take(.buy, notional: policy.referenceNotional, from: book)
        verdict.measures?.midpoint = book.midpoint
        guard walk.shares.micros > 0, walk.refusal == nil, book.midpoint.micros > 0 else {
            return verdict.rejected(.trade, "no_liquidity", "a reference order of \(policy.referenceNotional) took nothing from the book")
        }
        // Cash ÷ shares to the nearest micro-USDC (a notional walk truncates both: 0.41 would read
        // 0.409999); the sizer reads the same number.
        let average = Price(micros: mulDivRounded(walk.cash.micros, microsPerUnit, walk.shares.micros))
        let slippage = Double(average.micros - book.midpoint.micros) / Double(book.midpoint.micros)
        verdict.measures?.expectedFillPrice = average
        verdict.measures?.referenceSlippage = slippage
        // The edge after lag, slippage and fee: what is left to copy.
        let fill = average.doubleValue
        let feePerShare = Double(terms.takerFeeBps) / 10_000 * fill * (1 - fill)
        let blend = AdaptiveKelly.blendedWinProbability(whale: whale.bayesianWinRate, market: book.midpoint.doubleValue)
        let edge = min(0.99, max(0.01, trade.price.doubleValue + whale.edge.shrunkMean(priorDeviation: policy.edgePriorDeviation)))
        let probability = policy.probabilityMethod == .blend ? blend : edge
        verdict.measures?.probabilityBlend = blend
        verdict.measures?.probabilityEdge = edge
        verdict.measures?.probability = probability
        let copyability = probability - fill - feePerShare
        verdict.copyability = copyability
        if case .success(let series) = market.dailyPrices {
            let prices = series.points.map(\.price.doubleValue)
            let returns = EWMAVolatility.logReturns(prices: prices)
            if !returns.isEmpty { verdict.measures?.volatility = EWMAVolatility().forecastVolatility(returns: returns) }
        }
        if slippage >= policy.maximumSlippage {
            return verdict.rejected(
                .trade, "slippage_too_high",
                "a \(policy.referenceNotional) USDC order pays \(percent(slippage)) over the midpoint ≥ \(percent(policy.maximumSlippage))")
        }
        if copyability < policy.minimumCopyability {
            return verdict.rejected(
                .trade, "edge_below_minimum",
                "copyability \(percent(copyability)) < \(percent(policy.minimumCopyability)) (p \(fixed(probability, 3)), fill \(average), fee \(fixed(feePerShare, 4)))")
        }
        return verdict.accepted("WQS \(fixed(whale.wqs, 2)), copyability \(percent(copyability))")
    }

    /// A verdict under construction: the trade's fields and what was measured so far.
    struct Verdict {
        let trade: Trade
        let whale: WhaleFigures?
        var measures: TradeMeasures?
        var copyability: Double?
        var exit: WhaleExit?

        init(trade: Trade, whale: WhaleFigures?) {
            self.trade = trade
            self.whale = whale
        }

        func rejected(_ stage: GateStage, _ reason: String, _ detail: String) -> Signal {
            signal(accepted: false, stage: stage, reason: reason, detail: detail)
        }

        /// Accepted by the whale and trade gates; the portfolio gate runs in the risk guard.
        func accepted(reason: String = "passed", _ detail: String) -> Signal {
            signal(accepted: true, stage: .portfolio, reason: reason, detail: detail)
        }

        private func signal(accepted: Bool, stage: GateStage, reason: String, detail: String) -> Signal {
            Signal(
                tradeId: trade.id, wallet: trade.wallet, conditionId: trade.conditionId, asset: trade.asset,
                outcomeIndex: trade.outcomeIndex, side: trade.side, price: trade.price, size: trade.size,
                tradeTime: trade.timestamp, accepted: accepted, stage: stage, reason: reason, detail: detail,
                whaleScore: whale?.wqs, whale: whale, measures: measures, copyability: copyability, exit: exit)
        }
    }

    static func fixed(_ value: Double, _ digits: Int) -> String {
        guard value.isFinite else { return "\(value)" }
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let rounded = (value * scale).rounded() / scale
        return "\(rounded)"
    }

    static func percent(_ fraction: Double) -> String { fixed(fraction * 100, 2) + " %" }
}
