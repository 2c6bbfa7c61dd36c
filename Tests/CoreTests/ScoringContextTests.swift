import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import Testing

@Suite("Scoring context: what a score takes from the other wallets")
struct ScoringContextTests {
    static let day = WalletMetricsTests.day

    static func settlement(
        _ result: SettlementResult, category: String, cost: Int64, pnl: Int64, boughtDay: Int64, settledDay: Int64, id: Int
    ) -> TradeSettlement {
        var s = WalletMetricsTests.settled(result, cost: cost, pnl: pnl, boughtDay: boughtDay, settledDay: settledDay, market: id, id: id)
        s.category = category
        return s
    }

    @Test("base rates from the days before only, once a category has 200 decided trades; else the seed's figure, else 50 %")
    func baseRates() {
        // Crypto: 150 wins, 100 losses and 30 voids on day 10; politics: 50 decided on day 10.
        // Sports: 300 decided but on day 12, the context's own day: not seen yet.
        let rows = [
            CategoryDay(category: "crypto", day: 10, wins: 150, decided: 250, pnl: USDC(micros: 10_000_000), cost: USDC(micros: 40_000_000)),
            CategoryDay(category: "politics", day: 10, wins: 40, decided: 50, pnl: .zero, cost: USDC(micros: 1_000_000)),
            CategoryDay(category: "sports", day: 12, wins: 300, decided: 300, pnl: .zero, cost: USDC(micros: 1_000_000)),
        ]
        let context = ScoringContext(day: 12, from: rows)
        #expect(context.baseRate("crypto") == 0.6)
        #expect(context.baseRate("politics") == 0.521)
        #expect(context.baseRate("sports") == 0.513)
        #expect(context.baseRate("weather") == 0.5)
        #expect(context.baseRate(nil) == 0.5)
        #expect(context.dailyReturns["crypto"]?[10] == 0.25)
        #expect(context.dailyReturns["sports"] == nil)
        // Summing settlements gives those rows: voids count neither as wins nor as decided.
        let settlements = [
            Self.settlement(.win, category: "crypto", cost: 10, pnl: 5, boughtDay: 9, settledDay: 10, id: 1),
            Self.settlement(.loss, category: "crypto", cost: 20, pnl: -20, boughtDay: 9, settledDay: 10, id: 2),
            Self.settlement(.void, category: "crypto", cost: 10, pnl: 0, boughtDay: 9, settledDay: 10, id: 3),
        ]
        #expect(CategoryDay.summing(settlements) == [
            CategoryDay(category: "crypto", day: 10, wins: 1, decided: 2, pnl: USDC(micros: -15_000_000), cost: USDC(micros: 40_000_000)),
        ])
    }

    @Test("the benchmark is what the wallet's dollars settled each day would have earned at its categories' return, worked by hand")
    func benchmark() {
        // The wallet of the hand-worked metrics test (capital 125; returns 0, 0.4, 0, −0.16), its
        // trades in politics. Politics returned +10 % on day 1 and −50 % on day 3 (the as-of day:
        // not in the context, so 0 that day).
        let trades = [
            WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            WalletMetricsTests.settled(.loss, cost: 100, pnl: -20, boughtDay: 1, settledDay: 3, market: 2, id: 2),
        ]
        let context = ScoringContext(day: 3, dailyReturns: ["politics": [1: 0.1, 3: -0.5]])
        let m = WalletMetricsCalculator.metrics(of: trades, asOf: EventTime(millis: 3 * Self.day + Self.day - 1), context: context)
        // Benchmark returns: day 1 100 × 0.1 / 125 = 0.08, others 0. Excess 0, 0.32, 0, −0.16.
        let excess = [0, 0.32, 0, -0.16]
        let mean = excess.reduce(0, +) / 4
        let sd = (excess.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
        #expect(abs(m.informationRatio - mean / sd * 365.0.squareRoot()) < 1e-9)
        // No context data: the base rate is politics' seed figure.
        #expect(m.baseRate == 0.521)
    }

    @Test("the history is the score as of each day's last settlement, and its last row the current score")
    func history() {
        let trades = [
            WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            WalletMetricsTests.settled(.loss, cost: 100, pnl: -20, boughtDay: 1, settledDay: 3, market: 2, id: 2),
            WalletMetricsTests.settled(.win, cost: 50, pnl: 10, boughtDay: 2, settledDay: 3, market: 3, id: 3),
        ]
        let rows = WalletScoring.history(of: trades[0].wallet, settlements: trades, context: { ScoringContext(day: $0) })
        #expect(rows.map(\.asOf.dayNumber) == [1, 3])
        #expect(rows.map(\.settledTrades) == [1, 3])
        var direct = WalletMetricsCalculator.metrics(of: trades, asOf: trades[2].settledAt, context: ScoringContext(day: 3))
        #expect(direct.dailyReturns.count == 4 && rows.last?.dailyReturns == [])
        direct.dailyReturns = []
        #expect(rows.last == direct)
        // The order the settlements come in changes nothing (sums run in time order).
        #expect(WalletScoring.history(of: trades[0].wallet, settlements: trades.reversed(), context: { ScoringContext(day: $0) }) == rows)
    }

    @Test("wqs.v4 scores taker fills only: a maker's settlements and open fills change nothing; fills of unknown role count")
    func makerFillsLeftOut() {
        var takers = [
            WalletMetricsTests.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            WalletMetricsTests.settled(.loss, cost: 100, pnl: -20, boughtDay: 1, settledDay: 3, market: 2, id: 2),
            WalletMetricsTests.settled(.win, cost: 50, pnl: 10, boughtDay: 2, settledDay: 3, market: 3, id: 3),
        ]
        takers[0].role = .taker
        takers[1].role = .taker  // the third's role was never learned
        var made = WalletMetricsTests.settled(.win, cost: 400, pnl: 380, boughtDay: 1, settledDay: 2, market: 4, id: 4)
        made.role = .maker
        let wallet = takers[0].wallet
        let asOf = EventTime(millis: 5 * Self.day)
        let context = ScoringContext(day: 5)
        func fill(_ id: String, market: Int, role: TradeRole) -> HeldFill {
            HeldFill(
                tradeId: id, conditionId: ConditionID("0x" + String(repeating: String(market), count: 64))!, outcomeIndex: 0,
                side: .buy, size: Shares(micros: 200_000_000), price: Price(micros: 400_000), time: EventTime(millis: 2 * Self.day),
                resolvedAt: nil, role: role)
        }
        var marks = MarketMarks()
        for market in [5, 6] {
            marks.add(ConditionID("0x" + String(repeating: String(market), count: 64))!, time: EventTime(millis: 3 * Self.day),
                      outcomeIndex: 0, price: Price(micros: 700_000))
        }
        let quote = fill("m", market: 5, role: .maker)
        let take = fill("t", market: 6, role: .taker)
        func score(_ settlements: [TradeSettlement], _ fills: [HeldFill]) -> WalletMetrics {
            WalletScoring.score(wallet, settlements: settlements, fills: fills, marks: marks, asOf: asOf, context: context)
        }
        let base = score(takers, [])
        #expect(base.settledTrades == 3)
        #expect(score(takers + [made], [quote]) == base, "a maker's settlement and open fill are not scored")
        var unknown = made
        unknown.role = .unknown
        #expect(score(takers + [unknown], []).settledTrades == 4, "a fill of unknown role counts")
        #expect(score(takers, [take]) != base, "a taker's open fill is marked")
        // Nor does a maker's open fill make a day to re-score the wallet on.
        #expect(WalletScoring.markDays(settlements: takers + [made], fills: [quote], through: 6).isEmpty)
        #expect(WalletScoring.markDays(settlements: takers + [made], fills: [take], through: 6) == [2, 3, 4, 5, 6])
        #expect(WalletScoring.markDays(settlements: [made], fills: [take], through: 6).isEmpty, "no counted settlement: not scored yet")
        // The daily history too: a day with only a maker's settlement scores as the day before it.
        let history = WalletScoring.history(of: wallet, settlements: takers + [made], context: { ScoringContext(day: $0) })
        #expect(history.map(\.asOf.dayNumber) == [1, 2, 3] && history[1].settledTrades == 1)
    }

    @Test("a ledger fed in pieces, in any order, scores bit for bit like one built at once", arguments: 0..<20)
    func ledgerMerges(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 7
        func next(_ bound: Int) -> Int {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return Int(state % UInt64(bound))
        }
        // Many settlements share a time (a market's trades settle together) and markets recur.
        let all: [TradeSettlement] = (0..<(20 + next(200))).map { i in
            let bought = Int64(next(40))
            var s = WalletMetricsTests.settled(
                [.win, .loss, .void][next(3)], cost: Int64(1 + next(500)), pnl: Int64(next(600)) - 300, boughtDay: bought,
                settledDay: bought + Int64(next(20)), market: next(7), id: i)
            s.category = ["politics", "crypto", "sports"][next(3)]
            if next(2) == 0 { s.settledAt = EventTime(millis: s.settledAt.dayNumber * Self.day) }
            return s
        }
        let whole = ScoringLedger(all)
        var pieces = ScoringLedger()
        var generator = SeededGenerator(seed: UInt64(seed))
        var rest = all.shuffled(using: &generator)
        while !rest.isEmpty {
            let n = min(rest.count, 1 + next(30))
            pieces.merge(Array(rest.prefix(n)))
            rest.removeFirst(n)
        }
        // In time order, the cheap path (appending) is taken too.
        var appended = ScoringLedger()
        let ordered = WalletMetricsCalculator.inScoringOrder(all)
        for start in stride(from: 0, to: ordered.count, by: 25) { appended.merge(Array(ordered[start..<min(start + 25, ordered.count)])) }
        let context = ScoringContext(day: 30, dailyReturns: ["politics": [5: 0.1, 9: -0.2], "crypto": [7: 0.05]])
        let wallet = all[0].wallet
        for asOfDay: Int64 in [3, 11, 29, 70] {
            let asOf = EventTime(millis: asOfDay * Self.day + Self.day / 3)
            let expected = WalletScoring.score(wallet, ledger: whole, fills: [], marks: MarketMarks(), asOf: asOf, context: context)
            #expect(WalletScoring.score(wallet, ledger: pieces, fills: [], marks: MarketMarks(), asOf: asOf, context: context) == expected)
            #expect(WalletScoring.score(wallet, ledger: appended, fills: [], marks: MarketMarks(), asOf: asOf, context: context) == expected)
            var direct = WalletMetricsCalculator.metrics(of: all.reversed(), asOf: asOf, context: context)
            direct.dailyReturns = []  // the scorer's score leaves the series out
            #expect(direct == expected)
        }
        #expect(pieces.count == all.count && whole.firstSettlement == all.map(\.settledAt).min())
        // Built from a store's rows (in their order), the same ledger.
        let fromRows = ScoringLedger(rows: all.shuffled(using: &generator).map(ScoringLedger.Row.init))
        let asOf = EventTime(millis: 70 * Self.day)
        #expect(WalletScoring.score(wallet, ledger: fromRows, fills: [], marks: MarketMarks(), asOf: asOf, context: context)
            == WalletScoring.score(wallet, ledger: whole, fills: [], marks: MarketMarks(), asOf: asOf, context: context))
        // Category-day totals summed in any split and order are the table's sums.
        var totals = CategoryDayTotals(CategoryDay.summing(all.prefix(all.count / 2)))
        for s in all.suffix(all.count - all.count / 2).reversed() {
            totals.add(category: s.category, settledAt: s.settledAt.millis, result: s.result, cost: s.cost.micros, pnl: s.realizedPnl.micros)
        }
        #expect(totals.days(before: .max) == CategoryDay.summing(all))
        #expect(totals.days(before: 10) == CategoryDay.summing(all).filter { $0.day < 10 })
    }

    @Test("a ledger entry takes 40 bytes (the scorer's cache budget: docs/scoring.md)")
    func entrySize() {
        #expect(ScoringLedger.bytesPerSettlement == 40)
    }
}

@Suite("The fold against direct formulas")
struct LedgerFoldReferenceTests {
    @Test("decayed win rate and volume equal TimeDecay's; the per-trade t-statistic equals the two-pass one", arguments: 0..<10)
    func decayAndTradeT(seed: Int) {
        var generator = SeededGenerator(seed: UInt64(seed) &+ 99)
        let all: [TradeSettlement] = (0..<(5 + Int(generator.next() % 300))).map { i in
            let bought = Int64(generator.next() % 400)
            return WalletMetricsTests.settled(
                [.win, .loss, .void][Int(generator.next() % 3)], cost: Int64(1 + generator.next() % 900),
                pnl: Int64(generator.next() % 1_000) - 500, boughtDay: bought, settledDay: bought + Int64(generator.next() % 60),
                market: Int(generator.next() % 9), id: i)
        }
        let asOf = EventTime(millis: 470 * WalletMetricsTests.day)
        let m = WalletMetricsCalculator.metrics(of: all, asOf: asOf, baseRate: 0.5)
        let settled = all.filter { $0.settledAt <= asOf }
        let outcomes = settled.filter { $0.result != .void }.map {
            TimedOutcome(timestamp: Double($0.settledAt.millis) / 1000, won: $0.result == .win, notionalUSD: $0.cost.doubleValue)
        }
        let decay = TimeDecay(halfLifeDays: 60)
        let now = Double(asOf.millis) / 1000
        if !outcomes.isEmpty {
            #expect(abs(m.decayedWinRate - decay.winRate(outcomes, asOf: now)) < 1e-12)
            let volume = decay.volume(outcomes, asOf: now)
            #expect(abs(m.decayedVolume - volume) <= 1e-12 * max(1, volume))
        }
        let returns = settled.filter { $0.cost.micros > 0 }.map { $0.realizedPnl.doubleValue / $0.cost.doubleValue }
        if returns.count >= 2 {
            let mean = returns.reduce(0, +) / Double(returns.count)
            let sd = (returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)).squareRoot()
            let t = mean / (sd / Double(returns.count).squareRoot())
            #expect(abs(m.tradeReturnT - t) <= 1e-9 * max(1, abs(t)))
        }
    }
}

/// xorshift64*: a reproducible shuffle.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed &* 0x2545_F491_4F6C_DD1D | 1 }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}

@Suite("Consistency in one sweep")
struct ConsistencySweepTests {
    @Test("the exact-integer sweep gives the reference Consistency score of the returns (any capital)", arguments: 0..<50)
    func matchesReference(seed: Int) {
        var state = UInt64(seed) &* 0x9E37_79B9_7F4A_7C15 &+ 1
        func next() -> UInt64 {
            state ^= state << 13
            state ^= state >> 7
            state ^= state << 17
            return state
        }
        let count = 20 + Int(next() % 200)
        // Quiet stretches (all-zero windows, undefined Sharpe) between active ones.
        let pnl: [Int64] = (0..<count).map { i in
            (i / 40) % 3 == 1 ? 0 : Int64(next() % 2_000_000_000) - 900_000_000
        }
        let capital = 1_000 + Double(next() % 1_000_000)
        let reference = Consistency.score(returns: pnl.map { Double($0) / 1e6 / capital })
        let sweep = WalletMetricsCalculator.consistencyScore(dailyPnlMicros: pnl)
        #expect(abs(sweep - reference) < 1e-9, "seed \(seed): \(sweep) vs \(reference)")
    }

    @Test("constant windows are undefined; P&L whose squares overflow 64 bits is still summed exactly")
    func constantAndLarge() {
        // 40 days of the same P&L, then alternating large amounts (10⁹ USDC: squares of 10³⁰ micros²).
        let constant = [Int64](repeating: 2_500_000, count: 40)
        let large: [Int64] = (0..<60).map { i in (i % 3 == 0 ? -1 : 1) * (1_000_000_000_000_000 + Int64(i) * 7_919_000_000) }
        let pnl = constant + large
        let reference = Consistency.score(returns: pnl.map { Double($0) / 1e6 / 5_000 })
        let sweep = WalletMetricsCalculator.consistencyScore(dailyPnlMicros: pnl)
        #expect(abs(sweep - reference) < 1e-9, "\(sweep) vs \(reference)")
        #expect(WalletMetricsCalculator.consistencyScore(dailyPnlMicros: constant) == 0, "no defined window: no evidence of consistency")
        #expect(reference > 0, "the case exercises defined windows")
    }
}
