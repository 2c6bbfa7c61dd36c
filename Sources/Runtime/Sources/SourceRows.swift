import Foundation
public import RemoraModel

/// A row of the trades source: a Data API `/trades` row, or a watermark row
/// `{"watermark": <ms>}` that vouches no later row will be older than it.
public enum TradeSourceRow: Sendable {
    case trade(Trade)
    case watermark(EventTime)

    /// Parses one line; throws with a reason a dead-letter row can carry.
    public static func parse(_ line: String, occurrence: (String) -> Int) throws -> TradeSourceRow {
        let data = Data(line.utf8)
        if let mark = try? JSONDecoder().decode(WatermarkRow.self, from: data) {
            return .watermark(EventTime(millis: mark.watermark))
        }
        let row = try JSONDecoder().decode(DataAPITradeRow.self, from: data)
        return .trade(try row.trade(occurrence: occurrence))
    }
}

struct WatermarkRow: Decodable {
    let watermark: Int64
}

/// The Data API `/trades` row as Polymarket sends it: numbers as JSON numbers with float noise,
/// timestamp in unix seconds.
public struct DataAPITradeRow: Decodable, Sendable {
    public var proxyWallet: String
    public var side: String
    public var asset: String
    public var conditionId: String
    public var size: Double
    public var price: Double
    public var timestamp: Int64
    public var title: String?
    public var outcome: String?
    public var outcomeIndex: Int
    public var transactionHash: String

    public enum RowError: Error, CustomStringConvertible {
        case invalid(String)
        public var description: String {
            switch self { case .invalid(let why): why }
        }
    }

    /// The exact trade. `occurrence` numbers identical fills within one read (exact repeats).
    public func trade(occurrence: (String) -> Int) throws -> Trade {
        guard let wallet = WalletAddress(proxyWallet) else { throw RowError.invalid("proxyWallet is not an address: \(proxyWallet)") }
        guard let condition = ConditionID(conditionId) else { throw RowError.invalid("conditionId malformed: \(conditionId)") }
        guard let side = Side(rawValue: side.uppercased()) else { throw RowError.invalid("side must be BUY or SELL: \(self.side)") }
        guard !asset.isEmpty, asset.allSatisfy(\.isNumber) else { throw RowError.invalid("asset is not a token id: \(asset)") }
        guard let shares = Shares(rounding: size), shares.micros > 0 else { throw RowError.invalid("size must be positive: \(size)") }
        // Float noise (0.21999995306666104): round to the finest tick Polymarket uses, then check.
        guard let price = Price(rounding: price)?.rounded(toTick: Price(micros: 100)),
            price.micros > 0, price.micros < microsPerUnit
        else {
            throw RowError.invalid("price must be inside (0, 1) at a 0.0001 tick: \(self.price)")
        }
        guard outcomeIndex >= 0, outcomeIndex < 16 else { throw RowError.invalid("outcomeIndex out of range: \(outcomeIndex)") }
        // Unix seconds between 2000 and 2100: anything else (milliseconds, nanoseconds) is a bad row.
        guard (946_684_800...4_102_444_800).contains(timestamp) else {
            throw RowError.invalid("timestamp is not unix seconds: \(timestamp)")
        }
        let key = Trade.fillKey(
            transactionHash: transactionHash, asset: asset, side: side, size: shares, price: price, wallet: wallet,
            occurrence: 0)
        return Trade(
            wallet: wallet, side: side, asset: asset, conditionId: condition, outcomeIndex: outcomeIndex,
            outcome: outcome ?? "", size: shares, price: price, timestamp: EventTime(seconds: timestamp),
            transactionHash: transactionHash, title: title ?? "", occurrence: occurrence(key))
    }
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
