public import RemoraModel
import RemoraQuant

/// The sizer: the roadmap's adaptive half-Kelly on what the gate measured (docs/strategy.md),
/// through the quant library's ``AdaptiveKelly``. The factors that read our book — correlation,
/// drawdown — and the 8 % cap are the risk guard's; here they are neutral (ρ = 0, drawdown 0).
public enum KellySizer {
    /// Why an accepted signal got no order.
    public enum NoOrder: Error, Sendable, Hashable, CustomStringConvertible {
        /// The signal carries no probability or expected fill price (it was not gated on the market).
        case unmeasured
        /// f* ≤ 0 at the expected fill price.
        case noEdge(fullKelly: Double)
        case invalid(String)

        public var description: String {
            switch self {
            case .unmeasured: "the signal carries no probability or fill price"
            case .noEdge(let f): "no edge at the expected fill price (f* = \(f))"
            case .invalid(let why): why
            }
        }
    }

    /// The sizer's half of the Kelly size of an accepted signal, or why there is none.
    public static func factors(_ signal: Signal) -> Result<KellyFactors, NoOrder> {
        guard let measures = signal.measures, let p = measures.probability, let fill = measures.expectedFillPrice else {
            return .failure(.unmeasured)
        }
        let price = fill.doubleValue
        let feePerShare = Double(measures.takerFeeBps ?? 0) / 10_000 * price * (1 - price)
        do {
            let odds = try AdaptiveKelly.netOdds(forPrice: min(0.999_999, price + feePerShare))
            let sizing = try AdaptiveKelly.sizing(KellyInputs(
                winProbability: p, netOdds: odds, whaleScore: signal.whaleScore ?? 0,
                marketVolatility: measures.volatility ?? 0, portfolioCorrelation: 0, portfolioDrawdown: 0))
            guard sizing.fullKelly > 0 else { return .failure(.noEdge(fullKelly: sizing.fullKelly)) }
            // Unknown volatility counts as none, the factor's neutral value (1), not its best (1.2).
            let volatility = measures.volatility == nil ? 1 : sizing.volatilityFactor
            return .success(KellyFactors(
                probability: p, netOdds: odds, fullKelly: sizing.fullKelly, confidence: sizing.confidenceFactor,
                volatility: volatility, fraction: 0.5 * sizing.fullKelly * sizing.confidenceFactor * volatility))
        } catch {
            return .failure(.invalid("\(error)"))
        }
    }

    /// The order for an accepted signal: its event time is the copy instant (the sizer's own lag,
    /// which its watermark promises; the gate measured at the same lag), its fraction the
    /// Kelly fraction in parts per million (rounded down: never more than the rule allows).
    public static func propose(_ signal: Signal, lag: CopyLag) -> Result<ProposedOrder, NoOrder>? {
        guard signal.accepted else { return nil }
        if let exit = signal.exit {
            // An exit is sized from the position held, not from NAV: the whale's proportion.
            return .success(ProposedOrder(
                orderId: "order:" + signal.tradeId, tradeId: signal.tradeId, wallet: signal.wallet,
                conditionId: signal.conditionId, asset: exit.asset ?? signal.asset,
                outcomeIndex: exit.outcomeIndex ?? signal.outcomeIndex, side: .sell,
                // The other outcome's price is the complement of the bought one's.
                limitPrice: exit.asset == nil ? signal.price : Price(micros: microsPerUnit - signal.price.micros),
                fractionPpm: 0, tradeTime: signal.tradeTime,
                copyAt: lag.copyInstant(ofFillAt: signal.tradeTime), exitFractionPpm: exit.fractionPpm))
        }
        return factors(signal).map { kelly in
            ProposedOrder(
                orderId: "order:" + signal.tradeId, tradeId: signal.tradeId, wallet: signal.wallet,
                conditionId: signal.conditionId, asset: signal.asset, outcomeIndex: signal.outcomeIndex, side: signal.side,
                limitPrice: signal.price, fractionPpm: Int64((kelly.fraction * 1_000_000).rounded(.down)),
                tradeTime: signal.tradeTime, copyAt: lag.copyInstant(ofFillAt: signal.tradeTime),
                kelly: kelly)
        }
    }
}
