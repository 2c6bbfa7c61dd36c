import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// The fetcher's state over the Data API: the watch list, per-wallet cursors, coverage gaps.
public enum IngestStore {
    /// Adds wallets to the watch list (already watched ones keep their source).
    public static func watch(
        _ wallets: [WalletAddress], source: String, at time: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !wallets.isEmpty else { return }
        let addresses = wallets.map(\.rawValue)
        let partitions = wallets.map { Partitioner.partition(of: $0.rawValue) }
        try await connection.run(
            """
            INSERT INTO watched_wallets (wallet, partition, source, added_at)
            SELECT w, p, \(source), \(time) FROM unnest(\(addresses)::text[], \(partitions)::int[]) AS u(w, p)
            ON CONFLICT (wallet) DO NOTHING
            """, logger: logger)
    }

    /// Watched wallets in the given partitions, least recently completed first.
    public static func watched(
        partitions: [Int], on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress] {
        let rows = try await connection.query(
            """
            SELECT w.wallet FROM watched_wallets w LEFT JOIN wallet_cursors c USING (wallet)
            WHERE w.partition = ANY(\(partitions)) ORDER BY c.as_of NULLS FIRST, w.wallet
            """, logger: logger)
        var wallets: [WalletAddress] = []
        for try await text in rows.decode(String.self) { if let w = WalletAddress(text) { wallets.append(w) } }
        return wallets
    }

    /// A wallet's cursor; `lock` holds it for the transaction (one writer per wallet).
    public static func cursor(
        of wallet: WalletAddress, lock: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> WalletCursor {
        try await connection.run(
            "INSERT INTO wallet_cursors (wallet) VALUES (\(wallet.rawValue)) ON CONFLICT (wallet) DO NOTHING",
            logger: logger)
        let rows = try await connection.query(
            """
            SELECT newest_trade, as_of, history_complete FROM wallet_cursors WHERE wallet = \(wallet.rawValue)
            \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        for try await (newest, asOf, complete) in rows.decode((Int64?, Int64?, Bool).self) {
            return WalletCursor(newestTrade: newest, asOf: asOf, historyComplete: complete)
        }
        return WalletCursor()
    }

    /// Saves a cursor after a pass that stored `stored` new trades.
    public static func save(
        _ cursor: WalletCursor, of wallet: WalletAddress, stored: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            """
            UPDATE wallet_cursors SET newest_trade = GREATEST(newest_trade, \(cursor.newestTrade)),
                as_of = GREATEST(as_of, \(cursor.asOf)), history_complete = history_complete OR \(cursor.historyComplete),
                passes = passes + 1, trades = trades + \(stored)
            WHERE wallet = \(wallet.rawValue)
            """, logger: logger)
    }

    /// Records trades that lie beyond the API's reach.
    public static func recordGap(
        wallet: WalletAddress, from: Int64?, to: Int64, reason: String, at time: Int64, on connection: PostgresConnection,
        logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO coverage_gaps (wallet, from_time, to_time, reason, recorded_at)
            VALUES (\(wallet.rawValue), \(from), \(to), \(reason), \(time))
            """, logger: logger)
    }

    /// Per partition, the event time up to which every watched wallet's trades are stored: the
    /// least `as_of` of its wallets (a wallet never polled holds its partition back).
    public static func partitionWatermarks(
        _ partitions: [Int], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: EventTime] {
        let rows = try await connection.query(
            """
            SELECT w.partition, min(coalesce(c.as_of, -9223372036854775808)), bool_and(c.as_of IS NOT NULL)
            FROM watched_wallets w LEFT JOIN wallet_cursors c USING (wallet)
            WHERE w.partition = ANY(\(partitions)) GROUP BY w.partition
            """, logger: logger)
        var marks: [Int: EventTime] = [:]
        for try await (partition, asOf, complete) in rows.decode((Int, Int64, Bool).self) where complete {
            marks[partition] = EventTime(seconds: asOf)
        }
        return marks
    }
}
