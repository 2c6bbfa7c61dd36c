import Logging
public import PostgresNIO
public import RemoraModel

/// Consumer and source positions. They are written in the same transaction as the outputs they
/// produced, which is what makes a restart neither lose nor repeat an effect.
public enum Cursors {
    public static func load(
        consumer: String, stream: StreamName, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: Int64] {
        var cursors: [Int: Int64] = [:]
        let rows = try await connection.query(
            """
            SELECT partition, seq FROM consumer_cursors WHERE consumer = \(consumer) AND stream = \(stream.rawValue)
            """, logger: logger)
        for try await (partition, seq) in rows.decode((Int, Int64).self) { cursors[partition] = seq }
        return cursors
    }

    public static func save(
        consumer: String, stream: StreamName, partition: Int, seq: Int64, watermark: EventTime? = nil,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let mark = watermark?.millis ?? Int64.min
        try await connection.run(
            """
            INSERT INTO consumer_cursors (consumer, stream, partition, seq, watermark)
            VALUES (\(consumer), \(stream.rawValue), \(partition), \(seq), \(mark))
            ON CONFLICT (consumer, stream, partition) DO UPDATE SET seq = GREATEST(consumer_cursors.seq, EXCLUDED.seq),
                watermark = GREATEST(consumer_cursors.watermark, EXCLUDED.watermark)
            """, logger: logger)
    }

    /// A source position (line offset in a file, an API cursor) and the event time it vouches for.
    public static func loadSource(
        _ source: String, on connection: PostgresConnection, logger: Logger
    ) async throws -> (position: Int64, watermark: EventTime) {
        let rows = try await connection.query(
            "SELECT position, watermark FROM source_cursors WHERE source = \(source)", logger: logger)
        for try await (position, watermark) in rows.decode((Int64, Int64).self) {
            return (position, EventTime(millis: watermark))
        }
        return (0, EventTime(millis: Int64.min))
    }

    public static func saveSource(
        _ source: String, position: Int64, watermark: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO source_cursors (source, position, watermark) VALUES (\(source), \(position), \(watermark.millis))
            ON CONFLICT (source) DO UPDATE SET position = GREATEST(source_cursors.position, EXCLUDED.position),
                watermark = GREATEST(source_cursors.watermark, EXCLUDED.watermark)
            """, logger: logger)
    }
}

/// Bad input is kept with its reason; nothing is dropped silently.
public enum DeadLetters {
    public static func record(
        service: String, origin: String, reason: String, raw: String, context: [String: String] = [:],
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        let contextJSON = String(decoding: try JSONCoding.encoder.encode(context), as: UTF8.self)
        // The same text from the same place, still dead, is kept once (a page read again).
        try await connection.run(
            """
            INSERT INTO dead_letters (service, origin, reason, raw, context)
            SELECT \(service), \(origin), \(reason), \(raw), \(contextJSON)::jsonb
            WHERE NOT EXISTS (
                SELECT 1 FROM dead_letters d WHERE d.status = 'dead' AND d.service = \(service) AND d.origin = \(origin)
                    AND md5(d.raw) = md5(\(raw)) AND d.raw = \(raw))
            """, logger: logger)
    }
}

/// A dead letter as operators list it, and as its service replays it.
public struct DeadLetter: Sendable, Equatable {
    public var id: Int64
    public var service: String
    public var origin: String
    public var reason: String
    public var raw: String
    public var status: String
    public var attempts: Int
    /// `created_at`, unix seconds.
    public var createdAt: Int64
}

extension DeadLetters {
    /// Dead letters, newest first, optionally of one service and status, created at or after `since`.
    public static func list(
        service: String?, status: String?, since: Int64?, limit: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> [DeadLetter] {
        let rows = try await connection.query(
            """
            SELECT id, service, origin, reason, raw, status, attempts, extract(epoch FROM created_at)::bigint FROM dead_letters
            WHERE (\(service ?? "")::text = '' OR service = \(service ?? ""))
              AND (\(status ?? "")::text = '' OR status = \(status ?? ""))
              AND created_at >= to_timestamp(\(since ?? 0))
            ORDER BY id DESC LIMIT \(limit)
            """, logger: logger)
        return try await letters(from: rows)
    }

    /// Rows of `SELECT id, service, origin, reason, raw, status, attempts, created (unix s)`.
    private static func letters(from rows: PostgresRowSequence) async throws -> [DeadLetter] {
        var letters: [DeadLetter] = []
        for try await (id, service, origin, reason, raw, status, attempts, created) in rows.decode(
            (Int64, String, String, String, String, String, Int, Int64).self)
        {
            letters.append(DeadLetter(
                id: id, service: service, origin: origin, reason: reason, raw: raw, status: status, attempts: attempts,
                createdAt: created))
        }
        return letters
    }

    /// Asks for dead letters to be replayed (`ids` empty: every dead one matching the filters);
    /// returns the ids now waiting for their service.
    public static func requestReplay(
        ids: [Int64], service: String?, since: Int64?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int64] {
        let rows = try await connection.query(
            """
            UPDATE dead_letters SET status = 'replay'
            WHERE status = 'dead' AND (cardinality(\(ids)::bigint[]) = 0 OR id = ANY(\(ids)::bigint[]))
              AND (\(service ?? "")::text = '' OR service = \(service ?? ""))
              AND created_at >= to_timestamp(\(since ?? 0))
            RETURNING id
            """, logger: logger)
        var ids: [Int64] = []
        for try await id in rows.decode(Int64.self) { ids.append(id) }
        return ids.sorted()
    }

    /// The service's letters waiting to be replayed whose origin starts with one of `origins`,
    /// locked for the caller's transaction (a second replica skips them).
    public static func claimReplays(
        service: String, origins: [String], limit: Int = 100, on connection: PostgresConnection, logger: Logger
    ) async throws -> [DeadLetter] {
        let rows = try await connection.query(
            """
            SELECT id, service, origin, reason, raw, status, attempts, extract(epoch FROM created_at)::bigint FROM dead_letters
            WHERE status = 'replay' AND service = \(service)
              AND EXISTS (SELECT 1 FROM unnest(\(origins)::text[]) AS o WHERE starts_with(origin, o))
            ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
            """, logger: logger)
        return try await letters(from: rows)
    }

    /// Ends a replay: `failure` nil, the row went through its normal path ('replayed'); else it
    /// stays dead with its new reason.
    public static func finishReplay(
        _ id: Int64, failure: String?, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            """
            UPDATE dead_letters SET attempts = attempts + 1, replayed_at = now(),
                status = CASE WHEN \(failure == nil) THEN 'replayed' ELSE 'dead' END,
                reason = coalesce(\(failure), reason)
            WHERE id = \(id)
            """, logger: logger)
    }
}

/// Numbering of identical fills across reads of a source (see `fill_occurrences`).
public enum FillOccurrences {
    /// For each base key, in order of appearance, the occurrence index of that appearance; the
    /// counts are stored in the caller's transaction.
    public static func assign(
        _ baseKeys: [String], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int] {
        guard !baseKeys.isEmpty else { return [] }
        let distinct = Array(Set(baseKeys)).sorted()
        var seen: [String: Int] = [:]
        let rows = try await connection.query(
            "SELECT base_key, seen FROM fill_occurrences WHERE base_key = ANY(\(distinct)) FOR UPDATE", logger: logger)
        for try await (key, count) in rows.decode((String, Int).self) { seen[key] = count }
        var result: [Int] = []
        result.reserveCapacity(baseKeys.count)
        for key in baseKeys {
            let next = seen[key, default: 0]
            result.append(next)
            seen[key] = next + 1
        }
        let counts = distinct.map { seen[$0]! }
        try await connection.run(
            """
            INSERT INTO fill_occurrences (base_key, seen)
            SELECT * FROM unnest(\(distinct)::text[], \(counts)::int[])
            ON CONFLICT (base_key) DO UPDATE SET seen = EXCLUDED.seen
            """, logger: logger)
        return result
    }
}
