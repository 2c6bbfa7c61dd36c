public import RemoraModel

/// The sizer's simplest real job: a fixed fraction of NAV per copied trade. Adaptive Kelly
/// (issue "Sizer") replaces the fraction; the risk guard applies it to the exact NAV.
public enum FixedFractionSizer {
    /// The order's event time is the copy instant: the whale's fill time plus `lag`.
    public static func propose(_ signal: Signal, fractionPpm: Int64, lag: CopyLag = .standard) -> ProposedOrder? {
        guard signal.accepted else { return nil }
        return ProposedOrder(
            orderId: "order:" + signal.tradeId, tradeId: signal.tradeId, wallet: signal.wallet,
            conditionId: signal.conditionId, asset: signal.asset, outcomeIndex: signal.outcomeIndex, side: signal.side,
            limitPrice: signal.price, fractionPpm: fractionPpm, tradeTime: signal.tradeTime,
            copyAt: lag.copyInstant(ofFillAt: signal.tradeTime))
    }
}
