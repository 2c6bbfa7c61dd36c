// signal-gate — the whale and trade gates on every whale trade (SignalGate, docs/strategy.md):
// is the whale qualified now, on the scorer's figures as of the trade? is the trade worth copying,
// on the market at the copy instant? Every verdict is a `signal` row with what it measured,
// rejections with stage and reason. The portfolio gate reads our book, so it runs in the risk
// guard. In strict event-time mode (the default) a trade waits until the scorer's watermark
// vouches for every score before it: the same world always gives the same verdicts, whatever the
// processes' timing. Live mode decides at once with what is stored, and never copies a fill
// detected later than REMORA_GATE_MAX_SIGNAL_AGE_S after it happened.
import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "signal-gate", summary: "gate whale trades, publish `signal`", httpPort: 7414,
    settings: GateSettings.settings + [EventTimeMode.setting, MarketDataSettings.copyLag] + MarketDataSettings.settings
) { environment in
    let settings = environment.settings
    let mode = try EventTimeMode(settings)
    let policy = try GateSettings.policy(settings, mode: mode)
    let lag = try MarketDataSettings.copyLag(settings)
    let marketData = try MarketDataSettings.source(environment, mode: mode)
    let logger = environment.logger
    // Read before each step's transaction: the whales' figures, then the market for the trades
    // the whale gate and the cheap trade checks let through.
    let reads = StepReads<GateReads>()
    let consumer = DurableConsumer(
        name: "signal-gate", stream: .trade, payload: Trade.self,
        partitions: try settings.partitions("REMORA_PARTITIONS"), environment: environment,
        prefetch: { messages in
            try await reads.replace {
                try await GateReads.read(
                    messages, policy: policy, mode: mode, lag: lag, marketData: marketData, store: environment.store, logger: logger)
            }
        }
    ) { messages, partition, upstream, _ in
        let step = try reads.current
        let scored = step.scored.watermarks[partition] ?? EventTime(millis: Int64.min)
        // Strict mode decides only trades whose whale's earlier scores are all stored — and waits
        // for the scorer's watermark to reach the trade's own instant, not just before it: that
        // watermark stays below the first trade of any market the resolver has not read yet, so
        // the trade's market terms are stored by then.
        let ready = mode == .strict ? Array(messages.prefix { $0.1.timestamp.millis <= scored.millis }) : messages
        let records = try ready.map { message, trade in
            try StreamRecord(
                stream: .signal, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp,
                payload: step.verdict(trade, detectedAt: message.producedAt))
        } + step.alerts(for: ready.map(\.1))
        let consumed = ready.count
        var watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:]
        var caughtUp = true
        if let upstream {
            var mark = min(upstream, scored)
            // Below every trade held back, not only the first: a stream's order is its writers'
            // (a backfill stores wallet after wallet), not event time.
            if let held = messages[consumed...].map(\.1.timestamp).min() { mark = min(mark, held.adding(millis: -1)) }
            watermarks[.signal] = ([partition], mark)
            caughtUp = mark >= upstream
        }
        return StepResult(consumed: consumed, records: records, watermarks: watermarks, watermarkCaughtUp: caughtUp)
    }
    try await consumer.run()
}
