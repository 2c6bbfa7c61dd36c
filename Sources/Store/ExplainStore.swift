import Foundation
public import Logging
public import PostgresNIO
public import RemoraModel

/// What `remora explain` reads of one decision chain: the trade, its signal, its order and the
/// risk guard's decision, each if stored.
public enum ExplainStore {
    public struct Chain: Sendable {
        public var trade: Trade?
        public var signal: Signal?
        public var order: ProposedOrder?
        public var decision: OrderDecision?
        /// The trade's partition and when the fetcher stored it (unix ms).
        public var storedAt: Int64?
    }

    public enum Lookup: Error, CustomStringConvertible {
        case none(String)
        case ambiguous(String, [String])
        public var description: String {
            switch self {
            case .none(let id): "no trade or order with the id \(id) (a prefix of one will do)"
            case .ambiguous(let id, let some): "\(id) is the start of several ids, among them:\n  \(some.joined(separator: "\n  "))"
            }
        }
    }

    /// The chain of the trade `id` names: a trade id, an order id (`order:` + the trade id), or
    /// the start of either when only one id starts so.
    public static func chain(of id: String, on client: PostgresClient, logger: Logger) async throws -> Chain {
        let tradeId = id.hasPrefix("order:") ? String(id.dropFirst("order:".count)) : id
        var matches: [String] = []
        for try await uid in try await client.query(
            "SELECT uid FROM trades WHERE uid LIKE \(likePrefix(tradeId)) ORDER BY uid LIMIT 3", logger: logger
        ).decode(String.self) { matches.append(uid) }
        if let exact = matches.first(where: { $0 == tradeId }) { matches = [exact] }
        if matches.isEmpty {
            // A control sale (stop, time exit, quarantine) has a decision and no trade.
            var decisions: [(String, String)] = []
            for try await row in try await client.query(
                "SELECT uid, payload::text FROM order_decisions WHERE uid LIKE \(likePrefix(id)) ORDER BY uid LIMIT 3", logger: logger
            ).decode((String, String).self) { decisions.append(row) }
            if let exact = decisions.first(where: { $0.0 == id }) { decisions = [exact] }
            if decisions.count == 1 {
                var chain = Chain()
                chain.decision = try JSONCoding.decoder.decode(OrderDecision.self, from: Data(decisions[0].1.utf8))
                return chain
            }
            if decisions.count > 1 { throw Lookup.ambiguous(id, decisions.map(\.0)) }
        }
        guard let uid = matches.first else { throw Lookup.none(id) }
        guard matches.count == 1 else { throw Lookup.ambiguous(id, matches) }
        var chain = Chain()
        let rows = try await client.query(
            """
            SELECT 'trade', payload::text, produced_at FROM trades WHERE uid = \(uid)
            UNION ALL SELECT 'signal', payload::text, produced_at FROM signals WHERE uid = \(uid)
            UNION ALL SELECT 'order', payload::text, produced_at FROM orders WHERE uid = \("order:" + uid)
            UNION ALL SELECT 'decision', payload::text, produced_at FROM order_decisions WHERE uid = \("order:" + uid)
            """, logger: logger)
        for try await (kind, text, producedAt) in rows.decode((String, String, Int64).self) {
            let data = Data(text.utf8)
            switch kind {
            case "trade":
                chain.trade = try JSONCoding.decoder.decode(Trade.self, from: data)
                chain.storedAt = producedAt
            case "signal": chain.signal = try JSONCoding.decoder.decode(Signal.self, from: data)
            case "order": chain.order = try JSONCoding.decoder.decode(ProposedOrder.self, from: data)
            default: chain.decision = try JSONCoding.decoder.decode(OrderDecision.self, from: data)
            }
        }
        return chain
    }

    /// `prefix%` with LIKE's own characters escaped.
    static func likePrefix(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_") + "%"
    }
}

extension ExplainStore {
    /// Every verdict the signal gate stored, in event time (`remora validate gate --against-demo`
    /// compares them with the replay's).
    public static func allSignals(on client: PostgresClient, logger: Logger) async throws -> [Signal] {
        var signals: [Signal] = []
        for try await text in try await client.query("SELECT payload::text FROM signals ORDER BY event_time, uid", logger: logger)
            .decode(String.self)
        {
            signals.append(try JSONCoding.decoder.decode(Signal.self, from: Data(text.utf8)))
        }
        return signals
    }
}
