import Foundation
public import RemoraModel

/// A CLOB `/book` answer; every number is a string.
public struct ClobBook: Decodable, Sendable {
    public struct Level: Decodable, Sendable, Equatable {
        public var price: Double
        public var size: Double

        enum CodingKeys: String, CodingKey { case price, size }
        public init(price: Double, size: Double) {
            self.price = price
            self.size = size
        }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            price = try c.flexibleDouble(.price) ?? 0
            size = try c.flexibleDouble(.size) ?? 0
        }
    }

    public var market: String
    public var assetId: String
    /// Milliseconds, sent as a string.
    public var timestamp: Int64
    public var hash: String?
    /// As sent: bids ascending and asks descending, so the best of each is the LAST element.
    public var bids: [Level]
    public var asks: [Level]
    public var minOrderSize: Double?
    public var tickSize: Double?
    public var negRisk: Bool
    public var lastTradePrice: Double?

    enum CodingKeys: String, CodingKey {
        case market, hash, bids, asks
        case assetId = "asset_id", timestamp, minOrderSize = "min_order_size", tickSize = "tick_size"
        case negRisk = "neg_risk", lastTradePrice = "last_trade_price"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        market = try c.decodeIfPresent(String.self, forKey: .market) ?? ""
        assetId = try c.decode(String.self, forKey: .assetId)
        timestamp = try c.flexibleInt64(.timestamp) ?? 0
        hash = try c.decodeIfPresent(String.self, forKey: .hash)
        bids = try c.decodeIfPresent([Level].self, forKey: .bids) ?? []
        asks = try c.decodeIfPresent([Level].self, forKey: .asks) ?? []
        minOrderSize = try c.flexibleDouble(.minOrderSize)
        tickSize = try c.flexibleDouble(.tickSize)
        negRisk = try c.decodeIfPresent(Bool.self, forKey: .negRisk) ?? false
        lastTradePrice = try c.flexibleDouble(.lastTradePrice)
    }

    /// The highest bid and the lowest ask, found by price rather than by position: the trap is
    /// reading the first element, which is the worst level.
    public var bestBid: Level? { bids.max { $0.price < $1.price } }
    public var bestAsk: Level? { asks.min { $0.price < $1.price } }
}

/// A CLOB `/prices-history` answer: midpoints `p` at unix seconds `t`.
public struct PriceHistory: Decodable, Sendable {
    public struct Point: Decodable, Sendable, Equatable {
        public var t: Int64
        public var p: Double
    }
    public var history: [Point]
}

/// A CLOB `/markets/{condition_id}` object; closed markets name their winner in `tokens[]`.
public struct ClobMarket: Decodable, Sendable {
    public struct Token: Decodable, Sendable {
        public var tokenId: String
        public var outcome: String
        public var price: Double?
        public var winner: Bool

        enum CodingKeys: String, CodingKey { case tokenId = "token_id", outcome, price, winner }
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            tokenId = try c.decode(String.self, forKey: .tokenId)
            outcome = try c.decodeIfPresent(String.self, forKey: .outcome) ?? ""
            price = try c.flexibleDouble(.price)
            winner = try c.decodeIfPresent(Bool.self, forKey: .winner) ?? false
        }
    }

    public var conditionId: String
    public var closed: Bool
    public var tokens: [Token]
    public var tickSize: Double?
    public var minOrderSize: Double?
    public var negRisk: Bool

    enum CodingKeys: String, CodingKey {
        case conditionId = "condition_id", closed, tokens, tickSize = "minimum_tick_size"
        case minOrderSize = "minimum_order_size", negRisk = "neg_risk"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        conditionId = try c.decode(String.self, forKey: .conditionId)
        closed = try c.decodeIfPresent(Bool.self, forKey: .closed) ?? false
        tokens = try c.decodeIfPresent([Token].self, forKey: .tokens) ?? []
        tickSize = try c.flexibleDouble(.tickSize)
        minOrderSize = try c.flexibleDouble(.minOrderSize)
        negRisk = try c.decodeIfPresent(Bool.self, forKey: .negRisk) ?? false
    }

    /// The index of the token marked `winner`, when exactly one is.
    public var winnerIndex: Int? {
        let winners = tokens.indices.filter { tokens[$0].winner }
        return winners.count == 1 ? winners[0] : nil
    }
}

/// One page of CLOB `/markets` (`next_cursor` "LTE=" marks the end).
public struct ClobMarketsPage: Decodable, Sendable {
    public var data: [ClobMarket]
    public var nextCursor: String?

    enum CodingKeys: String, CodingKey { case data, nextCursor = "next_cursor" }
}

extension ClobBook {
    /// The book in micro-units, canonical (best first on both sides) and validated: a crossed
    /// or one-sided book, a price outside (0, 1) or off the tick, or a size that is not positive
    /// is an ``OrderBookProblem``. Prices and sizes are rounded to the micro from the API's
    /// decimal strings; the tick is the book's own (0.01 when it does not say).
    public func orderBook() throws(OrderBookProblem) -> OrderBook {
        let tick = tickSize.flatMap { Price(rounding: $0) } ?? Price(micros: 10_000)
        func levels(_ list: [Level]) throws(OrderBookProblem) -> [DepthLevel] {
            var out: [DepthLevel] = []
            for level in list {
                guard let price = Price(rounding: level.price) else { throw .priceOutOfRange(Price(micros: 0)) }
                guard let size = Shares(rounding: level.size) else { throw .nonPositiveSize(price) }
                out.append(DepthLevel(price: price, size: size))
            }
            return out
        }
        var book = try OrderBook(
            bids: levels(bids), asks: levels(asks), tick: tick, minimumOrder: minOrderSize.flatMap { Shares(rounding: $0) } ?? .zero,
            lastTradePrice: lastTradePrice.flatMap { Price(rounding: $0) })
        if timestamp > 0 { book.asOf = EventTime(millis: timestamp) }
        return book
    }
}
