import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

/// Gamma as the resolver's source: every market seen in a trade (`market_watch`) is read until
/// it resolves. Each pass keeps the market rows current and applies ``ResolutionRule``; a
/// `["0","0"]` result asks the CLOB for its winner. A resolution's event time is when it became
/// known: the row's `updatedAt` (when the result was written; never before `closedTime`, never
/// after the API's "now" at the pass), so that a backfill of old markets keeps their history.
/// After a pass over every open market, the `market.resolved` watermark moves to that time minus
/// the margin.
struct GammaSource {
    static let settings: [Setting] = [
        Setting("REMORA_GAMMA_API_URL", default: PolymarketEndpoints.polymarket.gamma, "Gamma base URL"),
        Setting("REMORA_CLOB_API_URL", default: PolymarketEndpoints.polymarket.clob, "CLOB base URL"),
        Setting("REMORA_RESOLVER_INTERVAL_MS", default: "60000", "Gamma: time between two passes over the open markets, ms", kind: .integer(0...86_400_000)),
        Setting("REMORA_RESOLVER_MARGIN_S", default: "30", "Gamma: seconds a result may take to show (holds the watermark back)", kind: .integer(0...3600)),
        Setting("REMORA_RESOLVER_BATCH", default: "100", "Gamma: markets per request and per transaction", kind: .integer(1...100)),
        Setting("REMORA_API_BUDGET_SCALE", default: "1", "multiplier of the documented request budgets", kind: .number(0.01...1000)),
        Setting("REMORA_API_TIMEOUT_MS", default: "10000", "deadline of one HTTP request, ms", kind: .integer(100...600_000)),
    ]

    let environment: StageEnvironment
    let client: PolymarketClient
    let interval: Duration
    let margin: Int64
    let batchSize: Int

    init(environment: StageEnvironment) throws {
        let s = environment.settings
        self.environment = environment
        client = PolymarketClient(
            endpoints: PolymarketEndpoints(
                dataAPI: PolymarketEndpoints.polymarket.dataAPI, gamma: try s.string("REMORA_GAMMA_API_URL"),
                clob: try s.string("REMORA_CLOB_API_URL")),
            retry: RetryPolicy(timeout: .milliseconds(try s.int("REMORA_API_TIMEOUT_MS"))),
            budgets: RequestBudgets(scale: try s.double("REMORA_API_BUDGET_SCALE", in: 0.01...1000)), logger: environment.logger)
        interval = .milliseconds(try s.int("REMORA_RESOLVER_INTERVAL_MS"))
        margin = Int64(try s.int("REMORA_RESOLVER_MARGIN_S"))
        batchSize = try s.int("REMORA_RESOLVER_BATCH", in: 1...100)
    }

    struct PassReport {
        var checked = 0
        var resolved = 0
        var voided = 0
        var settled = 0
        var waiting: [String: Int] = [:]
        var unresolvable = 0
        var unknown = 0
        var asOf: Int64?

        var text: String {
            var parts = ["markets checked \(checked)", "resolved \(resolved) (void \(voided))", "trades settled \(settled)"]
            parts += waiting.sorted { $0.key < $1.key }.map { "waiting (\($0.key)) \($0.value)" }
            if unresolvable > 0 { parts.append("unresolvable \(unresolvable)") }
            if unknown > 0 { parts.append("unknown to Gamma \(unknown)") }
            parts.append("complete to \(asOf.map(String.init) ?? "never")")
            return parts.joined(separator: ", ")
        }
    }

    typealias ReadBatch = (verdicts: [(GammaMarket, Market?, ResolutionVerdict)], now: Int64)

    /// Batches whose transactions are open at once in a pass.
    static let batchesInFlight = 2

    /// A batch being written, and what its report needs.
    struct Writing {
        var task: Task<[StoredMessage], any Error>
        var verdicts: [(GammaMarket, Market?, ResolutionVerdict)]
        var checked: Int
        var unknown: Int
    }

    /// A batch of markets as Gamma (and, for a `["0","0"]` result, the CLOB) shows them, and the
    /// API's time of the reading.
    private func read(_ batch: [String]) async throws -> ReadBatch {
        let (markets, serverTime) = try await client.marketsWithTime(conditionIds: batch)
        let now = serverTime ?? Int64(Date().timeIntervalSince1970)
        var verdicts: [(GammaMarket, Market?, ResolutionVerdict)] = []
        for gamma in markets where batch.contains(gamma.conditionId) {
            var verdict = ResolutionRule.verdict(
                MarketReport(closed: gamma.closed, umaStatus: gamma.currentUMAStatus, outcomePrices: gamma.outcomePrices))
            if verdict == .askCLOB {
                let clob = try await client.clobMarket(conditionId: gamma.conditionId)
                verdict = ResolutionRule.verdict(clobWinners: clob.tokens.map(\.winner))
            }
            verdicts.append((gamma, gamma.model(), verdict))
        }
        return (verdicts, now)
    }

    /// One pass over every watched market not yet resolved. Positions are rebuilt for markets
    /// seen for the first time (their fee is known now) or, with `rebuildingAllPositions`
    /// (`--once`, where no trade consumer runs), for every market checked.
    func pass(rebuildingAllPositions: Bool = false) async throws -> PassReport {
        let logger = environment.logger
        let open: [String] = try await environment.store.transaction { connection in
            var ids: [String] = []
            for try await id in try await connection.query(
                "SELECT condition_id FROM market_watch WHERE status <> 'resolved' ORDER BY condition_id", logger: logger
            ).decode(String.self) { ids.append(id) }
            return ids
        }
        var report = PassReport()
        var passTime: Int64?
        let batches = stride(from: 0, to: open.count, by: batchSize).map { Array(open[$0..<min($0 + batchSize, open.count)]) }
        // The next batch is read from the API while this one is written: the two overlap.
        var next: Task<ReadBatch, any Error>? = batches.first.map { first in Task { try await read(first) } }
        // Batches are written `batchesInFlight` at once, each in its own transaction: a later one
        // reads its stored trades and settles them while an earlier one appends and commits (see
        // `write`). Their results are published and counted in batch order.
        var writing: [Writing] = []
        var previous: (locked: Turn, appended: Turn)?
        defer {
            next?.cancel()
            for pending in writing { pending.task.cancel() }
        }
        func finish(_ done: Writing) async throws {
            let stored = try await done.task.value
            try environment.publisher.publish(stored)
            report.checked += done.checked
            report.unknown += done.unknown
            report.settled += stored.filter { $0.stream == .tradeSettled }.count
            for (_, _, verdict) in done.verdicts {
                switch verdict {
                case .resolved(let outcome):
                    report.resolved += 1
                    if outcome == .void { report.voided += 1 }
                case .waiting(let why): report.waiting[why, default: 0] += 1
                case .unresolvable(let why):
                    report.unresolvable += 1
                    logger.warning("market cannot be resolved", metadata: ["reason": "\(why)"])
                case .askCLOB: break
                }
            }
        }
        do {
            for (index, batch) in batches.enumerated() {
                guard let reading = next else { break }
                let (verdicts, now) = try await reading.value
                next = index + 1 < batches.count ? Task { [batches] in try await read(batches[index + 1]) } : nil
                if passTime == nil { passTime = now }
                let known = Set(verdicts.map(\.0.conditionId))
                let unknown = batch.filter { !known.contains($0) }
                let turns = (locked: Turn(), appended: Turn())
                let after = previous
                let task = Task {
                    try await write(
                        batch, verdicts: verdicts, unknown: unknown, now: now, rebuildingAllPositions: rebuildingAllPositions,
                        after: after, turns: turns)
                }
                previous = turns
                writing.append(Writing(task: task, verdicts: verdicts, checked: batch.count, unknown: unknown.count))
                if writing.count >= Self.batchesInFlight { try await finish(writing.removeFirst()) }
            }
            while !writing.isEmpty { try await finish(writing.removeFirst()) }
        } catch {
            // Later batches wait for the failed one's turns, which fail too: they roll back. When only
            // a read or a publication failed they commit as usual, and are published if the bus takes
            // them (a lost publication costs latency, not data). Either way they end before the pass.
            for pending in writing {
                if let stored = try? await pending.task.value { try? environment.publisher.publish(stored) }
            }
            writing = []
            throw error
        }
        // Every open market was read at or after `passTime`: results known by then are applied.
        let asOf = (passTime ?? Int64(Date().timeIntervalSince1970)) - margin
        report.asOf = asOf
        let stored = try await environment.store.transaction { connection in
            // No further than the markets it knows of: a market seen in a trade but not read yet,
            // or in a trade not consumed yet, may have resolved after that trade (a pass over no
            // markets would otherwise vouch for the wall clock, and the risk guard would fill an
            // order in a market whose result was on its way).
            let mark = min(EventTime(seconds: asOf), try await Settling.resolvedHold(on: connection, logger: logger))
            let stored = try await StreamStore.append(
                [], watermarks: [.marketResolved: (Array(0..<StreamName.partitionCount), mark)], producedAt: .wallClockNow,
                on: connection, logger: logger)
            try await Cursors.saveSource(ResolverNames.source, position: 0, watermark: mark, on: connection, logger: logger)
            try await Settling.advanceSettledWatermarks(holdingForUncheckedMarkets: true, on: connection, logger: logger)
            return stored
        }
        try environment.publisher.publish(stored)
        environment.metrics.published(.tradeSettled, count: report.settled)
        return report
    }

    /// Writes one batch in one transaction: market rows and watch statuses, the resolutions and the
    /// settlement of their markets' stored trades, positions, then the append. Batches overlap
    /// (`pass`), so two orders are kept by turns: a batch takes its markets' locks only after the
    /// previous batch holds its own (the locks are taken in batch order, as by one writer, so a
    /// trade consumer waiting between two batches cannot close a cycle PostgreSQL would not see),
    /// and appends only after the previous batch's append has returned: it then waits on the stream
    /// heads' row locks until that batch commits, so seqs follow batch order as before.
    private func write(
        _ batch: [String], verdicts: [(GammaMarket, Market?, ResolutionVerdict)], unknown: [String], now: Int64,
        rebuildingAllPositions: Bool, after previous: (locked: Turn, appended: Turn)?, turns: (locked: Turn, appended: Turn)
    ) async throws -> [StoredMessage] {
        let logger = environment.logger
        do {
            try await previous?.locked.wait()
            return try await environment.store.transaction { connection in
                let resolutions = verdicts.compactMap { gamma, model, verdict -> MarketResolution? in
                    guard case .resolved(let outcome) = verdict, let id = model?.conditionId ?? ConditionID(gamma.conditionId) else {
                        return nil
                    }
                    let written = max(gamma.updatedAtTime ?? now, gamma.closedAt ?? .min)
                    return MarketResolution(conditionId: id, outcome: outcome, resolvedAt: EventTime(seconds: min(now, written)))
                }
                try await Settling.lockMarkets(batch.compactMap(ConditionID.init), on: connection, logger: logger)
                await turns.locked.open(.success(()))
                var firstSight: [ConditionID] = []
                for try await id in try await connection.query(
                    "SELECT condition_id FROM market_watch WHERE condition_id = ANY(\(batch)) AND status = 'new'", logger: logger
                ).decode(String.self) { if let id = ConditionID(id) { firstSight.append(id) } }
                var records: [StreamRecord] = []
                try await MarketStore.upsert(verdicts.compactMap(\.1), at: now * 1000, on: connection, logger: logger)
                // Terms versioned by when they were seen (the API's time at the pass).
                try await MarketTermsStore.record(
                    verdicts.compactMap { $0.0.terms(seenAt: EventTime(seconds: now)) }, on: connection, logger: logger)
                let statuses = verdicts.map { _, _, verdict -> String in
                    switch verdict {
                    case .resolved: "resolved"
                    case .waiting(let why): "waiting: \(why)"
                    case .unresolvable(let why): "unresolvable: \(why)"
                    case .askCLOB: "waiting: CLOB"
                    }
                }
                // One statement for the batch; a market listed twice takes its last verdict.
                try await connection.run(
                    """
                    UPDATE market_watch w SET status = v.status, checked_at = \(now)
                    FROM (SELECT DISTINCT ON (id) id, status FROM unnest(\(verdicts.map(\.0.conditionId))::text[], \(statuses)::text[])
                              WITH ORDINALITY AS u(id, status, n) ORDER BY id, n DESC) AS v
                    WHERE w.condition_id = v.id
                    """, logger: logger)
                for (gamma, model, _) in verdicts {
                    if model == nil {
                        try await DeadLetters.record(
                            service: "resolver", origin: "gamma:/markets?condition_ids=\(gamma.conditionId)",
                            reason: gamma.modelProblem ?? "market row not usable", raw: gamma.conditionId, on: connection, logger: logger)
                    }
                }
                records += try await Settling.resolve(resolutions, on: connection, logger: logger)
                let resolvedNow = Set(resolutions.map(\.conditionId))
                let rebuild = rebuildingAllPositions ? batch.compactMap(ConditionID.init) : firstSight
                try await Settling.rebuildPositions(
                    ofMarkets: rebuild.filter { !resolvedNow.contains($0) }, on: connection, logger: logger)
                for id in unknown {
                    try await connection.run(
                        "UPDATE market_watch SET status = 'unknown to Gamma', checked_at = \(now) WHERE condition_id = \(id)",
                        logger: logger)
                }
                try await previous?.appended.wait()
                let stored = try await StreamStore.append(records, producedAt: .wallClockNow, on: connection, logger: logger)
                await turns.appended.open(.success(()))
                return stored
            }
        } catch {
            // The next batch must not wait forever, nor append ahead of this one's rows.
            await turns.locked.open(.failure(error))
            await turns.appended.open(.failure(error))
            throw error
        }
    }

    /// Passes until shutdown.
    func run() async throws {
        while !Task.isShuttingDownGracefully {
            let started = ContinuousClock.now
            do {
                try await replayMarketLetters(feed: nil, environment: environment)
                let report = try await pass()
                environment.logger.info("gamma pass", metadata: ["summary": "\(report.text)"])
            } catch is CancellationError {
                return
            } catch {
                environment.metrics.error("gamma")
                environment.logger.warning("gamma pass failed; retrying at the next pass", metadata: ["error": "\(describe(error))"])
            }
            let wait = interval - (ContinuousClock.now - started)
            if wait > .zero { try? await Task.sleep(for: wait) }
        }
    }
}

/// A point in one batch's write that the next batch waits for; a failure fails the waiters.
/// The first outcome given stands.
actor Turn {
    private var outcome: Result<Void, any Error>?
    private var waiters: [CheckedContinuation<Void, any Error>] = []

    func wait() async throws {
        if let outcome { return try outcome.get() }
        try await withCheckedThrowingContinuation { waiters.append($0) }
    }

    func open(_ result: Result<Void, any Error>) {
        guard outcome == nil else { return }
        outcome = result
        for waiter in waiters { waiter.resume(with: result) }
        waiters = []
    }
}
