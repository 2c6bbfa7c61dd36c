import ArgumentParser
import Foundation
import Histogram
import RemoraCore
import RemoraModel
import RemoraSimulator

/// `remora bench score`: the scorer's core at scale — a full rescore (every wallet's daily score
/// history, all cores) and the per-settlement update the incremental scorer runs, on synthetic
/// settlements (deterministic, SplitMix64), with the process's peak memory.
struct BenchScore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "score",
        abstract: "Rescore N settled trades across W wallets on all cores, and per-settlement update latency (targets: 1M/10k ≤ 3 s, p99 ≤ 1 ms, ≤ 150 MB).")

    @Option(help: "Settled trades.") var trades = 1_000_000
    @Option(help: "Wallets (activity is skewed: a few wallets trade far more than most).") var wallets = 10_000
    @Option(help: "Days the settlements span.") var days = 365
    @Option(help: "Incremental updates timed.") var samples = 20_000
    @Option(help: "Worker tasks for the rescore.") var workers = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        var rng = SplitMix64(seed: 0x5C0_2026)
        let categories = [MarketCategory.politics, MarketCategory.crypto, MarketCategory.sports, MarketCategory.popCulture]
        let markets = (0..<5_000).map { i in ConditionID(validated: "0x" + String(format: "%064x", i)) }
        let addresses = (0..<wallets).map { i in WalletAddress(validated: "0x" + String(format: "%040x", i)) }
        let start: Int64 = 1_735_689_600_000  // 2025-01-01
        let generated = ContinuousClock.now
        var byWallet: [WalletAddress: [TradeSettlement]] = [:]
        for i in 0..<trades {
            // Squared uniform: the low indices trade most (the busiest wallet ~ 100× the median).
            let u = rng.nextUniform()
            let index = min(wallets - 1, Int(u * u * Double(wallets)))
            let wallet = addresses[index]
            let market = Int(rng.next() % UInt64(markets.count))
            let bought = start + Int64(rng.nextUniform() * Double(days - 1) * Double(EventTime.day))
            let settled = bought + Int64(rng.nextUniform() * 20 * Double(EventTime.day))
            let price = 0.05 + 0.9 * rng.nextUniform()
            let cost = Int64(10 + rng.nextUniform() * 990) * 1_000_000
            let win = rng.nextUniform() < price + 0.02 * (Double(index & 1) - 0.5)
            let pnl = win ? Int64(Double(cost) * (1 / price - 1)) : -cost
            byWallet[wallet, default: []].append(TradeSettlement(
                tradeId: "t\(i)", wallet: wallet, conditionId: markets[market], category: categories[market % categories.count],
                side: .buy, size: Shares(micros: Int64(Double(cost) / price)), price: Price(micros: Int64(price * 1e6)),
                payout: Price(micros: win ? 1_000_000 : 0), result: win ? .win : .loss, cost: USDC(micros: cost), fee: .zero,
                realizedPnl: USDC(micros: pnl), tradeTime: EventTime(millis: bought), settledAt: EventTime(millis: settled)))
        }
        for key in byWallet.keys { byWallet[key] = WalletMetricsCalculator.inScoringOrder(byWallet[key]!) }
        let categoryDays = CategoryDay.summing(byWallet.values.joined())
        let counts = byWallet.values.map(\.count).sorted()
        print("score bench: \(trades) settled trades, \(byWallet.count) wallets (median \(counts[counts.count / 2]), busiest \(counts.last ?? 0) each), \(days) days; generated in \(ContinuousClock.now - generated)")
        print("peak memory after generating: \(Self.peakMegabytes()) MB")

        // Current scores only: every wallet once, as of its last settlement.
        let currentStart = ContinuousClock.now
        let wallets = byWallet.keys.sorted { $0.rawValue < $1.rawValue }
        let lastDays = Set(byWallet.values.compactMap { $0.last?.settledAt.dayNumber })
        var lastContexts: [Int64: ScoringContext] = [:]
        for day in lastDays { lastContexts[day] = ScoringContext(day: day, from: categoryDays) }
        let frozen = lastContexts
        let settled = byWallet
        let chunk = (wallets.count + workers - 1) / max(1, workers)
        let current = await withTaskGroup(of: Double.self) { group in
            for start in stride(from: 0, to: wallets.count, by: chunk) {
                let slice = wallets[start..<min(start + chunk, wallets.count)]
                group.addTask {
                    slice.reduce(0.0) { sum, wallet in
                        let history = settled[wallet]!
                        let time = history.last!.settledAt
                        return sum + WalletMetricsCalculator.metrics(of: history, asOf: time, context: frozen[time.dayNumber]!).wqs
                    }
                }
            }
            return await group.reduce(0, +)
        }
        print("current scores (\(workers) workers): \(wallets.count) wallets in \(ContinuousClock.now - currentStart) [target ≤ 3 s] (checksum \(String(format: "%.6f", current)))")

        // Full rescore: every wallet's score as of each of its days with settlements.
        let began = ContinuousClock.now
        let scored = await WalletScoring.rescore(byWallet, categoryDays: categoryDays, workers: max(1, workers))
        let rescore = ContinuousClock.now - began
        let rows = scored.reduce(0) { $0 + $1.history.count }
        let checksum = scored.reduce(0.0) { $0 + ($1.history.last?.wqs ?? 0) }
        print("full rescore (\(workers) workers): \(rows) daily scores of \(scored.count) wallets in \(rescore) (checksum \(String(format: "%.6f", checksum)))")
        print("peak memory after the rescore: \(Self.peakMegabytes()) MB")

        // Incremental: the scorer's work for one settlement — the wallet's metrics as of its time,
        // from the ledger the scorer keeps for the wallet.
        let ledgers = byWallet.mapValues { ScoringLedger($0) }
        var contexts: [Int64: ScoringContext] = [:]
        var histogram = Histogram<UInt64>(highestTrackableValue: 60_000_000_000, numberOfSignificantValueDigits: .three)
        let all = byWallet.keys.sorted { $0.rawValue < $1.rawValue }.flatMap { byWallet[$0]! }
        var sum = 0.0
        for _ in 0..<samples {
            let s = all[Int(rng.next() % UInt64(all.count))]
            let day = s.settledAt.dayNumber
            let context = contexts[day] ?? ScoringContext(day: day, from: categoryDays)
            contexts[day] = context
            let ledger = ledgers[s.wallet]!
            let t0 = ContinuousClock.now
            let m = WalletScoring.score(s.wallet, ledger: ledger, fills: [], marks: MarketMarks(), asOf: s.settledAt, context: context)
            let elapsed = ContinuousClock.now - t0
            sum += m.wqs
            histogram.record(UInt64(elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000))
        }
        func micros(_ q: Double) -> String { String(format: "%.1f µs", Double(histogram.valueAtPercentile(q)) / 1000) }
        print("incremental update (metrics of the settlement's wallet as of its time), \(samples) samples: p50 \(micros(50)), p99 \(micros(99)), max \(micros(100)) [target p99 ≤ 1 ms] (checksum \(String(format: "%.3f", sum)))")
    }

    /// Peak resident memory of this process (Linux: kB in ru_maxrss).
    static func peakMegabytes() -> Int {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return usage.ru_maxrss / 1024
    }
}
