import ArgumentParser
import Foundation
import RemoraCore
import RemoraModel
import RemoraStore

/// Recomputes every wallet's score and daily history from its settled trades, with the same
/// core as the scorer; `--verify` compares instead of writing.
struct Rescore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rescore",
        abstract: "Recompute every wallet's WQS and daily score history from scratch on all cores (DATABASE_URL).")

    @Flag(help: "Compare with the stored scores (the incremental scorer's) instead of replacing them; exit 1 on a difference.")
    var verify = false
    @Option(help: "Worker tasks (default: the machine's cores).") var workers = ProcessInfo.processInfo.activeProcessorCount

    func run() async throws {
        let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
        let logger = quietLogger()
        let started = ContinuousClock.now
        let differences: Int = try await Store.withRunning(configuration, logger: logger) { store in
            let (settlements, categoryDays, fills, marks, markDays) = try await store.transaction { connection in
                let settlements = try await ScoreStore.settlements(on: connection, logger: logger)
                let newest = settlements.values.flatMap { $0.map(\.settledAt.dayNumber) }.max() ?? 0
                let categoryDays = try await ScoreStore.categoryDays(before: newest + 1, on: connection, logger: logger)
                let (fills, marks) = try await ScoreStore.allFills(on: connection, logger: logger)
                let markDays = try await ScoreStore.markDaysThrough(on: connection, logger: logger)
                return (settlements, categoryDays, fills, marks, markDays)
            }
            let read = ContinuousClock.now
            let scored = await WalletScoring.rescore(
                settlements, fills: fills, marks: marks,
                markDaysThrough: { markDays[Partitioner.partition(of: $0.rawValue)] }, categoryDays: categoryDays,
                workers: max(1, workers))
            let computed = ContinuousClock.now
            let trades = settlements.values.reduce(0) { $0 + $1.count }
            let rows = scored.flatMap { wallet, history in history.map { (wallet: wallet, metrics: $0) } }
            print("rescore: \(scored.count) wallets, \(trades) settled trades, \(rows.count) daily scores; read \(read - started), computed \(computed - read)")
            if verify {
                // Write the recomputed rows in a transaction that is then rolled back: the
                // comparison sees both renderings through PostgreSQL, and nothing is kept.
                do {
                    try await store.transaction { connection in
                        let stored = (try await ScoreStore.dump("wallet_scores", on: connection, logger: logger),
                                      try await ScoreStore.dump("wallet_score_days", on: connection, logger: logger))
                        try await connection.run("DELETE FROM wallet_scores", logger: logger)
                        try await connection.run("DELETE FROM wallet_score_days", logger: logger)
                        try await ScoreStore.save(rows, on: connection, logger: logger)
                        let recomputed = (try await ScoreStore.dump("wallet_scores", on: connection, logger: logger),
                                          try await ScoreStore.dump("wallet_score_days", on: connection, logger: logger))
                        throw Compared(differences: Self.report("wallet_scores", stored.0, recomputed.0)
                            + Self.report("wallet_score_days", stored.1, recomputed.1))
                    }
                } catch let compared as Compared {
                    return compared.differences
                }
            }
            try await store.transaction { connection in
                try await connection.run("DELETE FROM wallet_scores", logger: logger)
                try await connection.run("DELETE FROM wallet_score_days", logger: logger)
                try await ScoreStore.save(rows, on: connection, logger: logger)
            }
            print("rescore: stored in \(ContinuousClock.now - computed)")
            return 0
        }
        if verify {
            print("rescore --verify: \(differences) difference(s) with the stored scores")
            if differences > 0 { throw ExitCode(1) }
        }
    }

    struct Compared: Error { var differences: Int }

    /// Prints the rows only one side has (a few of each) and returns their count.
    static func report(_ table: String, _ stored: [String], _ recomputed: [String]) -> Int {
        let a = Set(stored), b = Set(recomputed)
        let onlyStored = a.subtracting(b).sorted(), onlyRecomputed = b.subtracting(a).sorted()
        print("\(table): \(stored.count) stored, \(recomputed.count) recomputed, \(onlyStored.count) only stored, \(onlyRecomputed.count) only recomputed")
        for line in onlyStored.prefix(3) { print("  stored:     \(line)") }
        for line in onlyRecomputed.prefix(3) { print("  recomputed: \(line)") }
        return onlyStored.count + onlyRecomputed.count
    }
}
