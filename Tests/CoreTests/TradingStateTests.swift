import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import Testing

extension Marks {
    /// The marks with a flat daily history (61 days at its mark) for each token `book` holds that
    /// has none: an mVaR of 0, for tests of the other rules.
    func covering(_ book: Book?, at time: EventTime) -> Marks {
        var marks = self
        for (asset, position) in book?.positions ?? [:] where marks.series[asset] == nil {
            marks.series[asset] = PriceSeries(token: asset, fidelityMinutes: 1440, points: (1...62).map { back in
                PricePoint(time: EventTime(millis: (time.dayNumber - Int64(back)) * EventTime.day + 60_000), price: position.mark)
            })
        }
        return marks
    }
}

@Suite("Risk guard: the book's mVaR and its trading state")
struct TradingStateTests {
    static let today: Int64 = 20_400
    static let time = EventTime(millis: today * EventTime.day + 12 * 3_600_000)
    static let market = ConditionID("0x" + String(repeating: "4", count: 64))!
    static let wallet = WalletAddress("0x" + String(repeating: "5", count: 40))!
    static let otherMarket = ConditionID("0x" + String(repeating: "6", count: 64))!

    // 61 closes (days today−60 … today, each the first price of the day before), from a Python
    // computation independent of this code (statistics.NormalDist, population moments).
    static let a: [Double] = [
        0.48, 0.560422, 0.610545, 0.570321, 0.533499, 0.480922, 0.400842, 0.405755, 0.456873, 0.493681, 0.573699, 0.578817,
        0.58146, 0.54391, 0.447352, 0.41203, 0.418082, 0.426186, 0.507362, 0.586957, 0.591061, 0.592575, 0.510312, 0.457793,
        0.423243, 0.386437, 0.439517, 0.521042, 0.556196, 0.603277, 0.603666, 0.520705, 0.468244, 0.390481, 0.39882, 0.452864,
        0.490721, 0.569416, 0.615464, 0.570733, 0.531091, 0.478707, 0.401745, 0.41123, 0.422228, 0.504397, 0.582617, 0.583624,
        0.581777, 0.541468, 0.445182, 0.413033, 0.423668, 0.435609, 0.518072, 0.551797, 0.595756, 0.592797, 0.507839, 0.455668,
        0.424348,
    ]
    static let b: [Double] = [
        0.35, 0.347767, 0.341267, 0.33108, 0.318118, 0.303537, 0.28864, 0.274758, 0.26313, 0.254796, 0.2505, 0.250626, 0.255162,
        0.263703, 0.275487, 0.28946, 0.304375, 0.398899, 0.331735, 0.341736, 0.348009, 0.349993, 0.347512, 0.340786, 0.330418,
        0.317332, 0.302698, 0.287823, 0.274036, 0.262568, 0.134443, 0.250389, 0.250766, 0.25554, 0.264287, 0.276223, 0.290284,
        0.305212, 0.319675, 0.33238, 0.342193, 0.348237, 0.349972, 0.347243, 0.340294, 0.409746, 0.316541, 0.301858, 0.287009,
        0.273321, 0.262016, 0.254103, 0.250291, 0.250919, 0.255931, 0.26488, 0.276966, 0.29111, 0.306047, 0.320445, 0.333016,
    ]

    /// A daily series whose close at the start of day today − 60 + j + `from` is `closes[j]`.
    static func series(_ token: String, _ closes: [Double], from: Int = 0) -> PriceSeries {
        PriceSeries(token: token, fidelityMinutes: 1440, points: closes.enumerated().map { j, price in
            PricePoint(
                time: EventTime(millis: (today - 61 + Int64(j + from)) * EventTime.day + 3_600_000),
                price: Price(micros: Int64((price * 1e6).rounded())))
        })
    }

    static func position(_ asset: String, shares: Int64, mark: Int64) -> BookPosition {
        BookPosition(asset: asset, conditionId: market, outcomeIndex: 0, shares: Shares(micros: shares * 1_000_000), cost: .zero, mark: Price(micros: mark))
    }

    @Test("mVaR of the book: Cornish-Fisher at 99 % of today's shares × 60 days of price changes, over NAV (Python reference)")
    func historical() throws {
        let book = Book(initialCash: 100_000, cash: 80_000, positions: [
            "A": Self.position("A", shares: 10_000, mark: 550_000), "B": Self.position("B", shares: 20_000, mark: 300_000),
        ])
        let risk = try #require(BookRisk.valueAtRisk(book, at: Self.time, daily: Marks(series: ["A": Self.series("A", Self.a), "B": Self.series("B", Self.b)])))
        // NAV 91,500; μ −1.632e-4, skew 0.1323, excess kurtosis 1.6955.
        #expect(abs(risk.cornishFisher - 0.02224721107926664) < 1e-12, "\(risk)")
        #expect(risk.cornishFisherValid && risk.scenarios == 60 && risk.tokensWithHistory == 2 && risk.standIn == 0)
        // These calm series (a few cents a day) are below the floor, the largest position's move on
        // news: A's z × 10,000 × √(0.55 × 0.45 ÷ 10) = 3,660; B's 6,742 is more than its value, 6,000.
        #expect(abs(risk.floor - 6_000.0 / 91_500) < 1e-12 && risk.loss == risk.floor, "\(risk)")
        // History loud enough (±25 and ±10 cents a day) is measured by its Cornish-Fisher VaR.
        let swings = (0...60).map { [0.5, 0.75, 0.5, 0.6][$0 % 4] }
        let loud = try #require(BookRisk.valueAtRisk(
            Book(initialCash: 100_000, cash: 95_000, positions: ["L": Self.position("L", shares: 10_000, mark: 500_000)]),
            at: Self.time, daily: Marks(series: ["L": Self.series("L", swings)])))
        #expect(loud.cornishFisher > loud.floor && loud.loss == loud.cornishFisher, "\(loud)")
        #expect(abs(loud.floor - 2.3263478740408408 * 10_000 * (0.25 / 10).squareRoot() / 100_000) < 1e-12)
        // The same at every instant of the day: closes are taken at day starts.
        let evening = try #require(BookRisk.valueAtRisk(
            book, at: Self.time.adding(millis: 11 * 3_600_000), daily: Marks(series: ["A": Self.series("A", Self.a), "B": Self.series("B", Self.b)])))
        #expect(evening == risk)
        // The seed's tail (z = Φ⁻¹(0.99) > 0, −(μ + hσ)) would give a gain here, not this loss.
        let returns: [Double] = (1...60).map { (j: Int) -> Double in
            let pnl: Double = 10_000 * (Self.a[j] - Self.a[j - 1]) + 20_000 * (Self.b[j] - Self.b[j - 1])
            return pnl / 91_500
        }
        #expect(abs(TailRisk.modifiedVaR(returns) - risk.cornishFisher) < 1e-12)
    }

    @Test("a token with short history: stand-in z × shares × √(p(1 − p) ÷ 30), at least the floor z × shares × √(p(1 − p) ÷ 10); no series is no measure")
    func standIn() throws {
        let book = Book(initialCash: 100_000, cash: 99_600, positions: ["N": Self.position("N", shares: 1_000, mark: 400_000)])
        let short = Self.series("N", Array(Self.a.suffix(10)), from: 51)  // a market listed 10 days ago
        let risk = try #require(BookRisk.valueAtRisk(book, at: Self.time, daily: Marks(series: ["N": short])))
        #expect(abs(risk.standIn - 2.3263478740408408 * 1_000 * (0.4 * 0.6 / 30).squareRoot() / 100_000) < 1e-12, "\(risk)")
        #expect(abs(risk.loss - 2.3263478740408408 * 1_000 * (0.4 * 0.6 / 10).squareRoot() / 100_000) < 1e-12, "\(risk)")
        #expect(risk.loss == risk.floor)
        // REMORA_RISK_VAR_FLOOR_DAYS=0: no floor, the stand-in alone.
        var unfloored = VaRPolicy()
        unfloored.floorHorizonDays = 0
        let bare = try #require(BookRisk.valueAtRisk(book, at: Self.time, daily: Marks(series: ["N": short]), policy: unfloored))
        #expect(bare.floor == 0 && bare.loss == bare.standIn && bare.standIn == risk.standIn, "\(bare)")
        // Two new markets' stand-ins combine as independent: √2 × one, not 2 ×.
        let two = Book(initialCash: 100_000, cash: 99_200, positions: [
            "N": Self.position("N", shares: 1_000, mark: 400_000), "M": Self.position("M", shares: 1_000, mark: 400_000),
        ])
        let both = try #require(BookRisk.valueAtRisk(two, at: Self.time, daily: Marks(series: ["N": short, "M": Self.series("M", Array(Self.a.suffix(10)), from: 51)])))
        #expect(abs(both.standIn - 2.0.squareRoot() * risk.standIn) < 1e-15 && both.floor == risk.floor && both.tokensStandIn == 2, "\(both)")
        #expect(risk.tokensStandIn == 1 && risk.scenarios == 0 && risk.cornishFisher == 0)
        #expect(BookRisk.valueAtRisk(book, at: Self.time, daily: Marks()) == nil)
        // Never more than the positions' value: a long position loses at most what it is worth.
        let tiny = Book(initialCash: 100, cash: 0, positions: ["N": Self.position("N", shares: 1_000, mark: 10_000)])
        let capped = try #require(BookRisk.valueAtRisk(tiny, at: Self.time, daily: Marks(series: ["N": short])))
        #expect(capped.loss == 1, "everything held is at risk: \(capped)")
        #expect(BookRisk.valueAtRisk(Book(initialCash: 100), at: Self.time, daily: Marks()) == .nothingHeld)
    }

    @Test("REDUCING above 8 %, not at it; back to ACTIVE only under 6 %")
    func hysteresis() {
        let policy = VaRPolicy()
        #expect(TradingState.measured(.active, loss: 0.08, policy: policy) == .active)
        #expect(TradingState.measured(.active, loss: 0.080001, policy: policy) == .reducing)
        #expect(TradingState.measured(.reducing, loss: 0.07, policy: policy) == .reducing)
        #expect(TradingState.measured(.reducing, loss: 0.06, policy: policy) == .reducing)
        #expect(TradingState.measured(.reducing, loss: 0.059999, policy: policy) == .active)
        #expect(policy.alert(0.0599) == .green && policy.alert(0.06) == .yellow && policy.alert(0.08) == .yellow && policy.alert(0.0801) == .red)
    }

    static let deep = Result<OrderBook, MarketDataProblem>.success(try! OrderBook(
        bids: [DepthLevel(price: Price(micros: 390_000), size: 10_000_000)],
        asks: [DepthLevel(price: Price(micros: 400_000), size: 10_000_000)], tick: Price(micros: 10_000)))

    static func order(_ id: String, exit: Int64? = nil, asset: String = "X") -> ProposedOrder {
        ProposedOrder(
            orderId: id, tradeId: id, wallet: wallet, conditionId: exit == nil ? otherMarket : market, asset: asset, outcomeIndex: 0, side: exit == nil ? .buy : .sell,
            limitPrice: Price(micros: 400_000), fractionPpm: 20_000, tradeTime: time, exitFractionPpm: exit)
    }

    /// mVaR of `shares` of N (short history) at 0.50 over NAV 100,000: the floor, 2.3263 × shares × 0.1581 ÷ 100,000.
    static func book(holding shares: Int64) -> Book {
        var book = Book(initialCash: 100_000, cash: USDC(micros: (100_000 - shares / 2) * 1_000_000), positions: ["N": position("N", shares: shares, mark: 500_000)])
        book.fromWhales[WhaleHolding(wallet: wallet, asset: "N")] = Shares(micros: shares * 1_000_000)
        return book
    }

    func decide(_ order: ProposedOrder, _ book: Book) -> (OrderDecision, Book?) {
        RiskGuard.decide(
            order, book: book, policy: RiskPolicy(maxExposurePpm: 950_000), at: Self.time, market: Self.deep,
            daily: Marks(series: ["N": PriceSeries(token: "N", fidelityMinutes: 1440, points: [])]))
    }

    @Test("a book whose mVaR passes 8 % goes REDUCING: entries blocked, exits filled; under 6 % it is ACTIVE again")
    func reducing() throws {
        // 23,100 shares at 0.50: floor 2.3263 × 23,100 × √(0.25 ÷ 10) = 8,497 of NAV 100,000 = 8.5 %.
        let high = Self.book(holding: 23_100)
        let (blocked, reducing) = decide(Self.order("e1"), high)
        #expect(blocked.status == .blocked && blocked.reason == "book_reducing" && blocked.tradingState == .reducing, "\(blocked)")
        #expect(abs((blocked.bookVaR ?? 0) - 0.08497) < 0.0001)
        #expect(reducing?.tradingState == .reducing)
        let change = RiskGuard.stateChange(from: high, to: reducing, at: Self.time, cause: "mVaR")
        #expect(change?.from == .active && change?.to == .reducing && change?.alert.code == "trading_state")
        // An exit of half goes through: 11,550 left, 4.2 %, under 6 %: the next entry finds the book ACTIVE.
        let (sold, after) = decide(Self.order("x1", exit: 500_000, asset: "N"), try #require(reducing))
        #expect(sold.status == .filled && sold.fillShares == Shares(micros: 11_550_000_000), "\(sold)")
        let (entry, active) = decide(Self.order("e2"), try #require(after))
        #expect(entry.status == .filled && entry.tradingState == .active && active?.tradingState == .active, "\(entry)")
        // Between the thresholds a REDUCING book stays REDUCING (7 %).
        var middle = Self.book(holding: 19_000)
        middle.measuredState = .reducing
        #expect(decide(Self.order("e3"), middle).0.reason == "book_reducing")
        middle.measuredState = .active
        #expect(decide(Self.order("e4"), middle).0.status == .filled, "7 % is yellow, not a halt")
    }

    @Test("an entry whose mVaR cannot be measured is blocked; an exit is not")
    func failClosed() throws {
        let book = Self.book(holding: 10_000)
        let entry = RiskGuard.decide(Self.order("e"), book: book, policy: RiskPolicy(), at: Self.time, market: Self.deep).0
        #expect(entry.status == .blocked && entry.reason == "var_unavailable" && entry.bookVaR == nil)
        let exit = RiskGuard.decide(Self.order("x", exit: 1_000_000, asset: "N"), book: book, policy: RiskPolicy(), at: Self.time, market: Self.deep).0
        #expect(exit.status == .filled && exit.fillShares == Shares(micros: 10_000_000_000))
    }

    @Test("an operator's halt stops everything, exits included, until a resume; halting twice changes nothing")
    func halt() throws {
        let book = Self.book(holding: 10_000)
        let halt = RiskAction(id: 3, at: Self.time.adding(millis: -1), kind: .halt, by: "ana", reason: "venue incident")
        let (halted, change) = RiskGuard.apply(halt, to: book)
        #expect(halted.tradingState == .halted && halted.actionsThrough == 3)
        #expect(change?.to == .halted && change?.alert.level == .critical && change?.alert.message.contains("halted by ana: venue incident") == true)
        for order in [Self.order("e"), Self.order("x", exit: 1_000_000, asset: "N")] {
            let (decision, same) = decide(order, halted)
            #expect(decision.reason == "trading_halted" && decision.tradingState == .halted && same == halted, "\(decision)")
        }
        let (twice, none) = RiskGuard.apply(RiskAction(id: 4, at: Self.time, kind: .halt, by: "bo", reason: "again"), to: halted)
        #expect(none == nil && twice.halt == halt && twice.actionsThrough == 4)
        // A resume returns the book to its mVaR state: REDUCING if that is where its mVaR had put it.
        var reducing = halted
        reducing.measuredState = .reducing
        let (resumed, back) = RiskGuard.apply(RiskAction(id: 5, at: Self.time, kind: .resume, by: "ana", reason: "venue back"), to: reducing)
        #expect(resumed.tradingState == .reducing && back?.from == .halted && back?.to == .reducing)
        #expect(decide(Self.order("e"), halted.resumedForTest).0.status == .filled)
    }
}

extension Book {
    fileprivate var resumedForTest: Book {
        RiskGuard.apply(RiskAction(id: actionsThrough + 1, at: TradingStateTests.time, kind: .resume, by: "t", reason: "t"), to: self).0
    }
}
