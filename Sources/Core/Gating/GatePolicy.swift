public import RemoraModel

/// How the probability of the copied outcome is estimated (docs/strategy.md).
public enum ProbabilityMethod: String, Sendable, Hashable, CaseIterable {
    /// The roadmap's: 0.7 × the whale's Bayesian win rate + 0.3 × the market's midpoint. A win
    /// rate is not the probability of this outcome: the blend favours every cheap buy.
    case blend
    /// The whale's fill price plus its edge per share shrunk toward zero by its record.
    case edge
}

/// Thresholds of the whale and trade gates; every one is a setting (the signal gate's
/// `REMORA_GATE_*`), the roadmap's value by default.
public struct GatePolicy: Sendable, Hashable {
    // Stage 1: the whale, as of the trade.
    public var minimumScore: Double
    public var minimumSettledTrades: Int
    /// The 30-day Sharpe must be above the 90-day one (the whale is not fading).
    public var requireRisingSharpe: Bool
    /// The whale's current drawdown must be below this fraction.
    public var maximumWhaleDrawdown: Double
    /// Beyond the roadmap, off by default: the 95 % interval's lower end of the win rate above
    /// the category base rate.
    public var requireWinRateAboveBase: Bool
    /// Quarantine's triggers and release (``Quarantine``); off: no whale is ever quarantined.
    public var quarantineEnabled: Bool
    public var quarantine: QuarantinePolicy

    // Stage 2: the trade.
    public var minimumNotional: USDC
    /// Live mode: a fill detected later than this after it happened is history, not a signal.
    public var maximumSignalAgeMillis: Int64
    public var copyMakerFills: Bool
    /// The order whose walk of the book at the copy instant measures our slippage.
    public var referenceNotional: USDC
    public var maximumSlippage: Double
    public var maximumDaysToEnd: Double
    /// The edge left after lag, slippage and fee (copyability) must reach this.
    public var minimumCopyability: Double
    public var probabilityMethod: ProbabilityMethod
    /// τ of the whale's edge prior (``TradeEdge/shrunkMean(priorDeviation:)``).
    public var edgePriorDeviation: Double
    /// Days of daily prices the volatility reads.
    public var volatilityDays: Int

    // Exits.
    /// A negative-risk conversion is followed out as a sale (the roadmap's rule: the token's
    /// position fell); off: held, as the whale's exposure to the event is unchanged
    /// (docs/strategy.md#conversions).
    public var followConversions = true

    public init(
        minimumScore: Double = 75, minimumSettledTrades: Int = 5, requireRisingSharpe: Bool = true,
        maximumWhaleDrawdown: Double = 0.25, requireWinRateAboveBase: Bool = false, quarantineEnabled: Bool = true,
        quarantine: QuarantinePolicy = QuarantinePolicy(), minimumNotional: USDC = 5000, maximumSignalAgeMillis: Int64 = 5 * 60_000, copyMakerFills: Bool = false,
        referenceNotional: USDC = 1000, maximumSlippage: Double = 0.01, maximumDaysToEnd: Double = 90,
        minimumCopyability: Double = 0.03, probabilityMethod: ProbabilityMethod = .edge, edgePriorDeviation: Double = 0.05,
        volatilityDays: Int = 30
    ) {
        self.minimumScore = minimumScore
        self.minimumSettledTrades = minimumSettledTrades
        self.requireRisingSharpe = requireRisingSharpe
        self.maximumWhaleDrawdown = maximumWhaleDrawdown
        self.requireWinRateAboveBase = requireWinRateAboveBase
        self.quarantineEnabled = quarantineEnabled
        self.quarantine = quarantine
        self.minimumNotional = minimumNotional
        self.maximumSignalAgeMillis = maximumSignalAgeMillis
        self.copyMakerFills = copyMakerFills
        self.referenceNotional = referenceNotional
        self.maximumSlippage = maximumSlippage
        self.maximumDaysToEnd = maximumDaysToEnd
        self.minimumCopyability = minimumCopyability
        self.probabilityMethod = probabilityMethod
        self.edgePriorDeviation = edgePriorDeviation
        self.volatilityDays = volatilityDays
    }

    /// Follows whales from `score`, quarantine's score levels kept in the roadmap's proportion
    /// (50 and 60 of 75): a lower follow score with the roadmap's levels would quarantine every
    /// whale followed below 50 at once.
    public mutating func follow(fromScore score: Double) {
        minimumScore = score
        quarantine.enterBelowScore = score * 50 / 75
        quarantine.releaseAboveScore = score * 60 / 75
    }

    /// The quarantine rules with the gate's minimum score as the score a whale is followed from.
    public var quarantineRules: QuarantinePolicy {
        var rules = quarantine
        rules.followFromScore = minimumScore
        return rules
    }
}
