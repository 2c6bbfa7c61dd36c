import Foundation
import Synchronization
public import Logging
public import PostgresNIO
public import RemoraBus
public import RemoraModel
public import RemoraStore

/// What a stage decided for a run of consecutive messages of one partition.
public struct StepResult: Sendable {
    /// How many of the messages were consumed (a prefix). A stage that must wait for an upstream
    /// watermark before deciding returns fewer; the rest is read again later from the database.
    public var consumed: Int
    /// Rows to append to output streams, in the same transaction as the cursor.
    public var records: [StreamRecord]
    /// Output watermarks to advance, per stream.
    public var watermarks: [StreamName: (partitions: [Int], time: EventTime)]
    /// False when the output watermark lags the upstream one for a reason outside this stream
    /// (the gate waits for the resolver): the consumer then offers the watermark again on each poll.
    public var watermarkCaughtUp: Bool

    public init(
        consumed: Int, records: [StreamRecord] = [], watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:],
        watermarkCaughtUp: Bool = true
    ) {
        self.consumed = consumed
        self.records = records
        self.watermarks = watermarks
        self.watermarkCaughtUp = watermarkCaughtUp
    }
}

/// A stage's decision step over one partition's messages, run inside the consumer's transaction.
/// `upstreamWatermark` is known only on the database path (nil for live bus batches).
public typealias StepHandler<Payload> = @Sendable (
    _ messages: [(StoredMessage, Payload)], _ partition: Int, _ upstreamWatermark: EventTime?,
    _ connection: PostgresConnection
) async throws -> StepResult

/// The ZeroMQ guide's "clone" pattern with PostgreSQL as the snapshot: subscribe live, catch up
/// from the stream table, then apply live messages whose seq is exactly cursor + 1. A gap, a
/// restart or a quiet period sends it back to the table. Outputs and the cursor commit in one
/// transaction and are published after the commit, so nothing is lost and nothing doubles.
public struct DurableConsumer<Payload: Decodable & Sendable>: Sendable {
    public let name: String
    public let stream: StreamName
    public let partitions: [Int]
    public let environment: StageEnvironment
    public let pollInterval: Duration
    public let batchLimit: Int
    let handler: StepHandler<Payload>
    let prepare: (@Sendable ([Payload], PostgresConnection) async throws -> Void)?
    let prefetch: (@Sendable ([(StoredMessage, Payload)]) async throws -> Void)?

    /// - Parameter prepare: runs once per transaction with every payload of the step, before any
    ///   handler call: the place to take locks in one global order (the resolver's market locks),
    ///   or to read for every partition at once (see `StepReads`).
    /// - Parameter prefetch: runs once per step with every message of the step before its
    ///   transaction opens: the place for network reads (market data) that must hold neither a
    ///   database session nor a lock while they wait. What it reads goes to the handler through a
    ///   `StepReads`. A failure fails the step, which is retried from the database.
    public init(
        name: String, stream: StreamName, payload: Payload.Type, partitions: [Int], environment: StageEnvironment,
        pollInterval: Duration = .milliseconds(200), batchLimit: Int = 2000,
        prefetch: (@Sendable ([(StoredMessage, Payload)]) async throws -> Void)? = nil,
        prepare: (@Sendable ([Payload], PostgresConnection) async throws -> Void)? = nil,
        handler: @escaping StepHandler<Payload>
    ) {
        self.prefetch = prefetch
        self.prepare = prepare
        self.name = name
        self.stream = stream
        self.partitions = partitions
        self.environment = environment
        self.pollInterval = pollInterval
        self.batchLimit = batchLimit
        self.handler = handler
    }

    /// Runs until graceful shutdown; the batch in hand is always finished and committed.
    public func run() async throws {
        let subscription = try BusSubscription(
            context: environment.zmq, endpoints: environment.bus, streams: [stream], partitions: partitions)
        defer { subscription.stop() }
        var start = RetryBackoff()
        var state = ConsumerState(cursors: [:])
        while true {
            do {
                state = ConsumerState(cursors: try await environment.store.transaction { connection in
                    try await Cursors.load(consumer: name, stream: stream, on: connection, logger: environment.logger)
                })
                try await poll(&state)
                break
            } catch {
                if Task.isCancelled || Task.isShuttingDownGracefully { return }
                environment.metrics.error("database")
                await start.failed("catch-up from the database", error: error, logger: environment.logger)
            }
        }
        environment.readiness.markReady()
        environment.logger.info("caught up", metadata: ["stream": "\(stream.rawValue)", "partitions": "\(partitions.count)"])
        var lastPoll = ContinuousClock.now
        var backoff = RetryBackoff()
        for await batch in subscription.batches.cancelOnGracefulShutdown() {
            do {
                try await applyLive(batch, &state)
                if ContinuousClock.now - lastPoll >= pollInterval {
                    try await poll(&state)
                    lastPoll = .now
                }
                backoff.succeeded("step", logger: environment.logger)
            } catch {
                environment.metrics.error("database")
                await backoff.failed("step (re-read from the database next)", error: error, logger: environment.logger)
            }
        }
    }

    /// One catch-up from the database to the heads, without the bus, then return (cron-style
    /// one-shot commands). Returns how many messages were consumed.
    public func drain() async throws -> Int {
        var state = ConsumerState(cursors: try await environment.store.transaction { connection in
            try await Cursors.load(consumer: name, stream: stream, on: connection, logger: environment.logger)
        })
        let before = state.cursors.values.reduce(0, +)
        try await poll(&state)
        return Int(state.cursors.values.reduce(0, +) - before)
    }

    struct ConsumerState {
        var cursors: [Int: Int64]
        var propagated: [Int: EventTime] = [:]
    }

    /// Live messages: apply runs that continue the cursor; anything else goes to the database path.
    private func applyLive(_ deliveries: [BusDelivery], _ state: inout ConsumerState) async throws {
        var runs: [Int: [StoredMessage]] = [:]
        var needsCatchUp = Set<Int>()
        for delivery in deliveries {
            switch delivery {
            case .message(let message):
                guard message.stream == stream, partitions.contains(message.partition) else { continue }
                let expected = (runs[message.partition]?.last?.seq ?? state.cursors[message.partition] ?? 0) + 1
                if message.seq < expected { continue }  // already applied
                if message.seq > expected || needsCatchUp.contains(message.partition) {
                    needsCatchUp.insert(message.partition)
                    continue
                }
                runs[message.partition, default: []].append(message)
            case .malformed(let topic, let raw, let reason):
                environment.metrics.deadLettered(count: 1)
                environment.logger.warning("malformed bus message", metadata: ["topic": "\(topic)", "reason": "\(reason)"])
                try await environment.store.transaction { connection in
                    try await DeadLetters.record(
                        service: environment.service, origin: "bus:\(topic)", reason: reason, raw: raw,
                        on: connection, logger: environment.logger)
                }
            }
        }
        // One transaction (one commit) for every partition in the batch.
        let batch = runs.keys.sorted().map { (partition: $0, messages: runs[$0]!, upstreamWatermark: EventTime?.none, live: true) }
        let outcomes = try await step(batch, &state)
        for (partition, run) in runs where (outcomes[partition]?.consumed ?? 0) < run.count {
            needsCatchUp.remove(partition)  // held: the poll will retry
        }
        if !needsCatchUp.isEmpty { try await catchUp(needsCatchUp.sorted(), &state) }
    }

    /// Catches up every partition whose head moved (rows or watermark), then replays the dead
    /// letters an operator asked for.
    private func poll(_ state: inout ConsumerState) async throws {
        try await catchUp(partitions, &state)
        try await replayDeadLetters()
    }

    /// `remora dead-letters replay` for this consumer: a stored message that did not decode is
    /// read again from its table and, if it decodes now (a payload change rolled back, a decoder
    /// fixed), goes through the stage's handler once — outputs appended as in any step (their uids
    /// make a repeat a no-op); the cursor, long past it, stays. One that still fails stays dead
    /// with its new reason; one the handler holds (it waits for a watermark) is tried at the next
    /// poll. A malformed bus copy has nothing to replay: the stored row was applied from the table.
    private func replayDeadLetters() async throws {
        let logger = environment.logger
        let prefix = "\(stream.rawValue)#"
        let (stored, replayed, failed) = try await environment.store.transaction { connection -> ([StoredMessage], Int, Int) in
            let letters = try await DeadLetters.claimReplays(
                service: environment.service, origins: [prefix, "bus:\(stream.rawValue)."], on: connection, logger: logger)
            guard !letters.isEmpty else { return ([], 0, 0) }
            var failed = 0
            var waiting: [Int: [(id: Int64, message: StoredMessage, payload: Payload)]] = [:]
            for letter in letters {
                let place = letter.origin.dropFirst(prefix.count).split(separator: ":")
                guard letter.origin.hasPrefix(prefix), place.count == 2, let partition = Int(place[0]), let seq = Int64(place[1]),
                    partitions.contains(partition)
                else {
                    if letter.origin.hasPrefix("bus:") {
                        try await DeadLetters.finishReplay(letter.id, failure: nil, on: connection, logger: logger)
                    }
                    continue  // another replica's partition: it replays it
                }
                let rows = try await StreamStore.read(stream, partition: partition, afterSeq: seq - 1, limit: 1, on: connection, logger: logger)
                guard let message = rows.first, message.seq == seq else {
                    failed += 1
                    try await DeadLetters.finishReplay(letter.id, failure: "replay: the stored row is gone", on: connection, logger: logger)
                    continue
                }
                do {
                    waiting[partition, default: []].append((letter.id, message, try message.decodePayload(as: Payload.self)))
                } catch {
                    failed += 1
                    try await DeadLetters.finishReplay(
                        letter.id, failure: "replay: payload does not decode as \(Payload.self): \(error)", on: connection, logger: logger)
                }
            }
            // Rare (an operator's replay): the prefetch runs inside this transaction.
            try await prefetch?(waiting.values.flatMap { $0.map { ($0.message, $0.payload) } })
            try await prepare?(waiting.values.flatMap { $0.map(\.payload) }, connection)
            var records: [StreamRecord] = []
            var replayed = 0
            for partition in waiting.keys.sorted() {
                let group = waiting[partition]!.sorted { $0.message.seq < $1.message.seq }
                let result = try await handler(group.map { ($0.message, $0.payload) }, partition, nil, connection)
                records += result.records
                for item in group.prefix(result.consumed) {
                    try await DeadLetters.finishReplay(item.id, failure: nil, on: connection, logger: logger)
                    replayed += 1
                }
            }
            let stored = try await StreamStore.append(records, producedAt: .wallClockNow, on: connection, logger: logger)
            return (stored, replayed, failed)
        }
        guard replayed + failed > 0 else { return }
        try environment.publisher.publish(stored)
        logger.notice(
            "dead letters replayed",
            metadata: ["stream": "\(stream.rawValue)", "replayed": "\(replayed)", "still_failing": "\(failed)", "out": "\(stored.count)"])
    }

    /// Database path: reads the given partitions after their cursors, in one snapshot, and steps
    /// every partition that has rows or a new watermark in one transaction, until each is at its
    /// head (or held).
    private func catchUp(_ wanted: [Int], _ state: inout ConsumerState) async throws {
        var pending = wanted
        while !pending.isEmpty {
            let after = pending.map { ($0, state.cursors[$0] ?? 0) }
            let snapshot = try await environment.store.tracked {
                try await StreamStore.snapshot(stream, after: after, limit: batchLimit, on: environment.store.client, logger: environment.logger)
            }
            var runs: [Run] = []
            for partition in pending {
                guard let part = snapshot[partition] else { continue }
                let newWatermark = part.watermark > (state.propagated[partition] ?? EventTime(millis: Int64.min))
                guard !part.rows.isEmpty || newWatermark else { continue }
                // A full page offers no watermark: rows beyond it may be older than the watermark.
                let complete = part.rows.count < batchLimit
                runs.append((partition, part.rows, complete ? part.watermark : nil, false))
            }
            let outcomes = try await step(runs, &state)
            pending = []
            for run in runs {
                let outcome = outcomes[run.partition] ?? (0, true)
                let complete = run.messages.count < batchLimit
                if complete, let watermark = run.upstreamWatermark, outcome.consumed == run.messages.count, outcome.caughtUp {
                    state.propagated[run.partition] = watermark
                }
                if !complete && outcome.consumed == run.messages.count { pending.append(run.partition) }
            }
        }
    }

    typealias Run = (partition: Int, messages: [StoredMessage], upstreamWatermark: EventTime?, live: Bool)

    /// One transaction for one or more partitions: decode, decide, dead-letter what does not
    /// decode, then one call that fences and saves the cursors and appends the outputs; then publish.
    /// Returns, per partition, how many messages were consumed and whether the output watermark
    /// caught up with the upstream one.
    private func step(_ runs: [Run], _ state: inout ConsumerState) async throws -> [Int: (consumed: Int, caughtUp: Bool)] {
        let runs = runs.filter { !$0.messages.isEmpty || $0.upstreamWatermark != nil }.sorted { $0.partition < $1.partition }
        guard !runs.isEmpty else { return [:] }
        let started = ContinuousClock.now
        let logger = environment.logger
        // The step starts from the cursors in memory; the commit call checks them against the stored
        // ones under lock (the fence) and aborts everything if another commit moved them.
        let startCursors = state.cursors
        let outcomes: [Int: (consumed: Int, caughtUp: Bool, lastSeq: Int64)]
        let stored: [StoredMessage]
        do {
            let (work, skipped) = decode(runs, cursors: startCursors)
            try await prefetch?(work.flatMap(\.decoded))
            (outcomes, stored) = try await environment.store.transaction { connection in
                try await decideAndCommit(work, skipped: skipped, on: connection)
            }
        } catch let error as PSQLError where error.serverInfo?[.sqlState] == Self.fenceSQLState {
            // Another commit (a second owner, or ours whose acknowledgement was lost) moved a cursor:
            // nothing of this step was stored. Trust the stored cursors; the database path re-reads.
            logger.notice("cursor moved under this step; re-reading", metadata: ["stream": "\(stream.rawValue)"])
            let reloaded = try await environment.store.transaction { connection in
                try await Cursors.load(consumer: name, stream: stream, on: connection, logger: logger)
            }
            for partition in partitions { state.cursors[partition] = reloaded[partition] }
            return [:]
        }
        var consumedTotal = 0
        for (partition, outcome) in outcomes {
            state.cursors[partition] = outcome.lastSeq
            consumedTotal += outcome.consumed
        }
        try environment.publisher.publish(stored)
        environment.metrics.received(stream, count: consumedTotal)
        for (outStream, group) in Dictionary(grouping: stored, by: \.stream) {
            environment.metrics.published(outStream, count: group.count)
        }
        environment.metrics.processed(batchOf: consumedTotal, duration: .now - started)
        if consumedTotal > 0 {
            logger.debug(
                "step", metadata: ["stream": "\(stream.rawValue)", "partitions": "\(outcomes.count)",
                                   "in": "\(consumedTotal)", "out": "\(stored.count)"])
        }
        return outcomes.mapValues { ($0.consumed, $0.caughtUp) }
    }
}

extension DurableConsumer {
    /// SQLSTATE raised by `remora_commit_step` when a cursor is no longer where the step started.
    static var fenceSQLState: String { "RM001" }

    /// One partition's part of a step: `run` holds the messages after the cursor (cut at an
    /// undecodable live copy), `delivered` the messages as they came.
    typealias Work = (
        run: Run, delivered: [StoredMessage], decoded: [(StoredMessage, Payload)], failures: [(StoredMessage, String)],
        cursor: Int64, cut: Bool
    )
    typealias Outcome = (consumed: Int, caughtUp: Bool, lastSeq: Int64)

    /// Decodes each run's messages after the step's starting cursor. A run that does not start at
    /// the cursor's next row is skipped (re-read from the database).
    func decode(_ runs: [Run], cursors: [Int: Int64]) -> (work: [Work], skipped: [Int: Outcome]) {
        var skipped: [Int: Outcome] = [:]
        var work: [Work] = []
        for run in runs {
            let cursor = cursors[run.partition] ?? 0
            var fresh = run.messages.filter { $0.seq > cursor }
            if let first = fresh.first, first.seq != cursor + 1 {
                skipped[run.partition] = (0, true, cursor)
                continue
            }
            var decoded: [(StoredMessage, Payload)] = []
            var failures: [(StoredMessage, String)] = []
            var cut = false
            for (index, message) in fresh.enumerated() {
                do { decoded.append((message, try message.decodePayload(as: Payload.self))) } catch {
                    if run.live {
                        // Judge the stored row, not the bus copy: the database path will read it.
                        fresh = Array(fresh.prefix(index))
                        cut = true
                        break
                    }
                    failures.append((message, "\(error)"))
                }
            }
            work.append(((run.partition, fresh, run.upstreamWatermark, run.live), run.messages, decoded, failures, cursor, cut))
        }
        return (work, skipped)
    }

    /// The body of a step: the handler's decisions, then one `remora_commit_step` call (migration
    /// 0004) that fences and moves the cursors and appends the outputs.
    func decideAndCommit(
        _ work: [Work], skipped: [Int: Outcome], on connection: PostgresConnection
    ) async throws -> ([Int: Outcome], [StoredMessage]) {
        let logger = environment.logger
        var outcomes = skipped
        try await prepare?(work.flatMap { $0.decoded.map(\.1) }, connection)
        var records: [StreamRecord] = []
        var watermarks: [StreamName: [Int: EventTime]] = [:]
        var moves: [(partition: Int, expected: Int64, seq: Int64, watermark: Int64)] = []
        for (run, delivered, decoded, failures, cursor, cut) in work {
            let (partition, messages, upstreamWatermark, _) = run
            // A run cut short at an undecodable live copy offers no watermark.
            let offered = cut ? nil : upstreamWatermark
            let result = try await handler(decoded, partition, offered, connection)
            // Everything before the first message the handler held back is consumed (undecodable ones too).
            var lastSeq = messages.last?.seq ?? cursor
            if result.consumed < decoded.count { lastSeq = max(cursor, decoded[result.consumed].0.seq - 1) }
            for (message, reason) in failures where message.seq <= lastSeq {
                try await DeadLetters.record(
                    service: environment.service, origin: "\(stream.rawValue)#\(partition):\(message.seq)",
                    reason: "payload does not decode as \(Payload.self): \(reason)", raw: message.payload,
                    on: connection, logger: logger)
                logger.warning("dead-lettered", metadata: ["stream": "\(stream.rawValue)", "seq": "\(message.seq)"])
            }
            let fullyConsumed = result.consumed == decoded.count
            // Every partition of the step is fenced, even one whose cursor does not move.
            moves.append((partition, cursor, lastSeq, (fullyConsumed ? offered : nil)?.millis ?? Int64.min))
            records += result.records
            for (outStream, mark) in result.watermarks {
                for p in mark.partitions { watermarks[outStream, default: [:]][p] = mark.time }
            }
            // Counted against the run as delivered (rows at or below the starting cursor included).
            outcomes[partition] = (delivered.filter { $0.seq <= lastSeq }.count, result.watermarkCaughtUp, lastSeq)
        }
        guard !moves.isEmpty else { return (outcomes, []) }
        let batch = StreamStore.AppendBatch(records, watermarks: watermarks, producedAt: .wallClockNow)
        let rows = try await connection.query(
            """
            SELECT * FROM remora_commit_step(\(name), \(stream.rawValue), \(moves.map(\.partition))::int[],
                \(moves.map(\.expected)), \(moves.map(\.seq)), \(moves.map(\.watermark)),
                \(batch.streams), \(batch.partitions)::int[], \(batch.uids), \(batch.keys), \(batch.eventTimes),
                \(batch.payloads), \(batch.producedAt), \(batch.markStreams), \(batch.markPartitions)::int[],
                \(batch.markTimes))
            """, logger: logger)
        return (outcomes, try await batch.stored(from: rows))
    }
}

extension EventTime {
    /// The wall clock, for metadata only (`producedAt`, lag metrics) — never for a decision.
    public static var wallClockNow: EventTime {
        EventTime(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}

/// What a consumer's `prepare` read for a whole step, for the handler calls of the same step: one
/// query for every partition of the step instead of one per partition (a round trip each). A
/// consumer runs one step at a time and `prepare` runs at the start of every step, so one slot
/// is enough and a handler never sees another step's reads.
public final class StepReads<Value: Sendable>: Sendable {
    private let slot = Mutex<Value?>(nil)

    public init() {}

    public func store(_ value: Value) { slot.withLock { $0 = value } }

    /// Drops the last step's reads.
    public func clear() { slot.withLock { $0 = nil } }

    /// This step's reads in place of the last step's, which are dropped before `read` runs: a
    /// step's reads can be large (the scorer's ledgers and fills), and the two are never needed at once.
    public func replace(with read: () async throws -> Value) async rethrows {
        clear()
        store(try await read())
    }

    /// The reads of the current step (set by `prepare`, which always runs before the handlers).
    public var current: Value {
        get throws {
            guard let value = slot.withLock({ $0 }) else { throw StepReadsMissing() }
            return value
        }
    }

    struct StepReadsMissing: Error, CustomStringConvertible {
        var description: String { "a handler ran before its step's prepare" }
    }
}
