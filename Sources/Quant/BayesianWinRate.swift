/// How much a win-rate estimate can be trusted.
public enum EstimateConfidence: String, Sendable, Hashable, CaseIterable {
    /// More than 50 resolved trades.
    case high = "HIGH"
    /// 50 resolved trades or fewer: the prior still weighs noticeably.
    case medium = "MEDIUM"
}

/// Beta posterior of a win probability after observing wins and losses (Beta-binomial model).
public struct BetaBinomialPosterior: Sendable, Hashable {
    /// Prior pseudo-wins α₀ > 0.
    public let priorAlpha: Double
    /// Prior pseudo-losses β₀ > 0.
    public let priorBeta: Double
    /// Observed wins (may be fractional, e.g. decay-weighted).
    public let wins: Double
    /// Observed losses (may be fractional).
    public let losses: Double

    /// Posterior Beta(α₀ + wins, β₀ + losses).
    public init(priorAlpha: Double, priorBeta: Double, wins: Double, losses: Double) {
        self.priorAlpha = priorAlpha
        self.priorBeta = priorBeta
        self.wins = wins
        self.losses = losses
    }

    /// The posterior distribution Beta(α₀ + wins, β₀ + losses).
    public var distribution: BetaDistribution {
        BetaDistribution(alpha: priorAlpha + wins, beta: priorBeta + losses)
    }

    /// Posterior mean (α₀ + w) / (α₀ + β₀ + w + l).
    public var mean: Double { distribution.mean }

    /// Equal-tailed credible interval at `level` (e.g. 0.95): the posterior quantiles at (1 − level)/2
    /// and 1 − (1 − level)/2, as scipy `beta.ppf` (not the HPD interval).
    /// `relativeStep`: see ``BetaDistribution/quantile(_:relativeStep:)`` (0: to one ulp).
    public func credibleInterval(level: Double = 0.95, relativeStep: Double = 0) -> ClosedRange<Double> {
        let tail = (1 - level) / 2
        let d = distribution
        let lower = d.quantile(tail, relativeStep: relativeStep)
        let upper = d.quantile(1 - tail, relativeStep: relativeStep)
        guard lower <= upper else { return Double.nan...Double.nan }
        return lower...upper
    }
}

/// A shrunk win-rate estimate with its credible interval.
public struct WinRateEstimate: Sendable, Hashable {
    /// Posterior mean win probability in [0, 1].
    public let posteriorMean: Double
    /// Equal-tailed credible interval (default 95 %).
    public let credibleInterval: ClosedRange<Double>
    /// Resolved trades behind the estimate (wins + losses).
    public let resolvedTrades: Double
    /// HIGH when more than 50 resolved trades, else MEDIUM.
    public let confidence: EstimateConfidence
}

/// Bayesian win rate: a wallet's record shrunk toward its category's base rate.
///
/// Prior Beta(k·base, k·(1 − base)) with strength k = 20 pseudo-trades (prior mean = base rate),
/// posterior Beta(k·base + wins, k·(1 − base) + losses).
public enum BayesianWinRate {
    /// Prior strength k in pseudo-trades (20).
    public static let defaultPriorStrength: Double = 20
    /// Confidence is HIGH above this many resolved trades (50).
    public static let highConfidenceTradeCount: Double = 50

    /// Estimates the win rate.
    /// - Parameters:
    ///   - wins, losses: resolved trade counts (may be decay-weighted, hence Double).
    ///   - baseRate: the category's base win rate in (0, 1), the prior mean.
    ///   - priorStrength: k (default 20).
    ///   - credibleLevel: interval coverage (default 0.95).
    public static func estimate(
        wins: Double, losses: Double, baseRate: Double,
        priorStrength: Double = defaultPriorStrength, credibleLevel: Double = 0.95, relativeStep: Double = 0
    ) -> WinRateEstimate {
        let posterior = BetaBinomialPosterior(
            priorAlpha: priorStrength * baseRate, priorBeta: priorStrength * (1 - baseRate),
            wins: wins, losses: losses)
        let resolved = wins + losses
        return WinRateEstimate(
            posteriorMean: posterior.mean,
            credibleInterval: posterior.credibleInterval(level: credibleLevel, relativeStep: relativeStep),
            resolvedTrades: resolved,
            confidence: resolved > highConfidenceTradeCount ? .high : .medium)
    }
}
