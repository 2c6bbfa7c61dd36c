import Foundation
import RemoraModel
import RemoraPolymarket
import RemoraRuntime
import RemoraStore

/// Wallets whose passes keep failing: counted, marked unhealthy after a run of failures (so that
/// their partition's watermark goes on without them), and announced to operators.
extension DataAPIIngest {
    /// A pass that failed for good: its cause is logged and, when the API sent something that
    /// cannot be read, kept in the dead-letter table. The next cycle tries the wallet again. After
    /// `unhealthyAfter` failures in a row the wallet is marked unhealthy: an alert, an error line and
    /// a coverage gap from its last complete time, and its partition's watermark goes on without it.
    func deadLetter(_ error: any Error, wallet: WalletAddress) async {
        let logger = environment.logger
        environment.metrics.error("data-api")
        logger.error("pass failed", metadata: ["wallet": "\(wallet.rawValue)", "error": "\(error)"])
        let now = Int64(Date().timeIntervalSince1970)
        do {
            let stored = try await environment.store.transaction { connection -> [StoredMessage] in
                if let failure = error as? PolymarketError, let body = failure.rawBody {
                    try await DeadLetters.record(
                        service: "fetcher", origin: "data-api:/trades?user=\(wallet.rawValue)", reason: failure.description,
                        raw: String(body.prefix(100_000)), on: connection, logger: logger)
                }
                guard let turned = try await IngestStore.recordFailedPass(
                    wallet, threshold: unhealthyAfter, at: now, on: connection, logger: logger)
                else { return [] }
                let reason = "wallet unhealthy: \(turned.failedPasses) passes in a row failed (last: \(error))"
                try await IngestStore.recordGap(
                    wallet: wallet, from: turned.asOf, to: now, reason: reason, at: now, on: connection, logger: logger)
                let alert = try Self.alert(
                    .warning, "wallet_unhealthy", wallet: wallet, at: now,
                    "\(reason); its partition's watermark no longer waits for it, and what it trades meanwhile arrives late (never copied)")
                logger.error(
                    "wallet marked unhealthy: the others go on without it",
                    metadata: ["wallet": "\(wallet.rawValue)", "failed_passes": "\(turned.failedPasses)",
                               "complete_to": "\(turned.asOf.map(String.init) ?? "never")"])
                return try await StreamStore.append([alert], producedAt: .wallClockNow, on: connection, logger: logger)
            }
            try environment.publisher.publish(stored)
        } catch {
            logger.error("could not record the failed pass", metadata: ["wallet": "\(wallet.rawValue)", "error": "\(describe(error))"])
        }
    }

    /// An operator alert about one wallet (wall-clock time: an operational event, not a decision).
    static func alert(_ level: AlertLevel, _ code: String, wallet: WalletAddress, at now: Int64, _ message: String) throws -> StreamRecord {
        try StreamRecord(
            stream: .alert, uid: "fetcher:\(code):\(wallet.rawValue):\(now)", key: wallet.rawValue, eventTime: EventTime(seconds: now),
            payload: Alert(level: level, source: "fetcher", code: code, message: message, at: EventTime(seconds: now)))
    }
}
