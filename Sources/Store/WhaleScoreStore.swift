import Foundation
public import Logging
public import PostgresNIO
public import RemoraModel

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
    public static func figures(before trades: [Wanted], on client: PostgresClient, logger: Logger) async throws -> Figures {
        let rows = try await client.query(
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
