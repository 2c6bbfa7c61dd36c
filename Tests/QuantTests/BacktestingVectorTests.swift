import Foundation
import RemoraQuant
import Testing

private struct KupiecFile: Decodable {
    struct Case: Decodable {
        let T: Int, failures: Int, p: Double
        let lr_pof: Double, p_value: Double, reject_at_5pct: Bool
        let pa_prop_test_p_value: Double
        let rel_tol: Double, lr_abs_tol: Double
    }
    let cases: [Case]
}

private struct SpearmanFile: Decodable {
    struct Case: Decodable {
        let name: String
        let x: [Double], y: [Double]
        let ranks_x: [Double], ranks_y: [Double]
        let expected_rho: Double, expected_p_value_two_sided: Double
        let rel_tol: Double, rho_abs_tol: Double, p_value_rel_tol: Double, p_value_abs_tol: Double
    }
    let cases: [Case]
}

@Suite("Backtesting against kupiec.json and spearman.json")
struct BacktestingVectorTests {
    @Test("Kupiec POF: LR, p-value and 5 % decision for every case")
    func kupiec() throws {
        let file = try Fixture.load("kupiec", as: KupiecFile.self)
        #expect(file.cases.count >= 19)
        for c in file.cases {
            let name = "kupiec T=\(c.T) x=\(c.failures) p=\(c.p)"
            let r = Backtesting.kupiec(observations: c.T, failures: c.failures, exceedanceProbability: c.p)
            expectClose(r.likelihoodRatio, c.lr_pof, rel: c.rel_tol, abs: c.lr_abs_tol, "\(name) LR")
            #expect(r.likelihoodRatio >= 0, "\(name): LR clamped at 0")
            expectClose(r.pValue, c.p_value, rel: c.rel_tol, "\(name) p-value")
            #expect(r.rejectsAt5Percent == c.reject_at_5pct, "\(name): reject at 5 %")
            if c.p_value != c.pa_prop_test_p_value, abs(c.p_value - c.pa_prop_test_p_value) > 1e-6 * c.p_value {
                #expect(!isClose(r.pValue, c.pa_prop_test_p_value, rel: 1e-6), "\(name): is Kupiec, not PA prop.test")
            }
        }
    }

    @Test("Spearman: average ranks, rho and two-sided p-value for every case")
    func spearman() throws {
        let file = try Fixture.load("spearman", as: SpearmanFile.self)
        #expect(file.cases.count >= 11)
        for c in file.cases {
            #expect(Correlation.averageRanks(c.x) == c.ranks_x, "\(c.name): ranks of x")
            #expect(Correlation.averageRanks(c.y) == c.ranks_y, "\(c.name): ranks of y")
            let r = Correlation.spearman(c.x, c.y)
            expectClose(r.coefficient, c.expected_rho, rel: c.rel_tol, abs: c.rho_abs_tol, "\(c.name) rho")
            expectClose(r.pValue, c.expected_p_value_two_sided, rel: c.p_value_rel_tol, abs: c.p_value_abs_tol, "\(c.name) p-value")
            let ic = Backtesting.informationCoefficient(scores: c.x, nextPeriodReturns: c.y)
            expectClose(ic.coefficient, c.expected_rho, rel: c.rel_tol, abs: c.rho_abs_tol, "\(c.name) IC")
        }
    }

    @Test("Christoffersen independence: transition counts, LR and p-value against scipy; runs pool without linking")
    func christoffersen() {
        // 200 days with exceptions at 50–52 and 120–121 (clustered), then 150 days with 10 and 90.
        var first = [Bool](repeating: false, count: 200)
        for day in [50, 51, 52, 120, 121] { first[day] = true }
        var second = [Bool](repeating: false, count: 150)
        for day in [10, 90] { second[day] = true }
        // Reference: direct likelihoods and scipy.stats.chi2.sf (scipy 1.17.1).
        let pooled = Backtesting.christoffersen([first, second])
        #expect([pooled.n00, pooled.n01, pooled.n10, pooled.n11] as [Int] == [337, 4, 4, 3])
        #expect(abs(pooled.likelihoodRatio - 15.468021302187154) < 1e-9)
        #expect(abs(pooled.pValue - 8.391299956270906e-05) / 8.391299956270906e-05 < 1e-6)
        let joined = Backtesting.christoffersen([first + second])
        #expect([joined.n00, joined.n01, joined.n10, joined.n11] as [Int] == [338, 4, 4, 3])
        #expect(abs(joined.likelihoodRatio - 15.48503807854911) < 1e-9)
        // Isolated exceptions: π₁ = 0 < π₀, no clustering to find beyond chance.
        var spread = [Bool](repeating: false, count: 300)
        for day in stride(from: 7, to: 300, by: 100) { spread[day] = true }
        let isolated = Backtesting.christoffersen([spread])
        #expect(isolated.n11 == 0 && isolated.pValue > 0.5)
    }

    @Test("Kupiec reproduces the MathWorks varbacktest/pof example")
    func mathWorksExample() {
        let r = Backtesting.kupiec(observations: 1043, failures: 57, exceedanceProbability: 0.05)
        #expect(abs(r.likelihoodRatio - 0.46147) < 5e-6)
        #expect(abs(r.pValue - 0.49694) < 5e-6)
    }

    @Test("Pearson p-value matches Student t with n-2 df")
    func pearson() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let y: [Double] = [2.1, 1.9, 3.5, 3.9, 5.2, 4.8, 7.1, 6.6]
        let r = Correlation.pearson(x, y)
        let t = r.coefficient * (6 / (1 - r.coefficient * r.coefficient)).squareRoot()
        expectClose(r.pValue, StudentTDistribution(degreesOfFreedom: 6).twoSidedPValue(t), rel: 1e-12, "pearson p")
        #expect(Correlation.pearson([1, 1, 1], [1, 2, 3]).coefficient.isNaN)
    }
}
