import ArgumentParser
import Foundation
import RemoraSimulator

struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate a simulated Polymarket world with its ground truth (same arguments, same bytes).",
        discussion: """
            Writes world.json, trades.ndjson (Data API /trades rows), markets.json (Gamma /markets objects),
            prices.ndjson (midpoint paths) and truth.json (skills, outcomes, per-trade labels) into --out.
            Serve it with `remora api-stub --data DIR`. See docs/simulator.md.
            """)

    @Option(help: "World seed.") var seed: UInt64 = WorldParameters.demo.seed
    @Option(help: "Number of wallets.") var wallets = WorldParameters.demo.wallets
    @Option(help: "Number of markets.") var markets = WorldParameters.demo.markets
    @Option(help: "Length of the world in calendar months.") var months = WorldParameters.demo.months
    @Option(help: "First day, YYYY-MM-DD (UTC).") var start = "2025-01-01"
    @Option(help: "Output folder.") var out: String

    func run() throws {
        let parameters = WorldParameters(
            seed: seed, wallets: wallets, markets: markets, months: months, startTime: try parseDay(start))
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
        let report = try SimulationRun.run(parameters, to: URL(fileURLWithPath: out))
        print(report)
    }
}

/// Generates and writes a world, timing both halves; `remora bench simulate` quotes it.
enum SimulationRun {
    static func run(_ parameters: WorldParameters, to folder: URL) throws -> String {
        let clock = ContinuousClock()
        let started = clock.now
        let world = try WorldGenerator.generate(parameters)
        let generated = clock.now
        try WorldWriter.write(world, to: folder)
        let written = clock.now
        let styles = Dictionary(grouping: world.wallets, by: \.truth.style).mapValues(\.count)
        return """
            world: \(world.trades.count) trades, \(world.wallets.count) wallets, \(world.markets.count) markets, \
            \(parameters.months) months from \(day(parameters.startTime)) → \(folder.path)
            wallets by style: \(styles.sorted { $0.key.rawValue < $1.key.rawValue }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", "))
            generated in \(seconds(generated - started)) s, written in \(seconds(written - generated)) s, \
            total \(seconds(written - started)) s; peak memory \(peakMemoryMB()) MB
            """
    }

    static func seconds(_ d: Duration) -> String {
        String(format: "%.2f", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
    }

    static func day(_ t: Int64) -> String {
        let f = ISO8601DateFormatter()
        f.formatOptions = [.withFullDate]
        return f.string(from: Date(timeIntervalSince1970: TimeInterval(t)))
    }
}

/// Peak resident memory of this process (Linux reports kilobytes).
func peakMemoryMB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}

func parseDay(_ text: String) throws -> Int64 {
    let parts = text.split(separator: "-").compactMap { Int($0) }
    guard parts.count == 3, (1970...2100).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
        throw ValidationError("--start must be YYYY-MM-DD (got \(text))")
    }
    return unixTime(year: parts[0], month: parts[1], day: parts[2])
}
