import Foundation
public import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// What quarantine folds (``Quarantine``): the whales' score histories and the operators'
/// approvals (`quarantine_approvals`).
public enum QuarantineStore {
    /// Each wallet's score points strictly before its instant, in time order (scores without
    /// figures skipped: published before the figures were), and every approval of those wallets.
    public static func history(
        before wanted: [WalletAddress: EventTime], on connection: PostgresConnection, logger: Logger
    ) async throws -> (points: [WalletAddress: [Quarantine.Point]], approvals: [QuarantineApproval]) {
        guard !wanted.isEmpty else { return ([:], []) }
        let wanted = Array(wanted)
        let wallets = wanted.map(\.key.rawValue)
        let rows = try await connection.query(
            """
            SELECT w.wallet, w.event_time, (w.payload->'figures'->>'wqs')::float8,
                   (w.payload->'figures'->>'currentDrawdown')::float8, (w.payload->'figures'->>'lastLossAt')::bigint,
                   NULL::text, NULL::text
            FROM unnest(\(wallets)::text[], \(wanted.map(\.value.millis))::bigint[]) AS q(wallet, t)
            JOIN whale_scores w ON w.wallet = q.wallet AND w.event_time < q.t
            WHERE w.payload ? 'figures'
            UNION ALL
            SELECT a.wallet, a.at, NULL, NULL, NULL, a.approved_by, a.reason
            FROM quarantine_approvals a WHERE a.wallet = ANY(\(wallets)::text[])
            """, logger: logger)
        var points: [WalletAddress: [Quarantine.Point]] = [:]
        var approvals: [QuarantineApproval] = []
        for try await (wallet, at, wqs, drawdown, lastLoss, by, reason) in rows.decode(
            (String, Int64, Double?, Double?, Int64?, String?, String?).self)
        {
            let address = WalletAddress(validated: wallet)
            if let by, let reason {
                approvals.append(QuarantineApproval(wallet: address, at: EventTime(millis: at), by: by, reason: reason))
            } else if let wqs, let drawdown {
                points[address, default: []].append(
                    Quarantine.Point(
                        at: EventTime(millis: at), wqs: wqs, drawdown: drawdown, lastLossAt: lastLoss.map(EventTime.init(millis:))))
            }
        }
        for wallet in points.keys { points[wallet]!.sort { $0.at < $1.at } }
        approvals.sort { ($0.at, $0.by) < ($1.at, $1.by) }
        return (points, approvals)
    }

    /// Wallets that ever had a score at or above `score` (those quarantine may hold), and the
    /// latest `whale.score` event time stored.
    public static func followed(from score: Double, on connection: PostgresConnection, logger: Logger) async throws -> (
        wallets: [WalletAddress], latest: EventTime?
    ) {
        let rows = try await connection.query(
            """
            SELECT DISTINCT wallet, NULL::bigint FROM whale_scores WHERE score >= \(score)
            UNION ALL SELECT NULL, max(event_time) FROM whale_scores
            """, logger: logger)
        var wallets: [WalletAddress] = []
        var latest: EventTime?
        for try await (wallet, time) in rows.decode((String?, Int64?).self) {
            if let wallet { wallets.append(WalletAddress(validated: wallet)) } else if let time { latest = EventTime(millis: time) }
        }
        return (wallets.sorted { $0.rawValue < $1.rawValue }, latest)
    }

    /// Appends an operator's approval.
    public static func approve(_ approval: QuarantineApproval, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            """
            INSERT INTO quarantine_approvals (wallet, at, approved_by, reason)
            VALUES (\(approval.wallet.rawValue), \(approval.at.millis), \(approval.by), \(approval.reason))
            """, logger: logger)
    }
}
