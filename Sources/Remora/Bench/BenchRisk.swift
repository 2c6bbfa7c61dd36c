import ArgumentParser
import Foundation
import PostgresNIO
import RemoraAPIStub
import RemoraRuntime
import RemoraStore

/// `remora bench risk`: the risk guard catching up in strict event time on the orders of a
/// finished `remora demo` (its database, its world served again for the CLOB), from an empty
/// book: every order decided again — market data, mVaR, stage 3, fills, the audit chain and the
/// commits included. Says whether the decisions are the demo's.
struct BenchRisk: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "risk",
        abstract: "Strict-mode catch-up of the risk guard on a finished demo's orders: orders/s (target ≥ 1,000).",
        discussion: """
            Run `make demo` (or `remora demo --wallets 1000 --markets 800 --months 12` for a larger world) first, with \
            the same --state. The book, the decisions, the applied resolutions and the audit chain are reset and the \
            risk guard decides every order again. The attributor's outputs are left as they were: run the demo again \
            before reading its summary.
            """)

    @Option(help: "Folder of the demo's state.") var state = ".remora"
    @Option(help: "Port of the demo's embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329

    func run() async throws {
        let databaseURL = try DemoBench.databaseURL(state: state, port: port)
        let listening = try await DemoBench.serveWorld(state: state)
        defer { listening.cancel() }

        let configuration = try DatabaseConfiguration(url: databaseURL)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            try await Migrator().migrate(store)
            func one(_ sql: PostgresQuery) async throws -> Int64 {
                for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
                return 0
            }
            func text(_ sql: PostgresQuery) async throws -> String {
                for try await t in try await store.client.query(sql).decode(String?.self) { return t ?? "" }
                return ""
            }
            let orders = try await one("SELECT count(*) FROM orders")
            guard orders > 0 else { throw ValidationError("no orders in \(configuration.database): run the demo first") }
            let decisions: PostgresQuery =
                "SELECT md5(string_agg(uid || ':' || reason || ':' || (payload->>'fillShares'), ',' ORDER BY uid)) FROM order_decisions"
            let before = try await text(decisions)
            try await store.transaction { connection in
                try await connection.run("UPDATE orders SET decided = false WHERE decided", logger: store.logger)
                try await connection.run("TRUNCATE order_decisions, book_resolutions, positions, audit_chain", logger: store.logger)
                try await connection.run("DELETE FROM portfolio", logger: store.logger)
                try await connection.run(
                    "UPDATE stream_heads SET seq = 0, watermark = -9223372036854775808 WHERE stream = 'order.decided'", logger: store.logger)
            }
            var environment: [String: String] = [
                "DATABASE_URL": databaseURL, "REMORA_EVENT_TIME": "strict", "REMORA_LOG_LEVEL": "warning",
                "REMORA_CLOB_API_URL": "http://127.0.0.1:\(listening.port)/clob", "REMORA_API_BUDGET_SCALE": "100",
            ]
            environment["REMORA_HTTP_PORT"] = String(try freeLoopbackPort())
            environment["REMORA_BUS_PUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            environment["REMORA_BUS_SUB"] = "tcp://127.0.0.1:\(try freeLoopbackPort())"
            let started = ContinuousClock.now
            let guardian = try ChildProcess([ServiceCatalog.binDirectory.appendingPathComponent("risk-guard").path], environment: environment)
            defer { _ = guardian.stop() }
            // The risk guard decides when the bus wakes it, or on its idle tick: nothing to wake it
            // here but its own start and ticks, as after a restart.
            // Done when every order is decided and the position controls have run up to the
            // upstream horizon (the order.decided watermark has reached it).
            var firstDecision: Duration?
            while true {
                let decided = try await one("SELECT count(*) FROM order_decisions WHERE NOT payload ? 'trigger'")
                if firstDecision == nil, decided > 0 { firstDecision = ContinuousClock.now - started }
                if decided == orders, try await one(
                    """
                    SELECT count(*) FROM (SELECT min(watermark) AS w FROM stream_heads WHERE stream = 'order.decided') d,
                        (SELECT min(watermark) AS w FROM stream_heads WHERE stream IN ('order.proposed', 'market.resolved')) u
                    WHERE d.w >= u.w
                    """) == 1
                { break }
                if ContinuousClock.now - started > .seconds(1800) { throw ValidationError("the risk guard did not catch up in 30 minutes") }
                try await Task.sleep(for: .milliseconds(50))
            }
            let elapsed = (ContinuousClock.now - started).inSeconds
            let filled = try await one("SELECT count(*) FROM order_decisions WHERE status = 'filled' AND NOT payload ? 'trigger'")
            let controls = try await one("SELECT count(*) FROM order_decisions WHERE payload ? 'trigger'")
            let chain = try await one("SELECT count(*) FROM audit_chain")
            let after = try await text(decisions)
            print(String(
                format: "risk guard, strict event time: %lld orders → %lld filled, %lld control sales, %lld audit entries in %.2f s "
                    + "(start-up included; the first decision %.2f s in): %.0f orders/s [target ≥ 1,000]",
                orders, filled, controls, chain, elapsed, firstDecision?.inSeconds ?? 0, Double(orders) / elapsed))
            print("decisions the same as the run before: \(before.isEmpty ? "no run before" : before == after ? "yes" : "NO")")
        }
    }
}
