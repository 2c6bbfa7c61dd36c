import Foundation
import RemoraCore
import RemoraModel
import Testing

@Suite("Risk guard: trailing stops and time exits")
struct PositionControlTests {
    static let today: Int64 = 20_400
    static let noon = EventTime(millis: today * EventTime.day + 12 * 3_600_000)
    static let whale = WalletAddress("0x" + String(repeating: "1", count: 40))!
    static let other = WalletAddress("0x" + String(repeating: "2", count: 40))!
    static let market = ConditionID("0x" + String(repeating: "5", count: 64))!

    /// Daily closes at each day's start, `days` days up to today, from `close(daysBack)`.
    static func daily(_ token: TokenID = "T", days: Int = 20, close: (Int) -> Double) -> Marks {
        var marks = Marks()
        marks.series[token] = PriceSeries(token: token, fidelityMinutes: 1440, points: (0...days).reversed().map { back in
            PricePoint(time: EventTime(millis: (today - Int64(back)) * EventTime.day), price: Price(micros: Int64((close(back) * 1e6).rounded())))
        })
        return marks
    }

    /// Intraday marks of "T": (minutes after noon, price).
    static func marks(_ points: [(Int64, Int64)]) -> Marks {
        var marks = Marks()
        marks.series["T"] = PriceSeries(token: "T", fidelityMinutes: 1, points: points.map {
            PricePoint(time: noon.adding(millis: $0.0 * 60_000), price: Price(micros: $0.1))
        })
        return marks
    }

    /// Closes moving 0.02 a day, up and down: every true range is 0.02, so 2.5 × ATR = 0.05.
    static let steady = daily { back in back % 2 == 0 ? 0.60 : 0.62 }

    static func orderBook(bids: [(Int64, Int64)], asks: [(Int64, Int64)] = [(700_000, 10_000)], at time: EventTime) throws -> OrderBook {
        var book = try OrderBook(
            bids: bids.map { DepthLevel(price: Price(micros: $0.0), size: Shares(micros: $0.1 * 1_000_000)) },
            asks: asks.map { DepthLevel(price: Price(micros: $0.0), size: Shares(micros: $0.1 * 1_000_000)) }, tick: Price(micros: 10_000))
        book.asOf = time
        return book
    }

    /// 1,000 shares of "T" at 0.60, bought 600 for `whale` and 400 for `other`, stop at 0.55.
    static func held() -> Book {
        var book = Book(initialCash: 100_000, cash: 99_400, positions: [
            "T": BookPosition(asset: "T", conditionId: market, outcomeIndex: 0, shares: 1_000, cost: 600, mark: Price(micros: 600_000)),
        ])
        book.fromWhales[WhaleHolding(wallet: whale, asset: "T")] = 600
        book.fromWhales[WhaleHolding(wallet: other, asset: "T")] = 400
        book.stops["T"] = Price(micros: 550_000)
        return book
    }

    static func terms(end: EventTime?, closedAt: EventTime? = nil, seenAt: EventTime = EventTime(millis: 0)) -> MarketTerms {
        MarketTerms(
            conditionId: market, seenAt: seenAt, endDate: end, closedAt: closedAt, acceptingOrders: closedAt == nil, takerFeeBps: 0,
            tick: Price(micros: 10_000), minimumOrder: .zero)
    }

    @Test("ATR(14) of daily bars from the closes: the mean |close − previous close| over the 14 days before; a stand-in with too few")
    func averageTrueRange() {
        // Closes 0.50, 0.52, 0.54, 0.50, … (i mod 3 steps of 0.02): ranges 0.02, 0.02, 0.04 …
        // over the 14 pairs up to today, 10 × 0.02 + 4 × 0.04 = 0.36, ÷ 14 (worked by hand).
        let marks = Self.daily { back in 0.50 + 0.02 * Double(((14 - back) % 3 + 3) % 3) }
        let atr = PositionControls.averageTrueRange(of: "T", at: Self.noon, daily: marks, days: 14, price: Price(micros: 500_000))
        #expect(abs(atr - 0.36 / 14) < 1e-9, "\(atr)")
        #expect(abs(PositionControls.averageTrueRange(of: "T", at: Self.noon, daily: Self.steady, days: 14, price: Price(micros: 600_000)) - 0.02) < 1e-9)
        // Four closes: three ranges, too few; the stand-in at p = 0.5 is √(2/π) × √(0.25/30).
        let short = Self.daily(days: 3) { _ in 0.5 }
        let standIn = PositionControls.averageTrueRange(of: "T", at: Self.noon, daily: short, days: 14, price: Price(micros: 500_000))
        #expect(abs(standIn - 0.0728366) < 1e-6, "\(standIn)")
    }

    @Test("the trailing stop moves up with the mark, never down, and fires on the first mark at or through it, per whale, walking the book in turn")
    func trailingStop() throws {
        let policy = RiskPolicy()
        let marks = Self.marks([(0, 640_000), (60, 591_000), (120, 590_000)])
        let schedule = MarketSchedule([Self.market: [Self.terms(end: Self.noon.adding(millis: 30 * EventTime.day))]])
        // 12:00, mark 0.64: the stop moves to 0.64 − 0.05 = 0.59; nothing sold.
        let first = RiskGuard.control(Self.held(), at: Self.noon, policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: [:])
        #expect(first.decisions.isEmpty && first.needs.isEmpty)
        #expect(first.book.stops["T"] == Price(micros: 590_000))
        #expect(first.book.positions["T"]?.mark == Price(micros: 640_000))
        #expect(first.book.controlledThrough == Self.noon)
        // 13:00, 0.591: above the stop, which stays at 0.59 (0.541 would be lower).
        let at13 = Self.noon.adding(millis: 3_600_000)
        let second = RiskGuard.control(first.book, at: at13, policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: [:])
        #expect(second.decisions.isEmpty && second.book.stops["T"] == Price(micros: 590_000))
        // 14:00, 0.59: at the stop. Without the book of the instant nothing is decided yet.
        let at14 = Self.noon.adding(millis: 7_200_000)
        let waiting = RiskGuard.control(second.book, at: at14, policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: [:])
        #expect(waiting.needs == ["T"] && waiting.decisions.isEmpty && waiting.book == second.book)
        let bids = try Self.orderBook(bids: [(580_000, 700), (570_000, 1_000)], at: at14)
        let fired = RiskGuard.control(
            second.book, at: at14, policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: ["T": .success(bids)])
        #expect(fired.decisions.map(\.wallet) == [Self.whale, Self.other])  // wallet order
        #expect(fired.decisions.allSatisfy { $0.trigger == .stop && $0.status == .filled && $0.reason == "stop" && $0.side == .sell })
        #expect(fired.decisions.map(\.fillShares) == [600, 400])
        // The first sale took 600 of the 700 at 0.58; the second the other 100 and 300 at 0.57.
        #expect(fired.decisions.map(\.fillPrice) == [Price(micros: 580_000), Price(micros: 572_500)])
        #expect(fired.decisions[0].detail?.hasPrefix("mark 0.59 at or below the trailing stop 0.59") == true, "\(fired.decisions[0].detail ?? "")")
        #expect(fired.book.positions.isEmpty && fired.book.stops.isEmpty && fired.book.fromWhales.isEmpty)
        #expect(fired.book.cash == USDC(micros: 99_400_000_000 + 348_000_000 + 229_000_000))
        #expect(fired.book.realizedPnl == USDC(micros: 348_000_000 + 229_000_000 - 600_000_000))
    }

    @Test("a thin book sells what it has: a partial fill, then the next whale's sale finds the side empty")
    func thinBook() throws {
        let time = Self.noon
        var book = Self.held()
        book.stops["T"] = Price(micros: 650_000)
        let thin = try Self.orderBook(bids: [(580_000, 250)], at: time)
        let result = RiskGuard.control(
            book, at: time, policy: RiskPolicy(), marks: Self.marks([(0, 600_000)]), daily: Self.steady, schedule: MarketSchedule(),
            books: ["T": .success(thin)])
        #expect(result.decisions.map(\.reason) == ["partial_fill", "no_book"])
        #expect(result.decisions[0].fillShares == 250 && result.decisions[0].trigger == .stop)
        #expect(result.decisions[1].status == .blocked && result.decisions[1].trigger == .stop)
        #expect(result.book.positions["T"]?.shares == 750)
        #expect(result.book.fromWhales[WhaleHolding(wallet: Self.whale, asset: "T")] == 350)
        #expect(result.book.stops["T"] != nil, "what is left keeps its stop")
    }

    @Test("the time exit fires at the market's last order time − 24 h (end date or closed time, as known then), not a millisecond before")
    func timeExit() throws {
        let end = Self.noon.adding(millis: 30 * 3_600_000 + 30 * 60_000)  // tomorrow 18:30
        let exitAt = end.adding(millis: -EventTime.day)  // today 18:30
        let schedule = MarketSchedule([Self.market: [Self.terms(end: end)]])
        var book = Self.held()
        book.stops = [:]
        let policy = RiskPolicy()
        // The control instant after 18:00 is 18:30, before the 19:00 grid point.
        #expect(PositionControls.nextInstant(
            after: exitAt.adding(millis: -30 * 60_000), book: book, schedule: schedule, policy: policy.controls) == exitAt)
        #expect(PositionControls.nextInstant(
            after: exitAt, book: book, schedule: schedule, policy: policy.controls) == exitAt.adding(millis: 30 * 60_000))
        let marks = Self.marks([(0, 600_000)])
        let before = RiskGuard.control(
            book, at: exitAt.adding(millis: -1), policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: [:])
        #expect(before.decisions.isEmpty && before.needs.isEmpty)
        let bids = try Self.orderBook(bids: [(590_000, 5_000)], at: exitAt)
        let fired = RiskGuard.control(
            before.book, at: exitAt, policy: policy, marks: marks, daily: Self.steady, schedule: schedule, books: ["T": .success(bids)])
        #expect(fired.decisions.count == 2 && fired.decisions.allSatisfy { $0.trigger == .timeExit && $0.reason == "time_exit" })
        #expect(fired.book.positions.isEmpty)
        // Known later to close earlier: the closed time counts from when it is known.
        let early = Self.noon.adding(millis: 20 * 3_600_000)  // tomorrow 08:00
        let closing = MarketSchedule([Self.market: [
            Self.terms(end: end),
            MarketTerms(conditionId: Self.market, seenAt: Self.noon.adding(millis: 3_600_000), endDate: end, closedAt: early,
                        acceptingOrders: true, takerFeeBps: 0, tick: Price(micros: 10_000), minimumOrder: .zero),
        ]])
        #expect(closing.exitInstant(of: Self.market, at: Self.noon, policy: policy.controls) == exitAt)
        #expect(closing.exitInstant(of: Self.market, at: Self.noon.adding(millis: 3_600_000), policy: policy.controls)
            == early.adding(millis: -EventTime.day))
        // A market that no longer takes orders is left to its resolution: nothing sold, nothing asked.
        let closed = MarketSchedule([Self.market: [Self.terms(end: end, closedAt: Self.noon.adding(millis: -1))]])
        let left = RiskGuard.control(book, at: Self.noon, policy: policy, marks: marks, daily: Self.steady, schedule: closed, books: [:])
        #expect(left.decisions.isEmpty && left.needs.isEmpty && left.book.positions["T"] != nil)
    }

    @Test("an entry inside the exit window is refused; one a millisecond before it fills, with its stop set at entry")
    func entryWindow() throws {
        let end = Self.noon.adding(millis: EventTime.day)
        let schedule = MarketSchedule([Self.market: [Self.terms(end: end)]])
        let order = ProposedOrder(
            orderId: "o", tradeId: "t", wallet: Self.whale, conditionId: Self.market, asset: "T", outcomeIndex: 0, side: .buy,
            limitPrice: Price(micros: 600_000), fractionPpm: 20_000, tradeTime: Self.noon)
        let market = try Self.orderBook(bids: [(590_000, 10_000)], asks: [(610_000, 10_000)], at: Self.noon)
        let (refused, _) = RiskGuard.decide(
            order, book: Book(initialCash: 100_000), policy: RiskPolicy(), at: Self.noon, market: .success(market),
            daily: Self.steady, schedule: schedule)
        #expect(refused.reason == "time_exit_window", "\(refused)")
        let earlier = Self.noon.adding(millis: -1)
        var fresh = market
        fresh.asOf = earlier
        let (filled, book) = RiskGuard.decide(
            order, book: Book(initialCash: 100_000), policy: RiskPolicy(), at: earlier, market: .success(fresh),
            daily: Self.steady, schedule: schedule)
        #expect(filled.status == .filled, "\(filled)")
        // Marked at the book's midpoint 0.60 (no intraday series): 0.60 − 2.5 × 0.02.
        #expect(book?.stops["T"] == Price(micros: 550_000))
    }

    @Test("a held whale's quarantine since the last instant is reported for the audit chain; with the setting on, its lots alone are sold")
    func quarantinedWhale() throws {
        var book = Self.held()
        book.controlledThrough = Self.noon.adding(millis: -3_600_000)
        // Followed at 80, quarantined by a WQS of 40 at 11:30: the gate's own rules.
        let view = QuarantineView(
            points: [Self.whale: [
                Quarantine.Point(at: Self.noon.adding(millis: -2 * EventTime.day), wqs: 80, drawdown: 0, lastLossAt: nil),
                Quarantine.Point(at: Self.noon.adding(millis: -30 * 60_000), wqs: 40, drawdown: 0, lastLossAt: nil),
            ]],
            policy: QuarantinePolicy(followFromScore: 75))
        let marks = Self.marks([(0, 600_000)])
        let bids = try Self.orderBook(bids: [(590_000, 5_000)], at: Self.noon)
        let kept = RiskGuard.control(
            book, at: Self.noon, policy: RiskPolicy(), marks: marks, daily: Self.steady, schedule: MarketSchedule(),
            books: ["T": .success(bids)], quarantine: view)
        #expect(kept.quarantineEvents.map(\.kind) == [.quarantined] && kept.quarantineEvents[0].wallet == Self.whale)
        #expect(kept.decisions.isEmpty && kept.book.positions["T"]?.shares == 1_000)
        // An instant later: nothing new to report.
        let later = RiskGuard.control(
            kept.book, at: Self.noon.adding(millis: 3_600_000), policy: RiskPolicy(), marks: marks, daily: Self.steady,
            schedule: MarketSchedule(), books: [:], quarantine: view)
        #expect(later.quarantineEvents.isEmpty)
        var closing = RiskPolicy()
        closing.closeQuarantined = true
        let sold = RiskGuard.control(
            book, at: Self.noon, policy: closing, marks: marks, daily: Self.steady, schedule: MarketSchedule(),
            books: ["T": .success(bids)], quarantine: view)
        #expect(sold.decisions.count == 1 && sold.decisions[0].wallet == Self.whale && sold.decisions[0].trigger == .quarantine)
        #expect(sold.decisions[0].fillShares == 600 && sold.decisions[0].reason == "quarantine")
        #expect(sold.book.positions["T"]?.shares == 400 && sold.book.fromWhales[WhaleHolding(wallet: Self.other, asset: "T")] == 400)
    }

    @Test("the book never holds YES and NO of one market: an entry in the other outcome of a held market is one exposure, refused")
    func neverBothOutcomes() throws {
        let order = ProposedOrder(
            orderId: "o", tradeId: "t", wallet: Self.other, conditionId: Self.market, asset: "N", outcomeIndex: 1, side: .buy,
            limitPrice: Price(micros: 400_000), fractionPpm: 20_000, tradeTime: Self.noon)
        let market = try Self.orderBook(bids: [(390_000, 10_000)], asks: [(410_000, 10_000)], at: Self.noon)
        let book = Self.held()
        var daily = Self.steady
        daily.series["N"] = Self.daily("N") { back in back % 2 == 0 ? 0.40 : 0.38 }.series["N"]
        let (decision, after) = RiskGuard.decide(
            order, book: book, policy: RiskPolicy(), at: Self.noon, market: .success(market), daily: daily)
        #expect(decision.reason == "correlated_with_book" && decision.detail == "the book holds this market already (one exposure)")
        #expect(after?.positions["N"] == nil)
    }

    @Test("REMORA_RISK_STOP_ATR=0: no trailing stop is set at entry nor moved, none fires")
    func stopsOff() throws {
        var policy = RiskPolicy()
        policy.controls.atrMultiple = 0
        var book = Self.held()
        book.stops = [:]
        let result = RiskGuard.control(
            book, at: Self.noon, policy: policy, marks: Self.marks([(0, 100_000)]), daily: Self.steady, schedule: MarketSchedule(),
            books: [:])
        #expect(result.decisions.isEmpty && result.needs.isEmpty && result.book.stops.isEmpty)
    }

    @Test("a closed time learned late is acted on once learned: its exit instant is the later of end − 24 h and when it was seen")
    func lateTerms() {
        let end = Self.noon.adding(millis: 10 * EventTime.day)
        let early = Self.noon.adding(millis: 20 * 3_600_000)  // tomorrow 08:00: its exit instant today 08:00, already past
        let seen = Self.noon.adding(millis: 90 * 60_000)  // learned at 13:30
        let schedule = MarketSchedule([Self.market: [
            Self.terms(end: end),
            MarketTerms(conditionId: Self.market, seenAt: seen, endDate: end, closedAt: early, acceptingOrders: true,
                        takerFeeBps: 0, tick: Price(micros: 10_000), minimumOrder: .zero),
        ]])
        let policy = ControlPolicy()
        #expect(PositionControls.nextInstant(after: Self.noon.adding(millis: 3_600_000), book: Self.held(), schedule: schedule, policy: policy) == seen)
        let sold = RiskGuard.control(
            Self.held(), at: seen, policy: RiskPolicy(), marks: Self.marks([(0, 600_000)]), daily: Self.steady, schedule: schedule, books: [:])
        #expect(sold.needs == ["T"], "the time exit fires at 13:30 and asks for the book")
    }

    @Test("a HALTED book runs no control: its stops wait for the resume, the cursor moves on")
    func halted() {
        var book = Self.held()
        book.stops["T"] = Price(micros: 700_000)
        book.halt = RiskAction(id: 1, at: Self.noon.adding(millis: -1), kind: .halt, by: "ana", reason: "drill")
        let result = RiskGuard.control(
            book, at: Self.noon, policy: RiskPolicy(), marks: Self.marks([(0, 600_000)]), daily: Self.steady,
            schedule: MarketSchedule(), books: [:])
        #expect(result.decisions.isEmpty && result.needs.isEmpty)
        #expect(result.book.positions == book.positions && result.book.controlledThrough == Self.noon)
    }
}
