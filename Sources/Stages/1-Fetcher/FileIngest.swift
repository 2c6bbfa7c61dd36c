import Foundation
import RemoraModel
import RemoraRuntime
import RemoraStore

/// One read of the source: parse, dead-letter bad rows, number identical fills, store the trades
/// and the new cursor in one transaction, publish. Returns the number of lines read.
func ingestOnce(source: NDJSONFile, sourceName: String, path: String, environment: StageEnvironment) async throws -> Int {
    let logger = environment.logger
    let started = ContinuousClock.now
    let (position, watermark) = try await environment.store.transaction { connection in
        try await Cursors.loadSource(sourceName, on: connection, logger: logger)
    }
    let lines: [NDJSONFile.Line]
    do { lines = try source.read(from: position, maxLines: 5000) } catch {
        logger.warning("source not readable yet", metadata: ["path": "\(path)", "error": "\(error)"])
        try await Task.sleep(for: .seconds(1))
        return 0
    }
    guard let last = lines.last else { return 0 }
    var trades: [Trade] = []
    var rejected: [(NDJSONFile.Line, String)] = []
    var newWatermark = watermark
    for line in lines {
        do {
            switch try TradeSourceRow.parse(line.text, occurrence: { _ in 0 }) {
            case .trade(let trade):
                trades.append(trade)
                // The file is in event-time order: everything older than this row has been read.
                newWatermark = max(newWatermark, trade.timestamp.adding(millis: -1))
            case .watermark(let mark):
                newWatermark = max(newWatermark, mark)
            }
        } catch {
            rejected.append((line, "\(error)"))
        }
    }
    let (stored, recordCount) = try await environment.store.transaction { connection in
        for (line, reason) in rejected {
            try await DeadLetters.record(
                service: "fetcher", origin: "\(path)@\(line.endOffset)", reason: reason, raw: line.text,
                on: connection, logger: logger)
        }
        // Identical fills are distinct trades, numbered in delivery order across all reads.
        let occurrences = try await FillOccurrences.assign(trades.map(\.baseFillKey), on: connection, logger: logger)
        let records = try zip(trades, occurrences).map { trade, occurrence in
            let numbered = trade.withOccurrence(occurrence)
            return try StreamRecord(
                stream: .trade, uid: numbered.id, key: numbered.wallet.rawValue, eventTime: numbered.timestamp,
                payload: numbered)
        }
        let stored = try await StreamStore.append(
            records, watermarks: [.trade: (Array(0..<StreamName.partitionCount), newWatermark)],
            producedAt: .wallClockNow, on: connection, logger: logger)
        try await Cursors.saveSource(
            sourceName, position: last.endOffset, watermark: newWatermark, on: connection, logger: logger)
        return (stored, records.count)
    }
    try environment.publisher.publish(stored)
    environment.metrics.received(.trade, count: lines.count)
    environment.metrics.published(.trade, count: stored.count)
    environment.metrics.deadLettered(count: rejected.count)
    environment.metrics.processed(batchOf: lines.count, duration: .now - started)
    for message in stored { environment.metrics.lag(milliseconds: message.producedAt.millis - message.eventTime.millis) }
    for (line, reason) in rejected {
        logger.warning("bad source row dead-lettered", metadata: ["offset": "\(line.endOffset)", "reason": "\(reason)"])
    }
    logger.info(
        "ingested", metadata: [
            "stream": "trade", "rows": "\(lines.count)", "stored": "\(stored.count)",
            "duplicates": "\(recordCount - stored.count)", "watermark": "\(newWatermark.millis)",
        ])
    return lines.count
}
