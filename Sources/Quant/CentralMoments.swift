/// Which denominator a variance uses: n (ddof = 0, population) or n − 1 (ddof = 1, sample).
public enum VarianceConvention: Sendable, Hashable {
    /// Divide by n (numpy `ddof=0`, PerformanceAnalytics `centeredmoment`).
    case population
    /// Divide by n − 1 (numpy `ddof=1`, R `sd`, pandas default).
    case sample

    /// The delta degrees of freedom (0 or 1).
    public var deltaDegreesOfFreedom: Int { self == .population ? 0 : 1 }
}

/// Which estimator skewness and excess kurtosis use.
public enum MomentConvention: Sendable, Hashable {
    /// Moment ratios g1 = m3/m2^1.5 and g2 = m4/m2² − 3: scipy `skew`/`kurtosis` defaults
    /// (`bias=True`), PerformanceAnalytics `method="moment"`/`"excess"` and its VaR internals.
    case population
    /// Adjusted G1 = √(n(n−1))/(n−2)·g1 and G2 = (n−1)/((n−2)(n−3))·((n+1)g2 + 6): scipy
    /// `bias=False`, PerformanceAnalytics `method="fisher"`, pandas `.skew()`/`.kurt()`, quantstats.
    case biasCorrected
}

/// Sample size, mean and the population central moments m2, m3, m4 (mₖ = Σ(x − mean)ᵏ / n),
/// from which every variance/skewness/kurtosis convention is derived.
public struct CentralMoments: Sendable, Hashable {
    /// Number of observations.
    public let count: Int
    /// Arithmetic mean (NaN when empty).
    public let mean: Double
    /// Second central moment (population variance).
    public let m2: Double
    /// Third central moment.
    public let m3: Double
    /// Fourth central moment.
    public let m4: Double

    /// Moments of `values` (two passes, compensated sums).
    public init(_ values: [Double]) {
        self = values.withUnsafeBufferPointer { CentralMoments(buffer: $0) }
    }

    init(buffer values: UnsafeBufferPointer<Double>) {
        count = values.count
        mean = values.refinedMean()
        var s2 = CompensatedSum()
        var s3 = CompensatedSum()
        var s4 = CompensatedSum()
        for v in values {
            let d = v - mean
            let d2 = d * d
            s2.add(d2)
            s3.add(d2 * d)
            s4.add(d2 * d2)
        }
        let n = Double(count)
        m2 = s2.value / n
        m3 = s3.value / n
        m4 = s4.value / n
    }

    /// True when the spread is indistinguishable from rounding noise (scipy: m2 ≤ (ε·mean)²).
    public var isConstant: Bool { !(m2 > (Double.ulpOfOne * mean) * (Double.ulpOfOne * mean)) }

    /// Standard deviation with the given denominator.
    public func standardDeviation(_ convention: VarianceConvention) -> Double {
        let ddof = convention.deltaDegreesOfFreedom
        guard count > ddof else { return .nan }
        return (m2 * Double(count) / Double(count - ddof)).squareRoot()
    }

    /// Skewness g1 or G1 (see `MomentConvention`); NaN for constant data.
    public func skewness(_ convention: MomentConvention) -> Double {
        guard count > 0, !isConstant else { return .nan }
        let g1 = m3 / (m2 * m2.squareRoot())
        switch convention {
        case .population: return g1
        case .biasCorrected:
            guard count >= 3 else { return .nan }
            let n = Double(count)
            return (n * (n - 1)).squareRoot() / (n - 2) * g1
        }
    }

    /// Excess kurtosis g2 or G2 (see `MomentConvention`); NaN for constant data.
    public func excessKurtosis(_ convention: MomentConvention) -> Double {
        guard count > 0, !isConstant else { return .nan }
        let g2 = m4 / (m2 * m2) - 3
        switch convention {
        case .population: return g2
        case .biasCorrected:
            guard count >= 4 else { return .nan }
            let n = Double(count)
            return (n - 1) / ((n - 2) * (n - 3)) * ((n + 1) * g2 + 6)
        }
    }
}
