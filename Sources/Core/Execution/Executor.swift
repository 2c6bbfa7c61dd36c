public import RemoraModel

/// What the risk guard asks of an executor once an order passed every check: buy for a notional
/// (the size in cash), or sell a number of shares.
public enum ExecutionOrder: Sendable, Hashable {
    case buy(notional: USDC)
    case sell(shares: Shares)
}

/// What an execution did: the levels it took (shares, cash, partial or refused) and the taker
/// fee it paid on top of a buy's cash or out of a sale's proceeds.
public struct ExecutionReport: Sendable, Hashable {
    public var walk: BookWalk
    public var fee: USDC
    public init(walk: BookWalk, fee: USDC) {
        self.walk = walk
        self.fee = fee
    }
}

/// Where the risk guard's fills come from. The guard decides *whether* and *how much*; the
/// executor decides what that buys or sells against the market's book of the decision's instant.
/// A live CLOB executor implements the same call (the venue's fills for the order, against its
/// book then) without touching the guard's checks; this repository has the paper one.
public protocol Executor: Sendable {
    func execute(_ order: ExecutionOrder, against book: OrderBook, takerFeeBps: Int) -> ExecutionReport
}

/// Paper execution: walks the book level by level for the order's size, exact to the micro-unit
/// (``BookWalk``: the market's minimum size refused whole, a partial fill when the side runs
/// out), and charges Polymarket's taker fee, `shares × rate × p × (1 − p)` at each level taken.
/// The market's book is not moved: a paper fill is assumed small against the next snapshot.
public struct PaperExecutor: Executor {
    public init() {}

    public func execute(_ order: ExecutionOrder, against book: OrderBook, takerFeeBps: Int) -> ExecutionReport {
        let walk: BookWalk
        switch order {
        case .buy(let notional): walk = BookWalk.take(.buy, notional: notional, from: book)
        case .sell(let shares): walk = BookWalk.take(.sell, shares: shares, from: book)
        }
        guard takerFeeBps > 0 else { return ExecutionReport(walk: walk, fee: .zero) }
        let fee = walk.fills.reduce(USDC.zero) {
            $0 + Settlement.takerFee(size: $1.shares, price: $1.price, feePpm: Int64(takerFeeBps) * 100)
        }
        return ExecutionReport(walk: walk, fee: fee)
    }
}
