/// Descriptive statistics of a sample. Empty or too-short input gives NaN, never a trap.
/// All sums are compensated (Neumaier) and the mean is refined, so results are ~1 ulp-accurate.
public enum Statistics {
    /// Arithmetic mean; NaN when empty.
    public static func mean(_ values: [Double]) -> Double {
        values.withUnsafeBufferPointer { $0.refinedMean() }
    }

    /// Variance with the given denominator (n or n − 1); NaN when n ≤ ddof.
    public static func variance(_ values: [Double], _ convention: VarianceConvention = .sample) -> Double {
        values.withUnsafeBufferPointer { Self.variance($0, convention) }
    }

    /// Standard deviation √variance with the given denominator; NaN when n ≤ ddof.
    public static func standardDeviation(_ values: [Double], _ convention: VarianceConvention = .sample) -> Double {
        variance(values, convention).squareRoot()
    }

    /// Skewness in the chosen convention. NaN when the data are constant (m2 ≤ (ε·mean)², scipy's
    /// guard), empty, or n < 3 for the bias-corrected estimator.
    public static func skewness(_ values: [Double], _ convention: MomentConvention = .population) -> Double {
        CentralMoments(values).skewness(convention)
    }

    /// Excess (Fisher, normal = 0) kurtosis in the chosen convention. NaN when the data are
    /// constant, empty, or n < 4 for the bias-corrected estimator.
    public static func excessKurtosis(_ values: [Double], _ convention: MomentConvention = .population) -> Double {
        CentralMoments(values).excessKurtosis(convention)
    }

    /// Empirical quantile at probability p in [0, 1], linear interpolation between order
    /// statistics (numpy default `linear`, R `type = 7`). NaN when empty or p ∉ [0, 1].
    public static func quantile(_ values: [Double], _ p: Double) -> Double {
        guard !values.isEmpty, p >= 0, p <= 1 else { return .nan }
        return quantile(sorted: values.sorted(), p)
    }

    /// Like `quantile(_:_:)` for data already sorted ascending (no copy).
    public static func quantile(sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty, p >= 0, p <= 1 else { return .nan }
        let h = Double(sorted.count - 1) * p
        let lowIndex = Int(h.rounded(.down))
        let highIndex = min(lowIndex + 1, sorted.count - 1)
        let fraction = h - Double(lowIndex)
        let low = sorted[lowIndex]
        return low + fraction * (sorted[highIndex] - low)
    }

    @usableFromInline
    static func variance(_ values: UnsafeBufferPointer<Double>, _ convention: VarianceConvention) -> Double {
        let n = values.count
        let ddof = convention.deltaDegreesOfFreedom
        guard n > ddof else { return .nan }
        let mu = values.refinedMean()
        var acc = CompensatedSum()
        for v in values {
            let d = v - mu
            acc.add(d * d)
        }
        return acc.value / Double(n - ddof)
    }
}
