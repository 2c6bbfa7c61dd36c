// resolver — keeps market metadata, applies resolutions, and settles every trade against its
// market's result (win/loss/void, realized P&L). Publishes `market.resolved` and `trade.settled`.
// Two sources of market metadata and results: Gamma (every market seen in a trade, polled until
// it resolves; `resolver --once` does one pass and exits) or an NDJSON feed for replays and tests.
import Foundation
import Logging
import RemoraCore
import RemoraModel
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

await RemoraService.main(
    service: "resolver", summary: "apply market resolutions and settle trades", httpPort: 7412,
    settings: [
        Setting("REMORA_SOURCE_MARKETS", default: "", "NDJSON file of market, resolution and watermark rows (set: file source; empty: Gamma)")
    ] + GammaSource.settings
) { environment in
    let path = environment.settings.optionalString("REMORA_SOURCE_MARKETS")
    let partitions = try environment.settings.partitions("REMORA_PARTITIONS")
    let usesGamma = path == nil
    let tradesConsumer = DurableConsumer(
        name: ResolverNames.consumer, stream: .trade, payload: Trade.self, partitions: partitions,
        environment: environment,
        // Every market lock of the transaction at once, in one order: no cycle with the feed.
        prepare: { trades, connection in
            try await Settling.lockMarkets(trades.map(\.conditionId), on: connection, logger: environment.logger)
            // Every market seen in a trade is kept current from Gamma until it resolves.
            try await Settling.watch(trades, on: connection, logger: environment.logger)
        }
    ) { messages, partition, upstream, connection in
        let logger = environment.logger
        // A conversion moves a position but is no fill: nothing of it settles (its shares' payoff
        // is the one given up, docs/strategy.md#conversions).
        let trades = messages.map(\.1).filter(\.isFill)
        let resolutions = try await Settling.resolutions(trades.map(\.conditionId), on: connection, logger: logger)
        let markets = try await Settling.markets(trades.map(\.conditionId), on: connection, logger: logger)
        let records = try trades.compactMap { trade -> StreamRecord? in
            guard let resolution = resolutions[trade.conditionId] else { return nil }
            return try Settling.record(Settlement.settle(trade, market: markets[trade.conditionId], resolution: resolution))
        }
        try await Settling.rebuildPositions(touchedBy: trades, on: connection, logger: logger)
        var watermarks: [StreamName: (partitions: [Int], time: EventTime)] = [:]
        var caughtUp = true
        if let upstream {
            let source = try await Cursors.loadSource(ResolverNames.source, on: connection, logger: logger)
            var mark = min(upstream, source.watermark)
            if usesGamma, let hold = try await Settling.uncheckedHold(on: connection, logger: logger) { mark = min(mark, hold) }
            watermarks[.tradeSettled] = ([partition], mark)
            // Behind the feed: offer the watermark again on the next poll (the feed may move on meanwhile).
            caughtUp = mark >= upstream
        }
        return StepResult(consumed: messages.count, records: records, watermarks: watermarks, watermarkCaughtUp: caughtUp)
    }
    if path == nil, CommandLine.arguments.contains("--once") {
        // Cron mode: take in every stored trade first (trades of resolved markets settle, every
        // other market goes on the watch list), then one Gamma pass over the watch list.
        try await replayMarketLetters(feed: nil, environment: environment)
        let taken = try await tradesConsumer.drain()
        let report = try await GammaSource(environment: environment).pass(rebuildingAllPositions: true)
        print("trades taken in \(taken), " + report.text)
        return
    }
    try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask { try await tradesConsumer.run() }
        if let path {
            group.addTask { try await runMarketSource(path: path, environment: environment) }
        } else {
            let gamma = try GammaSource(environment: environment)
            group.addTask { try await gamma.run() }
        }
        try await group.next()
        group.cancelAll()
    }
}

/// Reads the markets feed: metadata upserts, resolutions (which settle stored trades), watermarks.
func runMarketSource(path: String, environment: StageEnvironment) async throws {
    var backoff = RetryBackoff()
    while !Task.isShuttingDownGracefully {
        do {
            try await applyMarketFeed(path: path, environment: environment)
        } catch is CancellationError {
            return
        } catch {
            environment.metrics.error("database")
            await backoff.failed("market feed step", error: error, logger: environment.logger)
        }
    }
}

/// `remora dead-letters replay` for the resolver: a markets-feed row goes through the feed's path
/// once (market rows upserted, resolutions applied and their trades settled); a Gamma market that
/// could not be used is read again by the next pass over the watch list. A row that still fails
/// stays dead with its new reason.
func replayMarketLetters(feed path: String?, environment: StageEnvironment) async throws {
    let logger = environment.logger
    let stored = try await environment.store.transaction { connection -> [StoredMessage] in
        let origins = ["gamma:"] + (path.map { [$0 + "@"] } ?? [])
        let letters = try await DeadLetters.claimReplays(service: "resolver", origins: origins, on: connection, logger: logger)
        guard !letters.isEmpty else { return [] }
        var rows: [(Int64, MarketSourceRow)] = []
        for letter in letters {
            if letter.origin.hasPrefix("gamma:") {
                try await DeadLetters.finishReplay(letter.id, failure: nil, on: connection, logger: logger)
                continue
            }
            do { rows.append((letter.id, try MarketSourceRow.parse(letter.raw))) } catch {
                try await DeadLetters.finishReplay(letter.id, failure: "replay: \(error)", on: connection, logger: logger)
            }
        }
        let resolved = rows.compactMap { row -> ConditionID? in
            if case .resolution(let r) = row.1 { return r.conditionId } else { return nil }
        }
        try await Settling.lockMarkets(resolved, on: connection, logger: logger)
        var records: [StreamRecord] = []
        for (id, row) in rows {
            switch row {
            case .market(let market): try await MarketStore.upsert(market, at: Int64(Date().timeIntervalSince1970), on: connection, logger: logger)
            case .resolution(let resolution): records += try await Settling.resolve(resolution, on: connection, logger: logger)
            case .watermark: break
            }
            try await DeadLetters.finishReplay(id, failure: nil, on: connection, logger: logger)
        }
        return try await StreamStore.append(records, producedAt: .wallClockNow, on: connection, logger: logger)
    }
    try environment.publisher.publish(stored)
}

func applyMarketFeed(path: String, environment: StageEnvironment) async throws {
    let source = NDJSONFile(path: path)
    let logger = environment.logger
    while !Task.isShuttingDownGracefully {
        try await replayMarketLetters(feed: path, environment: environment)
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
                    try await MarketStore.upsert(market, at: newWatermark.millis, on: connection, logger: logger)
                    // Seen as of the feed's time; a feed row carries no closed time or minimum size.
                    try await MarketTermsStore.record(
                        [MarketTerms(
                            conditionId: market.conditionId, seenAt: max(newWatermark, EventTime(millis: 0)), endDate: market.endDate,
                            closedAt: nil, acceptingOrders: true, takerFeeBps: Int(market.takerFeePpm / 100), tick: market.tickSize,
                            minimumOrder: .zero)], on: connection, logger: logger)
                case .resolution(let resolution):
                    records += try await Settling.resolve(resolution, on: connection, logger: logger)
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
            try await Settling.advanceSettledWatermarks(holdingForUncheckedMarkets: false, on: connection, logger: logger)
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
