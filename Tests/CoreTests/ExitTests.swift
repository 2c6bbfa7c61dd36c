import Foundation
import RemoraCore
import RemoraModel
import Testing

/// Exits mirrored: a followed whale's sale becomes an `exit` of the same share of what our book
/// holds from that whale — and only from that whale.
@Suite("Exits: a whale's reduction mirrored in proportion")
struct ExitTests {
    static let time = EventTime(seconds: 40 * 86_400)
    static let other = WalletAddress("0x00000000000000000000000000000000000000e2")!
    static let stranger = WalletAddress("0x00000000000000000000000000000000000000e3")!
    /// Bids at 0.60 for 100 shares and 0.50 below; asks at 0.62.
    static let bids = Result<OrderBook, MarketDataProblem>.success(try! OrderBook(
        bids: [DepthLevel(price: Price(micros: 600_000), size: 100), DepthLevel(price: Price(micros: 500_000), size: 1_000_000)],
        asks: [DepthLevel(price: Price(micros: 620_000), size: 1_000_000)], tick: Price(micros: 10_000)))

    @Test("the share reduced, exactly in parts per million, capped at the whole position")
    func fraction() {
        #expect(WhaleExit(sharesBefore: 300, sharesReduced: 100).fractionPpm == 333_333)
        #expect(WhaleExit(sharesBefore: 300, sharesReduced: 300).fractionPpm == 1_000_000)
        #expect(WhaleExit(sharesBefore: 300, sharesReduced: 500).fractionPpm == 1_000_000)
        #expect(WhaleExit(sharesBefore: 0, sharesReduced: 5).fractionPpm == 0)
    }

    @Test("the gate: a sale of a followed whale with a position is an exit, whatever its score now; otherwise not copied")
    func gate() {
        let sale = StrategyTests.fill(side: .sell, shares: 5_000)
        let policy = GatePolicy()
        // Followed once, now far below the minimum and quarantined: its exit is still mirrored.
        let exit = SignalGate.exit(sale, whale: StrategyTests.whale(wqs: 10), followed: true, positionBefore: 20_000, policy: policy)
        #expect(exit.accepted && exit.reason == "exit" && exit.exit?.fractionPpm == 250_000, "\(exit)")
        #expect(exit.detail.contains("25.0 %"))
        let never = SignalGate.exit(sale, whale: StrategyTests.whale(), followed: false, positionBefore: 20_000, policy: policy)
        #expect(!never.accepted && never.reason == "sell_not_copied")
        let unknown = SignalGate.exit(sale, whale: StrategyTests.whale(), followed: true, positionBefore: .zero, policy: policy)
        #expect(!unknown.accepted && unknown.reason == "sell_not_copied" && unknown.detail.contains("no position"))
        var late = sale
        late.late = true
        #expect(SignalGate.exit(late, whale: nil, followed: true, positionBefore: 20_000, policy: policy).reason == "late")
        // Another fill of the sale's order: part of it, with no whale gate in the way.
        let order = WhaleOrder([sale, sale])!
        #expect(SignalGate.partOfOrder(sale, whale: StrategyTests.whale(wqs: 10), order: order, policy: policy).reason == "part_of_order")
        // The sizer: a sale of that share of the holding, not a fraction of NAV.
        guard case .success(let proposed)? = KellySizer.propose(exit, lag: CopyLag(millis: 30_000)) else {
            Issue.record("no exit order")
            return
        }
        #expect(proposed.side == .sell && proposed.exitFractionPpm == 250_000 && proposed.fractionPpm == 0 && proposed.kelly == nil)
    }

    @Test("a buy of the other outcome while holding one is an exit of the held one, never a copy of the buy")
    func otherOutcome() {
        // Holding 20,000 "No" (token 71), the whale buys 5,000 "Yes" at 0.40: a quarter of its No paired off.
        let buy = StrategyTests.fill(shares: 5_000)
        let exit = SignalGate.complementExit(buy, whale: StrategyTests.whale(wqs: 10), held: 20_000, heldToken: "71", heldOutcome: 1)
        #expect(exit.accepted && exit.reason == "exit" && exit.exit?.fractionPpm == 250_000 && exit.exit?.asset == "71")
        // Buying more than it holds: the whole holding, and no more.
        let big = SignalGate.complementExit(
            StrategyTests.fill(shares: 50_000), whale: nil, held: 20_000, heldToken: "71", heldOutcome: 1)
        #expect(big.exit?.fractionPpm == 1_000_000 && big.exit?.sharesReduced == 20_000)
        // The order sells the held token, at the complement of the bought price.
        guard case .success(let order)? = KellySizer.propose(exit, lag: CopyLag(millis: 30_000)) else {
            Issue.record("no exit order")
            return
        }
        #expect(order.asset == "71" && order.outcomeIndex == 1 && order.side == .sell && order.limitPrice == Price(micros: 600_000))
        #expect(order.exitFractionPpm == 250_000)
        // The order's other fills are part of it, whatever the whale's figures.
        let part = SignalGate.partOfOrder(buy, whale: StrategyTests.whale(wqs: 10), order: WhaleOrder([buy, buy])!, exit: true, policy: GatePolicy())
        #expect(part.reason == "part_of_order")
    }

    @Test("exposure is net of the other outcome: buy 100 Yes, buy 40 No, sell the 60 Yes left unpaired: followed all the way out")
    func netOfPairs() {
        #expect(SignalGate.netHeld(100, against: 40) == 60)
        #expect(SignalGate.netHeld(40, against: 40) == nil && SignalGate.netHeld(40, against: 100) == nil)
        #expect(SignalGate.netHeld(40, against: -10) == 40, "a negative holding of the other outcome counts as none")
        // Buying 40 No against 100 Yes: 40 % of the Yes paired off (an exit of 40 %).
        let no = SignalGate.complementExit(StrategyTests.fill(shares: 40), whale: nil, held: SignalGate.netHeld(100, against: 0)!, heldToken: "70", heldOutcome: 0)
        #expect(no.exit?.fractionPpm == 400_000)
        // Then selling 60 Yes: its exposure was 60 (100 held, 40 of them paired), all of it sold.
        let sale = SignalGate.exit(
            StrategyTests.fill(side: .sell, shares: 60), whale: nil, followed: true, positionBefore: 100, otherOutcomeHeld: 40, policy: GatePolicy())
        #expect(sale.accepted && sale.exit?.sharesBefore == 60 && sale.exit?.fractionPpm == 1_000_000, "\(sale)")
        #expect(sale.detail.contains("net of the other outcome"))
        // 40 % then the rest: nothing of the copy is left, as nothing of the whale's exposure is.
        // Selling pairs only (Yes 40 held, No 40 held): no exposure left to follow out.
        let pairs = SignalGate.exit(
            StrategyTests.fill(side: .sell, shares: 40), whale: nil, followed: true, positionBefore: 40, otherOutcomeHeld: 40, policy: GatePolicy())
        #expect(!pairs.accepted && pairs.reason == "sell_not_copied" && pairs.detail.contains("paired"))
    }

    static func book() -> Book {
        var book = Book(initialCash: 100_000, cash: 99_850, positions: [
            "70": BookPosition(asset: "70", conditionId: market, outcomeIndex: 0, shares: 300, cost: 150, mark: Price(micros: 550_000)),
        ])
        book.fromWhales = [WhaleHolding(wallet: wallet, asset: "70"): 200, WhaleHolding(wallet: Self.other, asset: "70"): 100]
        return book
    }

    func exit(_ whale: WalletAddress, ppm: Int64, book: Book = ExitTests.book(), fee: Int = 0) -> (OrderDecision, Book?) {
        let order = ProposedOrder(
            orderId: "order:x", tradeId: "x", wallet: whale, conditionId: market, asset: "70", outcomeIndex: 0, side: .sell,
            limitPrice: Price(micros: 600_000), fractionPpm: 0, tradeTime: Self.time, exitFractionPpm: ppm)
        return RiskGuard.decide(
            order, book: book, policy: RiskPolicy(), at: Self.time, market: Self.bids, daily: Marks().covering(book, at: Self.time), takerFeeBps: fee)
    }

    @Test("taker fees: on top of a buy's notional and into its cost; out of a sale's proceeds; shares × rate × p × (1 − p)")
    func fees() throws {
        // 2 % of NAV 100,000 at the 0.40 ask: 5,000 shares for 2,000; fee 5,000 × 0.02 × 0.4 × 0.6 = 24.
        let asks = Result<OrderBook, MarketDataProblem>.success(try OrderBook(
            bids: [DepthLevel(price: Price(micros: 390_000), size: 1_000_000)],
            asks: [DepthLevel(price: Price(micros: 400_000), size: 1_000_000)], tick: Price(micros: 10_000)))
        let buy = ProposedOrder(
            orderId: "order:b", tradeId: "b", wallet: wallet, conditionId: market, asset: "70", outcomeIndex: 0, side: .buy,
            limitPrice: Price(micros: 400_000), fractionPpm: 20_000, tradeTime: Self.time)
        let (bought, after) = RiskGuard.decide(
            buy, book: Book(initialCash: 100_000), policy: RiskPolicy(), at: Self.time, market: asks, takerFeeBps: 200)
        #expect(bought.fillShares == 5_000 && bought.fillNotional == 2_000 && bought.fee == 24, "\(bought)")
        #expect(after?.cash == 100_000 - 2_024 && after?.positions["70"]?.cost == 2_024)
        // Selling 100 shares at 0.60 with a 1 % rate: 60 less 0.24.
        let (sold, rest) = exit(wallet, ppm: 500_000, fee: 100)
        #expect(sold.fee == USDC(micros: 240_000) && sold.fillNotional == 60, "\(sold)")
        #expect(rest?.cash == Self.book().cash + USDC(micros: 59_760_000) && rest?.realizedPnl == USDC(micros: 9_760_000))
    }

    @Test("the risk guard sells that share of what it holds from that whale: walks the bids, the cost leaves at average")
    func riskGuard() throws {
        // Half of the 200 shares held from `wallet`: 100 at the best bid 0.60.
        let (half, after) = exit(wallet, ppm: 500_000)
        #expect(half.status == .filled && half.side == .sell && half.fillShares == 100 && half.fillNotional == 60, "\(half)")
        let book = try #require(after)
        #expect(book.positions["70"]?.shares == 200 && book.positions["70"]?.cost == 100)
        #expect(book.cash == 99_910 && book.realizedPnl == 10)
        #expect(book.fromWhales[WhaleHolding(wallet: wallet, asset: "70")] == 100)
        #expect(book.fromWhales[WhaleHolding(wallet: Self.other, asset: "70")] == 100)
        // The other whale leaves entirely: its 100 shares, the rest of the position stays.
        let (all, rest) = exit(Self.other, ppm: 1_000_000, book: book)
        // (Each order walks the book of its own copy instant: the same snapshot here.)
        #expect(all.fillShares == 100 && all.fillNotional == 60, "\(all)")
        #expect(rest?.positions["70"]?.shares == 100 && rest?.fromWhales[WhaleHolding(wallet: Self.other, asset: "70")] == nil)
        // A whale we hold nothing from: nothing sold, said so.
        let (none, same) = exit(Self.stranger, ppm: 1_000_000)
        #expect(none.status == .blocked && none.reason == "nothing_held")
        #expect(same?.positions == Self.book().positions && same?.cash == Self.book().cash && same?.fromWhales == Self.book().fromWhales)
        // The last shares leave with the position.
        let (last, empty) = exit(wallet, ppm: 1_000_000, book: rest!)
        #expect(last.fillShares == 100 && empty?.positions["70"] == nil && empty?.fromWhales.isEmpty == true)
        // A resolution forgets whose the shares were.
        let resolved = RiskGuard.apply(
            MarketResolution(conditionId: market, outcome: .winner(index: 0), resolvedAt: Self.time), to: Self.book())
        #expect(resolved.fromWhales.isEmpty)
    }
}

@Suite("Whale positions reconciled against /positions")
struct PositionReconciliationTests {
    @Test("tokens agree within the tolerance; a gap either way is a difference, largest first; dust on both sides is not counted")
    func compare() {
        let report = PositionReconciliation.compare(
            stored: ["a": 100, "b": 50, "c": Shares(micros: 5_000), "d": 20, "e": -3],
            source: ["a": Shares(micros: 100_005_000), "b": 40, "c": Shares(micros: 2_000), "f": 7, "e": 0])
        #expect(report.tokens == 4 && report.agreeing == 1, "\(report)")
        #expect(report.differences.map(\.asset) == ["d", "b", "f"])
        #expect(report.differences.map(\.gap) == [-20, -10, 7])
        #expect(PositionReconciliation.compare(stored: [:], source: [:]).tokens == 0)
    }

    @Test("a \"Yes\" the API holds beyond the fills is received by conversion when no larger than the conversions could pay")
    func received() {
        let report = PositionReconciliation.compare(
            stored: ["no": 60, "yes": 5], source: ["no": 60, "yes": 45, "other": 30, "big": 500], received: ["yes": 40, "other": 40, "big": 40])
        #expect(report.agreeing == 1 && report.received.map(\.asset).sorted() == ["other", "yes"], "\(report)")
        // More than the conversions could have paid: still a difference.
        #expect(report.differences.map(\.asset) == ["big"])
        // Less than the fills say is never explained by a conversion.
        #expect(PositionReconciliation.compare(stored: ["yes": 50], source: ["yes": 10], received: ["yes": 40]).differences.count == 1)
    }
}

/// Negative-risk conversions: "No" shares handed over for "Yes" of the event's other markets.
@Suite("Conversions: a whale's converted No followed out, or held")
struct ConversionTests {
    static func conversion(shares: Int64 = 5_000) -> Trade {
        Trade.conversion(
            wallet: wallet, asset: "71", conditionId: market, outcomeIndex: 1, outcome: "No",
            size: Shares(micros: shares * microsPerUnit), timestamp: EventTime(seconds: 1_000_000), transactionHash: "0xC0")
    }

    @Test("a conversion is a sale at price 0 with its own key; it round-trips and keeps its kind; a fill at 0 does not decode")
    func model() throws {
        let c = Self.conversion()
        #expect(c.kind == .conversion && c.side == .sell && c.price.micros == 0 && !c.isFill)
        #expect(c.id == "0xc0:71:CONVERSION:5000000000:0:\(wallet.rawValue):0")
        let json = c.canonicalJSON
        #expect(json.contains("\"kind\":\"conversion\""))
        let back = try JSONCoding.decoder.decode(Trade.self, from: Data(json.utf8))
        #expect(back == c)
        // The encoder and the hand-written JSON agree.
        #expect(String(decoding: try JSONCoding.encoder.encode(c), as: UTF8.self) == json)
        // A fill never says its kind; a fill at price 0, or a conversion bought, is refused.
        #expect(!StrategyTests.fill().canonicalJSON.contains("kind"))
        let zero = json.replacingOccurrences(of: ",\"kind\":\"conversion\"", with: "")
        #expect(throws: DecodingError.self) { try JSONCoding.decoder.decode(Trade.self, from: Data(zero.utf8)) }
        let bought = json.replacingOccurrences(of: "\"side\":\"SELL\"", with: "\"side\":\"BUY\"")
        #expect(throws: DecodingError.self) { try JSONCoding.decoder.decode(Trade.self, from: Data(bought.utf8)) }
    }

    @Test("the gate follows a conversion out like a sale (the whale's No fell), or holds it when told to; the sizer sells that share")
    func gate() {
        var policy = GatePolicy()
        let exit = SignalGate.exit(Self.conversion(), whale: StrategyTests.whale(wqs: 10), followed: true, positionBefore: 20_000, policy: policy)
        #expect(exit.accepted && exit.reason == "exit" && exit.exit?.fractionPpm == 250_000, "\(exit)")
        #expect(exit.detail.contains("converted"))
        guard case .success(let order)? = KellySizer.propose(exit, lag: CopyLag(millis: 30_000)) else {
            Issue.record("no exit order")
            return
        }
        #expect(order.side == .sell && order.asset == "71" && order.exitFractionPpm == 250_000)
        // Never followed, or nothing held: not copied, as a sale.
        #expect(SignalGate.exit(Self.conversion(), whale: nil, followed: false, positionBefore: 20_000, policy: policy).reason == "sell_not_copied")
        policy.followConversions = false
        let held = SignalGate.exit(Self.conversion(), whale: StrategyTests.whale(), followed: true, positionBefore: 20_000, policy: policy)
        #expect(!held.accepted && held.reason == "conversion_held")
        // The shadow books hold through it too; a sale is still a reduction there.
        #expect(ShadowBook.reduction(held, whalePosition: 20_000) == nil)
        let sale = SignalGate.exit(StrategyTests.fill(side: .sell, shares: 5_000), whale: nil, followed: false, positionBefore: 20_000, policy: policy)
        #expect(ShadowBook.reduction(sale, whalePosition: 20_000)?.1 == 250_000)
    }

    /// A source no exit asks: an entry that reached it would end the replay with this problem.
    struct NoMarketData: MarketData {
        func book(of token: TokenID, at time: EventTime) async throws(MarketDataProblem) -> OrderBook { throw .unavailable("asked for a book") }
        func series(of token: TokenID, from: EventTime, through: EventTime, fidelityMinutes: Int) async throws(MarketDataProblem)
            -> PriceSeries { throw .unavailable("asked for a series") }
        func terms(of market: ConditionID, at time: EventTime) async throws(MarketDataProblem) -> MarketTerms? {
            throw .unavailable("asked for terms")
        }
    }

    @Test("the replay counts the \"Yes\" a conversion paid as the whale's: its sale is an exit of them, a buy of its \"No\" pairs them off")
    func legsInReplay() async throws {
        // One event of three markets: A (the whale's No converted), B and C.
        let a = market
        let b = ConditionID("0x" + String(repeating: "b", count: 64))!
        let c = ConditionID("0x" + String(repeating: "c", count: 64))!
        func terms(_ id: ConditionID, _ yes: TokenID, _ no: TokenID) -> Market {
            Market(conditionId: id, question: "?", category: "politics", outcomes: ["Yes", "No"], tokenIds: [yes, no], endDate: nil,
                   tickSize: Price(micros: 10_000), negRiskEvent: "e1")
        }
        let legs = ConversionLegs(markets: [terms(a, "70", "71"), terms(b, "80", "81"), terms(c, "90", "91")])
        #expect(legs.paid(byConversionIn: a).map(\.yes) == ["80", "90"])
        #expect(ConversionLegs(markets: [terms(a, "70", "71")]).paid(byConversionIn: a).isEmpty)
        func at(_ seconds: Int64, _ trade: Trade) -> Trade {
            var t = trade
            t.timestamp = EventTime(seconds: seconds)
            return t
        }
        // Bought 20,000 No of A before it was followed (not copied), converted 8,000 once followed;
        // then sold 2,000 of B's Yes and bought 4,000 of C's No.
        var noBuy = StrategyTests.fill(shares: 20_000)
        noBuy.asset = "71"
        noBuy.outcomeIndex = 1
        let converted = at(3_000, Self.conversion(shares: 8_000))
        var sale = at(4_000, StrategyTests.fill(side: .sell, shares: 2_000))
        (sale.asset, sale.conditionId, sale.transactionHash) = ("80", b, "0xb1")
        var pairing = at(5_000, StrategyTests.fill(shares: 4_000))
        (pairing.asset, pairing.conditionId, pairing.outcomeIndex, pairing.transactionHash) = ("91", c, 1, "0xc1")
        let timelines = [wallet: WhaleTimeline(points: [
            .init(time: EventTime(seconds: 2_000), figures: StrategyTests.whale(wqs: 80), realizedPnl: .zero)])]
        let trades = [at(1_000, noBuy), converted, sale, pairing]
        let signals = try await GateReplay.signals(
            trades, timelines: timelines, market: NoMarketData(), policy: GatePolicy(), lag: CopyLag(millis: 30_000), conversionLegs: legs)
        #expect(signals[0].stage == .whale && !signals[0].accepted, "\(signals[0])")
        #expect(signals[1].reason == "exit" && signals[1].exit?.fractionPpm == 400_000, "\(signals[1])")
        #expect(signals[2].reason == "exit" && signals[2].asset == "80" && signals[2].exit?.asset == nil && signals[2].exit?.fractionPpm == 250_000, "\(signals[2])")
        #expect(signals[3].reason == "exit" && signals[3].exit?.asset == "90" && signals[3].exit?.fractionPpm == 500_000, "\(signals[3])")
        // Without the event's markets the sale finds no position: not copied.
        let blind = try await GateReplay.signals(
            Array(trades.prefix(3)), timelines: timelines, market: NoMarketData(), policy: GatePolicy(), lag: CopyLag(millis: 30_000))
        #expect(blind[2].reason == "sell_not_copied", "\(blind[2])")
    }
}
