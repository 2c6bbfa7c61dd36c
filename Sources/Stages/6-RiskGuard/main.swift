// risk-guard — the only owner of the copy book. Decides every proposed order (paper fill at the
// whale's price, or blocked with a reason), applies market resolutions to open positions, and
// fails closed: if the book cannot be read, every order is blocked. Orders and resolutions are
// applied in event-time order; in strict mode (the default) only up to the upstream watermark,
// so the book is the same whatever the timing of the processes. Simplest real job: an exposure cap; mVaR, quarantine, stops and
// time exits arrive with the risk issue.
import Foundation
import Logging
import PostgresNIO
import RemoraBus
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

await RemoraService.main(
    service: "risk-guard", summary: "decide proposed orders against the book, publish `order.decided`", httpPort: 7416,
    settings: [
        Setting("REMORA_INITIAL_CAPITAL", default: "100000", "starting cash of the paper book, USDC", kind: .usdc),
        Setting("REMORA_RISK_MAX_EXPOSURE", default: "0.5", "cap on open exposure as a fraction of NAV", kind: .number(0...1)),
        EventTimeMode.setting,
    ]
) { environment in
    guard let capital = USDC(decimal: try environment.settings.string("REMORA_INITIAL_CAPITAL")), capital > .zero else {
        throw ConfigurationError.malformed("REMORA_INITIAL_CAPITAL", "expected a positive USDC amount")
    }
    let exposure = try environment.settings.double("REMORA_RISK_MAX_EXPOSURE", in: 0...1)
    let guardian = RiskGuardLoop(
        environment: environment, initialCash: capital, mode: try EventTimeMode(environment.settings),
        policy: RiskPolicy(maxExposurePpm: Int64((exposure * 1_000_000).rounded())))
    try await guardian.run()
}

struct RiskGuardLoop {
    let environment: StageEnvironment
    let initialCash: USDC
    let mode: EventTimeMode
    let policy: RiskPolicy
    var logger: Logger { environment.logger }
    /// Orders decided per transaction at most.
    static let orderPage = 1000

    enum Event {
        case order(ProposedOrder, EventTime)
        case resolution(MarketResolution)
        var time: EventTime {
            switch self {
            case .order(_, let t): t
            case .resolution(let r): r.resolvedAt
            }
        }
        /// Resolutions first at equal times: a market that resolved cannot take new orders.
        var rank: (Int64, Int, String) {
            switch self {
            case .order(let o, let t): (t.millis, 1, o.orderId)
            case .resolution(let r): (r.resolvedAt.millis, 0, r.conditionId.rawValue)
            }
        }
    }

    func run() async throws {
        // The bus only wakes us up; what to decide is always read from the database.
        let subscription = try BusSubscription(
            context: environment.zmq, endpoints: environment.bus, streams: [.orderProposed, .marketResolved],
            partitions: Array(0..<StreamName.partitionCount))
        defer { subscription.stop() }
        try await decideReady()
        environment.readiness.markReady()
        for await _ in subscription.batches.cancelOnGracefulShutdown() {
            do { try await decideReady() } catch {
                environment.metrics.error("database")
                logger.error("decision step failed, retrying", metadata: ["error": "\(describe(error))"])
                try? await Task.sleep(for: .milliseconds(500))
            }
        }
    }

    /// Decides everything the watermarks allow, in batches.
    func decideReady() async throws {
        while try await step() {}
    }

    private func step() async throws -> Bool {
        let started = ContinuousClock.now
        let (stored, more) = try await environment.store.transaction { connection -> ([StoredMessage], Bool) in
            // The book first, locked: one risk guard at a time decides (a second instance waits here).
            var book: Book?
            do { book = try await BookStore.load(initialCash: initialCash, lock: true, on: connection, logger: logger) } catch {
                logger.critical("book unreadable: failing closed", metadata: ["error": "\(describe(error))"])
            }
            let orders = try await StreamStore.heads(.orderProposed, on: connection, logger: logger)
            let resolutions = try await StreamStore.heads(.marketResolved, on: connection, logger: logger)
            // Strict: only what every upstream partition vouches for. Live: everything stored.
            let horizon = mode == .live ? EventTime(millis: Int64.max) : min(
                orders.values.map(\.watermark).min() ?? EventTime(millis: Int64.min),
                resolutions.values.map(\.watermark).min() ?? EventTime(millis: Int64.min))
            var events: [Event] = []
            let pending = try await connection.query(
                """
                SELECT o.payload::text, o.event_time FROM orders o
                WHERE NOT o.decided AND o.event_time <= \(horizon.millis)
                ORDER BY o.event_time, o.uid COLLATE "C" LIMIT \(Self.orderPage)
                """, logger: logger)
            for try await (text, time) in pending.decode((String, Int64).self) {
                events.append(.order(try JSONCoding.decoder.decode(ProposedOrder.self, from: Data(text.utf8)), EventTime(millis: time)))
            }
            // A full page of orders: resolutions only up to its last order, the rest next step.
            let pageFull = events.count == Self.orderPage
            let limitTime = pageFull ? events.last!.time : horizon
            let unapplied = try await connection.query(
                """
                SELECT r.payload::text FROM market_resolutions r
                WHERE r.event_time <= \(limitTime.millis)
                  AND NOT EXISTS (SELECT 1 FROM book_resolutions b WHERE b.condition_id = r.uid)
                ORDER BY r.event_time, r.uid COLLATE "C"
                """, logger: logger)
            for try await text in unapplied.decode(String.self) {
                events.append(.resolution(try JSONCoding.decoder.decode(MarketResolution.self, from: Data(text.utf8))))
            }
            guard !events.isEmpty else {
                if mode == .strict { try await advanceWatermark(to: horizon, on: connection) }
                return ([], false)
            }
            events.sort { $0.rank < $1.rank }
            var records: [StreamRecord] = []
            var resolvedMarkets = Set<String>()
            let orderMarkets = events.compactMap { event -> String? in
                if case .order(let order, _) = event { return order.conditionId.rawValue } else { return nil }
            }
            for try await market in try await connection.query(
                "SELECT condition_id FROM book_resolutions WHERE condition_id = ANY(\(Array(Set(orderMarkets))))",
                logger: logger
            ).decode(String.self) {
                resolvedMarkets.insert(market)
            }
            for event in events {
                switch event {
                case .order(let order, let time):
                    let (decision, next) = RiskGuard.decide(
                        order, book: book, policy: policy, at: time,
                        marketResolved: resolvedMarkets.contains(order.conditionId.rawValue))
                    book = next
                    records.append(try StreamRecord(
                        stream: .orderDecided, uid: decision.orderId, key: decision.wallet.rawValue, eventTime: time,
                        payload: decision))
                case .resolution(let resolution):
                    guard let current = book else { continue }  // applied once the book is readable again
                    book = RiskGuard.apply(resolution, to: current)
                    resolvedMarkets.insert(resolution.conditionId.rawValue)
                    try await connection.run(
                        """
                        INSERT INTO book_resolutions (condition_id, applied_at)
                        VALUES (\(resolution.conditionId.rawValue), \(resolution.resolvedAt.millis))
                        """, logger: logger)
                }
            }
            if let book { try await BookStore.save(book, asOf: events.last!.time, on: connection, logger: logger) }
            let decidedIds = records.map(\.uid)
            try await connection.run(
                "UPDATE orders SET decided = true WHERE uid = ANY(\(decidedIds))", logger: logger)
            let stored = try await StreamStore.append(records, producedAt: .wallClockNow, on: connection, logger: logger)
            if !pageFull, mode == .strict { try await advanceWatermark(to: horizon, on: connection) }
            return (stored, pageFull)
        }
        try environment.publisher.publish(stored)
        environment.metrics.published(.orderDecided, count: stored.count)
        environment.metrics.processed(batchOf: stored.count, duration: .now - started)
        if !stored.isEmpty {
            let filled = stored.filter { $0.payload.contains("\"status\":\"filled\"") }.count
            logger.info("decided", metadata: ["stream": "order.decided", "orders": "\(stored.count)", "filled": "\(filled)"])
        }
        return more
    }

    private func advanceWatermark(to time: EventTime, on connection: PostgresConnection) async throws {
        _ = try await StreamStore.append(
            [], watermarks: [.orderDecided: (Array(0..<StreamName.partitionCount), time)], producedAt: .wallClockNow,
            on: connection, logger: logger)
    }
}
