/// Portfolio concentration by the Herfindahl–Hirschman index on the 0–10,000 scale.
///
/// HHI = Σ(100·sᵢ)² with sᵢ = |wᵢ| / Σ|wⱼ|: 10,000/N for N equal positions, 10,000 for one.
/// "Highly concentrated" is HHI > 1800 (US DOJ/FTC 2023 Merger Guidelines §2.1).
public enum Concentration {
    /// The "highly concentrated" threshold, 1800 (strictly above counts).
    public static let highlyConcentratedThreshold: Double = 1800

    /// Absolute tolerance, in HHI points, below which an excess over 1800 is float noise.
    ///
    /// Weights like [0.3, 0.2, 0.1 × 5] have an exact HHI of 1800 but sum to 1800.0000000000005 in
    /// double; rounding noise is ~1e-12 points, real differences are ≥ 1e-4 points, so 1e-6 separates them.
    public static let thresholdTolerance: Double = 1e-6

    /// HHI (0–10,000) of exposures (any unit: fractions, dollars; signs are ignored). NaN when all are 0.
    public static func herfindahlIndex(_ exposures: [Double]) -> Double {
        var total = CompensatedSum()
        for w in exposures { total.add(abs(w)) }
        let sum = total.value
        guard sum > 0 else { return .nan }
        var squares = CompensatedSum()
        for w in exposures {
            let share = abs(w) / sum
            squares.add(share * share)
        }
        return 10_000 * squares.value
    }

    /// True when `hhi` exceeds 1800 by more than float noise (`thresholdTolerance`).
    public static func isHighlyConcentrated(hhi: Double) -> Bool {
        hhi > highlyConcentratedThreshold + thresholdTolerance
    }

    /// True when the exposures' HHI exceeds 1800 (noise-tolerant).
    public static func isHighlyConcentrated(_ exposures: [Double]) -> Bool {
        isHighlyConcentrated(hhi: herfindahlIndex(exposures))
    }
}
