import Foundation
import RemoraQuant
import Testing

private struct MomentsFile: Decodable {
    struct Expected: Decodable {
        let mean: Double, std_ddof0: Double, std_ddof1: Double
        let skew_bias_true: Double, kurtosis_fisher_bias_true: Double
        let skew_bias_false: Double, kurtosis_fisher_bias_false: Double
        let pa_moment_guard_applied: Bool
        let pa_skew_used: Double, pa_exkurt_used: Double
    }
    struct MVaR: Decodable {
        let alpha: Double
        let z_seed: Double, z_pa: Double
        let mvar_seed: Double
        let mvar_seed_sign_fixed: Double
        let pa_VaR_CornishFisher_loss: Double
        let pa_VaR_wrapper_invert_true: Double
        let cf_loss_unguarded: Double
    }
    struct Case: Decodable {
        let name: String
        let n: Int
        let returns: [Double]
        let expected: Expected
        let mvar: [MVaR]
        let rel_tol: Double
        let abs_tol_skew_kurt: Double
    }
    let cases: [Case]
}

@Suite("Moments and Cornish-Fisher VaR against moments_mvar.json")
struct MomentsTailRiskVectorTests {
    @Test("mean, std (ddof 0/1), skew and excess kurtosis in both conventions, every series")
    func moments() throws {
        let file = try Fixture.load("moments_mvar", as: MomentsFile.self)
        #expect(file.cases.count >= 20)
        for c in file.cases {
            let e = c.expected
            let tol = c.rel_tol
            let absSK = c.abs_tol_skew_kurt
            #expect(c.returns.count == c.n, "\(c.name): n")
            expectClose(Statistics.mean(c.returns), e.mean, rel: tol, "\(c.name) mean")
            expectClose(Statistics.standardDeviation(c.returns, .population), e.std_ddof0, rel: tol, "\(c.name) std ddof0")
            expectClose(Statistics.standardDeviation(c.returns, .sample), e.std_ddof1, rel: tol, "\(c.name) std ddof1")
            expectClose(Statistics.skewness(c.returns, .population), e.skew_bias_true, rel: tol, abs: absSK, "\(c.name) skew bias=True")
            expectClose(Statistics.excessKurtosis(c.returns, .population), e.kurtosis_fisher_bias_true, rel: tol, abs: absSK, "\(c.name) kurtosis bias=True")
            expectClose(Statistics.skewness(c.returns, .biasCorrected), e.skew_bias_false, rel: tol, abs: absSK, "\(c.name) skew bias=False")
            expectClose(Statistics.excessKurtosis(c.returns, .biasCorrected), e.kurtosis_fisher_bias_false, rel: tol, abs: absSK, "\(c.name) kurtosis bias=False")
            let m = CentralMoments(c.returns)
            #expect((m.m2 <= TailRisk.momentGuardVariance) == e.pa_moment_guard_applied, "\(c.name): PA moment guard")
        }
    }

    @Test("modified VaR equals PerformanceAnalytics VaR.CornishFisher (loss), every series and alpha")
    func modifiedVaR() throws {
        let file = try Fixture.load("moments_mvar", as: MomentsFile.self)
        for c in file.cases {
            #expect(c.mvar.count == 2, "\(c.name): two alphas")
            for v in c.mvar {
                let name = "\(c.name) alpha=\(v.alpha)"
                expectClose(NormalDistribution.standardQuantile(v.alpha), v.z_pa, rel: 1e-14, "\(name) z_pa")
                expectClose(NormalDistribution.standardQuantile(1 - v.alpha), v.z_seed, rel: 1e-14, "\(name) z_seed")
                let loss = TailRisk.modifiedVaR(c.returns, alpha: v.alpha)
                expectClose(loss, v.pa_VaR_CornishFisher_loss, rel: c.rel_tol, "\(name) PA VaR.CornishFisher loss")
                expectClose(TailRisk.performanceAnalyticsWrapper(lossFraction: loss), v.pa_VaR_wrapper_invert_true,
                            rel: c.rel_tol, "\(name) PA VaR() wrapper")
                if !v.cf_loss_unguarded.isNaN {
                    expectClose(TailRisk.modifiedVaR(c.returns, alpha: v.alpha, applyMomentGuard: false),
                                v.cf_loss_unguarded, rel: c.rel_tol, "\(name) unguarded CF loss")
                }
                // Sign-fixed seed form agrees whenever PA's guard is off.
                if !c.expected.pa_moment_guard_applied, !v.mvar_seed_sign_fixed.isNaN {
                    expectClose(loss, v.mvar_seed_sign_fixed, rel: c.rel_tol, abs: 1e-15, "\(name) seed sign fixed")
                }
                // The literal seed (upper quantile, negative) is never what we return.
                if !v.mvar_seed.isNaN, abs(c.expected.skew_bias_true) > 0.05 {
                    #expect(!isClose(loss, v.mvar_seed, rel: 1e-6), "\(name): must not reproduce the seed's sign error")
                }
            }
        }
    }

    @Test("Gaussian and historical VaR are positive losses; alert levels at the 6 % / 8 % boundaries")
    func gaussianHistoricalAndAlerts() throws {
        let file = try Fixture.load("moments_mvar", as: MomentsFile.self)
        let series = try #require(file.cases.first { $0.name == "normal_n500" })
        let m = series.expected
        let z = NormalDistribution.standardQuantile(0.01)
        expectClose(TailRisk.gaussianVaR(series.returns, alpha: 0.01), -m.mean - z * m.std_ddof0, rel: 1e-13, "gaussian VaR")
        let sorted = series.returns.sorted()
        let h = 0.01 * Double(sorted.count - 1)
        let lo = Int(h)
        let q = sorted[lo] + (h - Double(lo)) * (sorted[lo + 1] - sorted[lo])
        expectClose(TailRisk.historicalVaR(series.returns, alpha: 0.01), -q, rel: 1e-15, "historical VaR (type 7)")
        #expect(TailRiskAlert(lossFraction: 0.0599) == .green)
        #expect(TailRiskAlert(lossFraction: 0.06) == .yellow)
        #expect(TailRiskAlert(lossFraction: 0.08) == .yellow)
        #expect(TailRiskAlert(lossFraction: 0.0800001) == .red)
        #expect(TailRiskAlert(lossFraction: .nan) == .red)
        #expect(TailRiskAlert.red.halts && !TailRiskAlert.yellow.halts)
        let outlier = try #require(file.cases.first { $0.name == "outlier_n100" })
        let assessment = TailRisk.assess(outlier.returns, alpha: 0.01)
        #expect(!assessment.modifiedVaRIsValid, "outlier_n100: CF outside its domain (negative loss)")
        #expect(assessment.alertLoss >= assessment.historicalVaR, "outlier_n100 falls back to a conservative figure")
    }
}
