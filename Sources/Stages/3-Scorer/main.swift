// scorer — the Whale Quality Score and the metrics behind it (Sources/Core/Scoring,
// docs/scoring.md), kept per wallet from its settled trades. On each `trade.settled` the wallet is
// scored as of the settlement's time; the current figures go to `wallet_scores`, the day's last to
// `wallet_score_days`, and `whale.score` is published for every instant scored.
//
// A score takes two figures from all wallets (category base rates, category daily returns) from
// the days before its own: in strict event-time mode (the default) a settlement waits until every
// partition's trade.settled watermark has passed its day's start, and its own partition's its
// time, so that the score is the same whatever the processes' timing — and equal to
// `remora rescore`'s. Live mode scores at once with what is stored.
import Foundation
import Logging
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import Synchronization

await RemoraService.main(
    service: "scorer", summary: "score wallets from settled trades, publish `whale.score`", httpPort: 7413,
    settings: [
        EventTimeMode.setting,
        Setting("REMORA_SCORER_BATCH", default: "250", "settlements per partition in one catch-up step (bounds memory)", kind: .integer(1...100_000)),
        Setting("REMORA_SCORER_CACHE_SETTLEMENTS", default: "1000000", "settlements the scorer keeps in memory between steps, 40 bytes each plus 4 a market (least recently used wallets dropped beyond)", kind: .integer(0...100_000_000)),
    ]
) { environment in
    let logger = environment.logger
    let strict = try EventTimeMode(environment.settings) == .strict
    // Scores an older formula wrote stay as they were until rewritten: say so once, with the fix.
    if let stale = try? await ScoreStore.otherMethods(than: WalletScoring.method, store: environment.store), !stale.isEmpty {
        logger.warning(
            "current scores of another formula are kept until rescored; run `remora rescore` to rewrite every history with this one",
            metadata: ["formula": "\(WalletScoring.method)", "older": "\(stale.map { "\($0.key)×\($0.value)" }.sorted().joined(separator: ","))"])
    }
    let reads = StepReads<ScorerReads>()
    let contexts = ContextCache()
    let histories = SettlementCache(capacity: try environment.settings.int("REMORA_SCORER_CACHE_SETTLEMENTS", in: 0...100_000_000))
    let consumer = DurableConsumer(
        name: "scorer", stream: .tradeSettled, payload: TradeSettlement.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment,
        // A catch-up step holds its messages, its wallets' settlements and fills and its outputs
        // at once: small steps bound the scorer's memory (heaptrack: 119 MB of heap for one step of
        // 20,000 settlements at the default limit).
        batchLimit: try environment.settings.int("REMORA_SCORER_BATCH", in: 1...100_000),
        prepare: { settlements, connection in
            try await reads.replace {
                // The last step's reads are gone: the pages they and the step freed go back too.
                releaseFreeMemory()
                return try await scorerReads(
                    settlements, strict: strict, contexts: contexts, histories: histories, on: connection, logger: logger)
            }
        }
    ) { messages, partition, upstream, connection in
        let step = try reads.current
        let own = step.watermarks[partition] ?? EventTime(millis: .min)
        let ready = strict
            ? Array(messages.prefix { $0.1.settledAt <= own && $0.1.settledAt.dayNumber * EventTime.day - 1 <= step.floor.millis })
            : messages
        // One record per wallet and instant scored, whatever changed: which instants a step
        // meets depends on step boundaries (kills, speed, the stream's order), so a record left
        // out when the figures equal the last *processed* ones could leave the gate reading other
        // figures as of a later instant. The uid is the instant: settlements of one instant, and a
        // mark day starting then, are one record however the steps split them.
        var scores: [(wallet: WalletAddress, metrics: WalletMetrics)] = []
        var records = ScoreRecords()
        for (_, settlement) in ready {
            let day = settlement.settledAt.dayNumber
            let context = try step.contexts[day] ?? { throw MissingContext(day: day) }()
            let metrics = WalletScoring.score(
                settlement.wallet, ledger: step.settlements[settlement.wallet] ?? ScoringLedger(),
                fills: step.fills[settlement.wallet] ?? [], marks: step.marks, asOf: settlement.settledAt, context: context)
            scores.append((settlement.wallet, metrics))
            try records.add(settlement.wallet, metrics, asOf: settlement.settledAt)
        }
        var watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:]
        var caughtUp = true
        if let upstream {
            var mark = upstream
            // Below every settlement held back, not only the first: the stream is in the order the
            // resolver wrote it, not in event time.
            if let held = messages[ready.count...].map(\.1.settledAt).min() { mark = min(mark, held.adding(millis: -1)) }
            // The days every partition has passed, through this partition's own progress: its
            // wallets holding open fills are scored again at each day's start (new marks).
            let sweep = try await sweepMarkDays(
                partition: partition, through: min(mark, step.floor), step: step, records: &records,
                contexts: contexts, histories: histories, on: connection, logger: logger)
            scores += sweep.scores
            // whale.score is complete only through the days swept: until the others catch up,
            // the watermark waits before the next day's start and the partition is offered again.
            if let next = sweep.nextDay, next * EventTime.day <= mark.millis { mark = EventTime(millis: next * EventTime.day - 1) }
            watermarks[.whaleScore] = ([partition], mark)
            caughtUp = mark >= upstream
        }
        try await ScoreStore.save(scores, on: connection, logger: logger)
        try await saveTallies(scores, on: connection, logger: logger)
        return StepResult(consumed: ready.count, records: records.list, watermarks: watermarks, watermarkCaughtUp: caughtUp)
    }
    try await consumer.run()
}

/// What a step reads before scoring: watermarks, the wallets' settlements, the days' contexts,
/// the wallets' fills that may be open at the settlements' times and the marks to value them.
struct ScorerReads: Sendable {
    /// trade.settled watermark of each partition, and the lowest of them.
    var watermarks: [Int: EventTime]
    var floor: EventTime
    /// trade.settled heads at the step's read (the settlement cache's bound).
    var heads: [Int: Int64]
    var settlements: [WalletAddress: ScoringLedger]
    var contexts: [Int64: ScoringContext]
    var fills: [WalletAddress: [HeldFill]]
    var marks: MarketMarks
}

struct MissingContext: Error, CustomStringConvertible {
    var day: Int64
    var description: String { "no scoring context was read for day \(day)" }
}

/// Contexts of days whose start every partition's watermark has passed: final. A week of them is
/// kept (settlements come roughly in time order; an older day is read again if needed).
final class ContextCache: Sendable {
    private let days = Mutex<[Int64: ScoringContext]>([:])
    func get(_ day: Int64) -> ScoringContext? { days.withLock { $0[day] } }
    func put(_ context: ScoringContext) {
        days.withLock { days in
            days[context.day] = context
            if days.count > 7, let newest = days.keys.max() { days = days.filter { $0.key > newest - 7 } }
        }
    }
}

/// In strict mode only the contexts of days every partition has passed are read: the others'
/// settlements wait, and reading them on every poll would aggregate the table for nothing.
func scorerReads(
    _ settlements: [TradeSettlement], strict: Bool, contexts cache: ContextCache, histories: SettlementCache,
    on connection: PostgresConnection, logger: Logger
) async throws -> ScorerReads {
    var watermarks: [Int: EventTime] = [:]
    var heads: [Int: Int64] = [:]
    let rows = try await connection.query(
        "SELECT partition, seq, watermark FROM stream_heads WHERE stream = \(StreamName.tradeSettled.rawValue)", logger: logger)
    for try await (partition, seq, mark) in rows.decode((Int, Int64, Int64).self) {
        watermarks[partition] = EventTime(millis: mark)
        heads[partition] = seq
    }
    let floor = (0..<StreamName.partitionCount).map { watermarks[$0] ?? EventTime(millis: .min) }.min()!
    let wallets = Array(Set(settlements.map(\.wallet)))
    let history = try await histories.settlements(of: wallets, heads: heads, on: connection, logger: logger)
    var contexts: [Int64: ScoringContext] = [:]
    var categoryDays: [CategoryDay]?
    for day in Set(settlements.map(\.settledAt.dayNumber)).sorted() {
        if let known = cache.get(day) {
            contexts[day] = known
            continue
        }
        let final = day * EventTime.day - 1 <= floor.millis
        if strict && !final { continue }
        // One read for every day the step needs: the newest day's rows hold the older days'.
        if categoryDays == nil {
            let newest = settlements.map(\.settledAt.dayNumber).max()!
            categoryDays = histories.categoryDays(before: newest)
        }
        let context = ScoringContext(day: day, from: categoryDays!)
        contexts[day] = context
        if final { cache.put(context) }
    }
    // Open fills: read after the watermarks, so that in strict mode every fill and resolution a
    // ready settlement's score depends on is stored (docs/scoring.md, "Open fills").
    var fills: [WalletAddress: [HeldFill]] = [:]
    var marks = MarketMarks()
    if !settlements.isEmpty {
        fills = try await ScoreStore.heldFills(
            openAt: settlements.map { ($0.wallet, $0.settledAt) }, names: histories.names, on: connection, logger: logger)
        var pairs = Set<MarkKey>()
        for s in settlements {
            for fill in fills[s.wallet] ?? [] where fill.isOpen(at: s.settledAt) {
                pairs.insert(MarkKey(market: fill.conditionId, before: s.settledAt.dayNumber * EventTime.day))
            }
        }
        let sorted = pairs.sorted { ($0.market.rawValue, $0.before) < ($1.market.rawValue, $1.before) }
        marks = try await ScoreStore.marks(
            sorted.map { ($0.market, EventTime(millis: $0.before)) }, on: connection, logger: logger)
    }
    return ScorerReads(
        watermarks: watermarks, floor: floor, heads: heads, settlements: history, contexts: contexts, fills: fills, marks: marks)
}

private struct MarkKey: Hashable {
    var market: ConditionID
    var before: Int64
}

/// Wallets' settlements as stored, kept between steps as compact ledgers (``ScoringLedger``:
/// 40 bytes a settlement, 4 bytes a market) so that a wallet's history is read once, not
/// on each of its settlements. The cache follows the stream: each step reads what was stored since
/// the last (positions after the heads it saw, up to the heads it sees now) and adds it to the
/// wallets it holds; a wallet it does not hold is read whole, up to the same heads, a few hundred
/// wallets a query (a catch-up's first steps meet thousands). Only committed rows are read, so a
/// step that rolls back leaves the cache true. Least recently used wallets are dropped beyond
/// `capacity` settlements (read again when next needed).
final class SettlementCache: Sendable {
    struct State {
        var wallets: [WalletAddress: ScoringLedger] = [:]
        var lastUse: [WalletAddress: UInt64] = [:]
        var clock: UInt64 = 0
        var size = 0
        /// Per partition, the stream position through which the held wallets and the category
        /// totals are complete (nil before the first read).
        var through: [Int: Int64]?
        /// Every settlement read, summed by category and day: the scoring contexts' figures.
        var totals = CategoryDayTotals()
    }
    private let state = Mutex(State())
    /// Market ids and category names, one copy each (the fills read share them too).
    let names = SharedNames()
    let capacity: Int
    static let walletsPerRead = 250

    init(capacity: Int) { self.capacity = capacity }

    func settlements(
        of wallets: [WalletAddress], heads: [Int: Int64], on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: ScoringLedger] {
        // What was stored since the last step: summed into the category totals, and added to the
        // wallets held (the others are read whole when needed). The first read sums the table.
        if let through = state.withLock({ $0.through }) {
            let ranges = heads.compactMap { partition, head in
                let after = through[partition] ?? 0
                return head > after ? (partition, after, head) : nil
            }
            var totals = CategoryDayTotals()
            let fresh = try await ScoreStore.ledgerRows(
                between: ranges, names: names, keep: { wallet in self.state.withLock { $0.wallets[wallet] != nil } },
                totals: &totals, on: connection, logger: logger)
            state.withLock { state in
                for (wallet, rows) in fresh where state.wallets[wallet] != nil {
                    state.wallets[wallet]!.merge(rows)
                    state.size += rows.count
                }
                for day in totals.days(before: .max) { state.totals.add(day) }
                state.through = heads
            }
        } else {
            let days = try await ScoreStore.categoryDays(through: heads, on: connection, logger: logger)
            state.withLock { state in
                state.totals = CategoryDayTotals(days)
                state.through = heads
            }
        }
        // Wallets not held: whole, up to the same heads (rows stored meanwhile come with the next step).
        let missing = state.withLock { state in wallets.filter { state.wallets[$0] == nil } }
        var start = 0
        while start < missing.count {
            let chunk = Array(missing[start..<min(start + Self.walletsPerRead, missing.count)])
            start += chunk.count
            var loaded = try await ScoreStore.ledgerRows(of: chunk, through: heads, names: names, on: connection, logger: logger)
            state.withLock { state in
                for wallet in chunk where state.wallets[wallet] == nil {
                    let rows = loaded.removeValue(forKey: wallet) ?? []
                    state.wallets[wallet] = ScoringLedger(rows: rows)
                    state.size += rows.count
                }
            }
        }
        return state.withLock { state in
            state.clock += 1
            var result: [WalletAddress: ScoringLedger] = [:]
            for wallet in wallets {
                state.lastUse[wallet] = state.clock
                result[wallet] = state.wallets[wallet]
            }
            // Over capacity: drop the least recently used wallets (never those of this step).
            if state.size > capacity {
                for (wallet, _) in state.lastUse.sorted(by: { $0.value < $1.value }) where state.size > capacity {
                    guard state.lastUse[wallet] != state.clock else { break }
                    state.size -= state.wallets.removeValue(forKey: wallet)?.count ?? 0
                    state.lastUse[wallet] = nil
                }
            }
            return result
        }
    }
}

extension SettlementCache {
    /// The category totals of the days before `day`, as of the last read's heads.
    func categoryDays(before day: Int64) -> [CategoryDay] {
        state.withLock { $0.totals.days(before: day) }
    }
}

/// The plain running figures (`wallet_stats`), kept for the pipeline summary and the live feed.
func saveTallies(
    _ scores: [(wallet: WalletAddress, metrics: WalletMetrics)], on connection: PostgresConnection, logger: Logger
) async throws {
    var latest: [WalletAddress: WalletMetrics] = [:]
    for (wallet, m) in scores where latest[wallet].map({ $0.asOf <= m.asOf }) ?? true { latest[wallet] = m }
    guard !latest.isEmpty else { return }
    let rows = latest.sorted { $0.key.rawValue < $1.key.rawValue }
    try await connection.run(
        """
        INSERT INTO wallet_stats (wallet, settled_count, wins, realized_pnl_micros, volume_micros, score, as_of)
        SELECT * FROM unnest(\(rows.map(\.key.rawValue))::text[], \(rows.map(\.value.settledTrades))::int[],
            \(rows.map(\.value.wins))::int[], \(rows.map(\.value.realizedPnl.micros))::bigint[],
            \(rows.map(\.value.volume.micros))::bigint[], \(rows.map(\.value.wqs))::float8[], \(rows.map(\.value.asOf.millis))::bigint[])
        ON CONFLICT (wallet) DO UPDATE SET settled_count = EXCLUDED.settled_count, wins = EXCLUDED.wins,
            realized_pnl_micros = EXCLUDED.realized_pnl_micros, volume_micros = EXCLUDED.volume_micros,
            score = EXCLUDED.score, as_of = EXCLUDED.as_of
        WHERE wallet_stats.as_of <= EXCLUDED.as_of
        """, logger: logger)
}

/// Re-scores, as of the start of each day not yet done through `through` (at most a month per
/// step), every wallet of the partition holding open fills then (``WalletScoring/markDays(settlements:fills:through:)``):
/// a score's marks are the prices before its day's start, so they move once a day. The partition's
/// last day done is saved with the scores. `nextDay`: the first day not done.
func sweepMarkDays(
    partition: Int, through: EventTime, step: ScorerReads, records: inout ScoreRecords,
    contexts cache: ContextCache, histories: SettlementCache, on connection: PostgresConnection, logger: Logger
) async throws -> (scores: [(wallet: WalletAddress, metrics: WalletMetrics)], nextDay: Int64?) {
    let done = try await ScoreStore.markDaysThrough(on: connection, logger: logger)[partition]
    var start: Int64
    if let done {
        start = done + 1
    } else {
        // Not started: nothing is open for a score before the partition's first settlement.
        guard let first = try await ScoreStore.firstSettlement(partition: partition, on: connection, logger: logger),
            first <= through
        else { return ([], nil) }
        start = first.dayNumber + 1
    }
    guard through.millis > Int64.min / 2 else { return ([], start) }  // a partition without a watermark yet
    let last = min(through.dayNumber, start + 30)
    guard start <= last else { return ([], start) }
    let fills = try await ScoreStore.heldFills(
        partition: partition, openFrom: EventTime(millis: start * EventTime.day), through: EventTime(millis: last * EventTime.day),
        names: histories.names, on: connection, logger: logger)
    let wallets = fills.keys.sorted { $0.rawValue < $1.rawValue }
    let settlements = try await histories.settlements(of: wallets, heads: step.heads, on: connection, logger: logger)
    var byDay: [Int64: [WalletAddress]] = [:]
    for wallet in wallets {
        let days = WalletScoring.markDays(
            firstSettlement: settlements[wallet]?.firstSettlement, fills: fills[wallet] ?? [], through: last)
        for day in days where day >= start { byDay[day, default: []].append(wallet) }
    }
    var scores: [(wallet: WalletAddress, metrics: WalletMetrics)] = []
    if !byDay.isEmpty {
        var pairs = Set<MarkPair>()
        for (day, list) in byDay {
            for wallet in list {
                for fill in fills[wallet] ?? [] where fill.isOpen(at: EventTime(millis: day * EventTime.day)) {
                    pairs.insert(MarkPair(market: fill.conditionId, before: day * EventTime.day))
                }
            }
        }
        let sorted = pairs.sorted { ($0.market.rawValue, $0.before) < ($1.market.rawValue, $1.before) }
        let marks = try await ScoreStore.marks(sorted.map { ($0.market, EventTime(millis: $0.before)) }, on: connection, logger: logger)
        var categoryDays: [CategoryDay]?
        for day in byDay.keys.sorted() {
            let context: ScoringContext
            if let known = cache.get(day) {
                context = known
            } else {
                if categoryDays == nil { categoryDays = histories.categoryDays(before: last) }
                context = ScoringContext(day: day, from: categoryDays!)
                cache.put(context)  // final: every partition has passed the day's start
            }
            let asOf = EventTime(millis: day * EventTime.day)
            for wallet in byDay[day]! {
                let metrics = WalletScoring.score(
                    wallet, ledger: settlements[wallet] ?? ScoringLedger(), fills: fills[wallet] ?? [], marks: marks, asOf: asOf,
                    context: context)
                scores.append((wallet, metrics))
                try records.add(wallet, metrics, asOf: asOf)
            }
        }
    }
    try await ScoreStore.saveMarkDaysThrough(last, partition: partition, on: connection, logger: logger)
    return (scores, last + 1)
}

/// A step's `whale.score` records, one per wallet and instant (``WhaleTimeline``'s points).
struct ScoreRecords {
    private(set) var list: [StreamRecord] = []
    private var uids = Set<String>()

    mutating func add(_ wallet: WalletAddress, _ metrics: WalletMetrics, asOf: EventTime) throws {
        let uid = "\(wallet.rawValue):\(asOf.millis)"
        guard uids.insert(uid).inserted else { return }
        let score = WhaleScore(
            wallet: wallet, asOf: asOf, settledCount: metrics.settledTrades, wins: metrics.wins, realizedPnl: metrics.realizedPnl,
            volume: metrics.volume, score: metrics.wqs, method: WalletScoring.method, figures: metrics.figures)
        list.append(try StreamRecord(stream: .whaleScore, uid: uid, key: wallet.rawValue, eventTime: asOf, payload: score))
    }
}

private struct MarkPair: Hashable {
    var market: ConditionID
    var before: Int64
}
