// sizer — turns each accepted signal into an `order.proposed`: a fraction of NAV. Simplest real
// job: a fixed fraction; adaptive Kelly arrives with the sizer issue. The risk guard applies the
// fraction to the exact NAV of the book when it decides.
import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "sizer", summary: "size accepted signals, publish `order.proposed`", httpPort: 7415,
    settings: [
        Setting("REMORA_SIZER_FRACTION", default: "0.02", "fraction of NAV per copied trade (0-0.08)", kind: .number(0...0.08)),
        MarketDataSettings.copyLag,
    ]
) { environment in
    let lag = try MarketDataSettings.copyLag(environment.settings)
    let fraction = try environment.settings.double("REMORA_SIZER_FRACTION", in: 0...0.08)
    let fractionPpm = Int64((fraction * 1_000_000).rounded())
    let consumer = DurableConsumer(
        name: "sizer", stream: .signal, payload: Signal.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment
    ) { messages, partition, upstream, _ in
        let records = try messages.compactMap { _, signal -> StreamRecord? in
            guard let order = FixedFractionSizer.propose(signal, fractionPpm: fractionPpm, lag: lag) else { return nil }
            // The copy instant is the order's event time: the risk guard decides it against the book then.
            return try StreamRecord(
                stream: .orderProposed, uid: order.orderId, key: order.wallet.rawValue, eventTime: order.copyAt,
                payload: order)
        }
        return StepResult(
            consumed: messages.count, records: records,
            // Every later order is for a fill after `upstream`, so it is copied after `upstream + lag`.
            watermarks: upstream.map { [.orderProposed: ([partition], $0.millis > Int64.min / 2 ? $0.adding(millis: lag.millis) : $0)] } ?? [:])
    }
    try await consumer.run()
}
