import Foundation
import RemoraQuant
import RemoraTestSupport
import Testing

@testable import RemoraSimulator

/// The world's economics on year-long worlds of three seeds: every fill has two sides, makers
/// earn the spread net of adverse selection, skill is information that pays, and spreads look
/// like Polymarket's.
@Suite("Simulator: economics")
struct EconomicsTests {
    struct Measured: Sendable {
        let world: SimulatedWorld
        let economics: WorldEconomics
    }

    /// Generated and measured once, off the cooperative pool (seconds of work).
    static let measured = SharedValue {
        [7, 8, 9].map { seed in
            let world = try! WorldGenerator.generate(WorldParameters(seed: UInt64(seed), wallets: 1_000, markets: 800, months: 12))
            return Measured(world: world, economics: WorldEconomics.measure(world))
        }
    }

    @Test("the P&L adds up: summed over every wallet it is minus the taker fees, fill by fill")
    func pnlBalances() async {
        for (world, economics) in await Self.measured.value.map({ ($0.world, $0.economics) }) {
            #expect(economics.fees > 0, "fees are charged once they start")
            #expect(abs(economics.totalPnl + economics.fees) < 1e-6 * Double(world.trades.count) + 1e-3)
            // Every taker fill has a maker fill of the same size in the same transaction.
            var open: [UInt64: Int64] = [:]
            for t in world.trades { open[t.transactionSeed, default: 0] += t.isMaker ? -t.sharesMicros : t.sharesMicros }
            #expect(open.values.allSatisfy { $0 == 0 })
            #expect(world.trades.contains { $0.isMaker } && world.trades.contains { !$0.isMaker })
        }
    }

    @Test("makers keep 0.5 % to 2 % of the volume they make, in expectation: the spread minus what the informed take")
    func makersEarnTheSpread() async {
        for economics in await Self.measured.value.map(\.economics) {
            let makers = economics.row(.marketMaker)
            #expect((0.005...0.02).contains(makers.expectedReturnOnMatchedVolume), "\(economics.table)")
        }
    }

    @Test("calibrate's default world has every style in its band, each figure inside its interval over resampled markets")
    func calibrationWorldInBand() async throws {
        let measured = try #require(await Self.measured.value.first { $0.world.parameters == .calibration })
        let economics = measured.economics
        #expect(economics.allInBand, "\(economics.table)")
        #expect(economics.table.contains("every style in its band"))
        for row in economics.styles where row.wallets > 0 {
            #expect(row.expectedInterval.contains(row.expectedReturnOnMatchedVolume), "\(row.style)")
            #expect(row.expectedInterval.upperBound > row.expectedInterval.lowerBound, "\(row.style): markets differ, so draws differ")
        }
        // The band is judged on the point figure: the makers' interval is wider than their band.
        #expect(WorldEconomics.Band.of(.marketMaker) == .within(0.005...0.02))
        #expect(!WorldEconomics.Band.of(.marketMaker).contains(0.021) && WorldEconomics.Band.of(.retail).contains(-0.001))
    }

    @Test("the resampled interval: markets with one return give that return; it widens as markets disagree")
    func resampledInterval() {
        let same = WorldEconomics.resampledInterval(expected: [1, 2, 3], matched: [100, 200, 300], seed: 1)
        #expect(abs(same.lowerBound - 0.01) < 1e-12 && abs(same.upperBound - 0.01) < 1e-12)
        let mixed = WorldEconomics.resampledInterval(expected: [5, -5, 1, 0], matched: [100, 100, 100, 100], seed: 1)
        #expect(mixed.lowerBound < 0.0025 && mixed.upperBound > 0.0025 && mixed.lowerBound >= -0.05 && mixed.upperBound <= 0.05)
        #expect(WorldEconomics.resampledInterval(expected: [1], matched: [0], seed: 1) == 0...0)
        #expect(mixed == WorldEconomics.resampledInterval(expected: [5, -5, 1, 0], matched: [100, 100, 100, 100], seed: 1))
    }

    @Test("skill pays: skilled whales positive after fees, the unskilled, retail and pumpers negative; edge per dollar rises with skill")
    func skillPays() async {
        for economics in await Self.measured.value.map(\.economics) {
            #expect(economics.row(.skilledWhale).expectedReturnOnVolume > 0.03, "\(economics.table)")
            #expect(economics.row(.specialist).expectedReturnOnVolume > 0, "\(economics.table)")
            for style in [WalletStyle.unskilledWhale, .retail, .adversarial] {
                #expect(economics.row(style).expectedReturnOnVolume < 0, "\(style): \(economics.table)")
            }
            let rank = Correlation.spearman(economics.skillEdges.map(\.skill), economics.skillEdges.map(\.edge))
            #expect(rank.coefficient > 0 && rank.pValue < 0.05, "fills: \(rank)")
            let byWallet = Correlation.spearman(economics.walletSkillEdges.map(\.skill), economics.walletSkillEdges.map(\.edge))
            // About 130 informed wallets a world: positive on every seed measured (+0.03 to +0.31,
            // docs/simulator.md), too noisy for a higher floor.
            #expect(byWallet.coefficient > 0, "wallets: \(byWallet)")
        }
    }

    @Test("a pump collapses when it is dumped: every pumper expects to lose, and pumpers lose as a group")
    func pumpsCollapse() async {
        for (world, economics) in await Self.measured.value.map({ ($0.world, $0.economics) }) {
            for (i, wallet) in world.wallets.enumerated() where wallet.truth.style == .adversarial && economics.walletVolume[i] > 0 {
                #expect(economics.walletExpectedPnl[i] < 0, "\(wallet.truth.address) expected \(economics.walletExpectedPnl[i])")
            }
            #expect(economics.row(.adversarial).pnl < 0)
        }
    }

    @Test("specialists place 15 % of their buys outside their field, as intended")
    func specialistsStayInTheirField() async {
        for world in await Self.measured.value.map(\.world) {
            // One idea is one count: an informed order's slices and a burst's repeats are buys
            // of the same market within minutes.
            var lastBuy: [Int64: Int64] = [:]
            var inside = 0
            var outside = 0
            for t in world.trades where t.isBuy && !t.isMaker {
                let wallet = world.wallets[Int(t.wallet)].truth
                guard wallet.style == .specialist else { continue }
                let key = Int64(t.wallet) << 32 | Int64(t.market)
                defer { lastBuy[key] = t.time }
                if let last = lastBuy[key], t.time - last <= 3_600 { continue }
                if world.markets[Int(t.market)].truth.category == wallet.category { inside += 1 } else { outside += 1 }
            }
            let share = Double(outside) / Double(inside + outside)
            #expect((0.10...0.20).contains(share), "\(share)")
        }
    }

    @Test("the tape walks the book the world serves: an order's fills go best level first, the first at the best level the whales' earlier fills left")
    func tapeWalksTheBook() async {
        for world in await Self.measured.value.map(\.world) {
            #expect(world.markets.contains { !$0.history.moves.isEmpty }, "whale orders move prices")
            // The whales' fills so far, per market (the depth they took refills over minutes);
            // retail and pumpers take too little to count.
            var whaleFills: [Int32: [SimulatedTrade]] = [:]
            var lastPrice: [UInt64: Int64] = [:]
            var checked = 0
            var walked = 0
            var mismatches: [String] = []
            for t in world.trades where !t.isMaker {
                let market = world.markets[Int(t.market)]
                if let previous = lastPrice[t.transactionSeed] {
                    // A later level of the same order: never better than the one before.
                    if t.isBuy ? t.priceMicros < previous : t.priceMicros > previous, mismatches.count < 5 {
                        mismatches.append("\(market.slug) at \(t.time): level \(t.priceMicros) after \(previous)")
                    }
                    if t.priceMicros != previous { walked += 1 }
                } else {
                    var taken = ReactiveDepth.Taken.none
                    for fill in whaleFills[t.market] ?? [] where t.time - fill.time <= ReactiveDepth.memorySeconds {
                        taken.add(
                            shares: Double(fill.sharesMicros) / 1e6, age: t.time - fill.time, isBuy: fill.isBuy,
                            sameToken: fill.outcomeIndex == t.outcomeIndex)
                    }
                    let book = OrderBookModel.book(
                        market: market.truth, outcomeIndex: Int(t.outcomeIndex), midpoint: market.history.midpoint(at: t.time),
                        moment: t.time / 60, taken: taken)
                    let best = (t.isBuy ? book.bestAsk : book.bestBid).map { Int64(($0 * 1e6).rounded()) }
                    if t.priceMicros != best, mismatches.count < 5 {
                        mismatches.append("\(market.slug) at \(t.time): paid \(t.priceMicros), best level \(best ?? 0)")
                    }
                    checked += 1
                }
                lastPrice[t.transactionSeed] = t.priceMicros
                let style = world.wallets[Int(t.wallet)].truth.style
                if style != .retail, style != .adversarial { whaleFills[t.market, default: []].append(t) }
            }
            #expect(mismatches.isEmpty, "\(mismatches)")
            #expect(checked > 10_000 && walked > 1_000, "\(checked) orders, \(walked) fills past an order's first level")
        }
    }

    @Test("an informed order moves the midpoint toward the truth, over minutes rather than at once")
    func informedOrdersMoveTheMidpoint() async {
        for world in await Self.measured.value.map(\.world) {
            // How much closer to the truth the moved midpoint is than the path without moves, a
            // given delay after each informed whale's buy with an edge.
            func closer(after delay: Int64) -> Double {
                var sum = 0.0
                var n = 0
                for t in world.trades where !t.isMaker && t.isBuy && t.positiveExpectedValue {
                    let style = world.wallets[Int(t.wallet)].truth.style
                    guard style == .skilledWhale || style == .specialist else { continue }
                    let market = world.markets[Int(t.market)]
                    let at = t.time + delay
                    guard at < market.truth.closedTime else { continue }
                    let h = market.history
                    let truth = market.trueProbability(of: 0, at: at)
                    let unmoved = PriceHistoryLine.interpolate(h.p, start: h.start, step: h.step, at: at)
                    sum += abs(unmoved - truth) - abs(h.midpoint(at: at) - truth)
                    n += 1
                }
                return sum / Double(max(1, n))
            }
            let atOnce = closer(after: 0)
            let aMinute = closer(after: 60)
            let tenMinutes = closer(after: 600)
            #expect(atOnce == 0 || abs(atOnce) < aMinute, "no move before the makers re-quote: \(atOnce)")
            #expect(aMinute > 0 && tenMinutes > 2 * aMinute, "closer to the truth by \(aMinute) after a minute, \(tenMinutes) after ten")
        }
    }

    @Test("the cost of delay comes from the model: copying a skilled whale's buys pays less than the whale made, and less the later the copy comes")
    func delayCosts() async {
        for world in await Self.measured.value.map(\.world) {
            let copies = CopyValue(world)
            let buys = world.trades.indices.filter { i in
                let t = world.trades[i]
                return !t.isMaker && t.isBuy && world.wallets[Int(t.wallet)].truth.style == .skilledWhale
            }
            // Notional-weighted, as a copier following every buy in proportion would earn.
            func value(lag: Int64) -> Double {
                let weights = buys.map { Double(world.trades[$0].usdcMicros) }
                return zip(buys, weights).reduce(0) { $0 + $1.1 * copies.perDollar(trade: $1.0, lag: lag) } / weights.reduce(0, +)
            }
            var ownValue = 0.0
            var ownNotional = 0.0
            for i in buys {
                let t = world.trades[i]
                let market = world.markets[Int(t.market)]
                let price = Double(t.priceMicros) / 1e6
                let q: Double = market.trueProbability(of: Int(t.outcomeIndex), at: t.time)
                let fee: Double = market.truth.takerFeeRate * price * (1 - price)
                let weight = Double(t.usdcMicros)
                ownValue += weight * (q - price - fee) / price
                ownNotional += weight
            }
            let own = ownValue / ownNotional
            let (now, half, ten) = (value(lag: 0), value(lag: 30), value(lag: 600))
            // At once the copy walks what the whale left; by 10 min the makers have moved toward
            // the truth. Copying the skilled still pays: the whale slices, the move takes minutes.
            #expect(own > now && own > half && half > ten && ten > 0, "whale \(own), copy at 0 s \(now), 30 s \(half), 10 min \(ten)")
        }
    }

    @Test("spreads in ticks within a factor of two of the Gamma capture's, bucket by bucket", .enabled(if: capturesPresent, "../shared/polymarket/captures is absent"))
    func spreadsLikePolymarket() async throws {
        let data = try Data(contentsOf: capturesFolder.appendingPathComponent("gamma-markets.json"))
        let markets = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["markets"] as? [[String: Any]])
        let real = SpreadProfile.real(gammaMarkets: markets)
        let simulated = SpreadProfile.simulated(await Self.measured.value[0].world)
        var compared = 0
        for bucket in SpreadProfile.buckets {
            guard let r = real[bucket], r.count >= 20, let s = simulated[bucket] else { continue }
            for p in [0.5, 0.75] {
                let ratio = SpreadProfile.quantile(s, p) / SpreadProfile.quantile(r, p)
                #expect((0.5...2).contains(ratio), "\(bucket) p\(Int(p * 100)): \(SpreadProfile.table(simulated: simulated, real: real))")
            }
            compared += 1
        }
        #expect(compared >= 2)
    }
}
