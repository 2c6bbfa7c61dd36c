import Foundation

/// What copying a fill is worth: the expected value per dollar of taking the same side of the
/// same token `lag` seconds after it, as a taker, at the best price of the book the copy finds
/// then — the midpoint moved by the orders before it (``PriceMove``), the depth the takers before
/// it took still missing in part (``ReactiveDepth``) — against the true probability at that
/// instant, after the taker fee. The label `truth.json` carries per fill (`copyValues`), and
/// what `remora calibrate` prints as the cost of delay.
public struct CopyValue: Sendable {
    let world: SimulatedWorld
    /// Each market's taker fills (indexes into `world.trades`), in time order.
    let takerFills: [[Int32]]

    public init(_ world: SimulatedWorld) {
        self.world = world
        var fills = [[Int32]](repeating: [], count: world.markets.count)
        for (index, t) in world.trades.enumerated() where !t.isMaker { fills[Int(t.market)].append(Int32(index)) }
        takerFills = fills
    }

    /// Per dollar of the copy, four decimals; 0 when the market no longer trades then or the
    /// book has no price.
    public func perDollar(trade index: Int, lag: Int64) -> Double {
        let t = world.trades[index]
        let market = world.markets[Int(t.market)]
        let instant = t.time + lag
        guard instant < market.truth.closedTime - 120 else { return 0 }
        let outcome = Int(t.outcomeIndex)
        let fills = takerFills[Int(t.market)]
        var taken = ReactiveDepth.Taken.none
        var k = upperBound(fills.count, instant) { world.trades[Int(fills[$0])].time } - 1
        while k >= 0 {
            let fill = world.trades[Int(fills[k])]
            let age = instant - fill.time
            if age > ReactiveDepth.memorySeconds { break }
            taken.add(shares: Double(fill.sharesMicros) / 1e6, age: age, isBuy: fill.isBuy, sameToken: Int(fill.outcomeIndex) == outcome)
            k -= 1
        }
        guard
            let price = OrderBookModel.bestPrice(
                market: market.truth, outcomeIndex: outcome, midpoint: market.history.midpoint(at: instant), moment: instant / 60,
                taken: taken, buying: t.isBuy)
        else { return 0 }
        let q = market.trueProbability(of: outcome, at: instant)
        let fee = market.truth.takerFeeRate * price * (1 - price)
        return roundTo(((t.isBuy ? q - price : price - q) - fee) / price, places: 4)
    }
}
