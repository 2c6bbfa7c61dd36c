/// What a whale's side earned per share at settlement (payout − price for a buy, price − payout
/// for a sale) over its settled trades that were not void: count, mean and sample deviation, in
/// probability units (0.03 = three cents a share).
public struct TradeEdge: Sendable, Hashable, Codable {
    public var count: Int
    public var mean: Double
    public var deviation: Double

    public init(count: Int = 0, mean: Double = 0, deviation: Double = 0) {
        self.count = count
        self.mean = mean
        self.deviation = deviation
    }

    /// The posterior mean of the whale's true edge under a normal prior centred on zero with
    /// deviation `priorDeviation` (most wallets have none): mean × n·τ² ÷ (n·τ² + σ²). σ² is the
    /// sample variance, floored at 0.01 (ten cents), and 0.25 — the most a payout of 0 or 1 can
    /// vary — below two trades: a short or lucky record moves the estimate little.
    public func shrunkMean(priorDeviation tau: Double) -> Double {
        guard count > 0, tau > 0 else { return 0 }
        let variance = count >= 2 ? max(deviation * deviation, 0.01) : 0.25
        let n = Double(count)
        return mean * n * tau * tau / (n * tau * tau + variance)
    }
}

/// The scorer's figures of a whale as of an instant that the gate and the sizer read: the Whale
/// Quality Score and the measures its checks name (docs/strategy.md). Carried by `whale.score`,
/// so the gate reads the scorer's history and never scores a second time.
public struct WhaleFigures: Sendable, Hashable, Codable {
    public var wqs: Double
    public var settledTrades: Int
    public var sharpe30: Double
    public var sharpe90: Double
    /// Below the peak of the whale's cumulative daily P&L over its capital at risk (0.1 = 10 %).
    public var currentDrawdown: Double
    /// Posterior mean of the win rate, the lower end of its 95 % credible interval, and the
    /// category base rate of the prior.
    public var bayesianWinRate: Double
    public var winRateLow: Double
    public var baseRate: Double
    public var edge: TradeEdge
    /// The end of the whale's last day with a negative P&L (its open fills' marks count on the
    /// as-of day); nil: none. Quarantine's release waits for seven days without one.
    public var lastLossAt: EventTime?

    public init(
        wqs: Double, settledTrades: Int, sharpe30: Double, sharpe90: Double, currentDrawdown: Double,
        bayesianWinRate: Double, winRateLow: Double, baseRate: Double, edge: TradeEdge, lastLossAt: EventTime? = nil
    ) {
        self.lastLossAt = lastLossAt
        self.wqs = wqs
        self.settledTrades = settledTrades
        self.sharpe30 = sharpe30
        self.sharpe90 = sharpe90
        self.currentDrawdown = currentDrawdown
        self.bayesianWinRate = bayesianWinRate
        self.winRateLow = winRateLow
        self.baseRate = baseRate
        self.edge = edge
    }
}
