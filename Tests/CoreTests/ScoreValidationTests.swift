import Foundation
import RemoraCore
import RemoraModel
import Testing

@Suite("Score validation against ground truth")
struct ScoreValidationTests {
    @Test("persistent skill gives a high IC and finds the skilled; a score with no information does not")
    func persistentSkill() {
        let day: Int64 = 86_400_000
        var settlements: [WalletAddress: [TradeSettlement]] = [:]
        var skilled: Set<WalletAddress> = []
        var rng = SeededGenerator(seed: 2026)  // seeded: the same world on every run (an unseeded one failed 1 run in many)
        for k in 0..<40 {
            let wallet = WalletAddress("0x" + String(format: "%040x", k + 1))!
            if k >= 36 { skilled.insert(wallet) }
            // Edge grows with k: the expected P&L per trade is (k − 20) % of cost, plus noise.
            settlements[wallet] = (0..<150).map { d in
                let pnl = Double(k - 20) + Double.random(in: -25...25, using: &rng)
                var s = WalletMetricsTests.settled(
                    pnl > 0 ? .win : .loss, cost: 100, pnl: 0, boughtDay: Int64(d), settledDay: Int64(d) + 1, market: d, id: d)
                s.wallet = wallet
                s.realizedPnl = USDC(micros: Int64(pnl * 1_000_000))
                return s
            }
        }
        let monthEnds = (1...5).map { EventTime(millis: Int64($0) * 30 * day) }
        let wqs = ScoreValidation.run(
            settlements: settlements, monthEnds: monthEnds, context: { ScoringContext(day: $0) }, skilled: skilled, regimeChanges: [:],
            score: { $1.sharpeAll })
        #expect(wqs.monthlyIC.count == 4)
        #expect(wqs.meanIC > 0.8 && wqs.icTStatistic > 5, "\(wqs.monthlyIC)")
        #expect(wqs.topDecileMeanReturn > 0.1 && wqs.bottomDecileMeanReturn < -0.1)
        #expect(wqs.topDecile == 4 && wqs.skilledInTopDecile >= 3, "\(wqs.skilledInTopDecile)")
        // The top 0.5 % of 40 wallets is one slot at each of the five month ends; a tenth of the
        // wallets are skilled, so holding every slot is ten times their share.
        #expect(wqs.topHalfPercent == 1 && wqs.topHalfPercentWallets.allSatisfy(skilled.contains))
        #expect(wqs.topHalfPercentSlots == 5 && wqs.skilledTopHalfPercentSlots >= 4, "\(wqs.skilledTopHalfPercentSlots)")
        #expect(abs(wqs.skilledShareScored - 0.1) < 1e-12)
        #expect(wqs.topHalfPercentEnrichment >= 8)
        // The top decile's Sharpe beats the bottom's, and the bootstrap over months says so.
        #expect(abs(wqs.sharpeDifference - (wqs.topDecileSharpe - wqs.bottomDecileSharpe)) < 1e-12)
        #expect(wqs.sharpeDifferenceInterval.lowerBound > 0, "\(wqs.sharpeDifferenceInterval)")
        #expect(wqs.sharpeDifferenceInterval.contains(wqs.sharpeDifference))
        let blind = ScoreValidation.run(
            settlements: settlements, monthEnds: monthEnds, context: { ScoringContext(day: $0) }, skilled: skilled, regimeChanges: [:],
            score: { _, _ in 1 })
        #expect(abs(blind.meanIC) < 0.2 || blind.monthlyIC.isEmpty)
        // Ties rank by address: the first wallet, not skilled, takes every slot.
        #expect(blind.skilledTopHalfPercentSlots == 0 && blind.topHalfPercentEnrichment == 0)
        // An outcome that has nothing for a wallet leaves it out of the month; it is not measured
        // by its realized return instead. Here the outcome is the realized return for the skilled
        // wallets only: four wallets a month, under the ten an IC needs.
        let realized = { (w: WalletAddress, start: EventTime, end: EventTime) -> Double? in
            guard skilled.contains(w) else { return nil }
            let window = settlements[w]!.filter { $0.settledAt > start && $0.settledAt <= end }
            return window.reduce(0.0) { $0 + $1.realizedPnl.doubleValue } / window.reduce(0.0) { $0 + $1.cost.doubleValue }
        }
        let few = ScoreValidation.run(
            settlements: settlements, monthEnds: monthEnds, context: { ScoringContext(day: $0) }, skilled: skilled, regimeChanges: [:],
            score: { $1.sharpeAll }, outcome: realized)
        #expect(few.monthlyIC.isEmpty, "\(few.monthlyIC)")
    }

    @Test("the bootstrap resamples whole months: the same months give the same interval, one bad month widens it")
    func bootstrapOverMonths() {
        let top = [[0.2, 0.3, 0.1], [0.25, 0.15, 0.2], [0.3, 0.1, 0.2], [0.2, 0.2, 0.25]]
        let bottom = [[-0.2, -0.1, -0.3], [-0.15, -0.25, -0.2], [-0.1, -0.3, -0.2], [-0.2, -0.2, -0.15]]
        let interval = ScoreValidation.bootstrapSharpeDifference(top: top, bottom: bottom)
        #expect(interval == ScoreValidation.bootstrapSharpeDifference(top: top, bottom: bottom), "deterministic")
        #expect(interval.lowerBound > 0)
        // A month in which the ranking is reversed: the interval widens and reaches below zero.
        let flipped = ScoreValidation.bootstrapSharpeDifference(top: top + [[-3, -2, -4]], bottom: bottom + [[3, 2, 4]])
        #expect(flipped.lowerBound < interval.lowerBound && flipped.lowerBound < 0, "\(flipped)")
        #expect(ScoreValidation.bootstrapSharpeDifference(top: [[1]], bottom: [[0]]) == 0...0, "one month: no interval")
    }

    @Test("a paired difference compares the months both scores have, worked by hand")
    func pairedDifference() {
        // Month 2 is missing from the first: differences 0.1, 0.3, 0.2 over months 0, 1, 3.
        let paired = ScoreValidation.pairedDifference([0: 0.3, 1: 0.5, 3: 0.4], [0: 0.2, 1: 0.2, 2: 0.9, 3: 0.2])
        #expect(paired.months == 3)
        #expect(abs(paired.mean - 0.2) < 1e-12)
        // sd of (0.1, 0.3, 0.2) = 0.1: t = 0.2 / (0.1 / √3).
        #expect(abs(paired.t - 0.2 / (0.1 / 3.0.squareRoot())) < 1e-9)
        #expect(ScoreValidation.pairedDifference([0: 0.3], [:]).months == 0)
    }
}
