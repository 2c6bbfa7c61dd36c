/// Student's t distribution with ν degrees of freedom, via the regularized incomplete beta:
/// P(|T| > t) = I_{ν/(ν+t²)}(ν/2, ½).
public struct StudentTDistribution: Sendable, Hashable {
    /// Degrees of freedom ν > 0 (need not be an integer).
    public let degreesOfFreedom: Double

    /// t distribution with `degreesOfFreedom` > 0 (otherwise every function returns NaN).
    public init(degreesOfFreedom: Double) {
        self.degreesOfFreedom = degreesOfFreedom
    }

    /// Two-sided tail probability P(|T| ≥ |t|), the p-value scipy reports for a t statistic.
    /// ±∞ gives 0; t = 0 gives 1.
    public func twoSidedPValue(_ t: Double) -> Double {
        let nu = degreesOfFreedom
        guard nu > 0, !t.isNaN else { return .nan }
        if t.isInfinite { return 0 }
        let t2 = t * t
        // x = ν/(ν+t²) and 1−x = t²/(ν+t²) are both formed directly (no 1 − x cancellation).
        let x = nu / (nu + t2)
        let y = t2 / (nu + t2)
        return IncompleteBeta.evaluate(x: x, y: y, a: nu / 2, b: 0.5).lower
    }

    /// P(T ≤ t).
    public func cdf(_ t: Double) -> Double {
        let tail = 0.5 * twoSidedPValue(t)
        return t > 0 ? 1 - tail : tail
    }
}
