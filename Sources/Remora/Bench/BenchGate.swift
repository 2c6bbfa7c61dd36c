import ArgumentParser
import Foundation
import PostgresNIO
import RemoraAPIStub
import RemoraRuntime
import RemoraStore

/// `remora bench gate`: the signal gate and the sizer catching up in strict event time on the
/// trades of a finished `remora demo` (its database, its world served again for the CLOB), from
/// scratch: every verdict and order decided again, commits included. Says whether the verdicts are
/// the same as the demo's.
struct BenchGate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gate",
        abstract: "Strict-mode catch-up through the signal gate and the sizer on a finished demo's trades: trades/s (target ≥ 2,000).",
        discussion: """
            Run `make demo` (or `remora demo --wallets 1000 --markets 800 --months 12` for a larger world) first, with \
            the same --state. The gate and the sizer's cursors and outputs (signals, orders) are reset; both services \
            start with the demo's gate profile and decide every trade again. The demo's book is left as it was.
            """)

    @Option(help: "Folder of the demo's state.") var state = ".remora"
    @Option(help: "Port of the demo's embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329

    func run() async throws {
        let databaseURL = try DemoBench.databaseURL(state: state, port: port)
        let listening = try await DemoBench.serveWorld(state: state)
        defer { listening.cancel() }

        let configuration = try DatabaseConfiguration(url: databaseURL)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            func one(_ sql: PostgresQuery) async throws -> Int64 {
                for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
                return 0
            }
            func text(_ sql: PostgresQuery) async throws -> String {
                for try await t in try await store.client.query(sql).decode(String?.self) { return t ?? "" }
                return ""
            }
            let trades = try await one("SELECT count(*) FROM trades")
            guard trades > 0 else { throw ValidationError("no trades in \(configuration.database): run the demo first") }
            let verdicts: PostgresQuery = "SELECT md5(string_agg(uid || ':' || reason, ',' ORDER BY uid)) FROM signals"
            let before = try await text(verdicts)
            try await store.transaction { connection in
                try await connection.run(
                    "DELETE FROM consumer_cursors WHERE consumer IN ('signal-gate', 'sizer')", logger: store.logger)
                try await connection.run("TRUNCATE signals, orders", logger: store.logger)
                try await connection.run(
                    """
                    UPDATE stream_heads SET seq = 0, watermark = -9223372036854775808
                    WHERE stream IN ('signal', 'order.proposed')
                    """, logger: store.logger)
            }
            var environment: [String: String] = [
                "DATABASE_URL": databaseURL, "REMORA_EVENT_TIME": "strict", "REMORA_LOG_LEVEL": "warning",
                "REMORA_CLOB_API_URL": "http://127.0.0.1:\(listening.port)/clob", "REMORA_API_BUDGET_SCALE": "100",
            ]
            for (name, value) in Demo.gateProfile where ProcessInfo.processInfo.environment[name] == nil { environment[name] = value }
            func start(_ service: String) throws -> ChildProcess {
                var own = environment
                own["REMORA_HTTP_PORT"] = String(try freeLoopbackPort())
                own["REMORA_BUS_PUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
                own["REMORA_BUS_SUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
                return try ChildProcess([ServiceCatalog.binDirectory.appendingPathComponent(service).path], environment: own)
            }
            let started = ContinuousClock.now
            let gate = try start("signal-gate")
            let sizer = try start("sizer")
            defer {
                _ = gate.stop()
                _ = sizer.stop()
            }
            func behind(_ consumer: String, _ stream: String) async throws -> Int64 {
                try await one(
                    """
                    SELECT coalesce(sum(h.seq - coalesce(k.seq, 0)), 0)::bigint FROM stream_heads h
                    LEFT JOIN consumer_cursors k ON k.consumer = \(consumer) AND k.stream = h.stream AND k.partition = h.partition
                    WHERE h.stream = \(stream)
                    """)
            }
            var firstSignal: Duration?
            while true {
                let signals = try await one("SELECT count(*) FROM signals")
                if firstSignal == nil, signals > 0 { firstSignal = ContinuousClock.now - started }
                if signals == trades, try await behind("signal-gate", "trade") == 0, try await behind("sizer", "signal") == 0 { break }
                if ContinuousClock.now - started > .seconds(1800) { throw ValidationError("the gate and the sizer did not catch up in 30 minutes") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = (ContinuousClock.now - started).inSeconds
            let orders = try await one("SELECT count(*) FROM orders")
            let after = try await text(verdicts)
            let warm = firstSignal.map { elapsed - $0.inSeconds } ?? elapsed
            print(String(
                format: "gate + sizer, strict event time: %lld trades → %lld signals, %lld orders in %.2f s: %.0f trades/s "
                    + "(%.0f trades/s after the first verdict, %.2f s in) [target ≥ 2,000]",
                trades, trades, orders, elapsed, Double(trades) / elapsed, Double(trades) / max(warm, 0.001),
                firstSignal?.inSeconds ?? 0))
            print("verdicts the same as the run before: \(before.isEmpty ? "no run before" : before == after ? "yes" : "NO")")
        }
    }
}
