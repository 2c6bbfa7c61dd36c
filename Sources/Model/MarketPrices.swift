/// One point of a token's price series (the CLOB's `/prices-history`): the price at an instant.
public struct PricePoint: Sendable, Hashable, Codable {
    public var time: EventTime
    public var price: Price
    public init(time: EventTime, price: Price) {
        self.time = time
        self.price = price
    }
}

/// The trading terms of a market as seen at `seenAt`: end dates and fees do change, so a
/// decision uses the terms of its own event time, not today's.
public struct MarketTerms: Sendable, Hashable, Codable {
    public var conditionId: ConditionID
    public var seenAt: EventTime
    /// The announced end of the market (Gamma `endDate`), when it has one.
    public var endDate: EventTime?
    /// When the market stopped trading (Gamma `closedTime`), once it has.
    public var closedAt: EventTime?
    public var acceptingOrders: Bool
    /// Taker fee rate in basis points (fee = shares × rate × p × (1 − p)).
    public var takerFeeBps: Int
    public var tick: Price
    public var minimumOrder: Shares

    public init(
        conditionId: ConditionID, seenAt: EventTime, endDate: EventTime?, closedAt: EventTime?, acceptingOrders: Bool,
        takerFeeBps: Int, tick: Price, minimumOrder: Shares
    ) {
        self.conditionId = conditionId
        self.seenAt = seenAt
        self.endDate = endDate
        self.closedAt = closedAt
        self.acceptingOrders = acceptingOrders
        self.takerFeeBps = takerFeeBps
        self.tick = tick
        self.minimumOrder = minimumOrder
    }

    /// The last moment the market takes orders: its end date or its closed time, whichever
    /// comes first.
    public var lastOrderTime: EventTime? {
        switch (endDate, closedAt) {
        case (let end?, let closed?): min(end, closed)
        case (let end?, nil): end
        case (nil, let closed?): closed
        case (nil, nil): nil
        }
    }

    /// These terms as they stood at `time`, for a version first seen only after it (a replay
    /// sees every market at the end of its world; a live stage saw nothing before it started).
    /// What is fixed when a market opens — end date, fee, tick, minimum — is taken as seen; a
    /// close after `time` had not happened then, so the market was taking orders and the later
    /// close is not used (it would be lookahead). A version seen by `time` is returned as it is.
    public func projected(to time: EventTime) -> MarketTerms {
        guard seenAt > time else { return self }
        var then = self
        if let closed = closedAt, closed > time {
            then.closedAt = nil
            then.acceptingOrders = true
        } else if closedAt == nil {
            then.acceptingOrders = true
        }
        return then
    }

    /// Whether everything but `seenAt` is the same: a new version is stored only when the terms change.
    public func sameTerms(as other: MarketTerms) -> Bool {
        var a = self
        a.seenAt = other.seenAt
        return a == other
    }
}

/// Why market data could not answer. A decision that needed it fails closed and names this.
public enum MarketDataProblem: Error, Sendable, Hashable, CustomStringConvertible {
    /// The CLOB has no book for the token then (unknown token, market closed or not yet open).
    case noBook(TokenID, detail: String)
    /// The book came back but cannot be used.
    case badBook(TokenID, OrderBookProblem)
    /// The source could not be reached or refused for a reason retrying will not fix.
    case unavailable(String)
    /// No price of the token at or before the instant, within the look-back.
    case noPrice(TokenID, at: EventTime)

    public var description: String {
        switch self {
        case .noBook(let token, let detail): "no book for token \(token.prefix(12))…: \(detail)"
        case .badBook(let token, let problem): "unusable book for token \(token.prefix(12))…: \(problem)"
        case .unavailable(let detail): "market data unavailable: \(detail)"
        case .noPrice(let token, let time): "no price for token \(token.prefix(12))… at or before \(time)"
        }
    }

    /// A short code for decision reasons and metrics.
    public var code: String {
        switch self {
        case .noBook: "no_book"
        case .badBook: "bad_book"
        case .unavailable: "market_data_unavailable"
        case .noPrice: "no_price"
        }
    }
}
