import Foundation
import RemoraAPIStub
import RemoraSimulator
import Testing

/// Liquidity that reacts: a taker fill takes the depth it crossed, the book refills it with a
/// five-minute half-life, and the copy values in truth.json price a copy at the book left then.
@Suite("Reactive depth: fills take the book, makers refill it")
struct ReactiveDepthTests {
    static let world = try! WorldGenerator.generate(WorldParameters(seed: 19, wallets: 120, markets: 40, months: 2))
    static let stubWorld: StubWorld = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-depth-\(UUID().uuidString)")
        try! WorldWriter.write(world, to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        return try! StubWorld.load(from: folder)
    }()

    let levels = [
        BookLevel(price: 0.50, size: 100), BookLevel(price: 0.51, size: 200), BookLevel(price: 0.52, size: 300),
    ]

    @Test("taken shares leave from the best level outwards, to the hundredth; a side taken whole keeps its last level")
    func removal() {
        #expect(ReactiveDepth.remove(0, fromBestFirst: levels, keeping: 5) == levels)
        #expect(ReactiveDepth.remove(0.004, fromBestFirst: levels, keeping: 5) == levels)
        #expect(
            ReactiveDepth.remove(40.257, fromBestFirst: levels, keeping: 5)
                == [BookLevel(price: 0.50, size: 59.75), BookLevel(price: 0.51, size: 200), BookLevel(price: 0.52, size: 300)])
        #expect(ReactiveDepth.remove(100, fromBestFirst: levels, keeping: 5) == Array(levels.dropFirst()))
        #expect(
            ReactiveDepth.remove(350, fromBestFirst: levels, keeping: 5)
                == [BookLevel(price: 0.52, size: 250)])
        #expect(ReactiveDepth.remove(10_000, fromBestFirst: levels, keeping: 5) == [BookLevel(price: 0.52, size: 5)])
    }

    @Test("what a fill took comes back with a five-minute half-life, on the side it crossed of both tokens")
    func refill() {
        var taken = ReactiveDepth.Taken.none
        taken.add(shares: 400, age: 0, isBuy: true, sameToken: true)
        #expect(taken == ReactiveDepth.Taken(bids: 0, asks: 400))
        taken = .none
        taken.add(shares: 400, age: 300, isBuy: true, sameToken: true)
        #expect(abs(taken.asks - 200) < 1e-9)
        taken.add(shares: 400, age: 600, isBuy: false, sameToken: false)  // selling the other token = buying this one
        #expect(abs(taken.asks - 300) < 1e-9 && taken.bids == 0)
        taken.add(shares: 80, age: 0, isBuy: false, sameToken: true)
        taken.add(shares: 80, age: 0, isBuy: true, sameToken: false)
        #expect(taken.bids == 160)
        taken.add(shares: 1e6, age: ReactiveDepth.memorySeconds + 1, isBuy: true, sameToken: true)
        taken.add(shares: 1e6, age: -1, isBuy: true, sameToken: true)  // a fill after the instant takes nothing yet
        #expect(abs(taken.asks - 300) < 1e-9)
    }

    @Test("the best price drawn lazily is the full book's, whatever was taken, on both sides")
    func bestPriceIsTheBooks() {
        var rng = SplitMix64(seed: 3)
        for _ in 0..<2_000 {
            let market = Self.world.markets[Int(rng.next() % UInt64(Self.world.markets.count))].truth
            let outcome = Int(rng.next() % 2)
            let midpoint = 0.005 + 0.99 * Double(rng.next() % 10_000) / 10_000
            let moment = Int64(rng.next() % 1_000_000)
            // Nothing, part of the touch, several levels, more than the side holds.
            let scale = [0, 0.003, 50, 2_000, 40_000, 10_000_000][Int(rng.next() % 6)]
            let taken = ReactiveDepth.Taken(bids: scale * Double(rng.next() % 1_000) / 500, asks: scale * Double(rng.next() % 1_000) / 500)
            let book = OrderBookModel.book(market: market, outcomeIndex: outcome, midpoint: midpoint, moment: moment, taken: taken)
            for buying in [true, false] {
                let lazy = OrderBookModel.bestPrice(
                    market: market, outcomeIndex: outcome, midpoint: midpoint, moment: moment, taken: taken, buying: buying)
                #expect(lazy == (buying ? book.bestAsk : book.bestBid), "\(market.conditionId) \(midpoint) \(taken) buying \(buying)")
            }
        }
    }

    /// The largest taker buys of the world, each with the stub's book at its instant, 30 s, 5 min
    /// and an hour later, against the model's untouched book at those instants.
    @Test("the stub's book right after a large buy is thinner on the asks, its best ask no better; it refills over minutes")
    func stubBookAfterASweep() throws {
        let world = Self.world
        let stub = Self.stubWorld
        let buys = world.trades.enumerated()
            .filter { !$0.element.isMaker && $0.element.isBuy && $0.element.time + 3_700 < world.markets[Int($0.element.market)].truth.closedTime }
            .sorted { $0.element.sharesMicros > $1.element.sharesMicros }
            .prefix(20)
        #expect(buys.count == 20)
        var thinner = 0
        var refilled = 0
        for (_, fill) in buys {
            let market = world.markets[Int(fill.market)]
            let outcome = Int(fill.outcomeIndex)
            let token = market.truth.tokenIds[outcome]
            func depth(_ book: OrderBookSnapshot) -> Double { book.asks.reduce(0) { $0 + $1.size } }
            func untouched(at now: Int64) -> OrderBookSnapshot {
                OrderBookModel.book(market: market.truth, outcomeIndex: outcome, midpoint: market.history.midpoint(at: now), moment: now / 60)
            }
            var missing: [Double] = []
            for delay: Int64 in [0, 30, 300, 3_601] {
                let now = fill.time + delay
                let served = try #require(stub.replayBook(token: token, at: now)).book
                let model = untouched(at: now)
                #expect(depth(served) <= depth(model) + 1e-6)
                #expect(try #require(served.bestAsk) >= (try #require(model.bestAsk)) - 1e-9)
                #expect(served.bids.count <= model.bids.count)
                missing.append(depth(model) - depth(served))
            }
            // At the fill's instant at least what it took is missing (others may have taken more),
            // unless the whole side went.
            let shares = Double(fill.sharesMicros) / 1e6
            if missing[0] >= min(shares, depth(untouched(at: fill.time)) - market.truth.minOrderSize) - 0.02 { thinner += 1 }
            if missing[3] < missing[0] { refilled += 1 }
        }
        #expect(thinner == 20)
        #expect(refilled >= 15, "\(refilled) of 20 sweeps refilled within the hour")
    }

    /// truth.json's copy value prices the copy at the best level left 30 s after the fill; it is
    /// never better than the untouched touch's value, and worse behind the large takers.
    @Test("copy values are priced at the book the copy finds, never above the untouched touch's")
    func copyValuesAtTheBookLeft() {
        let world = Self.world
        let truth = WorldWriter.truth(world)
        let values = truth.trades.copyValues ?? []
        #expect(values.count == world.trades.count)
        var worse = 0
        for (index, t) in world.trades.enumerated() {
            let market = world.markets[Int(t.market)]
            let instant = t.time + world.parameters.copyLagSeconds
            guard instant < market.truth.closedTime - 120 else { continue }
            let outcome = Int(t.outcomeIndex)
            let touch = OrderBookModel.touch(market: market.truth, outcomeIndex: outcome, midpoint: market.history.midpoint(at: instant))
            let price = t.isBuy ? touch.ask : touch.bid
            let q = market.trueProbability(of: outcome, at: instant)
            let fee = market.truth.takerFeeRate * price * (1 - price)
            let atTouch = ((t.isBuy ? q - price : price - q) - fee) / price
            #expect(values[index] <= atTouch + 1e-4, "trade \(index)")
            if values[index] < atTouch - 1e-3 { worse += 1 }
        }
        #expect(worse > world.trades.count / 50, "\(worse) copies priced behind a sweep")
    }
}
