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
