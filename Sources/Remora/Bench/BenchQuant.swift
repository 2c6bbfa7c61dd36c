import ArgumentParser
import Foundation
import RemoraQuant
import RemoraSimulator

/// `remora bench quant`: micro-benchmarks of the quant core against its latency budget.
///
/// Not a test: it prints medians over repetitions (monotonic `ContinuousClock`) next to the budget
/// and never fails. Inputs are deterministic (SplitMix64) and every result feeds a checksum that is
/// printed, so the optimiser cannot drop the measured work. Build in release to get real figures.
struct BenchQuant: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quant",
        abstract: "Benchmark the quant core: ratios+drawdown, Beta and normal quantiles, WQS.")

    /// Repetitions per measurement; the median is reported.
    @Option(help: "Repetitions per measurement (the median is reported).")
    var repetitions: Int = 21

    /// Length of the return series for the ratios benchmark.
    @Option(help: "Length of the return series for ratios + drawdown.")
    var seriesLength: Int = 1_000_000

    /// Number of wallets scored per WQS run.
    @Option(help: "Wallets scored per WQS run.")
    var wallets: Int = 10_000

    func run() throws {
        var rng = SplitMix64(seed: 0x5EED_2026)
        var checksum = 0.0
        print("quant bench: \(repetitions) repetitions, medians (budget in brackets)")

        // 1. Ratios + drawdown on one long daily series (Sharpe, Sortino, IR, MaxDD, CAGR, Calmar).
        let returns = (0..<seriesLength).map { _ in 0.0004 + 0.01 * rng.nextGaussian() }
        let benchmark = (0..<seriesLength).map { _ in 0.0002 + 0.008 * rng.nextGaussian() }
        let ratios = Self.median(repetitions) {
            let s = PerformanceSummary(returns: returns, benchmark: benchmark)
            checksum += s.sharpeRatio + s.sortinoRatio + s.informationRatio + s.drawdown.maxDrawdown + s.calmarRatio
        }
        Self.report("ratios+drawdown, n=\(seriesLength)", seconds: ratios, scale: 1e3, unit: "ms", budget: "≤ 20 ms")

        // 2. Beta quantile on realistic posterior parameters and tail probabilities.
        let betaInputs = (0..<2_000).map { _ -> (BetaDistribution, Double) in
            let a = 1 + 200 * rng.nextUniform()
            let b = 1 + 200 * rng.nextUniform()
            let q = [0.025, 0.5, 0.975, 0.001, 0.999][Int(rng.next() % 5)]
            return (BetaDistribution(alpha: a, beta: b), q)
        }
        let beta = Self.median(repetitions) {
            for (d, q) in betaInputs { checksum += d.quantile(q) }
        }
        Self.report("Beta quantile, per call", seconds: beta / Double(betaInputs.count), scale: 1e6, unit: "µs", budget: "≤ 5 µs")

        // 3. Standard normal quantile across the whole range.
        let normalInputs = (0..<100_000).map { _ in max(1e-300, rng.nextUniform()) }
        let normal = Self.median(repetitions) {
            for q in normalInputs { checksum += NormalDistribution.standardQuantile(q) }
        }
        Self.report("normal quantile, per call", seconds: normal / Double(normalInputs.count), scale: 1e9, unit: "ns", budget: "≤ 50 ns")

        // 4. Whale Quality Score for many wallets from ready metrics.
        let metrics = (0..<wallets).map { _ in
            WhaleMetrics(
                sharpeRatio: 3 * rng.nextUniform() - 0.5, informationRatio: 1.5 * rng.nextUniform() - 0.2,
                calmarRatio: 4 * rng.nextUniform(), consistencyScore: 15 * rng.nextUniform(),
                totalVolumeUSD: pow(10, 3 + 6 * rng.nextUniform()), tradeCount: Double(rng.next() % 400),
                hhiConcentration: 500 + 4000 * rng.nextUniform())
        }
        let wqs = Self.median(repetitions) {
            for m in metrics { checksum += WhaleQualityScore.score(m) }
        }
        Self.report("WQS, \(wallets) wallets", seconds: wqs, scale: 1e3, unit: "ms", budget: "≤ 1 ms")

        print("checksum \(checksum)")
    }

    /// Median wall time in seconds of `body` over `repetitions` runs, after one warm-up run.
    static func median(_ repetitions: Int, _ body: () -> Void) -> Double {
        let clock = ContinuousClock()
        body()
        var samples = (0..<max(1, repetitions)).map { _ in
            let d = clock.measure(body).components
            return Double(d.seconds) + Double(d.attoseconds) * 1e-18
        }
        samples.sort()
        return samples[samples.count / 2]
    }

    static func report(_ label: String, seconds: Double, scale: Double, unit: String, budget: String) {
        let value = String(format: "%10.3f", seconds * scale)
        print("  \(label.padding(toLength: 34, withPad: " ", startingAt: 0)) \(value) \(unit)  [\(budget)]")
    }
}
