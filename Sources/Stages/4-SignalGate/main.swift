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
    let consumer = DurableConsumer(
        name: "signal-gate", stream: .trade, payload: Trade.self,
        partitions: try settings.partitions("REMORA_PARTITIONS"), environment: environment
    ) { messages, partition, upstream, connection in
        let settled = try await StreamStore.heads(.tradeSettled, on: connection, logger: logger)[partition]?.watermark
            ?? EventTime(millis: Int64.min)
        var records: [StreamRecord] = []
        var consumed = 0
        for (_, trade) in messages {
            // Settlements before this trade may not all be stored yet: wait for the resolver
            // (strict mode; live trading decides with what is stored now).
            guard !strict || trade.timestamp.millis - 1 <= settled.millis else { break }
            let score = try await scoreAsOf(trade.wallet, before: trade.timestamp, on: connection, logger: logger)
            let signal = SignalGate.evaluate(trade, score: score, policy: policy)
            records.append(try StreamRecord(
                stream: .signal, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp, payload: signal))
            consumed += 1
        }
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

/// The whale's figures from its settlements strictly before `time` (nil when it has none).
func scoreAsOf(_ wallet: WalletAddress, before time: EventTime, on connection: PostgresConnection, logger: Logger)
    async throws -> WhaleScore?
{
    let rows = try await connection.query(
        """
        SELECT count(*)::bigint, (count(*) FILTER (WHERE payload->>'result' = 'win'))::bigint,
               coalesce(sum(realized_pnl_micros), 0)::bigint,
               coalesce(sum(((payload->>'cost')::numeric * 1000000)::bigint), 0)::bigint
        FROM trade_settlements WHERE wallet = \(wallet.rawValue) AND event_time < \(time.millis)
        """, logger: logger)
    for try await (count, wins, pnl, volume) in rows.decode((Int64, Int64, Int64, Int64).self) where count > 0 {
        let tally = WalletTally(
            settledCount: Int(count), wins: Int(wins), realizedPnl: USDC(micros: pnl), volume: USDC(micros: volume))
        return WhaleScore(
            wallet: wallet, asOf: time, settledCount: tally.settledCount, wins: tally.wins,
            realizedPnl: tally.realizedPnl, volume: tally.volume, score: tally.score, method: WalletTally.method)
    }
    return nil
}

import Logging
import PostgresNIO
