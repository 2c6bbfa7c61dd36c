import Foundation
import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// The copy book's tables (`portfolio`, `positions`). Only the risk guard writes them.
public enum BookStore {
    public enum BookError: Error, CustomStringConvertible {
        case notInitialised
        public var description: String { "the portfolio row is missing" }
    }

    /// Loads the book in one statement (one snapshot: never cash from before a fill with a
    /// position from after it). With `initialCash`, creates it on first use. With `lock`, holds the
    /// portfolio row until commit: the risk guard's fence against a second instance.
    public static func load(
        initialCash: USDC?, lock: Bool = false, on connection: PostgresConnection, logger: Logger
    ) async throws -> Book {
        // One round trip (migration 0004): create on first use, lock, read in one snapshot.
        let rows = try await connection.query(
            "SELECT * FROM remora_load_book(\(initialCash?.micros), \(lock))", logger: logger)
        var book: Book?
        for try await (initial, cash, realized, asset, condition, outcome, shares, cost, mark) in rows.decode(
            (Int64, Int64, Int64, String?, String?, Int?, Int64?, Int64?, Int64?).self)
        {
            if book == nil {
                book = Book(initialCash: USDC(micros: initial), cash: USDC(micros: cash), realizedPnl: USDC(micros: realized))
            }
            guard let asset else { continue }
            guard let condition, let conditionId = ConditionID(condition), let outcome, let shares, let cost, let mark else {
                throw BookError.notInitialised
            }
            book?.positions[asset] = BookPosition(
                asset: asset, conditionId: conditionId, outcomeIndex: outcome, shares: Shares(micros: shares),
                cost: USDC(micros: cost), mark: Price(micros: mark))
        }
        guard var book else { throw BookError.notInitialised }
        // Its peak NAV and trading state, and who each held token was bought for, net of exits:
        // the filled decisions' sum. One statement (the caller's transaction: the same snapshot).
        let more = try await connection.query(
            """
            SELECT 'book', p.measured_state, p.recent_entries, p.peak_nav_micros, p.actions_through
            FROM portfolio p WHERE p.id = 1
            UNION ALL
            SELECT 'halt', a.acted_by, a.reason, a.id, a.at
            FROM portfolio p JOIN risk_actions a ON a.id = p.halt_action WHERE p.id = 1
            UNION ALL
            SELECT 'controls', p.stops, NULL, p.controlled_through, NULL FROM portfolio p WHERE p.id = 1
            UNION ALL
            SELECT 'holding', key, payload->>'asset',
                   sum(CASE WHEN payload->>'side' = 'BUY' THEN 1 ELSE -1 END
                       * ((payload->>'fillShares')::numeric * 1000000)::bigint)::bigint, NULL
            FROM order_decisions
            WHERE status = 'filled' AND payload->>'asset' = ANY(\(Array(book.positions.keys))::text[])
            GROUP BY 2, 3
            """, logger: logger)
        for try await (kind, first, second, number, other) in more.decode((String, String?, String?, Int64?, Int64?).self) {
            switch kind {
            case "holding":
                if let wallet = first, let asset = second, let micros = number, micros > 0 {
                    book.fromWhales[WhaleHolding(wallet: WalletAddress(validated: wallet), asset: asset)] = Shares(micros: micros)
                }
            case "controls":
                if let stops = first {
                    book.stops = try JSONCoding.decoder.decode([TokenID: Price].self, from: Data(stops.utf8))
                }
                book.controlledThrough = number.map(EventTime.init(millis:))
            case "halt":
                if let by = first, let reason = second, let id = number, let at = other {
                    book.halt = RiskAction(id: id, at: EventTime(millis: at), kind: .halt, by: by, reason: reason)
                }
            default:
                book.peakNav = number.map(USDC.init(micros:))
                book.measuredState = first.flatMap(TradingState.init(rawValue:)) ?? .active
                book.actionsThrough = other ?? 0
                if let recent = second {
                    book.recentEntries = try JSONCoding.decoder.decode([RecentEntry].self, from: Data(recent.utf8))
                }
            }
        }
        return book
    }

    /// The category and negative-risk event of each market the resolver stored (missing: not
    /// stored yet).
    public static func marketGroups(
        _ markets: some Sequence<ConditionID>, on connection: PostgresConnection, logger: Logger
    ) async throws -> [ConditionID: MarketGroup] {
        let wanted = Array(Set(markets.map(\.rawValue)))
        guard !wanted.isEmpty else { return [:] }
        let rows = try await connection.query(
            """
            SELECT condition_id, category, payload->>'negRiskEvent' FROM markets WHERE condition_id = ANY(\(wanted)::text[])
            """, logger: logger)
        var groups: [ConditionID: MarketGroup] = [:]
        for try await (condition, category, event) in rows.decode((String, String, String?).self) {
            if let id = ConditionID(condition) { groups[id] = MarketGroup(category: category, negRiskEvent: event) }
        }
        return groups
    }

    /// Records the book's peak NAV and trading state (in the risk guard's step transaction).
    public static func saveState(_ book: Book, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            UPDATE portfolio SET peak_nav_micros = \(book.peakNav?.micros), measured_state = \(book.measuredState.rawValue),
                halt_action = \(book.halt?.id), actions_through = \(book.actionsThrough),
                recent_entries = \(String(decoding: try JSONCoding.encoder.encode(book.recentEntries), as: UTF8.self)),
                stops = \(String(decoding: try JSONCoding.encoder.encode(book.stops), as: UTF8.self)),
                controlled_through = \(book.controlledThrough?.millis)
            WHERE id = 1
            """, logger: logger)
    }

    /// Writes the whole book (it is small: one row per open position).
    public static func save(_ book: Book, asOf: EventTime, on connection: PostgresConnection, logger: Logger) async throws {
        let positions = book.positions.values.sorted { $0.asset < $1.asset }
        try await connection.run(
            """
            SELECT remora_save_book(\(book.cash.micros), \(book.realizedPnl.micros), \(asOf.millis),
                \(positions.map(\.asset)), \(positions.map(\.conditionId.rawValue)), \(positions.map(\.outcomeIndex))::int[],
                \(positions.map(\.shares.micros)), \(positions.map(\.cost.micros)), \(positions.map(\.mark.micros)))
            """, logger: logger)
    }
}
