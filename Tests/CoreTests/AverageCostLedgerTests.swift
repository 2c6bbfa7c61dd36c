import Foundation
import RemoraCore
import RemoraModel
import RemoraSimulator
import Testing

@Suite("Average-cost position accounting")
struct AverageCostLedgerTests {
    static func fill(
        _ side: Side, _ shares: Int64, at cents: Int64, time: Int64, role: TradeRole = .taker, outcome: Int = 0,
        wallet: WalletAddress = wallet, market: ConditionID = market, tag: Int = 0
    ) -> Trade {
        Trade(
            id: "fill-\(time)-\(tag)", wallet: wallet, side: side, asset: "\(outcome)", conditionId: market,
            outcomeIndex: outcome, outcome: outcome == 0 ? "Yes" : "No", size: Shares(micros: shares * 1_000_000),
            price: Price(micros: cents * 10_000), timestamp: EventTime(seconds: time), transactionHash: "0x\(time)", role: role)
    }

    static let feeMarket = Market(
        conditionId: market, question: "?", category: "politics", outcomes: ["Yes", "No"], tokenIds: ["0", "1"],
        endDate: nil, tickSize: Price(micros: 10_000), takerFeePpm: 20_000)

    @Test("sales realize at the sale price against the average cost; the payout closes the rest; makers pay no fee")
    func worked() {
        let fills = [
            Self.fill(.buy, 100, at: 40, time: 1),
            Self.fill(.buy, 100, at: 60, time: 2, role: .maker),
            Self.fill(.sell, 50, at: 70, time: 3),
        ]
        let open = AverageCostLedger.positions(of: fills, market: Self.feeMarket, resolution: nil)
        #expect(open.count == 1)
        // Cost 40 + 60 = 100 for 200 shares; 50 sold at 0.70 = 35 against a basis of 25.
        #expect(open[0].shares == Shares(micros: 150_000_000))
        #expect(open[0].cost == USDC(micros: 75_000_000))
        #expect(open[0].realized == USDC(micros: 10_000_000))
        // Taker fees 2 % × p(1 − p): 100 × 0.02 × 0.24 = 0.48 and 50 × 0.02 × 0.21 = 0.21; the maker fill pays none.
        #expect(open[0].fees == USDC(micros: 690_000))
        #expect(!open[0].resolved)

        let won = AverageCostLedger.positions(
            of: fills, market: Self.feeMarket,
            resolution: MarketResolution(conditionId: market, outcome: .winner(index: 0), resolvedAt: EventTime(seconds: 9)))
        // 150 shares paid 1 against 75 of cost: +75.
        #expect(won[0].realized == USDC(micros: 85_000_000))
        #expect(won[0].realizedNet == USDC(micros: 84_310_000))
        #expect(won[0].shares == .zero && won[0].cost == .zero && won[0].resolved)

        let voided = AverageCostLedger.positions(
            of: fills, market: Self.feeMarket,
            resolution: MarketResolution(conditionId: market, outcome: .void, resolvedAt: EventTime(seconds: 9)))
        #expect(voided[0].realized == USDC(micros: 10_000_000))  // 150 × 0.5 = 75 = the cost
    }

    @Test("a fill that arrives late lands where its time puts it")
    func orderIndependent() {
        var rng = SeededGenerator(seed: 56)  // reproducible: a failure shows the same fills again
        var fills: [Trade] = []
        var held: Int64 = 0
        for t in 1...200 {
            let buy = held < 5 || Bool.random(using: &rng)
            let shares = buy ? Int64.random(in: 1...50, using: &rng) : Int64.random(in: 1...held, using: &rng)
            held += buy ? shares : -shares
            fills.append(Self.fill(buy ? .buy : .sell, shares, at: Int64.random(in: 1...99, using: &rng), time: Int64(t)))
        }
        let inOrder = AverageCostLedger.positions(of: fills, market: Self.feeMarket, resolution: nil)
        let shuffled = AverageCostLedger.positions(of: fills.shuffled(using: &rng), market: Self.feeMarket, resolution: nil)
        #expect(inOrder == shuffled)
        #expect(inOrder[0].shares == Shares(micros: held * 1_000_000))
        #expect(inOrder[0].unmatchedSold == .zero)
    }

    @Test("shares sold beyond what listed trades bought are counted, not hidden")
    func unmatched() {
        let fills = [Self.fill(.buy, 10, at: 50, time: 1), Self.fill(.sell, 15, at: 60, time: 2)]
        let position = AverageCostLedger.positions(of: fills, market: nil, resolution: nil)[0]
        #expect(position.unmatchedSold == Shares(micros: 5_000_000))
        #expect(position.shares == .zero)
        #expect(position.realized == USDC(micros: 4_000_000))  // 9 of proceeds − 5 of cost
    }

    @Test("held to resolution, a wallet's books equal the sum of its fills' own P&L")
    func agreesWithPerFillSettlement() {
        let resolution = MarketResolution(conditionId: market, outcome: .winner(index: 1), resolvedAt: EventTime(seconds: 500))
        var fills: [Trade] = []
        for t in 0..<40 {
            fills.append(Self.fill(t % 3 == 2 ? .sell : .buy, Int64(7 + t % 5), at: Int64(20 + t), time: Int64(t), outcome: 0))
            fills.append(Self.fill(.buy, Int64(3 + t % 4), at: Int64(70 - t), time: Int64(t), role: .maker, outcome: 1, tag: 1))
        }
        let books = AverageCostLedger.realizedByWallet(
            AverageCostLedger.positions(of: fills, market: Self.feeMarket, resolution: resolution))[wallet]!
        let perFill = fills.map { Settlement.settle($0, market: Self.feeMarket, resolution: resolution).realizedPnl }
            .reduce(USDC.zero, +)
        #expect(books == perFill)
    }

    @Test("every wallet of a simulated world: realized P&L equals the simulator's truth to the cent")
    func simulatedWorld() throws {
        let world = try WorldGenerator.generate(WorldParameters(seed: 5, wallets: 150, markets: 120, months: 4, startTime: unixTime(year: 2025, month: 12, day: 1)))
        let truth = world.markets.map(\.truth)
        var fillsByMarket: [Int: [Trade]] = [:]
        for (i, t) in world.trades.enumerated() {
            let m = truth[Int(t.market)]
            fillsByMarket[Int(t.market), default: []].append(Trade(
                id: "sim-\(i)", wallet: WalletAddress(world.wallets[Int(t.wallet)].truth.address)!,
                side: t.isBuy ? .buy : .sell, asset: m.tokenIds[Int(t.outcomeIndex)],
                conditionId: ConditionID(m.conditionId)!, outcomeIndex: Int(t.outcomeIndex), outcome: "",
                size: Shares(micros: t.sharesMicros), price: Price(micros: t.priceMicros), timestamp: EventTime(seconds: t.time),
                transactionHash: "0x", role: t.isMaker ? .maker : .taker))
        }
        var positions: [WalletPosition] = []
        for (index, fills) in fillsByMarket {
            let m = truth[index]
            let market = Market(
                conditionId: ConditionID(m.conditionId)!, question: "", category: m.category, outcomes: ["Yes", "No"],
                tokenIds: m.tokenIds, endDate: nil, tickSize: Price(micros: 100), takerFeePpm: Int64((m.takerFeeRate * 1e6).rounded()))
            let resolution = m.resolvedAt <= world.endTime
                ? MarketResolution(
                    conditionId: market.conditionId,
                    outcome: m.outcome == .void ? .void : .winner(index: m.outcome == .yes ? 0 : 1),
                    resolvedAt: EventTime(seconds: m.resolvedAt))
                : nil
            positions += AverageCostLedger.positions(of: fills, market: market, resolution: resolution)
        }
        let books = AverageCostLedger.realizedByWallet(positions)
        #expect(positions.contains { $0.fees > .zero }, "the world has fee-paying fills")
        #expect(positions.contains { !$0.resolved && $0.realized != .zero }, "sales in open markets are realized")
        var worst: Int64 = 0
        for wallet in world.wallets where wallet.truth.trades > 0 {
            let mine = books[WalletAddress(wallet.truth.address)!]?.micros ?? 0
            worst = max(worst, abs(mine - wallet.realizedPnlMicros))
        }
        #expect(worst < 5_000, "largest difference \(worst) micro-USDC")
    }
}
