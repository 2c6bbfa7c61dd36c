public import RemoraModel

/// One open position of the copy book.
public struct BookPosition: Sendable, Hashable, Codable {
    public var asset: TokenID
    public var conditionId: ConditionID
    public var outcomeIndex: Int
    public var shares: Shares
    public var cost: USDC
    /// The market's price as last marked (market data's mark at the latest decision; the book's
    /// midpoint at the first fill when the series had no point yet).
    public var mark: Price

    public init(asset: TokenID, conditionId: ConditionID, outcomeIndex: Int, shares: Shares, cost: USDC, mark: Price) {
        self.asset = asset
        self.conditionId = conditionId
        self.outcomeIndex = outcomeIndex
        self.shares = shares
        self.cost = cost
        self.mark = mark
    }

    public var value: USDC { shares.value(at: mark) }
}

/// What the risk guard groups a market's exposure by: its category (the 30 % cap) and its
/// negative-risk event (markets of one such event are one exposure).
public struct MarketGroup: Sendable, Hashable {
    public var category: String
    public var negRiskEvent: String?
    public init(category: String, negRiskEvent: String? = nil) {
        self.category = category
        self.negRiskEvent = negRiskEvent
    }
}

/// An entry filled: when, for which whale, which token.
public struct RecentEntry: Sendable, Hashable, Codable {
    public var at: EventTime
    public var wallet: WalletAddress
    public var asset: TokenID
    public init(at: EventTime, wallet: WalletAddress, asset: TokenID) {
        self.at = at
        self.wallet = wallet
        self.asset = asset
    }
}

/// Which whale's copy a holding came from: exits sell only what was bought copying that whale.
public struct WhaleHolding: Sendable, Hashable, Codable {
    public var wallet: WalletAddress
    public var asset: TokenID
    public init(wallet: WalletAddress, asset: TokenID) {
        self.wallet = wallet
        self.asset = asset
    }
}

/// The copy book: cash and positions, all exact.
public struct Book: Sendable, Hashable, Codable {
    public var initialCash: USDC
    public var cash: USDC
    public var realizedPnl: USDC
    public var positions: [TokenID: BookPosition]
    /// The shares of each position by the whale whose copies bought them, net of exits (the
    /// filled decisions' sum: `BookStore.load` reads it back).
    public var fromWhales: [WhaleHolding: Shares] = [:]
    /// The highest NAV the risk guard has seen at its decisions and resolutions (nil: the
    /// initial cash): the book's drawdown, behind k_dd, is measured from it.
    public var peakNav: USDC?
    /// The entries filled in the last minute of event time: the order-rate limit and the
    /// duplicate guard read them (``RiskGuard``).
    public var recentEntries: [RecentEntry] = []
    /// The mVaR state: ACTIVE, or REDUCING from a measurement above the limit until one below
    /// the lower threshold (``TradingState/measured(_:loss:policy:)``).
    public var measuredState: TradingState = .active
    /// The operator's halt in force, if any (until a resume).
    public var halt: RiskAction?
    /// The last operator action applied (``RiskAction/id``): each is applied once.
    public var actionsThrough: Int64 = 0
    /// Each held token's trailing stop (``PositionControls``): set at entry, moved up at each
    /// control instant, dropped when the position closes.
    public var stops: [TokenID: Price] = [:]
    /// The last control instant run (nil: none yet): controls resume after it.
    public var controlledThrough: EventTime?
    /// What the book may do now: HALTED while halted, else the mVaR state.
    public var tradingState: TradingState { halt == nil ? measuredState : .halted }

    public init(initialCash: USDC, cash: USDC? = nil, realizedPnl: USDC = .zero, positions: [TokenID: BookPosition] = [:]) {
        self.initialCash = initialCash
        self.cash = cash ?? initialCash
        self.realizedPnl = realizedPnl
        self.positions = positions
    }

    /// Market value of open positions at their marks.
    public var exposure: USDC { positions.values.reduce(.zero) { $0 + $1.value } }
    /// Cash plus positions at their marks.
    public var nav: USDC { cash + exposure }
    /// How far NAV is below its peak, as a positive fraction (0 at or above it).
    public var drawdown: Double {
        let peak = max(peakNav ?? initialCash, nav)
        return peak.micros <= 0 ? 0 : max(0, Double(peak.micros - nav.micros) / Double(peak.micros))
    }
    /// The book with its peak moved up to its NAV now.
    public func peaked() -> Book {
        var next = self
        next.peakNav = max(peakNav ?? initialCash, nav)
        return next
    }
    /// The book without the stops of tokens it no longer holds.
    public func pruningStops() -> Book {
        var next = self
        next.stops = stops.filter { positions[$0.key] != nil }
        return next
    }
    /// Open positions' value minus what they cost.
    public var unrealizedPnl: USDC { positions.values.reduce(.zero) { $0 + $1.value - $1.cost } }

    /// Each position marked at `time` where `marks` has a price for its token; the others keep
    /// the mark they had (a token without a point in the look-back: a documented fallback).
    public func marked(at time: EventTime, by marks: Marks) -> Book {
        guard !marks.series.isEmpty else { return self }
        var next = self
        for asset in positions.keys {
            if let point = marks.mark(of: asset, at: time) { next.positions[asset]?.mark = point.price }
        }
        return next
    }
}
