import ArgumentParser
import Foundation
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraSimulator

/// The gate against ground truth: which of a world's trades would have been worth copying at the
/// copy instant, and which the gate lets through (docs/strategy.md, "Validation").
struct ValidateGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "The signal gate on a simulated world against each trade's true value at the copy instant.",
        discussion: """
            Runs the gate's core in process over the world's trades in event time (GateReplay): the whale's \
            figures as the scorer would have published them before each trade, the market (terms, the book at \
            the copy instant, daily prices) from the world model. Each trade is labelled by the simulator's \
            expected value per dollar of copying it then as a taker, after the fee. Prints, for the gate with \
            each probability estimate and for the naive rule "copy every trade of the top decile of wallets by \
            realized P&L", the share of negative-EV copies kept out, the share of positive-EV value kept and \
            the pass-through, with 95 % bootstrap intervals; then the gate's rejections by stage and reason.
            """)

    @Option(help: "World seed.") var seed: UInt64 = WorldParameters.demo.seed
    @Option(help: "Wallets.") var wallets = WorldParameters.demo.wallets
    @Option(help: "Markets.") var markets = WorldParameters.demo.markets
    @Option(help: "Calendar months the world spans.") var months = WorldParameters.demo.months
    @Option(help: "Thresholds: roadmap (the settings' defaults) or demo (make demo's profile).") var profile = "roadmap"
    @Option(help: "Bootstrap resamples.") var resamples = 1000
    @Option(help: "Override the whale gate's minimum WQS.") var minScore: Double?
    @Option(help: "Override the minimum notional, USDC.") var minNotional: Double?
    @Flag(help: "Copy the whales' maker fills too.") var copyMakerFills = false

    func run() async throws {
        let started = ContinuousClock.now
        var policy = GatePolicy()
        switch profile {
        case "roadmap": break
        case "demo":
            policy.minimumScore = 40
            policy.minimumNotional = 500
            policy.requireRisingSharpe = false
            policy.maximumSlippage = 0.25
            policy.minimumCopyability = 0.01
            // Quarantine's score levels in proportion to the lower follow score (50 and 60 of 75).
            policy.quarantine.enterBelowScore = 25
            policy.quarantine.releaseAboveScore = 30
        default: throw ValidationError("--profile is roadmap or demo")
        }
        if let minScore { policy.minimumScore = minScore }
        if let minNotional {
            guard let amount = USDC(decimal: String(minNotional)) else { throw ValidationError("--min-notional: not an amount") }
            policy.minimumNotional = amount
        }
        if copyMakerFills { policy.copyMakerFills = true }
        // A replay approves releases from quarantine automatically.
        policy.quarantine.approval = .auto
        let parameters = WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months)
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
        let world = try WorldGenerator.generate(parameters)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-validate-gate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldWriter.write(world, to: folder)
        let market = WorldMarketData(world: try StubWorld.load(from: folder))
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
        let timelines = await withTaskGroup(of: (WalletAddress, WhaleTimeline).self) { group in
            for (wallet, list) in settlements {
                let held = fills[wallet] ?? []
                group.addTask {
                    (wallet, WalletScoring.timeline(
                        of: wallet, settlements: list, fills: held, marks: marks, context: { frozen[$0] ?? ScoringContext(day: $0) }))
                }
            }
            var all: [WalletAddress: WhaleTimeline] = [:]
            for await (wallet, timeline) in group { all[wallet] = timeline }
            return all
        }

        // The trades as the fetcher stores them, in event time.
        let trades = Self.trades(of: world)
        var reports: [GateValidationReport] = []
        var edgeSignals: [Signal] = []
        for (method, quarantined) in [(ProbabilityMethod.edge, true), (.blend, true), (.edge, false)] {
            var p = policy
            p.probabilityMethod = method
            p.quarantineEnabled = quarantined
            let signals = try await GateReplay.signals(trades.map(\.trade), timelines: timelines, market: market, policy: p, lag: lag)
            if method == .edge, quarantined { edgeSignals = signals }
            // A fill of a whale order shares its order's fate: copied when the order is.
            var copiedOrders = Set<String>()
            // (An exit is mirrored, not an entry: it is not a copy the truth labels.)
            for (trade, signal) in zip(trades, signals) where signal.accepted && signal.exit == nil {
                copiedOrders.insert(WhaleOrder.key(of: trade.trade))
            }
            let passed = trades.map { copiedOrders.contains(WhaleOrder.key(of: $0.trade)) }
            reports.append(GateValidation.report(
                name: !quarantined ? "gate, edge, without quarantine" : method == .edge ? "gate, p = price + shrunk edge" : "gate, p = 0.7 win rate + 0.3 market",
                passed: passed,
                reasons: zip(signals, passed).map { $1 ? "passed" : $0.exit != nil ? "exit/mirrored" : "\($0.stage.rawValue)/\($0.reason)" },
                whaleQualified: signals.map { $0.side == .buy && $0.stage != .whale }, value: trades.map { values[$0.line] }, resamples: resamples))
        }
        // The naive rule: every trade of a wallet in the top decile by realized P&L before its day.
        let topDecile = Self.topDecileByPnL(settlements, days: days)
        let naive = trades.map { topDecile[$0.trade.timestamp.dayNumber]?.contains($0.trade.wallet) ?? false }
        reports.append(GateValidation.report(
            name: "naive: top decile by realized P&L", passed: naive, reasons: naive.map { $0 ? "passed" : "not top decile" },
            whaleQualified: naive, value: trades.map { values[$0.line] }, resamples: resamples))

        let quarantine = Self.quarantineLines(world: world, events: GateReplay.quarantineEvents(timelines, policy: policy), timelines: timelines, policy: policy)
        let positive = trades.filter { values[$0.line] > 0 }.count
        print("world: seed \(seed), \(wallets) wallets, \(markets) markets, \(months) months: \(trades.count) trades, \(positive) worth copying \(world.parameters.copyLagSeconds) s later as a taker after the fee (truth); thresholds: \(profile)\(minScore.map { ", WQS ≥ \($0)" } ?? "")\(minNotional.map { ", notional ≥ \($0)" } ?? "")\(copyMakerFills ? ", maker fills copied" : "")")
        print("rule                                   passed   pass-through (95 % CI)     negative-EV kept out (95 % CI)   positive-EV value kept (95 % CI)   value/$ of passed")
        for r in reports {
            print(
                r.name.padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(format: "%7d   %6.2f %% [%5.2f, %5.2f]   %6.2f %% [%6.2f, %6.2f]         %6.2f %% [%6.2f, %6.2f]           %+.4f",
                             r.all.passed, r.all.passThrough * 100, r.passThroughInterval.lowerBound * 100, r.passThroughInterval.upperBound * 100,
                             r.all.keptOutShare * 100, r.keptOutInterval.lowerBound * 100, r.keptOutInterval.upperBound * 100,
                             r.all.valueKeptShare * 100, r.valueKeptInterval.lowerBound * 100, r.valueKeptInterval.upperBound * 100,
                             r.all.meanPassedValue))
        }
        print("roadmap's claim: 78 % of negative-EV trades kept out, 91 % of the positive value kept, 20–25 % pass-through")
        for r in reports.prefix(2) {
            print(String(format: "%@: over the %d trades of whales that pass the whale gate, pass-through %.2f %%",
                         r.name, r.qualifiedWhales.trades, r.qualifiedWhales.passThrough * 100))
        }
        print("gate (p = price + shrunk edge), rejections by stage and reason: trades, positive-EV value per $ they held back")
        for (reason, entry) in reports[0].reasons.sorted(by: { $0.value.trades > $1.value.trades }) {
            print("  " + reason.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%7d   %10.2f", entry.trades, entry.positiveValue))
        }
        for line in quarantine { print(line) }
        let accepted = edgeSignals.compactMap(\.copyability).count
        print(String(format: "copyability measured on %d trades; done in %.1f s", accepted, (ContinuousClock.now - started).inSeconds))
    }

    /// How many whales quarantine followed and put aside, by trigger, and how many of them the
    /// world made skilled.
    static func quarantineLines(
        world: SimulatedWorld, events: [WalletAddress: [QuarantineEvent]], timelines: [WalletAddress: WhaleTimeline],
        policy: GatePolicy
    ) -> [String] {
        var styles: [WalletAddress: WalletStyle] = [:]
        for wallet in world.wallets { if let address = WalletAddress(wallet.truth.address) { styles[address] = wallet.truth.style } }
        let followed = timelines.filter { $0.value.points.contains { $0.figures.wqs >= policy.minimumScore } }.keys
        func skilled(_ wallets: some Sequence<WalletAddress>) -> Int { wallets.filter { styles[$0] == .skilledWhale }.count }
        var lines = [
            "quarantine (releases approved automatically): \(followed.count) whales followed (WQS ≥ \(policy.minimumScore) once), \(skilled(followed)) of them skilled; quarantined at least once:"
        ]
        let quarantined = events.filter { $0.value.contains { $0.kind == .quarantined } }.keys
        lines.append("  any trigger            \(quarantined.count) whales, \(skilled(quarantined)) skilled")
        for trigger in QuarantineEvent.Trigger.allCases {
            let hit = events.filter { $0.value.contains { $0.triggers.contains(trigger) } }.keys
            lines.append("  " + trigger.rawValue.padding(toLength: 22, withPad: " ", startingAt: 0) + " \(hit.count) whales, \(skilled(hit)) skilled")
        }
        let releases = events.values.joined().filter { $0.kind == .released }.count
        lines.append("  releases               \(releases)")
        return lines
    }

    /// Every fill as the fetcher stores it (role known), with its line in the world's files, in
    /// event time (ties in line order).
    static func trades(of world: SimulatedWorld) -> [(trade: Trade, line: Int)] {
        let order = world.trades.indices.sorted { (world.trades[$0].time, $0) < (world.trades[$1].time, $1) }
        return order.map { i in
            let t = world.trades[i]
            let m = world.markets[Int(t.market)].truth
            return (Trade(
                id: "sim-\(i)", wallet: WalletAddress(world.wallets[Int(t.wallet)].truth.address)!, side: t.isBuy ? .buy : .sell,
                asset: m.tokenIds[Int(t.outcomeIndex)], conditionId: ConditionID(m.conditionId)!, outcomeIndex: Int(t.outcomeIndex),
                outcome: t.outcomeIndex == 0 ? "Yes" : "No", size: Shares(micros: t.sharesMicros), price: Price(micros: t.priceMicros),
                timestamp: EventTime(seconds: t.time), transactionHash: t.transactionHash, role: t.isMaker ? .maker : .taker), i)
        }
    }

    /// Per day, the wallets in the top decile by realized P&L of their settlements before the
    /// day's start (among wallets with one).
    static func topDecileByPnL(_ settlements: [WalletAddress: [TradeSettlement]], days: Set<Int64>) -> [Int64: Set<WalletAddress>] {
        let all = settlements.flatMap { wallet, list in list.map { (wallet, $0.settledAt, $0.realizedPnl.micros) } }
            .sorted { $0.1 < $1.1 }
        var result: [Int64: Set<WalletAddress>] = [:]
        var pnl: [WalletAddress: Int64] = [:]
        var next = 0
        for day in days.sorted() {
            while next < all.count, all[next].1.millis < day * EventTime.day {
                pnl[all[next].0, default: 0] += all[next].2
                next += 1
            }
            let ranked = pnl.sorted { ($0.value, $1.key.rawValue) > ($1.value, $0.key.rawValue) }
            result[day] = Set(ranked.prefix((ranked.count + 9) / 10).map(\.key))
        }
        return result
    }
}
