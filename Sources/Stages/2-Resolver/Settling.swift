import Foundation
import Logging
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraStore

/// Database side of settlement, shared by the resolver's two paths (a new resolution settles
/// the market's stored trades; a new trade of a resolved market settles at once). Both take the
/// market's advisory lock first, so neither can miss a row the other is committing.
enum Settling {
    static func lockMarkets(_ ids: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws {
        let keys = Set(ids.map(\.rawValue)).sorted()
        guard !keys.isEmpty else { return }
        try await connection.run(
            """
            SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(\(keys)::text[]) AS k ORDER BY k
            """, logger: logger)
    }

    /// Puts markets on the resolver's Gamma watch list (first sighting only).
    static func watch(_ ids: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws {
        let keys = Set(ids.map(\.rawValue)).sorted()
        guard !keys.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO market_watch (condition_id, first_seen)
            SELECT k, \(Int64(Date().timeIntervalSince1970)) FROM unnest(\(keys)::text[]) AS k ON CONFLICT (condition_id) DO NOTHING
            """, logger: logger)
    }

    static func markets(_ ids: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws
        -> [ConditionID: Market]
    {
        let keys = Set(ids.map(\.rawValue)).sorted()
        var result: [ConditionID: Market] = [:]
        let rows = try await connection.query(
            "SELECT payload::text FROM markets WHERE condition_id = ANY(\(keys))", logger: logger)
        for try await text in rows.decode(String.self) {
            let market = try JSONCoding.decoder.decode(Market.self, from: Data(text.utf8))
            result[market.conditionId] = market
        }
        return result
    }

    static func resolutions(_ ids: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws
        -> [ConditionID: MarketResolution]
    {
        let keys = Set(ids.map(\.rawValue)).sorted()
        var result: [ConditionID: MarketResolution] = [:]
        let rows = try await connection.query(
            "SELECT payload::text FROM market_resolutions WHERE uid = ANY(\(keys))", logger: logger)
        for try await text in rows.decode(String.self) {
            let resolution = try JSONCoding.decoder.decode(MarketResolution.self, from: Data(text.utf8))
            result[resolution.conditionId] = resolution
        }
        return result
    }

    static func storedTrades(of market: ConditionID, on connection: PostgresConnection, logger: Logger) async throws
        -> [Trade]
    {
        var trades: [Trade] = []
        let rows = try await connection.query(
            "SELECT payload::text FROM trades WHERE condition_id = \(market.rawValue) ORDER BY event_time, uid",
            logger: logger)
        for try await text in rows.decode(String.self) {
            trades.append(try JSONCoding.decoder.decode(Trade.self, from: Data(text.utf8)))
        }
        return trades
    }

    /// Keeps a market row current (metadata changes; the resolved flag stays).
    static func upsert(_ market: Market, at time: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let payload = String(decoding: try JSONCoding.encoder.encode(market), as: UTF8.self)
        try await connection.run(
            """
            INSERT INTO markets (condition_id, question, category, payload, updated_at)
            VALUES (\(market.conditionId.rawValue), \(market.question), \(market.category), \(payload)::jsonb, \(time))
            ON CONFLICT (condition_id) DO UPDATE SET question = EXCLUDED.question,
                category = EXCLUDED.category, payload = EXCLUDED.payload
            """, logger: logger)
    }

    /// A resolution and the settlement of every stored trade of its market (the caller holds
    /// the market's lock). Returns the records to append: `market.resolved`, then `trade.settled`.
    static func resolve(_ resolution: MarketResolution, on connection: PostgresConnection, logger: Logger) async throws
        -> [StreamRecord]
    {
        var records = [
            try StreamRecord(
                stream: .marketResolved, uid: resolution.conditionId.rawValue, key: resolution.conditionId.rawValue,
                eventTime: resolution.resolvedAt, payload: resolution)
        ]
        let market = try await markets([resolution.conditionId], on: connection, logger: logger)
        for trade in try await storedTrades(of: resolution.conditionId, on: connection, logger: logger) {
            records.append(try record(Settlement.settle(trade, market: market[resolution.conditionId], resolution: resolution)))
        }
        try await connection.run(
            "UPDATE markets SET resolved = true WHERE condition_id = \(resolution.conditionId.rawValue)", logger: logger)
        return records
    }

    static func record(_ settlement: TradeSettlement) throws -> StreamRecord {
        try StreamRecord(
            stream: .tradeSettled, uid: settlement.tradeId, key: settlement.wallet.rawValue,
            eventTime: settlement.settledAt, payload: settlement)
    }

    /// trade.settled is complete through min(resolution-source watermark, trades consumed).
    static func advanceSettledWatermarks(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            SELECT 1 FROM stream_heads WHERE stream = 'trade.settled' ORDER BY partition FOR UPDATE
            """, logger: logger)
        try await connection.run(
            """
            UPDATE stream_heads h SET watermark = GREATEST(h.watermark, LEAST(s.watermark, c.watermark))
            FROM consumer_cursors c, source_cursors s
            WHERE h.stream = 'trade.settled' AND c.consumer = \(ResolverNames.consumer) AND c.stream = 'trade'
              AND c.partition = h.partition AND s.source = \(ResolverNames.source)
            """, logger: logger)
    }
}

enum ResolverNames {
    static let consumer = "resolver"
    static let source = "resolver:markets"
}
