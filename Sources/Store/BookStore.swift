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
        if let initialCash {
            try await connection.run(
                """
                INSERT INTO portfolio (id, initial_cash_micros, cash_micros, as_of)
                VALUES (1, \(initialCash.micros), \(initialCash.micros), 0) ON CONFLICT (id) DO NOTHING
                """, logger: logger)
        }
        if lock {
            try await connection.run("SELECT 1 FROM portfolio WHERE id = 1 FOR UPDATE", logger: logger)
        }
        let rows = try await connection.query(
            """
            SELECT p.initial_cash_micros, p.cash_micros, p.realized_pnl_micros,
                   x.asset, x.condition_id, x.outcome_index, x.shares_micros, x.cost_micros, x.last_price_micros
            FROM portfolio p LEFT JOIN positions x ON true WHERE p.id = 1
            """, logger: logger)
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
        guard let book else { throw BookError.notInitialised }
        return book
    }

    /// Writes the whole book (it is small: one row per open position).
    public static func save(_ book: Book, asOf: EventTime, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.run(
            """
            UPDATE portfolio SET cash_micros = \(book.cash.micros), realized_pnl_micros = \(book.realizedPnl.micros),
                as_of = GREATEST(as_of, \(asOf.millis)) WHERE id = 1
            """, logger: logger)
        try await connection.run("DELETE FROM positions", logger: logger)
        let positions = book.positions.values.sorted { $0.asset < $1.asset }
        guard !positions.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO positions (asset, condition_id, outcome_index, shares_micros, cost_micros, last_price_micros, updated_at)
            SELECT * FROM unnest(\(positions.map(\.asset))::text[], \(positions.map(\.conditionId.rawValue))::text[],
                \(positions.map(\.outcomeIndex))::int[], \(positions.map(\.shares.micros))::bigint[],
                \(positions.map(\.cost.micros))::bigint[], \(positions.map(\.mark.micros))::bigint[],
                \(Array(repeating: asOf.millis, count: positions.count))::bigint[])
            """, logger: logger)
    }
}
