import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import Testing

@Suite("Attribution: our book, the copy-all benchmark, Brinson-Fachler by category, KPIs")
struct AttributionTests {
    static let day: Int64 = 20_400
    static let noon = EventTime(millis: day * EventTime.day + 12 * 3_600_000)
    static let politics = ConditionID("0x" + String(repeating: "1", count: 64))!
    static let crypto = ConditionID("0x" + String(repeating: "2", count: 64))!
    static let whale = WalletAddress("0x" + String(repeating: "3", count: 40))!
    static let other = WalletAddress("0x" + String(repeating: "4", count: 40))!

    static func decision(_ id: String, _ side: Side, market: ConditionID, token: TokenID, shares: Int64, notional: Int64, fee: Int64 = 0,
                         at time: EventTime = noon, wallet: WalletAddress = whale) -> OrderDecision {
        OrderDecision(
            orderId: id, tradeId: id, wallet: wallet, conditionId: market, asset: token, outcomeIndex: 0, side: side, status: .filled,
            reason: "within_limits", fillPrice: Price(micros: notional * 1_000_000 / shares), fillShares: Shares(micros: shares * 1_000_000),
            fillNotional: USDC(micros: notional * 1_000_000), navBefore: 0, decidedAt: time, fee: USDC(micros: fee * 1_000_000))
    }

    static func marks(_ prices: [TokenID: Int64], at time: EventTime) -> Marks {
        Marks(series: prices.mapValues { micros in
            PriceSeries(token: "x", fidelityMinutes: 1, points: [PricePoint(time: time, price: Price(micros: micros))])
        }.reduce(into: [:]) { result, entry in
            result[entry.key] = PriceSeries(token: entry.key, fidelityMinutes: 1, points: entry.value.points)
        })
    }

    @Test("our book follows the risk guard's fills: cash, average cost out, resolution pays, wins and each whale's P&L")
    func ourBook() {
        var book = AttributedBook(cash: 1_000)
        book.apply(Self.decision("a", .buy, market: Self.politics, token: "P", shares: 100, notional: 40, fee: 1), category: "politics")
        #expect(book.cash == 959)
        #expect(book.positions["P"]?.cost == 41)
        book.apply(Self.decision("b", .sell, market: Self.politics, token: "P", shares: 50, notional: 30, fee: 1), category: "politics")
        // Half the cost (20.5) leaves; proceeds 29.
        #expect(book.cash == USDC(micros: 988_000_000))
        #expect(book.positions["P"]?.cost == USDC(micros: 20_500_000))
        #expect(book.pnlByWhale[Self.whale] == USDC(micros: 8_500_000))
        book.resolve(MarketResolution(conditionId: Self.politics, outcome: .winner(index: 0), resolvedAt: Self.noon))
        #expect(book.cash == 1_038)
        #expect(book.positions.isEmpty && book.lots.isEmpty)
        #expect(book.closedWins == 1 && book.closedLosses == 0)
        #expect(book.pnlByWhale[Self.whale] == USDC(micros: 38_000_000))  // 8.5 + (50 − 20.5)
        #expect(book.flows["politics"] == CategoryFlow(bought: 41, received: 79))
    }

    @Test("a day by hand: category P&L from values and flows, weights on capital employed, Brinson-Fachler effects, the identity")
    func dayByHand() throws {
        // Our book: 1,000 cash; buys 100 P at 0.40 (40) in politics; P marks 0.50 at the day's end → +10.
        // Benchmark: buys 100 P at 0.40 (40) and 100 C at 0.50 (50) in crypto; C marks 0.40 → −10.
        let state = AttributionState(nextDay: Self.day, initialCash: 1_000)
        var benchmarkState = state
        benchmarkState.benchmark.bought("C", market: Self.crypto, outcomeIndex: 0, category: "crypto", whale: Self.other,
                                        shares: 100, cash: 50, fee: 0, mark: Price(micros: 500_000))
        benchmarkState.benchmark.bought("P", market: Self.politics, outcomeIndex: 0, category: "politics", whale: Self.whale,
                                        shares: 100, cash: 40, fee: 0, mark: Price(micros: 400_000))
        // Moves the benchmark's buys into the day (flows are reset at the day's start): apply as the day's events instead.
        let events: [AttributionEvent] = [
            .decision(Self.decision("a", .buy, market: Self.politics, token: "P", shares: 100, notional: 40), category: "politics"),
        ]
        var open = Attribution.open(day: Self.day, events: events, state: state, shadowNotional: 40)
        #expect(open.heldTokens == ["P"])
        let end = open.end
        var (next, day) = open.close(marks: Self.marks(["P": 500_000], at: end))
        #expect(next.ours.nav == 1_010)
        #expect(day.ours.dailyReturn == 0.01)
        #expect(day.ours.categories.map(\.pnl) == [10])
        #expect(next.nextDay == Self.day + 1)

        // The benchmark side by hand through the state (its buys made this day).
        var withBenchmark = state
        withBenchmark.benchmark = benchmarkState.benchmark
        open = Attribution.open(day: Self.day, events: events, state: withBenchmark, shadowNotional: 40)
        // The buys above were made before `open` reset the day's flows: a start value of 90 at cost.
        (next, day) = open.close(marks: Self.marks(["P": 500_000, "C": 400_000], at: end))
        #expect(next.benchmark.nav == USDC(micros: 1_000_000_000))  // 910 cash + 50 + 40
        let p = day.ours.segments()
        let b = day.benchmark.segments()
        #expect(abs(p["politics"]!.weight - 0.04) < 1e-12 && abs(p["politics"]!.return - 0.25) < 1e-12)
        #expect(abs(p["cash"]!.weight - 0.96) < 1e-12)
        #expect(abs(b["crypto"]!.weight - 0.05) < 1e-12 && abs(b["crypto"]!.return + 0.2) < 1e-12)
        #expect(abs(b["politics"]!.weight - 0.04) < 1e-12 && abs(b["politics"]!.return - 0.25) < 1e-12)
        // R_p = 0.01, R_b = 0.05·(−0.2) + 0.04·0.25 = 0. Crypto: allocation (0 − 0.05)(−0.2 − 0) = +0.01.
        #expect(abs(day.effects["crypto"]!.allocation - 0.01) < 1e-12)
        #expect(abs(day.effects["politics"]!.total) < 1e-12)
        #expect(abs(day.totals.total - day.excessReturn) < 1e-15)
        #expect(abs(day.excessReturn - 0.01) < 1e-12)
    }

    /// SplitMix64: the random books below are the same on every run.
    struct Mix: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func randomBookDay(_ rng: inout Mix, categories: [String]) -> BookDay {
        var rows: [CategoryBookDay] = []
        var startValue: Int64 = 0
        var flows: Int64 = 0
        for name in categories where Bool.random(using: &rng) {
            let start = Int64.random(in: 0...300_000_000, using: &rng)
            let bought = Int64.random(in: 0...200_000_000, using: &rng)
            let received = Int64.random(in: 0...(start + bought), using: &rng)
            let end = Int64.random(in: 0...(start + bought), using: &rng)
            rows.append(CategoryBookDay(category: name, start: USDC(micros: start), bought: USDC(micros: bought),
                                        received: USDC(micros: received), end: USDC(micros: end)))
            startValue += start
            flows += received - bought + end - start
        }
        let nav = USDC(micros: startValue + Int64.random(in: 1_000_000_000...2_000_000_000, using: &rng))
        return BookDay(navStart: nav, navEnd: USDC(micros: nav.micros + flows), categories: rows, fills: 0)
    }

    @Test("on 2,000 random days the effects add up to the excess return, and Carino's links to the compounded excess")
    func identityOnRandomBooks() {
        var rng = Mix(state: 42)
        let names = ["politics", "crypto", "sports", "economics", "other"]
        var days: [AttributionDay] = []
        for index in 0..<2_000 {
            let ours = Self.randomBookDay(&rng, categories: names)
            let benchmark = Self.randomBookDay(&rng, categories: names)
            let day = AttributionDay(day: Int64(index), ours: ours, benchmark: benchmark, rejected: benchmark)
            #expect(abs(day.totals.total - day.excessReturn) < 1e-12, "day \(index)")
            // Σ w·r equals the NAV's move exactly as the integers moved.
            let weighted = ours.segments().values.reduce(0) { $0 + $1.weight * $1.return }
            #expect(abs(weighted - ours.dailyReturn) < 1e-12)
            if index < 250 { days.append(day) }
        }
        let report = AttributionReport(days: days)
        #expect(abs(report.linkedTotals.total - report.excessReturn) < 1e-9, "\(report.linkedTotals.total) vs \(report.excessReturn)")
    }

    @Test("Carino on two days by hand")
    func carinoByHand() {
        // Day 1: ours +10 %, benchmark +5 %; day 2: ours −2 %, benchmark +1 %. One category holding everything.
        func day(_ n: Int64, _ r: Double, _ b: Double) -> AttributionDay {
            let nav: Int64 = 1_000_000_000
            func book(_ x: Double) -> BookDay {
                let pnl = Int64((x * Double(nav)).rounded())
                return BookDay(navStart: USDC(micros: nav), navEnd: USDC(micros: nav + pnl),
                               categories: [CategoryBookDay(category: "politics", start: USDC(micros: nav), bought: .zero, received: .zero,
                                                            end: USDC(micros: nav + pnl))], fills: 0)
            }
            return AttributionDay(day: n, ours: book(r), benchmark: book(b), rejected: book(b))
        }
        let report = AttributionReport(days: [day(1, 0.10, 0.05), day(2, -0.02, 0.01)])
        let R = 1.10 * 0.98 - 1, B = 1.05 * 1.01 - 1
        #expect(abs(report.ourReturn - R) < 1e-12 && abs(report.benchmarkReturn - B) < 1e-12)
        let k = (log(1 + R) - log(1 + B)) / (R - B)
        let k1 = (log(1.10) - log(1.05)) / 0.05
        let k2 = (log(0.98) - log(1.01)) / -0.03
        // Everything is selection (same weights): linked = (0.05·k1 − 0.03·k2) / k.
        let expected = (0.05 * k1 + -0.03 * k2) / k
        #expect(abs(report.linked["politics"]!.selection - expected) < 1e-12)
        #expect(abs(report.linkedTotals.total - (R - B)) < 1e-12)
        #expect(report.monthlyAlpha.count == 1)
    }

    static func signal(_ id: String, _ side: Side, token: TokenID, size: Int64, accepted: Bool, reason: String,
                       wallet: WalletAddress = whale, exit: WhaleExit? = nil) -> Signal {
        Signal(
            tradeId: id, wallet: wallet, conditionId: politics, asset: token, outcomeIndex: 0, side: side, price: Price(micros: 400_000),
            size: Shares(micros: size * 1_000_000), tradeTime: noon, accepted: accepted, stage: accepted ? .trade : .whale,
            reason: reason, detail: "", whaleScore: nil, exit: exit)
    }

    static func orderBook() throws -> OrderBook {
        var book = try OrderBook(
            bids: [DepthLevel(price: Price(micros: 390_000), size: 10_000)],
            asks: [DepthLevel(price: Price(micros: 400_000), size: 10_000)], tick: Price(micros: 10_000))
        book.asOf = noon
        return book
    }

    @Test("shadow books: copy-all buys each whale order once at the fixed size; the rejected book only what the gate kept out; sales mirror the whale's share")
    func shadowBooks() throws {
        let market = try Self.orderBook()
        func order(_ signal: Signal) -> ShadowOrder {
            ShadowOrder(signal: signal, copyAt: Self.noon, books: [signal.asset: .success(market)], takerFeeBps: 0, category: "politics")
        }
        var all = AttributedBook(cash: 1_000)
        var rejected = AttributedBook(cash: 1_000)
        let allPolicy = ShadowPolicy(copies: .all, orderNotional: 100)
        let rejectedPolicy = ShadowPolicy(copies: .rejected, orderNotional: 100)
        let first = Self.signal("t1", .buy, token: "P", size: 1_000, accepted: true, reason: "passed")
        let partOf = Self.signal("t2", .buy, token: "P", size: 500, accepted: false, reason: "part_of_order")
        let kept = Self.signal("t3", .buy, token: "P", size: 1_000, accepted: false, reason: "score_below_threshold", wallet: Self.other)
        for s in [first, partOf, kept] {
            ShadowBook.apply(order(s), to: &all, policy: allPolicy, whalePosition: .zero)
            ShadowBook.apply(order(s), to: &rejected, policy: rejectedPolicy, whalePosition: .zero)
        }
        #expect(all.fills == 2 && all.positions["P"]?.shares == 500)  // 2 × 100 USDC at 0.40
        #expect(rejected.fills == 1 && rejected.held("P", from: Self.other) == 250)
        // The whale sells 600 of its 1,500 shares: 40 % of the copy-all lot from it goes (100 of 250).
        let sale = Self.signal("t4", .sell, token: "P", size: 600, accepted: false, reason: "sell_not_copied")
        ShadowBook.apply(order(sale), to: &all, policy: allPolicy, whalePosition: 1_500)
        #expect(all.held("P", from: Self.whale) == 150)
        #expect(all.cash == USDC(micros: 839_000_000))  // 800 + 100 × 0.39
        // Not enough cash: counted, not filled.
        var poor = AttributedBook(cash: 50)
        ShadowBook.apply(order(first), to: &poor, policy: allPolicy, whalePosition: .zero)
        #expect(poor.fills == 0 && poor.missed["insufficient_cash"] == 1)
        // No book at the copy instant: counted by the market data's reason.
        var blind = AttributedBook(cash: 1_000)
        ShadowBook.apply(ShadowOrder(signal: first, copyAt: Self.noon, books: [:], takerFeeBps: 0, category: "politics"),
                         to: &blind, policy: allPolicy, whalePosition: .zero)
        #expect(blind.missed["no_book"] == 1)
        // An order of a whale the gate turned away: its later fill carries the whale's reason but
        // names the order's first fill, so the books copy the order once (its first signal holds
        // the order's whole size) — and a two-fill sale reduces once, by the order's size.
        var once = AttributedBook(cash: 1_000)
        let turnedAway = Self.signal("t5", .buy, token: "P", size: 1_000, accepted: false, reason: "too_few_settled_trades")
        var later = Self.signal("t6", .buy, token: "P", size: 400, accepted: false, reason: "too_few_settled_trades")
        later.orderFirstFill = "t5"
        for s in [turnedAway, later] { ShadowBook.apply(order(s), to: &once, policy: allPolicy, whalePosition: .zero) }
        #expect(once.fills == 1 && once.held("P", from: Self.whale) == 250)
        let saleFirst = Self.signal("t7", .sell, token: "P", size: 500, accepted: false, reason: "sell_not_copied")
        var saleLater = Self.signal("t8", .sell, token: "P", size: 500, accepted: false, reason: "sell_not_copied")
        saleLater.orderFirstFill = "t7"
        for s in [saleFirst, saleLater] { ShadowBook.apply(order(s), to: &once, policy: allPolicy, whalePosition: 1_000) }
        #expect(once.held("P", from: Self.whale) == 125)  // half of 250: the order sold 500 of 1,000, once
    }

    @Test("KPI levels at and around the roadmap's thresholds; an alert only when a level changes")
    func kpiThresholds() {
        let t = KPIThresholds()
        #expect(t.varLevel(0.1000001) == .critical && t.varLevel(0.10) == .warning && t.varLevel(0.08) == .warning)
        #expect(t.varLevel(0.0799) == nil && t.varLevel(nil) == nil)
        #expect(t.sharpeLevel(0.49, days: 30) == .critical && t.sharpeLevel(0.5, days: 30) == .warning)
        #expect(t.sharpeLevel(0.99, days: 30) == .warning && t.sharpeLevel(1.0, days: 30) == nil)
        #expect(t.sharpeLevel(-3, days: 29) == nil)
        #expect(t.passRateLevel(0.1499) == .warning && t.passRateLevel(0.15) == nil)
        #expect(t.quarantineLevel(1) == .critical && t.quarantineLevel(0) == nil)
        let kpis = KPIs(at: Self.noon, mvar: 0.09, sharpe: 0.4, sharpeDays: 40, passRate: 0.2, quarantined: 0)
        let first = kpis.alerts(since: [:], thresholds: t)
        #expect(first.map(\.code).sorted() == ["kpi_mvar", "kpi_sharpe"])
        #expect(first.first { $0.code == "kpi_sharpe" }?.level == .critical)
        #expect(kpis.alerts(since: kpis.levels(t), thresholds: t).isEmpty)
        let calm = KPIs(at: Self.noon, mvar: 0.01, sharpe: 2, sharpeDays: 40, passRate: 0.2, quarantined: 0)
        let back = calm.alerts(since: kpis.levels(t), thresholds: t)
        #expect(back.count == 2 && back.allSatisfy { $0.level == .info && $0.message.contains("back within limits") })
        // NaN Sharpe (no variation yet) is no level and encodes.
        #expect(KPIs(at: Self.noon, mvar: nil, sharpe: .nan, sharpeDays: 40, passRate: nil, quarantined: 0).sharpe == nil)
    }
}
