// attributor — NAV, realized and unrealized P&L of the copy book after every decision batch;
// the dashboard's data (`portfolio_snapshots`). Positions are marked at the snapshot's event
// time through market data (the same marks the risk guard uses). Returns,
// Sharpe, drawdown and Brinson-Fachler attribution arrive with the attribution issue.
import Foundation
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore

await RemoraService.main(
    service: "attributor", summary: "NAV and P&L snapshots of the copy book", httpPort: 7417,
    settings: [EventTimeMode.setting] + MarketDataSettings.settings
) { environment in
    let logger = environment.logger
    let marketData = try MarketDataSettings.source(environment, mode: try EventTimeMode(environment.settings))
    let markPolicy = try MarketDataSettings.markPolicy(environment.settings)
    // The book is read once per step (one statement), not once per partition of the step.
    let books = StepReads<Book>()
    let consumer = DurableConsumer(
        name: "attributor", stream: .orderDecided, payload: OrderDecision.self,
        partitions: try environment.settings.partitions("REMORA_PARTITIONS"), environment: environment,
        prepare: { decisions, connection in
            guard !decisions.isEmpty else { return }
            try await books.replace { try await BookStore.load(initialCash: nil, on: connection, logger: logger) }
        }
    ) { messages, _, _, connection in
        guard let asOf = messages.map(\.1.decidedAt).max() else { return StepResult(consumed: 0) }
        let held = try books.current
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
        return StepResult(consumed: messages.count)
    }
    try await consumer.run()
}
