public import RemoraModel

/// A whale's *order*: its fills of one transaction in one token on one side. The gate and the
/// sizer decide an order once — on its whole size at its average price — not each fill: a
/// whale's 50,000 USDC buy matched against twelve resting orders is one signal, not twelve
/// small ones under the notional minimum.
public struct WhaleOrder: Sendable, Hashable {
    /// The fill that stands for the order: the first stored (its signal carries the verdict).
    public var first: Trade
    /// The order as one trade: the first fill's fields with the total size and the average
    /// price (cash ÷ shares to the nearest micro-USDC).
    public var combined: Trade
    public var fills: Int

    /// What makes fills one order.
    public static func key(of trade: Trade) -> String {
        "\(trade.wallet.rawValue):\(trade.transactionHash.lowercased()):\(trade.asset):\(trade.side.rawValue)"
    }

    /// `fills` in the order they were stored (the first is the order's), all with one key.
    public init?(_ fills: [Trade]) {
        guard let first = fills.first else { return nil }
        var shares: Int64 = 0
        var cash: Int64 = 0
        for fill in fills {
            shares += fill.size.micros
            cash += fill.size.value(at: fill.price).micros
        }
        var combined = first
        combined.size = Shares(micros: shares)
        combined.price = shares > 0 ? Price(micros: mulDivRounded(cash, microsPerUnit, shares)) : first.price
        if fills.contains(where: { $0.role != first.role }) { combined.role = .unknown }
        self.first = first
        self.combined = combined
        self.fills = fills.count
    }
}
