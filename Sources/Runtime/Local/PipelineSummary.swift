import Foundation
import Logging
import PostgresNIO
public import RemoraModel
public import RemoraStore
import RemoraCore

/// What the demo prints at the end, read from PostgreSQL (the truth), and the drain check.
public struct PipelineSummary: Sendable, Equatable {
    public var trades = 0
    /// Negative-risk conversions stored, and those followed out (accepted exits).
    public var conversions = 0
    public var conversionExits = 0
    public var settled = 0
    public var walletsScored = 0
    /// Rows of the daily score history, and the best current WQS with its wallet.
    public var scoreDays = 0
    public var topScore: String = "none"
    public var signalsPassed = 0
    /// Whale sales mirrored (`exit` signals), and the exits that sold something.
    public var exits = 0
    public var exitFills = 0
    /// The edge left after lag, slippage and fee of what passed: mean, lowest, highest ("none").
    public var copyability = "none"
    /// The Kelly fraction the sizer proposed, mean over orders, before the risk guard's cap.
    public var kelly = "none"
    public var rejections: [String: Int] = [:]  // "stage/reason" → count
    /// Whales the gate found quarantined (alerts), and releases.
    public var quarantined = 0
    public var released = 0
    public var orders = 0
    public var fills = 0
    /// What the paper fills paid over the book's midpoint, notional-weighted, in bps ("none" without fills).
    public var slippage = "none"
    /// Taker fees the paper fills paid.
    public var fees = USDC.zero
    public var blocked: [String: Int] = [:]
    /// Sales the risk guard decided itself at control instants, by trigger (stop, time_exit):
    /// filled, and blocked (its reason in the decision). Not counted among the orders above.
    public var controlFills: [String: Int] = [:]
    public var controlBlocked: [String: Int] = [:]
    /// The book's trading state now, its mVaR at the decisions, and its changes (alerts).
    public var tradingState = "none"
    public var stateChanges: [String] = []
    /// The audit chain's length and head (the same in every run of the same world in strict mode).
    public var audit = "empty"
    public var nav = USDC.zero
    public var cash = USDC.zero
    public var realizedPnl = USDC.zero
    public var unrealizedPnl = USDC.zero
    public var openPositions = 0
    public var deadLetters = 0
    /// The attributor's lines: returns against the copy-all benchmark, attribution, performance.
    public var attribution: [String] = []

    public init() {}

    public static func read(_ store: Store) async throws -> PipelineSummary {
        let logger = store.logger
        return try await store.transaction { connection in
            var summary = PipelineSummary()
            func count(_ sql: PostgresQuery) async throws -> Int {
                for try await value in try await connection.query(sql, logger: logger).decode(Int64.self) { return Int(value) }
                return 0
            }
            summary.trades = try await count("SELECT count(*) FROM trades WHERE payload->>'kind' IS NULL")
            summary.conversions = try await count("SELECT count(*) FROM trades WHERE payload->>'kind' = 'conversion'")
            summary.conversionExits = try await count(
                "SELECT count(*) FROM signals s JOIN trades t ON t.uid = s.uid WHERE t.payload->>'kind' = 'conversion' AND s.accepted")
            summary.settled = try await count("SELECT count(*) FROM trade_settlements")
            summary.walletsScored = try await count("SELECT count(*) FROM wallet_scores")
            summary.scoreDays = try await count("SELECT count(*) FROM wallet_score_days")
            for try await (wallet, wqs, trades) in try await connection.query(
                "SELECT wallet, wqs, settled_trades FROM wallet_scores ORDER BY wqs DESC, wallet LIMIT 1", logger: logger
            ).decode((String, Double, Int).self) {
                summary.topScore = String(format: "%.1f", wqs) + " (\(wallet), \(trades) settled trades)"
            }
            summary.signalsPassed = try await count("SELECT count(*) FROM signals WHERE accepted AND reason = 'passed'")
            summary.exits = try await count("SELECT count(*) FROM signals WHERE accepted AND reason = 'exit'")
            summary.exitFills = try await count("SELECT count(*) FROM order_decisions WHERE status = 'filled' AND payload->>'side' = 'SELL' AND NOT payload ? 'trigger'")
            for try await (stage, reason, n) in try await connection.query(
                "SELECT stage, reason, count(*) FROM signals WHERE NOT accepted GROUP BY 1, 2", logger: logger
            ).decode((String, String, Int64).self) {
                summary.rejections["\(stage)/\(reason)"] = Int(n)
            }
            for try await (held, freed) in try await connection.query(
                """
                SELECT count(DISTINCT key) FILTER (WHERE payload->>'code' = 'whale_quarantined'),
                       count(*) FILTER (WHERE payload->>'code' = 'whale_released')
                FROM alerts
                """, logger: logger
            ).decode((Int64, Int64).self) {
                summary.quarantined = Int(held)
                summary.released = Int(freed)
            }
            for try await (mean, low, high) in try await connection.query(
                """
                SELECT avg((payload->>'copyability')::float8), min((payload->>'copyability')::float8),
                       max((payload->>'copyability')::float8)
                FROM signals WHERE accepted AND payload ? 'copyability'
                """, logger: logger
            ).decode((Double?, Double?, Double?).self) {
                if let mean, let low, let high {
                    summary.copyability = String(format: "%.2f %% mean (%.2f %% to %.2f %%)", mean * 100, low * 100, high * 100)
                }
            }
            for try await (mean, zero) in try await connection.query(
                "SELECT avg((payload->>'fractionPpm')::float8), count(*) FILTER (WHERE (payload->>'fractionPpm')::bigint = 0) FROM orders WHERE NOT payload ? 'exitFractionPpm'",
                logger: logger
            ).decode((Double?, Int64).self) {
                if let mean { summary.kelly = String(format: "%.2f %% of NAV mean (%d sized 0)", mean / 10_000, zero) }
            }
            summary.orders = try await count("SELECT count(*) FROM orders")
            summary.fills = try await count("SELECT count(*) FROM order_decisions WHERE status = 'filled' AND NOT payload ? 'trigger'")
            // Σ (average price − midpoint) × shares over Σ midpoint × shares: what crossing the
            // spread and walking the depth cost, against the value at the midpoint.
            for try await (bps, partial) in try await connection.query(
                """
                SELECT (sum(CASE WHEN payload->>'side' = 'SELL' THEN -1 ELSE 1 END
                            * ((payload->>'fillPrice')::numeric - (payload->>'bookMidpoint')::numeric) * (payload->>'fillShares')::numeric)
                        / nullif(sum((payload->>'bookMidpoint')::numeric * (payload->>'fillShares')::numeric), 0) * 10000)::float8,
                       count(*) FILTER (WHERE reason = 'partial_fill')
                FROM order_decisions WHERE status = 'filled' AND payload ? 'bookMidpoint'
                """, logger: logger
            ).decode((Double?, Int64).self) {
                if let bps {
                    summary.slippage = String(format: "%.1f bps over the midpoint (notional-weighted; %d partial)", bps, partial)
                }
            }
            for try await (reason, n) in try await connection.query(
                "SELECT reason, count(*) FROM order_decisions WHERE status = 'blocked' AND NOT payload ? 'trigger' GROUP BY 1", logger: logger
            ).decode((String, Int64).self) {
                summary.blocked[reason] = Int(n)
            }
            for try await (trigger, filled, n) in try await connection.query(
                "SELECT payload->>'trigger', status = 'filled', count(*) FROM order_decisions WHERE payload ? 'trigger' GROUP BY 1, 2",
                logger: logger
            ).decode((String, Bool, Int64).self) {
                if filled { summary.controlFills[trigger] = Int(n) } else { summary.controlBlocked[trigger] = Int(n) }
            }
            for try await micros in try await connection.query(
                "SELECT coalesce(sum(((payload->>'fee')::numeric * 1000000)::bigint), 0)::bigint FROM order_decisions WHERE status = 'filled'",
                logger: logger
            ).decode(Int64.self) {
                summary.fees = USDC(micros: micros)
            }
            var state = "ACTIVE"
            for try await (measured, halted) in try await connection.query(
                "SELECT measured_state, halt_action IS NOT NULL FROM portfolio WHERE id = 1", logger: logger
            ).decode((String, Bool).self) {
                state = halted ? "HALTED" : measured
            }
            for try await (median, high, n) in try await connection.query(
                """
                SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY (payload->>'bookVaR')::float8),
                       max((payload->>'bookVaR')::float8), count(*)
                FROM order_decisions WHERE payload ? 'bookVaR'
                """, logger: logger
            ).decode((Double?, Double?, Int64).self) {
                if let median, let high {
                    summary.tradingState = "\(state) now; mVaR at \(n) decisions: "
                        + String(format: "median %.2f %%, max %.2f %% of NAV", median * 100, high * 100)
                } else {
                    summary.tradingState = "\(state) now; no mVaR measured"
                }
            }
            for try await (time, message) in try await connection.query(
                "SELECT event_time, payload->>'message' FROM alerts WHERE payload->>'code' = 'trading_state' ORDER BY event_time, seq",
                logger: logger
            ).decode((Int64, String).self) {
                summary.stateChanges.append("\(EventTime(millis: time).utcText)  \(message)")
            }
            for try await (seq, hash) in try await connection.query(
                "SELECT seq, hash FROM audit_chain ORDER BY seq DESC LIMIT 1", logger: logger
            ).decode((Int64, String).self) {
                summary.audit = "\(seq) entries, head \(hash.prefix(16))… (remora audit verify)"
            }
            summary.deadLetters = try await count("SELECT count(*) FROM dead_letters")
            let attributed = try await AttributionStore.state(on: connection, logger: logger)
            summary.attribution = Self.attributionLines(
                AttributionReport(days: try await AttributionStore.days(on: connection, logger: logger)), state: attributed,
                kpiAlerts: try await count("SELECT count(*) FROM alerts WHERE payload->>'source' = 'attributor'"))
            for try await (cash, realized) in try await connection.query(
                "SELECT cash_micros, realized_pnl_micros FROM portfolio WHERE id = 1", logger: logger
            ).decode((Int64, Int64).self) {
                summary.cash = USDC(micros: cash)
                summary.realizedPnl = USDC(micros: realized)
            }
            for try await (value, cost, n) in try await connection.query(
                """
                SELECT coalesce(sum(((shares_micros::numeric * last_price_micros) / 1000000)::bigint), 0)::bigint,
                       coalesce(sum(cost_micros), 0)::bigint, count(*)
                FROM positions
                """, logger: logger
            ).decode((Int64, Int64, Int64).self) {
                summary.nav = summary.cash + USDC(micros: value)
                summary.unrealizedPnl = USDC(micros: value - cost)
                summary.openPositions = Int(n)
            }
            return summary
        }
    }

    public var text: String {
        var lines = [
            "Remora demo summary",
            "  trades in            \(trades)",
            "  conversions in       \(conversions) (negative-risk No shares out of a wallet; \(conversionExits) followed out as exits)",
            "  trades settled       \(settled)",
            "  wallets scored       \(walletsScored)",
            "  score history rows   \(scoreDays)",
            "  best WQS             \(topScore)",
            "  signals passed       \(signalsPassed)",
            "    copyability        \(copyability)",
            "  signals rejected     \(rejections.values.reduce(0, +))",
        ]
        for key in rejections.keys.sorted() { lines.append("    \(key.padding(toLength: 36, withPad: " ", startingAt: 0)) \(rejections[key]!)") }
        lines += [
            "  whales quarantined   \(quarantined) (\(released) releases)",
            "  exits mirrored       \(exits) (reductions by followed whales: sales, conversions, buys of the other outcome): \(exitFills) sold from our book, \(blocked["nothing_held"] ?? 0) held nothing from that whale",
            "  orders proposed      \(orders)",
            "    Kelly fraction     \(kelly)",
            "  paper fills          \(fills)",
            "  paper slippage       \(slippage)",
            "  paper taker fees     \(fees) USDC",
            "  orders blocked       \(blocked.values.reduce(0, +) - (blocked["nothing_held"] ?? 0))\(blocked["nothing_held"] == nil ? "" : " (besides exits with nothing held)")",
        ]
        for key in blocked.keys.sorted() where key != "nothing_held" { lines.append("    \(key.padding(toLength: 36, withPad: " ", startingAt: 0)) \(blocked[key]!)") }
        lines.append(
            "  position controls    \(controlFills["stop"] ?? 0) stop sales, \(controlFills["time_exit"] ?? 0) time-exit sales, \(controlFills["quarantine"] ?? 0) quarantine sales (\(controlBlocked.values.reduce(0, +)) blocked)")
        lines.append("  trading state        \(tradingState)")
        lines.append("    state changes      \(stateChanges.isEmpty ? "none" : "\(stateChanges.count)")")
        for change in stateChanges.prefix(6) { lines.append("      \(change)") }
        if stateChanges.count > 6 { lines.append("      … (remora risk status lists them all)") }
        lines += [
            "  NAV                  \(nav) USDC",
            "  cash                 \(cash) USDC",
            "  realized P&L         \(realizedPnl) USDC",
            "  unrealized P&L       \(unrealizedPnl) USDC",
            "  open positions       \(openPositions)",
        ]
        lines += attribution
        lines += [
            "  audit chain          \(audit)",
            "  dead letters         \(deadLetters)",
        ]
        return lines.joined(separator: "\n")
    }

    static func attributionLines(_ report: AttributionReport, state: AttributionState?, kpiAlerts: Int) -> [String] {
        guard let last = report.days.last, let first = report.days.first, let state else {
            return ["  attribution          no day closed"]
        }
        func pct(_ x: Double) -> String { x.isFinite ? String(format: "%+.2f %%", x * 100) : "n/a" }
        func num(_ x: Double) -> String { x.isFinite ? String(format: "%.2f", x) : "n/a" }
        let totals = report.linkedTotals
        let share = report.selectionShare.map { String(format: "%.0f %%", $0 * 100) } ?? "n/a"
        let closed = state.ours.closedWins + state.ours.closedLosses
        let p = report.ours
        return [
            "  attribution          \(report.days.count) days, \(DashboardPage.dayText(first.day)) to \(DashboardPage.dayText(last.day)) (docs/attribution.md)",
            "    our book           \(pct(report.ourReturn)), NAV \(last.ours.navEnd) USDC at the last day's marks",
            "    copy-all           \(pct(report.benchmarkReturn)), NAV \(last.benchmark.navEnd) USDC (\(state.benchmark.fills) fills)",
            "    rejected signals   \(pct(report.rejectedReturn)) (shadow book, \(state.rejected.fills) fills)",
            "    excess return      \(pct(report.excessReturn)) = allocation \(pct(totals.allocation)) + selection \(pct(totals.selection)) + interaction \(pct(totals.interaction)); selection \(share) of it",
            "    performance        Sharpe \(num(p.sharpeRatio)), Sortino \(num(p.sortinoRatio)), max drawdown \(String(format: "%.2f %%", p.drawdown.maxDrawdown * 100)), Calmar \(num(p.calmarRatio)), won \(state.ours.closedWins) of \(closed) closed positions",
            "    KPI alerts         \(kpiAlerts)",
        ]
    }

    /// How far the run has come, in one cheap statement: rows stored by the fetcher, the
    /// resolver, the signal gate and the sizer.
    public static func progress(_ store: Store) async throws -> Progress {
        let rows = try await store.client.query(
            """
            SELECT (SELECT count(*) FROM trades), (SELECT count(*) FROM trade_settlements),
                   (SELECT count(*) FROM wallet_scores), (SELECT count(*) FROM signals WHERE accepted),
                   (SELECT count(*) FROM orders)
            """, logger: store.logger)
        for try await (trades, settled, scored, passed, orders) in rows.decode((Int64, Int64, Int64, Int64, Int64).self) {
            return Progress(
                trades: Int(trades), settled: Int(settled), walletsScored: Int(scored), signalsPassed: Int(passed), orders: Int(orders))
        }
        return Progress()
    }

    public struct Progress: Sendable, Equatable {
        public var trades = 0, settled = 0, walletsScored = 0, signalsPassed = 0, orders = 0
        public init(trades: Int = 0, settled: Int = 0, walletsScored: Int = 0, signalsPassed: Int = 0, orders: Int = 0) {
            (self.trades, self.settled, self.walletsScored, self.signalsPassed, self.orders) = (trades, settled, walletsScored, signalsPassed, orders)
        }
    }

    /// Drained: every source row applied, every consumer at its stream's head, and the book's
    /// watermark at the end of the world.
    public static func isDrained(_ store: Store, sources: [String: Int64], end: EventTime) async throws -> Bool {
        let logger = store.logger
        return try await store.transaction { connection in
            for (source, size) in sources {
                let cursor = try await Cursors.loadSource(source, on: connection, logger: logger)
                if cursor.position < size { return false }
            }
            let lagging = try await connection.query(
                """
                SELECT count(*) FROM (VALUES ('resolver','trade'), ('scorer','trade.settled'), ('signal-gate','trade'),
                                             ('sizer','signal'), ('attributor','order.decided')) AS c(consumer, stream)
                JOIN stream_heads h ON h.stream = c.stream
                LEFT JOIN consumer_cursors k ON k.consumer = c.consumer AND k.stream = c.stream AND k.partition = h.partition
                WHERE coalesce(k.seq, 0) < h.seq
                """, logger: logger)
            for try await n in lagging.decode(Int64.self) where n > 0 { return false }
            // The book through the end, and the scores too (the scorer re-scores open fills at
            // each day's start once every partition has passed it).
            let book = try await connection.query(
                "SELECT min(watermark) FROM stream_heads WHERE stream IN ('order.decided', 'whale.score')", logger: logger)
            for try await mark in book.decode(Int64.self) where mark < end.millis { return false }
            // And the attributor has closed every whole day before the end.
            let days = try await connection.query(
                "SELECT coalesce((SELECT next_day FROM attribution_state), -1)", logger: logger)
            for try await next in days.decode(Int64.self) { return next >= end.dayNumber }
            return false
        }
    }

    /// What is still behind, for a run that did not drain: consumers short of their stream's head,
    /// and each stream's lowest watermark against the end (strict mode waits on these).
    public static func backlog(_ store: Store, end: EventTime) async throws -> [String] {
        let rows = try await store.client.query(
            """
            SELECT 'consumer ' || k.consumer || ' on ' || h.stream || ': ' || sum(h.seq - coalesce(k.seq, 0)) || ' behind'
            FROM stream_heads h
            JOIN (SELECT DISTINCT consumer, stream FROM consumer_cursors) c ON c.stream = h.stream
            LEFT JOIN consumer_cursors k ON k.consumer = c.consumer AND k.stream = h.stream AND k.partition = h.partition
            GROUP BY k.consumer, c.consumer, h.stream HAVING sum(h.seq - coalesce(k.seq, 0)) > 0
            UNION ALL
            SELECT 'stream ' || stream || ': watermark ' || min(watermark) || ' (end ' || \(end.millis) || ')'
            FROM stream_heads GROUP BY stream HAVING min(watermark) < \(end.millis)
            UNION ALL
            SELECT 'orders undecided: ' || count(*) FROM orders WHERE NOT decided HAVING count(*) > 0
            """, logger: store.logger)
        var lines: [String] = []
        for try await line in rows.decode(String?.self) { if let line { lines.append(line) } }
        return lines
    }
}
