/// Drawdown figures of an equity curve built from simple returns, starting from equity 1.
public struct DrawdownStatistics: Sendable, Hashable {
    /// Largest peak-to-trough loss, a positive fraction in [0, 1] (0.25 = −25 % from the peak).
    /// The starting equity 1 counts as a peak, so a first-period loss is already a drawdown.
    public let maxDrawdown: Double
    /// Loss from the running peak to the last equity value, a positive fraction (0 at a new high).
    public let currentDrawdown: Double
    /// Final equity Wₙ = Π(1 + rₜ) (1 for an empty series).
    public let finalWealth: Double
    /// Highest equity seen, including the starting 1.
    public let peakWealth: Double
}

/// Maximum and current drawdown (empyrical / quantstats / PerformanceAnalytics conventions,
/// reported as a positive fraction like PerformanceAnalytics `maxDrawdown`).
public enum Drawdown {
    /// All drawdown figures in one pass over the returns.
    public static func statistics(_ returns: [Double]) -> DrawdownStatistics {
        returns.withUnsafeBufferPointer { statistics($0) }
    }

    /// Maximum drawdown, a positive fraction (see `DrawdownStatistics.maxDrawdown`).
    public static func maxDrawdown(_ returns: [Double]) -> Double {
        statistics(returns).maxDrawdown
    }

    /// Current drawdown at the end of the series, a positive fraction.
    public static func currentDrawdown(_ returns: [Double]) -> Double {
        statistics(returns).currentDrawdown
    }

    /// Drawdown after each period, 1 − Wₜ / max(1, W₁…Wₜ), same length as `returns`.
    public static func underwaterCurve(_ returns: [Double]) -> [Double] {
        var wealth = 1.0
        var peak = 1.0
        return returns.map { r in
            wealth *= 1 + r
            peak = max(peak, wealth)
            return 1 - wealth / peak
        }
    }

    @usableFromInline
    static func statistics(_ returns: UnsafeBufferPointer<Double>) -> DrawdownStatistics {
        var wealth = 1.0
        var peak = 1.0
        var worstRatio = 1.0  // min over t of Wₜ / peakₜ
        for r in returns {
            wealth *= 1 + r
            if wealth > peak {
                peak = wealth
            } else {
                let ratio = wealth / peak
                if ratio < worstRatio { worstRatio = ratio }
            }
        }
        return DrawdownStatistics(
            maxDrawdown: 1 - worstRatio,
            currentDrawdown: 1 - wealth / peak,
            finalWealth: wealth,
            peakWealth: peak
        )
    }
}
