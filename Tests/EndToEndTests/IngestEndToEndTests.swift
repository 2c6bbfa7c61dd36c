import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Logging
import PostgresNIO
import RemoraAPIStub
import RemoraModel
import RemoraSimulator
import RemoraStore
import RemoraRuntime
import RemoraTestSupport
import Testing

/// The fetcher process against `remora api-stub` serving a simulated world over loopback, with
/// PostgreSQL: what the world holds must be stored once, whatever the API and the process do.
@Suite("Ingest: the fetcher against the API stub", .serialized)
struct IngestEndToEndTests {
    static let world = try! WorldGenerator.generate(WorldParameters(seed: 21, wallets: 80, markets: 60, months: 3, startTime: unixTime(year: 2025, month: 12, day: 1)))
    static let stubWorld: StubWorld = {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("remora-ingest-\(UUID().uuidString)")
        try! WorldWriter.write(world, to: folder)
        return try! StubWorld.load(from: folder)
    }()

    /// Every fill of the world as the fetcher must store it: fill key with its occurrence among
    /// identical fills; and every conversion (CONVERSION rows of /activity), keyed as one.
    static func expectedUIDs(upTo time: Int64 = .max) -> [String] {
        var seen: [String: Int] = [:]
        let conversions = world.conversions.filter { $0.time <= time }.map { c in
            Trade.conversion(
                wallet: WalletAddress(world.wallets[Int(c.wallet)].truth.address)!, asset: world.markets[Int(c.market)].truth.tokenIds[1],
                conditionId: ConditionID(world.markets[Int(c.market)].truth.conditionId)!, outcomeIndex: 1, outcome: "No",
                size: Shares(micros: c.sharesMicros), timestamp: EventTime(seconds: c.time), transactionHash: c.transactionHash).id
        }
        return conversions + world.trades.filter { $0.time <= time }.map { t in
            let market = world.markets[Int(t.market)].truth
            var hash = SplitMix64(seed: t.transactionSeed)
            let key = Trade.fillKey(
                transactionHash: "0x" + hash.nextHex(digits: 64), asset: market.tokenIds[Int(t.outcomeIndex)],
                side: t.isBuy ? .buy : .sell, size: Shares(micros: t.sharesMicros), price: Price(micros: t.priceMicros),
                wallet: WalletAddress(world.wallets[Int(t.wallet)].truth.address)!, occurrence: 0)
            let base = String(key.dropLast(2))
            defer { seen[base, default: 0] += 1 }
            return base + ":\(seen[base, default: 0])"
        }
    }

    func withStub(
        clock: any ReplayClock, faults: FaultSettings, _ body: @Sendable (String) async throws -> Void
    ) async throws {
        let stub = APIStub(world: Self.stubWorld, clock: clock, options: StubOptions(faults: faults))
        var logger = Logger(label: "stub")
        logger.logLevel = .critical
        let app = stub.makeApplication(host: "127.0.0.1", port: 0, logger: logger) { _ in }
        try await app.test(.live) { client in try await body("http://127.0.0.1:\(try #require(client.port))") }
    }

    func fetcher(
        _ arguments: [String], database: DatabaseConfiguration, api: String, extra: [String: String] = [:]
    ) throws -> ChildProcess {
        let wallets = Self.world.wallets.map(\.truth.address).joined(separator: ",")
        return try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("fetcher").path] + arguments,
            environment: [
                "DATABASE_URL": TestPostgres.url(of: database), "REMORA_DATA_API_URL": api + "/data-api",
                "REMORA_WATCH_WALLETS": wallets, "REMORA_FETCHER_PAGE_SIZE": "10", "REMORA_API_BUDGET_SCALE": "100",
                "REMORA_API_TIMEOUT_MS": "1000", "REMORA_FETCHER_MARGIN_S": "0", "REMORA_HTTP_PORT": "\(try freeLoopbackPort())",
                "REMORA_BUS_PUB": "tcp://127.0.0.1:\(try freeLoopbackPort())", "REMORA_BUS_SUB": "tcp://127.0.0.1:\(try freeLoopbackPort())",
                "REMORA_LOG_LEVEL": "warning", "REMORA_FETCHER_COMMIT_WALLETS": "4",
            ].merging(extra) { _, new in new })
    }

    func stored(_ database: DatabaseConfiguration) async throws -> [String] {
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            var uids: [String] = []
            for try await uid in try await store.client.query("SELECT uid FROM trades").decode(String.self) { uids.append(uid) }
            return uids
        }
    }

    func count(_ sql: PostgresQuery, _ database: DatabaseConfiguration) async throws -> Int64 {
        try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            for try await n in try await store.client.query(sql).decode(Int64.self) { return n }
            return -1
        }
    }

    @Test("a backfill through 8 % faulted answers stores every fill once; a later pass after the clock moved adds exactly the new ones")
    func backfillThroughFaults() async throws {
        let database = try await TestPostgres.freshDatabase()
        let middle = (Self.world.startTime + Self.world.endTime) / 2
        let clock = ManualReplayClock(at: middle)
        try await withStub(clock: clock, faults: FaultSettings(rate: 0.08, seed: 5, slowSeconds: 1.2)) { api in
            let first = try fetcher(["--backfill"], database: database, api: api)
            #expect(await first.wait() == 0, "\(first.output)")
            let half = try await stored(database)
            #expect(half.count == Set(half).count, "doubles stored")
            let expectedHalf = Set(Self.expectedUIDs(upTo: middle))
            #expect(
                Set(half) == expectedHalf,
                "missing \(expectedHalf.subtracting(half).sorted().prefix(5)), unexpected \(Set(half).subtracting(expectedHalf).sorted().prefix(5)); \(first.output.suffix(3000))")

            clock.set(Self.world.endTime)
            let second = try fetcher(["--backfill"], database: database, api: api)
            #expect(await second.wait() == 0, "\(second.output)")
            let all = try await stored(database)
            #expect(all.count == Set(all).count, "doubles stored")
            let expected = Self.expectedUIDs()
            #expect(all.count == expected.count && Set(all) == Set(expected))
            // Stored volume per market against Gamma's own figure.
            let reconcile = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "reconcile", "volume", "--gamma", api + "/gamma-api"],
                environment: ["DATABASE_URL": TestPostgres.url(of: database)])
            #expect(await reconcile.wait() == 0, "\(reconcile.output)")
            let match = reconcile.output.split(separator: "\n").first { $0.hasPrefix("volume match: ") }
                .flatMap { Double($0.dropFirst("volume match: ".count).prefix { $0 != " " }) }
            #expect((match ?? 0) >= 99.6, "\(reconcile.output)")
            // The faults did happen.
            let (body, _) = try await URLSession.shared.data(from: URL(string: api + "/__stub/status")!)
            let faults = try #require((try JSONSerialization.jsonObject(with: body) as? [String: Any])?["faults"] as? [String: Int])
            #expect(faults.values.reduce(0, +) >= 5 && faults.values.filter { $0 > 0 }.count >= 3, "\(faults)")
        }
        #expect(try await count("SELECT count(*) FROM coverage_gaps", database) == 0)
        #expect(try await count("SELECT count(*) FROM wallet_cursors WHERE history_complete", database) == Int64(Self.world.wallets.count))
    }

    @Test("a backfill whose passes fail for good tries those wallets again until every fill is stored")
    func backfillRetriesFailedWallets() async throws {
        let database = try await TestPostgres.freshDatabase()
        // Two attempts a request against 10 % random faults, and three wallets whose first two
        // requests answer 503 whatever the timing: their passes fail for good in the first round.
        let stubborn = Set(Self.world.wallets.prefix(3).map(\.truth.address))
        let faults = FaultSettings(rate: 0.1, seed: 17, slowSeconds: 1.2, outage: (stubborn, 2))
        try await withStub(clock: FixedReplayClock(at: Self.world.endTime), faults: faults) { api in
            let run = try fetcher(["--backfill"], database: database, api: api, extra: ["REMORA_API_ATTEMPTS": "2", "REMORA_LOG_LEVEL": "warning"])
            #expect(await run.wait() == 0, "\(run.output.suffix(3000))")
            #expect(run.output.contains("trying those wallets again"), "\(run.output.suffix(3000))")
        }
        let all = Set(try await stored(database))
        let expected = Set(Self.expectedUIDs())
        #expect(
            all == expected,
            "missing \(expected.subtracting(all).sorted().prefix(5)), unexpected \(all.subtracting(expected).sorted().prefix(5))")
    }

    @Test("SIGKILL in the middle of a backfill, then a restart: no gap, no double")
    func killMidBackfill() async throws {
        let database = try await TestPostgres.freshDatabase()
        try await withStub(clock: FixedReplayClock(at: Self.world.endTime), faults: FaultSettings()) { api in
            let victim = try fetcher(["--backfill"], database: database, api: api)
            let total = Int64(Self.world.trades.count)
            let deadline = ContinuousClock.now + .seconds(60)
            while ContinuousClock.now < deadline, try await count("SELECT count(*) FROM trades", database) < total / 4 {
                try await Task.sleep(for: .milliseconds(20))
            }
            victim.kill(SIGKILL)
            #expect(await victim.wait() == 128 + SIGKILL)
            let atKill = try await count("SELECT count(*) FROM trades", database)
            #expect(atKill > 0 && atKill < total, "killed too late to matter (\(atKill) of \(total))")

            let again = try fetcher(["--backfill"], database: database, api: api)
            #expect(await again.wait() == 0, "\(again.output)")
            let all = try await stored(database)
            let expected = Self.expectedUIDs()
            #expect(all.count == expected.count && Set(all) == Set(expected))
        }
    }

    @Test("fetcher --once --wallet prints what it did; the depth cap is reported, not hidden")
    func onceAndDepthCap() async throws {
        let database = try await TestPostgres.freshDatabase()
        let busiest = Dictionary(grouping: Self.world.trades, by: \.wallet).max { $0.value.count < $1.value.count }!
        let wallet = Self.world.wallets[Int(busiest.key)].truth.address
        try await withStub(clock: FixedReplayClock(at: Self.world.endTime), faults: FaultSettings()) { api in
            var environment = ["REMORA_FETCHER_OFFSET_CAP": "20"]
            environment["REMORA_WATCH_WALLETS"] = ""
            let once = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("fetcher").path, "--once", "--wallet", wallet],
                environment: try fetcherEnvironment(database: database, api: api).merging(environment) { _, new in new })
            #expect(await once.wait() == 0, "\(once.output)")
            #expect(once.output.contains("wallet \(wallet)") && once.output.contains("UNREACHABLE"), "\(once.output)")
        }
        #expect(try await count("SELECT count(*) FROM coverage_gaps", database) == 1)
        #expect(try await count("SELECT count(*) FROM trades", database) < Int64(busiest.value.count))
    }

    @Test("a watch file (one address a line, # comments) is the watch list of a backfill: those wallets' trades and no other")
    func watchFile() async throws {
        let database = try await TestPostgres.freshDatabase()
        let chosen = Self.world.wallets.filter { $0.truth.trades > 0 }.prefix(2).map(\.truth.address)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("watch-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        try "# the whales we follow\n\(chosen[0])   # the first, with a note\n\n  \(chosen[1])\n".write(to: file, atomically: true, encoding: .utf8)
        try await withStub(clock: FixedReplayClock(at: Self.world.endTime), faults: FaultSettings()) { api in
            let run = try fetcher(
                ["--backfill"], database: database, api: api, extra: ["REMORA_WATCH_WALLETS": "", "REMORA_WATCH_FILE": file.path])
            #expect(await run.wait() == 0, "\(run.output)")
        }
        #expect(try await count("SELECT count(*) FROM watched_wallets WHERE source = 'config'", database) == 2)
        let indices = Set(Self.world.wallets.indices.filter { chosen.contains(Self.world.wallets[$0].truth.address) }.map(Int32.init))
        let expected = Self.world.trades.filter { indices.contains($0.wallet) }.count
            + Self.world.conversions.filter { indices.contains($0.wallet) }.count
        #expect(try await count("SELECT count(*) FROM trades", database) == Int64(expected))
        #expect(expected > 0)
    }

    @Test("remora discover ranks the leaderboards and puts the top on the watch list; skilled whales surface")
    func discover() async throws {
        let database = try await TestPostgres.freshDatabase()
        try await withStub(clock: FixedReplayClock(at: Self.world.endTime), faults: FaultSettings()) { api in
            let run = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("remora").path, "discover", "--data-api", api + "/data-api",
                 "--period", "ALL", "--top", "10", "--add", "10"],
                environment: ["DATABASE_URL": TestPostgres.url(of: database)])
            #expect(await run.wait() == 0, "\(run.output)")
            let listed = run.output.split(separator: "\n").compactMap { line in
                line.split(separator: " ").first { $0.hasPrefix("0x") && $0.count == 42 }.map(String.init)
            }
            #expect(listed.count == 10, "\(run.output)")
            let skilled = Set(Self.world.wallets.filter { $0.truth.style == .skilledWhale }.map(\.truth.address))
            #expect(!skilled.isDisjoint(with: listed), "no skilled whale among the top 10: \(run.output)")
        }
        #expect(try await count("SELECT count(*) FROM watched_wallets WHERE source = 'discover'", database) == 10)
    }

    @Test("cron mode: fetcher --backfill then resolver --once, twice as the clock moves, settles every trade through 5 % faults; nothing fills the watch list by hand")
    func resolverOnce() async throws {
        let database = try await TestPostgres.freshDatabase()
        let world = Self.world
        let clock = ManualReplayClock(at: (world.startTime + world.endTime) / 2)
        try await withStub(clock: clock, faults: FaultSettings(rate: 0.05, seed: 9, slowSeconds: 1.2)) { api in
            var environment = try fetcherEnvironment(database: database, api: api)
            environment["REMORA_GAMMA_API_URL"] = api + "/gamma-api"
            environment["REMORA_CLOB_API_URL"] = api + "/clob"
            environment["REMORA_API_TIMEOUT_MS"] = "1000"
            environment["REMORA_RESOLVER_MARGIN_S"] = "0"
            // Several batches, so that their transactions overlap (two at once) through the faults.
            environment["REMORA_RESOLVER_BATCH"] = "16"
            // Two cron runs: one at the world's middle, one at its end.
            for (run, time) in [(1, clock.now()), (2, world.endTime)] {
                clock.set(time)
                let fetch = try fetcher(["--backfill"], database: database, api: api)
                #expect(await fetch.wait() == 0, "\(fetch.output)")
                let resolver = try ChildProcess(
                    [builtProductsDirectory.appendingPathComponent("resolver").path, "--once"], environment: environment)
                #expect(await resolver.wait() == 0, "\(resolver.output)")
                #expect(resolver.output.contains("trades taken in") && !resolver.output.contains("markets checked 0,"), "run \(run): \(resolver.output)")
            }
        }
        // Results: exactly the markets resolved by the world's end, each with its true outcome.
        let traded = Set(world.trades.map(\.market))
        let expected = Dictionary(uniqueKeysWithValues: traded.map { Int($0) }.filter { world.markets[$0].truth.resolvedAt <= world.endTime }
            .map { i -> (String, String) in
                let t = world.markets[i].truth
                return (t.conditionId, t.outcome == .void ? "void" : (t.outcome == .yes ? "0" : "1"))
            })
        let stored: [String: String] = try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            var results: [String: String] = [:]
            for try await (id, payload) in try await store.client.query("SELECT uid, payload::text FROM market_resolutions")
                .decode((String, String).self)
            {
                let resolution = try JSONDecoder().decode(MarketResolution.self, from: Data(payload.utf8))
                switch resolution.outcome {
                case .void: results[id] = "void"
                case .winner(let index): results[id] = String(index)
                }
            }
            return results
        }
        #expect(stored == expected)
        #expect(!expected.isEmpty)
        let settledExpected = world.trades.filter { world.markets[Int($0.market)].truth.resolvedAt <= world.endTime }.count
        #expect(try await count("SELECT count(*) FROM trade_settlements", database) == Int64(settledExpected))

        // Each wallet's books (average cost, sales at the sale price, taker fees on the fills the
        // takerOnly pages list) against the simulator's ledger, to the cent.
        let books: [String: Int64] = try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            var books: [String: Int64] = [:]
            for try await (wallet, net) in try await store.client.query("SELECT wallet, realized_net::bigint FROM wallet_pnl")
                .decode((String, Int64).self) { books[wallet] = net }
            return books
        }
        let trading = world.wallets.filter { $0.truth.trades > 0 }
        #expect(!trading.isEmpty && books.count == trading.count)
        let off = trading.filter { abs((books[$0.truth.address] ?? 0) - $0.realizedPnlMicros) >= 5_000 }
        #expect(off.isEmpty, "\(off.prefix(5).map { "\($0.truth.address): books \(books[$0.truth.address] ?? 0), truth \($0.realizedPnlMicros)" })")
        #expect(try await count("SELECT count(*) FROM wallet_positions WHERE fees > 0", database) > 0, "the world has fee-paying fills")
        // The money policy (docs/architecture.md, "Money"): each resolved position's settlements add
        // up to its books to the micro-USDC (a void pays half a micro-share's worth per fill at most
        // apart: the payout truncates once per position, as the token contract pays it).
        let reconciliation = """
            WITH fills AS (
                SELECT s.key AS wallet, s.condition_id, (t.payload->>'outcomeIndex')::int AS outcome_index,
                       sum(s.realized_pnl_micros) AS pnl, count(*) AS n, bool_or(s.result = 'void') AS void
                FROM trade_settlements s JOIN trades t ON t.uid = s.uid GROUP BY 1, 2, 3
            )
            SELECT count(*) FILTER (WHERE NOT f.void AND f.pnl <> p.realized - p.fees),
                   count(*) FILTER (WHERE f.void AND abs(f.pnl - (p.realized - p.fees)) > f.n),
                   count(*) FILTER (WHERE NOT f.void)
            FROM fills f JOIN wallet_positions p USING (wallet, condition_id, outcome_index)
            WHERE p.resolved AND p.unmatched_sold = 0
            """
        let (unequal, voidApart, checked): (Int64, Int64, Int64) = try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            for try await row in try await store.client.query(PostgresQuery(unsafeSQL: reconciliation)).decode((Int64, Int64, Int64).self) { return row }
            return (-1, -1, -1)
        }
        #expect(unequal == 0 && voidApart == 0 && checked > 50, "positions apart: \(unequal) won/lost, \(voidApart) void, of \(checked)")
        // The operator's view of the same books: the best wallet first.
        let best = books.max { ($0.value, $1.key) < ($1.value, $0.key) }!
        let pnl = try ChildProcess(
            [builtProductsDirectory.appendingPathComponent("remora").path, "pnl", "--top", "3"],
            environment: ["DATABASE_URL": TestPostgres.url(of: database)])
        #expect(await pnl.wait() == 0, "\(pnl.output)")
        let lines = pnl.output.split(separator: "\n")
        let header = lines.firstIndex { $0.hasPrefix("wallet ") }
        #expect(header.map { lines.indices.contains($0 + 1) && lines[$0 + 1].hasPrefix(best.key) } == true, "\(pnl.output)")
        #expect(pnl.output.contains(USDC(micros: best.value).description), "\(pnl.output)")
    }

    @Test("hostile rows are dead-lettered and move no cursor: the wallet's later good trades are still stored")
    func hostileRows() async throws {
        let database = try await TestPostgres.freshDatabase()
        let wallet = "0x" + String(repeating: "ab", count: 20)
        let condition = "0x" + String(repeating: "cd", count: 32)
        let t1: Int64 = 1_767_225_600  // 2026-01-01
        func row(_ hash: String, timestamp: String, outcomeIndex: String = "0", price: String = "0.42", size: String = "100",
                 proxyWallet: String? = nil) -> String {
            #"{"proxyWallet":"\#(proxyWallet ?? wallet)","side":"BUY","asset":"123456","conditionId":"\#(condition)","size":\#(size),"price":\#(price),"timestamp":\#(timestamp),"title":"t","outcome":"Yes","outcomeIndex":\#(outcomeIndex),"transactionHash":"0x\#(hash)"}"#
        }
        let hostile = [
            row("01", timestamp: "99999999999999999"),  // far beyond the API's clock
            row("02", timestamp: "\(t1 * 1000)"),  // milliseconds
            row("03", timestamp: "1"),  // before Polymarket
            row("04", timestamp: "\(t1 - 50)", outcomeIndex: "7"),  // no such outcome
            row("05", timestamp: "\(t1 - 60)", price: "1.5"),
            row("06", timestamp: "\(t1 - 70)", size: "-3"),
            row("07", timestamp: "\(t1 - 80)", size: "1e30"),
            row("08", timestamp: "\(t1 - 90)", proxyWallet: "0xnot-a-wallet"),
            #"{"proxyWallet":"\#(wallet)","timestamp":"soon"}"#,
        ]
        let good1 = row("aa", timestamp: "\(t1 - 100)")
        let good2 = row("bb", timestamp: "\(t1 + 500)")
        // Ahead of the API's clock at the first pass only (a skewed clock): dead then, good on replay.
        let skewed = row("5e", timestamp: "\(t1 + 400)")
        // The API: first the hostile page over one good trade, then a newer good trade on top.
        let phase = ManualReplayClock(at: 1)
        let router = Router()
        // No conversions: the trades are the subject here.
        router.get("data-api/activity") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "[]")))
        }
        router.get("data-api/trades") { request, _ -> Response in
            let offset = Int(request.uri.queryParameters.get("offset") ?? "0") ?? 0
            let rows = phase.now() == 1 ? [skewed] + hostile + [good1] : [good2] + hostile + [good1]
            let now = phase.now() == 1 ? t1 : t1 + 1000
            let page = offset < rows.count ? Array(rows[offset...]) : []
            return Response(
                status: .ok, headers: [.contentType: "application/json", .init("X-Remora-Replay-Time")!: "\(now)"],
                body: .init(byteBuffer: ByteBuffer(string: "[" + page.joined(separator: ",") + "]")))
        }
        var logger = Logger(label: "hostile-api")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        try await app.test(.live) { client in
            let api = "http://127.0.0.1:\(try #require(client.port))"
            var environment = try fetcherEnvironment(database: database, api: api)
            environment["REMORA_FETCHER_PAGE_SIZE"] = "500"
            for step in [1, 2] {
                phase.set(Int64(step))
                let once = try ChildProcess(
                    [builtProductsDirectory.appendingPathComponent("fetcher").path, "--once", "--wallet", wallet], environment: environment)
                #expect(await once.wait() == 0, "\(once.output)")
                #expect(once.output.contains("new trades 1"), "pass \(step): \(once.output)")
            }
        }
        let stored = try await stored(database)
        #expect(Set(stored.map { String($0.prefix(4)) }) == ["0xaa", "0xbb"], "\(stored)")
        #expect(try await count("SELECT newest_trade FROM wallet_cursors", database) == t1 + 500)
        // Each hostile row once, with a reason that names what is wrong.
        let letters: [String] = try await Store.withRunning(database, logger: TestPostgres.testLogger) { store in
            var letters: [String] = []
            for try await (reason, raw) in try await store.client.query("SELECT reason, raw FROM dead_letters ORDER BY id").decode((String, String).self) {
                letters.append(reason + " <- " + raw.prefix(120))
            }
            return letters
        }
        #expect(letters.count == hostile.count + 1, "\(letters.joined(separator: "\n"))")
        for (hash, words) in [("01", "not a /trades row"), ("02", "beyond the API's clock"), ("03", "before Polymarket"),
                              ("04", "outcomeIndex 7 does not exist"), ("05", "price"), ("06", "size"), ("07", "size")] {
            #expect(try await count("SELECT count(*) FROM dead_letters WHERE raw LIKE \("%0x\(hash)%") AND reason LIKE \("%\(words)%")", database) == 1,
                    "row \(hash): \(words)")
        }

        // The operator lists them, asks for a replay, and the next cron pass takes each through the
        // normal path once: the skewed row is stored (late: its partition has moved past it), the
        // hostile ones stay dead with their new reason.
        let cli = builtProductsDirectory.appendingPathComponent("remora").path
        let list = try ChildProcess([cli, "dead-letters", "list", "--service", "fetcher"], environment: ["DATABASE_URL": TestPostgres.url(of: database)])
        #expect(await list.wait() == 0, "\(list.output)")
        #expect(list.output.contains("outcomeIndex 7 does not exist") && list.output.contains("beyond the API's clock"), "\(list.output)")
        let replay = try ChildProcess([cli, "dead-letters", "replay", "--service", "fetcher", "--since", "2020-01-01"], environment: ["DATABASE_URL": TestPostgres.url(of: database)])
        #expect(await replay.wait() == 0, "\(replay.output)")
        #expect(replay.output.contains("replay asked for \(hostile.count + 1) dead letter(s)"), "\(replay.output)")
        try await app.test(.live) { client in
            let api = "http://127.0.0.1:\(try #require(client.port))"
            var environment = try fetcherEnvironment(database: database, api: api)
            environment["REMORA_FETCHER_PAGE_SIZE"] = "500"
            let once = try ChildProcess(
                [builtProductsDirectory.appendingPathComponent("fetcher").path, "--once", "--wallet", wallet], environment: environment)
            #expect(await once.wait() == 0, "\(once.output)")
        }
        #expect(try await count("SELECT count(*) FROM trades WHERE uid LIKE '0x5e%' AND (payload->>'late')::boolean", database) == 1)
        #expect(try await count("SELECT count(*) FROM trades", database) == 3)
        #expect(try await count("SELECT count(*) FROM dead_letters WHERE status = 'replayed' AND raw LIKE '%0x5e%'", database) == 1)
        #expect(try await count("SELECT count(*) FROM dead_letters WHERE status = 'dead' AND attempts = 1 AND reason LIKE 'replay:%'", database) == Int64(hostile.count))
        #expect(try await count("SELECT count(*) FROM dead_letters", database) == Int64(hostile.count + 1), "no letter doubled by the replay")
    }

    @Test("a wallet whose passes keep failing is marked unhealthy and stops holding its partition back; once it recovers, its trades come in late")
    func unhealthyWallet() async throws {
        let database = try await TestPostgres.freshDatabase()
        // Two wallets of one partition: one answers, the other fails until told otherwise.
        func address(_ n: Int) -> String { "0x" + String(format: "%040x", n) }
        let healthy = address(1)
        let partition = Partitioner.partition(of: healthy)
        let failing = (2...10_000).map(address).first { Partitioner.partition(of: $0) == partition }!
        let condition = "0x" + String(repeating: "cd", count: 32)
        let now: Int64 = 1_767_225_600
        @Sendable func row(_ wallet: String, _ hash: String, _ timestamp: Int64) -> String {
            #"{"proxyWallet":"\#(wallet)","side":"BUY","asset":"123456","conditionId":"\#(condition)","size":10,"price":0.5,"timestamp":\#(timestamp),"title":"t","outcome":"Yes","outcomeIndex":0,"transactionHash":"0x\#(hash)"}"#
        }
        let fails = ManualReplayClock(at: 1)  // 1: the second wallet's answers fail; 0: they succeed
        let router = Router()
        router.get("data-api/activity") { request, _ -> Response in
            let user = request.uri.queryParameters.get("user") ?? ""
            if user == failing && fails.now() == 1 { return Response(status: .internalServerError) }
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: "[]")))
        }
        router.get("data-api/trades") { request, _ -> Response in
            let user = request.uri.queryParameters.get("user") ?? ""
            if user == failing && fails.now() == 1 { return Response(status: .internalServerError) }
            let offset = Int(request.uri.queryParameters.get("offset") ?? "0") ?? 0
            let rows = user == failing ? [row(failing, "f2", now - 100), row(failing, "f1", now - 200)] : [row(healthy, "h1", now - 300)]
            let page = offset < rows.count ? Array(rows[offset...]) : []
            return Response(
                status: .ok, headers: [.contentType: "application/json", .init("X-Remora-Replay-Time")!: "\(now)"],
                body: .init(byteBuffer: ByteBuffer(string: "[" + page.joined(separator: ",") + "]")))
        }
        var logger = Logger(label: "flaky-api")
        logger.logLevel = .critical
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
        @Sendable func one(_ sql: PostgresQuery) async throws -> Int64 { try await count(sql, database) }
        try await app.test(.live) { client in
            let api = "http://127.0.0.1:\(try #require(client.port))"
            var environment = try fetcherEnvironment(database: database, api: api)
            environment["REMORA_WATCH_WALLETS"] = healthy + "," + failing
            environment["REMORA_FETCHER_INTERVAL_MS"] = "100"
            environment["REMORA_API_ATTEMPTS"] = "1"
            environment["REMORA_FETCHER_UNHEALTHY_PASSES"] = "3"
            environment["REMORA_FETCHER_ROLES"] = "false"
            let fetcher = try ChildProcess([builtProductsDirectory.appendingPathComponent("fetcher").path], environment: environment)
            defer { fetcher.kill(SIGTERM); _ = fetcher.wait() }
            func waitFor(_ what: String, _ condition: () async throws -> Bool) async throws {
                let deadline = ContinuousClock.now + .seconds(30)
                while ContinuousClock.now < deadline {
                    if try await condition() { return }
                    try await Task.sleep(for: .milliseconds(50))
                }
                Issue.record("timed out waiting for \(what): \(fetcher.output.suffix(2000))")
            }
            // Until the third failure the partition waits for the failing wallet.
            try await waitFor("the wallet marked unhealthy") {
                try await one("SELECT count(*) FROM wallet_cursors WHERE unhealthy_since IS NOT NULL") == 1
            }
            #expect(try await one("SELECT failed_passes FROM wallet_cursors WHERE wallet = \(failing)") >= 3)
            try await waitFor("the partition's watermark to go on") {
                try await one("SELECT watermark FROM stream_heads WHERE stream = 'trade' AND partition = \(partition)") == now * 1000
            }
            #expect(try await one("SELECT count(*) FROM coverage_gaps WHERE wallet = \(failing) AND reason LIKE 'wallet unhealthy%'") == 1)
            #expect(try await one("SELECT count(*) FROM alerts WHERE payload->>'code' = 'wallet_unhealthy'") == 1)
            // It recovers: its trades, older than the watermark, are stored marked late.
            fails.set(0)
            try await waitFor("the recovered wallet's trades") {
                try await one("SELECT count(*) FROM trades WHERE wallet = \(failing)") == 2
            }
            #expect(try await one("SELECT count(*) FROM trades WHERE wallet = \(failing) AND (payload->>'late')::boolean") == 2)
            #expect(try await one("SELECT count(*) FROM trades WHERE wallet = \(healthy) AND payload ? 'late'") == 0)
            try await waitFor("the recovery alert") {
                try await one("SELECT count(*) FROM alerts WHERE payload->>'code' = 'wallet_recovered'") == 1
            }
            #expect(try await one("SELECT count(*) FROM wallet_cursors WHERE unhealthy_since IS NOT NULL OR failed_passes > 0") == 0)
        }
    }

    func fetcherEnvironment(database: DatabaseConfiguration, api: String) throws -> [String: String] {
        [
            "DATABASE_URL": TestPostgres.url(of: database), "REMORA_DATA_API_URL": api + "/data-api",
            "REMORA_FETCHER_PAGE_SIZE": "10", "REMORA_API_BUDGET_SCALE": "100", "REMORA_FETCHER_MARGIN_S": "0",
            "REMORA_HTTP_PORT": "\(try freeLoopbackPort())", "REMORA_BUS_PUB": "tcp://127.0.0.1:\(try freeLoopbackPort())",
            "REMORA_BUS_SUB": "tcp://127.0.0.1:\(try freeLoopbackPort())", "REMORA_LOG_LEVEL": "warning",
        ]
    }
}
