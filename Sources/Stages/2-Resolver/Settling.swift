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

    /// Puts the trades' markets on the resolver's Gamma watch list, with the earliest trade of each
    /// market not checked yet (see ``uncheckedHold``).
    static func watch(_ trades: [Trade], on connection: PostgresConnection, logger: Logger) async throws {
        var first: [String: Int64] = [:]
        for trade in trades {
            first[trade.conditionId.rawValue] = min(first[trade.conditionId.rawValue] ?? .max, trade.timestamp.millis)
        }
        guard !first.isEmpty else { return }
        let keys = first.keys.sorted()
        try await connection.run(
            """
            INSERT INTO market_watch (condition_id, first_seen, first_trade)
            SELECT k, \(Int64(Date().timeIntervalSince1970)), t FROM unnest(\(keys)::text[], \(keys.map { first[$0]! })::bigint[]) AS u(k, t)
            ON CONFLICT (condition_id) DO UPDATE SET first_trade = LEAST(market_watch.first_trade, EXCLUDED.first_trade)
                WHERE market_watch.checked_at IS NULL
            """, logger: logger)
    }

    /// With Gamma as the source, a market not checked yet may hold a result that settles its
    /// trades from its first one on: trade.settled's watermark stays below the earliest such
    /// trade. Nil when every watched market has been checked.
    static func uncheckedHold(on connection: PostgresConnection, logger: Logger) async throws -> EventTime? {
        let rows = try await connection.query(
            "SELECT min(first_trade) FROM market_watch WHERE checked_at IS NULL", logger: logger)
        for try await first in rows.decode(Int64?.self) { return first.map { EventTime(millis: $0 - 1) } }
        return nil
    }

    /// How far market.resolved may vouch with Gamma as the source: before the first trade of
    /// any market not checked yet, and no further than the trades the resolver has consumed on
    /// every partition (a market first seen in a later trade cannot be in the claim).
    static func resolvedHold(on connection: PostgresConnection, logger: Logger) async throws -> EventTime {
        let rows = try await connection.query(
            """
            SELECT LEAST(
                (SELECT min(first_trade) - 1 FROM market_watch WHERE checked_at IS NULL),
                (SELECT CASE WHEN count(*) = \(StreamName.partitionCount) THEN min(watermark) ELSE \(Int64.min) END
                 FROM consumer_cursors WHERE consumer = \(ResolverNames.consumer) AND stream = 'trade'))
            """, logger: logger)
        for try await hold in rows.decode(Int64?.self) { return EventTime(millis: hold ?? Int64.min) }
        return EventTime(millis: Int64.min)
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

    /// The stored fills of these markets, by market, each market's in stream order (event time,
    /// partition, seq).
    static func storedTrades(of markets: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws
        -> [ConditionID: [Trade]]
    {
        let keys = Set(markets.map(\.rawValue)).sorted()
        guard !keys.isEmpty else { return [:] }
        var byMarket: [ConditionID: [Trade]] = [:]
        // Rows come market by market: one dictionary access per market, not per trade.
        var run: [Trade] = []
        for trade in try await loadTrades(
            "FROM trades t WHERE t.condition_id = ANY(\(keys)) AND t.payload->>'kind' IS NULL ORDER BY t.condition_id, t.event_time, t.partition, t.seq",
            on: connection, logger: logger)
        {
            if let last = run.last, last.conditionId != trade.conditionId {
                byMarket[last.conditionId, default: []] += run
                run.removeAll(keepingCapacity: true)
            }
            run.append(trade)
        }
        if let last = run.last { byMarket[last.conditionId, default: []] += run }
        return byMarket
    }

    /// The fills of `SELECT … <rest>` (callers leave conversions out: `payload->>'kind' IS NULL`), where `rest` ("FROM trades t …") names the trades table `t`,
    /// in its order. The fields come out of the payload in SQL (no JSON text to parse per row); a
    /// row that this reading cannot take (a payload not written by `Trade.canonicalJSON`) sends the
    /// whole query through the JSON decoder instead, as before.
    static func loadTrades(_ rest: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [Trade] {
        // The fields joined by U+001F into one column: one text value to decode per row instead of
        // thirteen (the per-column decoding was most of the read's cost). Any missing field nulls
        // the row, a field holding U+001F gives it too many parts: either way the JSON path reads.
        var fast = PostgresQuery(unsafeSQL: """
            SELECT t.payload->>'id' || E'\\x1f' || (t.payload->>'wallet') || E'\\x1f' || (t.payload->>'side')
                || E'\\x1f' || (t.payload->>'asset') || E'\\x1f' || (t.payload->>'conditionId')
                || E'\\x1f' || (t.payload->'outcomeIndex')::text || E'\\x1f' || (t.payload->>'outcome')
                || E'\\x1f' || (t.payload->>'size') || E'\\x1f' || (t.payload->>'price')
                || E'\\x1f' || (t.payload->'timestamp')::text || E'\\x1f' || (t.payload->>'transactionHash')
                || E'\\x1f' || (t.payload->>'title') || E'\\x1f' || coalesce(t.payload->>'role', E'\\x1e')

            """)
        fast.sql += rest.sql
        fast.binds = rest.binds
        var trades: [Trade] = []
        var readable = true
        let rows = try await connection.query(fast, logger: logger)
        for try await joined in rows.decode(String?.self) {
            guard readable else { continue }
            guard let joined, let trade = Self.trade(joined: joined) else { readable = false; continue }
            trades.append(trade)
        }
        if readable { return trades }
        var slow = PostgresQuery(unsafeSQL: "SELECT t.payload::text ")
        slow.sql += rest.sql
        slow.binds = rest.binds
        trades = []
        for try await text in try await connection.query(slow, logger: logger).decode(String.self) {
            trades.append(try JSONCoding.decoder.decode(Trade.self, from: Data(text.utf8)))
        }
        return trades
    }

    /// A trade from the 13 fields `loadTrades` joins (nil when they do not read as a trade).
    static func trade(joined: String) -> Trade? {
        // Split on the string's contiguous UTF-8 bytes (the generic `split` over the UTF8View cost
        // more than the rest of the parse).
        var joined = joined
        let fields: [String]? = joined.withUTF8 { bytes in
            var fields: [String] = []
            fields.reserveCapacity(13)
            var start = 0
            for index in 0..<bytes.count where bytes[index] == 0x1F {
                guard fields.count < 12 else { return nil }
                fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            }
            fields.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            return fields.count == 13 ? fields : nil
        }
        guard let fields else { return nil }
        func text(_ index: Int) -> String { fields[index] }
        guard let wallet = WalletAddress(text(1)), let side = Side(rawValue: text(2)), let conditionId = ConditionID(text(4)),
            let outcomeIndex = Int(text(5)), let size = Shares(decimal: text(7)), let price = Price(decimal: text(8)),
            let timestamp = Int64(text(9))
        else { return nil }
        let roleText = text(12)
        let role: TradeRole
        if roleText == "\u{1E}" {
            role = .unknown
        } else {
            guard let known = TradeRole(rawValue: roleText) else { return nil }
            role = known
        }
        return Trade(
            id: text(0), wallet: wallet, side: side, asset: text(3), conditionId: conditionId, outcomeIndex: outcomeIndex,
            outcome: text(6), size: size, price: price, timestamp: EventTime(millis: timestamp), transactionHash: text(10),
            title: text(11), role: role)
    }

    /// A resolution and the settlement of every stored trade of its market (the caller holds
    /// the market's lock). Returns the records to append: `market.resolved`, then `trade.settled`.
    static func resolve(_ resolution: MarketResolution, on connection: PostgresConnection, logger: Logger) async throws
        -> [StreamRecord]
    {
        try await resolve([resolution], on: connection, logger: logger)
    }

    /// Several resolutions at once (the caller holds their markets' locks): the same records, in
    /// the same order, as resolving them one after the other, in a few statements whatever their
    /// number. A market given twice is settled twice; its positions are the last resolution's.
    static func resolve(_ resolutions: [MarketResolution], on connection: PostgresConnection, logger: Logger) async throws
        -> [StreamRecord]
    {
        guard !resolutions.isEmpty else { return [] }
        let ids = resolutions.map(\.conditionId)
        let markets = try await markets(ids, on: connection, logger: logger)
        let trades = try await storedTrades(of: ids, on: connection, logger: logger)
        var records: [StreamRecord] = []
        records.reserveCapacity(resolutions.count + trades.values.reduce(0) { $0 + $1.count })
        var positions: [PositionKey: WalletPosition] = [:]
        var order: [PositionKey] = []
        // Distinct markets (the usual case) cannot share a position: no dictionary needed.
        let distinct = Set(ids).count == ids.count
        var distinctPositions: [WalletPosition] = []
        for resolution in resolutions {
            records.append(
                try StreamRecord(
                    stream: .marketResolved, uid: resolution.conditionId.rawValue, key: resolution.conditionId.rawValue,
                    eventTime: resolution.resolvedAt, payload: resolution))
            let market = markets[resolution.conditionId]
            let fills = trades[resolution.conditionId] ?? []
            for trade in fills {
                records.append(try record(Settlement.settle(trade, market: market, resolution: resolution)))
            }
            if distinct {
                distinctPositions += AverageCostLedger.positions(of: fills, market: market, resolution: resolution)
                continue
            }
            for position in AverageCostLedger.positions(of: fills, market: market, resolution: resolution) {
                let key = PositionKey(
                    wallet: position.wallet.rawValue, market: position.conditionId.rawValue, outcome: position.outcomeIndex)
                if positions.updateValue(position, forKey: key) == nil { order.append(key) }
            }
        }
        try await savePositions(distinct ? distinctPositions : order.map { positions[$0]! }, on: connection, logger: logger)
        try await connection.run(
            "UPDATE markets SET resolved = true WHERE condition_id = ANY(\(Set(ids.map(\.rawValue)).sorted()))", logger: logger)
        return records
    }

    private struct PositionKey: Hashable {
        var wallet: String
        var market: String
        var outcome: Int
    }

    // MARK: positions

    /// Rebuilds every position of these markets from their stored fills (the caller holds the
    /// markets' locks): after a market's metadata (its fee) first arrives, and in `--once`.
    static func rebuildPositions(ofMarkets ids: [ConditionID], on connection: PostgresConnection, logger: Logger) async throws {
        let keys = Set(ids.map(\.rawValue)).sorted()
        guard !keys.isEmpty else { return }
        let trades = try await loadTrades(
            "FROM trades t WHERE t.condition_id = ANY(\(keys)) AND t.payload->>'kind' IS NULL ORDER BY t.event_time, t.partition, t.seq",
            on: connection, logger: logger)
        try await rebuild(trades, markets: ids, on: connection, logger: logger)
    }

    /// Rebuilds the positions that these fills touch (the caller holds their markets' locks).
    static func rebuildPositions(touchedBy trades: [Trade], on connection: PostgresConnection, logger: Logger) async throws {
        let pairs = Set(trades.map { PairKey(wallet: $0.wallet.rawValue, market: $0.conditionId.rawValue) }).sorted {
            ($0.wallet, $0.market) < ($1.wallet, $1.market)
        }
        guard !pairs.isEmpty else { return }
        let wallets = pairs.map(\.wallet)
        let markets = pairs.map(\.market)
        let fills = try await loadTrades(
            """
            FROM trades t JOIN unnest(\(wallets)::text[], \(markets)::text[]) AS p(wallet, market)
                ON t.wallet = p.wallet AND t.condition_id = p.market
            WHERE t.payload->>'kind' IS NULL
            ORDER BY t.event_time, t.partition, t.seq
            """, on: connection, logger: logger)
        try await rebuild(fills, markets: trades.map(\.conditionId), on: connection, logger: logger)
    }

    private struct PairKey: Hashable {
        var wallet: String
        var market: String
    }

    private static func rebuild(
        _ fills: [Trade], markets ids: [ConditionID], on connection: PostgresConnection, logger: Logger
    ) async throws {
        var byMarket: [ConditionID: [Trade]] = [:]
        for trade in fills { byMarket[trade.conditionId, default: []].append(trade) }
        let markets = try await markets(ids, on: connection, logger: logger)
        let resolutions = try await resolutions(ids, on: connection, logger: logger)
        var positions: [WalletPosition] = []
        for (id, trades) in byMarket {
            positions += AverageCostLedger.positions(of: trades, market: markets[id], resolution: resolutions[id])
        }
        try await savePositions(positions, on: connection, logger: logger)
    }

    static func savePositions(_ positions: [WalletPosition], on connection: PostgresConnection, logger: Logger) async throws {
        guard !positions.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO wallet_positions (wallet, condition_id, outcome_index, shares, cost, realized, fees, fills, unmatched_sold, resolved, through)
            SELECT * FROM unnest(
                \(positions.map(\.wallet.rawValue))::text[], \(positions.map(\.conditionId.rawValue))::text[],
                \(positions.map(\.outcomeIndex))::int[], \(positions.map(\.shares.micros))::bigint[],
                \(positions.map(\.cost.micros))::bigint[], \(positions.map(\.realized.micros))::bigint[],
                \(positions.map(\.fees.micros))::bigint[], \(positions.map(\.fills))::int[],
                \(positions.map(\.unmatchedSold.micros))::bigint[], \(positions.map(\.resolved))::boolean[],
                \(positions.map(\.through.millis))::bigint[])
            ON CONFLICT (wallet, condition_id, outcome_index) DO UPDATE SET shares = EXCLUDED.shares, cost = EXCLUDED.cost,
                realized = EXCLUDED.realized, fees = EXCLUDED.fees, fills = EXCLUDED.fills,
                unmatched_sold = EXCLUDED.unmatched_sold, resolved = EXCLUDED.resolved, through = EXCLUDED.through
            """, logger: logger)
    }

    static func record(_ settlement: TradeSettlement) throws -> StreamRecord {
        // The payload's canonical JSON directly (the generic initializer would box each settlement
        // in an existential only to find the same text), and the settlement for the typed append.
        StreamRecord(settled: settlement)
    }

    /// trade.settled is complete through min(resolution-source watermark, trades consumed, and
    /// with Gamma, the hold of the markets not checked yet): ``SettledWatermark/advance``.
    static func advanceSettledWatermarks(
        holdingForUncheckedMarkets: Bool, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await SettledWatermark.advance(
            consumer: ResolverNames.consumer, source: ResolverNames.source, holdingForUncheckedMarkets: holdingForUncheckedMarkets,
            on: connection, logger: logger)
    }
}

enum ResolverNames {
    static let consumer = "resolver"
    static let source = "resolver:markets"
}
