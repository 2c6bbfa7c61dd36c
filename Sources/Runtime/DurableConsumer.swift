import Foundation
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

    /// - Parameter prepare: runs once per transaction with every payload of the step, before any
    ///   handler call: the place to take locks in one global order (the resolver's market locks).
    public init(
        name: String, stream: StreamName, payload: Payload.Type, partitions: [Int], environment: StageEnvironment,
        pollInterval: Duration = .milliseconds(200), batchLimit: Int = 2000,
        prepare: (@Sendable ([Payload], PostgresConnection) async throws -> Void)? = nil,
        handler: @escaping StepHandler<Payload>
    ) {
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
        var state = ConsumerState(cursors: try await environment.store.transaction { connection in
            try await Cursors.load(consumer: name, stream: stream, on: connection, logger: environment.logger)
        })
        try await poll(&state)
        environment.readiness.markReady()
        environment.logger.info("caught up", metadata: ["stream": "\(stream.rawValue)", "partitions": "\(partitions.count)"])
        var lastPoll = ContinuousClock.now
        for await batch in subscription.batches.cancelOnGracefulShutdown() {
            do {
                try await applyLive(batch, &state)
                if ContinuousClock.now - lastPoll >= pollInterval {
                    try await poll(&state)
                    lastPoll = .now
                }
            } catch {
                environment.metrics.error("database")
                environment.logger.error("step failed, retrying from the database", metadata: ["error": "\(describe(error))"])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
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
        for partition in needsCatchUp.sorted() { try await catchUp(partition, &state) }
    }

    /// Reads stream heads and catches up every partition that moved (rows or watermark).
    private func poll(_ state: inout ConsumerState) async throws {
        let heads = try await environment.store.transaction { connection in
            try await StreamStore.heads(stream, on: connection, logger: environment.logger)
        }
        for partition in partitions {
            guard let head = heads[partition] else { continue }
            let behind = head.seq > (state.cursors[partition] ?? 0)
            let newWatermark = head.watermark > (state.propagated[partition] ?? EventTime(millis: Int64.min))
            if behind || newWatermark { try await catchUp(partition, &state) }
        }
    }

    /// Database path for one partition: read after the cursor until the head (or a hold).
    private func catchUp(_ partition: Int, _ state: inout ConsumerState) async throws {
        while true {
            let (watermark, messages) = try await environment.store.transaction { connection in
                // Watermark first: every row it vouches for is committed at or below the head we read next.
                let head = try await StreamStore.heads(stream, on: connection, logger: environment.logger)[partition]
                let rows = try await StreamStore.read(
                    stream, partition: partition, afterSeq: state.cursors[partition] ?? 0, limit: batchLimit,
                    on: connection, logger: environment.logger)
                return (head?.watermark, rows)
            }
            let complete = messages.count < batchLimit
            let outcome = try await step(
                [(partition, messages, complete ? watermark : nil, false)], &state)[partition] ?? (0, true)
            let (consumed, caughtUp) = (outcome.consumed, outcome.caughtUp)
            if complete, let watermark, consumed == messages.count, caughtUp { state.propagated[partition] = watermark }
            if complete || consumed < messages.count { return }
        }
    }

    typealias Run = (partition: Int, messages: [StoredMessage], upstreamWatermark: EventTime?, live: Bool)

    /// One transaction for one or more partitions: fence, decode, decide, dead-letter what does not
    /// decode, save the cursors, append the outputs; then publish. Returns, per partition, how many
    /// messages were consumed and whether the output watermark caught up with the upstream one.
    private func step(_ runs: [Run], _ state: inout ConsumerState) async throws -> [Int: (consumed: Int, caughtUp: Bool)] {
        let runs = runs.filter { !$0.messages.isEmpty || $0.upstreamWatermark != nil }.sorted { $0.partition < $1.partition }
        guard !runs.isEmpty else { return [:] }
        let started = ContinuousClock.now
        let logger = environment.logger
        let (outcomes, stored) = try await environment.store.transaction { connection in
            // Fence: lock this consumer's cursor rows and trust what is stored, not memory. A second
            // owner of the partition, or a commit whose acknowledgement was lost, cannot apply twice.
            let fenced = try await lockCursors(runs.map(\.partition), on: connection)
            var outcomes: [Int: (consumed: Int, caughtUp: Bool, lastSeq: Int64)] = [:]
            var work: [(run: Run, decoded: [(StoredMessage, Payload)], failures: [(StoredMessage, String)], cursor: Int64, cut: Bool)] = []
            for run in runs {
                let cursor = fenced[run.partition] ?? 0
                var fresh = run.messages.filter { $0.seq > cursor }
                if let first = fresh.first, first.seq != cursor + 1 {
                    outcomes[run.partition] = (0, true, cursor)  // behind the stored cursor's next row: re-read
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
                work.append(((run.partition, fresh, run.upstreamWatermark, run.live), decoded, failures, cursor, cut))
            }
            try await prepare?(work.flatMap { $0.decoded.map(\.1) }, connection)
            var records: [StreamRecord] = []
            var watermarks: [StreamName: [Int: EventTime]] = [:]
            for (run, decoded, failures, cursor, cut) in work {
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
                if lastSeq > cursor || (fullyConsumed && offered != nil) {
                    try await Cursors.save(
                        consumer: name, stream: stream, partition: partition, seq: lastSeq,
                        watermark: fullyConsumed ? offered : nil, on: connection, logger: logger)
                }
                records += result.records
                for (outStream, mark) in result.watermarks {
                    for p in mark.partitions { watermarks[outStream, default: [:]][p] = mark.time }
                }
                let original = runs.first { $0.partition == partition }?.messages ?? []
                outcomes[partition] = (original.filter { $0.seq <= lastSeq }.count, result.watermarkCaughtUp, lastSeq)
            }
            let stored = try await StreamStore.append(
                records, partitionWatermarks: watermarks, producedAt: .wallClockNow, on: connection, logger: logger)
            return (outcomes, stored)
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
    /// Locks (creating when absent) this consumer's cursor rows, in partition order, and returns them.
    func lockCursors(_ partitions: [Int], on connection: PostgresConnection) async throws -> [Int: Int64] {
        let sorted = Array(Set(partitions)).sorted()
        let rows = try await connection.query(
            """
            INSERT INTO consumer_cursors (consumer, stream, partition)
            SELECT \(name), \(stream.rawValue), p FROM unnest(\(sorted)::int[]) AS p ORDER BY p
            ON CONFLICT (consumer, stream, partition) DO UPDATE SET seq = consumer_cursors.seq
            RETURNING partition, seq
            """, logger: environment.logger)
        var cursors: [Int: Int64] = [:]
        for try await (partition, seq) in rows.decode((Int, Int64).self) { cursors[partition] = seq }
        return cursors
    }
}

extension EventTime {
    /// The wall clock, for metadata only (`producedAt`, lag metrics) — never for a decision.
    public static var wallClockNow: EventTime {
        EventTime(millis: Int64((Date().timeIntervalSince1970 * 1000).rounded()))
    }
}
