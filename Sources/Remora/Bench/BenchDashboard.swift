import ArgumentParser
import Foundation
import PostgresNIO
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

/// The dashboard page at scale: a database with N scored whales (and their score a week before),
/// a year of closed attribution days over eight categories, 20,000 decisions and 2,000 alerts
/// (loaded, not timed); then the page is read from PostgreSQL and rendered R times, as the
/// attributor serves it (closed days decoded once, as the server keeps them). Figures: p50 / p95 / max of one read-and-render.
struct BenchDashboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dashboard",
        abstract: "The dashboard page read and rendered at 10,000 whales and a year of days (target: ≤ 50 ms).")

    @Option(help: "Scored whales.") var whales = 10_000
    @Option(help: "Closed days of attribution.") var days = 365
    @Option(help: "Pages read and rendered.") var repeats = 200
    @Option(help: "Folder for local state.") var state = ".remora"
    @Option(help: "Port of the embedded PostgreSQL cluster (when DATABASE_URL is not set).") var port = 54329

    func run() async throws {
        let root = URL(fileURLWithPath: state).standardizedFileURL
        let (_, configuration) = try await benchDatabase("remora_bench_dashboard", root: root, port: port)
        try await Store.withRunning(configuration, logger: quietLogger()) { store in
            let loaded = ContinuousClock.now
            try await load(store)
            print(String(format: "loaded %d whales, %d days, 20000 decisions, 2000 alerts in %.1f s", whales, days,
                         seconds(ContinuousClock.now - loaded)))
            let cache = DashboardData.DayCache()
            var timings: [Double] = []
            var size = 0
            var first = 0.0
            for index in 0..<(repeats + 5) {
                let started = ContinuousClock.now
                let page = DashboardPage.render(try await DashboardData.load(page: index % 3 == 2 ? 100 : 0, store: store, cache: cache))
                let elapsed = seconds(ContinuousClock.now - started) * 1000
                if index == 0 { first = elapsed }
                if index >= 5 { timings.append(elapsed) }  // the first reads warm the pool and the caches
                size = page.utf8.count
            }
            timings.sort()
            func percentile(_ p: Double) -> Double { timings[min(timings.count - 1, Int(Double(timings.count) * p))] }
            print(String(
                format: "dashboard page (%d bytes): read and rendered %d times: p50 %.1f ms, p95 %.1f ms, max %.1f ms (target ≤ 50 ms); first read, every day decoded: %.1f ms",
                size, timings.count, percentile(0.5), percentile(0.95), timings.last ?? 0, first))
        }
    }

    func load(_ store: Store) async throws {
        let logger = store.logger
        try await store.transaction { connection in
            let first: Int64 = 20_089  // 2025-01-01
            try await connection.run(
                """
                INSERT INTO wallet_scores
                SELECT '0x' || lpad(to_hex(i), 40, '0'), \(first + Int64(days)) * 86400000, 'wqs.v2', (i * 7919 % 10000) / 100.0,
                       20 + i % 300, 10 + i % 150, 10 + i % 150, 1000000000, 0, 0.5, 1, 0.5, 0.4, 0.6, 0.5, 1, 0.8, 0.9, 0.3, 1.2,
                       0.1, (i % 40) / 100.0, 0.5, 0.2, 0.1, 0.01, 1.5, false, false
                FROM generate_series(1, \(Int64(whales))) i
                """, logger: logger)
            try await connection.run(
                """
                INSERT INTO wallet_score_days
                SELECT to_timestamp((as_of / 1000) - 7 * 86400)::date, s.* FROM wallet_scores s
                """, logger: logger)
            for (stream, count) in [("order_decisions", 20_000), ("alerts", 2_000)] {
                let payload = stream == "alerts"
                    ? "json_build_object('level', 'warning', 'source', 'bench', 'code', 'kpi_pass_rate', 'message', 'pass rate ' || i, 'at', i * 1000)"
                    : """
                      json_build_object('orderId', 'order:' || i, 'tradeId', '' || i, 'wallet', '0x' || lpad(to_hex(i % 500), 40, '0'),
                        'conditionId', '0x' || lpad(to_hex(i % 800), 64, '0'), 'asset', '' || i, 'outcomeIndex', 0, 'side', 'BUY',
                        'status', CASE WHEN i % 10 = 0 THEN 'filled' ELSE 'blocked' END, 'reason', 'within_limits',
                        'fillPrice', '0.5', 'fillShares', '100', 'fillNotional', '50', 'navBefore', '100000', 'decidedAt', i * 1000,
                        'unfilledNotional', '0', 'tradingState', 'ACTIVE')
                      """
                try await connection.run(
                    PostgresQuery(unsafeSQL: """
                        INSERT INTO \(stream) (partition, seq, uid, key, event_time, produced_at, payload)
                        SELECT i % 16, i, 'bench:' || i, 'bench', \(first)::bigint * 86400000 + i * 1000, 0, \(payload)
                        FROM generate_series(1, \(count)) i
                        """), logger: logger)
            }
            var attribution = AttributionState(nextDay: first, initialCash: 100_000)
            var closed: [AttributionDay] = []
            let categories = ["politics", "crypto", "sports", "economics", "pop-culture", "science", "business", "other"]
            for index in 0..<days {
                func book(_ seed: Int) -> BookDay {
                    let rows = categories.enumerated().map { offset, name in
                        let start = Int64((offset + 1) * 1_000_000_000)
                        let move = Int64(((index * 31 + offset * 17 + seed) % 21) - 10) * 10_000_000
                        return CategoryBookDay(category: name, start: USDC(micros: start), bought: USDC(micros: 100_000_000),
                                               received: USDC(micros: 50_000_000), end: USDC(micros: start + 50_000_000 + move))
                    }
                    let nav: Int64 = 100_000_000_000
                    return BookDay(navStart: USDC(micros: nav), navEnd: USDC(micros: nav + rows.reduce(0) { $0 + $1.pnl.micros }),
                                   categories: rows, fills: 3)
                }
                var day = AttributionDay(day: first + Int64(index), ours: book(1), benchmark: book(2), rejected: book(3))
                day.funnel = ["passed": 3, "whale/score_below_threshold": 40, "trade/slippage_too_high": 4, "whale/unscored_wallet": 30]
                day.kpis = KPIs(at: day.endTime, mvar: 0.05, sharpe: 1.2, sharpeDays: index + 1, passRate: 0.2, quarantined: 1)
                closed.append(day)
            }
            attribution.nextDay = first + Int64(days)
            try await AttributionStore.save(attribution, days: closed, on: connection, logger: logger)
        }
    }
}
