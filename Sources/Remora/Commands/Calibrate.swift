import ArgumentParser
import Foundation
import RemoraQuant
import RemoraSimulator

/// Compares a simulated world with the real captures: quantiles side by side, as a Markdown
/// table for docs/simulator.md.
struct Calibrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure a simulated world: who earns what against each style's band, the cost of delay, and its books and trades beside real Polymarket captures (Markdown).")

    // The calibration world, not the demo's: a band is a statement in expectation, and the
    // demo's quarter has too few whale fills to judge one (WorldParameters.calibration).
    @Option(help: "World seed.") var seed: UInt64 = WorldParameters.calibration.seed
    @Option(help: "Wallets in the simulated world.") var wallets = WorldParameters.calibration.wallets
    @Option(help: "Markets in the simulated world.") var markets = WorldParameters.calibration.markets
    @Option(help: "Calendar months the world spans.") var months = WorldParameters.calibration.months
    @Option(help: "Folder of real captures.") var captures = "../shared/polymarket/captures"

    /// What copying each style's taker buys is worth, per dollar, as the copy comes later: the
    /// whales' own orders move the midpoint over minutes and take depth that refills over minutes
    /// (docs/simulator.md), so the model, not a constant, prices the delay.
    static func delayTable(_ world: SimulatedWorld) -> String {
        let lags: [(String, Int64)] = [("0 s", 0), ("30 s", 30), ("2 min", 120), ("10 min", 600), ("1 h", 3_600)]
        let copies = CopyValue(world)
        var lines = [
            "| whose buys | fills | edge at the fill | " + lags.map { "copy \($0.0) later" }.joined(separator: " | ") + " |",
            "|---|---:|---:|" + String(repeating: "---:|", count: lags.count),
        ]
        for style in [WalletStyle.skilledWhale, .specialist, .decaying, .unskilledWhale, .retail] {
            let fills = world.trades.indices.filter { i in
                let t = world.trades[i]
                return !t.isMaker && t.isBuy && world.wallets[Int(t.wallet)].truth.style == style
            }
            guard !fills.isEmpty else { continue }
            // Notional-weighted means: what a copier following every buy in proportion earns.
            var notional = 0.0
            var own = 0.0
            var copied = [Double](repeating: 0, count: lags.count)
            for i in fills {
                let t = world.trades[i]
                let market = world.markets[Int(t.market)]
                let price = Double(t.priceMicros) / 1e6
                let weight = Double(t.usdcMicros) / 1e6
                let q = market.trueProbability(of: Int(t.outcomeIndex), at: t.time)
                own += weight * (q - price - market.truth.takerFeeRate * price * (1 - price)) / price
                for (k, lag) in lags.enumerated() { copied[k] += weight * copies.perDollar(trade: i, lag: lag.1) }
                notional += weight
            }
            let cells = ([own] + copied).map { String(format: "%+.3f", $0 / notional) }
            lines.append("| \(style.rawValue) | \(fills.count) | " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n")
    }

    func run() throws {
        let parameters = WorldParameters(seed: seed, wallets: wallets, markets: markets, months: months)
        do { try parameters.validate() } catch { throw ValidationError("\(error)") }
        let generated = try WorldGenerator.generate(parameters)
        print("world: seed \(seed), \(wallets) wallets, \(markets) markets, \(months) months, \(generated.trades.count) fills")
        print("")
        print("## Who earns what")
        print("")
        let economics = WorldEconomics.measure(generated)
        print(economics.table)
        let rank = Correlation.spearman(economics.skillEdges.map(\.skill), economics.skillEdges.map(\.edge))
        print(String(format: "rank correlation of skill with expected value per dollar, informed taker fills: %+.3f (n %d, p %.2g)", rank.coefficient, rank.count, rank.pValue))
        let byWallet = Correlation.spearman(economics.walletSkillEdges.map(\.skill), economics.walletSkillEdges.map(\.edge))
        print(String(format: "… per informed wallet (≥ 10 informed fills): %+.3f (n %d, p %.2g)", byWallet.coefficient, byWallet.count, byWallet.pValue))
        print("")
        print("## The cost of delay")
        print("")
        print(Self.delayTable(generated))
        print("")
        let capturesURL = URL(fileURLWithPath: captures)
        print("## Spreads in ticks by midpoint (Gamma capture beside the world's books)")
        print("")
        let gamma = FileManager.default.contents(atPath: capturesURL.appendingPathComponent("gamma-markets.json").path)
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?["markets"] as? [[String: Any]]
        if gamma == nil { print("(no gamma-markets.json under \(captures): real column empty)") }
        print(SpreadProfile.table(simulated: SpreadProfile.simulated(generated), real: SpreadProfile.real(gammaMarkets: gamma ?? [])))
        print("")
        print("## Trades against the Data API capture")
        print("")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-calibrate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try WorldWriter.write(generated, to: folder)
        let world = folder.path
        guard let realData = FileManager.default.contents(atPath: capturesURL.appendingPathComponent("data-api-trades.json").path),
            let real = try JSONSerialization.jsonObject(with: realData) as? [[String: Any]]
        else { throw ValidationError("no data-api-trades.json under \(captures)") }
        let activity = (FileManager.default.contents(atPath: capturesURL.appendingPathComponent("data-api-activity.json").path))
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [[String: Any]] } ?? []

        let worldURL = URL(fileURLWithPath: world)
        let text = try String(contentsOf: worldURL.appendingPathComponent(WorldFileName.trades), encoding: .utf8)
        var simulated: [[String: Any]] = []
        for line in text.split(separator: "\n") {
            if let row = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] { simulated.append(row) }
        }
        let truth = try JSONDecoder().decode(WorldTruth.self, from: Data(contentsOf: worldURL.appendingPathComponent(WorldFileName.truth)))
        let retail = Set(truth.wallets.filter { $0.style == .retail }.map(\.address))
        // The real tape is `/trades` with takerOnly=true: compare the taker rows (every maker row
        // mirrors one of them).
        let roles = Array(truth.trades.roles.utf8)
        let allRows = simulated
        simulated = zip(simulated, roles).filter { $0.1 == UInt8(ascii: "T") }.map(\.0)
        let simulatedRetail = simulated.filter { retail.contains($0["proxyWallet"] as? String ?? "") }
        let realActivityTrades = activity.filter { $0["type"] as? String == "TRADE" }

        func numbers(_ rows: [[String: Any]], _ f: ([String: Any]) -> Double?) -> [Double] { rows.compactMap(f) }
        let price: ([String: Any]) -> Double? = { $0["price"] as? Double }
        let size: ([String: Any]) -> Double? = { $0["size"] as? Double }
        let usdc: ([String: Any]) -> Double? = { row in
            guard let s = row["size"] as? Double, let p = row["price"] as? Double else { return nil }
            return s * p
        }
        let probabilities = [0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
        var lines = [
            "| measure | source | n | " + probabilities.map { "p\(Int($0 * 100))" }.joined(separator: " | ") + " |",
            "|---|---|---:|" + String(repeating: "---:|", count: probabilities.count),
        ]
        func row(_ measure: String, _ source: String, _ values: [Double]) {
            guard !values.isEmpty else { return }
            let sorted = values.sorted()
            let cells = probabilities.map { format(Statistics.quantile(sorted: sorted, $0)) }
            lines.append("| \(measure) | \(source) | \(values.count) | " + cells.joined(separator: " | ") + " |")
        }
        for (name, f) in [("price", price), ("size (shares)", size), ("notional (USDC)", usdc)] {
            row(name, "real /trades", numbers(real, f))
            row(name, "simulated, takers", numbers(simulated, f))
            row(name, "simulated, retail", numbers(simulatedRetail, f))
        }
        // Per-wallet concentration: distinct wallets in 100 consecutive trades (the real file is
        // one such window of the whole market's tape).
        row("distinct wallets per 100 trades", "real /trades", [Double(Set(real.compactMap { $0["proxyWallet"] as? String }).count)])
        var windows: [Double] = []
        var start = 0
        while start + 100 <= simulated.count {
            windows.append(Double(Set(simulated[start..<start + 100].compactMap { $0["proxyWallet"] as? String }).count))
            start += 100
        }
        row("distinct wallets per 100 trades", "simulated", windows)
        let counts = Dictionary(grouping: allRows, by: { $0["proxyWallet"] as? String ?? "" }).values.map { Double($0.count) }
        row("trades per wallet (whole world)", "simulated", counts)
        row("trade notional, one real wallet (/activity)", "real /activity", numbers(realActivityTrades, { $0["usdcSize"] as? Double }))

        func sellShare(_ rows: [[String: Any]]) -> String {
            let sells = rows.filter { $0["side"] as? String == "SELL" }.count
            return String(format: "%.1f %%", 100 * Double(sells) / Double(max(1, rows.count)))
        }
        func hashShare(_ rows: [[String: Any]]) -> String {
            let hashes = Dictionary(grouping: rows, by: { $0["transactionHash"] as? String ?? "" })
            let shared = hashes.values.filter { $0.count > 1 }.reduce(0) { $0 + $1.count }
            return String(format: "%.1f %%", 100 * Double(shared) / Double(max(1, rows.count)))
        }
        func secondIndexShare(_ rows: [[String: Any]]) -> String {
            let second = rows.filter { $0["outcomeIndex"] as? Int == 1 }.count
            return String(format: "%.1f %%", 100 * Double(second) / Double(max(1, rows.count)))
        }
        lines.append("")
        lines.append("| share | real /trades | simulated, takers | simulated, retail |")
        lines.append("|---|---:|---:|---:|")
        lines.append("| SELL rows | \(sellShare(real)) | \(sellShare(simulated)) | \(sellShare(simulatedRetail)) |")
        lines.append("| rows sharing a transaction hash | \(hashShare(real)) | \(hashShare(simulated)) | \(hashShare(simulatedRetail)) |")
        lines.append("| second outcome (outcomeIndex 1) | \(secondIndexShare(real)) | \(secondIndexShare(simulated)) | \(secondIndexShare(simulatedRetail)) |")
        print(lines.joined(separator: "\n"))
    }

    func format(_ x: Double) -> String {
        if x >= 1000 { return String(format: "%.0f", x) }
        if x >= 10 { return String(format: "%.1f", x) }
        return String(format: "%.3f", x)
    }
}
