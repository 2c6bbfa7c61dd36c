import ArgumentParser
import Foundation
import RemoraAPIStub
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraSimulator
import RemoraStore

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
    @Option(help: "Override the whale gate's minimum WQS (quarantine's score levels follow it, 50 and 60 of 75, as in --tune).") var minScore: Double?
    @Option(help: "Override the minimum of the whale's settled taker trades.") var minSettled: Int?
    @Option(help: "Override the minimum notional, USDC.") var minNotional: Double?
    @Option(help: "Override the minimum copyability (edge left after lag, spread and fees).") var minCopyability: Double?
    @Flag(help: "Copy the whales' maker fills too.") var copyMakerFills = false
    @Flag(help: "Require the whale's win rate's 95 % lower bound above its category's base rate (beyond the roadmap).") var winRateAboveBase = false
    @Flag(help: "Search the thresholds on this world (--seed) and measure the best on the --holdout worlds.") var tune = false
    @Option(help: "With --tune: the seeds of the worlds (same size) the chosen thresholds are measured on.") var holdout = "8,9,10,11"
    @Option(help: "Compare the replay, verdict by verdict, with what the pipeline decided in this finished demo's state folder (its world, its database, its gate profile).") var againstDemo: String?
    @Option(help: "With --against-demo: the port of the demo's embedded PostgreSQL (when DATABASE_URL is not set).") var port = 54329

    /// The thresholds of --profile with the overrides applied; releases approved automatically.
    func policy() throws -> GatePolicy {
        var policy: GatePolicy
        switch profile {
        case "roadmap": policy = GatePolicy()
        // The signal gate's own reading of the demo's settings (the environment's left out).
        case "demo": policy = try GateSettings.policy(Settings(GateSettings.settings, environment: Demo.gateProfile), mode: .strict)
        default: throw ValidationError("--profile is roadmap or demo")
        }
        if let minScore { policy.follow(fromScore: minScore) }
        if let minSettled {
            guard minSettled >= 0 else { throw ValidationError("--min-settled: a count, 0 or more") }
            policy.minimumSettledTrades = minSettled
        }
        if let minNotional {
            guard let amount = USDC(decimal: String(minNotional)) else { throw ValidationError("--min-notional: not an amount") }
            policy.minimumNotional = amount
        }
        if let minCopyability { policy.minimumCopyability = minCopyability }
        if copyMakerFills { policy.copyMakerFills = true }
        if winRateAboveBase { policy.requireWinRateAboveBase = true }
        // A replay approves releases from quarantine automatically.
        policy.quarantine.approval = .auto
        return policy
    }

    func run() async throws {
        let started = ContinuousClock.now
        if let againstDemo {
            try await runParity(state: againstDemo, started: started)
            return
        }
        let policy = try policy()
        let parameters = WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months)
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
        if tune {
            try await runTuning(base: policy, parameters: parameters, started: started)
            return
        }
        let world = try await GateWorld.prepare(parameters)
        defer { world.remove() }

        var reports: [GateValidationReport] = []
        var edgeSignals: [Signal] = []
        // The gate with each probability estimate; then without quarantine, and with the check
        // beyond the roadmap (the win rate's 95 % lower bound above its category's base rate)
        // switched the other way, to show what each changes.
        let variants: [(name: String, method: ProbabilityMethod, quarantine: Bool, winRateAboveBase: Bool)] = [
            ("gate, p = price + shrunk edge", .edge, true, policy.requireWinRateAboveBase),
            ("gate, p = 0.7 win rate + 0.3 market", .blend, true, policy.requireWinRateAboveBase),
            ("gate, edge, without quarantine", .edge, false, policy.requireWinRateAboveBase),
            (policy.requireWinRateAboveBase ? "gate, edge, without win rate > base" : "gate, edge, with win rate > base", .edge, true,
             !policy.requireWinRateAboveBase),
        ]
        for variant in variants {
            var p = policy
            p.probabilityMethod = variant.method
            p.quarantineEnabled = variant.quarantine
            p.requireWinRateAboveBase = variant.winRateAboveBase
            let (signals, report) = try await world.replay(p, name: variant.name, resamples: resamples)
            if reports.isEmpty { edgeSignals = signals }
            reports.append(report)
        }
        reports.append(world.naiveReport(resamples: resamples))

        let quarantine = Self.quarantineLines(
            world: world.world, events: GateReplay.quarantineEvents(world.timelines, policy: policy), timelines: world.timelines, policy: policy)
        print("world: seed \(seed), \(wallets) wallets, \(markets) markets, \(months) months: \(world.trades.count) trades, \(world.positiveTrades) worth copying \(world.world.parameters.copyLagSeconds) s later as a taker after the fee (truth); thresholds: \(profile)\(minScore.map { ", WQS ≥ \($0)" } ?? "")\(minSettled.map { ", settled ≥ \($0)" } ?? "")\(minNotional.map { ", notional ≥ \($0)" } ?? "")\(minCopyability.map { ", copyability ≥ \($0)" } ?? "")\(copyMakerFills ? ", maker fills copied" : "")")
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
        print("over the \(reports[0].copyable.trades) taker buys of wallets with a score before them (the trades the gate chooses among):")
        for r in reports {
            print(
                ("  " + r.name).padding(toLength: 38, withPad: " ", startingAt: 0)
                    + String(format: "%7d   %6.2f %%                    %6.2f %% [%6.2f, %6.2f]         %6.2f %% [%6.2f, %6.2f]",
                             r.copyable.passed, r.copyable.passThrough * 100,
                             r.copyable.keptOutShare * 100, r.copyableKeptOutInterval.lowerBound * 100, r.copyableKeptOutInterval.upperBound * 100,
                             r.copyable.valueKeptShare * 100, r.copyableValueKeptInterval.lowerBound * 100, r.copyableValueKeptInterval.upperBound * 100))
        }
        print("roadmap's claim: 78 % of negative-EV trades kept out, 91 % of the positive value kept, 20–25 % pass-through")
        for r in reports.prefix(2) {
            print(String(format: "%@: over the %d taker buys of whales that pass the whale gate, pass-through %.2f %%, negative-EV kept out %.2f %%, positive-EV value kept %.2f %%",
                         r.name, r.qualifiedWhales.trades, r.qualifiedWhales.passThrough * 100, r.qualifiedWhales.keptOutShare * 100,
                         r.qualifiedWhales.valueKeptShare * 100))
        }
        print("gate (p = price + shrunk edge), rejections by stage and reason: trades, positive-EV value per $ they held back")
        for (reason, entry) in reports[0].reasons.sorted(by: { $0.value.trades > $1.value.trades }) {
            print("  " + reason.padding(toLength: 36, withPad: " ", startingAt: 0) + String(format: "%7d   %10.2f", entry.trades, entry.positiveValue))
        }
        for line in quarantine { print(line) }
        let accepted = edgeSignals.compactMap(\.copyability).count
        print(String(format: "copyability measured on %d trades; done in %.1f s", accepted, (ContinuousClock.now - started).inSeconds))
    }

    /// `--against-demo`: the demo's world replayed with the demo's thresholds, each verdict set
    /// beside the one the signal gate stored for the same fill.
    func runParity(state: String, started: ContinuousClock.Instant) async throws {
        let folder = URL(fileURLWithPath: state).standardizedFileURL.appendingPathComponent("demo/world")
        guard let data = try? Data(contentsOf: folder.appendingPathComponent("world.json")),
            let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let seed = (manifest["seed"] as? NSNumber)?.uint64Value, let wallets = manifest["wallets"] as? Int,
            let markets = manifest["markets"] as? Int, let months = manifest["months"] as? Int
        else { throw ValidationError("no demo world in \(folder.path): run `make demo` (or remora demo --state \(state)) first") }
        // The signal gate's own thresholds: its settings with the demo's profile, strict event time.
        var environment = ProcessInfo.processInfo.environment
        for (name, value) in Demo.gateProfile where environment[name] == nil { environment[name] = value }
        let policy = try GateSettings.policy(Settings(GateSettings.settings, environment: environment), mode: .strict)
        let databaseURL = try DemoBench.databaseURL(state: state, port: port)
        let pipeline = try await Store.withRunning(try DatabaseConfiguration(url: databaseURL), logger: quietLogger()) { store in
            try await ExplainStore.allSignals(on: store.client, logger: store.logger)
        }
        guard !pipeline.isEmpty else { throw ValidationError("the demo's database holds no signals: run the demo to its end first") }
        let world = try await GateWorld.prepare(WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months))
        defer { world.remove() }
        let (replayed, _) = try await world.replay(policy, name: "replay", resamples: 0)
        let report = GateParity.compare(replay: replayed, pipeline: pipeline)
        print("world: seed \(seed), \(wallets) wallets, \(markets) markets, \(months) months; the replay's \(replayed.count) verdicts against the pipeline's \(pipeline.count)")
        print(String(format: "fills on both sides %d, same verdict %d (%.2f %%); replay only %d, pipeline only %d",
                     report.matched, report.agreeing, report.share * 100, report.replayOnly, report.pipelineOnly))
        print("verdict                                   replay   pipeline")
        for verdict in Set(report.replayReasons.keys).union(report.pipelineReasons.keys).sorted() {
            let (a, b) = (report.replayReasons[verdict, default: 0], report.pipelineReasons[verdict, default: 0])
            print("  " + verdict.padding(toLength: 38, withPad: " ", startingAt: 0) + String(format: "%7d   %7d%@", a, b, a == b ? "" : "   ≠"))
        }
        if !report.confusion.isEmpty {
            print("disagreements (replay → pipeline):")
            for (pair, count) in report.confusion.sorted(by: { ($0.value, $1.key) > ($1.value, $0.key) }) {
                print("  " + pair.padding(toLength: 60, withPad: " ", startingAt: 0) + String(format: "%7d", count))
            }
            print("first disagreements in event time:")
            for d in report.examples {
                print("  \(d.pipeline.tradeId) \(d.replay.tradeTime.utcText) \(d.replay.wallet.rawValue.prefix(10))… \(d.replay.side.rawValue): replay \(GateParity.verdict(d.replay)) (\(Self.figures(d.replay.whale))), pipeline \(GateParity.verdict(d.pipeline)) (\(Self.figures(d.pipeline.whale)))")
            }
        }
        print(String(format: "done in %.1f s", (ContinuousClock.now - started).inSeconds))
    }

    /// The whale's figures a verdict was decided on, briefly.
    static func figures(_ whale: WhaleFigures?) -> String {
        guard let w = whale else { return "no score" }
        return String(format: "WQS %.2f, %d settled, Sharpe 30/90 %.2f/%.2f, drawdown %.3f", w.wqs, w.settledTrades, w.sharpe30, w.sharpe90, w.currentDrawdown)
    }

    /// `--tune`: every combination of the grid on this world, the best under the roadmap's
    /// kept-out floor chosen here and measured on the hold-out worlds beside the roadmap's own.
    func runTuning(base: GatePolicy, parameters: WorldParameters, started: ContinuousClock.Instant) async throws {
        let holdouts = try holdout.split(separator: ",").map { text -> UInt64 in
            guard let seed = UInt64(text.trimmingCharacters(in: .whitespaces)) else { throw ValidationError("--holdout: seeds separated by commas") }
            return seed
        }
        guard !holdouts.contains(seed) else { throw ValidationError("--holdout must not contain the tuning seed \(seed)") }
        let world = try await GateWorld.prepare(parameters)
        let grid = GateTuning.grid(base: base)
        var results: [(candidate: GateTuning.Candidate, report: GateValidationReport)] = []
        for candidate in grid {
            let (_, report) = try await world.replay(candidate.policy, name: candidate.label, resamples: 0)
            results.append((candidate, report))
        }
        world.remove()
        let ranked = GateTuning.rank(results.map { ($0.candidate, $0.report.copyable) })
        print("tuning world: seed \(seed), \(wallets) wallets, \(markets) markets, \(months) months: \(world.trades.count) trades, \(results.first?.report.copyable.trades ?? 0) taker buys of scored wallets; \(grid.count) threshold sets")
        print("objective: the most net value passed (Σ value per dollar of each copy: what a dollar copied of each earns) among those buys, with at least \(Int(GateTuning.keptOutFloor * 100)) % of the negative-EV ones kept out and \(GateTuning.minimumPassed) passed")
        let meeting = ranked.filter { GateTuning.meetsFloor($0.figures) }.count
        print("\(meeting) of them meet the floor\(meeting == 0 ? "; the best by value kept below" : "")")
        print("rank  thresholds                                                                                  passed   kept out   value kept   net value   value/$ of passed")
        for (rank, entry) in ranked.prefix(10).enumerated() {
            print(String(format: "%4d  ", rank + 1) + entry.candidate.label.padding(toLength: 90, withPad: " ", startingAt: 0)
                + String(format: "%8d   %6.2f %%   %8.2f %%   %+9.2f   %+.4f", entry.figures.passed, entry.figures.keptOutShare * 100,
                         entry.figures.valueKeptShare * 100, entry.figures.passedValue, entry.figures.meanPassedValue))
        }
        guard let chosen = ranked.first?.candidate else {
            print("no threshold set passes a trade: nothing to measure out of sample")
            return
        }
        print("chosen: \(chosen.label)")
        print("out of sample (worlds of the same size; 95 % bootstrap intervals over the taker buys of scored wallets):")
        print("seed  rule                 passed   pass-through   negative-EV kept out (95 % CI)   positive-EV value kept (95 % CI)   value/$ of passed   net value   whales past stage 1: buys, kept out, value kept")
        for holdoutSeed in holdouts {
            let other = try await GateWorld.prepare(WorldParameters(seed: holdoutSeed, wallets: wallets, markets: markets, months: months))
            defer { other.remove() }
            let rules: [(String, GatePolicy)] = [("chosen", chosen.policy), ("roadmap", base)]
            var reports: [GateValidationReport] = []
            for (name, rule) in rules { reports.append(try await other.replay(rule, name: name, resamples: resamples).report) }
            reports.append(other.naiveReport(resamples: resamples))
            for r in reports {
                print(String(format: "%4d  ", holdoutSeed) + (r.name.hasPrefix("naive") ? "naive top decile" : r.name).padding(toLength: 19, withPad: " ", startingAt: 0)
                    + String(format: "%8d   %9.2f %%   %6.2f %% [%6.2f, %6.2f]         %6.2f %% [%6.2f, %6.2f]         %+.4f",
                             r.copyable.passed, r.copyable.passThrough * 100,
                             r.copyable.keptOutShare * 100, r.copyableKeptOutInterval.lowerBound * 100, r.copyableKeptOutInterval.upperBound * 100,
                             r.copyable.valueKeptShare * 100, r.copyableValueKeptInterval.lowerBound * 100, r.copyableValueKeptInterval.upperBound * 100,
                             r.copyable.meanPassedValue)
                    + String(format: "           %+9.2f", r.copyable.passedValue)
                    + (r.name.hasPrefix("naive") ? "" : String(format: "   %6d, %6.2f %%, %6.2f %%", r.qualifiedWhales.trades,
                                                                 r.qualifiedWhales.keptOutShare * 100, r.qualifiedWhales.valueKeptShare * 100)))
            }
        }
        print(String(format: "done in %.1f s", (ContinuousClock.now - started).inSeconds))
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
            "quarantine (releases approved automatically): \(followed.count) whales followed (WQS ≥ \(policy.minimumScore) once), \(skilled(followed)) of them skilled; put aside below WQS \(String(format: "%.2f", policy.quarantine.enterBelowScore)), released at \(String(format: "%.2f", policy.quarantine.releaseAboveScore)); quarantined at least once:"
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

    /// The world's conversions as the fetcher stores them (``Trade/conversion(wallet:asset:conditionId:outcomeIndex:outcome:size:timestamp:transactionHash:title:occurrence:)``).
    static func conversions(of world: SimulatedWorld) -> [Trade] {
        world.conversions.map { c in
            let m = world.markets[Int(c.market)].truth
            return Trade.conversion(
                wallet: WalletAddress(world.wallets[Int(c.wallet)].truth.address)!, asset: m.tokenIds[1],
                conditionId: ConditionID(m.conditionId)!, outcomeIndex: 1, outcome: "No", size: Shares(micros: c.sharesMicros),
                timestamp: EventTime(seconds: c.time), transactionHash: c.transactionHash)
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
