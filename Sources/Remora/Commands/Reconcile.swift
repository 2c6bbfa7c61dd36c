import ArgumentParser
import Foundation
import PostgresNIO
import RemoraPolymarket
import RemoraStore

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check stored data against the source.", subcommands: [ReconcileVolume.self])
}

/// Stored traded volume per market against Gamma's own `volume` figure.
struct ReconcileVolume: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "volume",
        abstract: "Compare the USDC volume of the stored trades per market with Gamma's volume (DATABASE_URL).",
        discussion: """
            Prints the volume-weighted match (Σ min(stored, source) ÷ Σ source) and the share of markets \
            within 0.1 % of the source, then the markets that differ most. The seed's bar is 99.6 %. The \
            source counts every wallet's fills: the figure means something when the watch list covers the \
            market's traders (a simulated world, or a market-wide ingest).
            """)

    @Option(help: "Gamma base URL.") var gamma = ProcessInfo.processInfo.environment["REMORA_GAMMA_API_URL"] ?? PolymarketEndpoints.polymarket.gamma
    @Option(help: "Markets to list with the largest differences.") var worst = 10

    func run() async throws {
        let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
        let stored: [String: Decimal] = try await Store.withRunning(configuration, logger: quietLogger()) { store in
            var volumes: [String: Decimal] = [:]
            let rows = try await store.client.query(
                """
                SELECT payload->>'conditionId', sum((payload->>'size')::numeric * (payload->>'price')::numeric)::text
                FROM trades GROUP BY 1
                """)
            for try await (market, volume) in rows.decode((String, String).self) { volumes[market] = Decimal(string: volume) ?? 0 }
            return volumes
        }
        guard !stored.isEmpty else {
            print("no trades stored")
            return
        }
        let client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: PolymarketEndpoints.polymarket.dataAPI, gamma: gamma, clob: PolymarketEndpoints.polymarket.clob))
        var source: [String: Decimal] = [:]
        let ids = stored.keys.sorted()
        for start in stride(from: 0, to: ids.count, by: 100) {
            for market in try await client.markets(conditionIds: Array(ids[start..<min(start + 100, ids.count)]), limit: 100) {
                source[market.conditionId] = market.volume.flatMap { Decimal(string: $0) } ?? 0
            }
        }
        var matched: Decimal = 0
        var total: Decimal = 0
        var close = 0
        var differences: [(String, Decimal, Decimal)] = []
        for id in ids {
            let mine = stored[id] ?? 0
            let theirs = source[id] ?? 0
            total += theirs
            matched += min(mine, theirs)
            let gap = abs(mine - theirs)
            if gap <= max(Decimal(string: "0.01")!, theirs * Decimal(string: "0.001")!) { close += 1 }
            differences.append((id, mine, theirs))
        }
        let share = total > 0 ? NSDecimalNumber(decimal: matched / total * 100).doubleValue : 0
        print(String(format: "volume match: %.2f %% of %@ USDC over %d markets (bar: 99.6 %%); %d of %d markets within 0.1 %%",
                     share, "\(NSDecimalNumber(decimal: total).stringValue)", ids.count, close, ids.count))
        let missing = ids.filter { source[$0] == nil }
        if !missing.isEmpty { print("markets unknown to Gamma: \(missing.count)") }
        for (id, mine, theirs) in differences.sorted(by: { abs($0.1 - $0.2) > abs($1.1 - $1.2) }).prefix(worst) where mine != theirs {
            print("  \(id)  stored \(mine)  source \(theirs)")
        }
    }
}
