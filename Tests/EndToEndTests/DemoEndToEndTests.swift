import Foundation
import RemoraRuntime
import RemoraSimulator
import RemoraTestSupport
import Testing

/// `make demo`'s job: the seven services on a generated world, its trades and results read
/// through the Polymarket clients from the loopback API stub (with faults), must end exactly where
/// the NDJSON replay of the same world ends.
@Suite("Demo: through the loopback API as through the files", .serialized)
struct DemoEndToEndTests {
    @Test("remora demo over the API stub with 5 % faults gives the file replay's summary, line for line")
    func apiMatchesFiles() throws {
        let (state, port) = try Self.demoState("remora-demo")
        defer { Self.remove(state, port: port) }
        func demo(_ source: String) throws -> [String] {
            // Its own embedded cluster, whatever the caller's DATABASE_URL.
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
                 "--quiet", "--wallets", "150", "--markets", "100", "--months", "2", "--source", source, "--faults", "0.05",
                 "--timeout", "300"],
                removing: ["DATABASE_URL"])
            let status = run.wait()
            #expect(status == 0, "\(run.output)")
            return Self.summaryBlock(run.output)
        }
        let api = try demo("api")
        let files = try demo("file")
        #expect(api.count > 10, "\(api)")
        #expect(api == files, "\(linesDiffering(api.joined(separator: "\n"), files.joined(separator: "\n")))")
        #expect(api.contains { $0.hasPrefix("  paper fills") && !$0.hasSuffix(" 0") }, "\(api)")
        try Self.explainsEveryKind(state: state, port: port)
    }

    /// `remora explain` on the run's ids: a filled order (by order id), a trade rejected at the
    /// trade gate with its measures, one rejected at the whale gate, a prefix, and a miss.
    static func explainsEveryKind(state: URL, port: Int) throws {
        let remora = builtProductsDirectory.appendingPathComponent("remora").path
        let url = try ChildProcess([remora, "db", "url", "--state", state.path, "--port", "\(port)"])
        #expect(url.wait() == 0)
        // The cluster's URL names its default database; the demo's is remora_demo.
        let cluster = url.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let database = String(cluster[..<(cluster.lastIndex(of: "/") ?? cluster.endIndex)]) + "/remora_demo"
        func sql(_ query: String) throws -> String {
            let run = try ChildProcess(["psql", database, "-Atc", query])
            #expect(run.wait() == 0, "\(run.output)")
            return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        func explain(_ id: String) throws -> (Int32, String) {
            let run = try ChildProcess([remora, "explain", id], environment: ["DATABASE_URL": database])
            return (run.wait(), run.output)
        }
        let filled = try sql("SELECT uid FROM order_decisions WHERE status = 'filled' AND payload->>'side' = 'BUY' ORDER BY uid LIMIT 1")
        let (status, text) = try explain(filled)
        #expect(status == 0, "\(text)")
        for part in ["whale, as of the trade", "copyability", "verdict: passed", "full Kelly", "risk guard", "filled"] {
            #expect(text.contains(part), "\(part) missing from:\n\(text)")
        }
        let measured = try sql("SELECT uid FROM signals WHERE stage = 'trade' AND payload ? 'copyability' AND NOT accepted ORDER BY uid LIMIT 1")
        let (_, rejected) = try explain(measured)
        #expect(rejected.contains("verdict: rejected at the trade gate") && rejected.contains("reference order"), "\(rejected)")
        #expect(!rejected.contains("sizer"), "\(rejected)")
        let whale = try sql("SELECT uid FROM signals WHERE reason = 'score_below_threshold' ORDER BY uid LIMIT 1")
        let (_, low) = try explain(String(whale.prefix(70)))
        #expect(low.contains("verdict: rejected at the whale gate: score_below_threshold") && low.contains("WQS"), "\(low)")
        let (missing, miss) = try explain("0xnothing")
        #expect(missing == 1 && miss.contains("no trade or order"), "\(miss)")

        // Quarantine: the gate's verdicts name it, its alerts are stored, the operator's list agrees.
        let held = try sql("SELECT uid FROM signals WHERE reason = 'quarantined' ORDER BY uid LIMIT 1")
        let (_, quarantined) = try explain(held)
        #expect(quarantined.contains("verdict: rejected at the whale gate: quarantined") && quarantined.contains("quarantined since"), "\(quarantined)")
        let alerted = try sql("SELECT count(DISTINCT key) FROM alerts WHERE payload->>'code' = 'whale_quarantined'")
        #expect((Int(alerted) ?? 0) > 0)
        // An exit that sold: the whale's sale, the share, what the book held from it.
        let sold = try sql("SELECT uid FROM order_decisions WHERE status = 'filled' AND payload->>'side' = 'SELL' ORDER BY uid LIMIT 1")
        let (_, exit) = try explain(sold)
        #expect(exit.contains("verdict: exit") && exit.contains("of what the book holds from this whale") && exit.contains("sold "), "\(exit)")
        let list = try ChildProcess([remora, "quarantine", "list", "--profile", "demo"], environment: ["DATABASE_URL": database])
        #expect(list.wait() == 0, "\(list.output)")
        #expect(list.output.contains("in quarantine; releases approved by nobody (auto)"), "\(list.output)")
        // The book's trading state and its audit chain, as an operator reads them.
        let risk = try ChildProcess([remora, "risk", "status"], environment: ["DATABASE_URL": database])
        #expect(risk.wait() == 0, "\(risk.output)")
        #expect(risk.output.contains("trading state: ACTIVE (mVaR ") && risk.output.contains("green 100.00 %"), "\(risk.output)")
        let verify = try ChildProcess([remora, "audit", "verify"], environment: ["DATABASE_URL": database])
        #expect(verify.wait() == 0, "\(verify.output)")
        #expect(verify.output.contains("audit chain intact: \(try sql("SELECT count(*) FROM audit_chain")) entries"), "\(verify.output)")
        // Every decision is in it, and the resolutions that closed a position (at most one per market).
        #expect(try sql("SELECT count(*) FROM audit_chain WHERE kind = 'decision'") == (try sql("SELECT count(*) FROM order_decisions")))
        #expect(try sql("SELECT count(*) FROM audit_chain WHERE kind = 'resolution'") != "0")
        #expect(try sql("SELECT count(*) FROM audit_chain a LEFT JOIN book_resolutions b ON b.condition_id = a.entry::jsonb->'payload'->>'conditionId' WHERE a.kind = 'resolution' AND b.condition_id IS NULL") == "0")
    }

    @Test("PostgreSQL restarted during the backfill, the scoring and the deciding (fast and immediate, kept down): the undisturbed run's summary")
    func databaseRestartedAtThreeMoments() throws {
        let (state, port) = try Self.demoState("remora-drill")
        defer { Self.remove(state, port: port) }
        func demo(_ extra: [String]) throws -> String {
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
                 "--quiet", "--wallets", "150", "--markets", "100", "--months", "2", "--faults", "0.05", "--timeout", "300"] + extra,
                // A transaction caught by a restart is given up after 3 s, not 10: a shorter test.
                environment: ["REMORA_DB_STALL_S": "3"], removing: ["DATABASE_URL"])
            #expect(run.wait() == 0, "\(run.output.suffix(10000))")
            return run.output
        }
        let calm = try demo([])
        let drilled = try demo(["--restart-db", "backfill,scoring:immediate:3,deciding:fast:2"])
        #expect(Self.summaryBlock(calm).count > 10)
        #expect(Self.summaryBlock(drilled) == Self.summaryBlock(calm))
        // Each restart happened, in order, at its moment: the backfill's before any trade was stored
        // (a pass commits at its end), the others once their stage had input.
        let drills = drilled.split(separator: "\n").filter { $0.hasPrefix("demo: PostgreSQL restart") }
        #expect(drills.count == 3, "\(drills)")
        if drills.count == 3 {
            #expect(drills[0].contains("(fast, down 0 s) during backfill: trades in 0,"), "\(drills[0])")
            #expect(drills[1].contains("(immediate, down 3 s) during scoring") && !drills[1].contains("settled 0,"), "\(drills[1])")
            #expect(drills[2].contains("(fast, down 2 s) during deciding") && !drills[2].contains("signals passed 0,"), "\(drills[2])")
        }
        // No stage crash-looped: a stage may be restarted by its watchdog or by postgres-nio's
        // assertion after a restart, at most once per restart of the database.
        let restarts = drilled.split(separator: "\n").first { $0.hasPrefix("  restarts") }.map(String.init) ?? ""
        let counts = restarts.split(separator: " ").compactMap { $0.split(separator: "×").last.flatMap { Int($0.trimmingCharacters(in: .punctuationCharacters)) } }
        #expect(counts.allSatisfy { $0 <= 3 }, "\(restarts)")
    }

    /// A state folder and a port of the demo's own embedded cluster.
    static func demoState(_ name: String) throws -> (URL, Int) {
        (FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)"), try freeLoopbackPort())
    }

    /// The demo leaves its embedded cluster up for the next run: stop it, then remove its folder.
    static func remove(_ state: URL, port: Int) {
        if let down = try? ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "db", "down", "--state", state.path, "--port", "\(port)"])
        { _ = down.wait() }
        try? FileManager.default.removeItem(at: state)
    }

    /// The summary block: its title and the indented lines under it, without the timing and
    /// restart lines — not whatever a logger interleaves after it.
    static func summaryBlock(_ output: String) -> [String] {
        let lines = output.split(separator: "\n").map(String.init)
        guard let start = lines.firstIndex(of: "Remora demo summary") else { return [] }
        return [lines[start]] + lines[(start + 1)...].prefix { $0.hasPrefix("  ") }
            .filter { !$0.contains("drained in") && !$0.contains("restarts") }
    }

    @Test("a trader following 1, 3 or 10 whales: the strict pipeline drains, with exactly their trades and settlements", arguments: [1, 3, 10])
    func fewWatchedWallets(watch: Int) throws {
        let parameters = WorldParameters(seed: 5, wallets: 60, markets: 40, months: 2)
        let world = try WorldGenerator.generate(parameters)
        let (state, port) = try Self.demoState("remora-watch")
        defer { Self.remove(state, port: port) }
        let run = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
             "--quiet", "--seed", "5", "--wallets", "60", "--markets", "40", "--months", "2", "--watch", "\(watch)",
             "--timeout", "120"],
            removing: ["DATABASE_URL"])
        #expect(run.wait() == 0, "\(run.output.suffix(3000))")
        let summary = Self.summaryBlock(run.output)
        // Independently: the watched wallets are the most active ones; their trades, and those of
        // them in markets resolved by the world's end, are what must come in and settle.
        let chosen = world.wallets.indices.sorted {
            (world.wallets[$0].truth.trades, world.wallets[$1].truth.address) > (world.wallets[$1].truth.trades, world.wallets[$0].truth.address)
        }.prefix(watch)
        let theirs = world.trades.filter { chosen.contains(Int($0.wallet)) }
        let settled = theirs.filter { world.markets[Int($0.market)].truth.resolvedAt <= world.endTime }
        #expect(summary.contains("  trades in            \(theirs.count)"), "\(summary)")
        #expect(summary.contains("  trades settled       \(settled.count)"), "\(summary)")
        #expect(summary.contains("  wallets scored       \(Set(settled.map(\.wallet)).count)"), "\(summary)")
        #expect(summary.contains("  dead letters         0"), "\(summary)")
        // A clean run ends without an error line from any service or from the stub's server.
        var lines = run.output.split(separator: "\n").map(String.init)
        let logs = state.appendingPathComponent("logs")
        for file in (try? FileManager.default.contentsOfDirectory(atPath: logs.path)) ?? [] where file.hasSuffix(".log") {
            let text = (try? String(contentsOf: logs.appendingPathComponent(file), encoding: .utf8)) ?? ""
            lines += text.split(separator: "\n").map { "\(file): \($0)" }
        }
        let errors = lines.filter { $0.contains("level=error") || $0.contains("level=critical") || $0.contains("Error") }
        #expect(errors.isEmpty, "\(errors.prefix(5))")
    }
}
