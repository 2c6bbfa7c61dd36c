import Foundation
import RemoraQuant
import Testing

@Suite("Behaviour of the components without reference vectors")
struct BehaviourTests {
    @Test("time decay: weight 1 at asOf, ½ at one half-life, future clamps to 1; decayed win rate and volume")
    func timeDecay() {
        let decay = TimeDecay()  // 60-day half-life
        let asOf = 1_767_225_600.0  // 2026-01-01T00:00:00Z
        let day = TimeDecay.secondsPerDay
        #expect(decay.halfLifeDays == 60)
        #expect(decay.weight(at: asOf, asOf: asOf) == 1)
        expectClose(decay.weight(at: asOf - 60 * day, asOf: asOf), 0.5, rel: 1e-15, "one half-life")
        expectClose(decay.weight(at: asOf - 120 * day, asOf: asOf), 0.25, rel: 1e-15, "two half-lives")
        #expect(decay.weight(at: asOf + day, asOf: asOf) == 1)
        let trades = [
            TimedOutcome(timestamp: asOf, won: true, notionalUSD: 100),
            TimedOutcome(timestamp: asOf - 60 * day, won: false, notionalUSD: 1_000),
            TimedOutcome(timestamp: asOf - 120 * day, won: false, notionalUSD: 400),
        ]
        expectClose(decay.winRate(trades, asOf: asOf), 1 / 1.75, rel: 1e-15, "decayed win rate")
        expectClose(decay.volume(trades, asOf: asOf), 100 + 500 + 100, rel: 1e-15, "decayed volume")
        let counts = decay.effectiveCounts(trades, asOf: asOf)
        #expect(counts.wins == 1 && counts.losses == 0.75)
        #expect(decay.winRate([], asOf: asOf).isNaN)
    }

    @Test("Bayesian win rate: prior Beta(20·base, 20·(1−base)), HIGH above 50 trades")
    func bayesianWinRate() {
        let few = BayesianWinRate.estimate(wins: 7, losses: 3, baseRate: 0.5)
        expectClose(few.posteriorMean, 17.0 / 30.0, rel: 1e-15, "posterior mean")
        #expect(few.confidence == .medium)
        let d = BetaDistribution(alpha: 17, beta: 13)
        expectClose(few.credibleInterval.lowerBound, d.quantile(0.025), rel: 1e-15, "ci lo")
        expectClose(few.credibleInterval.upperBound, d.quantile(0.975), rel: 1e-15, "ci hi")
        #expect(BayesianWinRate.estimate(wins: 30, losses: 20, baseRate: 0.4).confidence == .medium)
        #expect(BayesianWinRate.estimate(wins: 31, losses: 20, baseRate: 0.4).confidence == .high)
        let none = BayesianWinRate.estimate(wins: 0, losses: 0, baseRate: 0.3)
        expectClose(none.posteriorMean, 0.3, rel: 1e-15, "no data: base rate")
    }

    @Test("consistency: 15 for a perfectly stable rolling Sharpe, 0 when its sd ≥ 0.75")
    func consistency() {
        #expect(Consistency.score(rollingSharpeRatios: [0.2, 0.2, 0.2]) == 15)
        #expect(Consistency.score(rollingSharpeRatios: [-1, 1, -1, 1]) == 0)
        expectClose(Consistency.score(rollingSharpeRatios: [0.1, 0.4]), 15 * (1 - (0.045).squareRoot() / 0.75),
                    rel: 1e-14, "two windows")
        #expect(Consistency.score(rollingSharpeRatios: [0.3]) == 0)
        var returns = [Double]()
        for k in 0..<120 { returns.append(k % 2 == 0 ? 0.012 : -0.008) }
        let score = Consistency.score(returns: returns)
        #expect(score > 14 && score <= 15, "alternating series is very consistent: \(score)")
    }

    @Test("rolling ratios: n − w + 1 windows equal the full-series ratio of each slice")
    func rolling() {
        let returns = (0..<200).map { 0.001 * sin(Double($0)) + 0.0002 * Double($0 % 7) - 0.0005 }
        let r30 = RollingRatios.sharpe(returns, window: .thirtyDays)
        let r90 = RollingRatios.sortino(returns, window: .ninetyDays)
        #expect(r30.count == 171 && r90.count == 111)
        expectClose(r30[5], PerformanceRatios.sharpeRatio(Array(returns[5..<35])), rel: 1e-15, "rolling Sharpe window 5")
        expectClose(r90[7], PerformanceRatios.sortinoRatio(Array(returns[7..<97])), rel: 1e-15, "rolling Sortino window 7")
        let dd = RollingRatios.maxDrawdown(returns, window: .thirtyDays)
        expectClose(dd[10], Drawdown.maxDrawdown(Array(returns[10..<40])), rel: 0, "rolling MaxDD")
        #expect(RollingRatios.sharpe([0.1, 0.2], window: .thirtyDays).isEmpty)
    }

    @Test("drawdown: starting equity 1 is a peak; current drawdown; CAGR uses 365 by default")
    func drawdown() {
        let s = Drawdown.statistics([-0.1, 0.05, 0.2, -0.05])
        expectClose(s.maxDrawdown, 0.1, rel: 1e-15, "first-period loss is a drawdown")
        expectClose(s.currentDrawdown, 0.05, rel: 1e-14, "current drawdown")
        expectClose(PerformanceRatios.cagr(Array(repeating: 0.001, count: 365)), pow(1.001, 365) - 1, rel: 1e-13, "CAGR 365")
        #expect(PerformanceRatios.calmarRatio([0.01, 0.02]).isNaN)
        #expect(PerformanceRatios.sharpeRatio([0.01]).isNaN)
        #expect(Drawdown.underwaterCurve([-0.5, 1.0]) == [0.5, 0])
    }

    @Test("statistics: quantile type 7, empty input is NaN, variance conventions")
    func statistics() {
        #expect(Statistics.quantile([1, 2, 3, 4], 0.5) == 2.5)
        #expect(Statistics.quantile([3, 1, 2], 0) == 1 && Statistics.quantile([3, 1, 2], 1) == 3)
        #expect(Statistics.mean([]).isNaN && Statistics.variance([1], .sample).isNaN)
        #expect(Statistics.variance([1, 2, 3, 4], .population) == 1.25)
        expectClose(Statistics.variance([1, 2, 3, 4], .sample), 5.0 / 3.0, rel: 1e-15, "sample variance")
        #expect(Statistics.skewness([2, 2, 2]).isNaN)
    }

    @Test("incomplete beta and Student t spot values")
    func specialFunctions() {
        // I_x(a, 1) = x^a and the t distribution with 1 df is Cauchy.
        expectClose(IncompleteBeta.regularized(x: 0.3, a: 2.5, b: 1), pow(0.3, 2.5), rel: 1e-14, "I_x(a,1)")
        expectClose(StudentTDistribution(degreesOfFreedom: 1).cdf(1), 0.75, rel: 1e-14, "Cauchy cdf(1)")
        expectClose(StudentTDistribution(degreesOfFreedom: 1).twoSidedPValue(-1), 0.5, rel: 1e-14, "Cauchy two-sided")
        expectClose(GammaFunctions.logBeta(0.5, 5000), lgamma(0.5) + lgamma(5000) - lgamma(5000.5), rel: 1e-11, "lbeta")
        expectClose(GammaFunctions.logGamma(50), lgamma(50), rel: 1e-15, "logGamma")
    }
}
