import Foundation
import RemoraModel
public import RemoraStore

/// The chain behind one decision as text: `remora explain` prints it, the dashboard's order page
/// shows it.
public enum ExplainText {
    public static func lines(_ chain: ExplainStore.Chain) -> [String] {
        guard let trade = chain.trade else {
            // A sale the risk guard decided itself at a control instant: no whale trade behind it.
            guard let d = chain.decision else { return ["no trade"] }
            return [
                "position control \(d.trigger?.rawValue ?? d.reason) at \(utc(d.decidedAt)): the risk guard's own sale, no whale trade behind it",
                "  whale lot of \(d.wallet.rawValue), token \(d.asset.prefix(24))…, market \(d.conditionId.rawValue)",
            ] + decisionLines(d)
        }
        var lines = [
            "trade \(trade.id)",
            trade.kind == .conversion
                ? "  \(trade.wallet.rawValue) CONVERTED \(trade.size) shares of \"\(trade.outcome)\" (negative risk: into \"Yes\" of the event's other markets; no price), at \(utc(trade.timestamp))"
                : "  \(trade.wallet.rawValue) \(trade.side.rawValue) \(trade.size) shares of \"\(trade.outcome)\" at \(trade.price) (\(trade.notional) USDC), \(trade.role.rawValue), at \(utc(trade.timestamp))",
            "  market \(trade.conditionId.rawValue) \(trade.title.isEmpty ? "" : "— \(trade.title)")",
        ]
        if let stored = chain.storedAt { lines.append("  stored at \(utc(EventTime(millis: stored))) (wall clock)") }
        guard let signal = chain.signal else {
            lines.append("gate: not decided yet (the signal gate waits for the scorer's figures as of the trade)")
            return lines
        }
        lines.append("whale, as of the trade (the scorer's last score before it)")
        if let w = signal.whale {
            lines += [
                "  WQS                  \(fixed(w.wqs, 2)) (\(w.settledTrades) settled trades)",
                "  Sharpe 30 / 90 days  \(fixed(w.sharpe30, 2)) / \(fixed(w.sharpe90, 2))",
                "  drawdown             \(percent(w.currentDrawdown))",
                "  win rate             \(fixed(w.bayesianWinRate, 3)) (95 % from \(fixed(w.winRateLow, 3)); base rate \(fixed(w.baseRate, 3)))",
                "  edge per share       mean \(fixed(w.edge.mean, 4)), sd \(fixed(w.edge.deviation, 4)) over \(w.edge.count)",
            ]
        } else {
            lines.append("  no score before this trade")
        }
        if let m = signal.measures {
            lines.append("trade, at the copy instant \(utc(m.copyAt)) (\(Double(m.copyAt.millis - trade.timestamp.millis) / 1000) s after the fill)")
            if let days = m.daysToEnd { lines.append("  days to the end      \(fixed(days, 1))") }
            if let fee = m.takerFeeBps { lines.append("  taker fee            \(fee) bps") }
            if let mid = m.midpoint { lines.append("  book midpoint        \(mid)") }
            if let fill = m.expectedFillPrice, let slip = m.referenceSlippage {
                lines.append("  reference order      pays \(fill) on average, \(percent(slip)) over the midpoint")
            }
            if let p = m.probability {
                lines.append("  probability          \(fixed(p, 4)) (edge \(m.probabilityEdge.map { fixed($0, 4) } ?? "-"), blend \(m.probabilityBlend.map { fixed($0, 4) } ?? "-"))")
            }
            if let c = signal.copyability { lines.append("  copyability          \(percent(c)) (probability − expected fill − fee per share)") }
            if let v = m.volatility { lines.append("  volatility           \(fixed(v, 4)) a day (EWMA of log returns)") }
        }
        lines.append(
            signal.exit != nil
                ? "verdict: exit — \(signal.detail) (the entry gates do not apply to a whale's sale)"
                : signal.accepted
                ? "verdict: passed the whale and trade gates (\(signal.detail))"
                : "verdict: rejected at the \(signal.stage.rawValue) gate: \(signal.reason) — \(signal.detail)")
        guard signal.accepted else { return lines }
        guard let order = chain.order else {
            lines.append("sizer: not sized yet")
            return lines
        }
        lines.append("sizer")
        if let exit = order.exitFractionPpm {
            lines.append("  exit: sell \(Double(exit) / 10_000) % of what the book holds from this whale, at \(utc(order.copyAt))")
        } else if let k = order.kelly {
            lines += [
                "  p \(fixed(k.probability, 4)), net odds \(fixed(k.netOdds, 4)) → full Kelly \(fixed(k.fullKelly, 4))",
                "  × ½ × confidence \(fixed(k.confidence, 3)) × volatility \(fixed(k.volatility, 3)) = \(percent(k.fraction)) of NAV",
            ]
        } else {
            lines.append("  no Kelly size: the order is 0 (no edge at the expected fill)")
        }
        if order.exitFractionPpm == nil {
            lines.append("  order \(order.orderId.prefix(30))… for \(Double(order.fractionPpm) / 10_000) % of NAV at \(utc(order.copyAt))")
        }
        guard let d = chain.decision else {
            lines.append("risk guard: not decided yet")
            return lines
        }
        return lines + decisionLines(d)
    }

    static func decisionLines(_ d: OrderDecision) -> [String] {
        var lines: [String] = []
        lines.append("risk guard (NAV before \(d.navBefore) USDC\(d.bookDrawdown.map { ", \(percent($0)) below its peak" } ?? ""))")
        if let rho = d.correlation { lines.append("  largest correlation with the book \(fixed(rho, 3))") }
        if d.status == .filled {
            lines.append(
                "  \(d.side == .sell ? "sold" : "filled") \(d.fillShares) shares for \(d.fillNotional) USDC at \(d.fillPrice) on average (\(d.reason))")
            if let detail = d.detail { lines.append("  \(detail)") }
            if let mid = d.bookMidpoint, let bps = d.slippageBps { lines.append("  book midpoint \(mid): \(fixed(bps, 1)) bps of slippage") }
            if d.reason == "partial_fill" { lines.append("  the book could not take \(d.unfilledNotional) USDC of it") }
        } else {
            lines.append("  blocked: \(d.reason)\(d.detail.map { " — \($0)" } ?? "")")
        }
        return lines
    }

    public static func utc(_ time: EventTime) -> String { time.utcText }

    public static func fixed(_ value: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", value) }
    public static func percent(_ fraction: Double) -> String { String(format: "%.2f %%", fraction * 100) }
}
