// resolver — keeps market metadata, applies resolutions, and settles every trade against its
// market's result (win/loss/void, realized P&L). Publishes `market.resolved` and `trade.settled`.
// Simplest real job: an NDJSON feed of markets and resolutions; Gamma arrives with the ingest issue.
import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

await RemoraService.main(
    service: "resolver", summary: "apply market resolutions and settle trades", httpPort: 7412,
    settings: [Setting("REMORA_SOURCE_MARKETS", default: nil, "NDJSON file of market, resolution and watermark rows")]
) { environment in
    let path = try environment.settings.string("REMORA_SOURCE_MARKETS")
    let partitions = try environment.settings.partitions("REMORA_PARTITIONS")
    let tradesConsumer = DurableConsumer(
        name: ResolverNames.consumer, stream: .trade, payload: Trade.self, partitions: partitions,
        environment: environment,
        // Every market lock of the transaction at once, in one order: no cycle with the feed.
        prepare: { trades, connection in
            try await Settling.lockMarkets(trades.map(\.conditionId), on: connection, logger: environment.logger)
        }
    ) { messages, partition, upstream, connection in
        let logger = environment.logger
        let trades = messages.map(\.1)
        let resolutions = try await Settling.resolutions(trades.map(\.conditionId), on: connection, logger: logger)
        let markets = try await Settling.markets(trades.map(\.conditionId), on: connection, logger: logger)
        let records = try trades.compactMap { trade -> StreamRecord? in
            guard let resolution = resolutions[trade.conditionId] else { return nil }
            return try Settling.record(Settlement.settle(trade, market: markets[trade.conditionId], resolution: resolution))
        }
        var watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:]
        var caughtUp = true
        if let upstream {
            let source = try await Cursors.loadSource(ResolverNames.source, on: connection, logger: logger)
            watermarks[.tradeSettled] = ([partition], min(upstream, source.watermark))
            // Behind the feed: offer the watermark again on the next poll (the feed may move on meanwhile).
            caughtUp = source.watermark >= upstream
        }
        return StepResult(consumed: messages.count, records: records, watermarks: watermarks, watermarkCaughtUp: caughtUp)
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await tradesConsumer.run() }
        group.addTask { try await runMarketSource(path: path, environment: environment) }
        try await group.next()
        group.cancelAll()
    }
}

/// Reads the markets feed: metadata upserts, resolutions (which settle stored trades), watermarks.
func runMarketSource(path: String, environment: StageEnvironment) async throws {
    while !Task.isShuttingDownGracefully {
        do {
            try await applyMarketFeed(path: path, environment: environment)
        } catch is CancellationError {
            return
        } catch {
            environment.metrics.error("database")
            environment.logger.error("market feed step failed, retrying", metadata: ["error": "\(describe(error))"])
            try await Task.sleep(for: .milliseconds(500))
        }
    }
}

func applyMarketFeed(path: String, environment: StageEnvironment) async throws {
    let source = NDJSONFile(path: path)
    let logger = environment.logger
    while !Task.isShuttingDownGracefully {
        let (position, watermark) = try await environment.store.transaction { connection in
            try await Cursors.loadSource(ResolverNames.source, on: connection, logger: logger)
        }
        let lines: [NDJSONFile.Line]
        do { lines = try source.read(from: position, maxLines: 2000) } catch {
            logger.warning("source not readable yet", metadata: ["path": "\(path)", "error": "\(error)"])
            try await Task.sleep(for: .seconds(1))
            continue
        }
        guard let last = lines.last else {
            try await Task.sleep(for: .milliseconds(100))
            continue
        }
        var parsed: [MarketSourceRow] = []
        var rejected: [(NDJSONFile.Line, String)] = []
        for line in lines {
            do { parsed.append(try MarketSourceRow.parse(line.text)) } catch { rejected.append((line, "\(error)")) }
        }
        let stored = try await environment.store.transaction { connection in
            var newWatermark = watermark
            var records: [StreamRecord] = []
            let resolved = parsed.compactMap { row -> MarketResolution? in
                if case .resolution(let r) = row { return r } else { return nil }
            }
            try await Settling.lockMarkets(resolved.map(\.conditionId), on: connection, logger: logger)
            for row in parsed {
                switch row {
                case .market(let market):
                    let payload = String(decoding: try JSONCoding.encoder.encode(market), as: UTF8.self)
                    try await connection.run(
                        """
                        INSERT INTO markets (condition_id, question, category, payload, updated_at)
                        VALUES (\(market.conditionId.rawValue), \(market.question), \(market.category), \(payload)::jsonb,
                                \(newWatermark.millis))
                        ON CONFLICT (condition_id) DO UPDATE SET question = EXCLUDED.question,
                            category = EXCLUDED.category, payload = EXCLUDED.payload
                        """, logger: logger)
                case .resolution(let resolution):
                    records.append(try StreamRecord(
                        stream: .marketResolved, uid: resolution.conditionId.rawValue,
                        key: resolution.conditionId.rawValue, eventTime: resolution.resolvedAt, payload: resolution))
                    let market = try await Settling.markets([resolution.conditionId], on: connection, logger: logger)
                    for trade in try await Settling.storedTrades(of: resolution.conditionId, on: connection, logger: logger) {
                        records.append(try Settling.record(
                            Settlement.settle(trade, market: market[resolution.conditionId], resolution: resolution)))
                    }
                    try await connection.run(
                        "UPDATE markets SET resolved = true WHERE condition_id = \(resolution.conditionId.rawValue)",
                        logger: logger)
                    newWatermark = max(newWatermark, resolution.resolvedAt.adding(millis: -1))
                case .watermark(let mark):
                    newWatermark = max(newWatermark, mark)
                }
            }
            for (line, reason) in rejected {
                try await DeadLetters.record(
                    service: "resolver", origin: "\(path)@\(line.endOffset)", reason: reason, raw: line.text,
                    on: connection, logger: logger)
            }
            let stored = try await StreamStore.append(
                records, watermarks: [.marketResolved: (Array(0..<StreamName.partitionCount), newWatermark)],
                producedAt: .wallClockNow, on: connection, logger: logger)
            try await Cursors.saveSource(
                ResolverNames.source, position: last.endOffset, watermark: newWatermark, on: connection, logger: logger)
            try await Settling.advanceSettledWatermarks(on: connection, logger: logger)
            return stored
        }
        try environment.publisher.publish(stored)
        environment.metrics.deadLettered(count: rejected.count)
        environment.metrics.published(.tradeSettled, count: stored.filter { $0.stream == .tradeSettled }.count)
        logger.info(
            "market feed applied",
            metadata: ["rows": "\(lines.count)", "published": "\(stored.count)", "rejected": "\(rejected.count)"])
    }
}
