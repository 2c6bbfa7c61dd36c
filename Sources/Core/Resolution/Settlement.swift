public import RemoraModel

/// Settling one fill against its market's result: win, loss or void, and the fill's own P&L held
/// to resolution — the per-trade return the scorer learns from. The wallet's books (sales
/// realized at the sale price against the average cost) are ``AverageCostLedger``'s.
public enum Settlement {
    /// Polymarket's taker fee: `shares × rate × p × (1 − p)`, truncated once to the micro-USDC
    /// (the money policy: every amount from a product truncates toward zero). Inputs are bounded
    /// where they enter (price inside (0, 1), rate ≤ 10⁶ ppm, size ≤ 10⁹ shares), so nothing
    /// overflows; outside those bounds the fee is zero rather than a trap.
    public static func takerFee(size: Shares, price: Price, feePpm: Int64) -> USDC {
        guard feePpm > 0, feePpm <= 1_000_000, price.micros > 0, price.micros < microsPerUnit, size.micros >= 0 else {
            return .zero
        }
        // p × (1 − p) × rate in units of 1e-18 USDC per share: at most 0.25 × 1e12 × 1e6, fits Int64.
        let perShare = price.micros * (microsPerUnit - price.micros) * feePpm
        return USDC(micros: mulDivTruncated(size.micros, perShare, 1_000_000_000_000_000_000))
    }

    /// Win, loss or void and the P&L of one fill held to resolution: a buy earns size × (payout −
    /// price), a sell size × (price − payout). The market's taker fee is charged to taker fills
    /// (and to fills whose role is unknown); makers pay none.
    public static func settle(
        _ trade: Trade, market: Market?, resolution: MarketResolution
    ) -> TradeSettlement {
        let payout = resolution.outcome.payout(forOutcome: trade.outcomeIndex)
        let fee = trade.role.paysTakerFee ? takerFee(size: trade.size, price: trade.price, feePpm: market?.takerFeePpm ?? 0) : .zero
        // The two legs valued apart, each truncated as the ledger values them, so that a
        // position's settlements add up to its books to the micro-USDC.
        let paidOut = trade.size.value(at: payout)
        let signedGross = trade.side == .buy ? paidOut - trade.notional : trade.notional - paidOut
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
            tradeTime: trade.timestamp, settledAt: max(resolution.resolvedAt, trade.timestamp), role: trade.role)
    }
}
