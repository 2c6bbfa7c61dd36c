/// Why a Kelly sizing request was refused.
public enum KellyInputError: Error, Sendable, Hashable {
    /// An input was NaN or infinite (the field is named).
    case nonFinite(field: String)
    /// Win probability outside [0, 1].
    case probabilityOutOfRange(Double)
    /// Net odds must be > 0 (the seed silently returned 0 here; we refuse loudly).
    case nonPositiveOdds(Double)
    /// A token price must be strictly between 0 and 1.
    case priceOutOfRange(Double)
}

/// Inputs of one position-sizing decision.
public struct KellyInputs: Sendable, Hashable {
    /// Win probability p in [0, 1] (see `AdaptiveKelly.blendedWinProbability`).
    public var winProbability: Double
    /// Net odds b > 0: profit per unit staked on a win (`AdaptiveKelly.netOdds(forPrice:)`).
    public var netOdds: Double
    /// Whale Quality Score of the copied wallet, nominally 0–100 (not clamped, as in the seed).
    public var whaleScore: Double
    /// Market volatility per period (e.g. `EWMAVolatility` forecast of log returns).
    public var marketVolatility: Double
    /// Correlation of the new position with the portfolio, in [−1, 1].
    public var portfolioCorrelation: Double
    /// Current portfolio drawdown as a positive fraction (0.1 = 10 % below peak).
    public var portfolioDrawdown: Double

    /// One sizing request (units as documented on each property).
    public init(
        winProbability: Double, netOdds: Double, whaleScore: Double, marketVolatility: Double,
        portfolioCorrelation: Double, portfolioDrawdown: Double
    ) {
        self.winProbability = winProbability
        self.netOdds = netOdds
        self.whaleScore = whaleScore
        self.marketVolatility = marketVolatility
        self.portfolioCorrelation = portfolioCorrelation
        self.portfolioDrawdown = portfolioDrawdown
    }
}

/// The sized position and every factor behind it.
public struct KellySizing: Sendable, Hashable {
    /// Full Kelly fraction f* = (p·b − q)/b (may be ≤ 0: no edge).
    public let fullKelly: Double
    /// Confidence factor 0.4 + 0.6·score/100.
    public let confidenceFactor: Double
    /// Volatility factor 1/(1 + 5·vol) clamped to [0.5, 1.2].
    public let volatilityFactor: Double
    /// Correlation factor max(0.3, 1 − ρ²).
    public let correlationFactor: Double
    /// Drawdown factor max(0.2, 1 − 3·drawdown).
    public let drawdownFactor: Double
    /// ½·f*·k_conf·k_vol·k_corr·k_dd before the floor and cap.
    public let unclampedFraction: Double
    /// Final fraction of NAV to stake, in [0, 0.08].
    public let fraction: Double
}

/// Adaptive fractional Kelly sizing, a faithful port of the seed `calculate_position_size`:
/// half-Kelly times four multipliers (confidence, volatility, correlation, drawdown), floored at 0
/// and capped at 8 % of NAV. Deviation from the seed: invalid inputs throw instead of returning 0.
public enum AdaptiveKelly {
    /// Largest fraction of NAV ever staked (8 %).
    public static let maximumFraction: Double = 0.08
    /// Weight of the whale's own win probability in the blend (0.7; the market price gets 0.3).
    public static let whaleProbabilityWeight: Double = 0.7

    /// Sizes a position (fraction of NAV in [0, 0.08]); see `sizing` for the breakdown.
    public static func positionFraction(_ inputs: KellyInputs) throws(KellyInputError) -> Double {
        try sizing(inputs).fraction
    }

    /// Sizes a position and reports each factor. Returns fraction 0 when there is no edge (f* ≤ 0).
    public static func sizing(_ i: KellyInputs) throws(KellyInputError) -> KellySizing {
        try validate(i)
        let p = i.winProbability
        let b = i.netOdds
        let q = 1 - p
        let fKelly = (p * b - q) / b
        guard fKelly > 0 else {
            return KellySizing(
                fullKelly: fKelly, confidenceFactor: .nan, volatilityFactor: .nan,
                correlationFactor: .nan, drawdownFactor: .nan, unclampedFraction: 0, fraction: 0)
        }
        let kConf = 0.4 + 0.6 * (i.whaleScore / 100.0)
        let kVol = max(0.5, min(1.2, 1.0 / (1.0 + 5.0 * i.marketVolatility)))
        let kCorr = correlationFactor(i.portfolioCorrelation)
        let kDD = drawdownFactor(i.portfolioDrawdown)
        let adjusted = 0.5 * fKelly * kConf * kVol * kCorr * kDD
        return KellySizing(
            fullKelly: fKelly, confidenceFactor: kConf, volatilityFactor: kVol, correlationFactor: kCorr,
            drawdownFactor: kDD, unclampedFraction: adjusted,
            fraction: min(maximumFraction, max(0.0, adjusted)))
    }

    /// k_corr = max(0.3, 1 − ρ²): the risk guard applies it, the only reader of our book.
    public static func correlationFactor(_ rho: Double) -> Double { max(0.3, 1.0 - rho * rho) }

    /// k_dd = max(0.2, 1 − 3 × drawdown), the book's drawdown below its peak NAV as a positive fraction.
    public static func drawdownFactor(_ drawdown: Double) -> Double { max(0.2, 1.0 - drawdown * 3.0) }

    /// Win probability to size with: 0.7·whale + 0.3·market (both in [0, 1]).
    public static func blendedWinProbability(whale: Double, market: Double) -> Double {
        whaleProbabilityWeight * whale + (1 - whaleProbabilityWeight) * market
    }

    /// Net odds of buying an outcome token at price q (0 < q < 1; it pays 1 on a win): b = (1 − q)/q.
    public static func netOdds(forPrice price: Double) throws(KellyInputError) -> Double {
        guard price.isFinite else { throw .nonFinite(field: "price") }
        guard price > 0, price < 1 else { throw .priceOutOfRange(price) }
        return (1 - price) / price
    }

    static func validate(_ i: KellyInputs) throws(KellyInputError) {
        let fields: [(String, Double)] = [
            ("winProbability", i.winProbability), ("netOdds", i.netOdds), ("whaleScore", i.whaleScore),
            ("marketVolatility", i.marketVolatility), ("portfolioCorrelation", i.portfolioCorrelation),
            ("portfolioDrawdown", i.portfolioDrawdown),
        ]
        for (name, value) in fields where !value.isFinite { throw .nonFinite(field: name) }
        guard i.winProbability >= 0, i.winProbability <= 1 else { throw .probabilityOutOfRange(i.winProbability) }
        guard i.netOdds > 0 else { throw .nonPositiveOdds(i.netOdds) }
    }
}
