import Foundation
import RemoraCore
import RemoraModel
import Testing

@Suite("Risk guard: pre-trade checks")
struct PreTradeCheckTests {
    static let time = EventTime(millis: 20_400 * EventTime.day + 12 * 3_600_000)
    static let whale = WalletAddress("0x" + String(repeating: "7", count: 40))!
    static let other = WalletAddress("0x" + String(repeating: "8", count: 40))!
    static let market = ConditionID("0x" + String(repeating: "9", count: 64))!
    static let elsewhere = ConditionID("0x" + String(repeating: "a", count: 64))!

    static func book(asks: [(Int64, Int64)] = [(400_000, 1_000_000)], bids: [(Int64, Int64)] = [(390_000, 1_000_000)], asOf: EventTime? = time) throws -> OrderBook {
        var book = try OrderBook(
            bids: bids.map { DepthLevel(price: Price(micros: $0.0), size: Shares(micros: $0.1 * 1_000_000)) },
            asks: asks.map { DepthLevel(price: Price(micros: $0.0), size: Shares(micros: $0.1 * 1_000_000)) }, tick: Price(micros: 10_000))
        book.asOf = asOf
        return book
    }

    static func order(_ wallet: WalletAddress = whale, market: ConditionID = market, asset: String = "T", fractionPpm: Int64 = 20_000, exit: Int64? = nil) -> ProposedOrder {
        ProposedOrder(
            orderId: "o:\(asset):\(exit ?? 0)", tradeId: "t", wallet: wallet, conditionId: market, asset: asset, outcomeIndex: 0,
            side: exit == nil ? .buy : .sell, limitPrice: Price(micros: 400_000), fractionPpm: fractionPpm, tradeTime: time, exitFractionPpm: exit)
    }

    func decide(
        _ order: ProposedOrder, _ book: Book = Book(initialCash: 100_000), market: OrderBook? = nil, policy: RiskPolicy = RiskPolicy(maxExposurePpm: 950_000)
    ) throws -> (OrderDecision, Book?) {
        RiskGuard.decide(
            order, book: book, policy: policy, at: Self.time, market: .success(try market ?? Self.book()),
            daily: Marks().covering(book, at: Self.time))
    }

    @Test("a book taken more than 60 s before the decision is not filled on, entry or exit; 60 s is fresh")
    func staleBook() throws {
        let old = try Self.book(asOf: Self.time.adding(millis: -60_001))
        let entry = try decide(Self.order(), market: old).0
        #expect(entry.reason == "stale_book" && entry.detail?.contains("60 s before the decision") == true, "\(entry)")
        #expect(try decide(Self.order(), market: try Self.book(asOf: Self.time.adding(millis: -60_000))).0.status == .filled)
        var held = Book(initialCash: 100_000, cash: 99_600, positions: [
            "T": BookPosition(asset: "T", conditionId: Self.market, outcomeIndex: 0, shares: 1_000, cost: 400, mark: Price(micros: 400_000)),
        ])
        held.fromWhales[WhaleHolding(wallet: Self.whale, asset: "T")] = 1_000
        #expect(try decide(Self.order(exit: 1_000_000), held, market: old).0.reason == "stale_book")
        #expect(try decide(Self.order(exit: 1_000_000), held).0.status == .filled)
    }

    @Test("a second entry of one whale in one token within 60 s is a duplicate; another whale's is not")
    func duplicate() throws {
        var book = Book(initialCash: 100_000)
        book.recentEntries = [RecentEntry(at: Self.time.adding(millis: -30_000), wallet: Self.whale, asset: "T")]
        #expect(try decide(Self.order(), book).0.reason == "duplicate_order")
        #expect(try decide(Self.order(Self.other), book).0.status == .filled)
        book.recentEntries[0].at = Self.time.adding(millis: -60_000)
        #expect(try decide(Self.order(), book).0.status == .filled, "60 s later it is a new entry")
    }

    @Test("entries per minute of event time are capped; a fill is remembered for the next decisions")
    func rate() throws {
        var book = Book(initialCash: 100_000)
        book.recentEntries = (0..<30).map { RecentEntry(at: Self.time.adding(millis: -59_000 + Int64($0)), wallet: Self.other, asset: "U\($0)") }
        #expect(try decide(Self.order(), book).0.reason == "order_rate")
        book.recentEntries[0].at = Self.time.adding(millis: -60_000)
        let (filled, after) = try decide(Self.order(), book)
        #expect(filled.status == .filled)
        // The minute-old entry is dropped, the new one kept: 30 again.
        #expect(after?.recentEntries.count == 30 && after?.recentEntries.last == RecentEntry(at: Self.time, wallet: Self.whale, asset: "T"))
    }

    @Test("a market's and a whale's exposure after an entry stay within 10 % and 20 % of NAV")
    func caps() throws {
        var book = Book(initialCash: 100_000, cash: 81_000, positions: [
            "M": BookPosition(asset: "M", conditionId: Self.market, outcomeIndex: 1, shares: 18_000, cost: 9_000, mark: Price(micros: 500_000)),
            "W": BookPosition(asset: "W", conditionId: Self.elsewhere, outcomeIndex: 0, shares: 20_000, cost: 10_000, mark: Price(micros: 500_000)),
        ])
        book.fromWhales[WhaleHolding(wallet: Self.whale, asset: "W")] = 20_000
        var open = RiskPolicy(maxExposurePpm: 950_000, maxCorrelation: 2)  // the correlation check off: the caps are what is tested
        open.valueAtRisk.reduceAbovePpm = 1_000_000  // and the mVaR limit (one position of 19 % is over 8 %)
        // 9,000 in the market + 8 % × k_corr 0.3 (the same market: ρ = 1) = 2,400 > 10,000.
        let market = try decide(Self.order(Self.other, market: Self.market, asset: "T", fractionPpm: 80_000), book, policy: open).0
        #expect(market.reason == "market_cap" && market.detail?.contains("9000 held in this market + 2400 > 10000") == true, "\(market)")
        // 10,000 copying this whale + 2,000 ≤ 20,000; at 19,000 it would not fit.
        let third = ConditionID("0x" + String(repeating: "b", count: 64))!
        #expect(try decide(Self.order(Self.whale, market: third, asset: "X"), book, policy: open).0.status == .filled)
        book.fromWhales[WhaleHolding(wallet: Self.whale, asset: "W")] = 38_000
        book.positions["W"]?.shares = 38_000
        book.cash = 72_000
        let whale = try decide(Self.order(Self.whale, market: third, asset: "X"), book, policy: open).0
        #expect(whale.reason == "whale_cap", "\(whale)")
        #expect(try decide(Self.order(Self.other, market: third, asset: "X"), book, policy: open).0.status == .filled)
        open.maxWhalePpm = 1_000_000
        #expect(try decide(Self.order(Self.whale, market: third, asset: "X"), book, policy: open).0.status == .filled)
    }

    @Test("an entry takes only asks within the price band of the midpoint; none that close: price_band")
    func band() throws {
        // Midpoint 0.395: the 0.40 level (1,000 shares, 400 USDC) is within 0.10, the 0.60 level is not.
        let deep = try Self.book(asks: [(400_000, 1_000), (600_000, 1_000_000)])
        let partial = try decide(Self.order(), market: deep).0
        #expect(partial.status == .filled && partial.reason == "partial_fill" && partial.fillShares == 1_000 && partial.fillNotional == 400, "\(partial)")
        #expect(partial.unfilledNotional == 1_600)
        var wide = RiskPolicy(maxExposurePpm: 950_000)
        wide.priceBandMicros = 300_000
        let through = try decide(Self.order(), market: deep, policy: wide).0
        #expect(through.reason == "within_limits" && through.fillShares > 1_000 && through.fillNotional.micros >= 1_999_999_000, "\(through)")
        // Bids 0.10, asks 0.40: the midpoint 0.25 is 0.15 from the best ask.
        let hollow = try Self.book(asks: [(400_000, 1_000_000)], bids: [(100_000, 1_000_000)])
        #expect(try decide(Self.order(), market: hollow).0.reason == "price_band")
    }

    @Test("an entry takes no ask above the price where the sizer's probability leaves no edge after the fee")
    func edgeLimit() throws {
        func sized(_ p: Double) -> ProposedOrder {
            var order = Self.order()
            order.kelly = KellyFactors(probability: p, netOdds: 1.5, fullKelly: 0.1, confidence: 1, volatility: 1, fraction: 0.02)
            return order
        }
        // Midpoint 0.395, band to 0.495: at p = 0.45 the 0.40 and 0.44 levels are worth taking, 0.46 is not.
        let thin = try Self.book(asks: [(400_000, 1_000), (440_000, 1_000), (460_000, 1_000_000)])
        let limited = try decide(sized(0.45), market: thin).0
        #expect(limited.reason == "partial_fill" && limited.fillShares == 2_000 && limited.fillNotional == 840, "\(limited)")
        #expect(try decide(Self.order(), market: thin).0.fillShares > 2_000, "an order without a probability (none sized it) keeps the band alone")
        let none = try decide(sized(0.35), market: thin).0
        #expect(none.status == .blocked && none.reason == "no_edge_at_book" && none.detail?.contains("best ask 0.4 above 0.35") == true, "\(none)")
        // The limit solves x + r·x·(1 − x) = p: with no fee it is p; with a 10 % rate at p = 0.5, 0.475062.
        #expect(RiskGuard.breakEven(probability: 0.45, takerFeeBps: 0) == Price(micros: 450_000))
        let feed = RiskGuard.breakEven(probability: 0.5, takerFeeBps: 1_000)
        #expect(feed == Price(micros: 475_062), "\(feed)")
        for x in [feed.doubleValue, feed.doubleValue + 0.000_001] {
            let cost = x + 0.1 * x * (1 - x)
            #expect(x == feed.doubleValue ? cost <= 0.5 : cost > 0.5, "\(x): \(cost)")
        }
    }

    @Test("no entry spends more than 10,000 USDC, whatever 8 % of NAV is")
    func notional() throws {
        let rich = Book(initialCash: 1_000_000)
        let capped = try decide(Self.order(fractionPpm: 80_000), rich, market: try Self.book(asks: [(400_000, 10_000_000)])).0
        #expect(capped.status == .filled && capped.fillNotional == 10_000, "\(capped)")
    }
}
