import Foundation
import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// The scorer's tables (migration 0011): the current figures per wallet and the daily history.
public enum ScoreStore {
    /// Every figure of a score, in the column order of `wallet_scores`.
    static let columns = """
        wallet, as_of, method, wqs, settled_trades, wins, losses, volume_micros, realized_pnl_micros,
        decayed_win_rate, decayed_volume, bayesian_win_rate, win_rate_low, win_rate_high, base_rate,
        sharpe_30, sharpe_90, sharpe_all, information_ratio, calmar, max_drawdown, current_drawdown,
        consistency, hhi, capital_at_risk, mean_trade_return, trade_return_t, trade_count_penalty,
        concentration_penalty, open_fills, open_cost_micros, unrealized_pnl_micros, edge_count, edge_mean, edge_deviation
        """

    /// The figures of a score that are numbers, in column order from `decayed_win_rate`.
    static func figures(_ m: WalletMetrics) -> [Double] {
        [
            m.decayedWinRate, m.decayedVolume, m.bayesianWinRate, m.winRateInterval.lowerBound, m.winRateInterval.upperBound,
            m.baseRate, m.sharpe30, m.sharpe90, m.sharpeAll, m.informationRatio, m.calmar, m.maxDrawdown, m.currentDrawdown,
            m.consistency, m.hhi, m.averageCapitalAtRisk, m.meanTradeReturn, m.tradeReturnT,
        ]
    }

    /// Stores scores: each wallet's current row (a later `asOf` wins) and its day's row of the
    /// history (the day's latest `asOf` wins), so that replays and out-of-order steps converge.
    public static func save(
        _ scores: [(wallet: WalletAddress, metrics: WalletMetrics)], on connection: PostgresConnection, logger: Logger
    ) async throws {
        guard !scores.isEmpty else { return }
        // One row per conflict key and statement: the latest per wallet, and per wallet and day.
        var current: [WalletAddress: WalletMetrics] = [:]
        var daily: [String: (WalletAddress, WalletMetrics)] = [:]
        for (wallet, m) in scores {
            if current[wallet].map({ $0.asOf <= m.asOf }) ?? true { current[wallet] = m }
            let key = "\(wallet.rawValue):\(m.asOf.dayNumber)"
            if daily[key].map({ $0.1.asOf <= m.asOf }) ?? true { daily[key] = (wallet, m) }
        }
        let updates = columns.split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { $0 != "wallet" }.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        try await connection.query(
            PostgresQuery(unsafeSQL: """
                INSERT INTO wallet_scores (\(columns)) \(values)
                ON CONFLICT (wallet) DO UPDATE SET \(updates) WHERE wallet_scores.as_of <= EXCLUDED.as_of
                """, binds: binds(current.map { ($0.key, $0.value) })), logger: logger)
        try await connection.query(
            PostgresQuery(unsafeSQL: """
                INSERT INTO wallet_score_days (day, \(columns))
                SELECT DATE '1970-01-01' + floor(v.as_of / 86400000.0)::int, v.* FROM (\(values)) AS v(\(columns))
                ON CONFLICT (wallet, day) DO UPDATE SET \(updates) WHERE wallet_score_days.as_of <= EXCLUDED.as_of
                """, binds: binds(Array(daily.values))), logger: logger)
    }

    static let values = """
        SELECT * FROM unnest(
            $1::text[], $2::bigint[], $3::text[], $4::float8[], $5::int[], $6::int[], $7::int[], $8::bigint[], $9::bigint[],
            $10::float8[], $11::float8[], $12::float8[], $13::float8[], $14::float8[], $15::float8[], $16::float8[],
            $17::float8[], $18::float8[], $19::float8[], $20::float8[], $21::float8[], $22::float8[], $23::float8[],
            $24::float8[], $25::float8[], $26::float8[], $27::float8[], $28::bool[], $29::bool[], $30::int[], $31::bigint[],
            $32::bigint[], $33::int[], $34::float8[], $35::float8[])
        """

    static func binds(_ scores: [(WalletAddress, WalletMetrics)]) -> PostgresBindings {
        let m = scores.map(\.1)
        let f = m.map(figures)
        var binds = PostgresBindings()
        binds.append(scores.map(\.0.rawValue))
        binds.append(m.map(\.asOf.millis))
        binds.append(m.map { _ in WalletScoring.method })
        binds.append(m.map(\.wqs))
        binds.append(m.map(\.settledTrades))
        binds.append(m.map(\.wins))
        binds.append(m.map(\.losses))
        binds.append(m.map(\.volume.micros))
        binds.append(m.map(\.realizedPnl.micros))
        for i in 0..<18 { binds.append(f.map { $0[i] }) }
        binds.append(m.map(\.score.tradeCountPenaltyApplied))
        binds.append(m.map(\.score.concentrationPenaltyApplied))
        binds.append(m.map(\.openFills))
        binds.append(m.map(\.openCost.micros))
        binds.append(m.map(\.unrealizedPnl.micros))
        binds.append(m.map(\.edge.count))
        binds.append(m.map(\.edge.mean))
        binds.append(m.map(\.edge.deviation))
        return binds
    }

    /// How many current scores each formula other than `method` wrote (an upgrade leaves the
    /// older ones as they were until `remora rescore`).
    public static func otherMethods(than method: String, store: Store) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        for try await (other, n) in try await store.client.query(
            "SELECT method, count(*) FROM wallet_scores WHERE method <> \(method) GROUP BY 1", logger: store.logger
        ).decode((String, Int64).self) {
            counts[other] = Int(n)
        }
        return counts
    }

    /// Wallets' settlements with event time at or before `upTo`, in (time, trade) order. Fields
    /// are read as columns (several times faster than decoding the JSON payloads); a row they do
    /// not parse is read again whole, by the JSON decoder, which names what is wrong.
    public static func settlements(
        of wallets: [WalletAddress]? = nil, upTo: EventTime? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: [TradeSettlement]] {
        var binds = PostgresBindings()
        binds.append(upTo?.millis ?? Int64.max)
        var filter = "event_time <= $1"
        if let wallets {
            binds.append(wallets.map(\.rawValue))
            filter += " AND wallet = ANY($2)"
        }
        return try await read(where: filter, binds: binds, on: connection, logger: logger)
    }

    static func read(
        from: String = "trade_settlements", where filter: String, binds: PostgresBindings, on connection: PostgresConnection, logger: Logger
    ) async throws -> [WalletAddress: [TradeSettlement]] {
        let query = PostgresQuery(unsafeSQL: """
            SELECT trade_id, wallet, condition_id, category, side, size, price, payout, result, cost, fee, realized_pnl,
                   trade_time, event_time, uid, role
            FROM \(from) WHERE \(filter)
            """, binds: binds)
        let rows = try await connection.query(query, logger: logger)
        let decoder = JSONCoding.decoder
        var byWallet: [WalletAddress: [TradeSettlement]] = [:]
        var unreadable: [String] = []
        for try await row in rows {
            let (id, wallet, condition, category, side, size, price, payout, result, cost, fee, pnl, tradeTime, settledAt, payload, role) =
                try row.decode((String?, String?, String?, String?, String?, String?, String?, String?, String?, String?,
                                String?, String?, String?, Int64, String, String?).self)
            let known: TradeRole? = role.map { TradeRole(rawValue: $0) } ?? TradeRole.unknown
            if let id, let wallet = wallet.map(WalletAddress.init(validated:)), let condition = condition.flatMap(ConditionID.init),
                let category, let side = side.flatMap(Side.init(rawValue:)), let size = size.flatMap({ Shares(decimal: $0) }),
                let price = price.flatMap({ Price(decimal: $0) }), let payout = payout.flatMap({ Price(decimal: $0) }),
                let result = result.flatMap(SettlementResult.init(rawValue:)), let cost = cost.flatMap({ USDC(decimal: $0) }),
                let fee = fee.flatMap({ USDC(decimal: $0) }), let pnl = pnl.flatMap({ USDC(decimal: $0) }),
                let tradeTime = tradeTime.flatMap({ Int64($0) }), let role = known
            {
                let settlement = TradeSettlement(
                    tradeId: id, wallet: wallet, conditionId: condition, category: category, side: side, size: size, price: price,
                    payout: payout, result: result, cost: cost, fee: fee, realizedPnl: pnl,
                    tradeTime: EventTime(millis: tradeTime), settledAt: EventTime(millis: settledAt), role: role)
                byWallet[settlement.wallet, default: []].append(settlement)
            } else {
                unreadable.append(payload)
            }
        }
        if !unreadable.isEmpty {
            let rows = try await connection.query(
                "SELECT payload::text FROM trade_settlements WHERE uid = ANY(\(unreadable))", logger: logger)
            for try await text in rows.decode(String.self) {
                let settlement = try decoder.decode(TradeSettlement.self, from: Data(text.utf8))
                byWallet[settlement.wallet, default: []].append(settlement)
            }
        }
        for key in byWallet.keys { byWallet[key] = WalletMetricsCalculator.inScoringOrder(byWallet[key]!) }
        return byWallet
    }

    /// Wallets' settlements stored at or before the given stream positions (per partition), as
    /// ledger rows: only the figures a score reads, money from the stored integer columns, ids
    /// shared through `names`. By the wallet index; the heads bound what a concurrent writer adds.
    public static func ledgerRows(
        of wallets: [WalletAddress], through heads: [Int: Int64], names: SharedNames, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [WalletAddress: [ScoringLedger.Row]] {
        guard !wallets.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(wallets.map(\.rawValue))
        binds.append(heads.map(\.key))
        binds.append(heads.map(\.value))
        let from = """
            trade_settlements JOIN unnest($2::int[], $3::bigint[]) AS r(p, h) ON partition = r.p AND seq <= r.h
            """
        var totals = CategoryDayTotals()
        return try await readRows(
            from: from, where: "wallet = ANY($1)", binds: binds, names: names, totals: &totals, on: connection, logger: logger)
    }

    /// The settlements of stream positions (after, through] per partition (what was stored
    /// between two reads of the stream heads) as ledger rows, of the wallets `keep` accepts; all
    /// of them are added to `totals`. A join, so that each partition's range is an index range
    /// scan of the primary key.
    public static func ledgerRows(
        between positions: [(partition: Int, after: Int64, through: Int64)], names: SharedNames,
        keep: (WalletAddress) -> Bool = { _ in true }, totals: inout CategoryDayTotals, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [WalletAddress: [ScoringLedger.Row]] {
        guard !positions.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(positions.map(\.partition))
        binds.append(positions.map(\.after))
        binds.append(positions.map(\.through))
        let from = """
            unnest($1::int[], $2::bigint[], $3::bigint[]) AS r(p, a, t)
            JOIN trade_settlements ON partition = r.p AND seq > r.a AND seq <= r.t
            """
        return try await readRows(
            from: from, where: "true", binds: binds, names: names, keep: keep, totals: &totals, on: connection, logger: logger)
    }

    static func readRows(
        from: String, where filter: String, binds: PostgresBindings, names: SharedNames,
        keep: (WalletAddress) -> Bool = { _ in true }, totals: inout CategoryDayTotals, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [WalletAddress: [ScoringLedger.Row]] {
        let query = PostgresQuery(unsafeSQL: """
            SELECT trade_id, wallet, condition_id, category, result, cost_micros, realized_pnl_micros, trade_time, event_time, uid,
                   side, price_micros, payout_micros, role
            FROM \(from) WHERE \(filter)
            """, binds: binds)
        let rows = try await connection.query(query, logger: logger)
        var byWallet: [WalletAddress: [ScoringLedger.Row]] = [:]
        var unreadable: [String] = []
        var local = SharedNames.Local(names)
        for try await row in rows {
            let (id, wallet, condition, category, result, cost, pnl, tradeTime, settledAt, uid, side, price, payout, role) =
                try row.decode(
                    (String?, String?, String?, String?, String?, Int64?, Int64?, String?, Int64, String, String?, Int64?, Int64?,
                     String?).self)
            let known: TradeRole? = role.map { TradeRole(rawValue: $0) } ?? TradeRole.unknown
            guard let wallet = wallet.map(WalletAddress.init(validated:)) else {
                unreadable.append(uid)
                continue
            }
            if let id, let condition = condition.flatMap({ local.market($0) }), let category = category.map({ local.name($0) }),
                let result = result.flatMap(SettlementResult.init(rawValue:)), let cost, let pnl,
                let tradeTime = tradeTime.flatMap({ Int64($0) }), let side = side.flatMap(Side.init(rawValue:)), let price, let payout,
                let role = known
            {
                totals.add(category: category, settledAt: settledAt, result: result, cost: cost, pnl: pnl)
                guard keep(wallet) else { continue }
                byWallet[wallet, default: []].append(ScoringLedger.Row(
                    tradeId: id, conditionId: condition, category: category, result: result, cost: cost, pnl: pnl,
                    tradeTime: tradeTime, settledAt: settledAt,
                    edge: ScoringLedger.Row.edge(side: side, price: price, payout: payout), role: role))
            } else {
                unreadable.append(uid)
            }
        }
        // What the columns do not give is read again whole, by the JSON decoder, which names
        // what is wrong (and fails the step: a settlement is never skipped).
        if !unreadable.isEmpty {
            let rows = try await connection.query(
                "SELECT payload::text FROM trade_settlements WHERE uid = ANY(\(unreadable))", logger: logger)
            for try await text in rows.decode(String.self) {
                let settlement = try JSONCoding.decoder.decode(TradeSettlement.self, from: Data(text.utf8))
                totals.add(
                    category: settlement.category, settledAt: settlement.settledAt.millis, result: settlement.result,
                    cost: settlement.cost.micros, pnl: settlement.realizedPnl.micros)
                guard keep(settlement.wallet) else { continue }
                byWallet[settlement.wallet, default: []].append(ScoringLedger.Row(settlement))
            }
        }
        return byWallet
    }

    /// Every category's settlements summed by UTC day, for the days before `day`.
    public static func categoryDays(
        before day: Int64, on connection: PostgresConnection, logger: Logger
    ) async throws -> [CategoryDay] {
        var binds = PostgresBindings()
        binds.append(day * EventTime.day)
        return try await sumCategoryDays(from: "trade_settlements WHERE event_time < $1", binds: binds, on: connection, logger: logger)
    }

    /// Every category's settlements summed by UTC day, of the stream positions at or before the
    /// heads (per partition): where ``CategoryDayTotals`` kept from the stream starts.
    public static func categoryDays(
        through heads: [Int: Int64], on connection: PostgresConnection, logger: Logger
    ) async throws -> [CategoryDay] {
        var binds = PostgresBindings()
        binds.append(heads.map(\.key))
        binds.append(heads.map(\.value))
        return try await sumCategoryDays(
            from: "trade_settlements JOIN unnest($1::int[], $2::bigint[]) AS r(p, h) ON partition = r.p AND seq <= r.h",
            binds: binds, on: connection, logger: logger)
    }

    private static func sumCategoryDays(
        from: String, binds: PostgresBindings, on connection: PostgresConnection, logger: Logger
    ) async throws -> [CategoryDay] {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                SELECT category, floor(event_time / 86400000.0)::bigint,
                       (count(*) FILTER (WHERE won))::bigint, (count(*) FILTER (WHERE result <> 'void'))::bigint,
                       sum(realized_pnl_micros)::bigint, sum(cost_micros)::bigint
                FROM \(from)
                GROUP BY 1, 2 ORDER BY 1, 2
                """, binds: binds), logger: logger)
        var days: [CategoryDay] = []
        for try await (category, d, wins, decided, pnl, cost) in rows.decode((String, Int64, Int64, Int64, Int64, Int64).self) {
            days.append(CategoryDay(
                category: category, day: d, wins: Int(wins), decided: Int(decided), pnl: USDC(micros: pnl), cost: USDC(micros: cost)))
        }
        return days
    }

    // MARK: open fills and marks

    /// The wallets' fills open at one of the times given for them (traded by it, their market
    /// not resolved by it), with their markets' resolution times: exactly what scores at those
    /// times mark. A step of an out-of-order stream (a backlog settled market by market) spans
    /// months; the fills open somewhere between its first and last time would be most of its
    /// wallets' trades. By the wallet index, once per wallet up to its last time.
    public static func heldFills(
        openAt times: [(wallet: WalletAddress, time: EventTime)], names: SharedNames? = nil, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [WalletAddress: [HeldFill]] {
        guard !times.isEmpty else { return [:] }
        var binds = PostgresBindings()
        binds.append(times.map(\.wallet.rawValue))
        binds.append(times.map(\.time.millis))
        let from = """
            (SELECT w, array_agg(DISTINCT at) AS ats, max(at) AS last FROM unnest($1::text[], $2::bigint[]) AS q(w, at) GROUP BY w) AS q
            JOIN trades t ON t.wallet = q.w AND t.event_time <= q.last
            LEFT JOIN market_resolutions r ON r.uid = t.condition_id
            """
        // Open at the first of the wallet's times at or after the fill's own.
        let filter = "r.event_time IS NULL OR r.event_time > (SELECT min(x) FROM unnest(q.ats) AS x WHERE x >= t.event_time)"
        return try await readFills(from: from, where: filter, binds: binds, names: names, on: connection, logger: logger).fills
    }

    /// The fills of one partition's wallets that may be open at the start of a day in
    /// [`from`, `through`] (traded by `through`, not resolved by `from`), by wallet.
    public static func heldFills(
        partition: Int, openFrom from: EventTime, through: EventTime, names: SharedNames? = nil, on connection: PostgresConnection,
        logger: Logger
    ) async throws -> [WalletAddress: [HeldFill]] {
        var binds = PostgresBindings()
        binds.append(partition)
        binds.append(through.millis)
        binds.append(from.millis)
        return try await readFills(
            where: "t.partition = $1 AND t.event_time <= $2 AND (r.event_time IS NULL OR r.event_time > $3)",
            binds: binds, names: names, on: connection, logger: logger
        ).fills
    }

    /// Per partition, the last day through which the scorer re-scored open fills at their marks.
    public static func markDaysThrough(on connection: PostgresConnection, logger: Logger) async throws -> [Int: Int64] {
        var result: [Int: Int64] = [:]
        for try await (partition, day) in try await connection.query(
            "SELECT partition, through FROM scorer_mark_days", logger: logger
        ).decode((Int, Int64).self) { result[partition] = day }
        return result
    }

    public static func saveMarkDaysThrough(
        _ day: Int64, partition: Int, on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            """
            INSERT INTO scorer_mark_days (partition, through) VALUES (\(partition), \(day))
            ON CONFLICT (partition) DO UPDATE SET through = EXCLUDED.through
            """, logger: logger)
    }

    /// The time of the partition's first settlement, if any.
    public static func firstSettlement(partition: Int, on connection: PostgresConnection, logger: Logger) async throws -> EventTime? {
        for try await first in try await connection.query(
            "SELECT min(event_time) FROM trade_settlements WHERE partition = \(partition)", logger: logger
        ).decode(Int64?.self) { return first.map(EventTime.init(millis:)) }
        return nil
    }

    /// Every stored fill: by wallet, and as marks (read in stream order).
    public static func allFills(on connection: PostgresConnection, logger: Logger) async throws
        -> (fills: [WalletAddress: [HeldFill]], marks: MarketMarks)
    {
        try await readFills(where: "true", binds: PostgresBindings(), on: connection, logger: logger)
    }

    static func readFills(
        from: String = "trades t LEFT JOIN market_resolutions r ON r.uid = t.condition_id", where filter: String,
        binds: PostgresBindings, names: SharedNames? = nil, on connection: PostgresConnection, logger: Logger
    ) async throws -> (fills: [WalletAddress: [HeldFill]], marks: MarketMarks) {
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: """
                SELECT t.uid, t.wallet, t.condition_id, (t.payload->'outcomeIndex')::text, t.payload->>'side',
                       t.payload->>'size', t.payload->>'price', t.event_time, r.event_time, t.payload->>'role'
                FROM \(from)
                WHERE (\(filter)) AND t.payload->>'kind' IS NULL
                ORDER BY t.event_time, t.partition, t.seq
                """, binds: binds), logger: logger)
        var fills: [WalletAddress: [HeldFill]] = [:]
        var marks = MarketMarks()
        for try await (uid, wallet, condition, outcome, side, size, price, time, resolved, role) in rows.decode(
            (String, String?, String?, String?, String?, String?, String?, Int64, Int64?, String?).self)
        {
            guard let wallet = wallet.flatMap(WalletAddress.init),
                let conditionId = condition.flatMap({ raw in names.map { $0.market(raw) } ?? ConditionID(raw) }),
                let outcomeIndex = outcome.flatMap({ Int($0) }), let side = side.flatMap(Side.init(rawValue:)),
                let size = size.flatMap({ Shares(decimal: $0) }), let price = price.flatMap({ Price(decimal: $0) })
            else {
                // Written by the fetcher from a decoded fill, so never expected; skipped alike by
                // the scorer and the rescore, so the two still agree.
                logger.warning("stored trade not readable as a fill: left out of open positions", metadata: ["uid": "\(uid)"])
                continue
            }
            let time = EventTime(millis: time)
            fills[wallet, default: []].append(HeldFill(
                tradeId: uid, conditionId: conditionId, outcomeIndex: outcomeIndex, side: side, size: size, price: price,
                time: time, resolvedAt: resolved.map(EventTime.init(millis:)), role: role.flatMap(TradeRole.init(rawValue:)) ?? .unknown))
            marks.add(conditionId, time: time, outcomeIndex: outcomeIndex, price: price)
        }
        return (fills, marks)
    }

    /// Marks for these markets as of these times: each market's last fill strictly before each
    /// time (a backward scan of trades_condition_time per pair), enough for
    /// ``MarketMarks/mark(_:outcomeIndex:before:)`` at exactly those times.
    public static func marks(
        _ pairs: [(conditionId: ConditionID, before: EventTime)], on connection: PostgresConnection, logger: Logger
    ) async throws -> MarketMarks {
        var marks = MarketMarks()
        guard !pairs.isEmpty else { return marks }
        let rows = try await connection.query(
            """
            SELECT p.c, l.event_time, l.outcome, l.price
            FROM unnest(\(pairs.map(\.conditionId.rawValue))::text[], \(pairs.map(\.before.millis))::bigint[]) AS p(c, b)
            CROSS JOIN LATERAL (
                SELECT max(t.event_time) AS top FROM trades t WHERE t.condition_id = p.c AND t.event_time < p.b
            ) AS n
            CROSS JOIN LATERAL (
                -- The newest fill's instant: the newest row's (from the index alone), unless only
                -- conversions stand there (rare), then the newest fill's before it.
                SELECT CASE
                    WHEN EXISTS (SELECT 1 FROM trades t WHERE t.condition_id = p.c AND t.event_time = n.top AND t.payload->>'kind' IS NULL)
                    THEN n.top
                    ELSE (SELECT t.event_time FROM trades t WHERE t.condition_id = p.c AND t.event_time < n.top AND t.payload->>'kind' IS NULL
                          ORDER BY t.event_time DESC LIMIT 1)
                END AS last
            ) AS m
            CROSS JOIN LATERAL (
                -- Every fill of the last instant: MarketMarks takes their mean, whatever the partitions.
                SELECT t.event_time, (t.payload->'outcomeIndex')::text AS outcome, t.payload->>'price' AS price
                FROM trades t WHERE t.condition_id = p.c AND t.event_time = m.last AND t.payload->>'kind' IS NULL
            ) AS l
            ORDER BY p.c, l.event_time
            """, logger: logger)
        for try await (condition, time, outcome, price) in rows.decode((String, Int64, String?, String?).self) {
            guard let conditionId = ConditionID(condition), let outcomeIndex = outcome.flatMap({ Int($0) }),
                let price = price.flatMap({ Price(decimal: $0) })
            else {
                logger.warning("stored trade not readable as a fill: no mark from it", metadata: ["market": "\(condition)"])
                continue
            }
            marks.add(conditionId, time: EventTime(millis: time), outcomeIndex: outcomeIndex, price: price)
        }
        return marks
    }

    /// A table's rows as text lines sorted (for comparing a rescore with the incremental scorer).
    public static func dump(_ table: String, on connection: PostgresConnection, logger: Logger) async throws -> [String] {
        precondition(["wallet_scores", "wallet_score_days"].contains(table))
        let rows = try await connection.query(
            PostgresQuery(unsafeSQL: "SELECT t::text FROM \(table) t ORDER BY wallet\(table == "wallet_score_days" ? ", day" : "")"),
            logger: logger)
        var lines: [String] = []
        for try await line in rows.decode(String.self) { lines.append(line) }
        return lines
    }
}
