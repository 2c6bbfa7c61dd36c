public import RemoraModel

/// Limits of the risk guard's simplest real job.
public struct RiskPolicy: Sendable, Hashable {
    /// Open exposure may not exceed this fraction of NAV (ppm; 500_000 = 50 %).
    public var maxExposurePpm: Int64
    /// Orders below this are not worth a fill.
    public var minimumOrder: USDC

    public init(maxExposurePpm: Int64 = 500_000, minimumOrder: USDC = 1) {
        self.maxExposurePpm = maxExposurePpm
        self.minimumOrder = minimumOrder
    }
}

/// The risk guard on the submit path: a typed decision with a reason, and paper execution at the
/// whale's price. Pure: the book and the event time come in, the decision and the new book go out.
public enum RiskGuard {
    /// - Parameters:
    ///   - book: the book, or nil when it cannot be read: then every order is blocked with
    ///     `portfolio_unavailable` (the guard fails closed).
    ///   - marketResolved: the order's market has already resolved (its resolution was applied to
    ///     the book): nothing is bought in a market that has ended.
    public static func decide(
        _ order: ProposedOrder, book: Book?, policy: RiskPolicy, at time: EventTime, marketResolved: Bool = false
    ) -> (OrderDecision, Book?) {
        func blocked(_ reason: String) -> (OrderDecision, Book?) {
            (OrderDecision(
                orderId: order.orderId, tradeId: order.tradeId, wallet: order.wallet, conditionId: order.conditionId,
                asset: order.asset, outcomeIndex: order.outcomeIndex, side: order.side, status: .blocked,
                reason: reason, fillPrice: order.limitPrice, fillShares: .zero, fillNotional: .zero,
                navBefore: book?.nav ?? .zero, decidedAt: time), book)
        }
        guard let book else { return blocked("portfolio_unavailable") }
        let nav = book.nav
        guard !marketResolved else { return blocked("market_resolved") }
        guard order.side == .buy else { return blocked("unsupported_side") }
        guard order.limitPrice.micros > 0, order.limitPrice.micros < microsPerUnit else { return blocked("invalid_price") }
        let wanted = nav.scaled(partsPerMillion: order.fractionPpm)
        guard wanted >= policy.minimumOrder else { return blocked("below_minimum_order") }
        guard wanted <= book.cash else { return blocked("insufficient_cash") }
        let cap = nav.scaled(partsPerMillion: policy.maxExposurePpm)
        guard book.exposure + wanted <= cap else { return blocked("exposure_cap") }
        let shares = wanted.shares(at: order.limitPrice)
        let paid = shares.value(at: order.limitPrice)
        var next = book
        next.cash = next.cash - paid
        var position = next.positions[order.asset]
            ?? BookPosition(
                asset: order.asset, conditionId: order.conditionId, outcomeIndex: order.outcomeIndex, shares: .zero,
                cost: .zero, mark: order.limitPrice)
        position.shares = position.shares + shares
        position.cost = position.cost + paid
        position.mark = order.limitPrice
        next.positions[order.asset] = position
        let decision = OrderDecision(
            orderId: order.orderId, tradeId: order.tradeId, wallet: order.wallet, conditionId: order.conditionId,
            asset: order.asset, outcomeIndex: order.outcomeIndex, side: order.side, status: .filled,
            reason: "within_limits", fillPrice: order.limitPrice, fillShares: shares, fillNotional: paid,
            navBefore: nav, decidedAt: time)
        return (decision, next)
    }

    /// Closes every position of a resolved market at its payout; realized P&L moves to cash.
    public static func apply(_ resolution: MarketResolution, to book: Book) -> Book {
        var next = book
        for (asset, position) in book.positions where position.conditionId == resolution.conditionId {
            let proceeds = position.shares.value(at: resolution.outcome.payout(forOutcome: position.outcomeIndex))
            next.cash = next.cash + proceeds
            next.realizedPnl = next.realizedPnl + proceeds - position.cost
            next.positions[asset] = nil
        }
        return next
    }
}
