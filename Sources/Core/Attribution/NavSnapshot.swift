public import RemoraModel

/// The attributor's simplest real job: NAV and its split into realized and unrealized P&L.
public struct NavSnapshot: Sendable, Hashable, Codable {
    public var asOf: EventTime
    public var nav: USDC
    public var cash: USDC
    public var exposure: USDC
    public var realizedPnl: USDC
    public var unrealizedPnl: USDC
    public var openPositions: Int

    public init(book: Book, asOf: EventTime) {
        self.asOf = asOf
        nav = book.nav
        cash = book.cash
        exposure = book.exposure
        realizedPnl = book.realizedPnl
        unrealizedPnl = book.unrealizedPnl
        openPositions = book.positions.count
    }
}
