internal import Foundation

/// The chi-square distribution with one degree of freedom (the square of a standard normal),
/// as needed by likelihood-ratio tests such as Kupiec's.
public enum ChiSquareOneDegree {
    /// Critical value at the 5 % level: P(χ²₁ > 3.841458820694124) = 0.05 (scipy `chi2.ppf(0.95, 1)`).
    public static let criticalValueAt5Percent = 3.841458820694124

    /// Survival P(χ²₁ > x) = erfc(√(x/2)); 1 for x ≤ 0, 0 for +∞, NaN for NaN.
    ///
    /// The rounding of √(x/2) is corrected to first order (its residual comes from a fused
    /// multiply-add), so the p-value keeps ~1e-15 relative precision even for large x, where erfc
    /// is steep.
    public static func survival(_ x: Double) -> Double {
        if x.isNaN { return .nan }
        guard x > 0 else { return 1 }
        if x == .infinity { return 0 }
        let half = x / 2
        let u = half.squareRoot()
        let residual = (-half).addingProduct(u, u)  // u² − x/2, exact
        // true root = u − δ with δ = residual/(2u); erfc(u − δ) ≈ erfc(u) + δ·(2/√π)·exp(−u²)
        let delta = residual / (2 * u)
        return erfc(u) + delta * 1.1283791670955125739 * exp(-u * u)
    }
}
