import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
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
    func apiMatchesFiles() async throws {
        let (state, port) = try Self.demoState("remora-demo")
        defer { Self.remove(state, port: port) }
        func demo(_ source: String) async throws -> [String] {
            // Its own embedded cluster, whatever the caller's DATABASE_URL.
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
                 "--quiet", "--seed", "\(Self.explainedSeed)", "--wallets", "150", "--markets", "100", "--months", "2", "--source", source, "--faults", "0.05",
                 "--timeout", "300"],
                removing: ["DATABASE_URL"])
            let status = await run.wait()
            #expect(status == 0, "\(run.output)")
            return Self.summaryBlock(run.output)
        }
        let api = try await demo("api")
        let files = try await demo("file")
        #expect(api.count > 10, "\(api)")
        #expect(api == files, "\(linesDiffering(api.joined(separator: "\n"), files.joined(separator: "\n")))")
        #expect(api.contains { $0.hasPrefix("  paper fills") && !$0.hasSuffix(" 0") }, "\(api)")
        // The attributor's rebuild of our book ends where the risk guard's book does (with nothing
        // open, marks cannot differ): to the micro-unit.
        func value(_ prefix: String, after word: String) -> String? {
            api.first { $0.hasPrefix(prefix) }?.components(separatedBy: word).dropFirst().first?.split(separator: " ").first.map(String.init)
        }
        if api.contains("  open positions       0") {
            #expect(value("  NAV ", after: "NAV") == value("    our book", after: "NAV") && value("  NAV ", after: "NAV") != nil, "\(api)")
        }
        try await Self.explainsEveryKind(state: state, port: port)
        try await Self.replayDecidesAsThePipeline(state: state, port: port)
        try await Self.dashboardInBrowser(state: state, port: port, summary: api)
        try await Self.positionsReconcile(state: state, port: port)
    }

    /// `remora reconcile positions`: the followed whales' positions rebuilt from the stored fills
    /// agree with the world's `/positions`; once a fill is lost, its wallet's gap is named and the
    /// command fails (the last step: it alters the database).
    static func positionsReconcile(state: URL, port: Int) async throws {
        let remora = builtProductsDirectory.appendingPathComponent("remora").path
        func reconcile(_ extra: [String]) async throws -> (Int32, String) {
            let run = try ChildProcess(
                [remora, "reconcile", "positions", "--demo", state.path, "--port", "\(port)", "--min-score", "20"] + extra,
                removing: ["DATABASE_URL"])
            return (await run.wait(), run.output)
        }
        let (status, text) = try await reconcile([])
        #expect(status == 0 && text.contains("wallets with a difference 0 of"), "\(text)")
        let held = text.split(separator: "\n").first { $0.hasPrefix("tokens held ") }.flatMap { Int($0.split(separator: " ")[2].filter(\.isNumber)) }
        #expect((held ?? 0) > 0, "\(text)")
        // Lose one buy of a followed whale in a market still open at the end.
        let url = try ChildProcess([remora, "db", "url", "--state", state.path, "--port", "\(port)"])
        #expect(await url.wait() == 0)
        let cluster = url.output.trimmingCharacters(in: .whitespacesAndNewlines)
        let database = String(cluster[..<(cluster.lastIndex(of: "/") ?? cluster.endIndex)]) + "/remora_demo"
        let lost = try ChildProcess(["psql", database, "-Atc", """
            WITH gone AS (
                SELECT t.uid, t.wallet FROM trades t LEFT JOIN market_resolutions r ON r.uid = t.condition_id
                WHERE r.uid IS NULL AND t.payload->>'side' = 'BUY' AND (t.payload->>'size')::numeric > 1
                  AND t.wallet IN (SELECT wallet FROM whale_scores WHERE score >= 20)
                ORDER BY t.uid LIMIT 1)
            DELETE FROM trades t USING gone WHERE t.uid = gone.uid RETURNING t.wallet
            """])
        #expect(await lost.wait() == 0, "\(lost.output)")
        let wallet = lost.output.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\n").first.map(String.init) ?? ""
        #expect(wallet.hasPrefix("0x"), "\(lost.output)")
        let (failed, gap) = try await reconcile(["--wallet", wallet])
        #expect(failed == 1 && gap.contains(wallet) && gap.contains("unexplained") && gap.contains("wallets with a difference 1 of 1"), "\(gap)")
    }

    /// The backtest's first promise: the in-process replay of the gate over the demo's world
    /// (`remora validate gate --against-demo`) gives every fill the verdict the signal gate stored.
    static func replayDecidesAsThePipeline(state: URL, port: Int) async throws {
        let run = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "validate", "gate", "--against-demo", state.path, "--port", "\(port)"],
            removing: ["DATABASE_URL"])
        #expect(await run.wait() == 0, "\(run.output)")
        let line = run.output.split(separator: "\n").first { $0.hasPrefix("fills on both sides") }.map(String.init) ?? ""
        let numbers = line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
        // fills on both sides N, same verdict N (100.00 %); replay only 0, pipeline only 0
        #expect(numbers.count >= 4 && numbers[0] > 100 && numbers[0] == numbers[1], "\(run.output)")
        #expect(line.hasSuffix("replay only 0, pipeline only 0"), "\(run.output)")
    }

    /// The dashboard of the run in headless Chromium (Debian's `chromium`, installed by `make
    /// test`): the page loads with no console error, its KPI cards show the summary's figures,
    /// the equity chart has a point per day, an order's explanation opens; a screenshot is taken.
    static func dashboardInBrowser(state: URL, port: Int, summary: [String]) async throws {
        guard let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first(where: FileManager.default.isExecutableFile) else {
            Issue.record("chromium is not installed: `make test` installs it (deploy/install-deps.sh test)")
            return
        }
        let remora = builtProductsDirectory.appendingPathComponent("remora").path
        let web = try freeLoopbackPort()
        let server = try ChildProcess(
            [remora, "dashboard", "--port", "\(web)", "--state", state.path, "--database-port", "\(port)"], removing: ["DATABASE_URL"])
        defer { _ = server.stop() }
        let url = "http://127.0.0.1:\(web)/"
        var ready = false
        for _ in 0..<100 where !ready {
            ready = (try? await URLSession.shared.data(from: URL(string: url + "health")!))?.0 == Data("ok\n".utf8)
            if !ready { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(ready, "\(server.output)")
        let profile = state.appendingPathComponent("chromium")
        func browse(_ extra: [String], _ page: String) async throws -> (Int32, String) {
            try await runAndWait(
                [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(profile.path)",
                 "--enable-logging=stderr", "--v=0"] + extra + [page])
        }
        let (status, dom) = try await browse(["--dump-dom"], url)
        #expect(status == 0, "\(dom.suffix(2000))")
        // Console errors (a failed resource, a script error) are logged as CONSOLE lines.
        let console = dom.split(separator: "\n").filter { $0.contains("CONSOLE") || $0.contains("Uncaught") }
        #expect(console.isEmpty, "\(console)")
        func card(_ id: String) -> String? {
            guard let start = dom.range(of: "id=\"\(id)\"") else { return nil }
            let rest = dom[start.upperBound...]
            guard let open = rest.range(of: "<div class=\"value\">"), let close = rest[open.upperBound...].range(of: "</div>") else { return nil }
            return String(rest[open.upperBound..<close.lowerBound])
        }
        // The summary's NAV (6 decimals) and Sharpe, as the cards round them.
        let ourBook = summary.first { $0.hasPrefix("    our book") } ?? ""
        let nav = ourBook.split(separator: " ").first { $0.contains(".") && $0.count > 6 }.flatMap { Double($0) }
        #expect(nav != nil && card("kpi-nav") == String(format: "%.2f", nav ?? 0), "\(ourBook) vs \(card("kpi-nav") ?? "-")")
        let performance = summary.first { $0.hasPrefix("    performance") } ?? ""
        let sharpe = performance.components(separatedBy: "Sharpe ").last?.split(separator: ",").first.map(String.init)
        #expect(sharpe != nil && card("kpi-sharpe") == sharpe, "\(performance) vs \(card("kpi-sharpe") ?? "-")")
        for id in ["kpi-mvar", "kpi-pass-rate", "kpi-drawdown", "kpi-excess", "kpi-quarantined"] { #expect(card(id) != nil, "\(id)") }
        let attributed = summary.first { $0.hasPrefix("  attribution") }?.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        #expect(attributed > 0)
        for series in ["ours", "benchmark", "rejected"] {
            #expect(dom.contains("data-series=\"\(series)\" data-points=\"\(attributed + 1)\""), "\(series): \(attributed + 1) points")
        }
        #expect(dom.contains("class=\"bar selection\"") && dom.contains("data-reason=\"passed\""))
        #expect(dom.contains("id=\"whale-table\"") && dom.contains("id=\"order-table\""))
        // An order's explanation, from its link.
        if let href = dom.range(of: "href=\"orders/").map({ dom[$0.upperBound...].prefix { $0 != "\"" } }) {
            let (_, order) = try await browse(["--dump-dom"], url + "orders/" + href)
            // A copy's chain (the gate's verdict) or a control sale's (the risk guard's own).
            #expect(order.contains("risk guard") && (order.contains("verdict:") || order.contains("position control")), "\(order.suffix(3000))")
        } else {
            Issue.record("no order link on the page")
        }
        let shot = state.appendingPathComponent("dashboard.png")
        let (shotStatus, shotLog) = try await browse(["--window-size=1200,2400", "--screenshot=\(shot.path)"], url)
        let png = try Data(contentsOf: shot)
        #expect(shotStatus == 0 && png.count > 20_000 && png.prefix(4) == Data([0x89, 0x50, 0x4E, 0x47]), "\(shotLog.suffix(1000))")
    }

    /// `remora explain` on the run's ids: a filled order (by order id), a trade rejected at the
    /// trade gate with its measures, one rejected at the whale gate, a prefix, and a miss.
    static func explainsEveryKind(state: URL, port: Int) async throws {
        let remora = builtProductsDirectory.appendingPathComponent("remora").path
        let database = try await demoDatabase(state: state, port: port)
        func sql(_ query: String) async throws -> String { try await Self.sql(query, on: database) }
        func explain(_ id: String) async throws -> (Int32, String) {
            let run = try ChildProcess([remora, "explain", id], environment: ["DATABASE_URL": database])
            return (await run.wait(), run.output)
        }
        let filled = try await sql("SELECT uid FROM order_decisions WHERE status = 'filled' AND payload->>'side' = 'BUY' ORDER BY uid LIMIT 1")
        let (status, text) = try await explain(filled)
        #expect(status == 0, "\(text)")
        for part in ["whale, as of the trade", "copyability", "verdict: passed", "full Kelly", "risk guard", "filled"] {
            #expect(text.contains(part), "\(part) missing from:\n\(text)")
        }
        let measured = try await sql("SELECT uid FROM signals WHERE stage = 'trade' AND payload ? 'copyability' AND NOT accepted ORDER BY uid LIMIT 1")
        let (_, rejected) = try await explain(measured)
        #expect(rejected.contains("verdict: rejected at the trade gate") && rejected.contains("reference order"), "\(rejected)")
        #expect(!rejected.contains("sizer"), "\(rejected)")
        // A prefix that names one trade (two fills of one transaction and token share a long one).
        let whale = try await sql(
            """
            SELECT uid FROM signals s WHERE reason = 'score_below_threshold'
              AND (SELECT count(*) FROM trades t WHERE left(t.uid, 70) = left(s.uid, 70)) = 1
            ORDER BY uid LIMIT 1
            """)
        let (_, low) = try await explain(String(whale.prefix(70)))
        #expect(low.contains("verdict: rejected at the whale gate: score_below_threshold") && low.contains("WQS"), "\(low)")
        let (missing, miss) = try await explain("0xnothing")
        #expect(missing == 1 && miss.contains("no trade or order"), "\(miss)")

        // Quarantine: the gate's verdicts name it, its alerts are stored, the operator's list agrees.
        let held = try await sql("SELECT uid FROM signals WHERE reason = 'quarantined' ORDER BY uid LIMIT 1")
        let (_, quarantined) = try await explain(held)
        #expect(quarantined.contains("verdict: rejected at the whale gate: quarantined") && quarantined.contains("quarantined since"), "\(quarantined)")
        let alerted = try await sql("SELECT count(DISTINCT key) FROM alerts WHERE payload->>'code' = 'whale_quarantined'")
        #expect((Int(alerted) ?? 0) > 0)
        // A whale's sale mirrored: the share, what the book held from it — sold when the book held
        // some (the first such exit), blocked as nothing_held otherwise.
        let mirrored = try await sql(
            """
            SELECT uid || ' ' || status FROM order_decisions WHERE payload->>'side' = 'SELL' AND payload->>'tradeId' <> ''
            ORDER BY status = 'filled' DESC, uid LIMIT 1
            """)
        let (mirroredId, mirroredStatus) = (String(mirrored.prefix { $0 != " " }), mirrored.split(separator: " ").last.map(String.init))
        let (_, exit) = try await explain(mirroredId)
        #expect(exit.contains("verdict: exit") && exit.contains("of what the book holds from this whale"), "\(exit)")
        #expect(mirroredStatus == "filled" ? exit.contains("sold ") : exit.contains("blocked: nothing_held"), "\(exit)")
        // The risk guard's own sale (a stop): no whale trade behind it, the mark against the stop.
        let stop = try await sql("SELECT uid FROM order_decisions WHERE payload->>'trigger' = 'stop' AND status = 'filled' ORDER BY uid LIMIT 1")
        let (_, stopped) = try await explain(stop)
        #expect(stopped.contains("position control stop") && stopped.contains("sold ") && stopped.contains("trailing stop"), "\(stopped)")
        let list = try ChildProcess([remora, "quarantine", "list", "--profile", "demo"], environment: ["DATABASE_URL": database])
        #expect(await list.wait() == 0, "\(list.output)")
        #expect(list.output.contains("in quarantine; releases approved by nobody (auto)"), "\(list.output)")
        // The book's trading state and its audit chain, as an operator reads them.
        let risk = try ChildProcess([remora, "risk", "status"], environment: ["DATABASE_URL": database])
        #expect(await risk.wait() == 0, "\(risk.output)")
        #expect(risk.output.contains("trading state: ACTIVE (mVaR "), "\(risk.output)")
        // The decisions' mVaR by zone: shares of the decisions counted, adding up to all of them.
        let zones = try #require(risk.output.split(separator: "\n").first { $0.contains("mVaR at ") && $0.contains("green ") }, "\(risk.output)")
        let shares = ["green ", "yellow ", "red "].compactMap { zone in
            zones.range(of: zone).flatMap { Double(zones[$0.upperBound...].prefix { $0.isNumber || $0 == "." }) }
        }
        #expect(shares.count == 3 && abs(shares.reduce(0, +) - 100) < 0.05, "\(zones)")
        let verify = try ChildProcess([remora, "audit", "verify"], environment: ["DATABASE_URL": database])
        #expect(await verify.wait() == 0, "\(verify.output)")
        #expect(verify.output.contains("audit chain intact: \(try await sql("SELECT count(*) FROM audit_chain")) entries"), "\(verify.output)")
        // Every decision is in it (the resolutions: the drill's world, which holds a position to one).
        #expect(try await sql("SELECT count(*) FROM audit_chain WHERE kind = 'decision'") == (try await sql("SELECT count(*) FROM order_decisions")))
    }

    @Test("PostgreSQL restarted during the backfill, the scoring and the deciding (fast and immediate, kept down): the undisturbed run's summary")
    func databaseRestartedAtThreeMoments() async throws {
        let (state, port) = try Self.demoState("remora-drill")
        defer { Self.remove(state, port: port) }
        func demo(_ extra: [String]) async throws -> String {
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
                 "--quiet", "--seed", "\(Self.drilledSeed)", "--wallets", "150", "--markets", "100", "--months", "2", "--faults", "0.05", "--timeout", "300"] + extra,
                // A transaction caught by a restart is given up after 3 s, not 10: a shorter test.
                environment: ["REMORA_DB_STALL_S": "3"], removing: ["DATABASE_URL"])
            #expect(await run.wait() == 0, "\(run.output.suffix(10000))")
            return run.output
        }
        let calm = try await demo([])
        let drilled = try await demo(["--restart-db", "backfill,scoring:immediate:3,deciding:fast:2"])
        #expect(Self.summaryBlock(calm).count > 10)
        #expect(Self.summaryBlock(drilled) == Self.summaryBlock(calm))
        // The audit chain holds the resolutions that closed a position, at most one per market,
        // each with the book's record of it — through the restarts.
        let database = try await Self.demoDatabase(state: state, port: port)
        func sql(_ query: String) async throws -> String { try await Self.sql(query, on: database) }
        #expect(try await sql("SELECT count(*) FROM audit_chain WHERE kind = 'resolution'") != "0")
        #expect(try await sql("SELECT count(*) - count(DISTINCT entry::jsonb->'payload'->>'conditionId') FROM audit_chain WHERE kind = 'resolution'") == "0")
        #expect(try await sql("SELECT count(*) FROM audit_chain a LEFT JOIN book_resolutions b ON b.condition_id = a.entry::jsonb->'payload'->>'conditionId' WHERE a.kind = 'resolution' AND b.condition_id IS NULL") == "0")
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

    /// Small worlds (150 wallets, 100 markets, 2 months) that exercise what the tests read: this
    /// one a trade rejected at the trade gate with its measures, a stop sale, quarantines and a
    /// mirrored exit; the drill's a position held to its market's resolution. (Seeds chosen by
    /// running the demo on seeds 1–25 of `remora-simulator.v4`: few small worlds have both.)
    static let explainedSeed = 17
    static let drilledSeed = 4

    /// The URL of the demo's database in its embedded cluster (the cluster's URL names its
    /// default database; the demo's is remora_demo).
    static func demoDatabase(state: URL, port: Int) async throws -> String {
        let url = try ChildProcess([builtProductsDirectory.appendingPathComponent("remora").path, "db", "url", "--state", state.path, "--port", "\(port)"])
        #expect(await url.wait() == 0)
        let cluster = url.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return String(cluster[..<(cluster.lastIndex(of: "/") ?? cluster.endIndex)]) + "/remora_demo"
    }

    /// One query's rows through psql, unaligned.
    static func sql(_ query: String, on database: String) async throws -> String {
        let run = try ChildProcess(["psql", database, "-Atc", query])
        #expect(await run.wait() == 0, "\(run.output)")
        return run.output.trimmingCharacters(in: .whitespacesAndNewlines)
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
    func fewWatchedWallets(watch: Int) async throws {
        let parameters = WorldParameters(seed: 5, wallets: 60, markets: 40, months: 2)
        let world = try WorldGenerator.generate(parameters)
        let (state, port) = try Self.demoState("remora-watch")
        defer { Self.remove(state, port: port) }
        let run = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "demo", "--no-serve", "--state", state.path, "--port", "\(port)",
             "--quiet", "--seed", "5", "--wallets", "60", "--markets", "40", "--months", "2", "--watch", "\(watch)",
             "--timeout", "120"],
            removing: ["DATABASE_URL"])
        #expect(await run.wait() == 0, "\(run.output.suffix(3000))")
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
