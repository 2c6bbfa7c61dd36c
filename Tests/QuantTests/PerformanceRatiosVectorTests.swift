import Foundation
import RemoraQuant
import Testing

private struct RatiosFile: Decodable {
    struct Expected: Decodable {
        let mean: Double, std_ddof1: Double
        let sharpe_per_period: Double, sharpe_annualized: Double
        let downside_dev_full_n: Double
        let sortino_per_period_pa: Double, sortino_annualized_empyrical_quantstats: Double
        let max_drawdown: Double, final_wealth: Double, cagr: Double, calmar: Double
        let ir_per_period_empyrical_quantstats: Double, ir_annualized_arith: Double
    }
    struct Case: Decodable {
        let name: String
        let periods_per_year: Double
        let returns: [Double], benchmark: [Double]
        let expected: Expected
        let rel_tol: Double
    }
    let cases: [Case]
}

@Suite("Performance ratios against ratios.json")
struct PerformanceRatiosVectorTests {
    @Test("Sharpe, Sortino, IR (annualised and per period), MaxDD, CAGR, Calmar, every case")
    func ratios() throws {
        let file = try Fixture.load("ratios", as: RatiosFile.self)
        #expect(file.cases.count >= 8)
        for c in file.cases {
            let e = c.expected
            let p = c.periods_per_year
            let name = "\(c.name) P=\(Int(p))"
            let tol = c.rel_tol
            let r = c.returns
            expectClose(Statistics.mean(r), e.mean, rel: tol, "\(name) mean")
            expectClose(Statistics.standardDeviation(r, .sample), e.std_ddof1, rel: tol, "\(name) std ddof1")
            expectClose(PerformanceRatios.sharpeRatio(r, periodsPerYear: p), e.sharpe_annualized, rel: tol, "\(name) Sharpe")
            expectClose(PerformanceRatios.sharpeRatio(r, periodsPerYear: 1), e.sharpe_per_period, rel: tol, "\(name) Sharpe per period")
            expectClose(PerformanceRatios.downsideDeviation(r), e.downside_dev_full_n, rel: tol, "\(name) downside deviation")
            expectClose(PerformanceRatios.sortinoRatio(r, periodsPerYear: p), e.sortino_annualized_empyrical_quantstats, rel: tol, "\(name) Sortino")
            expectClose(PerformanceRatios.sortinoRatio(r, periodsPerYear: 1), e.sortino_per_period_pa, rel: tol, "\(name) Sortino per period")
            expectClose(Drawdown.maxDrawdown(r), e.max_drawdown, rel: tol, "\(name) max drawdown")
            expectClose(Drawdown.statistics(r).finalWealth, e.final_wealth, rel: tol, "\(name) final wealth")
            expectClose(PerformanceRatios.cagr(r, periodsPerYear: p), e.cagr, rel: tol, "\(name) CAGR")
            expectClose(PerformanceRatios.calmarRatio(r, periodsPerYear: p), e.calmar, rel: tol, "\(name) Calmar")
            expectClose(PerformanceRatios.informationRatio(r, benchmark: c.benchmark, periodsPerYear: p), e.ir_annualized_arith,
                        rel: tol, "\(name) IR")
            expectClose(PerformanceRatios.informationRatio(r, benchmark: c.benchmark, periodsPerYear: 1),
                        e.ir_per_period_empyrical_quantstats, rel: tol, "\(name) IR per period")

            let s = PerformanceSummary(returns: r, benchmark: c.benchmark, periodsPerYear: p)
            expectClose(s.sharpeRatio, e.sharpe_annualized, rel: tol, "\(name) summary Sharpe")
            expectClose(s.sortinoRatio, e.sortino_annualized_empyrical_quantstats, rel: tol, "\(name) summary Sortino")
            expectClose(s.drawdown.maxDrawdown, e.max_drawdown, rel: tol, "\(name) summary max drawdown")
            expectClose(s.cagr, e.cagr, rel: tol, "\(name) summary CAGR")
            expectClose(s.calmarRatio, e.calmar, rel: tol, "\(name) summary Calmar")
            expectClose(s.informationRatio, e.ir_annualized_arith, rel: tol, "\(name) summary IR")

            // A full-length rolling window is the full-series figure.
            let full = RollingWindow(length: r.count)
            expectClose(RollingRatios.sharpe(r, window: full, periodsPerYear: p).first ?? .nan, e.sharpe_annualized, rel: tol, "\(name) rolling Sharpe")
            expectClose(RollingRatios.maxDrawdown(r, window: full).first ?? .nan, e.max_drawdown, rel: tol, "\(name) rolling MaxDD")
        }
    }
}
