public import RemoraModel

/// The scorer's simplest real job: running counts per wallet and a documented score.
/// The Whale Quality Score (issue "Scorer") replaces `score` with the full metric set.
public struct WalletTally: Sendable, Hashable, Codable {
    public var settledCount: Int
    public var wins: Int
    public var realizedPnl: USDC
    public var volume: USDC

    public init(settledCount: Int = 0, wins: Int = 0, realizedPnl: USDC = .zero, volume: USDC = .zero) {
        self.settledCount = settledCount
        self.wins = wins
        self.realizedPnl = realizedPnl
        self.volume = volume
    }

    /// Adds one settlement. Voids count as settled but neither win nor loss.
    public func adding(_ settlement: TradeSettlement) -> WalletTally {
        var next = self
        next.settledCount += 1
        if settlement.result == .win { next.wins += 1 }
        next.realizedPnl = next.realizedPnl + settlement.realizedPnl
        next.volume = next.volume + settlement.cost
        return next
    }

    /// Method id stored with every score this formula produces.
    public static let method = "smoothed-win-rate.v1"

    /// 100 × (wins + 5) / (settled + 10): the win rate shrunk towards 50 % with the weight of ten
    /// pseudo-trades, so that one lucky win is not a whale. 50 for a wallet with no history.
    public var score: Double {
        100 * Double(wins + 5) / Double(settledCount + 10)
    }
}
