import Logging
public import PostgresNIO

/// How far `trade.settled` is complete, as the resolver advances it at the end of a pass over
/// its resolution source (docs/architecture.md, "Watermarks").
public enum SettledWatermark {
    /// Each partition's `trade.settled` watermark moves up to min(the resolution source's
    /// watermark, the trades the resolver consumed there, and with Gamma the hold: before the
    /// first trade of any market on the watch list not checked yet).
    ///
    /// The hold is read in the same statement as the consumed watermarks, after the heads' locks:
    /// a trade step that commits meanwhile brings its watermark and the markets it put on the
    /// watch list together. Read before the lock, the hold could miss a market that the newer
    /// watermark vouched for, and the gate decide a trade before that market's terms were stored
    /// (seen: a release build's demo deciding three sales differently from a debug build's).
    public static func advance(
        consumer: String, source: String, holdingForUncheckedMarkets: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            "SELECT 1 FROM stream_heads WHERE stream = 'trade.settled' ORDER BY partition FOR UPDATE", logger: logger)
        try await connection.run(
            """
            UPDATE stream_heads h SET watermark = GREATEST(h.watermark, LEAST(s.watermark, c.watermark, CASE WHEN \(holdingForUncheckedMarkets)
                THEN coalesce((SELECT min(first_trade) - 1 FROM market_watch WHERE checked_at IS NULL), \(Int64.max)) ELSE \(Int64.max) END))
            FROM consumer_cursors c, source_cursors s
            WHERE h.stream = 'trade.settled' AND c.consumer = \(consumer) AND c.stream = 'trade'
              AND c.partition = h.partition AND s.source = \(source)
            """, logger: logger)
    }
}
