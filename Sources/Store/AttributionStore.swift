import Foundation
public import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// The attributor's tables (`attribution_state`, `attribution_days`, migration 0027) and what it
/// reads to close a day. Only the attributor writes them.
public enum AttributionStore {
    /// The inputs of one day: our decisions and the resolutions in it, and the signals whose copy
    /// instant (trade time + `lagMillis`) falls in it.
    public struct DayInputs: Sendable {
        public var decisions: [OrderDecision] = []
        public var signals: [Signal] = []
        public var resolutions: [MarketResolution] = []
    }

    public static func state(on connection: PostgresConnection, logger: Logger) async throws -> AttributionState? {
        let rows = try await connection.query("SELECT payload::text FROM attribution_state", logger: logger)
        for try await text in rows.decode(String.self) {
            return try JSONCoding.decoder.decode(AttributionState.self, from: Data(text.utf8))
        }
        return nil
    }

    /// Stores the state and the days it closed (a day closed again replaces its row: idempotent).
    public static func save(
        _ state: AttributionState, days: [AttributionDay], on connection: PostgresConnection, logger: Logger
    ) async throws {
        for day in days {
            let payload = String(decoding: try JSONCoding.encoder.encode(day), as: UTF8.self)
            try await connection.query(
                """
                INSERT INTO attribution_days (day, nav_micros, benchmark_nav_micros, rejected_nav_micros, payload)
                VALUES (\(day.day), \(day.ours.navEnd.micros), \(day.benchmark.navEnd.micros), \(day.rejected.navEnd.micros),
                        \(payload)::jsonb)
                ON CONFLICT (day) DO UPDATE SET nav_micros = EXCLUDED.nav_micros,
                    benchmark_nav_micros = EXCLUDED.benchmark_nav_micros, rejected_nav_micros = EXCLUDED.rejected_nav_micros,
                    payload = EXCLUDED.payload
                """, logger: logger)
        }
        let payload = String(decoding: try JSONCoding.encoder.encode(state), as: UTF8.self)
        try await connection.query(
            """
            INSERT INTO attribution_state (id, next_day, payload) VALUES (true, \(state.nextDay), \(payload)::jsonb)
            ON CONFLICT (id) DO UPDATE SET next_day = EXCLUDED.next_day, payload = EXCLUDED.payload
            """, logger: logger)
    }

    /// The lowest `order.decided` watermark over its partitions: every decision up to it is stored.
    public static func decidedThrough(on connection: PostgresConnection, logger: Logger) async throws -> EventTime? {
        let rows = try await connection.query(
            "SELECT min(watermark) FROM stream_heads WHERE stream = 'order.decided'", logger: logger)
        for try await mark in rows.decode(Int64?.self) { return mark.map(EventTime.init(millis:)) }
        return nil
    }

    /// The day of the first signal or decision stored, if any: where attribution starts.
    public static func firstDay(on connection: PostgresConnection, logger: Logger) async throws -> Int64? {
        let rows = try await connection.query(
            "SELECT least((SELECT min(event_time) FROM signals), (SELECT min(event_time) FROM order_decisions))",
            logger: logger)
        for try await first in rows.decode(Int64?.self) { return first.map { EventTime(millis: $0).dayNumber } }
        return nil
    }

    public static func inputs(
        day: Int64, lagMillis: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> DayInputs {
        let start = day * EventTime.day
        let end = start + EventTime.day
        var inputs = DayInputs()
        let rows = try await connection.query(
            """
            SELECT 0, payload::text FROM market_resolutions WHERE event_time >= \(start) AND event_time < \(end)
            UNION ALL
            SELECT 1, payload::text FROM order_decisions WHERE event_time >= \(start) AND event_time < \(end)
            UNION ALL
            SELECT 2, payload::text FROM signals WHERE event_time >= \(start - lagMillis) AND event_time < \(end - lagMillis)
            """, logger: logger)
        for try await (kind, text) in rows.decode((Int, String).self) {
            let data = Data(text.utf8)
            switch kind {
            case 0: inputs.resolutions.append(try JSONCoding.decoder.decode(MarketResolution.self, from: data))
            case 1: inputs.decisions.append(try JSONCoding.decoder.decode(OrderDecision.self, from: data))
            default: inputs.signals.append(try JSONCoding.decoder.decode(Signal.self, from: data))
            }
        }
        return inputs
    }

    /// Every closed day, oldest first.
    public static func days(on client: PostgresClient, logger: Logger) async throws -> [AttributionDay] {
        try await decodeDays(client.query("SELECT payload::text FROM attribution_days ORDER BY day", logger: logger))
    }

    public static func days(on connection: PostgresConnection, logger: Logger) async throws -> [AttributionDay] {
        try await decodeDays(connection.query("SELECT payload::text FROM attribution_days ORDER BY day", logger: logger))
    }

    /// The days after `day`, oldest first (what a reader holding the earlier ones lacks).
    public static func days(after day: Int64, on client: PostgresClient, logger: Logger) async throws -> [AttributionDay] {
        try await decodeDays(client.query("SELECT payload::text FROM attribution_days WHERE day > \(day) ORDER BY day", logger: logger))
    }

    /// How many days are closed, and the first and last.
    public static func dayRange(on client: PostgresClient, logger: Logger) async throws -> (count: Int, first: Int64?, last: Int64?) {
        for try await (count, first, last) in try await client.query(
            "SELECT count(*), min(day), max(day) FROM attribution_days", logger: logger
        ).decode((Int64, Int64?, Int64?).self) { return (Int(count), first, last) }
        return (0, nil, nil)
    }

    static func decodeDays(_ rows: PostgresRowSequence) async throws -> [AttributionDay] {
        var days: [AttributionDay] = []
        for try await text in rows.decode(String.self) {
            days.append(try JSONCoding.decoder.decode(AttributionDay.self, from: Data(text.utf8)))
        }
        return days
    }

    /// The state as last saved, outside a step (reports, the dashboard).
    public static func state(on client: PostgresClient, logger: Logger) async throws -> AttributionState? {
        for try await text in try await client.query("SELECT payload::text FROM attribution_state", logger: logger).decode(String.self) {
            return try JSONCoding.decoder.decode(AttributionState.self, from: Data(text.utf8))
        }
        return nil
    }
}
