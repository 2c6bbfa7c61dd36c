/// One price level of a book, in micro-units.
public struct DepthLevel: Sendable, Hashable, Codable {
    public var price: Price
    public var size: Shares
    public init(price: Price, size: Shares) {
        self.price = price
        self.size = size
    }
}

/// Why a book cannot be used. A decision that needed the book fails closed and says which.
public enum OrderBookProblem: Error, Sendable, Hashable, CustomStringConvertible {
    case emptySide(Side)
    case crossed(bestBid: Price, bestAsk: Price)
    case priceOutOfRange(Price)
    case offTick(Price, tick: Price)
    case nonPositiveSize(Price)
    case badTick(Price)

    public var description: String {
        switch self {
        case .emptySide(let side): "the book has no \(side == .buy ? "bids" : "asks")"
        case .crossed(let bid, let ask): "crossed book: best bid \(bid) ≥ best ask \(ask)"
        case .priceOutOfRange(let price): "price \(price) outside (0, 1)"
        case .offTick(let price, let tick): "price \(price) off the \(tick) tick"
        case .nonPositiveSize(let price): "non-positive size at \(price)"
        case .badTick(let tick): "tick \(tick) outside (0, 0.1]"
        }
    }
}

/// An order book in micro-units, canonical whatever order the source listed it in: bids
/// best-first (descending), asks best-first (ascending), one level per price (sizes at a repeated
/// price summed). The CLOB lists bids ascending and asks descending, so the best level of each
/// is its LAST element; this type never depends on that.
public struct OrderBook: Sendable, Hashable, Codable {
    public let bids: [DepthLevel]
    public let asks: [DepthLevel]
    public let tick: Price
    public let minimumOrder: Shares
    /// The price of the token's last trade, when the source says (informational: never used to fill).
    public var lastTradePrice: Price?
    /// When the source took the book (the CLOB's `timestamp`), when it says: the risk guard
    /// refuses a book older than its limit at the decision's instant.
    public var asOf: EventTime?

    /// Validates and normalises: every price inside (0, 1) and on `tick`, every size positive,
    /// both sides present, best bid below best ask.
    public init(
        bids: [DepthLevel], asks: [DepthLevel], tick: Price, minimumOrder: Shares = .zero, lastTradePrice: Price? = nil
    ) throws(OrderBookProblem) {
        guard tick.micros > 0, tick.micros <= 100_000 else { throw .badTick(tick) }
        func normalised(_ levels: [DepthLevel], descending: Bool) throws(OrderBookProblem) -> [DepthLevel] {
            var byPrice: [Int64: Int64] = [:]
            for level in levels {
                guard level.price.micros > 0, level.price.micros < microsPerUnit else { throw .priceOutOfRange(level.price) }
                guard level.price.micros % tick.micros == 0 else { throw .offTick(level.price, tick: tick) }
                guard level.size.micros > 0 else { throw .nonPositiveSize(level.price) }
                byPrice[level.price.micros, default: 0] += level.size.micros
            }
            let prices = byPrice.keys.sorted(by: descending ? (>) : (<))
            return prices.map { DepthLevel(price: Price(micros: $0), size: Shares(micros: byPrice[$0]!)) }
        }
        let bids = try normalised(bids, descending: true)
        let asks = try normalised(asks, descending: false)
        guard let bestBid = bids.first else { throw .emptySide(.buy) }
        guard let bestAsk = asks.first else { throw .emptySide(.sell) }
        guard bestBid.price < bestAsk.price else { throw .crossed(bestBid: bestBid.price, bestAsk: bestAsk.price) }
        self.bids = bids
        self.asks = asks
        self.tick = tick
        self.minimumOrder = minimumOrder
        self.lastTradePrice = lastTradePrice
    }

    public var bestBid: DepthLevel { bids[0] }
    public var bestAsk: DepthLevel { asks[0] }

    /// (best bid + best ask) ÷ 2, truncated to the micro-USDC.
    public var midpoint: Price { Price(micros: (bestBid.price.micros + bestAsk.price.micros) / 2) }

    /// The side a taker of `side` walks: asks for a buy, bids for a sale.
    public func levels(takenBy side: Side) -> [DepthLevel] { side == .buy ? asks : bids }
}

extension OrderBook {
    /// The book with the side a `side` order takes cut to the levels within `band` of the
    /// midpoint (the other side as it is), or nil when no level is that close.
    public func banded(_ side: Side, within band: Price) -> OrderBook? {
        let mid = midpoint.micros
        let kept = side == .buy ? asks.filter { $0.price.micros - mid <= band.micros } : bids.filter { mid - $0.price.micros <= band.micros }
        guard !kept.isEmpty else { return nil }
        if kept.count == (side == .buy ? asks.count : bids.count) { return self }
        guard var cut = try? OrderBook(
            bids: side == .buy ? bids : kept, asks: side == .buy ? kept : asks, tick: tick, minimumOrder: minimumOrder,
            lastTradePrice: lastTradePrice)
        else { return nil }
        cut.asOf = asOf
        return cut
    }

    /// The book with its asks cut to those at or below `limit` (a buy's limit price; the bids as
    /// they are), or nil when no ask is that low.
    public func asks(atMost limit: Price) -> OrderBook? {
        let kept = asks.filter { $0.price <= limit }
        guard !kept.isEmpty else { return nil }
        if kept.count == asks.count { return self }
        guard var cut = try? OrderBook(bids: bids, asks: kept, tick: tick, minimumOrder: minimumOrder, lastTradePrice: lastTradePrice)
        else { return nil }
        cut.asOf = asOf
        return cut
    }
}
