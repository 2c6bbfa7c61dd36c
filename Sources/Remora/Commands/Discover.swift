import ArgumentParser
import Foundation
import RemoraModel
import RemoraPolymarket
import RemoraStore

/// Candidate whales from the leaderboards and the recent tape, ranked; `--add` puts the top of
/// the list on the fetcher's watch list.
struct Discover: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rank candidate wallets from the Data API leaderboards and recent trades; --add N watches the top N.",
        discussion: """
            A wallet scores 1/rank on each P&L leaderboard it appears on (every category asked for), plus \
            half that on the volume boards, plus a little for large recent trades. The scorer's ranking \
            replaces this list once wallets have settled trades.
            """)

    @Option(help: "Data API base URL.") var dataAPI = ProcessInfo.processInfo.environment["REMORA_DATA_API_URL"] ?? PolymarketEndpoints.polymarket.dataAPI
    @Option(help: "Leaderboard categories, comma-separated.") var categories = "OVERALL,POLITICS,SPORTS,CRYPTO,CULTURE,ECONOMICS"
    @Option(help: "Leaderboard period: DAY, WEEK, MONTH or ALL.") var period = "MONTH"
    @Option(help: "Leaderboard depth per category (multiples of 50, at most 1000).") var depth = 100
    @Option(help: "Rows to list.") var top = 25
    @Option(help: "Add the top N to the watch list (needs DATABASE_URL).") var add: Int?

    func run() async throws {
        let client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: dataAPI, gamma: PolymarketEndpoints.polymarket.gamma, clob: PolymarketEndpoints.polymarket.clob))
        struct Candidate {
            var wallet: String
            var name = ""
            var score = 0.0
            var pnl = 0.0
            var volume = 0.0
            var boards = 0
            var recentUSDC = 0.0
        }
        var candidates: [String: Candidate] = [:]
        for category in categories.split(separator: ",").map(String.init) {
            for (order, weight) in [("PNL", 1.0), ("VOL", 0.5)] {
                var offset = 0
                while offset < min(depth, 1000) {
                    let rows = try await client.leaderboard(category: category, timePeriod: period, orderBy: order, limit: 50, offset: offset)
                    for row in rows {
                        var c = candidates[row.proxyWallet.lowercased()] ?? Candidate(wallet: row.proxyWallet.lowercased())
                        c.name = row.userName ?? c.name
                        c.score += weight / Double(max(1, row.rank))
                        c.pnl = max(c.pnl, row.pnl)
                        c.volume = max(c.volume, row.volume)
                        c.boards += 1
                        candidates[c.wallet] = c
                    }
                    if rows.count < 50 { break }
                    offset += 50
                }
            }
        }
        // The recent tape: large fills earn a little, so active big traders surface too.
        for row in try await client.trades(takerOnly: true, limit: 1000) {
            let usdc = row.size * row.price
            var c = candidates[row.proxyWallet.lowercased()] ?? Candidate(wallet: row.proxyWallet.lowercased())
            c.recentUSDC += usdc
            candidates[c.wallet] = c
        }
        for key in candidates.keys { candidates[key]!.score += min(0.05, candidates[key]!.recentUSDC / 1_000_000) }
        let ranked = candidates.values.filter { WalletAddress($0.wallet) != nil }
            .sorted { $0.score != $1.score ? $0.score > $1.score : $0.wallet < $1.wallet }
        print("rank  wallet                                      score   best P&L      best volume   boards  name")
        for (i, c) in ranked.prefix(top).enumerated() {
            print(String(format: "%4d  %@  %6.3f  %12.2f  %13.2f  %6d  %@", i + 1, c.wallet, c.score, c.pnl, c.volume, c.boards, c.name))
        }
        if let add {
            let wallets = ranked.prefix(add).compactMap { WalletAddress($0.wallet) }
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            try await Store.withRunning(configuration, logger: quietLogger()) { store in
                try await store.waitUntilReachable()
                try await Migrator().migrate(store)
                try await store.transaction { connection in
                    try await IngestStore.watch(
                        wallets, source: "discover", at: Int64(Date().timeIntervalSince1970), on: connection, logger: quietLogger())
                }
            }
            print("watch list: added up to \(wallets.count) wallets (source: discover)")
        }
    }
}
