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
            #expect(byWallet.coefficient > 0.1, "wallets: \(byWallet)")
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
            var inside = 0
            var outside = 0
            for t in world.trades where t.isBuy && !t.isMaker {
                let wallet = world.wallets[Int(t.wallet)].truth
                guard wallet.style == .specialist else { continue }
                if world.markets[Int(t.market)].truth.category == wallet.category { inside += 1 } else { outside += 1 }
            }
            let share = Double(outside) / Double(inside + outside)
            #expect((0.10...0.20).contains(share), "\(share)")
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
