import ArgumentParser

struct Bench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmarks (build with -c release for figures worth quoting).",
        subcommands: [BenchBus.self, BenchPipeline.self, BenchQuant.self, BenchSimulate.self, BenchBackfill.self, BenchDetection.self, BenchSettle.self, BenchScore.self, BenchScorer.self, BenchMarketData.self, BenchGate.self, BenchRisk.self, BenchScale.self])
}
