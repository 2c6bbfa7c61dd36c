import Logging
public import PostgresNIO
public import RemoraModel

/// Stream tables: append (inside the writer's transaction), read, heads and watermarks.
public enum StreamStore {
    /// The table behind a stream (same mapping as `remora_stream_table()` in SQL).
    public static func table(_ stream: StreamName) -> String {
        switch stream {
        case .trade: "trades"
        case .marketResolved: "market_resolutions"
        case .tradeSettled: "trade_settlements"
        case .whaleScore: "whale_scores"
        case .signal: "signals"
        case .orderProposed: "orders"
        case .orderDecided: "order_decisions"
        case .alert: "alerts"
        }
    }

    /// Appends records and advances watermarks, in the caller's transaction. Head rows are locked
    /// in one global order (stream name, then partition), so concurrent writers cannot deadlock,
    /// and a partition's writers are serialised, so seq order is commit order. Records whose uid is
    /// already stored are skipped (idempotent effects). Returns what was stored, with its seq.
    public static func append(
        _ records: [StreamRecord], watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:],
        producedAt: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredMessage] {
        try await append(
            records,
            partitionWatermarks: watermarks.mapValues { mark in Dictionary(uniqueKeysWithValues: mark.partitions.map { ($0, mark.time) }) },
            producedAt: producedAt, on: connection, logger: logger)
    }

    /// The same, with a watermark per partition.
    public static func append(
        _ records: [StreamRecord], partitionWatermarks watermarks: [StreamName: [Int: EventTime]],
        producedAt: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredMessage] {
        if let settled = SettledColumns(records) {
            // Settlements as typed columns (migration 0017), the other records as usual.
            let others = AppendBatch(
                records.filter { $0.stream != .tradeSettled }, watermarks: watermarks, producedAt: producedAt)
            var query = PostgresQuery(unsafeSQL: """
                SELECT * FROM remora_append($1, $2::int[], $3, $4, $5, $6, $7, $8, $9::int[], $10,
                    $11::int[], $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26)
                """)
            query.binds.append(others.streams)
            query.binds.append(others.partitions)
            query.binds.append(others.uids)
            query.binds.append(others.keys)
            query.binds.append(others.eventTimes)
            query.binds.append(others.payloads)
            query.binds.append(others.producedAt)
            query.binds.append(others.markStreams)
            query.binds.append(others.markPartitions)
            query.binds.append(others.markTimes)
            settled.bind(to: &query.binds)
            let rows = try await connection.query(query, logger: logger)
            return try await AppendBatch.stored(from: rows, records: records, producedAt: producedAt.millis)
        }
        let batch = AppendBatch(records, watermarks: watermarks, producedAt: producedAt)
        guard !batch.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            SELECT * FROM remora_append(\(batch.streams), \(batch.partitions)::int[], \(batch.uids), \(batch.keys),
                \(batch.eventTimes), \(batch.payloads), \(batch.producedAt), \(batch.markStreams),
                \(batch.markPartitions)::int[], \(batch.markTimes))
            """, logger: logger)
        return try await batch.stored(from: rows)
    }

    /// The `trade.settled` records of an append as the columns of `trade_settlement_rows`, in
    /// record order; nil when there are none or one of them does not carry its settlement.
    struct SettledColumns {
        var partitions: [Int] = [], uids: [String] = [], keys: [String] = [], eventTimes: [Int64] = []
        var conditionIds: [String] = [], categories: [String] = [], sides: [String] = [], results: [String] = []
        var sizes: [Int64] = [], prices: [Int64] = [], payouts: [Int64] = [], costs: [Int64] = [], fees: [Int64] = []
        var pnls: [Int64] = [], tradeTimes: [Int64] = []
        /// '' for a role not known (the column's NULL).
        var roles: [String] = []

        init?(_ records: [StreamRecord]) {
            var count = 0
            for record in records where record.stream == .tradeSettled {
                guard record.settlement != nil else { return nil }
                count += 1
            }
            guard count > 0 else { return nil }
            partitions.reserveCapacity(count); uids.reserveCapacity(count); keys.reserveCapacity(count)
            eventTimes.reserveCapacity(count); conditionIds.reserveCapacity(count); categories.reserveCapacity(count)
            sides.reserveCapacity(count); results.reserveCapacity(count); sizes.reserveCapacity(count)
            prices.reserveCapacity(count); payouts.reserveCapacity(count); costs.reserveCapacity(count)
            fees.reserveCapacity(count); pnls.reserveCapacity(count); tradeTimes.reserveCapacity(count)
            roles.reserveCapacity(count)
            for record in records where record.stream == .tradeSettled {
                guard let s = record.settlement else { return nil }
                partitions.append(record.partition)
                uids.append(record.uid)
                keys.append(record.key)
                eventTimes.append(record.eventTime.millis)
                conditionIds.append(s.conditionId.rawValue)
                categories.append(s.category)
                sides.append(s.side.rawValue)
                results.append(s.result.rawValue)
                sizes.append(s.size.micros)
                prices.append(s.price.micros)
                payouts.append(s.payout.micros)
                costs.append(s.cost.micros)
                fees.append(s.fee.micros)
                pnls.append(s.realizedPnl.micros)
                tradeTimes.append(s.tradeTime.millis)
                roles.append(s.role == .unknown ? "" : s.role.rawValue)
            }
            if uids.isEmpty { return nil }
        }

        func bind(to binds: inout PostgresBindings) {
            binds.append(partitions)
            binds.append(uids)
            binds.append(keys)
            binds.append(eventTimes)
            binds.append(conditionIds)
            binds.append(categories)
            binds.append(sides)
            binds.append(results)
            binds.append(sizes)
            binds.append(prices)
            binds.append(payouts)
            binds.append(costs)
            binds.append(fees)
            binds.append(pnls)
            binds.append(tradeTimes)
            binds.append(roles)
        }
    }

    /// An append as the arrays `remora_append` (migration 0004) takes: one round trip whatever the
    /// number of rows, partitions and streams.
    public struct AppendBatch: Sendable {
        let records: [StreamRecord]
        public let streams: [String]
        public let partitions: [Int]
        public let uids: [String]
        public let keys: [String]
        public let eventTimes: [Int64]
        public let payloads: [String]
        public let producedAt: Int64
        public let markStreams: [String]
        public let markPartitions: [Int]
        public let markTimes: [Int64]

        public init(_ records: [StreamRecord], watermarks: [StreamName: [Int: EventTime]], producedAt: EventTime) {
            self.records = records
            streams = records.map(\.stream.rawValue)
            partitions = records.map(\.partition)
            uids = records.map(\.uid)
            keys = records.map(\.key)
            eventTimes = records.map(\.eventTime.millis)
            payloads = records.map(\.payload)
            self.producedAt = producedAt.millis
            let marks = watermarks.flatMap { stream, byPartition in byPartition.map { (stream.rawValue, $0.key, $0.value.millis) } }
            markStreams = marks.map(\.0)
            markPartitions = marks.map(\.1)
            markTimes = marks.map(\.2)
        }

        public var isEmpty: Bool { records.isEmpty && markStreams.isEmpty }

        /// The stored rows (`stored_stream, stored_partition, stored_seq, stored_uid`), completed from
        /// the records and sorted by stream, partition and seq.
        ///
        /// A partition's stored rows, in seq order, are its records in input order less those skipped
        /// (uid stored already, or repeated: the first one is stored), so each row is matched by walking
        /// the partition's records forward to the next one with its uid: no hashing of uids.
        public func stored(from rows: PostgresRowSequence) async throws -> [StoredMessage] {
            try await Self.stored(from: rows, records: records, producedAt: producedAt)
        }

        static func stored(from rows: PostgresRowSequence, records: [StreamRecord], producedAt: Int64) async throws
            -> [StoredMessage]
        {
            var returned: [(stream: StreamName, partition: Int, seq: Int64, uid: String)] = []
            for try await (streamName, partition, seq, uid) in rows.decode((String, Int, Int64, String).self) {
                guard let stream = StreamName(rawValue: streamName) else { continue }
                returned.append((stream, partition, seq, uid))
            }
            returned.sort { ($0.stream.rawValue, $0.partition, $0.seq) < ($1.stream.rawValue, $1.partition, $1.seq) }
            // Each (stream, partition)'s records, in input order, and how far the walk has gone.
            struct Lane { var indices: [Int] = []; var next = 0 }
            var lanes: [StreamName: [Int: Lane]] = [:]
            for (index, record) in records.enumerated() { lanes[record.stream, default: [:]][record.partition, default: Lane()].indices.append(index) }
            var stored: [StoredMessage] = []
            stored.reserveCapacity(returned.count)
            var lost: [(stream: StreamName, partition: Int, seq: Int64, uid: String)] = []
            for row in returned {
                var lane = lanes[row.stream]?[row.partition] ?? Lane()
                var found: StreamRecord?
                while lane.next < lane.indices.count {
                    let record = records[lane.indices[lane.next]]
                    lane.next += 1
                    if record.uid == row.uid { found = record; break }
                }
                lanes[row.stream]?[row.partition] = lane
                guard let record = found else { lost.append(row); continue }
                stored.append(
                    StoredMessage(
                        stream: row.stream, partition: row.partition, seq: row.seq, uid: row.uid, key: record.key,
                        eventTime: record.eventTime, producedAt: EventTime(millis: producedAt), payload: record.payload))
            }
            guard !lost.isEmpty else { return stored }
            // Not in the expected order (never seen): matched by uid instead.
            var byUID: [StreamName: [String: StreamRecord]] = [:]
            for record in records where byUID[record.stream]?[record.uid] == nil { byUID[record.stream, default: [:]][record.uid] = record }
            for row in lost {
                guard let record = byUID[row.stream]?[row.uid] else { continue }
                stored.append(
                    StoredMessage(
                        stream: row.stream, partition: row.partition, seq: row.seq, uid: row.uid, key: record.key,
                        eventTime: record.eventTime, producedAt: EventTime(millis: producedAt), payload: record.payload))
            }
            return stored.sorted { ($0.stream.rawValue, $0.partition, $0.seq) < ($1.stream.rawValue, $1.partition, $1.seq) }
        }
    }

    /// Rows of one partition after `afterSeq`, in seq order.
    public static func read(
        _ stream: StreamName, partition: Int, afterSeq: Int64, limit: Int, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [StoredMessage] {
        let rows = try await connection.query(
            """
            SELECT seq, uid, key, event_time, produced_at, payload::text FROM \(unescaped: table(stream))
            WHERE partition = \(partition) AND seq > \(afterSeq) ORDER BY seq LIMIT \(limit)
            """, logger: logger)
        var messages: [StoredMessage] = []
        for try await (seq, uid, key, eventTime, producedAt, payload) in rows.decode(
            (Int64, String, String, Int64, Int64, String).self)
        {
            messages.append(
                StoredMessage(
                    stream: stream, partition: partition, seq: seq, uid: uid, key: key,
                    eventTime: EventTime(millis: eventTime), producedAt: EventTime(millis: producedAt),
                    payload: payload))
        }
        return messages
    }

    /// What `snapshot` returns for one partition.
    public struct PartitionSnapshot: Sendable {
        public var head: Int64
        public var watermark: EventTime
        public var rows: [StoredMessage]
    }

    /// Several partitions in one statement, so in one snapshot: each one's head (seq and watermark)
    /// and up to `limit` rows after the given seq. The watermark vouches for rows that are all
    /// visible in the same snapshot. One round trip, no transaction needed.
    ///
    /// On a leased connection, its rows read inside the lease: the pool-level `PostgresClient.query`
    /// (postgres-nio 1.33.2) crashed twice in a row on its row-stream state machine ("How can we
    /// receive a body part, after a channelReadComplete, but no read has been forwarded yet") on the
    /// first large catch-up after PostgreSQL was down for 30 s.
    public static func snapshot(
        _ stream: StreamName, after cursors: [(partition: Int, seq: Int64)], limit: Int, on client: PostgresClient,
        logger: Logger
    ) async throws -> [Int: PartitionSnapshot] {
        guard !cursors.isEmpty else { return [:] }
        return try await client.withConnection { connection in
            try await snapshot(stream, after: cursors, limit: limit, on: connection, logger: logger)
        }
    }

    /// The same on a connection the caller holds.
    public static func snapshot(
        _ stream: StreamName, after cursors: [(partition: Int, seq: Int64)], limit: Int, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [Int: PartitionSnapshot] {
        guard !cursors.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT c.p, h.seq, h.watermark, r.seq, r.uid, r.key, r.event_time, r.produced_at, r.payload
            FROM unnest(\(cursors.map(\.partition))::int[], \(cursors.map(\.seq))::bigint[]) AS c(p, after)
            JOIN stream_heads h ON h.stream = \(stream.rawValue) AND h.partition = c.p
            LEFT JOIN LATERAL (
                SELECT t.seq, t.uid, t.key, t.event_time, t.produced_at, t.payload::text AS payload
                FROM \(unescaped: table(stream)) t WHERE t.partition = c.p AND t.seq > c.after ORDER BY t.seq LIMIT \(limit)
            ) AS r ON true
            ORDER BY c.p, r.seq
            """, logger: logger)
        var result: [Int: PartitionSnapshot] = [:]
        for try await (partition, head, watermark, seq, uid, key, eventTime, producedAt, payload) in rows.decode(
            (Int, Int64, Int64, Int64?, String?, String?, Int64?, Int64?, String?).self)
        {
            var entry = result[partition] ?? PartitionSnapshot(head: head, watermark: EventTime(millis: watermark), rows: [])
            if let seq, let uid, let key, let eventTime, let producedAt, let payload {
                entry.rows.append(
                    StoredMessage(
                        stream: stream, partition: partition, seq: seq, uid: uid, key: key,
                        eventTime: EventTime(millis: eventTime), producedAt: EventTime(millis: producedAt), payload: payload))
            }
            result[partition] = entry
        }
        return result
    }

    /// The head seq and watermark of each partition of a stream.
    public static func heads(
        _ stream: StreamName, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: (seq: Int64, watermark: EventTime)] {
        var heads: [Int: (Int64, EventTime)] = [:]
        let rows = try await connection.query(
            "SELECT partition, seq, watermark FROM stream_heads WHERE stream = \(stream.rawValue)", logger: logger)
        for try await (partition, seq, watermark) in rows.decode((Int, Int64, Int64).self) {
            heads[partition] = (seq, EventTime(millis: watermark))
        }
        return heads
    }
}
