internal import Foundation

/// Result of Kupiec's proportion-of-failures test.
public struct KupiecTest: Sendable, Hashable {
    /// Number of observations T.
    public let observations: Int
    /// Number of VaR exceedances x.
    public let failures: Int
    /// Expected exceedance probability p (0.01 for a 99 % VaR).
    public let exceedanceProbability: Double
    /// Likelihood-ratio statistic LR_POF ≥ 0.
    public let likelihoodRatio: Double
    /// P(χ²₁ > LR).
    public let pValue: Double

    /// True when the VaR model is rejected at 5 %: LR > 3.841458820694124.
    public var rejectsAt5Percent: Bool { likelihoodRatio > ChiSquareOneDegree.criticalValueAt5Percent }

    /// True when the p-value is below `level`.
    public func rejects(atLevel level: Double) -> Bool { pValue < level }
}

/// VaR backtesting and signal evaluation.
public enum Backtesting {
    /// Kupiec (1995) POF test:
    /// LR = −2[(T−x)ln(1−p) + x ln p] + 2[(T−x)ln(1−x/T) + x ln(x/T)], 0·ln 0 = 0, clamped at ≥ 0,
    /// p-value P(χ²₁ > LR) = erfc(√(LR/2)). Evaluated in the equivalent deviance form (see `deviance`),
    /// which needs no log1p and cannot go negative. NaN figures when T ≤ 0, x ∉ [0, T] or p ∉ (0, 1).
    ///
    /// Note: PerformanceAnalytics `VaR.backtest` reports `prop.test` (a Yates-corrected score test)
    /// instead; its p-values differ and are not reproduced here.
    public static func kupiec(observations t: Int, failures x: Int, exceedanceProbability p: Double) -> KupiecTest {
        guard t > 0, x >= 0, x <= t, p > 0, p < 1 else {
            return KupiecTest(observations: t, failures: x, exceedanceProbability: p, likelihoodRatio: .nan, pValue: .nan)
        }
        let tt = Double(t)
        let xx = Double(x)
        // LR/2 = bd0(x, Tp) + bd0(T − x, T(1 − p)): the same quantity as the textbook form, written as
        // two non-negative deviance terms so nothing cancels when x ≈ Tp (where the p-value is
        // most sensitive to LR). The textbook form loses ~1e-13 absolute there.
        let lr = max(0, 2 * (deviance(xx, tt * p) + deviance(tt - xx, tt * (1 - p))))
        return KupiecTest(
            observations: t, failures: x, exceedanceProbability: p,
            likelihoodRatio: lr, pValue: ChiSquareOneDegree.survival(lr))
    }

    /// Loader's saddle-point deviance bd0(x, m) = x·ln(x/m) + m − x ≥ 0 (R's `bd0`), with a series
    /// in v = (x − m)/(x + m) when x is near m. bd0(0, m) = m.
    static func deviance(_ x: Double, _ m: Double) -> Double {
        if x == 0 { return m }
        if abs(x - m) < 0.1 * (x + m) {
            var v = (x - m) / (x + m)
            var s = (x - m) * v
            var term = 2 * x * v
            v *= v
            var j = 1.0
            while j < 1000 {
                term *= v
                let next = s + term / (2 * j + 1)
                if next == s { return next }
                s = next
                j += 1
            }
            return s
        }
        return x * log(x / m) + m - x
    }

    /// Information coefficient: Spearman rank correlation of a score (e.g. WQS) with the next-period
    /// returns of the same wallets (alphalens `factor_information_coefficient` for one date), with its
    /// two-sided p-value. NaN when a side is constant or the lengths differ.
    public static func informationCoefficient(scores: [Double], nextPeriodReturns: [Double]) -> CorrelationTest {
        Correlation.spearman(scores, nextPeriodReturns)
    }
}
