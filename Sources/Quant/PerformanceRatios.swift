internal import Foundation

/// The annualisation convention of this module.
///
/// Polymarket trades 24/7, so a year of daily returns has **365** periods (not the 252 trading days
/// of equity libraries). Every function that annualises takes `periodsPerYear` with this default;
/// pass 252 only to compare with empyrical/quantstats/PerformanceAnalytics figures, or 1 to get the
/// per-period (non-annualised) value.
public enum Annualization {
    /// Periods per year for daily returns on a 24/7 market: 365.
    public static let dailyPeriodsPerYear: Double = 365
}

/// Risk-adjusted performance ratios of a series of simple per-period returns (0.01 = +1 %).
///
/// Conventions (chosen once, used everywhere; see docs/quant.md):
/// - standard deviations are sample (n − 1), as in empyrical, quantstats and PerformanceAnalytics;
/// - Sharpe, Sortino and information ratio are arithmetic and annualised by √periodsPerYear;
/// - downside deviation divides by **all** n observations (PerformanceAnalytics "full", empyrical);
/// - CAGR is geometric, Wₙ^(periodsPerYear/n) − 1 with Wₙ = Π(1 + rₜ);
/// - Calmar = CAGR / max drawdown, max drawdown a positive fraction counting the starting equity 1
///   as a peak.
/// Undefined results (zero dispersion, empty input, mismatched lengths) are NaN.
public enum PerformanceRatios {
    /// Annualised Sharpe ratio √P · mean(r − rf) / sd(r − rf), sd with n − 1.
    /// - Parameters:
    ///   - riskFreeRate: risk-free return **per period** (default 0).
    ///   - periodsPerYear: P, default 365 (`Annualization.dailyPeriodsPerYear`).
    public static func sharpeRatio(
        _ returns: [Double], riskFreeRate: Double = 0,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> Double {
        returns.withUnsafeBufferPointer {
            sharpe($0, riskFreeRate: riskFreeRate, periodsPerYear: periodsPerYear)
        }
    }

    /// Annualised Sortino ratio √P · mean(r − MAR) / √(Σ min(r − MAR, 0)² / n) (n = all observations).
    /// - Parameter minimumAcceptableReturn: MAR per period (default 0).
    public static func sortinoRatio(
        _ returns: [Double], minimumAcceptableReturn: Double = 0,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> Double {
        returns.withUnsafeBufferPointer {
            sortino($0, minimumAcceptableReturn: minimumAcceptableReturn, periodsPerYear: periodsPerYear)
        }
    }

    /// Downside deviation √(Σ min(r − MAR, 0)² / n), per period, n = all observations.
    public static func downsideDeviation(_ returns: [Double], minimumAcceptableReturn: Double = 0) -> Double {
        returns.withUnsafeBufferPointer { downside($0, minimumAcceptableReturn: minimumAcceptableReturn) }
    }

    /// Annualised information ratio √P · mean(r − b) / sd(r − b) (sd with n − 1) against a benchmark
    /// series of the same length. NaN for different lengths or zero tracking error.
    public static func informationRatio(
        _ returns: [Double], benchmark: [Double],
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) -> Double {
        guard returns.count == benchmark.count else { return .nan }
        let active = zip(returns, benchmark).map { $0 - $1 }
        return active.withUnsafeBufferPointer { sharpe($0, riskFreeRate: 0, periodsPerYear: periodsPerYear) }
    }

    /// Compound annual growth rate Wₙ^(P/n) − 1; NaN when empty.
    public static func cagr(_ returns: [Double], periodsPerYear: Double = Annualization.dailyPeriodsPerYear) -> Double {
        let wealth = Drawdown.statistics(returns).finalWealth
        return compoundAnnualGrowth(finalWealth: wealth, periods: returns.count, periodsPerYear: periodsPerYear)
    }

    /// Calmar ratio CAGR / max drawdown; NaN when there was no drawdown (empyrical convention).
    public static func calmarRatio(_ returns: [Double], periodsPerYear: Double = Annualization.dailyPeriodsPerYear) -> Double {
        let dd = Drawdown.statistics(returns)
        let growth = compoundAnnualGrowth(finalWealth: dd.finalWealth, periods: returns.count, periodsPerYear: periodsPerYear)
        return dd.maxDrawdown > 0 ? growth / dd.maxDrawdown : .nan
    }

    // MARK: kernels shared with `PerformanceSummary` and `RollingRatios`

    @usableFromInline
    static func sharpe(_ r: UnsafeBufferPointer<Double>, riskFreeRate: Double, periodsPerYear: Double) -> Double {
        guard r.count >= 2 else { return .nan }
        let (mean, sd) = meanAndSampleDeviation(r, shift: riskFreeRate)
        guard sd > 0 else { return .nan }
        return mean / sd * periodsPerYear.squareRoot()
    }

    @usableFromInline
    static func sortino(_ r: UnsafeBufferPointer<Double>, minimumAcceptableReturn mar: Double, periodsPerYear: Double) -> Double {
        guard !r.isEmpty else { return .nan }
        let dd = downside(r, minimumAcceptableReturn: mar)
        guard dd > 0 else { return .nan }
        let (mean, _) = meanAndSampleDeviation(r, shift: mar, needDeviation: false)
        return mean / dd * periodsPerYear.squareRoot()
    }

    @usableFromInline
    static func downside(_ r: UnsafeBufferPointer<Double>, minimumAcceptableReturn mar: Double) -> Double {
        guard !r.isEmpty else { return .nan }
        var acc = CompensatedSum()
        for v in r {
            let d = min(v - mar, 0)
            acc.add(d * d)
        }
        return (acc.value / Double(r.count)).squareRoot()
    }

    /// Mean of (r − shift) and its sample standard deviation (two passes, compensated).
    @usableFromInline
    static func meanAndSampleDeviation(
        _ r: UnsafeBufferPointer<Double>, shift: Double, needDeviation: Bool = true
    ) -> (mean: Double, sd: Double) {
        let n = Double(r.count)
        var total = CompensatedSum()
        for v in r { total.add(v - shift) }
        var mean = total.value / n
        guard needDeviation, r.count >= 2 else { return (mean, .nan) }
        var residual = CompensatedSum()
        var squares = CompensatedSum()
        for v in r {
            let d = (v - shift) - mean
            residual.add(d)
            squares.add(d * d)
        }
        // Σd² around the exact mean = Σd² − (Σd)²/n (Σd is the tiny rounding residual).
        let correction = residual.value
        mean += correction / n
        let ss = squares.value - correction * correction / n
        return (mean, (max(ss, 0) / (n - 1)).squareRoot())
    }

    @usableFromInline
    static func compoundAnnualGrowth(finalWealth: Double, periods: Int, periodsPerYear: Double) -> Double {
        guard periods > 0, finalWealth >= 0 else { return .nan }
        return pow(finalWealth, periodsPerYear / Double(periods)) - 1
    }
}
