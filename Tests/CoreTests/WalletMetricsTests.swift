import Foundation
import RemoraCore
import RemoraModel
import RemoraQuant
import Testing

@Suite("Wallet metrics behind the Whale Quality Score")
struct WalletMetricsTests {
    static let day: Int64 = 86_400_000
    /// A settlement: bought on `boughtDay`, settled on `settledDay` (days since 1970, at noon).
    static func settled(
        _ result: SettlementResult, cost: Int64, pnl: Int64, boughtDay: Int64, settledDay: Int64, market: Int = 0, id: Int = 0
    ) -> TradeSettlement {
        TradeSettlement(
            tradeId: "t\(id)-\(boughtDay)-\(settledDay)", wallet: wallet,
            conditionId: ConditionID("0x" + String(repeating: String(market % 10), count: 64))!, category: "politics",
            side: .buy, size: Shares(micros: cost * 2_000_000), price: Price(micros: 500_000), payout: Price(micros: 1_000_000),
            result: result, cost: USDC(micros: cost * 1_000_000), fee: .zero, realizedPnl: USDC(micros: pnl * 1_000_000),
            tradeTime: EventTime(millis: boughtDay * day + day / 2), settledAt: EventTime(millis: settledDay * day + day / 2))
    }

    @Test("daily returns on the average capital at risk, worked by hand")
    func handComputed() {
        // Day 0: buy 100 (settles day 1, +50); day 1: buy 100 (settles day 3, −20). Days 0…3.
        let trades = [
            Self.settled(.win, cost: 100, pnl: 50, boughtDay: 0, settledDay: 1, market: 1, id: 1),
            Self.settled(.loss, cost: 100, pnl: -20, boughtDay: 1, settledDay: 3, market: 2, id: 2),
        ]
        let m = WalletMetricsCalculator.metrics(of: trades, asOf: EventTime(millis: 3 * Self.day + Self.day - 1), baseRate: 0.5)
        // Capital open: day 0 100, day 1 200, day 2 100, day 3 100 → average 125.
        #expect(m.averageCapitalAtRisk == 125)
        #expect(m.dailyReturns == [0, 0.4, 0, -0.16])
        #expect(m.settledTrades == 2 && m.wins == 1 && m.losses == 1)
        #expect(m.realizedPnl == USDC(micros: 30_000_000) && m.volume == USDC(micros: 200_000_000))
        // Two markets of equal cost: HHI 5000.
        #expect(abs(m.hhi - 5000) < 1e-9)
        // Beta(10 + 1, 10 + 1): mean 0.5.
        #expect(abs(m.bayesianWinRate - 0.5) < 1e-12)
        #expect(m.winRateInterval.lowerBound < 0.5 && m.winRateInterval.upperBound > 0.5)
        // Sharpe of [0, 0.4, 0, −0.16]: mean 0.06, sd (n − 1) = 0.2181742…, × √365.
        let mean = 0.06
        let sd = (([0, 0.4, 0, -0.16].map { ($0 - mean) * ($0 - mean) }.reduce(0, +)) / 3).squareRoot()
        #expect(abs(m.sharpeAll - mean / sd * 365.0.squareRoot()) < 1e-9)
        // Wealth 1, 1.4, 1.4, 1.176: max drawdown 0.16 from the peak.
        #expect(abs(m.maxDrawdown - 0.16) < 1e-12 && abs(m.currentDrawdown - 0.16) < 1e-12)
        // Settlements after the as-of time are not seen.
        let earlier = WalletMetricsCalculator.metrics(of: trades, asOf: EventTime(millis: 2 * Self.day), baseRate: 0.5)
        #expect(earlier.settledTrades == 1 && earlier.losses == 0)
    }

    @Test("degenerate wallets give finite, documented values", arguments: [0, 1, 2, 3, 4])
    func degenerate(kind: Int) {
        let asOf = EventTime(millis: 40 * Self.day)
        let trades: [TradeSettlement] =
            switch kind {
            case 0: []  // no settled trade
            case 1: [Self.settled(.win, cost: 10, pnl: 10, boughtDay: 5, settledDay: 6)]  // one trade
            case 2: (0..<20).map { Self.settled(.win, cost: 10, pnl: 10, boughtDay: Int64($0), settledDay: Int64($0) + 1, id: $0) }
            case 3: (0..<20).map { Self.settled(.loss, cost: 10, pnl: -10, boughtDay: Int64($0), settledDay: Int64($0) + 1, id: $0) }
            default: (0..<20).map { Self.settled(.void, cost: 10, pnl: 0, boughtDay: 3, settledDay: 4, id: $0) }  // zero variance
            }
        let m = WalletMetricsCalculator.metrics(of: trades, asOf: asOf, baseRate: 0.521)
        let figures = [
            m.decayedWinRate, m.decayedVolume, m.bayesianWinRate, m.winRateInterval.lowerBound, m.winRateInterval.upperBound,
            m.sharpe30, m.sharpe90, m.sharpeAll, m.informationRatio, m.calmar, m.maxDrawdown, m.currentDrawdown,
            m.consistency, m.hhi, m.averageCapitalAtRisk, m.wqs,
        ]
        #expect(figures.allSatisfy { $0.isFinite }, "\(figures)")
        #expect(m.dailyReturns.allSatisfy { $0.isFinite })
        #expect((0...100).contains(m.wqs))
        if kind == 0 { #expect(m.bayesianWinRate == 0.521 && m.wqs == 0 && m.dailyReturns.isEmpty) }
        if kind == 2 { #expect(m.bayesianWinRate > 0.521 && m.decayedWinRate == 1 && m.maxDrawdown == 0) }
        if kind == 3 { #expect(m.bayesianWinRate < 0.521 && m.decayedWinRate == 0 && m.sharpeAll < 0) }
        if kind == 4 { #expect(m.sharpeAll == 0 && m.wins == 0 && m.losses == 0) }
    }

    @Test("the skilled beat the unlucky: a steady winner scores above a wallet that loses the same amounts")
    func ordering() {
        let asOf = EventTime(millis: 120 * Self.day)
        let good = (0..<100).map {
            Self.settled($0 % 4 == 0 ? .loss : .win, cost: 1_000, pnl: $0 % 4 == 0 ? -900 : 800,
                         boughtDay: Int64($0), settledDay: Int64($0) + 2, market: $0, id: $0)
        }
        let bad = good.map { s -> TradeSettlement in
            var t = s
            t.result = s.result == .win ? .loss : .win
            t.realizedPnl = USDC(micros: -s.realizedPnl.micros)
            return t
        }
        let g = WalletMetricsCalculator.metrics(of: good, asOf: asOf, baseRate: 0.5)
        let b = WalletMetricsCalculator.metrics(of: bad, asOf: asOf, baseRate: 0.5)
        #expect(g.wqs > b.wqs && g.sharpeAll > 0 && b.sharpeAll < 0)
        #expect(g.bayesianWinRate > 0.5 && b.bayesianWinRate < 0.5)
    }

    @Test("the ratios kept as running sums equal the reference formulas on the daily series", arguments: 0..<40)
    func runningSumsMatchReference(seed: Int) {
        var rng = SeededNumbers(seed: UInt64(seed))
        let days = 20 + Int(rng.next() % 160)
        var trades: [TradeSettlement] = []
        for i in 0..<Int(rng.next() % 120) {
            let bought = Int64(rng.next() % UInt64(days))
            // Quiet stretches: some wallets stop trading for weeks (undefined rolling windows).
            if seed % 3 == 0, (bought / 25) % 2 == 1 { continue }
            let settledDay = min(Int64(days - 1), bought + Int64(rng.next() % 15))
            let cost = 1 + Int64(rng.next() % 5_000)
            let pnl = Int64(rng.next() % UInt64(3 * cost)) - cost
            trades.append(Self.settled(
                pnl > 0 ? .win : .loss, cost: cost, pnl: pnl, boughtDay: bought, settledDay: settledDay, market: Int(rng.next() % 7), id: i))
        }
        let asOfDay = Int64(days - 1) + Int64(rng.next() % 40)
        let asOf = EventTime(millis: asOfDay * Self.day + Self.day / 3)
        // Open fills, marked: P&L on the as-of day, capital from their day (some in markets also settled).
        let open: [TradeSettlement] = (0..<Int(rng.next() % 4)).map { i in
            var fill = Self.settled(.win, cost: 1 + Int64(rng.next() % 3_000), pnl: 0, boughtDay: Int64(rng.next() % UInt64(asOfDay + 1)),
                                    settledDay: asOfDay, market: 5 + i, id: 1_000 + i)
            fill.realizedPnl = USDC(micros: Int64(rng.next() % 2_000_000_000) - 1_000_000_000)
            fill.tradeTime = EventTime(millis: min(fill.tradeTime.millis, asOf.millis))
            return fill
        }
        let m = WalletMetricsCalculator.metrics(of: trades, asOf: asOf, baseRate: 0.5, open: open)
        trades = trades.filter { $0.settledAt <= asOf }  // the settlements the metrics see
        func close(_ a: Double, _ b: Double, _ what: String) {
            #expect(abs(a - b) <= 1e-9 * max(1, abs(b)), "seed \(seed) \(what): \(a) vs \(b)")
        }
        guard !trades.isEmpty || !open.isEmpty else {
            #expect(m.dailyReturns.isEmpty && m.sharpeAll == 0 && m.hhi == 0)
            return
        }
        // The series by its definition: days from the first trade to the as-of day.
        let first = (trades.map { $0.tradeTime.dayNumber } + open.map { $0.tradeTime.dayNumber }).min()!
        let count = Int(asOfDay - first + 1)
        var capital = 0.0
        var pnl = [Double](repeating: 0, count: count)
        for day in first...asOfDay {
            for t in trades where t.tradeTime.dayNumber <= day && day <= t.settledAt.dayNumber { capital += t.cost.doubleValue }
            for f in open where f.tradeTime.dayNumber <= day { capital += f.cost.doubleValue }
        }
        capital = max(1, capital / Double(count))
        for t in trades { pnl[Int(t.settledAt.dayNumber - first)] += t.realizedPnl.doubleValue }
        for f in open { pnl[count - 1] += f.realizedPnl.doubleValue }
        let returns = pnl.map { $0 / capital }
        close(m.averageCapitalAtRisk, capital, "capital")
        #expect(m.dailyReturns.count == count)
        for (a, b) in zip(m.dailyReturns, returns) { close(a, b, "return") }
        func finite(_ x: Double) -> Double { x.isFinite ? x : 0 }
        close(m.sharpe30, finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(30)))), "sharpe30")
        close(m.sharpe90, finite(PerformanceRatios.sharpeRatio(Array(returns.suffix(90)))), "sharpe90")
        close(m.sharpeAll, finite(PerformanceRatios.sharpeRatio(returns)), "sharpeAll")
        close(m.informationRatio, finite(PerformanceRatios.informationRatio(returns, benchmark: returns.map { _ in 0 })), "IR")
        let drawdown = Drawdown.statistics(returns)
        close(m.maxDrawdown, drawdown.maxDrawdown, "max drawdown")
        close(m.currentDrawdown, drawdown.currentDrawdown, "current drawdown")
        close(m.calmar, finite(PerformanceRatios.calmarRatio(returns)), "calmar")
        close(m.consistency, count >= 2 ? finite(Consistency.score(returns: returns)) : 0, "consistency")
        var exposure: [ConditionID: Double] = [:]
        for t in trades + open { exposure[t.conditionId, default: 0] += t.cost.doubleValue }
        close(m.hhi, finite(Concentration.herfindahlIndex(Array(exposure.values))), "hhi")
    }
}

/// xorshift64*: a small deterministic stream for the property tests.
struct SeededNumbers {
    private var state: UInt64
    init(seed: UInt64) { state = seed &* 0x9E37_79B9_7F4A_7C15 &+ 0x2545_F491_4F6C_DD1D }
    mutating func next() -> UInt64 {
        state ^= state >> 12
        state ^= state << 25
        state ^= state >> 27
        return state &* 0x2545_F491_4F6C_DD1D
    }
}
