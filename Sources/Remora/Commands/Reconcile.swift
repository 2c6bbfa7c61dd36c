import ArgumentParser
import Foundation
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraStore

struct Reconcile: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check stored data against the source.", subcommands: [ReconcileVolume.self, ReconcilePositions.self])
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

/// Each followed whale's position as Remora reconstructs it from its stored fills, against the
/// Data API's `/positions` (docs/strategy.md, "Exits"): exits are measured against the first.
struct ReconcilePositions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "positions",
        abstract: "Compare the whales' positions rebuilt from the stored fills with the Data API's /positions.",
        discussion: """
            The wallets are --wallet, or every whale whose score reached --min-score. Stored fills are summed per \
            token through the instant compared, leaving out markets resolved by then (a redeemed position is no \
            longer listed). A difference is what the trades do not explain: a conversion, a merge or transfer, a \
            fill the fetcher missed. Conversions are stored (the fetcher reads them): the "No" they take out is in the rebuilt \
            position, and the "Yes" of the event's other markets they pay, which their rows do not list, is counted as \
            received when the API holds no more of it than the wallet's conversions could have paid (in a market \
            the resolver does not know, a negative-risk "Yes" up to all the wallet converted). Exits are measured against the rebuilt position, so a difference there is a \
            reduction Remora did not follow. Exits with status 1 when any token differs (for a cron check). \
            With --demo, the demo's database and its world served at its end; otherwise DATABASE_URL, the live \
            Data API and now.
            """)

    @Option(help: "A wallet to check (repeatable); default: every whale whose score reached --min-score.") var wallet: [String] = []
    @Option(help: "The score from which a whale counts as followed (default: REMORA_GATE_MIN_SCORE, or 40 with --demo).") var minScore: Double?
    @Option(help: "A finished demo's state folder: its database, and its world served at its end as the Data API.") var demo: String?
    @Option(help: "With --demo: the port of its embedded PostgreSQL (when DATABASE_URL is not set).") var port = 54329
    @Option(help: "Data API base URL (without --demo).") var dataAPI = ProcessInfo.processInfo.environment["REMORA_DATA_API_URL"] ?? PolymarketEndpoints.polymarket.dataAPI
    @Option(help: "Differences to list per wallet.") var worst = 5

    func run() async throws {
        let given = try wallet.map { text -> WalletAddress in
            guard let address = WalletAddress(text) else { throw ValidationError("--wallet \(text): not a 0x address of 40 hex digits") }
            return address
        }
        let databaseURL: String
        let base: String
        let through: EventTime
        var server: LoopbackServer?
        if let demo {
            databaseURL = try DemoBench.databaseURL(state: demo, port: port)
            let listening = try await DemoBench.serveWorld(state: demo)
            server = listening
            base = "http://127.0.0.1:\(listening.port)"
            through = try EventTime(seconds: DemoBench.worldEnd(state: demo))
        } else {
            databaseURL = try databaseURLFromEnvironment()
            base = dataAPI
            through = EventTime(millis: Int64(Date().timeIntervalSince1970 * 1_000))
        }
        defer { server?.cancel() }
        let threshold = minScore ?? Double(ProcessInfo.processInfo.environment["REMORA_GATE_MIN_SCORE"] ?? "") ?? (demo != nil ? 40 : 75)
        let client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: base, gamma: PolymarketEndpoints.polymarket.gamma, clob: PolymarketEndpoints.polymarket.clob),
            logger: quietLogger())
        let (wallets, stored, legs, converted, known) = try await Store.withRunning(
            try DatabaseConfiguration(url: databaseURL), logger: quietLogger()
        ) { store in
            try await store.read { connection in
                let logger = store.logger
                let wallets = given.isEmpty ? try await WhaleExitStore.followedWallets(score: threshold, on: connection, logger: logger) : given
                return (
                    wallets, try await WhaleExitStore.reconstructedPositions(of: wallets, through: through, on: connection, logger: logger),
                    try await WhaleExitStore.conversionLegs(of: wallets, through: through, on: connection, logger: logger),
                    try await WhaleExitStore.sharesConverted(of: wallets, through: through, on: connection, logger: logger),
                    try await WhaleExitStore.knownMarkets(on: connection, logger: logger))
            }
        }
        guard !wallets.isEmpty else {
            print("no whale reached WQS \(threshold): nothing to reconcile")
            return
        }
        var differing = 0
        var tokens = 0
        var agreeing = 0
        var receivedTokens = 0
        print("\(wallets.count) wallets, positions as of \(through.utcText), stored fills against \(base)/positions")
        for wallet in wallets {
            var source: [TokenID: Shares] = [:]
            var received = legs[wallet] ?? [:]
            var offset = 0
            while true {
                let page = try await client.positions(user: wallet.rawValue, limit: 500, offset: offset, sizeThreshold: 0)
                for row in page {
                    guard let shares = Shares(rounding: row.size) else { throw ValidationError("\(wallet): /positions size \(row.size) out of range") }
                    source[row.asset, default: .zero] += shares
                    // A "Yes" of a negative-risk market no fill of ours touched: a conversion may
                    // have paid it, up to what the wallet converted in all.
                    if row.negativeRisk == true, row.outcomeIndex == 0, !known.contains(row.conditionId), let all = converted[wallet] {
                        received[row.asset] = all
                    }
                }
                guard page.count == 500 else { break }
                offset += 500
            }
            let report = PositionReconciliation.compare(stored: stored[wallet] ?? [:], source: source, received: received)
            tokens += report.tokens
            agreeing += report.agreeing
            receivedTokens += report.received.count
            guard !report.differences.isEmpty else { continue }
            differing += 1
            print("  \(wallet.rawValue): \(report.agreeing) of \(report.tokens) tokens agree")
            for d in report.differences.prefix(worst) {
                print("    token \(d.asset.prefix(16))…  stored \(d.stored)  /positions \(d.source)  unexplained \(d.gap)")
            }
        }
        print("tokens held \(tokens), agreeing \(agreeing), \"Yes\" received by conversions \(receivedTokens); wallets with a difference \(differing) of \(wallets.count)")
        if differing > 0 { throw ExitCode(1) }
    }
}
