import ArgumentParser
import Foundation
import PostgresNIO
import RemoraRuntime
import RemoraStore

/// `remora bench scorer`: the scorer service over every settlement of `remora bench settle`'s
/// database (run that first; a million settlements across 10,000 wallets by default): how fast
/// it catches up, and its peak memory.
struct BenchScorer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scorer",
        abstract: "The scorer catching up on `remora bench settle`'s settlements (live event time): settlements scored/s and peak memory (target ≤ 150 MB at 1M).")

    @Option(help: "Folder of `remora bench settle`'s state.") var state = ".remora"
    @Option(help: "Port of that embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329
    @Option(help: "Settlements the scorer keeps in memory between steps.") var cache = 1_000_000
    @Option(help: "Settlements per partition in one scorer step (REMORA_SCORER_BATCH).") var batch = 250

    func run() async throws {
        var url = ProcessInfo.processInfo.environment["DATABASE_URL"] ?? ""
        if url.isEmpty {
            let local = LocalDatabase(root: URL(fileURLWithPath: state).standardizedFileURL, port: port)
            try local.up(database: "postgres")
            url = local.url(database: "remora_bench_settle")
        }
        let databaseURL = url
        let configuration = try DatabaseConfiguration(url: databaseURL)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            func one(_ sql: PostgresQuery) async throws -> Int64 {
                for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
                return 0
            }
            // From scratch: the scorer's cursor and tables emptied (published scores stay; their
            // uids make a re-run store nothing twice).
            try await store.transaction { connection in
                try await connection.run("DELETE FROM consumer_cursors WHERE consumer = 'scorer'", logger: store.logger)
                try await connection.run("TRUNCATE wallet_scores, wallet_score_days, wallet_stats", logger: store.logger)
            }
            let settlements = try await one("SELECT count(*) FROM trade_settlements")
            let wallets = try await one("SELECT count(DISTINCT wallet) FROM trade_settlements")
            guard settlements > 0 else { throw ValidationError("no settlements in \(configuration.database): run `remora bench settle` first") }
            let scorer = try ChildProcess(
                [ServiceCatalog.binDirectory.appendingPathComponent("scorer").path],
                environment: [
                    "DATABASE_URL": databaseURL, "REMORA_EVENT_TIME": "live", "REMORA_LOG_LEVEL": "warning", "REMORA_SCORER_BATCH": String(batch),
                    "REMORA_SCORER_CACHE_SETTLEMENTS": String(cache), "REMORA_HTTP_PORT": String(try freeLoopbackPort()),
                    "REMORA_BUS_PUB": "tcp://127.0.0.1:\(try freeLoopbackPort())", "REMORA_BUS_SUB": "tcp://127.0.0.1:\(try freeLoopbackPort())",
                ])
            let started = ContinuousClock.now
            var peak = 0
            while true {
                peak = max(peak, Self.peakKilobytes(of: scorer.pid))
                let behind = try await one(
                    """
                    SELECT coalesce(sum(h.seq - coalesce(k.seq, 0)), 0)::bigint FROM stream_heads h
                    LEFT JOIN consumer_cursors k ON k.consumer = 'scorer' AND k.stream = h.stream AND k.partition = h.partition
                    WHERE h.stream = 'trade.settled'
                    """)
                if behind == 0 { break }
                if ContinuousClock.now - started > .seconds(3600) { throw ValidationError("the scorer did not catch up in an hour") }
                try await Task.sleep(for: .milliseconds(200))
            }
            let elapsed = ContinuousClock.now - started
            peak = max(peak, Self.peakKilobytes(of: scorer.pid))
            _ = scorer.stop()
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let scored = try await one("SELECT count(*) FROM wallet_scores")
            let days = try await one("SELECT count(*) FROM wallet_score_days")
            print(String(format: "scorer: %d settlements of %d wallets scored in %.1f s (%.0f settlements/s); %d wallets, %d day rows stored",
                         settlements, wallets, seconds, Double(settlements) / seconds, scored, days))
            print("scorer peak memory (VmHWM): \(peak / 1024) MB with a \(cache)-settlement cache [target ≤ 150 MB]")
        }
    }

    /// Peak resident memory of a process (Linux /proc), kB; 0 once it is gone.
    static func peakKilobytes(of pid: pid_t) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return 0 }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "0") ?? 0
        }
        return 0
    }
}
