/// How a market ended: a winning outcome index, or voided (every outcome pays 0.5).
public enum ResolutionOutcome: Sendable, Hashable, Codable {
    case winner(index: Int)
    case void

    /// The payout per share of outcome `index`.
    public func payout(forOutcome index: Int) -> Price {
        switch self {
        case .winner(let winning): return winning == index ? Price(micros: microsPerUnit) : .zero
        case .void: return Price(micros: microsPerUnit / 2)
        }
    }
}

/// A market's final result (`market.resolved`).
public struct MarketResolution: Sendable, Hashable, Codable {
    public var conditionId: ConditionID
    public var outcome: ResolutionOutcome
    public var resolvedAt: EventTime
    public init(conditionId: ConditionID, outcome: ResolutionOutcome, resolvedAt: EventTime) {
        self.conditionId = conditionId
        self.outcome = outcome
        self.resolvedAt = resolvedAt
    }
}

/// Win, loss or void, from the copied side's point of view.
public enum SettlementResult: String, Sendable, Codable, Hashable {
    case win, loss, void
}

/// One trade linked to its market's outcome, with the P&L it realized (`trade.settled`).
/// Convention: a buy realizes `size × (payout − price)`; a sell realizes `size × (price − payout)`
/// (it gave up the payout for the price). Fees are taker fees from the market's schedule.
public struct TradeSettlement: Sendable, Hashable, Codable {
    public var tradeId: String
    public var wallet: WalletAddress
    public var conditionId: ConditionID
    public var category: String
    public var side: Side
    public var size: Shares
    public var price: Price
    public var payout: Price
    public var result: SettlementResult
    public var cost: USDC
    public var fee: USDC
    public var realizedPnl: USDC
    public var tradeTime: EventTime
    public var settledAt: EventTime

    public init(
        tradeId: String, wallet: WalletAddress, conditionId: ConditionID, category: String, side: Side,
        size: Shares, price: Price, payout: Price, result: SettlementResult, cost: USDC, fee: USDC,
        realizedPnl: USDC, tradeTime: EventTime, settledAt: EventTime
    ) {
        self.tradeId = tradeId
        self.wallet = wallet
        self.conditionId = conditionId
        self.category = category
        self.side = side
        self.size = size
        self.price = price
        self.payout = payout
        self.result = result
        self.cost = cost
        self.fee = fee
        self.realizedPnl = realizedPnl
        self.tradeTime = tradeTime
        self.settledAt = settledAt
    }
}

extension TradeSettlement: CanonicalJSON {
    /// The payload of `trade.settled` messages, written by hand: a resolution writes one per trade
    /// of its market, a million in a full settlement.
    public var canonicalJSON: String {
        var json = JSONBytes(capacity: 160 + tradeId.utf8.count + category.utf8.count)
        json.raw("{\"category\":")
        json.quoted(category)
        json.raw(",\"conditionId\":")
        json.quoted(conditionId.rawValue)
        json.raw(",\"cost\":")
        json.quotedMicros(cost.micros)
        json.raw(",\"fee\":")
        json.quotedMicros(fee.micros)
        json.raw(",\"payout\":")
        json.quotedMicros(payout.micros)
        json.raw(",\"price\":")
        json.quotedMicros(price.micros)
        json.raw(",\"realizedPnl\":")
        json.quotedMicros(realizedPnl.micros)
        json.raw(",\"result\":\"")
        json.raw(result.rawValue)
        json.raw("\",\"settledAt\":")
        json.integer(settledAt.millis)
        json.raw(",\"side\":\"")
        json.raw(side.rawValue)
        json.raw("\",\"size\":")
        json.quotedMicros(size.micros)
        json.raw(",\"tradeId\":")
        json.quoted(tradeId)
        json.raw(",\"tradeTime\":")
        json.integer(tradeTime.millis)
        json.raw(",\"wallet\":")
        json.quoted(wallet.rawValue)
        json.raw("}")
        return json.string
    }
}
