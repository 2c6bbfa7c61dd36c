import Foundation

/// A generated world in memory: what `remora simulate` writes, and what `remora demo` feeds the
/// pipeline with. Truth and observables side by side; the files split them.
public struct SimulatedWorld: Sendable {
    public var parameters: WorldParameters
    public var markets: [SimulatedMarket]
    public var wallets: [SimulatedWallet]
    /// All fills, oldest first (ties: wallet, then the wallet's own order).
    public var trades: [SimulatedTrade]
    /// Negative-risk conversions, oldest first (``ConversionGenerator``).
    public var conversions: [SimulatedConversion] = []

    public var startTime: Int64 { parameters.startTime }
    public var endTime: Int64 { parameters.endTime }
}

/// A market: what Gamma shows about it, its truth and its price paths.
public struct SimulatedMarket: Sendable {
    public var truth: MarketTruth
    public var question: String
    public var slug: String
    public var description: String
    public var icon: String
    public var questionId: String
    /// Nominal deadline (Gamma `endDate`): trading may stop before or after it.
    public var endDate: Int64
    public var event: SimulatedEvent
    /// Label inside a multi-outcome event ("Candidate 3"), empty for a standalone market.
    public var groupItemTitle: String
    public var negRisk: Bool
    /// Observable midpoint of the first token (what `prices.ndjson` holds).
    public var history: PriceHistoryLine
    /// The true probability of "Yes" at the same nodes (hidden).
    public var trueProbability: [Double]

    /// The true probability of outcome `index` at `time` (linear between nodes).
    public func trueProbability(of index: Int, at time: Int64) -> Double {
        let yes = PriceHistoryLine.interpolate(trueProbability, start: history.start, step: history.step, at: time)
        return index == 0 ? yes : 1 - yes
    }
}

/// An event groups markets; a neg-risk event's markets are mutually exclusive.
public struct SimulatedEvent: Sendable {
    public var id: String
    public var slug: String
    public var title: String
    public var negRiskMarketId: String?
}

public struct SimulatedWallet: Sendable {
    public var truth: WalletTruth
    /// Exact micro-USDC figures behind the truth's decimal strings.
    public var volumeMicros: Int64
    public var realizedPnlMicros: Int64
}

/// One fill. Money is exact: shares and price in micro-units; `rowPrice` is the float the Data
/// API would print (size × price rarely divides back exactly).
public struct SimulatedTrade: Sendable {
    public var time: Int64
    public var wallet: Int32
    public var market: Int32
    /// Order of the fill within its wallet: a stable tie-break.
    public var sequence: Int32
    public var outcomeIndex: UInt8
    public var isBuy: Bool
    public var isMaker: Bool
    /// Positive expected value at trade time given the true probability (after taker fee).
    public var positiveExpectedValue: Bool
    public var sharesMicros: Int64
    public var priceMicros: Int64
    public var rowPrice: Double
    /// Seeds the transaction hash: fills of one order share it.
    public var transactionSeed: UInt64

    public var usdcMicros: Int64 { mulDiv(sharesMicros, priceMicros, 1_000_000) }
}
