import ArgumentParser
import Foundation
import PostgresNIO
import RemoraAPIStub
import RemoraRuntime
import RemoraStore

/// `remora bench scale`: what a second replica buys. The scorer and the signal gate catch up on a
/// finished demo's database (its world served again for the CLOB) with one replica owning every
/// partition, then with two splitting them (0-7, 8-15), from the same reset state each time.
struct BenchScale: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scale",
        abstract: "Scorer and signal-gate catch-up with 1 and 2 replicas splitting the partitions: throughput and the ratio.",
        discussion: """
            Run `remora demo --wallets 1000 --markets 800 --months 12` (or `make demo`) first, with the same --state. \
            For each stage: its cursors and outputs are reset (the scorer's tables; the gate's signals), the stage \
            catches up with one replica, is reset again, and catches up with two replicas on partitions 0-7 and \
            8-15. The scorer runs in live event time (what it scores does not wait on watermarks), the gate in \
            strict event time on the scores already stored. Leaves the outputs as a full run leaves them.
            """)

    @Option(help: "Folder of the demo's state.") var state = ".remora"
    @Option(help: "Port of the demo's embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329
    @Option(help: "Stages to measure: scorer, signal-gate.") var stage: [String] = ["scorer", "signal-gate"]
    @Option(help: "Database of that cluster (remora_bench_settle: `remora bench settle`'s million settlements, scorer only).")
    var database = "remora_demo"

    func run() async throws {
        let databaseURL = try DemoBench.databaseURL(state: state, port: port, database: database)
        // The gate reads books at the copy instant: the demo's world, served again.
        var clob = "http://127.0.0.1:9/clob"
        var listening: LoopbackServer?
        if stage.contains("signal-gate") {
            let served = try await DemoBench.serveWorld(state: state)
            clob = "http://127.0.0.1:\(served.port)/clob"
            listening = served
        }
        defer { listening?.cancel() }
        let clobURL = clob
        let configuration = try DatabaseConfiguration(url: databaseURL)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            func one(_ sql: PostgresQuery) async throws -> Int64 {
                for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
                return 0
            }
            func behind(_ consumer: String, _ stream: String) async throws -> Int64 {
                try await one(
                    """
                    SELECT coalesce(sum(h.seq - coalesce(k.seq, 0)), 0)::bigint FROM stream_heads h
                    LEFT JOIN consumer_cursors k ON k.consumer = \(consumer) AND k.stream = h.stream AND k.partition = h.partition
                    WHERE h.stream = \(stream)
                    """)
            }
            func text(_ sql: String) async throws -> String {
                for try await t in try await store.client.query(PostgresQuery(unsafeSQL: sql)).decode(String?.self) { return t ?? "" }
                return ""
            }
            for name in stage {
                let (input, reset, mode, outcome): (String, [String], String, String)
                switch name {
                case "scorer":
                    input = "trade.settled"
                    reset = ["DELETE FROM consumer_cursors WHERE consumer = 'scorer'", "TRUNCATE wallet_scores, wallet_score_days, wallet_stats"]
                    mode = "live"
                    outcome = "SELECT md5(string_agg(wallet || ':' || round(wqs::numeric, 9), ',' ORDER BY wallet)) FROM wallet_scores"
                case "signal-gate":
                    input = "trade"
                    reset = [
                        "DELETE FROM consumer_cursors WHERE consumer = 'signal-gate'", "TRUNCATE signals",
                        "UPDATE stream_heads SET seq = 0, watermark = -9223372036854775808 WHERE stream = 'signal'",
                    ]
                    mode = "strict"
                    outcome = "SELECT md5(string_agg(uid || ':' || reason, ',' ORDER BY uid)) FROM signals"
                default: throw ValidationError("--stage is scorer or signal-gate, not \(name)")
                }
                let messages = try await one(PostgresQuery(unsafeSQL: "SELECT coalesce(sum(seq), 0)::bigint FROM stream_heads WHERE stream = '\(input)'"))
                guard messages > 0 else { throw ValidationError("no \(input) messages in \(configuration.database): run the demo first") }
                var rates: [Double] = []
                var outcomes: [String] = []
                for partitions in [["all"], ["0-7", "8-15"]] {
                    try await store.transaction { connection in
                        for statement in reset { try await connection.run(PostgresQuery(unsafeSQL: statement), logger: store.logger) }
                    }
                    var environment: [String: String] = [
                        "DATABASE_URL": databaseURL, "REMORA_EVENT_TIME": mode, "REMORA_LOG_LEVEL": "warning",
                        "REMORA_CLOB_API_URL": clobURL, "REMORA_API_BUDGET_SCALE": "100",
                    ]
                    for (key, value) in Demo.gateProfile where ProcessInfo.processInfo.environment[key] == nil { environment[key] = value }
                    let started = ContinuousClock.now
                    let replicas = try partitions.map { owned -> ChildProcess in
                        var own = environment
                        own["REMORA_PARTITIONS"] = owned
                        own["REMORA_HTTP_PORT"] = String(try freeLoopbackPort())
                        own["REMORA_BUS_PUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
                        own["REMORA_BUS_SUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
                        return try ChildProcess([ServiceCatalog.binDirectory.appendingPathComponent(name).path], environment: own)
                    }
                    defer { for replica in replicas { _ = replica.stop() } }
                    while try await behind(name, input) > 0 {
                        if ContinuousClock.now - started > .seconds(3600) { throw ValidationError("\(name) did not catch up in an hour") }
                        try await Task.sleep(for: .milliseconds(50))
                    }
                    let seconds = (ContinuousClock.now - started).inSeconds
                    rates.append(Double(messages) / seconds)
                    outcomes.append(try await text(outcome))
                    print(String(
                        format: "%@, %d replica%@ (%@): %lld %@ messages in %.2f s, %.0f/s", name, partitions.count,
                        partitions.count == 1 ? "" : "s", partitions.joined(separator: ", "), messages, input, seconds, rates.last!))
                }
                print(String(
                    format: "%@: 2 replicas / 1 = %.2f× on %d cores; the same %@ either way: %@", name, rates[1] / rates[0],
                    ProcessInfo.processInfo.activeProcessorCount, name == "scorer" ? "scores" : "verdicts",
                    outcomes[0] == outcomes[1] && !outcomes[0].isEmpty ? "yes" : "NO"))
            }
        }
    }
}
