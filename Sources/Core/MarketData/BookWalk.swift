public import RemoraModel

/// What an order would get by taking a book: a pure function of the book and the order, exact
/// in micro-units (each level's cash truncated to the micro-USDC, as the exchange's integer
/// arithmetic does; see "Money" in docs/architecture.md).
public struct BookWalk: Sendable, Hashable {
    /// One level taken.
    public struct Fill: Sendable, Hashable {
        public var price: Price
        public var shares: Shares
        public var cash: USDC
    }

    public enum Refusal: Sendable, Hashable, CustomStringConvertible {
        /// The order is below the market's minimum size.
        case belowMinimum(Shares, minimum: Shares)
        public var description: String {
            switch self {
            case .belowMinimum(let shares, let minimum): "\(shares) shares below the market's minimum of \(minimum)"
            }
        }
    }

    public var side: Side
    public var fills: [Fill]
    /// Shares taken and cash paid (a buy) or received (a sale), before fees.
    public var shares: Shares
    public var cash: USDC
    /// What the book could not take: shares (a share-count order) or cash (a notional order).
    public var unfilledShares: Shares
    public var unfilledCash: USDC
    /// Set when the order was refused whole.
    public var refusal: Refusal?
    /// The order took every level of the side and wanted more: a partial fill because the book
    /// ran out (not the sub-micro residue a notional leaves when it does not divide into shares).
    public var exhausted = false
    /// The book's midpoint then.
    public var midpoint: Price

    /// cash ÷ shares, truncated to the micro-USDC; nil when nothing was taken.
    public var averagePrice: Price? {
        shares.micros > 0 ? Price(micros: mulDivTruncated(cash.micros, microsPerUnit, shares.micros)) : nil
    }

    /// How much worse than the midpoint the average price is, in basis points of the midpoint
    /// (positive: the order paid for crossing the spread and for its size). Analytics only.
    public var slippageBps: Double? {
        guard shares.micros > 0, midpoint.micros > 0 else { return nil }
        let average = Double(cash.micros) / Double(shares.micros)
        let mid = Double(midpoint.micros) / Double(microsPerUnit)
        return (side == .buy ? average - mid : mid - average) / mid * 10_000
    }

    /// Takes `shares` from the side a `side` order takes, best level first.
    public static func take(_ side: Side, shares wanted: Shares, from book: OrderBook) -> BookWalk {
        var walk = BookWalk(
            side: side, fills: [], shares: .zero, cash: .zero, unfilledShares: wanted, unfilledCash: .zero, refusal: nil,
            midpoint: book.midpoint)
        guard wanted >= book.minimumOrder else {
            walk.refusal = .belowMinimum(wanted, minimum: book.minimumOrder)
            return walk
        }
        var left = wanted.micros
        for level in book.levels(takenBy: side) where left > 0 {
            let take = min(left, level.size.micros)
            walk.append(price: level.price, shares: Shares(micros: take))
            left -= take
        }
        walk.unfilledShares = Shares(micros: left)
        walk.exhausted = left > 0
        return walk
    }

    /// Spends (a buy) or raises (a sale) up to `notional` of cash, best level first; whole
    /// micro-shares only, never past the notional.
    public static func take(_ side: Side, notional: USDC, from book: OrderBook) -> BookWalk {
        var walk = BookWalk(
            side: side, fills: [], shares: .zero, cash: .zero, unfilledShares: .zero, unfilledCash: notional, refusal: nil,
            midpoint: book.midpoint)
        var left = notional.micros
        for level in book.levels(takenBy: side) where left > 0 {
            // The most whole micro-shares whose truncated cash stays within what is left.
            var take = min(level.size.micros, USDC(micros: left).shares(at: level.price).micros)
            while take > 0, Shares(micros: take).value(at: level.price).micros > left { take -= 1 }
            // Less than a micro-USDC left buys nothing (a micro-share whose cash truncates to 0
            // would be a gift of the arithmetic).
            guard take > 0, Shares(micros: take).value(at: level.price).micros > 0 else { break }
            let cash = walk.append(price: level.price, shares: Shares(micros: take))
            left -= cash.micros
        }
        walk.unfilledCash = USDC(micros: left)
        let levels = book.levels(takenBy: side)
        walk.exhausted = walk.fills.count == levels.count && walk.fills.last?.shares == levels.last?.size && left > 0
        if walk.shares.micros > 0, walk.shares < book.minimumOrder {
            walk = BookWalk(
                side: side, fills: [], shares: .zero, cash: .zero, unfilledShares: .zero, unfilledCash: notional,
                refusal: .belowMinimum(walk.shares, minimum: book.minimumOrder), midpoint: book.midpoint)
        }
        return walk
    }

    @discardableResult
    private mutating func append(price: Price, shares: Shares) -> USDC {
        let cash = shares.value(at: price)
        fills.append(Fill(price: price, shares: shares, cash: cash))
        self.shares = self.shares + shares
        self.cash = self.cash + cash
        return cash
    }
}
