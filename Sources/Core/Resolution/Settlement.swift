public import RemoraModel

/// Settling one fill against its market's result: win, loss or void, and the fill's own P&L held
/// to resolution — the per-trade return the scorer learns from. The wallet's books (sales
/// realized at the sale price against the average cost) are ``AverageCostLedger``'s.
public enum Settlement {
    /// Polymarket's taker fee: `shares × rate × p × (1 − p)`, rounded once to the micro-USDC.
    public static func takerFee(size: Shares, price: Price, feePpm: Int64) -> USDC {
        guard feePpm > 0 else { return .zero }
        // p × (1 − p) × rate in units of 1e-18 USDC per share: at most 0.25 × 1e6 × 1e12, fits Int64.
        let perShare = price.micros * (microsPerUnit - price.micros) * feePpm
        let (quotient, remainder) = Int64(1_000_000_000_000_000_000).dividingFullWidth(size.micros.multipliedFullWidth(by: perShare))
        let roundUp = remainder != 0 && remainder.magnitude * 2 >= 1_000_000_000_000_000_000
        return USDC(micros: roundUp ? quotient + (size.micros < 0 ? -1 : 1) : quotient)
    }

    /// Win, loss or void and the P&L of one fill held to resolution: a buy earns size × (payout −
    /// price), a sell size × (price − payout). The market's taker fee is charged to taker fills
    /// (and to fills whose role is unknown); makers pay none.
    public static func settle(
        _ trade: Trade, market: Market?, resolution: MarketResolution
    ) -> TradeSettlement {
        let payout = resolution.outcome.payout(forOutcome: trade.outcomeIndex)
        let fee = trade.role.paysTakerFee ? takerFee(size: trade.size, price: trade.price, feePpm: market?.takerFeePpm ?? 0) : .zero
        let edge = trade.side == .buy ? payout - trade.price : trade.price - payout
        let gross = trade.size.value(at: Price(micros: abs(edge.micros)))
        let signedGross = edge.micros < 0 ? -gross : gross
        let result: SettlementResult
        switch resolution.outcome {
        case .void: result = .void
        case .winner(let index):
            result = (index == trade.outcomeIndex) == (trade.side == .buy) ? .win : .loss
        }
        return TradeSettlement(
            tradeId: trade.id, wallet: trade.wallet, conditionId: trade.conditionId,
            category: market?.category ?? "other", side: trade.side, size: trade.size, price: trade.price,
            payout: payout, result: result, cost: trade.notional, fee: fee, realizedPnl: signedGross - fee,
            tradeTime: trade.timestamp, settledAt: max(resolution.resolvedAt, trade.timestamp))
    }
}
