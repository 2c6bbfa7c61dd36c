import Foundation
import Logging
public import PostgresNIO
public import RemoraModel

/// The markets table: each market's metadata as the resolver last read it from Gamma.
public enum MarketStore {
    /// Keeps a market row current (metadata changes; the resolved flag stays).
    public static func upsert(_ market: Market, at time: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let payload = String(decoding: try JSONCoding.encoder.encode(market), as: UTF8.self)
        try await connection.run(
            """
            INSERT INTO markets (condition_id, question, category, payload, updated_at)
            VALUES (\(market.conditionId.rawValue), \(market.question), \(market.category), \(payload)::jsonb, \(time))
            ON CONFLICT (condition_id) DO UPDATE SET question = EXCLUDED.question,
                category = EXCLUDED.category, payload = EXCLUDED.payload
            """, logger: logger)
    }

    /// Keeps market rows current, in one statement (a market given twice: the last one).
    public static func upsert(_ markets: [Market], at time: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        var latest: [String: Int] = [:]
        for (index, market) in markets.enumerated() { latest[market.conditionId.rawValue] = index }
        let unique = latest.values.sorted().map { markets[$0] }
        guard !unique.isEmpty else { return }
        let payloads = try unique.map { String(decoding: try JSONCoding.encoder.encode($0), as: UTF8.self) }
        try await connection.run(
            """
            INSERT INTO markets (condition_id, question, category, payload, updated_at)
            SELECT c, q, k, p::jsonb, \(time)
            FROM unnest(\(unique.map(\.conditionId.rawValue))::text[], \(unique.map(\.question))::text[],
                        \(unique.map(\.category))::text[], \(payloads)::text[]) AS u(c, q, k, p)
            ON CONFLICT (condition_id) DO UPDATE SET question = EXCLUDED.question,
                category = EXCLUDED.category, payload = EXCLUDED.payload
            """, logger: logger)
    }
}
