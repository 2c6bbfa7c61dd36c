import Foundation

/// The other side of every taker fill: the market's makers, whose resting orders the takers
/// hit. A taker buying a token at p buys it from a maker who holds it (the maker sells at p) or
/// who mints the pair and keeps the complement (the maker buys the other token at 1 − p); a
/// taker selling at p sells to a maker who buys it, or who holds the complement and merges (the
/// maker sells the complement at 1 − p). So every fill has two sides, the spread is a transfer
/// from takers to makers, and so is what informed takers win: a maker earns the spread minus
/// adverse selection. Summed over all wallets, the world's P&L is minus the fees.
enum MakerDesk {
    /// A maker's fills in one market and its accounting there.
    struct Book: Sendable {
        var fills: [SimulatedTrade] = []
        var positions = PositionLedger()
    }

    /// Two makers quote each market (one when the world has one), drawn from the market's own
    /// stream: the same world gives the same pairing whatever the scheduling.
    static func makers(of market: Int, among makers: [Int], seed: UInt64) -> [Int] {
        guard makers.count > 1 else { return makers }
        var rng = SplitMix64(seed: seed, stream: 6, index: market)
        let first = Int(rng.next() % UInt64(makers.count))
        var second = Int(rng.next() % UInt64(makers.count - 1))
        if second >= first { second += 1 }
        return [makers[first], makers[second]]
    }

    /// The makers' fills against `takerFills` (one market's, in time order), per maker.
    static func match(
        market m: Int, takerFills: [SimulatedTrade], makers: [Int], floor: TradingFloor, seed: UInt64
    ) -> [Int: Book] {
        guard !makers.isEmpty else { return [:] }
        var rng = SplitMix64(seed: seed, stream: 7, index: m)
        var books: [Int: Book] = [:]
        for taker in takerFills {
            let maker = makers.count == 1 ? makers[0] : makers[Int(rng.next() % UInt64(makers.count))]
            var book = books[maker] ?? Book()
            let outcome = Int(taker.outcomeIndex)
            let complement = 1 - outcome
            let shares = taker.sharesMicros
            // The maker's side: the same token the other way if it can (holds it to sell, or
            // buys what the taker sells), else the complement at 1 − p.
            let (side, isBuy, price): (Int, Bool, Int64)
            if taker.isBuy {
                (side, isBuy, price) =
                    book.positions.shares(m << 1 | outcome) >= shares
                    ? (outcome, false, taker.priceMicros) : (complement, true, 1_000_000 - taker.priceMicros)
            } else {
                (side, isBuy, price) =
                    book.positions.shares(m << 1 | complement) >= shares
                    ? (complement, false, 1_000_000 - taker.priceMicros) : (outcome, true, taker.priceMicros)
            }
            book.positions.apply(key: m << 1 | side, isBuy: isBuy, shares: shares, priceMicros: price, feeMicros: 0)
            let expectedValue = floor.expectedValue(
                m, outcome: side, isBuy: isBuy, price: Double(price) / 1e6, taker: false, at: taker.time)
            book.fills.append(SimulatedTrade.fill(
                time: taker.time, wallet: maker, market: m, sequence: 0, outcome: side, isBuy: isBuy, isMaker: true,
                positiveExpectedValue: expectedValue > 0, shares: shares, priceMicros: price,
                transaction: taker.transactionSeed, rng: &rng))
            books[maker] = book
        }
        for maker in books.keys { books[maker]!.positions.settle(floor.markets, endTime: floor.endTime) }
        return books
    }
}
