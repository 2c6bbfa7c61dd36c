import Foundation
public import Logging
public import PostgresNIO
public import RemoraModel
import RemoraCore

/// The scorer's `whale.score` history as the signal gate reads it.
public enum WhaleScoreStore {
    /// A trade whose whale's figures are wanted as of its time.
    public struct Wanted: Sendable {
        public var id: String
        public var wallet: WalletAddress
        public var time: EventTime
        public init(id: String, wallet: WalletAddress, time: EventTime) {
            self.id = id
            self.wallet = wallet
            self.time = time
        }
    }

    /// What one read returns: the `whale.score` watermark of every partition, and for each trade
    /// the figures of its wallet's last score strictly before the trade (absent: none).
    public struct Figures: Sendable {
        public var watermarks: [Int: EventTime] = [:]
        public var figures: [String: WhaleFigures] = [:]
        /// Trades whose wallet's last score carries no figures (published before they were).
        public var withoutFigures: Set<String> = []
    }

    /// One statement, so one snapshot: every score a watermark vouches for is seen. An index
    /// lookup per trade (`whale_scores_wallet_time`).
    public static func figures(before trades: [Wanted], on connection: PostgresConnection, logger: Logger) async throws -> Figures {
        let rows = try await connection.query(
            """
            SELECT NULL::text, h.partition, h.watermark, NULL::text FROM stream_heads h
            WHERE h.stream = \(StreamName.whaleScore.rawValue)
            UNION ALL
            SELECT q.id, NULL::int, NULL::bigint, s.payload::text
            FROM unnest(\(trades.map(\.id))::text[], \(trades.map(\.wallet.rawValue))::text[],
                        \(trades.map(\.time.millis))::bigint[]) AS q(id, wallet, t)
            CROSS JOIN LATERAL (
                SELECT w.payload FROM whale_scores w WHERE w.wallet = q.wallet AND w.event_time < q.t
                ORDER BY w.event_time DESC, w.seq DESC LIMIT 1
            ) AS s
            """, logger: logger)
        var read = Figures()
        for try await (id, partition, watermark, payload) in rows.decode((String?, Int?, Int64?, String?).self) {
            if let partition, let watermark {
                read.watermarks[partition] = EventTime(millis: watermark)
            } else if let id, let payload {
                let score = try JSONCoding.decoder.decode(WhaleScore.self, from: Data(payload.utf8))
                if let figures = score.figures { read.figures[id] = figures } else { read.withoutFigures.insert(id) }
            }
        }
        return read
    }
}

/// The stored fills of the whale orders (``WhaleOrder``) a step's trades belong to.
public enum WhaleOrderStore {
    /// For each trade's order key, its fills stored so far in the order they were stored (the
    /// `trades_wallet` index: one wallet, one instant, then the transaction, token and side).
    public static func fills(of trades: [Trade], on connection: PostgresConnection, logger: Logger) async throws -> [String: [Trade]] {
        var seen = Set<String>()
        let wanted = trades.filter { seen.insert(WhaleOrder.key(of: $0)).inserted }
        guard !wanted.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT q.k, t.payload::text
            FROM unnest(\(wanted.map { WhaleOrder.key(of: $0) })::text[], \(wanted.map(\.wallet.rawValue))::text[],
                        \(wanted.map(\.timestamp.millis))::bigint[], \(wanted.map { $0.transactionHash.lowercased() })::text[],
                        \(wanted.map(\.asset))::text[], \(wanted.map(\.side.rawValue))::text[]) AS q(k, w, t, h, a, s)
            JOIN trades t ON t.wallet = q.w AND t.event_time = q.t AND lower(t.payload->>'transactionHash') = q.h
                         AND t.payload->>'asset' = q.a AND t.payload->>'side' = q.s
            ORDER BY q.k, t.seq
            """, logger: logger)
        var fills: [String: [Trade]] = [:]
        for try await (key, payload) in rows.decode((String, String).self) {
            fills[key, default: []].append(try JSONCoding.decoder.decode(Trade.self, from: Data(payload.utf8)))
        }
        return fills
    }
}

/// What a whale's sale is measured against: its position in the token before the sale, from its
/// stored trades, and whether it was ever followed (a score at the gate's minimum before it).
public enum WhaleExitStore {
    public struct Standing: Sendable, Hashable {
        public var positionBefore: Shares
        public var followed: Bool
        /// The other outcome of the market the whale holds most of before the order, if any.
        public var complement: (token: TokenID, outcome: Int, held: Shares)?

        public static func == (a: Standing, b: Standing) -> Bool {
            a.positionBefore == b.positionBefore && a.followed == b.followed && a.complement?.token == b.complement?.token
                && a.complement?.outcome == b.complement?.outcome && a.complement?.held == b.complement?.held
        }
        public func hash(into hasher: inout Hasher) {
            hasher.combine(positionBefore)
            hasher.combine(followed)
            hasher.combine(complement?.token)
            hasher.combine(complement?.held)
        }
    }

    /// For each order (its first fill, with the order's instant): the whale's position in the
    /// token, and in the market's other outcome. One statement, one snapshot.
    ///
    /// A position counts the whale's fills and the "Yes" its conversions paid: converting one
    /// market's "No" pays as many "Yes" of each other market of the negative-risk event. Every
    /// such market was still trading then (the order is in it, later), so each receives them.
    public static func standings(
        of orders: [Trade], followFrom score: Double, on connection: PostgresConnection, logger: Logger
    ) async throws -> [String: Standing] {
        guard !orders.isEmpty else { return [:] }
        // The "Yes" of q's market (its first token) paid by the whale's conversions before q: of
        // the event's other markets (the partial index trades_conversions finds them).
        let legs = """
            (SELECT y.payload->'tokenIds'->>0 AS asset, ((v.payload->>'size')::numeric * 1000000)::bigint AS shares
             FROM trades v
             JOIN markets m ON m.condition_id = v.condition_id AND m.condition_id <> q.c
             JOIN markets y ON y.condition_id = q.c AND y.payload->>'negRiskEvent' = m.payload->>'negRiskEvent'
             WHERE v.wallet = q.w AND v.event_time < q.t AND v.payload->>'kind' = 'conversion')
            """
        let rows = try await connection.query(
            """
            SELECT q.id,
                   (SELECT coalesce(sum(CASE WHEN t.payload->>'side' = 'BUY' THEN 1 ELSE -1 END
                                        * ((t.payload->>'size')::numeric * 1000000)::bigint), 0)::bigint
                    FROM trades t WHERE t.wallet = q.w AND t.event_time < q.t AND t.payload->>'asset' = q.a)
                 + (SELECT coalesce(sum(l.shares), 0)::bigint FROM \(unescaped: legs) l WHERE l.asset = q.a),
                   EXISTS (SELECT 1 FROM whale_scores s WHERE s.wallet = q.w AND s.event_time < q.t AND s.score >= \(score)),
                   o.asset, o.outcome, o.held
            FROM unnest(\(orders.map(\.id))::text[], \(orders.map(\.wallet.rawValue))::text[],
                        \(orders.map(\.timestamp.millis))::bigint[], \(orders.map(\.asset))::text[],
                        \(orders.map(\.conditionId.rawValue))::text[]) AS q(id, w, t, a, c)
            LEFT JOIN LATERAL (
                SELECT h.asset, h.outcome, sum(h.shares)::bigint AS held
                FROM (SELECT x.payload->>'asset' AS asset, (x.payload->>'outcomeIndex')::int AS outcome,
                             CASE WHEN x.payload->>'side' = 'BUY' THEN 1 ELSE -1 END
                             * ((x.payload->>'size')::numeric * 1000000)::bigint AS shares
                      FROM trades x
                      WHERE x.wallet = q.w AND x.condition_id = q.c AND x.event_time < q.t AND x.payload->>'asset' <> q.a
                      UNION ALL
                      SELECT l.asset, 0, l.shares FROM \(unescaped: legs) l WHERE l.asset <> q.a) h
                GROUP BY 1, 2 ORDER BY 3 DESC, 1 LIMIT 1
            ) o ON true
            """, logger: logger)
        var standings: [String: Standing] = [:]
        for try await (id, position, followed, other, outcome, held) in rows.decode(
            (String, Int64, Bool, String?, Int?, Int64?).self)
        {
            var standing = Standing(positionBefore: Shares(micros: position), followed: followed)
            if let other, let outcome, let held, held > 0 { standing.complement = (other, outcome, Shares(micros: held)) }
            standings[id] = standing
        }
        return standings
    }
}

extension WhaleExitStore {
    /// Each wallet's shares per token as its stored fills make them through `through`, leaving
    /// out markets resolved by then (the world, like Polymarket's `/positions`, no longer lists a
    /// redeemed position). What `remora reconcile positions` sets against the Data API.
    public static func reconstructedPositions(
        of wallets: [WalletAddress], through: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: [TokenID: Shares]] {
        guard !wallets.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT t.wallet, t.payload->>'asset',
                   sum(CASE WHEN t.payload->>'side' = 'BUY' THEN 1 ELSE -1 END * ((t.payload->>'size')::numeric * 1000000)::bigint)::bigint
            FROM trades t
            LEFT JOIN market_resolutions r ON r.uid = t.condition_id AND r.event_time <= \(through.millis)
            WHERE t.wallet = ANY(\(wallets.map(\.rawValue))) AND t.event_time <= \(through.millis) AND r.uid IS NULL
            GROUP BY 1, 2
            """, logger: logger)
        var positions: [WalletAddress: [TokenID: Shares]] = [:]
        for try await (wallet, asset, micros) in rows.decode((String, String?, Int64).self) {
            guard let wallet = WalletAddress(wallet), let asset else { continue }
            positions[wallet, default: [:]][asset] = Shares(micros: micros)
        }
        return positions
    }

    /// Each wallet's "Yes" shares per token that its conversions through `through` may have paid:
    /// a conversion of one market's "No" pays as many "Yes" of each other market of its
    /// negative-risk event (the markets the resolver knows, resolved ones left out). A bound, not
    /// an account: which of the event's markets still traded then is the exchange's to say.
    public static func conversionLegs(
        of wallets: [WalletAddress], through: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: [TokenID: Shares]] {
        guard !wallets.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT t.wallet, o.payload->'tokenIds'->>0, sum(((t.payload->>'size')::numeric * 1000000)::bigint)::bigint
            FROM trades t
            JOIN markets m ON m.condition_id = t.condition_id AND m.payload->>'negRiskEvent' IS NOT NULL
            JOIN markets o ON o.payload->>'negRiskEvent' = m.payload->>'negRiskEvent' AND o.condition_id <> m.condition_id
            LEFT JOIN market_resolutions r ON r.uid = o.condition_id AND r.event_time <= \(through.millis)
            WHERE t.payload->>'kind' = 'conversion' AND t.wallet = ANY(\(wallets.map(\.rawValue)))
              AND t.event_time <= \(through.millis) AND r.uid IS NULL
            GROUP BY 1, 2
            """, logger: logger)
        var legs: [WalletAddress: [TokenID: Shares]] = [:]
        for try await (wallet, asset, micros) in rows.decode((String, String?, Int64).self) {
            guard let wallet = WalletAddress(wallet), let asset else { continue }
            legs[wallet, default: [:]][asset] = Shares(micros: micros)
        }
        return legs
    }

    /// Each wallet's shares converted through `through`, in all: the most "Yes" any one market
    /// the resolver does not know can have received (``conversionLegs(of:through:on:logger:)``).
    public static func sharesConverted(
        of wallets: [WalletAddress], through: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: Shares] {
        guard !wallets.isEmpty else { return [:] }
        var converted: [WalletAddress: Shares] = [:]
        for try await (wallet, micros) in try await connection.query(
            """
            SELECT wallet, sum(((payload->>'size')::numeric * 1000000)::bigint)::bigint FROM trades
            WHERE payload->>'kind' = 'conversion' AND wallet = ANY(\(wallets.map(\.rawValue))) AND event_time <= \(through.millis)
            GROUP BY 1
            """, logger: logger
        ).decode((String, Int64).self) {
            if let wallet = WalletAddress(wallet) { converted[wallet] = Shares(micros: micros) }
        }
        return converted
    }

    /// Every market the resolver knows.
    public static func knownMarkets(on connection: PostgresConnection, logger: Logger) async throws -> Set<String> {
        var known = Set<String>()
        for try await id in try await connection.query("SELECT condition_id FROM markets", logger: logger).decode(String.self) {
            known.insert(id)
        }
        return known
    }

    /// The wallets whose score reached `score` at some point: the whales the gate followed.
    public static func followedWallets(score: Double, on connection: PostgresConnection, logger: Logger) async throws -> [WalletAddress] {
        var wallets: [WalletAddress] = []
        for try await wallet in try await connection.query(
            "SELECT DISTINCT wallet FROM whale_scores WHERE score >= \(score) ORDER BY wallet", logger: logger
        ).decode(String.self) {
            if let address = WalletAddress(wallet) { wallets.append(address) }
        }
        return wallets
    }
}
