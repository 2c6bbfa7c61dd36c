public import RemoraModel

/// Thresholds of the three gates.
public struct GatePolicy: Sendable, Hashable {
    /// Stage 1: a whale qualifies with a score at or above this (0–100).
    public var minimumScore: Double
    /// Stage 1: and with at least this many settled trades behind the score.
    public var minimumSettledTrades: Int
    /// Stage 2: a trade is worth copying from this notional up.
    public var minimumNotional: USDC
    /// Stage 2: prices outside [low, high] leave too little edge to copy.
    public var priceRange: ClosedRange<Price>

    public init(
        minimumScore: Double = 55, minimumSettledTrades: Int = 5, minimumNotional: USDC = 100,
        priceRange: ClosedRange<Price> = Price(micros: 20_000)...Price(micros: 980_000)
    ) {
        self.minimumScore = minimumScore
        self.minimumSettledTrades = minimumSettledTrades
        self.minimumNotional = minimumNotional
        self.priceRange = priceRange
    }
}

/// The signal gate: whale qualified now? this trade good? fits the portfolio? Every rejection
/// keeps its stage and a stable reason code. Pure: the score is the whale's score as of the
/// trade's event time, passed in.
public enum SignalGate {
    public static func evaluate(_ trade: Trade, score: WhaleScore?, policy: GatePolicy) -> Signal {
        func verdict(_ accepted: Bool, _ stage: GateStage, _ reason: String, _ detail: String) -> Signal {
            Signal(
                tradeId: trade.id, wallet: trade.wallet, conditionId: trade.conditionId, asset: trade.asset,
                outcomeIndex: trade.outcomeIndex, side: trade.side, price: trade.price, size: trade.size,
                tradeTime: trade.timestamp, accepted: accepted, stage: stage, reason: reason, detail: detail,
                whaleScore: score?.score)
        }
        if trade.late {
            // Stored behind the watermark: the stages after us may have decided past its time.
            return verdict(false, .trade, "late", "stored behind its partition's watermark: settled and scored, never copied")
        }
        guard let score else {
            return verdict(false, .whale, "unscored_wallet", "no settled trades before this one")
        }
        if score.settledCount < policy.minimumSettledTrades {
            return verdict(false, .whale, "too_few_settled_trades",
                           "\(score.settledCount) settled < \(policy.minimumSettledTrades)")
        }
        if score.score < policy.minimumScore {
            return verdict(false, .whale, "score_below_threshold",
                           "score \(rounded(score.score)) < \(rounded(policy.minimumScore))")
        }
        if trade.side == .sell {
            return verdict(false, .trade, "sell_not_copied", "only entries are copied; exits follow our own rules")
        }
        if trade.notional < policy.minimumNotional {
            return verdict(false, .trade, "size_below_minimum", "notional \(trade.notional) < \(policy.minimumNotional)")
        }
        if !policy.priceRange.contains(trade.price) {
            return verdict(false, .trade, "price_out_of_range", "price \(trade.price) outside \(policy.priceRange.lowerBound)–\(policy.priceRange.upperBound)")
        }
        return verdict(true, .portfolio, "passed", "score \(rounded(score.score))")
    }

    private static func rounded(_ value: Double) -> String {
        let scaled = (value * 100).rounded() / 100
        return "\(scaled)"
    }
}
