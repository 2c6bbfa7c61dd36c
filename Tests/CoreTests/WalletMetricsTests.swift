import Foundation
import RemoraCore
import RemoraModel
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
}
