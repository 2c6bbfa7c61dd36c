import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import Testing

/// The whale and trade gates and the sizer's Kelly on hand-made cases at and around each
/// threshold (docs/strategy.md).
@Suite("Strategy: the signal gate and the Kelly sizer")
struct StrategyTests {
    static let copyAt = EventTime(seconds: 1_000_030)

    static func whale(
        wqs: Double = 80, settled: Int = 40, sharpe30: Double = 2, sharpe90: Double = 1, drawdown: Double = 0.05,
        winRate: Double = 0.6, low: Double = 0.55, base: Double = 0.5, edge: TradeEdge = TradeEdge(count: 40, mean: 0.2, deviation: 0.4)
    ) -> WhaleFigures {
        WhaleFigures(
            wqs: wqs, settledTrades: settled, sharpe30: sharpe30, sharpe90: sharpe90, currentDrawdown: drawdown,
            bayesianWinRate: winRate, winRateLow: low, baseRate: base, edge: edge)
    }

    /// A taker buy of 20,000 shares at 0.40 (8,000 USDC).
    static func fill(side: Side = .buy, role: TradeRole = .taker, shares: Int64 = 20_000, price: Int64 = 400_000) -> Trade {
        var t = Trade(
            wallet: wallet, side: side, asset: "70", conditionId: market, outcomeIndex: 0, outcome: "Yes",
            size: Shares(micros: shares * microsPerUnit), price: Price(micros: price), timestamp: EventTime(seconds: 1_000_000),
            transactionHash: "0xabc")
        t.role = role
        return t
    }

    static func terms(end: EventTime? = EventTime(seconds: 1_000_000 + 30 * 86_400), feeBps: Int = 0, closed: EventTime? = nil, accepting: Bool = true)
        -> MarketTerms
    {
        MarketTerms(
            conditionId: market, seenAt: EventTime(seconds: 1), endDate: end, closedAt: closed, acceptingOrders: accepting,
            takerFeeBps: feeBps, tick: Price(micros: 10_000), minimumOrder: 5)
    }

    /// Asks at 0.41 (deep) and a bid at 0.39: midpoint 0.40, a 1,000 USDC order pays 0.41, 2.5 % over it.
    static func book(bidMicros: Int64 = 390_000, askMicros: Int64 = 410_000, depth: Int64 = 1_000_000) -> OrderBook {
        try! OrderBook(
            bids: [DepthLevel(price: Price(micros: bidMicros), size: Shares(micros: depth * microsPerUnit))],
            asks: [DepthLevel(price: Price(micros: askMicros), size: Shares(micros: depth * microsPerUnit))],
            tick: Price(micros: 10_000))
    }

    static func view(terms: MarketTerms? = Self.terms(), book: OrderBook = Self.book()) -> MarketView {
        MarketView(terms: .success(terms), book: .success(book), dailyPrices: .success(PriceSeries(token: "70", fidelityMinutes: 1440, points: [])))
    }

    /// A policy that passes the default case: slippage up to 5 %, copyability from 1 %.
    static let open = GatePolicy(maximumSlippage: 0.05, minimumCopyability: 0.01)

    func verdict(
        _ trade: Trade = Self.fill(), whale: WhaleFigures? = Self.whale(), market: MarketView? = Self.view(),
        detectedAt: EventTime? = nil, policy: GatePolicy = Self.open
    ) -> Signal {
        SignalGate.evaluate(trade, whale: whale, market: market, copyAt: Self.copyAt, detectedAt: detectedAt, policy: policy)
    }

    func reason(_ signal: Signal) -> String { signal.accepted ? "passed" : "\(signal.stage.rawValue)/\(signal.reason)" }

    @Test("the whale gate: score, record, Sharpe trend, drawdown, the optional win-rate bound, each at its threshold")
    func whaleGate() {
        #expect(reason(verdict()) == "passed")
        #expect(reason(verdict(whale: nil)) == "whale/unscored_wallet")
        #expect(reason(verdict(whale: Self.whale(settled: 4))) == "whale/too_few_settled_trades")
        #expect(reason(verdict(whale: Self.whale(settled: 5))) == "passed")
        #expect(reason(verdict(whale: Self.whale(wqs: 74.99))) == "whale/score_below_threshold")
        #expect(reason(verdict(whale: Self.whale(wqs: 75))) == "passed")
        #expect(reason(verdict(whale: Self.whale(sharpe30: 1, sharpe90: 1))) == "whale/sharpe_fading")
        #expect(reason(verdict(whale: Self.whale(sharpe30: 1.0001, sharpe90: 1))) == "passed")
        var off = Self.open
        off.requireRisingSharpe = false
        #expect(reason(verdict(whale: Self.whale(sharpe30: 0, sharpe90: 1), policy: off)) == "passed")
        #expect(reason(verdict(whale: Self.whale(drawdown: 0.25))) == "whale/whale_drawdown")
        #expect(reason(verdict(whale: Self.whale(drawdown: 0.2499))) == "passed")
        var bound = Self.open
        bound.requireWinRateAboveBase = true
        #expect(reason(verdict(whale: Self.whale(low: 0.5, base: 0.5), policy: bound)) == "whale/win_rate_not_above_base")
        #expect(reason(verdict(whale: Self.whale(low: 0.5001, base: 0.5), policy: bound)) == "passed")
        // A whale verdict measures no market.
        #expect(verdict(whale: nil).measures == nil && verdict(whale: nil).copyability == nil)
    }

    @Test("the trade gate before the market: late, sales, maker fills, notional, staleness in live mode")
    func tradeScreen() {
        var late = Self.fill()
        late.late = true
        #expect(reason(verdict(late)) == "trade/late")
        #expect(reason(verdict(Self.fill(side: .sell))) == "trade/sell_not_copied")
        #expect(reason(verdict(Self.fill(role: .maker))) == "trade/maker_fill")
        var makers = Self.open
        makers.copyMakerFills = true
        #expect(reason(verdict(Self.fill(role: .maker), policy: makers)) == "passed")
        #expect(reason(verdict(Self.fill(role: .unknown))) == "passed")
        // 12,499.99 shares × 0.40 = 4,999.996 USDC < 5,000.
        #expect(reason(verdict(Self.fill(shares: 12_499))) == "trade/size_below_minimum")
        #expect(reason(verdict(Self.fill(shares: 12_500))) == "passed")
        // Detected 300 s after the fill: still fresh; 300.001 s: stale. A replay passes no detection time.
        #expect(reason(verdict(detectedAt: EventTime(millis: 1_000_000_000 + 300_000))) == "passed")
        #expect(reason(verdict(detectedAt: EventTime(millis: 1_000_000_000 + 300_001))) == "trade/stale")
    }

    @Test("the trade gate on the market: terms, time to the end, the reference order's slippage, copyability")
    func tradeMarket() {
        #expect(reason(verdict(market: nil)) == "trade/market_data_unavailable")
        #expect(reason(verdict(market: Self.view(terms: nil))) == "trade/market_terms_unknown")
        #expect(reason(verdict(market: Self.view(terms: Self.terms(accepting: false)))) == "trade/market_closed")
        #expect(reason(verdict(market: Self.view(terms: Self.terms(closed: EventTime(seconds: 1_000_030))))) == "trade/market_closed")
        #expect(reason(verdict(market: Self.view(terms: Self.terms(end: nil)))) == "trade/end_unknown")
        // 90 days from the copy instant is the limit.
        #expect(reason(verdict(market: Self.view(terms: Self.terms(end: Self.copyAt.adding(millis: 90 * EventTime.day))))) == "passed")
        let far = verdict(market: Self.view(terms: Self.terms(end: Self.copyAt.adding(millis: 90 * EventTime.day + 1))))
        #expect(reason(far) == "trade/too_far_from_end")
        #expect(far.measures?.daysToEnd.map { $0 > 90 } == true)
        // Slippage: 0.41 against a 0.40 midpoint is 2.5 %; the default 1 % limit rejects it.
        var strict = Self.open
        strict.maximumSlippage = 0.025
        #expect(reason(verdict(policy: strict)) == "trade/slippage_too_high")
        strict.maximumSlippage = 0.02501
        #expect(reason(verdict(policy: strict)) == "passed")
        let passed = verdict()
        #expect(passed.measures?.midpoint == Price(micros: 400_000))
        #expect(passed.measures?.expectedFillPrice == Price(micros: 410_000))
        #expect(abs((passed.measures?.referenceSlippage ?? 0) - 0.025) < 1e-12)
    }

    @Test("copyability: the whale's price plus its shrunk edge, less the expected fill and the fee per share")
    func copyability() throws {
        let edge = TradeEdge(count: 40, mean: 0.2, deviation: 0.4)
        // τ = 0.05: 0.2 × 40·0.0025 ÷ (40·0.0025 + 0.16) = 0.2 × 0.1/0.26.
        let shrunk = 0.2 * 0.1 / 0.26
        #expect(abs(edge.shrunkMean(priorDeviation: 0.05) - shrunk) < 1e-15)
        // A fee of 200 bps at 0.41: 0.02 × 0.41 × 0.59 per share.
        let fee = 0.02 * 0.41 * 0.59
        let signal = verdict(market: Self.view(terms: Self.terms(feeBps: 200)))
        let expected = 0.40 + shrunk - 0.41 - fee
        #expect(abs(try #require(signal.copyability) - expected) < 1e-12)
        #expect(signal.measures?.probability == signal.measures?.probabilityEdge)
        // The blend: 0.7 × win rate + 0.3 × midpoint.
        #expect(abs((signal.measures?.probabilityBlend ?? 0) - (0.7 * 0.6 + 0.3 * 0.40)) < 1e-12)
        // At the threshold and just under it.
        var policy = Self.open
        let measured = try #require(signal.copyability)
        policy.minimumCopyability = measured
        #expect(reason(verdict(market: Self.view(terms: Self.terms(feeBps: 200)), policy: policy)) == "passed")
        policy.minimumCopyability = measured.nextUp
        let under = verdict(market: Self.view(terms: Self.terms(feeBps: 200)), policy: policy)
        #expect(reason(under) == "trade/edge_below_minimum")
        #expect(under.copyability != nil, "a rejection keeps the copyability it measured")
        // The blend passes a cheap buy of a whale with no edge at all (why `edge` is the default).
        var wide = Self.open
        wide.maximumSlippage = 0.2  // a 0.05/0.06 book: the ask is 9 % over the midpoint
        var blend = wide
        blend.probabilityMethod = .blend
        let noEdge = Self.whale(edge: TradeEdge(count: 40, mean: 0, deviation: 0.4))
        let cheap = Self.view(book: Self.book(bidMicros: 50_000, askMicros: 60_000))
        let cheapFill = Self.fill(shares: 200_000, price: 50_000)
        #expect(reason(verdict(cheapFill, whale: noEdge, market: cheap, policy: blend)) == "passed")
        #expect(reason(verdict(cheapFill, whale: noEdge, market: cheap, policy: wide)) == "trade/edge_below_minimum")
    }

    @Test("shrinkage: a short record moves the estimate little, a long one close to its mean")
    func shrinkage() {
        #expect(TradeEdge().shrunkMean(priorDeviation: 0.05) == 0)
        let one = TradeEdge(count: 1, mean: 0.6, deviation: 0)
        #expect(abs(one.shrunkMean(priorDeviation: 0.05) - 0.6 * 0.0025 / (0.0025 + 0.25)) < 1e-15)
        let long = TradeEdge(count: 10_000, mean: 0.05, deviation: 0.3)
        #expect(long.shrunkMean(priorDeviation: 0.05) > 0.049)
        // A flat record's deviation is floored at 0.1: 100 trades of exactly +0.02 are not certainty.
        let flat = TradeEdge(count: 100, mean: 0.02, deviation: 0)
        #expect(abs(flat.shrunkMean(priorDeviation: 0.05) - 0.02 * 0.25 / (0.25 + 0.01)) < 1e-15)
    }

    @Test("volatility: EWMA of the daily log returns before the copy instant, as the quant library computes it")
    func volatility() {
        let prices = [0.40, 0.42, 0.41, 0.45, 0.44]
        let points = prices.enumerated().map { PricePoint(time: EventTime(seconds: Int64($0.offset) * 86_400), price: Price(micros: Int64(($0.element * 1e6).rounded()))) }
        let market = MarketView(
            terms: .success(Self.terms()), book: .success(Self.book()),
            dailyPrices: .success(PriceSeries(token: "70", fidelityMinutes: 1440, points: points)))
        let signal = verdict(market: market)
        let expected = EWMAVolatility().forecastVolatility(returns: EWMAVolatility.logReturns(prices: prices))
        #expect(abs((signal.measures?.volatility ?? 0) - expected) < 1e-15)
    }

    @Test("the Kelly sizer: half Kelly at the expected fill net of fee, times confidence and volatility; the factors travel with the order")
    func kelly() throws {
        var signal = verdict(market: Self.view(terms: Self.terms(feeBps: 200)))
        signal.measures?.volatility = 0.1
        let order = try #require(try KellySizer.propose(signal, lag: CopyLag(millis: 30_000))?.get())
        let kelly = try #require(order.kelly)
        let p = try #require(signal.measures?.probability)
        let c = 0.41 + 0.02 * 0.41 * 0.59
        let b = (1 - c) / c
        let f = (p * b - (1 - p)) / b
        let confidence = 0.4 + 0.6 * 80 / 100
        let volatility = 1 / (1 + 5 * 0.1)
        #expect(abs(kelly.netOdds - b) < 1e-12 && abs(kelly.fullKelly - f) < 1e-12)
        #expect(abs(kelly.confidence - confidence) < 1e-12 && abs(kelly.volatility - volatility) < 1e-12)
        #expect(abs(kelly.fraction - 0.5 * f * confidence * volatility) < 1e-12)
        #expect(order.fractionPpm == Int64((kelly.fraction * 1_000_000).rounded(.down)))
        #expect(order.copyAt == Self.copyAt)
        // Unknown volatility is neutral (1), not the factor's best (1.2).
        signal.measures?.volatility = nil
        #expect(try KellySizer.propose(signal, lag: CopyLag(millis: 30_000))?.get().kelly?.volatility == 1)
        // No edge at the fill: no order, and why.
        signal.measures?.probability = 0.40
        guard case .failure(.noEdge) = KellySizer.propose(signal, lag: CopyLag(millis: 30_000)) else {
            Issue.record("an order without edge")
            return
        }
        // A rejected signal is not sized.
        #expect(KellySizer.propose(verdict(whale: nil), lag: CopyLag(millis: 30_000)) == nil)
    }

    @Test("market terms first seen after the instant stand as they were then: open, the later close unknown")
    func projectedTerms() {
        var seenLate = Self.terms(closed: EventTime(seconds: 2_000_000), accepting: false)
        seenLate.seenAt = EventTime(seconds: 3_000_000)
        let then = seenLate.projected(to: Self.copyAt)
        #expect(then.acceptingOrders && then.closedAt == nil && then.endDate == seenLate.endDate)
        // Closed before the instant: closed then too.
        let after = seenLate.projected(to: EventTime(seconds: 2_500_000))
        #expect(!after.acceptingOrders && after.closedAt == EventTime(seconds: 2_000_000))
        // Seen by the instant: as seen.
        var seenEarly = seenLate
        seenEarly.seenAt = EventTime(seconds: 1)
        #expect(seenEarly.projected(to: Self.copyAt) == seenEarly)
    }

    @Test("the scorer's edge per share: payout − price for a buy, price − payout for a sale, voids left out")
    func scorerEdge() {
        func settlement(_ id: String, side: Side, price: Int64, result: SettlementResult, at seconds: Int64) -> TradeSettlement {
            let payout: Int64 = result == .win ? (side == .buy ? 1_000_000 : 0) : result == .loss ? (side == .buy ? 0 : 1_000_000) : 500_000
            return TradeSettlement(
                tradeId: id, wallet: wallet, conditionId: market, category: "crypto", side: side, size: 100,
                price: Price(micros: price), payout: Price(micros: payout), result: result, cost: USDC(micros: 100 * price),
                fee: .zero, realizedPnl: .zero, tradeTime: EventTime(seconds: seconds - 10), settledAt: EventTime(seconds: seconds))
        }
        let all = [
            settlement("a", side: .buy, price: 400_000, result: .win, at: 100),  // +0.6
            settlement("b", side: .buy, price: 300_000, result: .loss, at: 200),  // −0.3
            settlement("c", side: .sell, price: 700_000, result: .win, at: 300),  // sold at 0.7, paid 0: +0.7
            settlement("d", side: .buy, price: 450_000, result: .void, at: 400),  // left out
        ]
        let metrics = WalletMetricsCalculator.metrics(of: all, asOf: EventTime(seconds: 500), baseRate: 0.5)
        let edges = [0.6, -0.3, 0.7]
        let mean = edges.reduce(0, +) / 3
        let deviation = (edges.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 2).squareRoot()
        #expect(metrics.edge.count == 3)
        #expect(abs(metrics.edge.mean - mean) < 1e-12 && abs(metrics.edge.deviation - deviation) < 1e-12)
        #expect(metrics.figures.edge == metrics.edge && metrics.figures.wqs == metrics.wqs)
    }
}

@Suite("Engine: whale timelines and the gate's validation report")
struct GateEngineTests {
    @Test("a timeline answers with the last publication strictly before the instant")
    func timelineBefore() {
        let figures = StrategyTests.whale()
        let points = [300, 100, 200].map {
            WhaleTimeline.Point(time: EventTime(seconds: Int64($0)), figures: figures, realizedPnl: USDC(micros: Int64($0)))
        }
        let timeline = WhaleTimeline(points: points)
        #expect(timeline.before(EventTime(seconds: 100)) == nil)
        #expect(timeline.before(EventTime(millis: 100_001))?.realizedPnl == USDC(micros: 100))
        #expect(timeline.before(EventTime(seconds: 300))?.realizedPnl == USDC(micros: 200))
        #expect(timeline.before(EventTime(seconds: 9_999))?.realizedPnl == USDC(micros: 300))
    }

    @Test("the scorer's timeline: one point per settlement time, each the score the scorer computes then")
    func scorerTimeline() {
        func settlement(_ id: String, won: Bool, at seconds: Int64) -> TradeSettlement {
            TradeSettlement(
                tradeId: id, wallet: wallet, conditionId: market, category: "crypto", side: .buy, size: 100,
                price: Price(micros: 400_000), payout: Price(micros: won ? 1_000_000 : 0), result: won ? .win : .loss, cost: 40,
                fee: .zero, realizedPnl: won ? 60 : -40, tradeTime: EventTime(seconds: seconds - 3600), settledAt: EventTime(seconds: seconds))
        }
        let all = (0..<6).map { settlement("t\($0)", won: $0 % 3 != 0, at: 1_000_000 + Int64($0) * 50_000) }
        let timeline = WalletScoring.timeline(of: wallet, settlements: all, fills: [], marks: MarketMarks(), markDaysThrough: nil, context: { ScoringContext(day: $0) })
        #expect(timeline.points.count == 6)
        for (i, point) in timeline.points.enumerated() {
            let direct = WalletScoring.score(
                wallet, settlements: all, fills: [], marks: MarketMarks(), asOf: all[i].settledAt, context: ScoringContext(day: all[i].settledAt.dayNumber))
            #expect(point.figures == direct.figures, "point \(i)")
            #expect(point.realizedPnl == direct.realizedPnl)
        }
    }

    @Test("the report: shares kept out and kept against a hand count; intervals hold the estimate")
    func report() {
        // Six trades: values −0.1, −0.2, +0.3, +0.1, −0.05, +0.2; the rule passes 1, 3 and 6.
        let value = [-0.1, -0.2, 0.3, 0.1, -0.05, 0.2]
        let passed = [false, true, false, true, false, true]
        let reasons = ["whale/a", "passed", "trade/b", "passed", "trade/b", "passed"]
        let r = GateValidation.report(
            name: "t", passed: passed, reasons: reasons, whaleQualified: [false, true, true, true, true, true], value: value, resamples: 500)
        #expect(r.all.trades == 6 && r.all.passed == 3 && r.all.negative == 3 && r.all.negativeKeptOut == 2)
        #expect(abs(r.all.keptOutShare - 2.0 / 3) < 1e-12)
        #expect(abs(r.all.valueKeptShare - 0.3 / 0.6) < 1e-12)
        #expect(abs(r.all.meanPassedValue - (-0.2 + 0.1 + 0.2) / 3) < 1e-12)
        #expect(r.qualifiedWhales.trades == 5 && abs(r.qualifiedWhales.passThrough - 0.6) < 1e-12)
        #expect(r.reasons["trade/b"]?.trades == 2 && abs((r.reasons["trade/b"]?.positiveValue ?? 0) - 0.3) < 1e-12)
        #expect(r.keptOutInterval.contains(r.all.keptOutShare) && r.valueKeptInterval.contains(r.all.valueKeptShare))
        // Deterministic: the same seed, the same intervals.
        let again = GateValidation.report(
            name: "t", passed: passed, reasons: reasons, whaleQualified: [false, true, true, true, true, true], value: value, resamples: 500)
        #expect(again.keptOutInterval == r.keptOutInterval)
        // Over a subset (the trades the gate chooses among): trades 2, 3, 4 and 6.
        let some = GateValidation.report(
            name: "t", passed: passed, reasons: reasons, whaleQualified: [false, true, true, true, true, true],
            copyable: [false, true, true, true, false, true], value: value, resamples: 500)
        #expect(some.copyable.trades == 4 && some.copyable.passed == 3 && some.copyable.negative == 1 && some.copyable.negativeKeptOut == 0)
        #expect(abs(some.copyable.valueKeptShare - 0.3 / 0.6) < 1e-12 && some.all.trades == 6)
        #expect(some.copyableKeptOutInterval == 0...0 && some.copyableValueKeptInterval.contains(0.5))
        #expect(some.keptOutInterval == r.keptOutInterval, "the intervals over all trades do not move")
    }

    @Test("tuning: the grid spans every threshold; the ranking puts the roadmap's floor first, then the net value passed")
    func tuningRank() {
        let grid = GateTuning.grid(base: GatePolicy())
        #expect(grid.count == GateTuning.scores.count * GateTuning.settledTrades.count * 2 * GateTuning.notionals.count * GateTuning.slippages.count * GateTuning.copyabilities.count * 2)
        #expect(Set(grid.map(\.label)).count == grid.count)
        let strict = grid.first { $0.policy.minimumScore == 75 }!
        #expect(strict.policy.quarantine.enterBelowScore == 50 && strict.policy.quarantine.releaseAboveScore == 60)
        #expect(Set(grid.map(\.policy.minimumSettledTrades)) == Set(GateTuning.settledTrades))
        func figures(passed: Int, keptOut: Int, valueKept: Double, net: Double? = nil) -> GateValidationReport.Figures {
            var f = GateValidationReport.Figures()
            f.trades = 200
            f.passed = passed
            f.negative = 100
            f.negativeKeptOut = keptOut
            f.positiveValue = 10
            f.positiveValueKept = valueKept
            f.passedValue = net ?? valueKept
            return f
        }
        let ranked = GateTuning.rank([
            (grid[0], figures(passed: 30, keptOut: 70, valueKept: 9)),  // more value, below the floor
            (grid[1], figures(passed: 30, keptOut: 80, valueKept: 4)),
            (grid[2], figures(passed: 25, keptOut: 90, valueKept: 5)),
            (grid[3], figures(passed: 10, keptOut: 99, valueKept: 6)),  // too few passed to count
            (grid[4], figures(passed: 0, keptOut: 100, valueKept: 0)),  // passes nothing: not ranked
            // Keeps the most positive value, but the bad copies it lets through cost more.
            (grid[5], figures(passed: 60, keptOut: 85, valueKept: 8, net: 3)),
        ])
        #expect(ranked.map(\.candidate.label) == [grid[2].label, grid[1].label, grid[5].label, grid[0].label, grid[3].label])
    }

    @Test("a memoized source asks its source once per question, problems included")
    func memoized() async throws {
        actor Counting: MarketData {
            var asked = 0
            func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook {
                asked += 1
                if token == "gone" { throw .noBook(token, detail: "closed") }
                return try! OrderBook(
                    bids: [DepthLevel(price: Price(micros: 390_000), size: 10)], asks: [DepthLevel(price: Price(micros: 410_000), size: 10)],
                    tick: Price(micros: 10_000))
            }
            func series(of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int) async throws(MarketDataProblem) -> PriceSeries {
                asked += 1
                return PriceSeries(token: token, fidelityMinutes: fidelityMinutes, points: [])
            }
            func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms? {
                asked += 1
                return nil
            }
        }
        let source = Counting()
        let memo = MemoizedMarketData(source)
        let t = EventTime(seconds: 100)
        for _ in 0..<3 {
            _ = try await memo.book(of: "a", at: t)
            await #expect(throws: MarketDataProblem.self) { try await memo.book(of: "gone", at: t) }
            _ = try await memo.series(of: "a", from: EventTime(seconds: 0), through: t, fidelityMinutes: 1440)
            _ = try await memo.terms(of: ConditionID("0x" + String(repeating: "1", count: 64))!, at: t)
        }
        #expect(await source.asked == 4)
        _ = try await memo.book(of: "a", at: EventTime(seconds: 101))
        #expect(await source.asked == 5, "another instant is another question")
    }
}

@Suite("Risk guard: the portfolio gate")
struct PortfolioGateTests {
    static let time = EventTime(seconds: 40 * 86_400 + 3600)
    static let deep = Result<OrderBook, MarketDataProblem>.success(try! OrderBook(
        bids: [DepthLevel(price: Price(micros: 390_000), size: 1_000_000)],
        asks: [DepthLevel(price: Price(micros: 400_000), size: 1_000_000)], tick: Price(micros: 10_000)))
    static let otherMarket = ConditionID("0x" + String(repeating: "3", count: 64))!

    /// 31 daily closes (days 10…40) of a price path.
    static func daily(_ token: String, _ price: (Int) -> Double) -> PriceSeries {
        PriceSeries(token: token, fidelityMinutes: 1440, points: (10...40).map {
            PricePoint(time: EventTime(seconds: Int64($0) * 86_400), price: Price(micros: Int64((price($0) * 1e6).rounded())))
        })
    }

    static func book(holding asset: String, in market: ConditionID) -> Book {
        Book(initialCash: 100_000, cash: 90_000, positions: [
            asset: BookPosition(asset: asset, conditionId: market, outcomeIndex: 0, shares: 20_000, cost: 10_000, mark: Price(micros: 500_000)),
        ])
    }

    func decide(
        _ book: Book, daily: [String: PriceSeries], fractionPpm: Int64 = 20_000, groups: [ConditionID: MarketGroup] = [:]
    ) -> OrderDecision {
        let order = ProposedOrder(
            orderId: "o", tradeId: "t", wallet: wallet, conditionId: market, asset: "70", outcomeIndex: 0, side: .buy,
            limitPrice: Price(micros: 400_000), fractionPpm: fractionPpm, tradeTime: Self.time)
        var policy = RiskPolicy(maxExposurePpm: 950_000)
        policy.valueAtRisk.reduceAbovePpm = 1_000_000  // books of one large position: the portfolio gate is what is tested
        return RiskGuard.decide(
            order, book: book, policy: policy, at: Self.time, market: Self.deep,
            daily: Marks(series: daily).covering(book, at: Self.time), groups: groups).0
    }

    @Test("a category's exposure after the order stays at or below 30 % of NAV; an unknown category is not capped")
    func categoryCap() {
        // 10,000 held in crypto (10 % of NAV 100,000): a 2 % crypto order fits, a 21 % one does not.
        let held = Self.book(holding: "99", in: Self.otherMarket)
        let crypto = [market: MarketGroup(category: "crypto"), Self.otherMarket: MarketGroup(category: "crypto")]
        #expect(decide(held, daily: [:], groups: crypto).status == .filled)
        #expect(decide(held, daily: [:], fractionPpm: 200_000, groups: crypto).status == .filled)  // capped at 8 %: 18 %
        var big = held
        big.positions["99"]?.shares = 50_000  // 25,000 held: 25 %; NAV 115,000 → limit 34,500
        #expect(decide(big, daily: [:], groups: crypto).status == .filled)  // 25,000 + 2,300 ≤ 34,500
        big.positions["99"]?.shares = 80_000  // 40,000 held of NAV 130,000: limit 39,000 < 40,000 + 2,600
        let over = decide(big, daily: [:], groups: crypto)
        #expect(over.status == .blocked && over.reason == "category_cap", "\(over)")
        // Another category does not count; nor does an unknown one.
        let split = [market: MarketGroup(category: "sports"), Self.otherMarket: MarketGroup(category: "crypto")]
        #expect(decide(big, daily: [:], groups: split).status == .filled)
        #expect(decide(big, daily: [:]).status == .filled)
    }

    @Test("markets of one negative-risk event are one exposure, like the same market")
    func negativeRiskEvent() {
        let held = Self.book(holding: "99", in: Self.otherMarket)
        let event = [
            market: MarketGroup(category: "politics", negRiskEvent: "e1"), Self.otherMarket: MarketGroup(category: "sports", negRiskEvent: "e1"),
        ]
        let d = decide(held, daily: [:], groups: event)
        #expect(d.status == .blocked && d.reason == "correlated_with_book" && d.correlation == 1, "\(d)")
        #expect(d.detail?.contains("negative-risk event") == true)
        let apart = [
            market: MarketGroup(category: "politics", negRiskEvent: "e1"), Self.otherMarket: MarketGroup(category: "sports", negRiskEvent: "e2"),
        ]
        #expect(decide(held, daily: [:], groups: apart).status == .filled)
    }

    // A wiggle whose log returns are not constant (a constant return has no correlation).
    static func wave(_ day: Int) -> Double { 0.5 + 0.1 * sin(Double(day) * 1.3) }

    @Test("k_dd: an entry is scaled by max(0.2, 1 − 3 × the book's drawdown below its peak NAV; the peak follows NAV up")
    func drawdownFactor() {
        // NAV 100,000 (cash 90,000 + 20,000 shares at 0.50): at its peak, the full size.
        var book = Self.book(holding: "99", in: Self.otherMarket)
        let top = decide(book, daily: [:])
        #expect(top.bookDrawdown == 0 && top.fillNotional == book.nav.scaled(partsPerMillion: 20_000), "\(top)")
        // A peak of 125,000: 20 % below it, k_dd = 0.4.
        book.peakNav = 125_000
        let down = decide(book, daily: [:])
        #expect(abs((down.bookDrawdown ?? 0) - 0.2) < 1e-12)
        // (To 1 ppm of NAV: 20,000 × (1 − 3 × 0.2) rounds down to 7,999 ppm in binary floating point.)
        #expect(abs(down.fillNotional.micros - book.nav.scaled(partsPerMillion: 8_000).micros) <= 100_000, "\(down)")
        // 30 % or more below: the floor, 0.2.
        book.peakNav = 200_000
        let deep = decide(book, daily: [:])
        #expect(abs(deep.fillNotional.micros - book.nav.scaled(partsPerMillion: 4_000).micros) <= 100_000, "\(deep)")
        // A NAV above the old peak is the new peak.
        book.peakNav = 50_000
        #expect(book.peaked().peakNav == book.nav && book.drawdown == 0)
    }

    @Test("the same market is one exposure: blocked")
    func sameMarket() {
        let d = decide(Self.book(holding: "71", in: market), daily: [:])
        #expect(d.status == .blocked && d.reason == "correlated_with_book" && d.correlation == 1)
    }

    @Test("a token moving with a held one is blocked from 0.4; below, the size is scaled by max(0.3, 1 − ρ²)")
    func correlated() throws {
        let held = Self.book(holding: "99", in: Self.otherMarket)
        // Moves with it: ρ = 1.
        let together = decide(held, daily: ["70": Self.daily("70", Self.wave), "99": Self.daily("99", { Self.wave($0) * 0.8 })])
        #expect(together.reason == "correlated_with_book")
        #expect(abs((together.correlation ?? 0) - 1) < 1e-9)
        // Against it: ρ = −1, allowed (a hedge), the size scaled by the floor 0.3.
        let against = decide(held, daily: ["70": Self.daily("70", Self.wave), "99": Self.daily("99", { 1 - Self.wave($0) })])
        #expect(against.status == .filled, "\(against)")
        let rho = try #require(against.correlation)
        #expect(rho < -0.9)
        let nav = held.nav
        let expected = nav.scaled(partsPerMillion: Int64((20_000 * max(0.3, 1 - rho * rho)).rounded(.down)))
        #expect(abs(against.fillNotional.micros - expected.micros) <= 1, "\(against.fillNotional) vs \(expected)")
        // Too few prices in common: no correlation claimed, the full size.
        let short = PriceSeries(token: "99", fidelityMinutes: 1440, points: [PricePoint(time: EventTime(seconds: 39 * 86_400), price: Price(micros: 500_000))])
        let unknown = decide(held, daily: ["70": Self.daily("70", Self.wave), "99": short])
        #expect(unknown.status == .filled && unknown.correlation == nil)
        #expect(abs(unknown.fillNotional.micros - nav.scaled(partsPerMillion: 20_000).micros) <= 1)
    }
}

@Suite("Whale orders: one transaction, token and side is gated once")
struct WhaleOrderTests {
    @Test("the order's size is the fills' total, its price their average, the first stored stands for it")
    func combine() throws {
        var a = StrategyTests.fill(shares: 10_000, price: 400_000)
        a.id = "a"
        var b = StrategyTests.fill(shares: 5_000, price: 430_000)
        b.id = "b"
        let order = try #require(WhaleOrder([b, a]))
        #expect(order.first.id == "b" && order.fills == 2)
        #expect(order.combined.size == Shares(micros: 15_000 * microsPerUnit))
        // (10,000 × 0.40 + 5,000 × 0.43) ÷ 15,000 = 0.41
        #expect(order.combined.price == Price(micros: 410_000))
        #expect(order.combined.notional == USDC(micros: 6_150 * microsPerUnit))
        #expect(WhaleOrder.key(of: a) == WhaleOrder.key(of: b))
        var other = a
        other.side = .sell
        #expect(WhaleOrder.key(of: other) != WhaleOrder.key(of: a))
        // Mixed roles: unknown (settled and gated as a taker's).
        var maker = b
        maker.role = .maker
        #expect(WhaleOrder([a, maker])?.combined.role == .unknown)
    }

    @Test("the gate sees the order: two fills under the minimum pass together; the other fill points to the first")
    func gateOnOrder() throws {
        var a = StrategyTests.fill(shares: 7_000, price: 400_000)  // 2,800 USDC
        a.id = "a"
        var b = StrategyTests.fill(shares: 7_000, price: 400_000)
        b.id = "b"
        let order = try #require(WhaleOrder([a, b]))
        let alone = SignalGate.evaluate(a, whale: StrategyTests.whale(), market: StrategyTests.view(), copyAt: StrategyTests.copyAt, policy: StrategyTests.open)
        #expect(alone.reason == "size_below_minimum")
        let together = SignalGate.evaluate(
            order.combined, whale: StrategyTests.whale(), market: StrategyTests.view(), copyAt: StrategyTests.copyAt, policy: StrategyTests.open)
        #expect(together.accepted && together.tradeId == "a" && together.size == Shares(micros: 14_000 * microsPerUnit))
        let part = SignalGate.partOfOrder(b, whale: StrategyTests.whale(), order: order, policy: StrategyTests.open)
        #expect(!part.accepted && part.reason == "part_of_order" && part.detail.contains("a"))
        #expect(part.orderFirstFill == "a" && part.isLaterFillOfOrder)
        // A whale the checks turn away: the later fill says why, and still names the order's first.
        let unscored = SignalGate.partOfOrder(b, whale: nil, order: order, policy: StrategyTests.open)
        #expect(unscored.stage == .whale && unscored.reason == "unscored_wallet" && unscored.orderFirstFill == "a")
        #expect(unscored.isLaterFillOfOrder)
        #expect(together.orderFirstFill == nil && !together.isLaterFillOfOrder)
    }
}
