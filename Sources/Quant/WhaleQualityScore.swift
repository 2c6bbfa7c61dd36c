internal import Foundation

/// The ready-made metrics of one wallet that the Whale Quality Score combines.
///
/// Ratios follow this module's conventions: **annualised with 365 periods/year** (Sharpe and
/// information ratio arithmetic, Calmar = CAGR / max drawdown). The score's caps then sit at
/// annualised Sharpe 2.5, IR 1.25 and Calmar ≈ 3.
public struct WhaleMetrics: Sendable, Hashable {
    /// Annualised Sharpe ratio.
    public var sharpeRatio: Double
    /// Annualised information ratio against the category benchmark.
    public var informationRatio: Double
    /// Calmar ratio (CAGR / max drawdown).
    public var calmarRatio: Double
    /// Consistency points, normally 0…15 from `Consistency.score`; added **unclamped** as in the seed.
    public var consistencyScore: Double
    /// Total traded volume in USD.
    public var totalVolumeUSD: Double
    /// Resolved trades; may be fractional (decay-weighted counts).
    public var tradeCount: Double
    /// Herfindahl–Hirschman index of the wallet's exposures, 0–10,000 scale.
    public var hhiConcentration: Double

    /// Metrics for one wallet (see the property docs for units).
    public init(
        sharpeRatio: Double, informationRatio: Double, calmarRatio: Double, consistencyScore: Double,
        totalVolumeUSD: Double, tradeCount: Double, hhiConcentration: Double
    ) {
        self.sharpeRatio = sharpeRatio
        self.informationRatio = informationRatio
        self.calmarRatio = calmarRatio
        self.consistencyScore = consistencyScore
        self.totalVolumeUSD = totalVolumeUSD
        self.tradeCount = tradeCount
        self.hhiConcentration = hhiConcentration
    }
}

/// Whale Quality Score (0–100), a faithful port of the seed `calculate_whale_quality_score`.
///
/// Components: Sharpe·12 capped to [0, 30] (30 %), IR·20 to [0, 25] (25 %), Calmar·6.67 to
/// [0, 20] (20 %; saturates at Calmar 2.9985 since 6.67 ≠ 20/3), consistency added as given (15 %),
/// volume 2.5·log10(max(1, USD)/10⁴) capped to [0, 10] (10 %: 0 below $10k, 10 at $100M).
/// Penalties: fewer than 50 trades → × (0.5 + trades/100); HHI > 1800 → × 0.9. The clamp to
/// [0, 100] comes after the penalties. The one deliberate deviation: the HHI test ignores float
/// noise (`Concentration.isHighlyConcentrated(hhi:)`), so an exact 1800 is never penalised.
public struct WhaleQualityScore: Sendable, Hashable {
    /// Sharpe component in [0, 30].
    public let sharpeComponent: Double
    /// Information-ratio component in [0, 25].
    public let informationRatioComponent: Double
    /// Calmar component in [0, 20].
    public let calmarComponent: Double
    /// Consistency component, as given.
    public let consistencyComponent: Double
    /// Volume component in [0, 10].
    public let volumeComponent: Double
    /// Sum of the components before penalties.
    public let baseBeforePenalties: Double
    /// True when the trade-count penalty applied (fewer than 50 trades).
    public let tradeCountPenaltyApplied: Bool
    /// True when the concentration penalty applied (HHI > 1800).
    public let concentrationPenaltyApplied: Bool
    /// Final score in [0, 100].
    public let score: Double

    /// Minimum trades for no penalty (50).
    public static let fullCreditTradeCount: Double = 50

    /// Scores one wallet.
    public init(_ m: WhaleMetrics) {
        sharpeComponent = min(30, max(0, m.sharpeRatio * 12.0))
        informationRatioComponent = min(25, max(0, m.informationRatio * 20.0))
        calmarComponent = min(20, max(0, m.calmarRatio * 6.67))
        consistencyComponent = m.consistencyScore
        volumeComponent = min(10, max(0, log10(max(1, m.totalVolumeUSD) / 10_000) * 2.5))
        let base = sharpeComponent + informationRatioComponent + calmarComponent
            + consistencyComponent + volumeComponent
        baseBeforePenalties = base
        var penalised = base
        tradeCountPenaltyApplied = m.tradeCount < Self.fullCreditTradeCount
        if tradeCountPenaltyApplied { penalised *= 0.5 + m.tradeCount / 100.0 }
        concentrationPenaltyApplied = Concentration.isHighlyConcentrated(hhi: m.hhiConcentration)
        if concentrationPenaltyApplied { penalised *= 0.9 }
        score = min(100, max(0, penalised))
    }

    /// Score only, for bulk scoring (same arithmetic as `init`).
    @inlinable
    public static func score(_ m: WhaleMetrics) -> Double {
        WhaleQualityScore(m).score
    }
}
