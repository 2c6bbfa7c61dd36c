import Foundation
import RemoraCore
import RemoraModel
import Testing

let wallet = WalletAddress("0x" + String(repeating: "1", count: 40))!
let market = ConditionID("0x" + String(repeating: "2", count: 64))!

func trade(side: Side = .buy, outcome: Int = 0, size: Int64 = 1000, priceMicros: Int64 = 400_000, at seconds: Int64 = 100) -> Trade {
    Trade(
        wallet: wallet, side: side, asset: "7\(outcome)", conditionId: market, outcomeIndex: outcome, outcome: "",
        size: Shares(micros: size * microsPerUnit), price: Price(micros: priceMicros), timestamp: EventTime(seconds: seconds),
        transactionHash: "0x\(seconds)")
}

@Suite("Settlement")
struct SettlementTests {
    let resolvedYes = MarketResolution(conditionId: market, outcome: .winner(index: 0), resolvedAt: EventTime(seconds: 500))

    @Test("buy of the winner: size × (1 − price)")
    func buyWin() {
        let s = Settlement.settle(trade(), market: nil, resolution: resolvedYes)
        #expect(s.result == .win)
        #expect(s.realizedPnl == USDC(micros: 600 * microsPerUnit))
        #expect(s.cost == 400)
    }

    @Test("buy of the loser, sell of the winner, void")
    func others() {
        #expect(Settlement.settle(trade(outcome: 1), market: nil, resolution: resolvedYes).realizedPnl == -400)
        let sell = Settlement.settle(trade(side: .sell), market: nil, resolution: resolvedYes)
        #expect(sell.result == .loss && sell.realizedPnl == -600)
        let void = MarketResolution(conditionId: market, outcome: .void, resolvedAt: EventTime(seconds: 500))
        let v = Settlement.settle(trade(), market: nil, resolution: void)
        #expect(v.result == .void && v.realizedPnl == 100)  // 1000 × (0.5 − 0.4)
    }

    @Test("taker fee = shares × rate × p × (1 − p), rounded once")
    func fee() {
        // 100,000 × 0.03 × 0.3333 × 0.6667 = 666.63333… USDC exactly; rounding in steps would give 666.6.
        #expect(Settlement.takerFee(size: 100_000, price: Price(micros: 333_300), feePpm: 30_000) == USDC(micros: 666_633_330))
        // 1000 shares × 0.03 × 0.4 × 0.6 = 7.2 USDC
        #expect(Settlement.takerFee(size: 1000, price: Price(micros: 400_000), feePpm: 30_000) == USDC(micros: 7_200_000))
        let m = Market(
            conditionId: market, question: "?", category: "crypto", outcomes: ["Yes", "No"], tokenIds: ["70", "71"],
            endDate: nil, tickSize: Price(micros: 10_000), takerFeePpm: 30_000)
        let s = Settlement.settle(trade(), market: m, resolution: resolvedYes)
        #expect(s.fee == USDC(micros: 7_200_000))
        #expect(s.realizedPnl == USDC(micros: 592_800_000))
        #expect(s.category == "crypto")
    }

    @Test("the settlement carries the fill's role: a maker pays no fee; the payload names a known role only")
    func role() throws {
        let m = Market(
            conditionId: market, question: "?", category: "crypto", outcomes: ["Yes", "No"], tokenIds: ["70", "71"],
            endDate: nil, tickSize: Price(micros: 10_000), takerFeePpm: 30_000)
        var maker = trade()
        maker.role = .maker
        var taker = trade()
        taker.role = .taker
        let made = Settlement.settle(maker, market: m, resolution: resolvedYes)
        let took = Settlement.settle(taker, market: m, resolution: resolvedYes)
        let unknown = Settlement.settle(trade(), market: m, resolution: resolvedYes)
        #expect(made.role == .maker && made.fee == .zero)
        #expect(took.role == .taker && took.fee == USDC(micros: 7_200_000))
        #expect(unknown.role == .unknown && unknown.fee == took.fee)
        #expect(made.canonicalJSON.contains(#""result":"win","role":"maker","settledAt""#))
        #expect(!unknown.canonicalJSON.contains("role"))
        // Both encodings read back, and a payload without a role reads as unknown.
        for s in [made, took, unknown] {
            #expect(try JSONCoding.decoder.decode(TradeSettlement.self, from: Data(s.canonicalJSON.utf8)) == s)
            #expect(try JSONCoding.decoder.decode(TradeSettlement.self, from: JSONCoding.encoder.encode(s)) == s)
        }
    }
}

@Suite("Risk guard")
struct RiskGuardTests {
    /// Orders in `market` for the default token; another token is in a market of its own (the
    /// portfolio gate counts one market as one exposure).
    func order(fractionPpm: Int64 = 20_000, price: Int64 = 400_000, asset: String = "70") -> ProposedOrder {
        let own = asset == "70" ? market : ConditionID("0x" + String(repeating: "0", count: 64 - asset.count) + asset)!
        return ProposedOrder(
            orderId: "o\(asset)\(fractionPpm)", tradeId: "t", wallet: wallet, conditionId: own, asset: asset,
            outcomeIndex: 0, side: .buy, limitPrice: Price(micros: price), fractionPpm: fractionPpm,
            tradeTime: EventTime(seconds: 1))
    }

    /// A book whose best ask (0.40) takes any size: the midpoint is 0.395.
    static let deep = Result<OrderBook, MarketDataProblem>.success(try! OrderBook(
        bids: [DepthLevel(price: Price(micros: 390_000), size: 1_000_000)],
        asks: [DepthLevel(price: Price(micros: 400_000), size: 1_000_000)], tick: Price(micros: 10_000)))

    func decide(
        _ order: ProposedOrder, book: Book?, policy: RiskPolicy = RiskPolicy(), marketResolved: Bool = false,
        market: Result<OrderBook, MarketDataProblem> = Self.deep, marks: Marks = Marks()
    ) -> (OrderDecision, Book?) {
        RiskGuard.decide(
            order, book: book, policy: policy, at: EventTime(seconds: 31), marketResolved: marketResolved, market: market, marks: marks,
            daily: Marks().covering(book, at: EventTime(seconds: 31)))
    }

    @Test("fills a fraction of NAV on the book's ask; the position is marked at the midpoint")
    func fill() throws {
        let (d, next) = decide(order(), book: Book(initialCash: 100_000))
        let book = try #require(next)
        #expect(d.status == .filled && d.fillNotional == 2000 && d.fillShares == 5000 && d.fillPrice == Price(micros: 400_000))
        #expect(d.bookMidpoint == Price(micros: 395_000) && d.unfilledNotional == .zero)
        #expect(abs(d.slippageBps! - 5_000.0 / 395_000 * 10_000) < 1e-9, "half the spread over the midpoint")
        #expect(book.cash == 98_000 && book.exposure == 1975 && book.nav == 99_975)
    }

    @Test("walks a thin book level by level, exact to the micro-USDC; a book too thin fills partly")
    func walk() throws {
        let thin = try OrderBook(
            bids: [DepthLevel(price: Price(micros: 380_000), size: 500)],
            asks: [DepthLevel(price: Price(micros: 400_000), size: 1000), DepthLevel(price: Price(micros: 410_000), size: 2000),
                   DepthLevel(price: Price(micros: 420_000), size: 10_000)], tick: Price(micros: 10_000))
        let (d, next) = decide(order(), book: Book(initialCash: 100_000), market: .success(thin))
        // 400 USDC for 1,000 at 0.40, 820 for 2,000 at 0.41, the last 780 buys 1,857.142857 at 0.42 (779.999999 USDC).
        #expect(d.fillShares == Shares(micros: 4_857_142_857) && d.fillNotional == USDC(micros: 1_999_999_999))
        #expect(d.fillPrice == Price(micros: 411_764) && d.reason == "within_limits" && d.unfilledNotional == USDC(micros: 1))
        #expect(try #require(next).cash == USDC(micros: 98_000_000_001))
        let shallow = try OrderBook(
            bids: [DepthLevel(price: Price(micros: 380_000), size: 500)], asks: [DepthLevel(price: Price(micros: 400_000), size: 100)],
            tick: Price(micros: 10_000))
        let (partial, _) = decide(order(), book: Book(initialCash: 100_000), market: .success(shallow))
        #expect(partial.status == .filled && partial.reason == "partial_fill" && partial.fillNotional == 40 && partial.unfilledNotional == 1960)
    }

    @Test("no book, no copy: the order is blocked with the problem's code and words, the book untouched (its peak NAV noted)")
    func noBook() {
        let start = Book(initialCash: 100_000)
        let (d, next) = decide(order(), book: start, market: .failure(.noBook("70", detail: "no order book then")))
        #expect(d.status == .blocked && d.reason == "no_book" && d.detail?.contains("no order book then") == true && next == start.peaked())
        let minimum = try! OrderBook(
            bids: [DepthLevel(price: Price(micros: 390_000), size: 10)], asks: [DepthLevel(price: Price(micros: 400_000), size: 100_000)],
            tick: Price(micros: 10_000), minimumOrder: 10_000)
        #expect(decide(order(), book: start, market: .success(minimum)).0.reason == "below_market_minimum")
    }

    @Test("held positions are marked at the event time from market data before the order is sized")
    func marked() throws {
        let held = Book(initialCash: 100_000, cash: 50_000, positions: [
            "9": BookPosition(asset: "9", conditionId: ConditionID("0x" + String(repeating: "9", count: 64))!, outcomeIndex: 0, shares: 100_000, cost: 50_000, mark: Price(micros: 500_000)),
        ])
        let series = PriceSeries(token: "9", fidelityMinutes: 1, points: [
            PricePoint(time: EventTime(seconds: 0), price: Price(micros: 600_000)),
            PricePoint(time: EventTime(seconds: 60), price: Price(micros: 100_000)),  // after the decision: not seen
        ])
        // Half the NAV in one token is over the mVaR limit (its floor alone is 33 %): not what this checks.
        var policy = RiskPolicy(maxExposurePpm: 1_000_000)
        policy.valueAtRisk.reduceAbovePpm = 1_000_000
        let (d, next) = decide(order(), book: held, policy: policy, marks: Marks(series: ["9": series]))
        #expect(d.navBefore == 110_000, "cash 50,000 + 100,000 shares at 0.60")
        let after = try #require(next)
        #expect(d.fillNotional == 2200 && after.positions["9"]?.mark == Price(micros: 600_000))
    }

    @Test("blocks past the exposure cap, without cash, and below the minimum")
    func blocks() throws {
        var book = Book(initialCash: 100_000)
        var reasons: [String] = []
        for i in 0..<30 {
            let (d, next) = decide(order(asset: "\(i)"), book: book, policy: RiskPolicy(maxExposurePpm: 100_000))
            book = try #require(next)
            reasons.append(d.reason)
        }
        #expect(reasons.filter { $0 == "within_limits" }.count == 5, "\(reasons)")  // 5 × 2 % = 10 % cap
        #expect(reasons.last == "exposure_cap")
        #expect(decide(order(fractionPpm: 1), book: Book(initialCash: 10)).0.reason == "below_minimum_order")
        // NAV 100 = cash 10 + a position worth 90: 50 % of NAV is more than the cash.
        let invested = Book(initialCash: 100, cash: 10, positions: [
            "9": BookPosition(asset: "9", conditionId: ConditionID("0x" + String(repeating: "9", count: 64))!, outcomeIndex: 0, shares: 180, cost: 90, mark: Price(micros: 500_000)),
        ])
        #expect(invested.nav == 100)
        var unlimited = RiskPolicy(maxExposurePpm: 1_000_000, maxOrderPpm: 1_000_000)
        unlimited.valueAtRisk.reduceAbovePpm = 1_000_000  // 90 % of NAV in one token is over any mVaR limit: cash is what is tested
        #expect(decide(order(fractionPpm: 500_000), book: invested, policy: unlimited).0.reason == "insufficient_cash")
    }

    @Test("no order stakes more than 8 % of NAV, whatever the Kelly fraction asked")
    func orderCap() {
        let (capped, _) = decide(order(fractionPpm: 300_000), book: Book(initialCash: 100_000))
        #expect(capped.status == .filled && capped.fillNotional == USDC(micros: 8_000 * microsPerUnit))
        let (exact, _) = decide(order(fractionPpm: 80_000), book: Book(initialCash: 100_000))
        #expect(exact.fillNotional == capped.fillNotional)
        let (under, _) = decide(order(fractionPpm: 79_999), book: Book(initialCash: 100_000))
        #expect(under.fillNotional < capped.fillNotional)
    }

    @Test("an unreadable book blocks every order (fails closed)")
    func failClosed() {
        let (d, book) = decide(order(), book: nil)
        #expect(d.status == .blocked && d.reason == "portfolio_unavailable" && book == nil)
    }

    @Test("nothing is bought in a market that has resolved")
    func resolvedMarket() {
        let (d, book) = decide(order(), book: Book(initialCash: 1000), marketResolved: true)
        #expect(d.status == .blocked && d.reason == "market_resolved" && book == Book(initialCash: 1000).peaked())
    }

    @Test("a resolution closes the market's positions at the payout")
    func resolution() throws {
        let book = try #require(decide(order(), book: Book(initialCash: 100_000)).1)
        let settled = RiskGuard.apply(MarketResolution(conditionId: market, outcome: .winner(index: 0), resolvedAt: EventTime(seconds: 2)), to: book)
        #expect(settled.positions.isEmpty)
        #expect(settled.cash == 103_000 && settled.realizedPnl == 3000)
        let voided = RiskGuard.apply(MarketResolution(conditionId: market, outcome: .void, resolvedAt: EventTime(seconds: 2)), to: book)
        #expect(voided.realizedPnl == 500)
    }
}
