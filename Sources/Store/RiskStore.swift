import Foundation
import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// The operators' actions on the book's trading state (`risk_actions`, migration 0023) and what
/// `remora risk status` reads: the state, the mVaR of the last decisions, the state's changes.
public enum RiskStore {
    /// Appends an operator's halt or resume; returns it with its id.
    public static func record(
        _ kind: RiskAction.Kind, at: EventTime, by: String, reason: String, on client: PostgresClient, logger: Logger
    ) async throws -> RiskAction {
        let rows = try await client.query(
            """
            INSERT INTO risk_actions (at, action, acted_by, reason) VALUES (\(at.millis), \(kind.rawValue), \(by), \(reason))
            RETURNING id
            """, logger: logger)
        for try await id in rows.decode(Int64.self) { return RiskAction(id: id, at: at, kind: kind, by: by, reason: reason) }
        throw BookStore.BookError.notInitialised
    }

    /// Every action, in the order they were recorded.
    public static func actions(on client: PostgresClient, logger: Logger) async throws -> [RiskAction] {
        let rows = try await client.query(
            "SELECT id, at, action, acted_by, reason FROM risk_actions ORDER BY id", logger: logger)
        var actions: [RiskAction] = []
        for try await (id, at, action, by, reason) in rows.decode((Int64, Int64, String, String, String).self) {
            actions.append(RiskAction(id: id, at: EventTime(millis: at), kind: RiskAction.Kind(rawValue: action) ?? .halt, by: by, reason: reason))
        }
        return actions
    }

    /// Actions not yet applied to the book (after `through`), in the risk guard's step.
    public static func pending(
        after through: Int64, upTo bound: EventTime?, on connection: PostgresConnection, logger: Logger
    ) async throws -> [RiskAction] {
        let rows = try await connection.query(
            """
            SELECT id, at, action, acted_by, reason FROM risk_actions
            WHERE id > \(through) AND at <= \(bound?.millis ?? Int64.max) ORDER BY at, id
            """, logger: logger)
        var actions: [RiskAction] = []
        for try await (id, at, action, by, reason) in rows.decode((Int64, Int64, String, String, String).self) {
            guard let kind = RiskAction.Kind(rawValue: action) else { continue }
            actions.append(RiskAction(id: id, at: EventTime(millis: at), kind: kind, by: by, reason: reason))
        }
        return actions
    }

    /// The trading state's changes (the risk guard's `trading_state` alerts), oldest first.
    public static func stateChanges(on client: PostgresClient, logger: Logger) async throws -> [Alert] {
        let rows = try await client.query(
            "SELECT payload::text FROM alerts WHERE payload->>'code' = 'trading_state' ORDER BY event_time, seq", logger: logger)
        var alerts: [Alert] = []
        for try await text in rows.decode(String.self) {
            alerts.append(try JSONCoding.decoder.decode(Alert.self, from: Data(text.utf8)))
        }
        return alerts
    }

    /// The mVaR and state at the decisions: (decided at, mVaR, state), in event time.
    public static func decisionRisk(on client: PostgresClient, logger: Logger) async throws -> [(EventTime, Double, TradingState?)] {
        let rows = try await client.query(
            """
            SELECT event_time, (payload->>'bookVaR')::float8, payload->>'tradingState' FROM order_decisions
            WHERE payload ? 'bookVaR' ORDER BY event_time, seq
            """, logger: logger)
        var out: [(EventTime, Double, TradingState?)] = []
        for try await (time, loss, state) in rows.decode((Int64, Double, String?).self) {
            out.append((EventTime(millis: time), loss, state.flatMap(TradingState.init(rawValue:))))
        }
        return out
    }
}
