import Foundation
import RemoraCore
import RemoraModel
import Testing

@Suite("Walking the book")
struct BookWalkTests {
    static func level(_ price: String, _ size: String) -> DepthLevel {
        DepthLevel(price: Price(decimal: price)!, size: Shares(decimal: size)!)
    }

    /// Listed as the CLOB lists it: bids ascending, asks descending (best last).
    static let book = try! OrderBook(
        bids: [level("0.45", "300"), level("0.48", "80"), level("0.50", "120")],
        asks: [level("0.55", "200"), level("0.53", "50"), level("0.52", "100")],
        tick: Price(decimal: "0.01")!, minimumOrder: Shares(decimal: "5")!)

    @Test("a book is canonical whatever the listing order: best first on both sides, repeated prices summed")
    func canonical() throws {
        #expect(Self.book.bids.map(\.price.description) == ["0.5", "0.48", "0.45"])
        #expect(Self.book.asks.map(\.price.description) == ["0.52", "0.53", "0.55"])
        #expect(Self.book.midpoint == Price(decimal: "0.51")!)
        let merged = try OrderBook(
            bids: [Self.level("0.40", "10"), Self.level("0.40", "15")], asks: [Self.level("0.60", "1")], tick: Price(decimal: "0.01")!)
        #expect(merged.bids == [Self.level("0.40", "25")])
    }

    @Test("bad books get a typed error: crossed, an empty side, a price outside (0, 1), off the tick, no size")
    func badBooks() {
        let tick = Price(decimal: "0.01")!
        #expect(throws: OrderBookProblem.crossed(bestBid: Price(decimal: "0.6")!, bestAsk: Price(decimal: "0.55")!)) {
            try OrderBook(bids: [Self.level("0.60", "1")], asks: [Self.level("0.55", "1")], tick: tick)
        }
        #expect(throws: OrderBookProblem.emptySide(.sell)) { try OrderBook(bids: [Self.level("0.40", "1")], asks: [], tick: tick) }
        #expect(throws: OrderBookProblem.emptySide(.buy)) { try OrderBook(bids: [], asks: [Self.level("0.40", "1")], tick: tick) }
        #expect(throws: OrderBookProblem.priceOutOfRange(Price(decimal: "1")!)) {
            try OrderBook(bids: [Self.level("0.40", "1")], asks: [Self.level("1", "1")], tick: tick)
        }
        #expect(throws: OrderBookProblem.offTick(Price(decimal: "0.405")!, tick: tick)) {
            try OrderBook(bids: [Self.level("0.405", "1")], asks: [Self.level("0.5", "1")], tick: tick)
        }
        #expect(throws: OrderBookProblem.nonPositiveSize(Price(decimal: "0.4")!)) {
            try OrderBook(bids: [Self.level("0.40", "0")], asks: [Self.level("0.5", "1")], tick: tick)
        }
    }

    @Test("a buy of 180 shares, worked by hand to the micro-USDC")
    func buyByHand() {
        let walk = BookWalk.take(.buy, shares: Shares(decimal: "180")!, from: Self.book)
        // 100 at 0.52 = 52, 50 at 0.53 = 26.5, 30 at 0.55 = 16.5: 95 USDC for 180 shares.
        #expect(walk.fills.map(\.shares) == [Shares(decimal: "100")!, Shares(decimal: "50")!, Shares(decimal: "30")!])
        #expect(walk.fills.map(\.cash) == [USDC(decimal: "52")!, USDC(decimal: "26.5")!, USDC(decimal: "16.5")!])
        #expect(walk.cash == USDC(decimal: "95")! && walk.unfilledShares == .zero && walk.refusal == nil)
        // 95 ÷ 180 = 0.5277…, truncated.
        #expect(walk.averagePrice == Price(decimal: "0.527777")!)
        // Against the 0.51 midpoint: (0.52777… − 0.51) ÷ 0.51 = 348.6 bps.
        #expect(abs(walk.slippageBps! - (95.0 / 180 - 0.51) / 0.51 * 10_000) < 1e-9)
    }

    @Test("a sale walks the bids; what the book cannot take is left unfilled")
    func saleAndUnfilled() {
        let walk = BookWalk.take(.sell, shares: Shares(decimal: "600")!, from: Self.book)
        #expect(walk.shares == Shares(decimal: "500")! && walk.unfilledShares == Shares(decimal: "100")!)
        // 120 × 0.50 + 80 × 0.48 + 300 × 0.45 = 60 + 38.4 + 135.
        #expect(walk.cash == USDC(decimal: "233.4")!)
        #expect(walk.slippageBps! > 0)
    }

    @Test("a notional order spends no more than it has, in whole micro-shares; a small order is refused")
    func notionalAndMinimum() {
        let walk = BookWalk.take(.buy, notional: USDC(decimal: "60")!, from: Self.book)
        // 52 USDC buys the 100 at 0.52; 8 USDC buys 15.094339 shares at 0.53 (7.999999 USDC).
        #expect(walk.fills.count == 2)
        #expect(walk.fills[1].shares == Shares(decimal: "15.094339")! && walk.fills[1].cash == USDC(decimal: "7.999999")!)
        #expect(walk.cash == USDC(decimal: "59.999999")! && walk.unfilledCash == USDC(decimal: "0.000001")!)
        let small = BookWalk.take(.buy, shares: Shares(decimal: "4")!, from: Self.book)
        #expect(small.refusal == .belowMinimum(Shares(decimal: "4")!, minimum: Shares(decimal: "5")!) && small.fills.isEmpty)
        let smallCash = BookWalk.take(.buy, notional: USDC(decimal: "1")!, from: Self.book)
        #expect(smallCash.refusal != nil && smallCash.cash == .zero && smallCash.unfilledCash == USDC(decimal: "1")!)
    }

    @Test("properties on random books: monotone in size, never better than the best level, exact sums")
    func properties() throws {
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<300 {
            let tickMicros: Int64 = Bool.random(using: &rng) ? 10_000 : 1_000
            let mid = Int64.random(in: 20...(1_000_000 / tickMicros - 20), using: &rng)
            let levels = Int.random(in: 1...10, using: &rng)
            let bids = (0..<levels).map { k in
                DepthLevel(price: Price(micros: (mid - 1 - Int64(k)) * tickMicros), size: Shares(micros: Int64.random(in: 1...5_000_000_000, using: &rng)))
            }
            let asks = (0..<levels).map { k in
                DepthLevel(price: Price(micros: (mid + 1 + Int64(k)) * tickMicros), size: Shares(micros: Int64.random(in: 1...5_000_000_000, using: &rng)))
            }
            let book = try OrderBook(bids: bids, asks: asks, tick: Price(micros: tickMicros))
            for side in [Side.buy, .sell] {
                var previous: BookWalk?
                for size in [1, 10, 100, 1_000, 10_000].map({ Shares(micros: $0 * 1_000_000) }) {
                    let walk = BookWalk.take(side, shares: size, from: book)
                    #expect(walk.shares + walk.unfilledShares == size)
                    #expect(walk.cash == walk.fills.reduce(USDC.zero) { $0 + $1.cash })
                    #expect(walk.shares == walk.fills.reduce(Shares.zero) { $0 + $1.shares })
                    let best = side == .buy ? book.bestAsk.price : book.bestBid.price
                    if let average = walk.averagePrice {
                        // Never better than the best level (truncation can only lower a buy's average by under a micro).
                        #expect(side == .buy ? average.micros >= best.micros - 1 : average <= best)
                        #expect(walk.slippageBps! > 0, "crossing the spread costs")
                    }
                    if let previous, let a = previous.averagePrice, let b = walk.averagePrice {
                        #expect(side == .buy ? b.micros >= a.micros - 1 : b.micros <= a.micros + 1, "monotone in size")
                        #expect(walk.cash >= previous.cash)
                    }
                    previous = walk
                }
                let notional = BookWalk.take(side, notional: USDC(decimal: "250")!, from: book)
                #expect(notional.cash + notional.unfilledCash == USDC(decimal: "250")!)
            }
        }
    }
}
