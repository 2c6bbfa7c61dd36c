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

    /// Wallets' cursors (a wallet without one gets an empty one); `lock` holds them for the
    /// transaction, taken in wallet order (one writer per wallet, no deadlock).
    public static func cursors(
        of wallets: [WalletAddress], lock: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: WalletCursor] {
        let addresses = Set(wallets.map(\.rawValue)).sorted()
        guard !addresses.isEmpty else { return [:] }
        try await connection.run(
            """
            INSERT INTO wallet_cursors (wallet) SELECT unnest(\(addresses)::text[]) ORDER BY 1 ON CONFLICT (wallet) DO NOTHING
            """, logger: logger)
        let rows = try await connection.query(
            """
            SELECT wallet, newest_trade, as_of, history_complete FROM wallet_cursors WHERE wallet = ANY(\(addresses))
            ORDER BY wallet \(unescaped: lock ? "FOR UPDATE" : "")
            """, logger: logger)
        var cursors: [WalletAddress: WalletCursor] = [:]
        for try await (wallet, newest, asOf, complete) in rows.decode((String, Int64?, Int64?, Bool).self) {
            if let address = WalletAddress(wallet) {
                cursors[address] = WalletCursor(newestTrade: newest, asOf: asOf, historyComplete: complete)
            }
        }
        return cursors
    }

    /// Saves cursors after passes (each only moves forward).
    public static func save(
        _ cursors: [(WalletAddress, WalletCursor)], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !cursors.isEmpty else { return }
        let none = Int64.min  // stands for "not known" in the arrays
        try await connection.run(
            """
            UPDATE wallet_cursors c SET newest_trade = GREATEST(c.newest_trade, NULLIF(u.newest, \(none))),
                as_of = GREATEST(c.as_of, NULLIF(u.as_of, \(none))), history_complete = c.history_complete OR u.complete,
                passes = c.passes + 1
            FROM unnest(\(cursors.map(\.0.rawValue))::text[], \(cursors.map { $0.1.newestTrade ?? none })::bigint[],
                        \(cursors.map { $0.1.asOf ?? none })::bigint[], \(cursors.map(\.1.historyComplete))::boolean[])
                 AS u(wallet, newest, as_of, complete)
            WHERE c.wallet = u.wallet
            """, logger: logger)
    }

    /// Adds stored-trade counts per wallet.
    public static func addTradeCounts(_ counts: [String: Int], on connection: PostgresConnection, logger: Logger) async throws {
        guard !counts.isEmpty else { return }
        let sorted = counts.sorted { $0.key < $1.key }
        try await connection.run(
            """
            UPDATE wallet_cursors c SET trades = c.trades + u.n
            FROM unnest(\(sorted.map(\.key))::text[], \(sorted.map(\.value))::bigint[]) AS u(wallet, n)
            WHERE c.wallet = u.wallet
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
    /// least `as_of` of its healthy wallets (a wallet never polled holds its partition back; an
    /// unhealthy one does not). A partition with no healthy wallet is complete through `idle`, the
    /// API's time of the pass minus the margin, when known: nothing of it is being read, and a
    /// wallet added there later brings its history as late trades.
    public static func partitionWatermarks(
        _ partitions: [Int], idle: EventTime? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: EventTime] {
        let rows = try await connection.query(
            """
            WITH healthy AS (
                SELECT w.partition, c.as_of FROM watched_wallets w LEFT JOIN wallet_cursors c USING (wallet)
                WHERE w.partition = ANY(\(partitions)) AND c.unhealthy_since IS NULL
            )
            SELECT p, min(coalesce(h.as_of, -9223372036854775808)), bool_and(h.as_of IS NOT NULL), count(h.partition)
            FROM unnest(\(partitions)::int[]) AS p LEFT JOIN healthy h ON h.partition = p GROUP BY p
            """, logger: logger)
        var marks: [Int: EventTime] = [:]
        for try await (partition, asOf, complete, wallets) in rows.decode((Int, Int64, Bool?, Int64).self) {
            if wallets == 0 {
                if let idle { marks[partition] = idle }
            } else if complete == true {
                marks[partition] = EventTime(seconds: asOf)
            }
        }
        return marks
    }

    /// The `trade` watermark of each partition now (event time through which it is complete).
    public static func tradeWatermarks(
        _ partitions: [Int], on connection: PostgresConnection, logger: Logger
    ) async throws -> [Int: EventTime] {
        let rows = try await connection.query(
            "SELECT partition, watermark FROM stream_heads WHERE stream = 'trade' AND partition = ANY(\(partitions))",
            logger: logger)
        var marks: [Int: EventTime] = [:]
        for try await (partition, mark) in rows.decode((Int, Int64).self) { marks[partition] = EventTime(millis: mark) }
        return marks
    }

    /// A wallet's pass failed for good (retries exhausted). Returns the wallet's state when this
    /// failure made it unhealthy (`threshold` failures in a row), nil otherwise.
    public static func recordFailedPass(
        _ wallet: WalletAddress, threshold: Int, at time: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> (failedPasses: Int, asOf: Int64?)? {
        let rows = try await connection.query(
            """
            INSERT INTO wallet_cursors (wallet, failed_passes) VALUES (\(wallet.rawValue), 1)
            ON CONFLICT (wallet) DO UPDATE SET failed_passes = wallet_cursors.failed_passes + 1
            RETURNING failed_passes, as_of, unhealthy_since
            """, logger: logger)
        for try await (failed, asOf, since) in rows.decode((Int, Int64?, Int64?).self) {
            guard since == nil, failed >= threshold else { return nil }
            try await connection.run(
                "UPDATE wallet_cursors SET unhealthy_since = \(time) WHERE wallet = \(wallet.rawValue)", logger: logger)
            return (failed, asOf)
        }
        return nil
    }

    /// Clears the failure count of wallets whose pass succeeded; returns those that were unhealthy.
    public static func recordSuccessfulPasses(
        _ wallets: [WalletAddress], on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress] {
        let addresses = Set(wallets.map(\.rawValue)).sorted()
        guard !addresses.isEmpty else { return [] }
        let rows = try await connection.query(
            """
            UPDATE wallet_cursors c SET failed_passes = 0, unhealthy_since = NULL
            FROM (SELECT wallet, unhealthy_since FROM wallet_cursors WHERE wallet = ANY(\(addresses))
                  AND (failed_passes > 0 OR unhealthy_since IS NOT NULL) ORDER BY wallet FOR UPDATE) AS old
            WHERE c.wallet = old.wallet
            RETURNING c.wallet, old.unhealthy_since IS NOT NULL
            """, logger: logger)
        var recovered: [WalletAddress] = []
        for try await (wallet, was) in rows.decode((String, Bool).self) where was {
            if let address = WalletAddress(wallet) { recovered.append(address) }
        }
        return recovered.sorted { $0.rawValue < $1.rawValue }
    }

    /// Wallets marked unhealthy, with when and how many passes failed.
    public static func unhealthy(
        on connection: PostgresConnection, logger: Logger
    ) async throws -> [(wallet: String, since: Int64, failedPasses: Int)] {
        let rows = try await connection.query(
            "SELECT wallet, unhealthy_since, failed_passes FROM wallet_cursors WHERE unhealthy_since IS NOT NULL ORDER BY wallet",
            logger: logger)
        var result: [(String, Int64, Int)] = []
        for try await row in rows.decode((String, Int64, Int).self) { result.append(row) }
        return result
    }
}
