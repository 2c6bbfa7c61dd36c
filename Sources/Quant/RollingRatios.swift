/// Length of a trailing window, in periods (days for daily returns).
public struct RollingWindow: Sendable, Hashable {
    /// Number of periods in each window (≥ 2 for ratios that need a standard deviation).
    public let length: Int

    /// A window of `length` periods.
    public init(length: Int) { self.length = length }

    /// 30 periods: 30 days of daily returns.
    public static let thirtyDays = RollingWindow(length: 30)
    /// 90 periods: 90 days of daily returns.
    public static let ninetyDays = RollingWindow(length: 90)
}

/// Trailing-window versions of the performance ratios.
///
/// Output element k is the ratio over `returns[k ..< k + window.length]`, i.e. the window that
/// ends at index k + length − 1; the output has n − length + 1 elements (empty when n < length).
/// Each window is computed from scratch with the same compensated kernels as the full-series
/// functions (no running sums that drift), so a window equals the full-series ratio of its slice.
public enum RollingRatios {
    /// Rolling annualised Sharpe ratio (sample sd, rf = 0). Pass `periodsPerYear: 1` for per-period values.
    public static func sharpe(
        _ returns: [Double], window: RollingWindow,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> [Double] {
        rolling(returns, window) { PerformanceRatios.sharpe($0, riskFreeRate: 0, periodsPerYear: periodsPerYear) }
    }

    /// Rolling annualised Sortino ratio (MAR 0, downside over all observations of the window).
    public static func sortino(
        _ returns: [Double], window: RollingWindow,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> [Double] {
        rolling(returns, window) {
            PerformanceRatios.sortino($0, minimumAcceptableReturn: 0, periodsPerYear: periodsPerYear)
        }
    }

    /// Rolling maximum drawdown (positive fraction), each window starting from equity 1.
    public static func maxDrawdown(_ returns: [Double], window: RollingWindow) -> [Double] {
        rolling(returns, window) { Drawdown.statistics($0).maxDrawdown }
    }

    /// Rolling Calmar ratio (window CAGR / window max drawdown).
    public static func calmar(
        _ returns: [Double], window: RollingWindow,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> [Double] {
        rolling(returns, window) { slice in
            let dd = Drawdown.statistics(slice)
            let growth = PerformanceRatios.compoundAnnualGrowth(
                finalWealth: dd.finalWealth, periods: slice.count, periodsPerYear: periodsPerYear)
            return dd.maxDrawdown > 0 ? growth / dd.maxDrawdown : .nan
        }
    }

    /// Rolling annualised information ratio against a benchmark of the same length (empty otherwise).
    public static func informationRatio(
        _ returns: [Double], benchmark: [Double], window: RollingWindow,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> [Double] {
        guard returns.count == benchmark.count else { return [] }
        let active = zip(returns, benchmark).map { $0 - $1 }
        return sharpe(active, window: window, periodsPerYear: periodsPerYear)
    }

    static func rolling(
        _ returns: [Double], _ window: RollingWindow,
        _ metric: (UnsafeBufferPointer<Double>) -> Double
    ) -> [Double] {
        let w = window.length
        guard w > 0, returns.count >= w else { return [] }
        return returns.withUnsafeBufferPointer { buffer in
            (0...(buffer.count - w)).map { start in
                metric(UnsafeBufferPointer(rebasing: buffer[start ..< start + w]))
            }
        }
    }
}
