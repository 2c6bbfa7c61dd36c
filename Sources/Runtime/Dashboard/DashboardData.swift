import Foundation
public import Logging
import PostgresNIO
public import RemoraCore
public import RemoraModel
import RemoraQuant
import Synchronization
public import RemoraStore

/// Everything the dashboard page shows, read in a handful of indexed queries: the attributor's
/// closed days and state, one page of the whale table, the latest alerts and orders.
public struct DashboardData: Sendable {
    public struct Whale: Sendable {
        public var wallet: String
        public var wqs: Double
        public var wqsWeekAgo: Double?
        public var settled: Int
        public var drawdown: Double
        public var quarantined: Bool
        public var copiedPnl: USDC?
    }

    public struct AlertRow: Sendable {
        public var alert: Alert
    }

    public var days: [AttributionDay] = []
    public var state: AttributionState?
    public var whales: [Whale] = []
    public var whaleCount = 0
    public var page = 0
    public static let pageSize = 50
    public var alerts: [Alert] = []
    public var orders: [OrderDecision] = []
    public var tradingState: TradingState?

    public init() {}

    /// Closed days do not change: a long-lived server decodes each once.
    public final class DayCache: Sendable {
        private let days = Mutex<[AttributionDay]>([])
        public init() {}

        func current(store: Store) async throws -> [AttributionDay] {
            let (count, first, last) = try await AttributionStore.dayRange(on: store.client, logger: store.logger)
            let held = days.withLock { $0 }
            if held.count == count, held.first?.day == first, held.last?.day == last { return held }
            let fresh: [AttributionDay]
            if let heldLast = held.last?.day, held.first?.day == first, let last, last > heldLast {
                fresh = held + (try await AttributionStore.days(after: heldLast, on: store.client, logger: store.logger))
            } else {
                fresh = try await AttributionStore.days(on: store.client, logger: store.logger)
            }
            // Anything else than the days stored (a rewritten history) is read whole next time.
            days.withLock { $0 = fresh.count == count ? fresh : [] }
            return fresh
        }
    }

    public static func load(page: Int, store: Store, cache: DayCache = DayCache()) async throws -> DashboardData {
        let logger = store.logger
        let client = store.client
        var data = DashboardData()
        data.page = max(0, page)
        data.days = try await cache.current(store: store)
        data.state = try await AttributionStore.state(on: client, logger: logger)
        for try await count in try await client.query("SELECT count(*) FROM wallet_scores", logger: logger).decode(Int64.self) {
            data.whaleCount = Int(count)
        }
        let offset = data.page * pageSize
        let rows = try await client.query(
            """
            WITH page AS (
                SELECT wallet, wqs, settled_trades, current_drawdown, as_of FROM wallet_scores
                ORDER BY wqs DESC, wallet LIMIT \(Int64(pageSize)) OFFSET \(Int64(offset)))
            SELECT p.wallet, p.wqs, w.wqs, p.settled_trades, p.current_drawdown,
                   coalesce((SELECT a.payload->>'code' = 'whale_quarantined' FROM alerts a
                             WHERE a.key = p.wallet AND a.payload->>'code' IN ('whale_quarantined', 'whale_released')
                             ORDER BY a.event_time DESC LIMIT 1), false)
            FROM page p
            LEFT JOIN wallet_score_days w
              ON w.wallet = p.wallet AND w.day = (to_timestamp(p.as_of / 1000.0) AT TIME ZONE 'UTC')::date - 7
            ORDER BY p.wqs DESC, p.wallet
            """, logger: logger)
        let pnl = data.state?.ours.pnlByWhale ?? [:]
        for try await (wallet, wqs, weekAgo, settled, drawdown, quarantined) in rows.decode(
            (String, Double, Double?, Int32, Double, Bool).self)
        {
            data.whales.append(Whale(
                wallet: wallet, wqs: wqs, wqsWeekAgo: weekAgo, settled: Int(settled), drawdown: drawdown, quarantined: quarantined,
                copiedPnl: WalletAddress(wallet).flatMap { pnl[$0] }))
        }
        for try await text in try await client.query(
            "SELECT payload::text FROM alerts ORDER BY event_time DESC, uid LIMIT 12", logger: logger
        ).decode(String.self) {
            data.alerts.append(try JSONCoding.decoder.decode(Alert.self, from: Data(text.utf8)))
        }
        for try await text in try await client.query(
            """
            SELECT payload::text FROM order_decisions WHERE payload->>'status' = 'filled'
            ORDER BY event_time DESC, uid LIMIT 15
            """, logger: logger
        ).decode(String.self) {
            data.orders.append(try JSONCoding.decoder.decode(OrderDecision.self, from: Data(text.utf8)))
        }
        for try await text in try await client.query(
            "SELECT payload->>'tradingState' FROM order_decisions WHERE payload ? 'tradingState' ORDER BY event_time DESC LIMIT 1",
            logger: logger
        ).decode(String?.self) {
            data.tradingState = text.flatMap(TradingState.init(rawValue:))
        }
        return data
    }

    /// The funnel over every closed day: whale buy orders judged, passed, and each rejection.
    public var funnel: [(label: String, count: Int)] {
        var totals: [String: Int] = [:]
        for day in days { for (key, count) in day.funnel { totals[key, default: 0] += count } }
        return totals.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
