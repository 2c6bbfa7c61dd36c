import Foundation
import Logging
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraStore

/// `remora dead-letters replay` for the fetcher: each letter asked for goes through the normal
/// path once — parsed as a `/trades` row (Data API or file source), range-checked, stored as a
/// trade (late when behind its partition's watermark: it is settled and scored, never copied)
/// and published. A row that still fails stays dead with its new reason. A whole API answer that
/// was dead-lettered (an error body) has no row to replay: the wallet's next pass reads it again.
/// Returns how many letters were replayed.
func replayTradeLetters(environment: StageEnvironment) async throws -> Int {
    let logger = environment.logger
    let (stored, outcomes) = try await environment.store.transaction { connection -> ([StoredMessage], [(Int64, String?)]) in
        let letters = try await DeadLetters.claimReplays(service: "fetcher", origins: [""], on: connection, logger: logger)
        guard !letters.isEmpty else { return ([], []) }
        var outcomes: [(Int64, String?)] = []
        var trades: [Trade] = []
        let now = Int64(Date().timeIntervalSince1970)
        for letter in letters {
            let fromAPI = letter.origin.hasPrefix("data-api:")
            guard let row = try? JSONDecoder().decode(DataAPITradeRow.self, from: Data(letter.raw.utf8)) else {
                if fromAPI, (try? JSONSerialization.jsonObject(with: Data(letter.raw.utf8))) as? [String: Any] == nil
                    || letter.raw.contains("\"error\"")
                {
                    outcomes.append((letter.id, nil))  // an answer, not a row: the next pass reads the wallet again
                } else {
                    outcomes.append((letter.id, "replay: still not a /trades row"))
                }
                continue
            }
            do {
                trades.append(try row.trade(serverTime: fromAPI ? now : nil, occurrence: { _ in 0 }))
                outcomes.append((letter.id, nil))
            } catch {
                outcomes.append((letter.id, "replay: \(error)"))
            }
        }
        let partitions = Set(trades.map { Partitioner.partition(of: $0.wallet.rawValue) }).sorted()
        let marks = try await IngestStore.tradeWatermarks(partitions, on: connection, logger: logger)
        let records = try trades.map { trade in
            var trade = trade
            if let mark = marks[Partitioner.partition(of: trade.wallet.rawValue)], trade.timestamp <= mark { trade.late = true }
            return try StreamRecord(stream: .trade, uid: trade.id, key: trade.wallet.rawValue, eventTime: trade.timestamp, payload: trade)
        }
        let stored = try await StreamStore.append(records, producedAt: .wallClockNow, on: connection, logger: logger)
        for (id, failure) in outcomes {
            try await DeadLetters.finishReplay(id, failure: failure, on: connection, logger: logger)
        }
        return (stored, outcomes)
    }
    guard !outcomes.isEmpty else { return 0 }
    try environment.publisher.publish(stored)
    environment.metrics.published(.trade, count: stored.count)
    let failed = outcomes.filter { $0.1 != nil }
    logger.notice(
        "dead letters replayed",
        metadata: ["letters": "\(outcomes.count)", "stored": "\(stored.count)", "still_failing": "\(failed.count)"])
    for (id, failure) in failed {
        logger.warning("dead letter still fails", metadata: ["id": "\(id)", "reason": "\(failure ?? "")"])
    }
    return outcomes.count
}
