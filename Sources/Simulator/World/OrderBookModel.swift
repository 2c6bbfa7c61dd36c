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

/// The touch of one token: best bid and best ask in micro-USDC, on the tick in force there.
public struct Touch: Sendable, Equatable {
    public var bidMicros: Int64
    public var askMicros: Int64
    public var tickMicros: Int64
    public var bid: Double { Double(bidMicros) / 1e6 }
    public var ask: Double { Double(askMicros) / 1e6 }
    public var tick: Double { Double(tickMicros) / 1e6 }
}

/// The order-book model: the touch straddles the midpoint by the market's usual spread (in
/// ticks), each side rounded to the nearest tick, so a spread costs buyers and sellers alike;
/// depth grows away from the touch, scaled by the market's liquidity, with log-normal noise. The
/// same inputs give the same book, so a book can be drawn at any moment.
public enum OrderBookModel {
    public static let levelsPerSide = 10

    /// Polymarket's tick at a price: 0.001 below 0.04 and above 0.96 (where a cent would be a
    /// large share of the price), the market's own tick between.
    public static func tick(market: MarketTruth, price: Double) -> Double {
        price < 0.04 || price > 0.96 ? min(market.tick, 0.001) : market.tick
    }

    /// Best bid and best ask of token `outcomeIndex`: centred on the midpoint, `spreadTicks`
    /// apart, the bid rounded to the nearest tick; inside (0, 1) and at least one tick apart.
    /// Trades in the simulated world happen at this touch, so the books the stub serves agree
    /// with them.
    public static func touch(market: MarketTruth, outcomeIndex: Int, midpoint: Double) -> Touch {
        let mid = outcomeIndex == 0 ? midpoint : 1 - midpoint
        let tickMicros = Int64((tick(market: market, price: mid) * 1e6).rounded())
        let ticks = 1_000_000 / tickMicros
        let spread = Int64(max(1, market.spreadTicks))
        let bidTicks = min(max(Int64((mid * 1e6 / Double(tickMicros) - Double(spread) / 2).rounded()), 1), ticks - 2)
        let askTicks = min(bidTicks + spread, ticks - 1)
        return Touch(bidMicros: bidTicks * tickMicros, askMicros: askTicks * tickMicros, tickMicros: tickMicros)
    }

    /// The book of outcome token `outcomeIndex` (0 or 1) when the first token's midpoint is
    /// `midpoint`. `moment` seeds the noise (use the time bucket the book is drawn for).
    ///
    /// `taken` is the depth takers took from each side and the book has not refilled yet
    /// (``ReactiveDepth``): it is removed from the best level outwards, so after a large buy the
    /// best ask is further out until the makers come back.
    public static func book(
        market: MarketTruth, outcomeIndex: Int, midpoint: Double, moment: Int64, taken: ReactiveDepth.Taken = .none
    ) -> OrderBookSnapshot {
        var bids: [BookLevel] = []
        var asks: [BookLevel] = []
        forEachLevel(market: market, outcomeIndex: outcomeIndex, midpoint: midpoint, moment: moment) { isBid, level in
            if isBid { bids.append(level) } else { asks.append(level) }
            return true
        }
        bids = ReactiveDepth.remove(taken.bids, fromBestFirst: bids, keeping: market.minOrderSize)
        asks = ReactiveDepth.remove(taken.asks, fromBestFirst: asks, keeping: market.minOrderSize)
        // Built best-first; the API lists the best level last on both sides.
        return OrderBookSnapshot(bids: bids.reversed(), asks: asks.reversed())
    }

    /// The best ask (`buying`) or best bid of ``book(market:outcomeIndex:midpoint:moment:taken:)``
    /// without building it: the levels are drawn only as far as the taken depth reaches (the
    /// copy values of a million-trade world ask for one per fill).
    public static func bestPrice(
        market: MarketTruth, outcomeIndex: Int, midpoint: Double, moment: Int64, taken: ReactiveDepth.Taken, buying: Bool
    ) -> Double? {
        var left = ((buying ? taken.asks : taken.bids) * 100).rounded(.down) / 100
        var best: Double?
        var last: Double?
        forEachLevel(market: market, outcomeIndex: outcomeIndex, midpoint: midpoint, moment: moment) { isBid, level in
            guard isBid != buying else { return true }
            last = level.price
            if left > 0, left >= level.size {
                left = ((left - level.size) * 100).rounded() / 100
                return true
            }
            best = level.price
            return false
        }
        return best ?? last
    }

    /// The model's levels, best first, bid then ask at each distance from the touch (the order the
    /// noise is drawn in), until `visit` answers false.
    static func forEachLevel(
        market: MarketTruth, outcomeIndex: Int, midpoint: Double, moment: Int64, _ visit: (_ isBid: Bool, BookLevel) -> Bool
    ) {
        let touch = touch(market: market, outcomeIndex: outcomeIndex, midpoint: midpoint)
        var rng = SplitMix64(
            seed: UInt64(bitPattern: moment) ^ UInt64(outcomeIndex),
            stream: 0xB00C, index: Int(truncatingIfNeeded: fnv1a(market.conditionId)))
        let unit = max(market.minOrderSize, market.liquidity / 40)
        func size(level: Int, price: Double) -> Double {
            let shares = unit * (1 + 0.6 * Double(level)) * rng.nextLogNormal(median: 1, sigma: 0.5) / max(price, 0.05)
            return max(market.minOrderSize, (shares * 100).rounded() / 100)
        }
        for level in 0..<levelsPerSide {
            let bidMicros = touch.bidMicros - Int64(level) * touch.tickMicros
            if bidMicros >= touch.tickMicros {
                let price = Double(bidMicros) / 1e6
                guard visit(true, BookLevel(price: roundTo(price, places: 6), size: size(level: level, price: price))) else { return }
            }
            let askMicros = touch.askMicros + Int64(level) * touch.tickMicros
            if askMicros <= 1_000_000 - touch.tickMicros {
                let price = Double(askMicros) / 1e6
                guard visit(false, BookLevel(price: roundTo(price, places: 6), size: size(level: level, price: price))) else { return }
            }
        }
    }
}

/// Liquidity that reacts. A taker's fill takes the depth it crossed from the book, and the makers
/// put it back over minutes: what is still missing decays with a half-life of
/// ``refillHalfLifeSeconds``. So a copy placed right behind a whale's sweep walks a thinner book
/// than one placed later, and the cost of size and of delay comes from the model, not from a
/// constant. The tape itself still records each taker fill at the model's touch.
public enum ReactiveDepth {
    /// How fast taken depth comes back: half of it in five minutes.
    public static let refillHalfLifeSeconds = 300.0
    /// Fills older than this are treated as refilled (twelve half-lives: < 0.03 % still missing).
    public static let memorySeconds: Int64 = 3_600

    /// Shares still missing from each side of one token's book.
    public struct Taken: Sendable, Equatable {
        public var bids: Double
        public var asks: Double
        public init(bids: Double = 0, asks: Double = 0) {
            self.bids = bids
            self.asks = asks
        }
        public static let none = Taken()

        /// Adds a taker fill of `shares` `age` seconds ago (age ≥ 0) in the market: a buy of this
        /// token, or a sale of the other one (the same order on Polymarket's mirrored book), takes
        /// asks; a sale of this token or a buy of the other one takes bids.
        public mutating func add(shares: Double, age: Int64, isBuy: Bool, sameToken: Bool) {
            guard age >= 0, age <= ReactiveDepth.memorySeconds else { return }
            let missing = shares * exp2(-Double(age) / ReactiveDepth.refillHalfLifeSeconds)
            if isBuy == sameToken { asks += missing } else { bids += missing }
        }
    }

    /// `levels` (best first) less `shares` taken from the best level outwards, to the hundredth of
    /// a share; a side taken whole keeps its last level at `keeping` shares (an open market's book
    /// is never one-sided).
    public static func remove(_ shares: Double, fromBestFirst levels: [BookLevel], keeping: Double) -> [BookLevel] {
        var left = (shares * 100).rounded(.down) / 100
        guard left > 0, let last = levels.last else { return levels }
        var out: [BookLevel] = []
        for level in levels {
            if left >= level.size {
                left = ((left - level.size) * 100).rounded() / 100
                continue
            }
            let size = ((level.size - left) * 100).rounded() / 100
            left = 0
            if size > 0 { out.append(BookLevel(price: level.price, size: size)) }
        }
        return out.isEmpty ? [BookLevel(price: last.price, size: max(keeping, 0.01))] : out
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

/// The first index in `0..<count` whose key exceeds `value` (keys non-decreasing).
public func upperBound<T: Comparable>(_ count: Int, _ value: T, key: (Int) -> T) -> Int {
    var low = 0
    var high = count
    while low < high {
        let middle = (low + high) / 2
        if key(middle) <= value { low = middle + 1 } else { high = middle }
    }
    return low
}
