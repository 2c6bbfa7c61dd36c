public import RemoraModel

/// What a negative-risk conversion pays: converting one market's "No" gives as many "Yes" of
/// each other market of its event. The gate counts those "Yes" in the whale's positions, so a
/// later sale of one, or a buy of its "No", is seen as the reduction it is.
///
/// Every other market of the event is paid, with no look at which still trade: the gate asks
/// about a market only for an order in it, later than the conversion, so that market was
/// trading when the conversion paid it. (`WhaleExitStore.standings` applies the same rule.)
public struct ConversionLegs: Sendable {
    public struct Leg: Sendable, Hashable {
        public var market: ConditionID
        /// The market's "Yes": its first token.
        public var yes: TokenID
    }

    private var legs: [ConditionID: [Leg]] = [:]

    /// No events: conversions pay nothing the gate counts.
    public init() {}

    /// From the markets as the resolver keeps them (their `negRiskEvent`).
    public init(markets: [Market]) {
        var events: [String: [Leg]] = [:]
        for market in markets {
            guard let event = market.negRiskEvent, let yes = market.tokenIds.first else { continue }
            events[event, default: []].append(Leg(market: market.conditionId, yes: yes))
        }
        for members in events.values {
            for member in members { legs[member.market] = members.filter { $0.market != member.market } }
        }
    }

    /// The "Yes" a conversion of `market`'s "No" pays, one share of each per share converted.
    public func paid(byConversionIn market: ConditionID) -> [Leg] { legs[market] ?? [] }
}
