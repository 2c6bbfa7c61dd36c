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
        var byStream: [StreamName: [Int: [StreamRecord]]] = [:]
        for record in records { byStream[record.stream, default: [:]][record.partition, default: []].append(record) }
        let streams = Set(byStream.keys).union(watermarks.keys).sorted { $0.rawValue < $1.rawValue }
        var stored: [StoredMessage] = []
        for stream in streams {
            let partitions = byStream[stream] ?? [:]
            let touched = Set(partitions.keys).union(watermarks[stream]?.keys ?? [:].keys).sorted()
            var heads: [Int: Int64] = [:]
            let rows = try await connection.query(
                """
                SELECT partition, seq FROM stream_heads WHERE stream = \(stream.rawValue) AND partition = ANY(\(touched))
                ORDER BY partition FOR UPDATE
                """, logger: logger)
            for try await (partition, seq) in rows.decode((Int, Int64).self) { heads[partition] = seq }
            for partition in partitions.keys.sorted() {
                var seen = Set<String>()
                let batch = partitions[partition]!.filter { seen.insert($0.uid).inserted }
                let head = heads[partition] ?? 0
                let inserted = try await insert(
                    batch, stream: stream, partition: partition, head: head, producedAt: producedAt,
                    on: connection, logger: logger)
                if let last = inserted.last {
                    try await connection.run(
                        """
                        UPDATE stream_heads SET seq = \(last.seq)
                        WHERE stream = \(stream.rawValue) AND partition = \(partition)
                        """, logger: logger)
                }
                stored += inserted
            }
            if let marks = watermarks[stream], !marks.isEmpty {
                let ordered = marks.sorted { $0.key < $1.key }
                try await connection.run(
                    """
                    UPDATE stream_heads h SET watermark = GREATEST(h.watermark, w.t)
                    FROM unnest(\(ordered.map(\.key))::int[], \(ordered.map(\.value.millis))::bigint[]) AS w(p, t)
                    WHERE h.stream = \(stream.rawValue) AND h.partition = w.p
                    """, logger: logger)
            }
        }
        return stored
    }

    private static func insert(
        _ batch: [StreamRecord], stream: StreamName, partition: Int, head: Int64, producedAt: EventTime,
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [StoredMessage] {
        let table = table(stream)
        let uids = batch.map(\.uid)
        let keys = batch.map(\.key)
        let times = batch.map(\.eventTime.millis)
        let payloads = batch.map(\.payload)
        let rows = try await connection.query(
            """
            WITH input AS (
                SELECT * FROM unnest(\(uids)::text[], \(keys)::text[], \(times)::bigint[], \(payloads)::text[])
                    WITH ORDINALITY AS u(uid, key, event_time, payload, ord)
            ), fresh AS (
                SELECT input.*, row_number() OVER (ORDER BY ord) AS n FROM input
                WHERE NOT EXISTS (SELECT 1 FROM \(unescaped: table) existing WHERE existing.uid = input.uid)
            )
            INSERT INTO \(unescaped: table) (partition, seq, uid, key, event_time, produced_at, payload)
            SELECT \(partition), \(head) + n, uid, key, event_time, \(producedAt.millis), payload::jsonb FROM fresh
            ORDER BY n
            RETURNING seq, uid
            """, logger: logger)
        let byUID = Dictionary(batch.map { ($0.uid, $0) }, uniquingKeysWith: { first, _ in first })
        var stored: [StoredMessage] = []
        for try await (seq, uid) in rows.decode((Int64, String).self) {
            let record = byUID[uid]!
            stored.append(
                StoredMessage(
                    stream: stream, partition: partition, seq: seq, uid: uid, key: record.key,
                    eventTime: record.eventTime, producedAt: producedAt, payload: record.payload))
        }
        return stored.sorted { $0.seq < $1.seq }
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
