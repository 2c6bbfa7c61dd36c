import Foundation
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraSimulator

/// A simulated world made ready for gate replays: its trades as the fetcher stores them, each
/// whale's figures through time as the scorer would publish them, the market as of any instant
/// (answered once, so a threshold sweep replays cheaply) and each trade's true copy value.
struct GateWorld {
    let world: SimulatedWorld
    let folder: URL
    let trades: [(trade: Trade, line: Int)]
    /// The world's negative-risk conversions as the fetcher stores them: no copies, but they move
    /// whales' positions, and the gate follows them out.
    let conversions: [Trade]
    /// The "Yes" those conversions pay, from the markets as the resolver reads them.
    let conversionLegs: ConversionLegs
    let timelines: [WalletAddress: WhaleTimeline]
    let market: MemoizedMarketData
    let values: [Double]
    let lag: CopyLag
    let settlements: [WalletAddress: [TradeSettlement]]
    let days: Set<Int64>

    /// Trades whose copy (30 s later as a taker, fee paid) had positive expected value.
    var positiveTrades: Int { trades.filter { values[$0.line] > 0 }.count }

    static func prepare(_ parameters: WorldParameters) async throws -> GateWorld {
        let world = try WorldGenerator.generate(parameters)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-validate-gate-\(UUID().uuidString)")
        try WorldWriter.write(world, to: folder)
        let market = MemoizedMarketData(WorldMarketData(world: try StubWorld.load(from: folder)))
        let values = WorldWriter.truth(world).trades.copyValues ?? []
        let lag = CopyLag(millis: world.parameters.copyLagSeconds * 1000)

        // The scorer's figures through time, wallet by wallet.
        let settlements = ValidateScoring.settlements(of: world)
        let (fills, marks) = ValidateScoring.fills(of: world)
        let categoryDays = CategoryDay.summing(settlements.values.joined())
        let days = Set(settlements.values.joined().map(\.settledAt.dayNumber)).union(
            Int64(world.startTime) / 86_400...Int64(world.endTime) / 86_400 + 1)
        var contexts: [Int64: ScoringContext] = [:]
        let sortedRows = categoryDays.sorted { ($0.day, $0.category) < ($1.day, $1.category) }
        for day in days { contexts[day] = ScoringContext(day: day, from: sortedRows.prefix { $0.day < day }) }
        let frozen = contexts
        // The scorer re-scores holders of open fills each day through the world's end.
        let lastDay = Int64(world.endTime) / 86_400
        let timelines = await withTaskGroup(of: (WalletAddress, WhaleTimeline).self) { group in
            for (wallet, list) in settlements {
                let held = fills[wallet] ?? []
                group.addTask {
                    (wallet, WalletScoring.timeline(
                        of: wallet, settlements: list, fills: held, marks: marks, markDaysThrough: lastDay, context: { frozen[$0] ?? ScoringContext(day: $0) }))
                }
            }
            var all: [WalletAddress: WhaleTimeline] = [:]
            for await (wallet, timeline) in group { all[wallet] = timeline }
            return all
        }
        let markets = try JSONDecoder().decode([GammaMarket].self, from: Data(contentsOf: folder.appendingPathComponent(WorldFileName.markets))).compactMap { $0.model() }
        return GateWorld(
            world: world, folder: folder, trades: ValidateGate.trades(of: world), conversions: ValidateGate.conversions(of: world),
            conversionLegs: ConversionLegs(markets: markets),
            timelines: timelines, market: market, values: values,
            lag: lag, settlements: settlements, days: days)
    }

    func remove() { try? FileManager.default.removeItem(at: folder) }

    /// The gate's verdict on every trade under `policy`, and the report against the truth. A
    /// fill of a whale order shares its order's fate (copied when the order is); an exit is
    /// mirrored, not an entry, so it is not a copy the truth labels. The signals returned are the
    /// fills' and the conversions' (what the pipeline decides); the report is over the fills.
    func replay(_ policy: GatePolicy, name: String, resamples: Int) async throws -> (signals: [Signal], report: GateValidationReport) {
        // Conversions in event time among the fills (the sort is stable: fills keep their order).
        let merged = (trades.map { ($0.trade, true) } + conversions.map { ($0, false) })
            .enumerated().sorted { ($0.element.0.timestamp, $0.offset) < ($1.element.0.timestamp, $1.offset) }.map(\.element)
        let all = try await GateReplay.signals(
            merged.map(\.0), timelines: timelines, market: market, policy: policy, lag: lag, conversionLegs: conversionLegs)
        let signals = zip(merged, all).filter { $0.0.1 }.map(\.1)
        var copiedOrders = Set<String>()
        for (trade, signal) in zip(trades, signals) where signal.accepted && signal.exit == nil {
            copiedOrders.insert(WhaleOrder.key(of: trade.trade))
        }
        let passed = trades.map { copiedOrders.contains(WhaleOrder.key(of: $0.trade)) }
        let report = GateValidation.report(
            name: name, passed: passed,
            reasons: zip(signals, passed).map { $1 ? "passed" : $0.exit != nil ? "exit/mirrored" : "\($0.stage.rawValue)/\($0.reason)" },
            whaleQualified: zip(copyable, signals).map { $0 && $1.stage != .whale }, copyable: copyable,
            value: trades.map { values[$0.line] }, resamples: resamples)
        return (all, report)
    }

    /// The trades the gate chooses among: taker buys of wallets with a score before the trade
    /// (a record the scorer published; sales are exits, maker fills are never copied, and a
    /// wallet without a record is no whale yet).
    var copyable: [Bool] {
        trades.map { $0.trade.side == .buy && $0.trade.role != .maker && timelines[$0.trade.wallet]?.before($0.trade.timestamp) != nil }
    }

    /// The naive rule: every trade of a wallet in the top decile by realized P&L before its day.
    func naiveReport(resamples: Int) -> GateValidationReport {
        let topDecile = ValidateGate.topDecileByPnL(settlements, days: days)
        let naive = trades.map { topDecile[$0.trade.timestamp.dayNumber]?.contains($0.trade.wallet) ?? false }
        return GateValidation.report(
            name: "naive: top decile by realized P&L", passed: naive, reasons: naive.map { $0 ? "passed" : "not top decile" },
            whaleQualified: naive, copyable: copyable, value: trades.map { values[$0.line] }, resamples: resamples)
    }
}
