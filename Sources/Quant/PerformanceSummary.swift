/// Every performance figure of one return series, computed together (the form the scoring
/// pipeline and the benchmark use). Conventions are those of `PerformanceRatios`.
public struct PerformanceSummary: Sendable, Hashable {
    /// Number of periods n.
    public let count: Int
    /// Periods per year P used to annualise (default 365).
    public let periodsPerYear: Double
    /// Mean per-period return.
    public let mean: Double
    /// Sample standard deviation (n − 1) of per-period returns.
    public let standardDeviation: Double
    /// Downside deviation √(Σ min(r, 0)² / n), per period, MAR = 0.
    public let downsideDeviation: Double
    /// Annualised Sharpe ratio, risk-free rate 0.
    public let sharpeRatio: Double
    /// Annualised Sortino ratio, MAR 0.
    public let sortinoRatio: Double
    /// Drawdown figures (positive fractions).
    public let drawdown: DrawdownStatistics
    /// Compound annual growth rate Wₙ^(P/n) − 1.
    public let cagr: Double
    /// CAGR / max drawdown (NaN without drawdown).
    public let calmarRatio: Double
    /// Annualised information ratio against the benchmark (NaN when no benchmark was given).
    public let informationRatio: Double

    /// Computes all figures for `returns` (simple per-period returns) and, if given, the information
    /// ratio against `benchmark` (same length; otherwise the ratio is NaN).
    public init(
        returns: [Double], benchmark: [Double]? = nil,
        periodsPerYear: Double = Annualization.dailyPeriodsPerYear
    ) {
        count = returns.count
        self.periodsPerYear = periodsPerYear
        let annualiser = periodsPerYear.squareRoot()
        var mean = Double.nan
        var sd = Double.nan
        var downside = Double.nan
        var dd = DrawdownStatistics(maxDrawdown: 0, currentDrawdown: 0, finalWealth: 1, peakWealth: 1)
        returns.withUnsafeBufferPointer { r in
            if !r.isEmpty {
                (mean, sd) = PerformanceRatios.meanAndSampleDeviation(r, shift: 0)
                downside = PerformanceRatios.downside(r, minimumAcceptableReturn: 0)
            }
            dd = Drawdown.statistics(r)
        }
        self.mean = mean
        standardDeviation = sd
        downsideDeviation = downside
        sharpeRatio = sd > 0 ? mean / sd * annualiser : .nan
        sortinoRatio = downside > 0 ? mean / downside * annualiser : .nan
        drawdown = dd
        cagr = PerformanceRatios.compoundAnnualGrowth(
            finalWealth: dd.finalWealth, periods: returns.count, periodsPerYear: periodsPerYear)
        calmarRatio = dd.maxDrawdown > 0 ? cagr / dd.maxDrawdown : .nan
        if let benchmark {
            informationRatio = PerformanceRatios.informationRatio(
                returns, benchmark: benchmark, periodsPerYear: periodsPerYear)
        } else {
            informationRatio = .nan
        }
    }
}
