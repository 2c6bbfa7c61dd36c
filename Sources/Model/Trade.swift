/// One fill by one wallet, as the Data API's `/trades` reports it, with exact quantities.
/// `id` is the fill-level key: one transaction hash can carry several fills, so the key is
/// hash + asset + side + size + price + wallet, plus an occurrence index for exact repeats.
///
/// A ``TradeKind/conversion`` rides the same stream: a negative-risk conversion (a CONVERSION
/// row of `/activity`) takes `size` shares of `asset` (a "No") out of the wallet without a
/// price, so it is a `sell` at price 0. It moves the wallet's position — the gate follows it out
/// — but is no fill: it is never settled, scored nor used as a mark.
public struct Trade: Sendable, Hashable, Codable {
    public var id: String
    public var wallet: WalletAddress
    public var side: Side
    public var asset: TokenID
    public var conditionId: ConditionID
    public var outcomeIndex: Int
    public var outcome: String
    public var size: Shares
    public var price: Price
    public var timestamp: EventTime
    public var transactionHash: String
    public var title: String
    /// Taker or maker side of the match. The Data API rows do not say; the fetcher learns it from
    /// `takerOnly=true` pages. Unknown is settled as taker (the fee is charged: never overstates P&L).
    public var role: TradeRole
    /// Stored behind the `trade` watermark of its partition (a wallet that recovered from failing
    /// passes, a newly watched wallet's history, a replayed dead letter): downstream stages may
    /// already have decided past its time. It is settled and scored like any trade, never copied.
    public var late: Bool
    /// A fill, or a conversion of negative-risk shares (see above).
    public var kind: TradeKind

    public init(
        id: String? = nil, wallet: WalletAddress, side: Side, asset: TokenID, conditionId: ConditionID,
        outcomeIndex: Int, outcome: String, size: Shares, price: Price, timestamp: EventTime,
        transactionHash: String, title: String = "", occurrence: Int = 0, role: TradeRole = .unknown, late: Bool = false,
        kind: TradeKind = .fill
    ) {
        self.kind = kind
        self.role = role
        self.late = late
        self.wallet = wallet
        self.side = side
        self.asset = asset
        self.conditionId = conditionId
        self.outcomeIndex = outcomeIndex
        self.outcome = outcome
        self.size = size
        self.price = price
        self.timestamp = timestamp
        self.transactionHash = transactionHash
        self.title = title
        self.id = id ?? Trade.fillKey(
            transactionHash: transactionHash, asset: asset, side: side, size: size, price: price,
            wallet: wallet, occurrence: occurrence, kind: kind)
    }

    /// A negative-risk conversion of `size` shares of `asset` out of the wallet (see ``TradeKind``).
    public static func conversion(
        wallet: WalletAddress, asset: TokenID, conditionId: ConditionID, outcomeIndex: Int, outcome: String, size: Shares,
        timestamp: EventTime, transactionHash: String, title: String = "", occurrence: Int = 0
    ) -> Trade {
        Trade(
            wallet: wallet, side: .sell, asset: asset, conditionId: conditionId, outcomeIndex: outcomeIndex, outcome: outcome,
            size: size, price: Price(micros: 0), timestamp: timestamp, transactionHash: transactionHash, title: title,
            occurrence: occurrence, role: .unknown, kind: .conversion)
    }

    /// A fill (not a conversion): what settles, scores and marks.
    public var isFill: Bool { kind == .fill }

    /// Cash paid (buy) or received (sell), before fees.
    public var notional: USDC { size.value(at: price) }

    /// The fill-level key without its occurrence index: what identical fills share.
    public var baseFillKey: String {
        Trade.baseFillKey(
            transactionHash: transactionHash, asset: asset, side: side, size: size, price: price, wallet: wallet, kind: kind)
    }

    /// The same fill as the `occurrence`-th identical one (0 for the first).
    public func withOccurrence(_ occurrence: Int) -> Trade {
        var trade = self
        trade.id = baseFillKey + ":\(occurrence)"
        return trade
    }

    /// The fill-level dedup key. Readable on purpose: operators grep logs for it.
    public static func fillKey(
        transactionHash: String, asset: TokenID, side: Side, size: Shares, price: Price,
        wallet: WalletAddress, occurrence: Int, kind: TradeKind = .fill
    ) -> String {
        baseFillKey(transactionHash: transactionHash, asset: asset, side: side, size: size, price: price, wallet: wallet, kind: kind)
            + ":\(occurrence)"
    }

    static func baseFillKey(
        transactionHash: String, asset: TokenID, side: Side, size: Shares, price: Price, wallet: WalletAddress,
        kind: TradeKind = .fill
    ) -> String {
        // A conversion says so where a fill says its side: the two never share a key.
        let what = kind == .conversion ? "CONVERSION" : side.rawValue
        return "\(transactionHash.lowercased()):\(asset):\(what):\(size.micros):\(price.micros):\(wallet.rawValue)"
    }
}

/// What a record of the `trade` stream is.
public enum TradeKind: String, Sendable, Hashable, Codable {
    /// A fill of the wallet's order (or of an order it rested).
    case fill
    /// A negative-risk conversion: "No" shares of one market exchanged for "Yes" shares of the
    /// event's other markets (and USDC), outside the order book.
    case conversion
}

/// Which side of a match a fill was on. Fees are charged to the taker only.
public enum TradeRole: String, Sendable, Hashable, Codable {
    case taker, maker, unknown

    /// Pays the taker fee: takers, and fills whose role was never learned.
    public var paysTakerFee: Bool { self != .maker }
}

extension Trade {
    private enum CodingKeys: String, CodingKey {
        case id, wallet, side, asset, conditionId, outcomeIndex, outcome, size, price, timestamp, transactionHash, title, role, late, kind
    }

    /// Payloads written before roles were recorded carry none: unknown.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        id = try c.decode(String.self, forKey: .id)
        wallet = try c.decode(WalletAddress.self, forKey: .wallet)
        side = try c.decode(Side.self, forKey: .side)
        asset = try c.decode(TokenID.self, forKey: .asset)
        conditionId = try c.decode(ConditionID.self, forKey: .conditionId)
        outcomeIndex = try c.decode(Int.self, forKey: .outcomeIndex)
        outcome = try c.decode(String.self, forKey: .outcome)
        size = try c.decode(Shares.self, forKey: .size)
        price = try c.decode(Price.self, forKey: .price)
        timestamp = try c.decode(EventTime.self, forKey: .timestamp)
        transactionHash = try c.decode(String.self, forKey: .transactionHash)
        title = try c.decode(String.self, forKey: .title)
        role = try c.decodeIfPresent(TradeRole.self, forKey: .role) ?? .unknown
        late = try c.decodeIfPresent(Bool.self, forKey: .late) ?? false
        kind = try c.decodeIfPresent(TradeKind.self, forKey: .kind) ?? .fill
        // Range-checked where a payload enters (bus, table, file): every later sum stays inside
        // Int64 micros, and a bad payload is a decoding error that dead-letters it.
        guard size.micros > 0, size <= Trade.maximumSize else {
            throw DecodingError.dataCorruptedError(forKey: .size, in: c, debugDescription: "size outside (0, \(Trade.maximumSize)]: \(size)")
        }
        if kind == .conversion {
            guard price.micros == 0, side == .sell else {
                throw DecodingError.dataCorruptedError(forKey: .price, in: c, debugDescription: "a conversion is a sell at price 0: \(side.rawValue) at \(price)")
            }
        } else {
            guard price.micros > 0, price.micros < microsPerUnit else {
                throw DecodingError.dataCorruptedError(forKey: .price, in: c, debugDescription: "price outside (0, 1): \(price)")
            }
        }
        guard (0...1).contains(outcomeIndex) else {
            throw DecodingError.dataCorruptedError(
                forKey: .outcomeIndex, in: c, debugDescription: "outcomeIndex \(outcomeIndex) does not exist (a market has outcomes 0 and 1)")
        }
    }

    /// The largest fill taken as real: 10⁹ shares.
    public static let maximumSize = Shares(micros: 1_000_000_000 * microsPerUnit)

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(wallet, forKey: .wallet)
        try c.encode(side, forKey: .side)
        try c.encode(asset, forKey: .asset)
        try c.encode(conditionId, forKey: .conditionId)
        try c.encode(outcomeIndex, forKey: .outcomeIndex)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(size, forKey: .size)
        try c.encode(price, forKey: .price)
        try c.encode(timestamp, forKey: .timestamp)
        try c.encode(transactionHash, forKey: .transactionHash)
        try c.encode(title, forKey: .title)
        try c.encode(role, forKey: .role)
        // Only late trades carry the flag: on time is the rule, and older payloads stay as they were.
        if late { try c.encode(late, forKey: .late) }
        if kind != .fill { try c.encode(kind, forKey: .kind) }
    }
}

extension Trade: CanonicalJSON {
    /// The payload of `trade` messages, written by hand: the fetcher stores a million of them.
    public var canonicalJSON: String {
        var text = "{\"asset\":" + JSONCoding.quoted(asset) + ",\"conditionId\":" + JSONCoding.quoted(conditionId.rawValue)
        text += ",\"id\":" + JSONCoding.quoted(id)
        if kind != .fill { text += ",\"kind\":\"\(kind.rawValue)\"" }
        if late { text += ",\"late\":true" }
        text += ",\"outcome\":" + JSONCoding.quoted(outcome)
        text += ",\"outcomeIndex\":\(outcomeIndex),\"price\":\"\(price.description)\",\"role\":\"\(role.rawValue)\",\"side\":\"\(side.rawValue)\""
        text += ",\"size\":\"\(size.description)\",\"timestamp\":\(timestamp.millis),\"title\":" + JSONCoding.quoted(title)
        text += ",\"transactionHash\":" + JSONCoding.quoted(transactionHash) + ",\"wallet\":" + JSONCoding.quoted(wallet.rawValue) + "}"
        return text
    }
}

/// A market's metadata as the resolver keeps it (Gamma fields that decisions need).
public struct Market: Sendable, Hashable, Codable {
    public var conditionId: ConditionID
    public var question: String
    public var category: String
    public var outcomes: [String]
    public var tokenIds: [TokenID]
    public var endDate: EventTime?
    public var tickSize: Price
    /// Taker fee rate in parts per million of `shares × p × (1 − p)`; 0 when fees are off.
    public var takerFeePpm: Int64
    /// The negative-risk event the market belongs to (Gamma's event id when `negRisk`): its
    /// markets are outcomes of one question, one exposure for the risk guard. Nil: none.
    public var negRiskEvent: String?

    private enum CodingKeys: String, CodingKey {
        case conditionId, question, category, outcomes, tokenIds, endDate, tickSize, takerFeePpm, negRiskEvent
    }

    /// Range-checked where a market row enters (feed file, stored payload): the fee and the tick
    /// feed products that must not overflow.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditionId = try c.decode(ConditionID.self, forKey: .conditionId)
        question = try c.decode(String.self, forKey: .question)
        category = try c.decode(String.self, forKey: .category)
        outcomes = try c.decode([String].self, forKey: .outcomes)
        tokenIds = try c.decode([TokenID].self, forKey: .tokenIds)
        endDate = try c.decodeIfPresent(EventTime.self, forKey: .endDate)
        tickSize = try c.decode(Price.self, forKey: .tickSize)
        takerFeePpm = try c.decodeIfPresent(Int64.self, forKey: .takerFeePpm) ?? 0
        negRiskEvent = try c.decodeIfPresent(String.self, forKey: .negRiskEvent)
        guard (0...1_000_000).contains(takerFeePpm) else {
            throw DecodingError.dataCorruptedError(forKey: .takerFeePpm, in: c, debugDescription: "taker fee outside 0…10⁶ ppm: \(takerFeePpm)")
        }
        guard tickSize.micros > 0, tickSize.micros <= 100_000 else {
            throw DecodingError.dataCorruptedError(forKey: .tickSize, in: c, debugDescription: "tick outside (0, 0.1]: \(tickSize)")
        }
    }

    public init(
        conditionId: ConditionID, question: String, category: String, outcomes: [String], tokenIds: [TokenID],
        endDate: EventTime?, tickSize: Price, takerFeePpm: Int64 = 0, negRiskEvent: String? = nil
    ) {
        self.negRiskEvent = negRiskEvent
        self.conditionId = conditionId
        self.question = question
        self.category = category
        self.outcomes = outcomes
        self.tokenIds = tokenIds
        self.endDate = endDate
        self.tickSize = tickSize
        self.takerFeePpm = takerFeePpm
    }
}
