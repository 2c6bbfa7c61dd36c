/// Consistency of a wallet's performance: how stable its rolling 30-day Sharpe ratio is.
///
/// score = 15 · max(0, 1 − sd / 0.75), sd = sample standard deviation (n − 1) of the rolling
/// 30-period Sharpe ratios. The result is in [0, 15], the WQS consistency component.
///
/// Convention: the rolling Sharpe ratios here are **per period** (not annualised). The 0.75 scale
/// only makes sense on that scale: the sampling noise alone of an annualised 30-day Sharpe is
/// about √(365/30) ≈ 3.5, which would give every wallet 0. (Documented in docs/quant.md.)
public enum Consistency {
    /// The maximum score (15 WQS points).
    public static let maximumScore: Double = 15
    /// Standard deviation of rolling Sharpe ratios at which the score reaches 0.
    public static let zeroScoreDeviation: Double = 0.75

    /// Score from daily (per-period) returns with the given trailing window (default 30 days).
    /// Windows with an undefined Sharpe (zero dispersion) are skipped; with fewer than two defined
    /// windows the score is 0 (no evidence of consistency).
    public static func score(returns: [Double], window: RollingWindow = .thirtyDays) -> Double {
        score(rollingSharpeRatios: RollingRatios.sharpe(returns, window: window, periodsPerYear: 1))
    }

    /// Score from an already computed series of rolling per-period Sharpe ratios.
    public static func score(rollingSharpeRatios: [Double]) -> Double {
        let defined = rollingSharpeRatios.filter(\.isFinite)
        guard defined.count >= 2 else { return 0 }
        let sd = Statistics.standardDeviation(defined, .sample)
        return maximumScore * max(0, 1 - sd / zeroScoreDeviation)
    }
}
