// sizer — turns each accepted signal into an `order.proposed`: the roadmap's adaptive half-Kelly
// fraction of NAV from what the gate measured (KellySizer, docs/strategy.md). The risk guard
// multiplies in the factors that read our book, caps at 8 % and applies it to the exact NAV.
// A signal Kelly gives nothing to becomes an order of zero, blocked by the risk guard with its
// reason: every accepted signal has its decision downstream.
import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "sizer", summary: "size accepted signals, publish `order.proposed`", httpPort: 7415,
    settings: [MarketDataSettings.copyLag]
) { environment in
    let lag = try MarketDataSettings.copyLag(environment.settings)
    let logger = environment.logger
    let consumer = DurableConsumer(
        name: "sizer", stream: .signal, payload: Signal.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment
    ) { messages, partition, upstream, _ in
        let records = try messages.compactMap { _, signal -> StreamRecord? in
            let order: ProposedOrder
            switch KellySizer.propose(signal, lag: lag) {
            case nil: return nil
            case .success(let sized): order = sized
            case .failure(let why):
                logger.info("no Kelly size", metadata: ["trade": "\(signal.tradeId)", "why": "\(why)"])
                order = ProposedOrder(
                    orderId: "order:" + signal.tradeId, tradeId: signal.tradeId, wallet: signal.wallet,
                    conditionId: signal.conditionId, asset: signal.asset, outcomeIndex: signal.outcomeIndex, side: signal.side,
                    limitPrice: signal.price, fractionPpm: 0, tradeTime: signal.tradeTime,
                    copyAt: lag.copyInstant(ofFillAt: signal.tradeTime))
            }
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
