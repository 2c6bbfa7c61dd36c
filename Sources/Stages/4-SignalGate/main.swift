// signal-gate — three gates on every whale trade: whale qualified now? trade worth copying?
// fits the portfolio? Every verdict is a `signal` row, rejections with stage and reason.
// The whale's score is computed as of the trade's event time from settlements strictly before
// it. In strict event-time mode (the default) the gate also waits until the resolver's watermark
// vouches that all of them are stored: the same world always gives the same verdicts, whatever
// the processes' timing. Live mode decides at once with what is stored.
import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "signal-gate", summary: "gate whale trades, publish `signal`", httpPort: 7414,
    settings: [
        Setting("REMORA_GATE_MIN_SCORE", default: "55", "stage 1: minimum whale score (0-100)", kind: .number(0...100)),
        Setting("REMORA_GATE_MIN_SETTLED", default: "5", "stage 1: minimum settled trades behind the score", kind: .integer(0...1_000_000)),
        Setting("REMORA_GATE_MIN_NOTIONAL", default: "100", "stage 2: minimum trade notional in USDC", kind: .usdc),
        EventTimeMode.setting,
    ]
) { environment in
    let settings = environment.settings
    guard let minimumNotional = USDC(decimal: try settings.string("REMORA_GATE_MIN_NOTIONAL")) else {
        throw ConfigurationError.malformed("REMORA_GATE_MIN_NOTIONAL", "expected a USDC amount like 100 or 25.5")
    }
    let policy = GatePolicy(
        minimumScore: try settings.double("REMORA_GATE_MIN_SCORE", in: 0...100),
        minimumSettledTrades: try settings.int("REMORA_GATE_MIN_SETTLED", in: 0...1_000_000),
        minimumNotional: minimumNotional)
    let strict = try EventTimeMode(settings) == .strict
    let logger = environment.logger
    // The step's reads for all its partitions at once, in prepare; the handler calls only look up.
    let reads = StepReads<GateReads>()
    let consumer = DurableConsumer(
        name: "signal-gate", stream: .trade, payload: Trade.self,
        partitions: try settings.partitions("REMORA_PARTITIONS"), environment: environment,
        prepare: { trades, connection in try await reads.replace { try await gateReads(trades, on: connection, logger: logger) } }
    ) { messages, partition, upstream, _ in
        let step = try reads.current
        let settled = step.settled[partition] ?? EventTime(millis: Int64.min)
        let scores = step.scores
        // Strict mode decides only trades whose earlier settlements are all stored.
        let ready = strict ? Array(messages.prefix { $0.1.timestamp.millis - 1 <= settled.millis }) : messages
        let records = try ready.map { _, trade in
            try StreamRecord(
                stream: .signal, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp,
                payload: SignalGate.evaluate(trade, score: scores[trade.id], policy: policy))
        }
        let consumed = ready.count
        var watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:]
        var caughtUp = true
        if let upstream {
            var mark = min(upstream, settled)
            if consumed < messages.count { mark = min(mark, messages[consumed].1.timestamp.adding(millis: -1)) }
            watermarks[.signal] = ([partition], mark)
            caughtUp = mark >= upstream
        }
        return StepResult(consumed: consumed, records: records, watermarks: watermarks, watermarkCaughtUp: caughtUp)
    }
    try await consumer.run()
}

/// What the gate reads for one step.
struct GateReads: Sendable {
    /// The trade.settled watermark of every partition.
    var settled: [Int: EventTime]
    /// Each trade's whale figures from its settlements strictly before the trade (absent when it has none).
    var scores: [String: WhaleScore]
}

/// The gate's reads for a whole step in one statement: one round trip, and one snapshot, so every
/// settlement a watermark vouches for is counted.
func gateReads(_ trades: [Trade], on connection: PostgresConnection, logger: Logger) async throws -> GateReads {
    let rows = try await connection.query(
        """
        SELECT NULL::text, h.partition, h.watermark, 0::bigint, 0::bigint, 0::bigint, 0::bigint FROM stream_heads h
        WHERE h.stream = \(StreamName.tradeSettled.rawValue)
        UNION ALL
        SELECT q.id, NULL::int, NULL::bigint, s.n, s.wins, s.pnl, s.volume
        FROM unnest(\(trades.map(\.id))::text[], \(trades.map(\.wallet.rawValue))::text[],
                    \(trades.map(\.timestamp.millis))::bigint[]) AS q(id, wallet, t)
        CROSS JOIN LATERAL (
            SELECT count(*)::bigint AS n, (count(*) FILTER (WHERE won))::bigint AS wins,
                   coalesce(sum(realized_pnl_micros), 0)::bigint AS pnl, coalesce(sum(cost_micros), 0)::bigint AS volume
            FROM trade_settlements WHERE wallet = q.wallet AND event_time < q.t
        ) AS s
        WHERE s.n > 0
        """, logger: logger)
    let byId = Dictionary(trades.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    var reads = GateReads(settled: [:], scores: [:])
    for try await (id, partition, watermark, count, wins, pnl, volume) in rows.decode(
        (String?, Int?, Int64?, Int64, Int64, Int64, Int64).self)
    {
        guard let id else {
            if let partition, let watermark { reads.settled[partition] = EventTime(millis: watermark) }
            continue
        }
        guard let trade = byId[id] else { continue }
        let tally = WalletTally(
            settledCount: Int(count), wins: Int(wins), realizedPnl: USDC(micros: pnl), volume: USDC(micros: volume))
        reads.scores[id] = WhaleScore(
            wallet: trade.wallet, asOf: trade.timestamp, settledCount: tally.settledCount, wins: tally.wins,
            realizedPnl: tally.realizedPnl, volume: tally.volume, score: tally.score, method: WalletTally.method)
    }
    return reads
}

import Logging
import PostgresNIO
