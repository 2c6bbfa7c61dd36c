import Testing
import RemoraCore
import RemoraModel

@Suite("Open fills marked to market")
struct OpenPositionsTests {
    static let day = EventTime.day
    static let marketA = ConditionID("0x" + String(repeating: "a", count: 64))!
    static let marketB = ConditionID("0x" + String(repeating: "b", count: 64))!

    static func fill(
        _ id: String, market: ConditionID = marketA, outcome: Int = 0, side: Side = .buy, shares: Int64, price: Int64,
        at time: Int64, resolvedAt: Int64? = nil
    ) -> HeldFill {
        HeldFill(
            tradeId: id, conditionId: market, outcomeIndex: outcome, side: side, size: Shares(micros: shares * 1_000_000),
            price: Price(micros: price), time: EventTime(millis: time), resolvedAt: resolvedAt.map(EventTime.init(millis:)))
    }

    @Test("a mark is the market's last fill strictly before the time (the mean of that instant's fills); the other outcome's at 1 − its price")
    func marks() {
        var marks = MarketMarks()
        marks.add(Self.marketA, time: EventTime(millis: 100), outcomeIndex: 0, price: Price(micros: 400_000))
        marks.add(Self.marketA, time: EventTime(millis: 200), outcomeIndex: 1, price: Price(micros: 700_000))
        marks.add(Self.marketA, time: EventTime(millis: 200), outcomeIndex: 0, price: Price(micros: 350_000))
        #expect(marks.mark(Self.marketA, outcomeIndex: 0, before: EventTime(millis: 100)) == nil)
        #expect(marks.mark(Self.marketA, outcomeIndex: 0, before: EventTime(millis: 101)) == Price(micros: 400_000))
        #expect(marks.mark(Self.marketA, outcomeIndex: 1, before: EventTime(millis: 200)) == Price(micros: 600_000))
        // Two fills in one millisecond mark together: the mean of 0.30 (1 − 0.70) and 0.35,
        // whatever order they were stored in (it depends on the partitions).
        #expect(marks.mark(Self.marketA, outcomeIndex: 0, before: EventTime(millis: 201)) == Price(micros: 325_000))
        #expect(marks.mark(Self.marketA, outcomeIndex: 1, before: EventTime(millis: 10_000)) == Price(micros: 675_000))
        var reversed = MarketMarks()
        reversed.add(Self.marketA, time: EventTime(millis: 100), outcomeIndex: 0, price: Price(micros: 400_000))
        reversed.add(Self.marketA, time: EventTime(millis: 200), outcomeIndex: 0, price: Price(micros: 350_000))
        reversed.add(Self.marketA, time: EventTime(millis: 200), outcomeIndex: 1, price: Price(micros: 700_000))
        #expect(reversed.mark(Self.marketA, outcomeIndex: 0, before: EventTime(millis: 201)) == Price(micros: 325_000))
        #expect(reversed.mark(Self.marketA, outcomeIndex: 0, before: EventTime(millis: 200)) == Price(micros: 400_000))
        #expect(marks.mark(Self.marketB, outcomeIndex: 0, before: EventTime(millis: 10_000)) == nil)
    }

    @Test("open fills: traded by the time, unresolved then; valued at the mark before the day, or their own price")
    func marked() {
        var marks = MarketMarks()
        // Market A trades at 0.60 on day 2 and at 0.90 on day 3 (after the day-3 start: not used on day 3).
        marks.add(Self.marketA, time: EventTime(millis: 2 * Self.day + 5), outcomeIndex: 0, price: Price(micros: 600_000))
        marks.add(Self.marketA, time: EventTime(millis: 3 * Self.day + 5), outcomeIndex: 0, price: Price(micros: 900_000))
        let asOf = EventTime(millis: 3 * Self.day + 1000)
        let fills = [
            Self.fill("buy", shares: 100, price: 500_000, at: 1 * Self.day),                      // +100 × 0.10 = +10
            Self.fill("sell", side: .sell, shares: 50, price: 700_000, at: 2 * Self.day),         // +50 × 0.10 = +5
            Self.fill("no", outcome: 1, shares: 10, price: 300_000, at: 2 * Self.day + 1),        // No at 0.40: +10 × 0.10 = +1
            Self.fill("b", market: Self.marketB, shares: 20, price: 250_000, at: 2 * Self.day),   // no mark: own price, 0
            Self.fill("resolved", shares: 100, price: 500_000, at: Self.day, resolvedAt: 3 * Self.day),  // settled: not open
            Self.fill("later", shares: 100, price: 500_000, at: 3 * Self.day + 2000),              // after asOf: not open
            Self.fill("resolving later", shares: 10, price: 800_000, at: Self.day, resolvedAt: 4 * Self.day),  // −10 × 0.20 = −2
        ]
        let open = OpenPositions.marked(fills, of: wallet, asOf: asOf, marks: marks)
        #expect(open.map(\.tradeId) == ["buy", "resolving later", "b", "sell", "no"])
        #expect(open.map(\.realizedPnl.micros) == [10_000_000, -2_000_000, 0, 5_000_000, 1_000_000])
        #expect(open.map(\.cost.micros) == [50_000_000, 8_000_000, 5_000_000, 35_000_000, 3_000_000])
        #expect(open.allSatisfy { $0.settledAt == asOf && $0.fee == .zero && $0.wallet == wallet })
        // The fill's own time counts as open (time ≤ asOf); its market resolving at asOf closes it.
        #expect(Self.fill("x", shares: 1, price: 1, at: 10).isOpen(at: EventTime(millis: 10)))
        #expect(!Self.fill("x", shares: 1, price: 1, at: 10, resolvedAt: 10).isOpen(at: EventTime(millis: 10)))
    }

    @Test("metrics with open fills, worked by hand: P&L on the as-of day, capital from the trade day; counts unchanged")
    func metricsWithOpenFills() {
        // Settled: bought day 0 for 100, settles day 1 at +50. Open: bought day 1 for 100 in another
        // market, marked at +20 on day 3.
        let settled = [WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1)]
        var marks = MarketMarks()
        marks.add(Self.marketB, time: EventTime(millis: 2 * Self.day), outcomeIndex: 0, price: Price(micros: 600_000))
        let asOf = EventTime(millis: 3 * Self.day + Self.day / 2)
        let fills = [Self.fill("open", market: Self.marketB, shares: 200, price: 500_000, at: Self.day + 10)]
        let open = OpenPositions.marked(fills, of: wallet, asOf: asOf, marks: marks)
        let m = WalletMetricsCalculator.metrics(of: settled, asOf: asOf, baseRate: 0.5, open: open)
        // Capital: day 0 100, day 1 200, days 2–3 100 → 125. P&L: day 1 +50, day 3 +20.
        #expect(m.averageCapitalAtRisk == 125)
        #expect(m.dailyReturns == [0, 50.0 / 125, 0, 20.0 / 125])
        #expect(m.openFills == 1 && m.openCost == USDC(micros: 100_000_000) && m.unrealizedPnl == USDC(micros: 20_000_000))
        #expect(m.settledTrades == 1 && m.wins == 1 && m.volume == USDC(micros: 100_000_000))
        #expect(m.realizedPnl == USDC(micros: 50_000_000))
        // Two markets of 100 each: HHI 5,000 (settled alone: 10,000).
        #expect(m.hhi == 5_000)
        let without = WalletMetricsCalculator.metrics(of: settled, asOf: asOf, baseRate: 0.5)
        #expect(without.hhi == 10_000 && without.openFills == 0 && without.unrealizedPnl == .zero)
        // A losing open position shows as a drawdown now, not when its market resolves.
        let losing = OpenPositions.marked(
            [Self.fill("open", market: Self.marketB, shares: 200, price: 900_000, at: Self.day + 10)], of: wallet, asOf: asOf,
            marks: marks)
        let down = WalletMetricsCalculator.metrics(of: settled, asOf: asOf, baseRate: 0.5, open: losing)
        #expect(down.unrealizedPnl == USDC(micros: -60_000_000))
        #expect(down.currentDrawdown > 0 && without.currentDrawdown == 0)
    }

    @Test("the history marks each day's open fills as of that day; the scorer's single score equals its row")
    func historyMarksEachDay() {
        let settled = [
            WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            WalletMetricsTests.settled(.loss, cost: 100, pnl: -100, boughtDay: 0, settledDay: 4, market: 2, id: 2),
        ]
        var marks = MarketMarks()
        marks.add(Self.marketB, time: EventTime(millis: Self.day), outcomeIndex: 0, price: Price(micros: 600_000))
        marks.add(Self.marketB, time: EventTime(millis: 3 * Self.day), outcomeIndex: 0, price: Price(micros: 200_000))
        let fills = [Self.fill("open", market: Self.marketB, shares: 100, price: 500_000, at: Self.day / 2, resolvedAt: 6 * Self.day)]
        let rows = WalletScoring.history(
            of: wallet, settlements: settled, fills: fills, marks: marks, context: { ScoringContext(day: $0) })
        #expect(rows.map(\.asOf.dayNumber) == [1, 4])
        // Day 1: the market's one earlier fill is at the day's very start, not before it: own price, 0.
        #expect(rows[0].openFills == 1 && rows[0].unrealizedPnl == .zero)
        #expect(rows[1].openFills == 1 && rows[1].unrealizedPnl == USDC(micros: -30_000_000))
        var single = WalletScoring.score(
            wallet, settlements: settled, fills: fills, marks: marks, asOf: settled[1].settledAt, context: ScoringContext(day: 4))
        single.dailyReturns = []
        #expect(rows[1] == single)
    }

    @Test("a wallet holding open fills is scored again at each day's start once its marks move, through the days done")
    func markDaysInTheHistory() {
        let settled = [
            WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            WalletMetricsTests.settled(.loss, cost: 100, pnl: -100, boughtDay: 0, settledDay: 4, market: 2, id: 2),
        ]
        var marks = MarketMarks()
        marks.add(Self.marketB, time: EventTime(millis: Self.day), outcomeIndex: 0, price: Price(micros: 600_000))
        marks.add(Self.marketB, time: EventTime(millis: 3 * Self.day), outcomeIndex: 0, price: Price(micros: 200_000))
        // Open from day 0 12:00 until its market resolves at the start of day 6.
        let fills = [Self.fill("open", market: Self.marketB, shares: 100, price: 500_000, at: Self.day / 2, resolvedAt: 6 * Self.day)]
        // From the day after the first settlement; the last day open at its start is day 5.
        #expect(WalletScoring.markDays(settlements: settled, fills: fills, through: 8) == [2, 3, 4, 5])
        #expect(WalletScoring.markDays(settlements: settled, fills: fills, through: 3) == [2, 3])
        #expect(WalletScoring.markDays(settlements: settled, fills: fills, through: nil) == [])
        #expect(WalletScoring.markDays(settlements: [], fills: fills, through: 8) == [], "no score before a settlement")
        // Traded exactly at a day's start: open then; resolved exactly at a day's start: not.
        let edge = [Self.fill("edge", market: Self.marketB, shares: 1, price: 500_000, at: 3 * Self.day, resolvedAt: 5 * Self.day)]
        #expect(WalletScoring.markDays(settlements: settled, fills: edge, through: 8) == [3, 4])

        let rows = WalletScoring.history(
            of: wallet, settlements: settled, fills: fills, marks: marks, markDaysThrough: 8, context: { ScoringContext(day: $0) })
        // Day 4 has a settlement later that day: its row is as of the settlement.
        #expect(rows.map(\.asOf.millis) == [Self.day + Self.day / 2, 2 * Self.day, 3 * Self.day, 4 * Self.day + Self.day / 2, 5 * Self.day])
        // Marks before the day's start: 0.6 on days 2 and 3 (the fill at day 3's start is not before it), 0.2 on day 5.
        #expect(rows[1].unrealizedPnl == USDC(micros: 10_000_000) && rows[2].unrealizedPnl == USDC(micros: 10_000_000))
        #expect(rows[4].unrealizedPnl == USDC(micros: -30_000_000) && rows[4].settledTrades == 2)
        var single = WalletScoring.score(
            wallet, settlements: settled, fills: fills, marks: marks, asOf: EventTime(millis: 5 * Self.day),
            context: ScoringContext(day: 5))
        single.dailyReturns = []
        #expect(rows[4] == single, "the scorer's re-score at the day's start equals the history's row")
        let partial = WalletScoring.history(
            of: wallet, settlements: settled, fills: fills, marks: marks, markDaysThrough: 3, context: { ScoringContext(day: $0) })
        #expect(partial.map(\.asOf.dayNumber) == [1, 2, 3, 4])
    }
}
