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

/// Result of Christoffersen's (1998) test of independence of VaR exceptions: whether an
/// exception makes the next day's more likely (clustering), from the transition counts of the
/// exception indicator.
public struct ChristoffersenTest: Sendable, Hashable {
    /// Transitions: n01 = a day without an exception followed by one with, and so on.
    public let n00: Int, n01: Int, n10: Int, n11: Int
    /// LR_ind = −2 ln[(1 − π)^(n00+n10) π^(n01+n11)] + 2 ln[(1 − π₀)^n00 π₀^n01 (1 − π₁)^n10 π₁^n11] ≥ 0.
    public let likelihoodRatio: Double
    /// P(χ²₁ > LR_ind).
    public let pValue: Double
    /// The probability of an exception after a day without one (π₀) and after one (π₁).
    public var afterQuiet: Double { n00 + n01 > 0 ? Double(n01) / Double(n00 + n01) : .nan }
    public var afterException: Double { n10 + n11 > 0 ? Double(n11) / Double(n10 + n11) : .nan }
}

extension Backtesting {
    /// Christoffersen's independence test over one or more exception sequences (each a run of
    /// consecutive days; transitions are not counted across sequences, so independent runs pool).
    /// 0·ln 0 = 0; with no exception at all, or no day after one, LR = 0 (nothing to test).
    public static func christoffersen(_ sequences: [[Bool]]) -> ChristoffersenTest {
        var n = [[0, 0], [0, 0]]
        for days in sequences {
            for (before, after) in zip(days, days.dropFirst()) { n[before ? 1 : 0][after ? 1 : 0] += 1 }
        }
        func ll(_ failures: Int, _ quiet: Int, _ p: Double) -> Double {
            (failures > 0 ? Double(failures) * Foundation.log(p) : 0) + (quiet > 0 ? Double(quiet) * Foundation.log(1 - p) : 0)
        }
        let (n00, n01, n10, n11) = (n[0][0], n[0][1], n[1][0], n[1][1])
        let total = n00 + n01 + n10 + n11
        guard total > 0 else {
            return ChristoffersenTest(n00: 0, n01: 0, n10: 0, n11: 0, likelihoodRatio: .nan, pValue: .nan)
        }
        let pi = Double(n01 + n11) / Double(total)
        let pi0 = n00 + n01 > 0 ? Double(n01) / Double(n00 + n01) : 0
        let pi1 = n10 + n11 > 0 ? Double(n11) / Double(n10 + n11) : 0
        let restricted = ll(n01 + n11, n00 + n10, pi)
        let unrestricted = ll(n01, n00, pi0) + ll(n11, n10, pi1)
        let lr = max(0, -2 * (restricted - unrestricted))
        return ChristoffersenTest(
            n00: n00, n01: n01, n10: n10, n11: n11, likelihoodRatio: lr, pValue: ChiSquareOneDegree.survival(lr))
    }
}
