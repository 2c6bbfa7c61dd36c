import Foundation
import RemoraQuant
import Testing

private struct WQSFile: Decodable {
    struct Inputs: Decodable {
        let sharpe_ratio: Double, information_ratio: Double, calmar_ratio: Double, consistency_score: Double
        let total_volume: Double, trade_count: Double, hhi_concentration: Double
    }
    struct Trace: Decodable {
        let sr_score: Double, ir_score: Double, calmar_score: Double, consistency_score: Double, volume_score: Double
        let base_before_penalties: Double
        let clamps: [String]
    }
    struct Case: Decodable { let label: String; let inputs: Inputs; let expected: Double; let trace: Trace; let rel_tol: Double }
    let cases: [Case]
}

private struct HHIFile: Decodable {
    struct Case: Decodable {
        let name: String
        let weights: [Double]
        let hhi_0_10000: Double
        let hhi_naive_double: Double
        let naive_gt_1800: Bool
        let highly_concentrated_gt_1800: Bool
        let rel_tol: Double
    }
    let cases: [Case]
}

@Suite("Whale Quality Score against wqs.json, HHI against hhi.json")
struct ScoringVectorTests {
    @Test("WQS score and components, every case")
    func wqs() throws {
        let file = try Fixture.load("wqs", as: WQSFile.self)
        #expect(file.cases.count >= 40)
        for c in file.cases {
            let i = c.inputs
            let m = WhaleMetrics(
                sharpeRatio: i.sharpe_ratio, informationRatio: i.information_ratio, calmarRatio: i.calmar_ratio,
                consistencyScore: i.consistency_score, totalVolumeUSD: i.total_volume, tradeCount: i.trade_count,
                hhiConcentration: i.hhi_concentration)
            let s = WhaleQualityScore(m)
            let t = c.trace
            expectClose(s.score, c.expected, rel: c.rel_tol, "\(c.label) score")
            expectClose(WhaleQualityScore.score(m), c.expected, rel: c.rel_tol, "\(c.label) score (static)")
            expectClose(s.sharpeComponent, t.sr_score, rel: c.rel_tol, "\(c.label) sr_score")
            expectClose(s.informationRatioComponent, t.ir_score, rel: c.rel_tol, "\(c.label) ir_score")
            expectClose(s.calmarComponent, t.calmar_score, rel: c.rel_tol, "\(c.label) calmar_score")
            expectClose(s.consistencyComponent, t.consistency_score, rel: c.rel_tol, "\(c.label) consistency_score")
            expectClose(s.volumeComponent, t.volume_score, rel: c.rel_tol, abs: 1e-15, "\(c.label) volume_score")
            expectClose(s.baseBeforePenalties, t.base_before_penalties, rel: c.rel_tol, "\(c.label) base")
            #expect(s.tradeCountPenaltyApplied == t.clamps.contains("trade_count_penalty"), "\(c.label): trade-count penalty")
            #expect(s.concentrationPenaltyApplied == t.clamps.contains("hhi_penalty_0.9"), "\(c.label): HHI penalty")
        }
    }

    @Test("HHI value and the noise-free 1800 threshold, every case")
    func hhi() throws {
        let file = try Fixture.load("hhi", as: HHIFile.self)
        #expect(file.cases.count >= 11)
        for c in file.cases {
            let h = Concentration.herfindahlIndex(c.weights)
            expectClose(h, c.hhi_0_10000, rel: c.rel_tol, "\(c.name) HHI")
            #expect(Concentration.isHighlyConcentrated(c.weights) == c.highly_concentrated_gt_1800, "\(c.name): > 1800")
            #expect(Concentration.isHighlyConcentrated(hhi: c.hhi_naive_double) == c.highly_concentrated_gt_1800,
                    "\(c.name): the naive double sum must not flip the decision")
        }
        // The boundary case really is the trap the tolerance exists for.
        let boundary = try #require(file.cases.first { $0.name == "exactly_1800_boundary_fractions" })
        #expect(boundary.naive_gt_1800 && !boundary.highly_concentrated_gt_1800)
    }
}
