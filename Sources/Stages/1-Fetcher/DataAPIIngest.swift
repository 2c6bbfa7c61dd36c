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
        Setting("REMORA_FETCHER_INTERVAL_MS", default: "30000", "Data API: time between two passes over the watch list, ms", kind: .integer(0...86_400_000)),
        Setting("REMORA_FETCHER_PAGE_SIZE", default: "500", "Data API: rows per /trades page", kind: .integer(1...10_000)),
        Setting("REMORA_FETCHER_OFFSET_CAP", default: "10000", "Data API: deepest offset the API serves", kind: .integer(0...1_000_000)),
        Setting("REMORA_FETCHER_CONCURRENCY", default: "4", "Data API: wallets polled at once", kind: .integer(1...64)),
        Setting("REMORA_FETCHER_MARGIN_S", default: "30", "Data API: seconds a trade may take to appear in /trades (holds the watermark back)", kind: .integer(0...3600)),
        Setting("REMORA_API_BUDGET_SCALE", default: "1", "multiplier of the documented request budgets (below 1: headroom for other clients)", kind: .number(0.01...1000)),
        Setting("REMORA_API_TIMEOUT_MS", default: "10000", "deadline of one HTTP request, ms", kind: .integer(100...600_000)),
    ]

    let environment: StageEnvironment
    let client: PolymarketClient
    let pageSize: Int
    let offsetCap: Int
    let concurrency: Int
    let margin: Int64
    let interval: Duration
    let partitions: [Int]

    init(environment: StageEnvironment) throws {
        let s = environment.settings
        self.environment = environment
        let base = PolymarketEndpoints.polymarket
        client = PolymarketClient(
            endpoints: PolymarketEndpoints(dataAPI: try s.string("REMORA_DATA_API_URL"), gamma: base.gamma, clob: base.clob),
            retry: RetryPolicy(timeout: .milliseconds(try s.int("REMORA_API_TIMEOUT_MS"))),
            budgets: RequestBudgets(scale: try s.double("REMORA_API_BUDGET_SCALE", in: 0.01...1000)),
            logger: environment.logger)
        pageSize = try s.int("REMORA_FETCHER_PAGE_SIZE", in: 1...10_000)
        offsetCap = try s.int("REMORA_FETCHER_OFFSET_CAP")
        concurrency = try s.int("REMORA_FETCHER_CONCURRENCY", in: 1...64)
        margin = Int64(try s.int("REMORA_FETCHER_MARGIN_S"))
        interval = .milliseconds(try s.int("REMORA_FETCHER_INTERVAL_MS"))
        partitions = try s.partitions("REMORA_PARTITIONS")
    }

    /// Adds REMORA_WATCH_WALLETS to the watch list; a malformed address stops start-up.
    func seedWatchList() async throws {
        let text = environment.settings.optionalString("REMORA_WATCH_WALLETS") ?? ""
        var wallets: [WalletAddress] = []
        for item in text.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\n" }) {
            guard let wallet = WalletAddress(String(item)) else {
                throw ConfigurationError.malformed("REMORA_WATCH_WALLETS", "not a wallet address: \(item)")
            }
            wallets.append(wallet)
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
        var alreadyStored = 0
        var deadLettered = 0
        var cursor = WalletCursor()
        var unreachable: (from: Int64?, to: Int64)?
        /// Detection lag of the new trades (API time at the pass − trade time), seconds.
        var lags: [Int64] = []

        var text: String {
            var parts = [
                "wallet \(wallet.rawValue)", "pages \(pages)", "rows read \(rowsRead)", "new trades \(stored)",
                "already stored \(alreadyStored)", "dead-lettered \(deadLettered)",
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

    func pass(wallet: WalletAddress) async throws -> PassReport {
        let logger = environment.logger
        let start = try await environment.store.transaction { connection in
            try await IngestStore.cursor(of: wallet, on: connection, logger: logger)
        }
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
            let rows = page.entries.map(Self.readRow)
            let (step, fresh) = plan.absorb(rows.map(\.paged))
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
        let partition = Partitioner.partition(of: wallet.rawValue)
        let now = Int64(Date().timeIntervalSince1970)
        let stored = try await environment.store.transaction { connection in
            _ = try await IngestStore.cursor(of: wallet, lock: true, on: connection, logger: logger)
            for row in bad {
                try await DeadLetters.record(
                    service: "fetcher", origin: "data-api:/trades?user=\(wallet.rawValue)", reason: row.reason, raw: row.raw,
                    on: connection, logger: logger)
            }
            if let gap = outcome.unreachable {
                try await IngestStore.recordGap(
                    wallet: wallet, from: gap.from, to: gap.to, reason: "beyond the Data API depth cap (offset \(offsetCap))",
                    at: now, on: connection, logger: logger)
            }
            let records = try trades.map { trade in
                try StreamRecord(
                    stream: .trade, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp, payload: trade)
            }
            try await IngestStore.save(outcome.cursor, of: wallet, stored: 0, on: connection, logger: logger)
            let marks = try await IngestStore.partitionWatermarks([partition], on: connection, logger: logger)
            let stored = try await StreamStore.append(
                records, partitionWatermarks: [.trade: marks], producedAt: .wallClockNow, on: connection, logger: logger)
            try await connection.run(
                "UPDATE wallet_cursors SET trades = trades + \(stored.count) WHERE wallet = \(wallet.rawValue)", logger: logger)
            return stored
        }
        try environment.publisher.publish(stored)
        report.stored = stored.count
        report.alreadyStored = trades.count - stored.count
        report.deadLettered = bad.count
        report.cursor = outcome.cursor
        report.unreachable = outcome.unreachable
        if let serverTime {
            let storedIds = Set(stored.map(\.uid))
            report.lags = trades.filter { storedIds.contains($0.id) }.map { serverTime - $0.timestamp.millis / 1000 }
        }
        environment.metrics.received(.trade, count: report.rowsRead)
        environment.metrics.published(.trade, count: stored.count)
        environment.metrics.deadLettered(count: bad.count)
        for lag in report.lags { environment.metrics.lag(milliseconds: lag * 1000) }
        if let gap = outcome.unreachable {
            logger.warning(
                "trades beyond the API's depth cap cannot be read",
                metadata: ["wallet": "\(wallet.rawValue)", "from": "\(gap.from.map(String.init) ?? "beginning")", "to": "\(gap.to)"])
        }
        return report
    }

    static func readRow(_ entry: PolymarketClient.TradesPage.Entry) -> (paged: PagedRow, row: ReadRow) {
        switch entry {
        case .row(let row):
            do {
                let trade = try row.trade(occurrence: { _ in 0 })
                return (PagedRow(identity: trade.baseFillKey, timestamp: trade.timestamp.millis / 1000), .trade(trade))
            } catch {
                let raw = (try? String(decoding: JSONEncoder().encode(row), as: UTF8.self)) ?? "\(row)"
                return (PagedRow(identity: "bad:" + raw, timestamp: row.timestamp), .bad(raw: raw, reason: "\(error)"))
            }
        case .undecodable(let raw, let reason):
            // Without a timestamp it sorts as new: it stays in the window and is dead-lettered once.
            return (PagedRow(identity: "bad:" + raw, timestamp: .max), .bad(raw: raw, reason: reason))
        }
    }

    // MARK: loops

    /// One pass over every watched wallet of this replica, `concurrency` at a time.
    func cycle(progress: (@Sendable (Int, Int, Int) -> Void)? = nil) async throws -> (passes: Int, stored: Int, lags: [Int64]) {
        let logger = environment.logger
        let wallets = try await environment.store.transaction { connection in
            try await IngestStore.watched(partitions: partitions, on: connection, logger: logger)
        }
        var done = 0
        var stored = 0
        var lags: [Int64] = []
        try await withThrowingTaskGroup(of: PassReport?.self) { group in
            var pending = wallets[...]
            func launch() {
                guard let wallet = pending.popFirst() else { return }
                group.addTask {
                    do {
                        return try await pass(wallet: wallet)
                    } catch is CancellationError {
                        throw CancellationError()
                    } catch {
                        await deadLetter(error, wallet: wallet)
                        return nil
                    }
                }
            }
            for _ in 0..<concurrency { launch() }
            while let report = try await group.next() {
                done += 1
                if let report {
                    stored += report.stored
                    lags += report.lags
                }
                progress?(done, wallets.count, stored)
                if Task.isShuttingDownGracefully { continue }
                launch()
            }
        }
        return (done, stored, lags)
    }

    /// A pass that failed for good: its cause is logged and, when the API sent something that
    /// cannot be read, kept in the dead-letter table. The next cycle tries the wallet again.
    func deadLetter(_ error: any Error, wallet: WalletAddress) async {
        environment.metrics.error("data-api")
        environment.logger.error("pass failed", metadata: ["wallet": "\(wallet.rawValue)", "error": "\(error)"])
        guard let failure = error as? PolymarketError, let body = failure.rawBody else { return }
        try? await environment.store.transaction { connection in
            try await DeadLetters.record(
                service: "fetcher", origin: "data-api:/trades?user=\(wallet.rawValue)", reason: failure.description,
                raw: String(body.prefix(100_000)), on: connection, logger: environment.logger)
        }
    }

    /// Polls the watch list until shutdown.
    func run() async throws {
        let logger = environment.logger
        while !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                let result = try await cycle()
                let sorted = result.lags.sorted()
                logger.info(
                    "cycle", metadata: [
                        "wallets": "\(result.passes)", "stored": "\(result.stored)",
                        "lag_p50_s": "\(sorted.isEmpty ? 0 : sorted[sorted.count / 2])",
                        "lag_max_s": "\(sorted.last ?? 0)",
                    ])
            } catch is CancellationError {
                return
            } catch {
                environment.metrics.error("database")
                logger.error("cycle failed, retrying", metadata: ["error": "\(describe(error))"])
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
        let elapsed = seconds(ContinuousClock.now - started)
        print(String(format: "backfill done: %d wallets, %d trades stored in %.1f s (%.0f trades/s)",
                     result.passes, result.stored, elapsed, Double(result.stored) / max(elapsed, 0.001)))
    }
}

func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }
