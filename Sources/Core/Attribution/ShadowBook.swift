public import RemoraModel

/// What a shadow book copies of the whales' orders, each at a fixed size with the same paper
/// execution and fees as our book: the naive copy-all benchmark (every order of every watched
/// whale, no gate) or the rejected signals (what the gate kept out would have earned).
public struct ShadowPolicy: Sendable, Hashable, Codable {
    public enum Copies: String, Sendable, Hashable, Codable {
        /// Every whale order: the copy-all benchmark.
        case all
        /// Only whale orders the gate rejected: the live measure of the gate's quality.
        case rejected
    }

    public var copies: Copies
    /// Cash per copied buy (the benchmark's fixed size).
    public var orderNotional: USDC
    public init(copies: Copies, orderNotional: USDC) {
        self.copies = copies
        self.orderNotional = orderNotional
    }
}

/// A whale's trade as the shadow books see it, with the market at its copy instant: the books
/// there of the tokens it trades or reduces (or why none), the market's taker fee and category.
public struct ShadowOrder: Sendable {
    public var signal: Signal
    public var copyAt: EventTime
    public var books: [TokenID: Result<OrderBook, MarketDataProblem>]
    public var takerFeeBps: Int
    public var category: String
    public init(
        signal: Signal, copyAt: EventTime, books: [TokenID: Result<OrderBook, MarketDataProblem>], takerFeeBps: Int, category: String
    ) {
        self.signal = signal
        self.copyAt = copyAt
        self.books = books
        self.takerFeeBps = takerFeeBps
        self.category = category
    }
}

/// Shadow books: pure functions of the whales' signals in event time.
public enum ShadowBook {
    /// Whether a signal opens a shadow copy: the first fill of each whale buy order (a later fill
    /// names it, ``Signal/orderFirstFill``, whether the gate said `part_of_order` or turned the
    /// whale away first), all of them for copy-all, the rejected ones for the rejected book.
    public static func opens(_ signal: Signal, policy: ShadowPolicy) -> Bool {
        guard signal.side == .buy, !signal.isLaterFillOfOrder else { return false }
        return policy.copies == .all || !signal.accepted
    }

    /// The token a signal reduces and by what share of the whale's position, if it reduces one:
    /// the gate's exit measure when it made one, otherwise a sale against the whale's position
    /// as the shadow book saw it bought.
    public static func reduction(_ signal: Signal, whalePosition: Shares) -> (TokenID, Int64)? {
        // The order's first signal reduced by the whole order (its size is the order's).
        if signal.isLaterFillOfOrder { return nil }
        if let exit = signal.exit { return (exit.asset ?? signal.asset, exit.fractionPpm) }
        // A conversion the gate holds through is held by the shadow books alike.
        guard signal.side == .sell, signal.reason != "conversion_held", whalePosition.micros > 0 else { return nil }
        let fraction = signal.size >= whalePosition ? 1_000_000 : mulDivRounded(signal.size.micros, 1_000_000, whalePosition.micros)
        return (signal.asset, fraction)
    }

    /// Applies one whale trade to a shadow book: a copy of a buy at the fixed size, or the sale of
    /// the same share of what the book holds from that whale. `whaleShares` follows each whale's
    /// position as its signals show it (shared by the shadow books of one run).
    public static func apply(
        _ order: ShadowOrder, to book: inout AttributedBook, policy: ShadowPolicy, whalePosition: Shares,
        executor: any Executor = PaperExecutor()
    ) {
        let signal = order.signal
        if let (token, fractionPpm) = reduction(signal, whalePosition: whalePosition) {
            let held = book.held(token, from: signal.wallet)
            if held.micros > 0 {
                let wanted = Shares(micros: fractionPpm >= 1_000_000 ? held.micros : mulDivRounded(held.micros, fractionPpm, 1_000_000))
                sell(token, shares: wanted, whale: signal.wallet, order: order, book: &book, executor: executor)
            }
        }
        if opens(signal, policy: policy) {
            let market: OrderBook
            switch order.books[signal.asset] {
            case .success(let found)?: market = found
            case .failure(let problem)?: book.missed[problem.code, default: 0] += 1; return
            case nil: book.missed["no_book", default: 0] += 1; return
            }
            let report = executor.execute(.buy(notional: policy.orderNotional), against: market, takerFeeBps: order.takerFeeBps)
            let walk = report.walk
            if walk.refusal != nil { book.missed["below_market_minimum", default: 0] += 1; return }
            guard walk.shares.micros > 0 else { book.missed["nothing_to_take", default: 0] += 1; return }
            guard walk.cash + report.fee <= book.cash else { book.missed["insufficient_cash", default: 0] += 1; return }
            book.bought(
                signal.asset, market: signal.conditionId, outcomeIndex: signal.outcomeIndex, category: order.category,
                whale: signal.wallet, shares: walk.shares, cash: walk.cash, fee: report.fee, mark: market.midpoint)
        }
    }

    private static func sell(
        _ token: TokenID, shares: Shares, whale: WalletAddress, order: ShadowOrder, book: inout AttributedBook,
        executor: any Executor
    ) {
        guard shares.micros > 0 else { return }
        guard case .success(let market)? = order.books[token] else {
            book.missed["exit_without_book", default: 0] += 1
            return
        }
        let report = executor.execute(.sell(shares: shares), against: market, takerFeeBps: order.takerFeeBps)
        guard report.walk.refusal == nil, report.walk.shares.micros > 0 else {
            book.missed["exit_not_filled", default: 0] += 1
            return
        }
        book.sold(token, whale: whale, shares: report.walk.shares, cash: report.walk.cash, fee: report.fee, mark: market.midpoint)
    }

    /// The tokens whose books a signal may need at its copy instant: the traded one and, for an
    /// exit through the other outcome, the one it reduces.
    public static func bookTokens(of signal: Signal) -> Set<TokenID> {
        Set([signal.asset] + (signal.exit?.asset.map { [$0] } ?? []))
    }
}
