import ArgumentParser
import Foundation
import RemoraSimulator

struct BenchSimulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Generate and write the scale world (1M trades, 10k wallets, 5k markets, 24 months): time and peak memory.")

    @Option(help: "Output folder (default: a temporary folder, removed afterwards).") var out: String?

    func run() throws {
        let folder = out.map { URL(fileURLWithPath: $0) }
            ?? FileManager.default.temporaryDirectory.appendingPathComponent("remora-bench-world-\(getpid())")
        defer { if out == nil { try? FileManager.default.removeItem(at: folder) } }
        print(try SimulationRun.run(.scale, to: folder))
        print("targets: ≤ 10 s and ≤ 1024 MB for about 1,000,000 trades")
    }
}
