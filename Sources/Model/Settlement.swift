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
    /// The settled fill's side of the match (``Trade/role``): what a copier can follow is a
    /// taker's. Unknown for settlements written before roles were carried, and for fills whose
    /// role was never learned; absent from the payload then.
    public var role: TradeRole

    public init(
        tradeId: String, wallet: WalletAddress, conditionId: ConditionID, category: String, side: Side,
        size: Shares, price: Price, payout: Price, result: SettlementResult, cost: USDC, fee: USDC,
        realizedPnl: USDC, tradeTime: EventTime, settledAt: EventTime, role: TradeRole = .unknown
    ) {
        self.role = role
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

extension TradeSettlement {
    private enum CodingKeys: String, CodingKey {
        case tradeId, wallet, conditionId, category, side, size, price, payout, result, cost, fee, realizedPnl, tradeTime,
            settledAt, role
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            tradeId: try c.decode(String.self, forKey: .tradeId), wallet: try c.decode(WalletAddress.self, forKey: .wallet),
            conditionId: try c.decode(ConditionID.self, forKey: .conditionId), category: try c.decode(String.self, forKey: .category),
            side: try c.decode(Side.self, forKey: .side), size: try c.decode(Shares.self, forKey: .size),
            price: try c.decode(Price.self, forKey: .price), payout: try c.decode(Price.self, forKey: .payout),
            result: try c.decode(SettlementResult.self, forKey: .result), cost: try c.decode(USDC.self, forKey: .cost),
            fee: try c.decode(USDC.self, forKey: .fee), realizedPnl: try c.decode(USDC.self, forKey: .realizedPnl),
            tradeTime: try c.decode(EventTime.self, forKey: .tradeTime), settledAt: try c.decode(EventTime.self, forKey: .settledAt),
            // Payloads written before roles were carried have none.
            role: try c.decodeIfPresent(TradeRole.self, forKey: .role) ?? .unknown)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(tradeId, forKey: .tradeId)
        try c.encode(wallet, forKey: .wallet)
        try c.encode(conditionId, forKey: .conditionId)
        try c.encode(category, forKey: .category)
        try c.encode(side, forKey: .side)
        try c.encode(size, forKey: .size)
        try c.encode(price, forKey: .price)
        try c.encode(payout, forKey: .payout)
        try c.encode(result, forKey: .result)
        try c.encode(cost, forKey: .cost)
        try c.encode(fee, forKey: .fee)
        try c.encode(realizedPnl, forKey: .realizedPnl)
        try c.encode(tradeTime, forKey: .tradeTime)
        try c.encode(settledAt, forKey: .settledAt)
        if role != .unknown { try c.encode(role, forKey: .role) }
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
        if role != .unknown {
            json.raw("\",\"role\":\"")
            json.raw(role.rawValue)
        }
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
