// attributor — NAV and P&L snapshots of the copy book after every decision batch, and daily
// attribution: once every decision of a day of event time is stored (the `order.decided`
// watermark passed its end), the day is closed — our book as the risk guard filled it, the
// copy-all benchmark and the rejected signals' shadow book, each marked at the day's last
// instant, Brinson-Fachler by category, the KPIs' alerts (docs/attribution.md). It serves the
// operator dashboard.
import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import Synchronization

await RemoraService.main(
    service: "attributor", summary: "NAV, daily attribution against the copy-all benchmark, KPI alerts, the dashboard",
    httpPort: 7417,
    settings: [EventTimeMode.setting, MarketDataSettings.copyLag] + MarketDataSettings.settings + AttributionSettings.settings
        + DashboardSettings.settings + AlertWebhook.settings
) { environment in
    let logger = environment.logger
    let mode = try EventTimeMode(environment.settings)
    let marketData = try MarketDataSettings.source(environment, mode: mode)
    let markPolicy = try MarketDataSettings.markPolicy(environment.settings)
    let lag = try MarketDataSettings.copyLag(environment.settings)
    let attribution = try AttributionSettings(environment.settings)
    let dashboard = try DashboardSettings(environment.settings)
    let webhook = try AlertWebhook.configured(environment.settings)
    // The book is read once per step (one statement), not once per partition of the step.
    let books = StepReads<Book?>()
    // Days close once per step, in its first handler call (a step runs one call per partition).
    let closePending = Mutex(false)
    let consumer = DurableConsumer(
        name: "attributor", stream: .orderDecided, payload: OrderDecision.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment,
        prepare: { decisions, connection in
            closePending.withLock { $0 = true }
            try await books.replace {
                decisions.isEmpty ? nil : try await BookStore.load(initialCash: nil, on: connection, logger: logger)
            }
        }
    ) { messages, _, _, connection in
        var alerts: [StreamRecord] = []
        if closePending.withLock({ let was = $0; $0 = false; return was }) {
            alerts = try await DayCloser(
                marketData: marketData, markPolicy: markPolicy, lag: lag, settings: attribution, mode: mode,
                logger: logger
            ).closeDays(on: connection)
        }
        guard let asOf = messages.map(\.1.decidedAt).max(), let held = try books.current else {
            return StepResult(consumed: messages.count, records: alerts)
        }
        // A token the source cannot price keeps the risk guard's mark (logged by the source).
        let marks = try await marketData.marks(of: held.positions.keys, from: asOf, through: asOf, policy: markPolicy)
        let snapshot = NavSnapshot(book: held.marked(at: asOf, by: marks), asOf: asOf)
        try await connection.run(
            """
            INSERT INTO portfolio_snapshots (as_of, nav_micros, cash_micros, exposure_micros, realized_pnl_micros,
                                             unrealized_pnl_micros, open_positions)
            VALUES (\(asOf.millis), \(snapshot.nav.micros), \(snapshot.cash.micros), \(snapshot.exposure.micros),
                    \(snapshot.realizedPnl.micros), \(snapshot.unrealizedPnl.micros), \(snapshot.openPositions))
            ON CONFLICT (as_of) DO UPDATE SET nav_micros = EXCLUDED.nav_micros, cash_micros = EXCLUDED.cash_micros,
                exposure_micros = EXCLUDED.exposure_micros, realized_pnl_micros = EXCLUDED.realized_pnl_micros,
                unrealized_pnl_micros = EXCLUDED.unrealized_pnl_micros, open_positions = EXCLUDED.open_positions
            """, logger: logger)
        return StepResult(consumed: messages.count, records: alerts)
    }
    // The dashboard lives beside the stage: it never ends it (a port in use is logged).
    let dashboardServer = Task { try? await DashboardServer.run(settings: dashboard, store: environment.store, logger: logger) }
    defer { dashboardServer.cancel() }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await consumer.run() }
        if let webhook {
            // Its own consumer and cursor: a slow or dead receiver delays only its alerts.
            let delivery = DurableConsumer(
                name: "alert-webhook", stream: .alert, payload: Alert.self,
                partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment
            ) { messages, _, _, connection in
                for (message, alert) in messages where webhook.sends(alert) {
                    if case .failed(let attempts, let error) = await webhook.deliver(id: message.uid, alert: alert, logger: logger) {
                        logger.error(
                            "alert webhook gave up: kept in the dead letters",
                            metadata: ["alert": "\(message.uid)", "attempts": "\(attempts)", "error": "\(error)"])
                        try await DeadLetters.record(
                            service: "attributor", origin: "alert-webhook", reason: "undelivered after \(attempts) attempts: \(error)",
                            raw: message.payload, context: ["alert": message.uid], on: connection, logger: logger)
                    }
                }
                return StepResult(consumed: messages.count)
            }
            logger.info("alert webhook", metadata: ["url": "\(webhook.url)", "level": "\(webhook.minimumLevel.rawValue)"])
            group.addTask { try await delivery.run() }
        }
        try await group.next()
        group.cancelAll()
    }
}
