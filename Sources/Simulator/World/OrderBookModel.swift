public import Foundation

/// One price level of a book.
public struct BookLevel: Sendable, Equatable {
    public var price: Double
    public var size: Double
    public init(price: Double, size: Double) {
        self.price = price
        self.size = size
    }
}

/// A book as the CLOB API orders it: bids ascending and asks descending, so the best level of
/// each side is the LAST element.
public struct OrderBookSnapshot: Sendable, Equatable {
    public var bids: [BookLevel]
    public var asks: [BookLevel]
    public var bestBid: Double? { bids.last?.price }
    public var bestAsk: Double? { asks.last?.price }
}

/// The order-book model: the touch straddles the midpoint by the market's usual spread (in
/// ticks); depth grows away from the touch, scaled by the market's liquidity, with log-normal
/// noise. The same inputs give the same book, so a book can be drawn at any moment.
public enum OrderBookModel {
    public static let levelsPerSide = 10

    /// Best bid and best ask of token `outcomeIndex`, in whole ticks: they straddle the midpoint
    /// by the market's usual spread, inside [1, ticks − 1] and at least one tick apart. Trades
    /// in the simulated world happen at this touch, so the books the stub serves agree with them.
    public static func touch(market: MarketTruth, outcomeIndex: Int, midpoint: Double) -> (bid: Int, ask: Int) {
        let tick = market.tick
        let mid = outcomeIndex == 0 ? midpoint : 1 - midpoint
        let ticks = Int((1 / tick).rounded())
        let half = Double(market.spreadTicks) / 2
        let bid = min(max(Int((mid / tick - half + 1e-9).rounded(.down)), 1), ticks - 2)
        let ask = min(max(bid + market.spreadTicks, bid + 1), ticks - 1)
        return (bid, ask)
    }

    /// The book of outcome token `outcomeIndex` (0 or 1) when the first token's midpoint is
    /// `midpoint`. `moment` seeds the noise (use the time bucket the book is drawn for).
    public static func book(
        market: MarketTruth, outcomeIndex: Int, midpoint: Double, moment: Int64
    ) -> OrderBookSnapshot {
        let tick = market.tick
        let ticks = Int((1 / tick).rounded())
        let (bestBid, bestAsk) = touch(market: market, outcomeIndex: outcomeIndex, midpoint: midpoint)
        var rng = SplitMix64(
            seed: UInt64(bitPattern: moment) ^ UInt64(outcomeIndex),
            stream: 0xB00C, index: Int(truncatingIfNeeded: fnv1a(market.conditionId)))
        let unit = max(market.minOrderSize, market.liquidity / 40)
        func size(level: Int, price: Double) -> Double {
            let shares = unit * (1 + 0.6 * Double(level)) * rng.nextLogNormal(median: 1, sigma: 0.5) / max(price, 0.05)
            return max(market.minOrderSize, (shares * 100).rounded() / 100)
        }
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []
        for level in 0..<levelsPerSide {
            let bidTicks = bestBid - level
            if bidTicks >= 1 {
                let price = Double(bidTicks) * tick
                bids.append(BookLevel(price: roundTo(price, places: 6), size: size(level: level, price: price)))
            }
            let askTicks = bestAsk + level
            if askTicks <= ticks - 1 {
                let price = Double(askTicks) * tick
                asks.append(BookLevel(price: roundTo(price, places: 6), size: size(level: level, price: price)))
            }
        }
        // Built best-first; the API lists the best level last on both sides.
        return OrderBookSnapshot(bids: bids.reversed(), asks: asks.reversed())
    }
}

/// FNV-1a 64 of a string: a stable per-market seed.
func fnv1a(_ text: String) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in text.utf8 {
        hash ^= UInt64(byte)
        hash &*= 0x0000_0100_0000_01B3
    }
    return hash
}
