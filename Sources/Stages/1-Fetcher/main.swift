// fetcher — pulls wallets' trades, dedups them by fill, stores them and publishes `trade`
// (partitioned by wallet). Two sources: the Data API (`/trades` of every watched wallet, polled
// with a durable cursor per wallet) or, for replays and tests, an append-only NDJSON file of
// Data-API-shaped rows (REMORA_SOURCE_TRADES).
//
//   fetcher                         run: poll every watched wallet, forever
//   fetcher --once --wallet 0x…     one pass over one wallet's trades, print what it did, exit
//   fetcher --backfill              one pass over every watched wallet (whole histories), exit
import Foundation
import RemoraModel
import RemoraRuntime
import RemoraStore
import ServiceLifecycle

await RemoraService.main(
    service: "fetcher", summary: "ingest whale trades, dedup by fill, publish `trade`", httpPort: 7411,
    settings: [
        Setting("REMORA_SOURCE_TRADES", default: "", "NDJSON file of Data API /trades rows (set: file source; empty: the Data API)"),
        Setting("REMORA_FETCHER_POLL_MS", default: "100", "file source: idle wait before reading again, ms", kind: .integer(1...60_000)),
    ] + DataAPIIngest.settings
) { environment in
    let arguments = Array(CommandLine.arguments.dropFirst())
    if let path = environment.settings.optionalString("REMORA_SOURCE_TRADES") {
        try await runFileSource(path: path, environment: environment)
        return
    }
    let ingest = try DataAPIIngest(environment: environment)
    if arguments.contains("--once") {
        guard let index = arguments.firstIndex(of: "--wallet"), index + 1 < arguments.count,
            let wallet = WalletAddress(arguments[index + 1])
        else {
            RemoraService.exitWithConfigurationError(service: "fetcher", ConfigurationError.malformed("--wallet", "--once needs --wallet 0x… (40 hex digits)"))
        }
        let report = try await ingest.pass(wallet: wallet)
        print(report.text)
        return
    }
    try await ingest.seedWatchList()
    if arguments.contains("--backfill") {
        try await ingest.backfill()
        return
    }
    environment.readiness.markReady()
    try await ingest.run()
}

/// The file source: read, store, publish; wait when the file has nothing new.
func runFileSource(path: String, environment: StageEnvironment) async throws {
    let source = NDJSONFile(path: path)
    let idle = Duration.milliseconds(try environment.settings.int("REMORA_FETCHER_POLL_MS", in: 1...60_000))
    let sourceName = "fetcher:trades"
    let logger = environment.logger
    environment.readiness.markReady()
    var backoff = RetryBackoff()
    while !Task.isShuttingDownGracefully {
        do {
            let replayed = try await replayTradeLetters(environment: environment)
            if try await ingestOnce(source: source, sourceName: sourceName, path: path, environment: environment) == 0, replayed == 0 {
                try await Task.sleep(for: idle)
            }
            backoff.succeeded("ingest", logger: logger)
        } catch is CancellationError {
            return
        } catch {
            environment.metrics.error("database")
            await backoff.failed("ingest", error: error, logger: logger)
            continue
        }
    }
}
