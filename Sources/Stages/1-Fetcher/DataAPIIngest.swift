import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

/// The Data API source: each watched wallet (of this replica's partitions) is polled by passes
/// (``WalletPass``): pages newest first until they overlap what is stored, then one transaction
/// stores the new trades, the wallet's cursor, any unreachable range and the partition's
/// watermark; `trade` is published after the commit.
struct DataAPIIngest {
    static let settings: [Setting] = [
        Setting("REMORA_DATA_API_URL", default: PolymarketEndpoints.polymarket.dataAPI, "Data API base URL"),
        Setting("REMORA_WATCH_WALLETS", default: "", "wallets to watch, comma-separated (added to the watch list at start)"),
        Setting("REMORA_WATCH_FILE", default: "", "file of wallets to watch, one address a line, # starts a comment (added to the watch list at start)"),
        Setting("REMORA_FETCHER_INTERVAL_MS", default: "30000", "Data API: time between the starts of two passes over the watch list, ms (a longer pass is logged as a warning)", kind: .integer(0...86_400_000)),
        Setting("REMORA_FETCHER_PAGE_SIZE", default: "500", "Data API: rows per /trades page", kind: .integer(1...10_000)),
        Setting("REMORA_FETCHER_OFFSET_CAP", default: "10000", "Data API: deepest offset the API serves", kind: .integer(0...1_000_000)),
        Setting("REMORA_FETCHER_CONCURRENCY", default: "4", "Data API: wallets polled at once", kind: .integer(1...64)),
        Setting("REMORA_FETCHER_COMMIT_WALLETS", default: "200", "Data API: most wallets' passes committed in one transaction", kind: .integer(1...10_000)),
        Setting("REMORA_FETCHER_MARGIN_S", default: "30", "Data API: seconds a trade may take to appear in /trades (holds the watermark back)", kind: .integer(0...3600)),
        Setting("REMORA_FETCHER_ROLES", default: "true", "Data API: learn each fill's taker/maker role from takerOnly=true pages (fees are taker only); false: roles unknown, settled as taker", kind: .choice(["true", "false"])),
        Setting("REMORA_FETCHER_CONVERSIONS", default: "true", "Data API: also read each wallet's negative-risk conversions (CONVERSION rows of /activity) into the trade stream: a conversion lowers a whale's position, and the gate follows it out; false: one request less per wallet a pass, conversions unseen", kind: .choice(["true", "false"])),
        Setting("REMORA_FETCHER_UNHEALTHY_PASSES", default: "5", "Data API: failed passes in a row after which a wallet is marked unhealthy (alert, coverage gap) and stops holding its partition's watermark back", kind: .integer(1...1000)),
        Setting("REMORA_API_BUDGET_SCALE", default: "1", "multiplier of the documented request budgets (below 1: headroom for other clients)", kind: .number(0.01...1000)),
        Setting("REMORA_API_TIMEOUT_MS", default: "10000", "deadline of one HTTP request, ms", kind: .integer(100...600_000)),
        Setting("REMORA_API_ATTEMPTS", default: "6", "attempts of one HTTP request before its pass fails (the backfill then retries the wallet)", kind: .integer(1...20)),
    ]

    let environment: StageEnvironment
    let client: PolymarketClient
    let pageSize: Int
    let offsetCap: Int
    let concurrency: Int
    let commitWallets: Int
    let margin: Int64
    let learnsRoles: Bool
    let readsConversions: Bool
    let interval: Duration
    let partitions: [Int]
    let unhealthyAfter: Int

    init(environment: StageEnvironment) throws {
        let s = environment.settings
        self.environment = environment
        let base = PolymarketEndpoints.polymarket
        client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: try s.string("REMORA_DATA_API_URL"), gamma: base.gamma, clob: base.clob),
            retry: RetryPolicy(attempts: try s.int("REMORA_API_ATTEMPTS"), timeout: .milliseconds(try s.int("REMORA_API_TIMEOUT_MS"))),
            budgets: RequestBudgets(scale: try s.double("REMORA_API_BUDGET_SCALE", in: 0.01...1000)),
            logger: environment.logger)
        pageSize = try s.int("REMORA_FETCHER_PAGE_SIZE", in: 1...10_000)
        offsetCap = try s.int("REMORA_FETCHER_OFFSET_CAP")
        concurrency = try s.int("REMORA_FETCHER_CONCURRENCY", in: 1...64)
        commitWallets = try s.int("REMORA_FETCHER_COMMIT_WALLETS", in: 1...10_000)
        margin = Int64(try s.int("REMORA_FETCHER_MARGIN_S"))
        learnsRoles = try s.string("REMORA_FETCHER_ROLES") == "true"
        readsConversions = try s.string("REMORA_FETCHER_CONVERSIONS") == "true"
        interval = .milliseconds(try s.int("REMORA_FETCHER_INTERVAL_MS"))
        partitions = try s.partitions("REMORA_PARTITIONS")
        unhealthyAfter = try s.int("REMORA_FETCHER_UNHEALTHY_PASSES", in: 1...1000)
    }

    /// Adds REMORA_WATCH_WALLETS and REMORA_WATCH_FILE to the watch list; a malformed address
    /// or an unreadable file stops start-up.
    func seedWatchList() async throws {
        var wallets: [WalletAddress] = []
        func add(_ text: String, from setting: String) throws {
            for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" || $0 == "\r" }) {
                guard let wallet = WalletAddress(String(item)) else {
                    throw ConfigurationError.malformed(setting, "not a wallet address: \(item)")
                }
                wallets.append(wallet)
            }
        }
        try add(environment.settings.optionalString("REMORA_WATCH_WALLETS") ?? "", from: "REMORA_WATCH_WALLETS")
        if let path = environment.settings.optionalString("REMORA_WATCH_FILE") {
            guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
                throw ConfigurationError.malformed("REMORA_WATCH_FILE", "cannot read \(path)")
            }
            // One address a line; `#` starts a comment (a name, why it is followed).
            let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? "" }
                .joined(separator: "\n")
            try add(uncommented, from: "REMORA_WATCH_FILE")
        }
        let now = Int64(Date().timeIntervalSince1970)
        try await environment.store.transaction { connection in
            try await IngestStore.watch(wallets, source: "config", at: now, on: connection, logger: environment.logger)
        }
    }

    // MARK: passes

    /// What one pass did, for logs and `--once`.
    struct PassReport {
        var wallet: WalletAddress
        var pages = 0
        var rowsRead = 0
        var stored = 0
        /// Conversions read (in the window; some may be stored already).
        var conversions = 0
        var alreadyStored = 0
        var deadLettered = 0
        /// New trades stored behind their partition's watermark (see ``Trade/late``).
        var late = 0
        var cursor = WalletCursor()
        var unreachable: (from: Int64?, to: Int64)?
        /// Detection lag of the new trades (API time at the pass − trade time), seconds.
        var lags: [Int64] = []

        var text: String {
            var parts = [
                "wallet \(wallet.rawValue)", "pages \(pages)", "rows read \(rowsRead)", "new trades \(stored)",
                "already stored \(alreadyStored)", "conversions read \(conversions)", "late \(late)", "dead-lettered \(deadLettered)",
                "newest trade \(cursor.newestTrade.map(String.init) ?? "none")",
                "complete to \(cursor.asOf.map(String.init) ?? "never")",
            ]
            if let gap = unreachable {
                parts.append("UNREACHABLE (beyond the API's depth cap) \(gap.from.map(String.init) ?? "beginning")…\(gap.to)")
            }
            return parts.joined(separator: ", ")
        }
    }

    /// One row as read: a trade, or text that is not one (dead-lettered, but it keeps its place).
    enum ReadRow {
        case trade(Trade)
        case bad(raw: String, reason: String)
    }

    /// What a pass read, waiting to be committed.
    struct PassResult: Sendable {
        var wallet: WalletAddress
        var outcome: WalletPass.Outcome
        var trades: [Trade]
        var bad: [(raw: String, reason: String)]
        var serverTime: Int64?
        var report: PassReport
    }

    /// One pass, read and committed on its own (`--once`).
    func pass(wallet: WalletAddress) async throws -> PassReport {
        _ = try await replayTradeLetters(environment: environment)
        let start = try await environment.store.transaction { connection in
            try await IngestStore.cursors(of: [wallet], on: connection, logger: environment.logger)
        }
        let result = try await read(wallet: wallet, from: start[wallet] ?? WalletCursor())
        return try await commit([result]).first!
    }

    /// Reads a wallet's new trades: pages until the pass is complete (no database work).
    func read(wallet: WalletAddress, from start: WalletCursor) async throws -> PassResult {
        var plan = WalletPass(cursor: start, pageSize: pageSize, offsetCap: offsetCap)
        var read: [ReadRow] = []
        var report = PassReport(wallet: wallet)
        var serverTime: Int64?
        var next = WalletPass.Next.fetch(offset: 0)
        while case .fetch(let offset) = next {
            let page = try await client.tradesPage(user: wallet.rawValue, takerOnly: false, limit: pageSize, offset: offset)
            // The pass is complete as of the first answer: later fills may be missing from it.
            if serverTime == nil { serverTime = page.serverTime ?? Int64(Date().timeIntervalSince1970) }
            report.pages += 1
            report.rowsRead += page.entries.count
            let rows = page.entries.map { Self.readRow($0, serverTime: serverTime) }
            let (step, fresh) = try plan.absorb(rows.map(\.paged))
            read.append(contentsOf: rows[(rows.count - fresh.count)...].map(\.row))
            next = step
        }
        let outcome = plan.outcome(serverTime: serverTime, margin: margin)
        var trades: [Trade] = []
        var bad: [(raw: String, reason: String)] = []
        for (index, occurrence) in zip(outcome.window, outcome.occurrences) {
            switch read[index] {
            case .trade(let trade): trades.append(trade.withOccurrence(occurrence))
            case .bad(let raw, let reason): bad.append((raw, reason))
            }
        }
        if learnsRoles { trades = try await withRoles(trades, wallet: wallet, report: &report) }
        if readsConversions {
            let read = try await conversions(of: wallet, since: start.asOf, serverTime: serverTime, report: &report)
            trades += read.conversions
            bad += read.bad
            report.conversions = read.conversions.count
        }
        report.cursor = outcome.cursor
        report.unreachable = outcome.unreachable
        report.deadLettered = bad.count
        return PassResult(wallet: wallet, outcome: outcome, trades: trades, bad: bad, serverTime: serverTime, report: report)
    }

    /// The wallet's negative-risk conversions since `since` (a margin earlier: the API may list
    /// one late, and storing is idempotent), or all of them on a wallet's first pass: CONVERSION
    /// rows of `/activity`, oldest first, paged to the end. They ride the trade stream in the
    /// pass's transaction, so the partition's watermark vouches for them as for the fills.
    func conversions(
        of wallet: WalletAddress, since: Int64?, serverTime: Int64?, report: inout PassReport
    ) async throws -> (conversions: [Trade], bad: [(raw: String, reason: String)]) {
        var conversions: [Trade] = []
        var bad: [(raw: String, reason: String)] = []
        var occurrences: [String: Int] = [:]
        let limit = min(pageSize, 500)
        var offset = 0
        while offset <= offsetCap {
            let rows = try await client.activity(
                user: wallet.rawValue, types: ["CONVERSION"], start: since.map { $0 - margin - 60 }, limit: limit, offset: offset,
                ascending: true)
            report.pages += 1
            report.rowsRead += rows.count
            for row in rows {
                do {
                    guard var conversion = try row.conversion(serverTime: serverTime) else { continue }
                    let key = conversion.baseFillKey
                    conversion = conversion.withOccurrence(occurrences[key, default: 0])
                    occurrences[key, default: 0] += 1
                    conversions.append(conversion)
                } catch {
                    bad.append((
                        "\(row.type) wallet \(row.proxyWallet) market \(row.conditionId) asset \(row.asset) size \(row.size) at \(row.timestamp) tx \(row.transactionHash)",
                        "CONVERSION row of /activity: \(error)"))
                }
            }
            if rows.count < limit { break }
            offset += rows.count
        }
        return (conversions, bad)
    }

    /// The Data API's rows do not say which side of the match a fill was on; `takerOnly=true`
    /// lists the taker fills alone. A second pass over that list, down to the oldest new fill,
    /// marks the new fills found there taker and the others maker. Fills it cannot reach (depth
    /// cap) stay unknown, which settles as taker.
    func withRoles(_ trades: [Trade], wallet: WalletAddress, report: inout PassReport) async throws -> [Trade] {
        guard let oldest = trades.map({ $0.timestamp.millis / 1000 }).min() else { return trades }
        var plan = WalletPass(cursor: WalletCursor(newestTrade: oldest), pageSize: pageSize, offsetCap: offsetCap)
        var next = WalletPass.Next.fetch(offset: 0)
        while case .fetch(let offset) = next {
            let page = try await client.tradesPage(user: wallet.rawValue, takerOnly: true, limit: pageSize, offset: offset)
            report.pages += 1
            next = try plan.absorb(page.entries.map { Self.readRow($0, serverTime: nil).paged }).next
        }
        let outcome = plan.outcome(serverTime: nil, margin: 0)
        var takerFills: [String: Int] = [:]
        for index in outcome.window { takerFills[plan.rows[index].identity, default: 0] += 1 }
        // Below the oldest taker row read, when the cap cut the list short, the role is unknown.
        let knownFrom = outcome.unreachable.map { $0.to } ?? .min
        var seen: [String: Int] = [:]
        return trades.map { trade in
            var trade = trade
            let key = trade.baseFillKey
            let occurrence = seen[key, default: 0]
            seen[key] = occurrence + 1
            if occurrence < takerFills[key, default: 0] {
                trade.role = .taker
            } else {
                trade.role = trade.timestamp.millis / 1000 >= knownFrom ? .maker : .unknown
            }
            return trade
        }
    }

    /// Commits passes in one transaction: their trades, dead letters, gaps, cursors and the
    /// watermarks of this replica's partitions; publishes after the commit. A trade at or behind
    /// its partition's watermark is stored marked late (settled and scored, never copied).
    func commit(_ results: [PassResult]) async throws -> [PassReport] {
        guard !results.isEmpty else { return [] }
        let logger = environment.logger
        let now = Int64(Date().timeIntervalSince1970)
        let (stored, recovered) = try await environment.store.transaction { connection in
            // One writer per wallet: lock the cursors, in one order.
            _ = try await IngestStore.cursors(of: results.map(\.wallet), lock: true, on: connection, logger: logger)
            let recovered = try await IngestStore.recordSuccessfulPasses(results.map(\.wallet), on: connection, logger: logger)
            for result in results {
                for row in result.bad {
                    try await DeadLetters.record(
                        service: "fetcher", origin: "data-api:/trades?user=\(result.wallet.rawValue)", reason: row.reason,
                        raw: row.raw, on: connection, logger: logger)
                }
                if let gap = result.outcome.unreachable {
                    try await IngestStore.recordGap(
                        wallet: result.wallet, from: gap.from, to: gap.to,
                        reason: "beyond the Data API depth cap (offset \(offsetCap))", at: now, on: connection, logger: logger)
                }
            }
            let touched = Set(results.map { Partitioner.partition(of: $0.wallet.rawValue) }).sorted()
            let before = try await IngestStore.tradeWatermarks(touched, on: connection, logger: logger)
            try await IngestStore.save(results.map { ($0.wallet, $0.outcome.cursor) }, on: connection, logger: logger)
            // Partitions with no healthy wallet are complete as of the earliest pass of this commit.
            let idle = results.compactMap(\.serverTime).min().map { EventTime(seconds: $0 - margin) }
            let marks = try await IngestStore.partitionWatermarks(partitions, idle: idle, on: connection, logger: logger)
            let records = try results.flatMap(\.trades).map { trade in
                var trade = trade
                if let mark = before[Partitioner.partition(of: trade.wallet.rawValue)], trade.timestamp <= mark {
                    trade.late = true
                }
                return try StreamRecord(
                    stream: .trade, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp, payload: trade)
            }
            let alerts = try recovered.map { wallet in
                try Self.alert(
                    .info, "wallet_recovered", wallet: wallet, at: now,
                    "wallet \(wallet.rawValue) is read again; trades it made while unhealthy are stored late (never copied)")
            }
            let stored = try await StreamStore.append(
                records + alerts, partitionWatermarks: [.trade: marks], producedAt: .wallClockNow, on: connection, logger: logger)
            let counts = Dictionary(grouping: stored.filter { $0.stream == .trade }, by: \.key).mapValues(\.count)
            try await IngestStore.addTradeCounts(counts, on: connection, logger: logger)
            return (stored, recovered)
        }
        for wallet in recovered {
            logger.notice("wallet healthy again: its passes succeed", metadata: ["wallet": "\(wallet.rawValue)"])
        }
        let lateIds = Set(stored.filter { $0.stream == .trade && $0.payload.contains("\"late\":true") }.map(\.uid))
        if !lateIds.isEmpty {
            environment.metrics.late(count: lateIds.count)
            logger.warning(
                "trades stored behind the watermark: marked late, settled and scored, never copied",
                metadata: ["trades": "\(lateIds.count)"])
        }
        try environment.publisher.publish(stored)
        let storedIds = Set(stored.map(\.uid))
        var reports: [PassReport] = []
        for result in results {
            var report = result.report
            let fresh = result.trades.filter { storedIds.contains($0.id) }
            report.stored = fresh.count
            report.late = fresh.filter { lateIds.contains($0.id) }.count
            report.alreadyStored = result.trades.count - fresh.count
            if let serverTime = result.serverTime { report.lags = fresh.map { serverTime - $0.timestamp.millis / 1000 } }
            environment.metrics.received(.trade, count: report.rowsRead)
            environment.metrics.deadLettered(count: report.deadLettered)
            for lag in report.lags { environment.metrics.lag(milliseconds: lag * 1000) }
            if let gap = report.unreachable {
                logger.warning(
                    "trades beyond the API's depth cap cannot be read",
                    metadata: [
                        "wallet": "\(result.wallet.rawValue)", "from": "\(gap.from.map(String.init) ?? "beginning")",
                        "to": "\(gap.to)",
                    ])
            }
            reports.append(report)
        }
        environment.metrics.published(.trade, count: stored.count)
        return reports
    }

    /// A row as paging sees it and as the pass keeps it. `serverTime` is the API's "now" of the
    /// pass: a fill stamped later is invalid. Invalid rows keep their place (paging) but never
    /// move the cursor (``PagedRow/valid``).
    static func readRow(_ entry: PolymarketClient.TradesPage.Entry, serverTime: Int64?) -> (paged: PagedRow, row: ReadRow) {
        switch entry {
        case .row(let row):
            do {
                let trade = try row.trade(serverTime: serverTime, occurrence: { _ in 0 })
                return (PagedRow(identity: trade.baseFillKey, timestamp: trade.timestamp.millis / 1000), .trade(trade))
            } catch {
                let raw = (try? String(decoding: JSONCoding.encoder.encode(row), as: UTF8.self)) ?? "\(row)"
                return (PagedRow(identity: "bad:" + raw, timestamp: row.timestamp, valid: false), .bad(raw: raw, reason: "\(error)"))
            }
        case .undecodable(let raw, let reason):
            return (PagedRow(identity: "bad:" + raw, timestamp: .max, valid: false), .bad(raw: raw, reason: reason))
        }
    }

    // MARK: loops

    /// One pass over every watched wallet of this replica: reads run `concurrency` at a time;
    /// finished reads are committed together (up to `commitRows` trades or `commitWallets`
    /// wallets a transaction), so a backfill of thousands of small wallets costs a few hundred
    /// transactions, not thousands.
    /// `only` restricts the pass to those wallets (a backfill's retries). Wallets whose pass failed
    /// for good are returned; the next cycle tries them again.
    func cycle(
        only: Set<WalletAddress>? = nil, progress: (@Sendable (Int, Int, Int) -> Void)? = nil
    ) async throws -> (passes: Int, stored: Int, lags: [Int64], failed: [WalletAddress]) {
        let logger = environment.logger
        _ = try await replayTradeLetters(environment: environment)
        let (wallets, cursors) = try await environment.store.transaction { connection in
            let watched = try await IngestStore.watched(partitions: partitions, on: connection, logger: logger)
            let wallets = only.map { only in watched.filter { only.contains($0) } } ?? watched
            return (wallets, try await IngestStore.cursors(of: wallets, on: connection, logger: logger))
        }
        var failed: [WalletAddress] = []
        var done = 0
        var stored = 0
        var lags: [Int64] = []
        var waiting: [PassResult] = []
        func flush() async throws {
            let reports = try await commit(waiting)
            waiting.removeAll()
            for report in reports {
                stored += report.stored
                lags += report.lags
            }
            progress?(done, wallets.count, stored)
        }
        try await withThrowingTaskGroup(of: (WalletAddress, PassResult?).self) { group in
            var pending = wallets[...]
            func launch() {
                guard let wallet = pending.popFirst() else { return }
                let start = cursors[wallet] ?? WalletCursor()
                group.addTask {
                    do {
                        return (wallet, try await read(wallet: wallet, from: start))
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        await deadLetter(error, wallet: wallet)
                        return (wallet, nil)
                    }
                }
            }
            for _ in 0..<concurrency { launch() }
            while let (wallet, result) = try await group.next() {
                done += 1
                if let result { waiting.append(result) } else { failed.append(wallet) }
                if waiting.count >= commitWallets || waiting.reduce(0, { $0 + $1.trades.count }) >= Self.commitRows {
                    try await flush()
                }
                if Task.isShuttingDownGracefully { continue }
                launch()
            }
            try await flush()
        }
        return (done, stored, lags, failed)
    }

    static let commitRows = 20_000

    /// Polls the watch list until shutdown.
    func run() async throws {
        let logger = environment.logger
        while !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                let result = try await cycle()
                let took = ContinuousClock.now - started
                let tookText = String(format: "%.1f", seconds(took))
                let sorted = result.lags.sorted()
                logger.info(
                    "cycle", metadata: [
                        "wallets": "\(result.passes)", "stored": "\(result.stored)",
                        "lag_p50_s": "\(sorted.isEmpty ? 0 : sorted[sorted.count / 2])",
                        "lag_max_s": "\(sorted.last ?? 0)", "seconds": "\(tookText)",
                    ])
                // Each wallet is polled once a cycle: a cycle longer than the interval is the lag's floor.
                if took > interval {
                    logger.warning(
                        "a pass over the watch list took longer than the poll interval: detection lag exceeds the interval",
                        metadata: [
                            "seconds": "\(tookText)", "interval_s": "\(seconds(interval))",
                            "wallets": "\(result.passes)",
                            "remedy": "raise REMORA_FETCHER_INTERVAL_MS, or split the watch list across fetchers with REMORA_PARTITIONS",
                        ])
                }
            } catch is CancellationError {
                return
            } catch {
                environment.metrics.error("database")
                logger.warning("cycle failed; retrying at the next cycle", metadata: ["error": "\(describe(error))"])
            }
            let wait = interval - (ContinuousClock.now - started)
            if wait > .zero { try? await Task.sleep(for: wait) }
        }
    }

    /// One pass over every watched wallet — whole histories for new ones — with a progress line.
    func backfill() async throws {
        let started = ContinuousClock.now
        let interactive = isatty(STDERR_FILENO) == 1
        let result = try await cycle { done, total, stored in
            let elapsed = seconds(ContinuousClock.now - started)
            let line = String(
                format: "backfill: %d/%d wallets, %d trades stored, %.0f trades/s", done, total, stored,
                Double(stored) / max(elapsed, 0.001))
            if interactive {
                FileHandle.standardError.write(Data(("\r" + line + (done == total ? "\n" : "")).utf8))
            } else if done == total || done % 100 == 0 {
                FileHandle.standardError.write(Data((line + "\n").utf8))
            }
        }
        // A pass that failed for good (retries exhausted) leaves its wallet behind: try those again,
        // then fail loudly rather than call an incomplete backfill done.
        var stored = result.stored
        var failed = result.failed
        for round in 1...Self.backfillRetryRounds where !failed.isEmpty {
            environment.logger.warning(
                "backfill: passes failed, trying those wallets again", metadata: ["wallets": "\(failed.count)", "round": "\(round)"])
            try await Task.sleep(for: .seconds(round))
            let retry = try await cycle(only: Set(failed))
            stored += retry.stored
            failed = retry.failed
        }
        let elapsed = seconds(ContinuousClock.now - started)
        print(String(format: "backfill done: %d wallets, %d trades stored in %.1f s (%.0f trades/s)",
                     result.passes - failed.count, stored, elapsed, Double(stored) / max(elapsed, 0.001)))
        if !failed.isEmpty {
            throw BackfillIncomplete(wallets: failed)
        }
    }

    static let backfillRetryRounds = 5
}

/// Some wallets could not be read after every retry: the backfill is not complete.
struct BackfillIncomplete: Error, CustomStringConvertible {
    var wallets: [WalletAddress]
    var description: String {
        "backfill incomplete: \(wallets.count) wallet(s) could not be read (see the log): "
            + wallets.prefix(10).map(\.rawValue).joined(separator: ", ")
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
