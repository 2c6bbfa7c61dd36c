/// A correlation coefficient with its two-sided p-value for H₀: no correlation.
public struct CorrelationTest: Sendable, Hashable {
    /// The coefficient in [−1, 1]; NaN when either input is constant or n < 2.
    public let coefficient: Double
    /// Two-sided p-value from t = r·√((n−2)/(1−r²)) ~ Student t with n − 2 df (scipy's asymptotic
    /// p-value, also used by `spearmanr`). 0 when |r| = 1; NaN when r is NaN or n < 3.
    public let pValue: Double
    /// Number of pairs.
    public let count: Int
}

/// Pearson and Spearman rank correlation (scipy `pearsonr` / `spearmanr` conventions).
public enum Correlation {
    /// Pearson product-moment correlation of two equally long series, with its p-value.
    /// Series of different lengths give NaN.
    public static func pearson(_ x: [Double], _ y: [Double]) -> CorrelationTest {
        guard x.count == y.count else { return CorrelationTest(coefficient: .nan, pValue: .nan, count: 0) }
        let r = coefficient(x, y)
        return CorrelationTest(coefficient: r, pValue: pValue(r: r, n: x.count), count: x.count)
    }

    /// Spearman rank correlation: the Pearson correlation of average ranks (ties share the mean of
    /// the ranks they span, scipy `rankdata(method="average")`), with scipy's two-sided p-value.
    public static func spearman(_ x: [Double], _ y: [Double]) -> CorrelationTest {
        guard x.count == y.count else { return CorrelationTest(coefficient: .nan, pValue: .nan, count: 0) }
        return pearson(averageRanks(x), averageRanks(y))
    }

    /// 1-based ranks with ties given their average rank (e.g. [10, 20, 20, 30] → [1, 2.5, 2.5, 4]).
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var start = 0
        while start < order.count {
            var end = start
            while end + 1 < order.count, values[order[end + 1]] == values[order[start]] { end += 1 }
            let rank = Double(start + end + 2) / 2  // mean of 1-based ranks start+1 … end+1
            for k in start...end { ranks[order[k]] = rank }
            start = end + 1
        }
        return ranks
    }

    /// Pearson r from centred cross-products (compensated sums); NaN when a series is constant.
    static func coefficient(_ x: [Double], _ y: [Double]) -> Double {
        guard x.count >= 2 else { return .nan }
        let mx = Statistics.mean(x)
        let my = Statistics.mean(y)
        var sxy = CompensatedSum()
        var sxx = CompensatedSum()
        var syy = CompensatedSum()
        for i in x.indices {
            let dx = x[i] - mx
            let dy = y[i] - my
            sxy.add(dx * dy)
            sxx.add(dx * dx)
            syy.add(dy * dy)
        }
        guard sxx.value > 0, syy.value > 0 else { return .nan }
        let r = sxy.value / (sxx.value * syy.value).squareRoot()
        return max(-1, min(1, r))
    }

    /// p = I_{1−r²}((n−2)/2, ½), the two-sided Student-t p-value written without forming t.
    static func pValue(r: Double, n: Int) -> Double {
        guard !r.isNaN, n >= 3 else { return .nan }
        if abs(r) == 1 { return 0 }
        let df = Double(n - 2)
        let oneMinusR2 = (1 - r) * (1 + r)
        return IncompleteBeta.evaluate(x: oneMinusR2, y: r * r, a: df / 2, b: 0.5).lower
    }
}
