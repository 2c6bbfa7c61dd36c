import Foundation
public import RemoraModel
import RemoraPolymarket

/// A row of the trades source: a Data API `/trades` row, or a watermark row
/// `{"watermark": <ms>}` that vouches no later row will be older than it. A trade row may add
/// `"role": "taker" | "maker"` (not a Data API field: the API tells roles apart only through
/// `takerOnly` pages); without it the role is unknown, settled and gated as a taker's. A row with
/// `"type": "CONVERSION"` is an `/activity` CONVERSION row: a negative-risk conversion
/// (``TradeKind/conversion``).
public enum TradeSourceRow: Sendable {
    case trade(Trade)
    case watermark(EventTime)

    /// Parses one line; throws with a reason a dead-letter row can carry.
    public static func parse(_ line: String, occurrence: (String) -> Int) throws -> TradeSourceRow {
        let data = Data(line.utf8)
        if let mark = try? JSONDecoder().decode(WatermarkRow.self, from: data) {
            return .watermark(EventTime(millis: mark.watermark))
        }
        if try JSONDecoder().decode(TypeRow.self, from: data).type == "CONVERSION" {
            guard let conversion = try JSONDecoder().decode(ActivityRow.self, from: data).conversion() else {
                throw DataAPITradeRow.RowError.invalid("not a CONVERSION row")
            }
            return .trade(conversion)
        }
        let row = try JSONDecoder().decode(DataAPITradeRow.self, from: data)
        var trade = try row.trade(occurrence: occurrence)
        if let role = try JSONDecoder().decode(RoleRow.self, from: data).role {
            guard let known = TradeRole(rawValue: role), known != .unknown else {
                throw DataAPITradeRow.RowError.invalid("role must be taker or maker: \(role)")
            }
            trade.role = known
        }
        return .trade(trade)
    }
}

struct TypeRow: Decodable {
    let type: String?
}

struct RoleRow: Decodable {
    let role: String?
}

struct WatermarkRow: Decodable {
    let watermark: Int64
}

/// A row of the markets source: market metadata, a resolution, or a watermark.
/// `{"market": {...}}`, `{"resolution": {"conditionId": "0x…", "winner": 0 | null, "resolvedAt": ms}}`
/// (`winner: null` is a void, paid 0.5 each side), `{"watermark": ms}`.
public enum MarketSourceRow: Sendable {
    case market(Market)
    case resolution(MarketResolution)
    case watermark(EventTime)

    struct Row: Decodable {
        var market: Market?
        var resolution: ResolutionRow?
        var watermark: Int64?
    }

    struct ResolutionRow: Decodable {
        var conditionId: ConditionID
        var winner: Int?
        var resolvedAt: EventTime
    }

    public static func parse(_ line: String) throws -> MarketSourceRow {
        let row = try JSONDecoder().decode(Row.self, from: Data(line.utf8))
        if let market = row.market { return .market(market) }
        if let r = row.resolution {
            return .resolution(MarketResolution(
                conditionId: r.conditionId, outcome: r.winner.map { .winner(index: $0) } ?? .void, resolvedAt: r.resolvedAt))
        }
        if let mark = row.watermark { return .watermark(EventTime(millis: mark)) }
        throw DataAPITradeRow.RowError.invalid("expected one of market, resolution, watermark")
    }
}
