import Foundation
import RemoraSimulator

/// One outcome token held by one wallet, with average-cost accounting: a buy adds its cost, a
/// sale takes out the average cost of the shares sold and realizes the difference.
struct Holding {
    var size = 0.0
    var cost = 0.0
    /// Shares bought in total.
    var bought = 0.0
    /// Profit realized by sales (and by redemption, once resolved).
    var realized = 0.0

    var averagePrice: Double { size > 0 ? cost / size : 0 }

    mutating func buy(shares: Double, price: Double) {
        size += shares
        cost += shares * price
        bought += shares
    }

    /// A sale beyond the shares held cannot happen on Polymarket (no shorting); it is clipped.
    mutating func sell(shares: Double, price: Double) {
        let sold = min(shares, size)
        guard sold > 0 else { return }
        let average = averagePrice
        realized += sold * (price - average)
        cost -= sold * average
        size -= sold
        if size < 1e-9 {
            size = 0
            cost = 0
        }
    }
}

/// A negative-risk conversion: `shares` of the market's "No" exchanged for as many "Yes" of
/// each other market of its event still trading.
struct StubConversion {
    let time: Int64
    let market: Int
    let shares: Double
    let transactionHash: String
}

/// A wallet's tokens redeemed when a market resolved: all shares of both outcomes, paid 1/0
/// (0.5 each when void).
struct Redemption {
    let market: Int
    let time: Int64
    let shares: Double
    let payout: Double
}

/// A wallet's book at one moment: open holdings (markets not yet resolved) and the
/// redemptions so far. Positions are redeemed automatically at resolution.
struct WalletBook {
    /// Key: market × 2 + outcome.
    var holdings: [Int: Holding] = [:]
    var redemptions: [Redemption] = []
}

extension StubWorld {
    /// The trade indexes of `wallet` with `timestamp <= now`, ascending.
    func visibleTrades(ofWallet wallet: Int, at now: Int64) -> ArraySlice<Int32> {
        let list = wallets.tradeIndexes[wallet]
        let visible = Int32(trades.visibleCount(at: now))
        return list[..<upperBound(list.count, visible - 1) { list[$0] }]
    }

    func book(ofWallet wallet: Int, at now: Int64) -> WalletBook {
        var book = WalletBook()
        // Conversions in time order with the fills (a conversion before a fill of its instant).
        var pending = conversions[wallet].filter { $0.time <= now }[...]
        func convert(through time: Int64) {
            while let next = pending.first, next.time <= time {
                pending.removeFirst()
                apply(next, to: &book)
            }
        }
        for trade in visibleTrades(ofWallet: wallet, at: now) {
            let t = Int(trade)
            convert(through: trades.timestamp[t])
            let key = Int(trades.market[t]) * 2 + Int(trades.outcome[t])
            if trades.isBuy[t] {
                book.holdings[key, default: Holding()].buy(shares: trades.size[t], price: trades.price[t])
            } else {
                book.holdings[key, default: Holding()].sell(shares: trades.size[t], price: trades.price[t])
            }
        }
        convert(through: now)
        // Settle every market resolved by now, in resolution order.
        let heldMarkets = Set(book.holdings.keys.map { $0 / 2 })
            .filter { markets[$0].truth.resolvedAt <= now }
            .sorted { (markets[$0].truth.resolvedAt, $0) < (markets[$1].truth.resolvedAt, $1) }
        for market in heldMarkets {
            var shares = 0.0
            var payout = 0.0
            for outcome in 0..<2 {
                guard let holding = book.holdings.removeValue(forKey: market * 2 + outcome) else { continue }
                shares += holding.size
                payout += holding.size * markets[market].payout(outcome: outcome)
            }
            if shares > 0 {
                book.redemptions.append(
                    Redemption(market: market, time: markets[market].truth.resolvedAt, shares: shares, payout: payout))
            }
        }
        return book
    }

    /// The markets a conversion of `market`'s "No" pays "Yes" of: the event's others still trading.
    func conversionLegs(of market: Int, at time: Int64) -> [Int] {
        guard let id = markets[market].eventId, let event = eventById[id] else { return [] }
        return events[event].markets.filter { $0 != market && markets[$0].truth.closedTime > time }
    }

    /// The "No" shares leave at their average cost, which the legs share equally.
    private func apply(_ conversion: StubConversion, to book: inout WalletBook) {
        let key = conversion.market * 2 + 1
        guard var no = book.holdings[key], no.size > 0 else { return }
        let shares = min(conversion.shares, no.size)
        let cost = shares * no.averagePrice
        no.cost -= cost
        no.size -= shares
        book.holdings[key] = no.size < 1e-9 ? nil : no
        let legs = conversionLegs(of: conversion.market, at: conversion.time)
        for leg in legs {
            book.holdings[leg * 2, default: Holding()].buy(shares: shares, price: cost / shares / Double(legs.count))
        }
    }
}
