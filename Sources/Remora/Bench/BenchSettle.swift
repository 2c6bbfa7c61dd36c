import ArgumentParser
import Foundation
import Hummingbird
import Logging
import RemoraAPIStub
import RemoraModel
import RemoraRuntime
import RemoraSimulator
import PostgresNIO
import RemoraStore

/// Settlement throughput: N synthetic trades over the resolved markets of a simulated world are
/// bulk-loaded into PostgreSQL (not timed), then `resolver --once` reads every market from the API
/// stub, resolves it and settles its trades (one `trade.settled` row each, positions rebuilt).
/// The figure is trades settled per second of the resolver's run.
struct BenchSettle: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "settle",
        abstract: "resolver --once over N stored trades of resolved markets: trades settled/s (target: 1M in ≤ 10 s).")

    @Option(help: "Synthetic trades to load.") var trades = 1_000_000
    @Option(help: "Markets in the simulated world (those resolved by its end carry the trades).") var markets = 2_000
    @Option(help: "Distinct wallets among the synthetic trades.") var wallets = 10_000
    @Option(help: "Folder for local state.") var state = ".remora"
    @Option(help: "Port of the embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329
    @Flag(help: "Print checksums of the settlements and positions (to compare runs).") var checksums = false

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let folder = root.appendingPathComponent("bench-settle")
        try? FileManager.default.removeItem(at: folder)
        // Few wallets: the simulator only provides the markets (and the stub's Gamma answers).
        let world = try WorldGenerator.generate(WorldParameters(seed: 3, wallets: 50, markets: markets, months: 12))
        try WorldWriter.write(world, to: folder.appendingPathComponent("world"))
        let stubWorld = try StubWorld.load(from: folder.appendingPathComponent("world"))
        let resolved = world.markets.filter { $0.truth.resolvedAt <= world.endTime && $0.truth.tokenIds.count == 2 }
        guard !resolved.isEmpty else { throw ValidationError("no market of the world is resolved by its end") }

        let (databaseURL, configuration) = try await benchDatabase("remora_bench_settle", root: root, port: port)
        let loadStarted = ContinuousClock.now
        try await load(resolved, configuration: configuration)
        print(String(format: "loaded %d trades over %d resolved markets (of %d), %d wallets in %.1f s",
                     trades, resolved.count, world.markets.count, wallets, seconds(ContinuousClock.now - loadStarted)))

        let stub = RemoraAPIStub.APIStub(world: stubWorld, clock: FixedReplayClock(at: world.endTime))
        let server = try await stub.startOnLoopback()
        let stubPort = server.port
        defer { server.cancel() }

        let resolver = ServiceCatalog.binDirectory.appendingPathComponent("resolver").path
        let api = "http://127.0.0.1:\(stubPort)"
        let environment = [
            "DATABASE_URL": databaseURL, "REMORA_GAMMA_API_URL": api + "/gamma-api", "REMORA_CLOB_API_URL": api + "/clob",
            "REMORA_RESOLVER_MARGIN_S": "0", "REMORA_API_BUDGET_SCALE": "1000", "REMORA_LOG_LEVEL": "warning",
            "REMORA_HTTP_PORT": String(try freeLoopbackPort()),
            "REMORA_BUS_PUB": "tcp://127.0.0.1:\(try freeLoopbackPort())", "REMORA_BUS_SUB": "tcp://127.0.0.1:\(try freeLoopbackPort())",
        ]
        let started = ContinuousClock.now
        let (status, output) = try await runAndWait([resolver, "--once"], environment: environment)
        let elapsed = seconds(ContinuousClock.now - started)
        guard status == 0 else { throw ValidationError("resolver failed (\(status)): \(output.suffix(2000))") }
        print(output.split(separator: "\n").filter { $0.contains("markets checked") }.joined(separator: "\n"))

        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            var settled: Int64 = 0
            for try await n in try await store.client.query("SELECT count(*) FROM trade_settlements").decode(Int64.self) {
                settled = n
            }
            print(String(format: "settled %d trades in %.2f s: %.0f trades/s (target ≥ 100,000 trades/s: 1M in ≤ 10 s)",
                         settled, elapsed, Double(settled) / elapsed))
            if checksums {
                let queries = [
                    ("settlements", "SELECT md5(string_agg(uid || ' ' || key || ' ' || event_time || ' ' || payload::text, E'\\n' ORDER BY uid)) FROM trade_settlements"),
                    ("settlement seqs", "SELECT md5(string_agg(uid || ' ' || partition || ' ' || seq, E'\\n' ORDER BY uid)) FROM trade_settlements"),
                    ("positions", "SELECT md5(string_agg(p::text, E'\\n' ORDER BY wallet, condition_id, outcome_index)) FROM wallet_positions p"),
                    ("resolutions", "SELECT md5(string_agg(uid || ' ' || payload::text, E'\\n' ORDER BY uid)) FROM market_resolutions"),
                ]
                for (name, sql) in queries {
                    for try await sum in try await store.client.query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) {
                        print("checksum \(name): \(sum ?? "none")")
                    }
                }
            }
        }
        var child = rusage()
        getrusage(RUSAGE_CHILDREN.rawValue, &child)
        let cpu = Double(child.ru_utime.tv_sec + child.ru_stime.tv_sec) + Double(child.ru_utime.tv_usec + child.ru_stime.tv_usec) / 1e6
        print(String(format: "CPU: resolver %.1f s (the rest of the wall time: PostgreSQL, the stub)", cpu))
    }

    /// The trades, built inside PostgreSQL in one statement: each row as the fetcher stores it
    /// (the payload is `Trade.canonicalJSON`'s fields; jsonb keeps its own key order anyway).
    private func load(_ markets: [SimulatedMarket], configuration: DatabaseConfiguration) async throws {
        let addresses = (0..<wallets).map { i in "0x" + String(repeating: "0", count: 32) + String(format: "%08x", i) }
        let partitions = addresses.map { Partitioner.partition(of: $0) }
        let ids = markets.map(\.truth.conditionId)
        let token0 = markets.map { $0.truth.tokenIds[0] }
        let token1 = markets.map { $0.truth.tokenIds[1] }
        let opens = markets.map(\.truth.startTime)
        let spans = markets.map { max(1, min($0.truth.closedTime, $0.truth.resolvedAt) - $0.truth.startTime) }
        let titles = markets.map(\.question)
        let n = trades
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            try await store.transaction { connection in
                try await connection.run(
                    """
                    INSERT INTO trades (partition, seq, uid, key, event_time, produced_at, payload)
                    SELECT t.part, row_number() OVER (PARTITION BY t.part ORDER BY t.ts, t.g), t.id, t.wallet, t.ts, t.ts,
                        jsonb_build_object(
                            'asset', t.asset, 'conditionId', t.cid, 'id', t.id, 'outcome', t.outcome,
                            'outcomeIndex', t.oi, 'price', t.price_text, 'role', t.role, 'side', t.side,
                            'size', t.size_text, 'timestamp', t.ts, 'title', t.title, 'transactionHash', t.hash,
                            'wallet', t.wallet)
                    FROM (
                        SELECT x.*, x.hash || ':' || x.asset || ':' || x.side || ':' || x.size_micros || ':' || x.price_micros
                                 || ':' || x.wallet || ':0' AS id
                        FROM (
                            SELECT g, w.address AS wallet, w.part, m.cid, m.title,
                                CASE WHEN o.oi = 0 THEN m.t0 ELSE m.t1 END AS asset, o.oi,
                                CASE WHEN o.oi = 0 THEN 'Yes' ELSE 'No' END AS outcome,
                                CASE WHEN g % 10 < 7 THEN 'BUY' ELSE 'SELL' END AS side,
                                (ARRAY['taker','maker','unknown'])[1 + g % 3] AS role,
                                v.price_micros, trim_scale(v.price_micros::numeric / 1000000)::text AS price_text,
                                v.size_micros, trim_scale(v.size_micros::numeric / 1000000)::text AS size_text,
                                (m.open + (g * 7919) % m.span) * 1000 AS ts,
                                '0x' || lpad(to_hex(g), 64, '0') AS hash
                            FROM generate_series(1, \(n)::bigint) AS g
                            CROSS JOIN LATERAL (SELECT (g * 31 % 2)::int AS oi) AS o
                            CROSS JOIN LATERAL (SELECT 10000 * (1 + g * 13 % 99) AS price_micros,
                                                       10000 * (1 + g * 17 % 5000) AS size_micros) AS v
                            JOIN unnest(\(addresses)::text[], \(partitions)::int[]) WITH ORDINALITY AS w(address, part, i)
                                ON w.i = 1 + g % \(addresses.count)
                            JOIN unnest(\(ids)::text[], \(token0)::text[], \(token1)::text[], \(opens)::bigint[],
                                        \(spans)::bigint[], \(titles)::text[]) WITH ORDINALITY AS m(cid, t0, t1, open, span, title, j)
                                ON m.j = 1 + (g * 104729) % \(ids.count)
                        ) AS x
                    ) AS t
                    """, logger: quietLogger())
                try await connection.run(
                    """
                    UPDATE stream_heads h SET seq = t.last, watermark = t.mark
                    FROM (SELECT partition, max(seq) AS last, max(event_time) AS mark FROM trades GROUP BY partition) AS t
                    WHERE h.stream = 'trade' AND h.partition = t.partition
                    """, logger: quietLogger())
                try await connection.run(
                    "INSERT INTO market_watch (condition_id, first_seen) SELECT DISTINCT condition_id, 0 FROM trades",
                    logger: quietLogger())
            }
            try await store.client.query("VACUUM ANALYZE trades")
        }
    }
}

func seconds(_ duration: Duration) -> Double {
    Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}

