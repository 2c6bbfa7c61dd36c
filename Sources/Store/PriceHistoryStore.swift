import Logging
public import PostgresNIO
public import RemoraCore
public import RemoraModel

/// Stored price series (`price_points`, `price_coverage`, migration 0019): what the CLOB said of
/// a token's past, kept so it is fetched once.
public enum PriceHistoryStore {
    /// The stored interval of a series, if any.
    public static func coverage(
        token: TokenID, fidelity: Int, on connection: PostgresConnection, logger: Logger
    ) async throws -> ClosedRange<EventTime>? {
        let rows = try await connection.query(
            "SELECT from_ms, through_ms FROM price_coverage WHERE token = \(token) AND fidelity = \(fidelity)", logger: logger)
        for try await (from, through) in rows.decode((Int64, Int64).self) {
            return EventTime(millis: from)...EventTime(millis: through)
        }
        return nil
    }

    /// Stores `points` and sets the series' coverage to `covered` (which must include what was
    /// stored before), in one statement: the points and the claim that they are complete land
    /// together or not at all.
    public static func store(
        token: TokenID, fidelity: Int, points: [PricePoint], covered: ClosedRange<EventTime>,
        on connection: PostgresConnection, logger: Logger
    ) async throws {
        try await connection.run(
            """
            WITH stored AS (
                INSERT INTO price_points (token, fidelity, t, price_micros)
                SELECT \(token), \(fidelity), t, p FROM unnest(\(points.map(\.time.millis))::bigint[], \(points.map(\.price.micros))::bigint[]) AS x(t, p)
                ON CONFLICT DO NOTHING
                RETURNING 1
            )
            INSERT INTO price_coverage (token, fidelity, from_ms, through_ms)
            SELECT \(token), \(fidelity), \(covered.lowerBound.millis), \(covered.upperBound.millis)
            FROM (SELECT count(*) FROM stored) s
            ON CONFLICT (token, fidelity) DO UPDATE SET
                from_ms = least(price_coverage.from_ms, EXCLUDED.from_ms),
                through_ms = greatest(price_coverage.through_ms, EXCLUDED.through_ms)
            """, logger: logger)
    }

    /// The stored points of a series inside `range`, in time order.
    public static func points(
        token: TokenID, fidelity: Int, in range: ClosedRange<EventTime>, on connection: PostgresConnection, logger: Logger
    ) async throws -> [PricePoint] {
        let rows = try await connection.query(
            """
            SELECT t, price_micros FROM price_points
            WHERE token = \(token) AND fidelity = \(fidelity) AND t BETWEEN \(range.lowerBound.millis) AND \(range.upperBound.millis)
            ORDER BY t
            """, logger: logger)
        var points: [PricePoint] = []
        for try await (t, price) in rows.decode((Int64, Int64).self) {
            points.append(PricePoint(time: EventTime(millis: t), price: Price(micros: price)))
        }
        return points
    }
}

/// Market terms by the time they were seen (`market_terms`, migration 0019).
public enum MarketTermsStore {
    /// Appends `terms` unless the version in force at its `seenAt` says the same.
    public static func record(_ seen: MarketTerms, on connection: PostgresConnection, logger: Logger) async throws {
        if let current = try await Self.terms(of: seen.conditionId, at: seen.seenAt, on: connection, logger: logger),
            current.sameTerms(as: seen)
        {
            return
        }
        try await connection.run(
            """
            INSERT INTO market_terms (condition_id, seen_at, end_date, closed_at, accepting_orders, taker_fee_bps,
                                      tick_micros, minimum_order_micros)
            VALUES (\(seen.conditionId.rawValue), \(seen.seenAt.millis), \(seen.endDate?.millis), \(seen.closedAt?.millis),
                    \(seen.acceptingOrders), \(seen.takerFeeBps), \(seen.tick.micros), \(seen.minimumOrder.micros))
            ON CONFLICT (condition_id, seen_at) DO NOTHING
            """, logger: logger)
    }

    /// Appends each of `sightings` that differs from the version in force at its `seenAt`, in
    /// one statement (the resolver records every market it reads, every pass).
    public static func record(_ sightings: [MarketTerms], on connection: PostgresConnection, logger: Logger) async throws {
        guard !sightings.isEmpty else { return }
        try await connection.run(
            """
            INSERT INTO market_terms (condition_id, seen_at, end_date, closed_at, accepting_orders, taker_fee_bps,
                                      tick_micros, minimum_order_micros)
            SELECT u.c, u.s, nullif(u.e, \(Int64.min)), nullif(u.cl, \(Int64.min)), u.a, u.f, u.t, u.m
            FROM unnest(\(sightings.map(\.conditionId.rawValue))::text[], \(sightings.map(\.seenAt.millis))::bigint[],
                        \(sightings.map { $0.endDate?.millis ?? Int64.min })::bigint[], \(sightings.map { $0.closedAt?.millis ?? Int64.min })::bigint[],
                        \(sightings.map(\.acceptingOrders))::boolean[], \(sightings.map(\.takerFeeBps))::int[],
                        \(sightings.map(\.tick.micros))::bigint[], \(sightings.map(\.minimumOrder.micros))::bigint[])
                 AS u(c, s, e, cl, a, f, t, m)
            WHERE NOT EXISTS (
                SELECT 1 FROM (SELECT * FROM market_terms x WHERE x.condition_id = u.c AND x.seen_at <= u.s
                               ORDER BY x.seen_at DESC LIMIT 1) last
                WHERE last.end_date IS NOT DISTINCT FROM nullif(u.e, \(Int64.min))
                  AND last.closed_at IS NOT DISTINCT FROM nullif(u.cl, \(Int64.min))
                  AND last.accepting_orders = u.a AND last.taker_fee_bps = u.f AND last.tick_micros = u.t
                  AND last.minimum_order_micros = u.m)
            ON CONFLICT (condition_id, seen_at) DO NOTHING
            """, logger: logger)
    }

    /// Every stored version of the terms of `markets` (the risk guard's controls read the terms
    /// as known at each control instant, ``MarketSchedule``).
    public static func schedule(
        of markets: some Sequence<ConditionID>, on connection: PostgresConnection, logger: Logger
    ) async throws -> MarketSchedule {
        let wanted = Array(Set(markets.map(\.rawValue)))
        guard !wanted.isEmpty else { return MarketSchedule() }
        let rows = try await connection.query(
            """
            SELECT condition_id, seen_at, end_date, closed_at, accepting_orders, taker_fee_bps, tick_micros, minimum_order_micros
            FROM market_terms WHERE condition_id = ANY(\(wanted)::text[])
            """, logger: logger)
        var versions: [ConditionID: [MarketTerms]] = [:]
        for try await (condition, seen, end, closed, accepting, fee, tick, minimum) in rows.decode(
            (String, Int64, Int64?, Int64?, Bool, Int, Int64, Int64).self)
        {
            guard let market = ConditionID(condition) else { continue }
            versions[market, default: []].append(MarketTerms(
                conditionId: market, seenAt: EventTime(millis: seen), endDate: end.map(EventTime.init(millis:)),
                closedAt: closed.map(EventTime.init(millis:)), acceptingOrders: accepting, takerFeeBps: fee,
                tick: Price(micros: tick), minimumOrder: Shares(micros: minimum)))
        }
        return MarketSchedule(versions)
    }

    /// The version in force at `time`: the last one seen at or before it; when none was seen by
    /// then, the first one seen after, as it stood at `time` (``MarketTerms/projected(to:)``).
    public static func terms(
        of market: ConditionID, at time: EventTime, on connection: PostgresConnection, logger: Logger
    ) async throws -> MarketTerms? {
        let rows = try await connection.query(
            """
            (SELECT seen_at, end_date, closed_at, accepting_orders, taker_fee_bps, tick_micros, minimum_order_micros
             FROM market_terms WHERE condition_id = \(market.rawValue) AND seen_at <= \(time.millis)
             ORDER BY seen_at DESC LIMIT 1)
            UNION ALL
            (SELECT seen_at, end_date, closed_at, accepting_orders, taker_fee_bps, tick_micros, minimum_order_micros
             FROM market_terms WHERE condition_id = \(market.rawValue) AND seen_at > \(time.millis)
             ORDER BY seen_at LIMIT 1)
            ORDER BY 1
            """, logger: logger)
        for try await (seen, end, closed, accepting, fee, tick, minimum) in rows.decode(
            (Int64, Int64?, Int64?, Bool, Int, Int64, Int64).self)
        {
            // The first row is the one seen by `time` when there is one.
            return MarketTerms(
                conditionId: market, seenAt: EventTime(millis: seen), endDate: end.map(EventTime.init(millis:)),
                closedAt: closed.map(EventTime.init(millis:)), acceptingOrders: accepting, takerFeeBps: fee,
                tick: Price(micros: tick), minimumOrder: Shares(micros: minimum)
            ).projected(to: time)
        }
        return nil
    }
}
