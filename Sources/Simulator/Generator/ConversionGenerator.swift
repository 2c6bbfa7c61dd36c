import Foundation

/// A negative-risk conversion: the wallet exchanges `sharesMicros` of its "No" shares of
/// `market` for as many "Yes" shares of every other market of the event (a one-market
/// conversion pays no USDC). Polymarket lists it as a CONVERSION row of `/activity`, never as a
/// trade. Its payoff is the one given up when the event's markets are exhaustive (exactly one
/// wins), so the world's P&L truth does not move; the wallet's positions do.
public struct SimulatedConversion: Sendable, Equatable {
    public var time: Int64
    public var wallet: Int32
    public var market: Int32
    public var sharesMicros: Int64
    /// Seeds the transaction hash.
    public var transactionSeed: UInt64

    /// "0x" + 64 hex digits, as a trade's.
    public var transactionHash: String {
        var digits: [UInt8] = []
        TradeRowFormatter.appendTransactionDigits(transactionSeed, to: &digits)
        return "0x" + String(decoding: digits, as: UTF8.self)
    }
}

/// Some holders of a negative-risk "No" convert it after their last trade in the market and
/// before it closes: a fifth of the holdings that are still open then, half or all of each. The
/// trades are drawn first and left as they are (a conversion comes after the wallet's last fill
/// in its market, so no later sale needs the shares it gave up); one random stream per wallet.
enum ConversionGenerator {
    static let share = 0.2

    static func conversions(markets: [SimulatedMarket], trades: [SimulatedTrade], wallets: Int, seed: UInt64, endTime: Int64)
        -> [SimulatedConversion]
    {
        var members: [String: Int] = [:]
        for market in markets where market.negRisk { members[market.event.id, default: 0] += 1 }
        struct Holding {
            var noMicros: Int64 = 0
            var lastFill: Int64 = .min
        }
        var holdings = [[Int32: Holding]](repeating: [:], count: wallets)
        for trade in trades {
            let market = markets[Int(trade.market)]
            guard market.negRisk, (members[market.event.id] ?? 0) > 1 else { continue }
            var holding = holdings[Int(trade.wallet)][trade.market] ?? Holding()
            if trade.outcomeIndex == 1 { holding.noMicros += trade.isBuy ? trade.sharesMicros : -trade.sharesMicros }
            holding.lastFill = max(holding.lastFill, trade.time)
            holdings[Int(trade.wallet)][trade.market] = holding
        }
        var conversions: [SimulatedConversion] = []
        for wallet in holdings.indices {
            var rng = SplitMix64(seed: seed, stream: 9, index: wallet)
            for market in holdings[wallet].keys.sorted() {
                let holding = holdings[wallet][market]!
                let truth = markets[Int(market)].truth
                let from = holding.lastFill + 60
                let to = min(truth.closedTime, truth.resolvedAt, endTime) - 3_600
                let draw = rng.nextDouble()
                let fraction = rng.nextDouble() < 0.5 ? 0.5 : 1.0
                let at = from + Int64(rng.nextDouble() * Double(max(0, to - from)))
                let seedBits = rng.next()
                guard holding.noMicros >= 1_000_000, to > from, draw < share else { continue }
                // Whole shares: the Data API prints sizes as floats, and a whole number round-trips.
                let shares = Int64(Double(holding.noMicros / 1_000_000) * fraction) * 1_000_000
                guard shares > 0 else { continue }
                conversions.append(
                    SimulatedConversion(time: at, wallet: Int32(wallet), market: market, sharesMicros: shares, transactionSeed: seedBits))
            }
        }
        return conversions.sorted { ($0.time, $0.wallet, $0.market) < ($1.time, $1.wallet, $1.market) }
    }
}
