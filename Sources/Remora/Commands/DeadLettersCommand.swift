import ArgumentParser
import Foundation
import RemoraStore

/// `remora dead-letters list|replay`: what the services could not take in, and a second chance
/// for it once the cause is fixed (a decoder, a payload change rolled back, a market row corrected).
struct DeadLettersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dead-letters",
        abstract: "List dead letters, or replay them through their service's normal path (DATABASE_URL).",
        subcommands: [List.self, Replay.self])

    struct Filter: ParsableArguments {
        @Option(help: "Only this service's letters (fetcher, resolver, scorer, signal-gate, sizer, risk-guard, attributor).")
        var service: String?
        @Option(help: "Only letters created at or after this time: unix seconds or an ISO 8601 date (2026-12-05 or 2026-12-05T10:00:00Z).")
        var since: String?

        func sinceSeconds() throws -> Int64? {
            guard let since else { return nil }
            if let seconds = Int64(since) { return seconds }
            let formatter = ISO8601DateFormatter()
            if let date = formatter.date(from: since) { return Int64(date.timeIntervalSince1970) }
            formatter.formatOptions = [.withFullDate]
            if let date = formatter.date(from: since) { return Int64(date.timeIntervalSince1970) }
            throw ValidationError("--since: not unix seconds nor an ISO 8601 date: \(since)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Dead letters, newest first.")
        @OptionGroup var filter: Filter
        @Option(help: "dead (default), replay (waiting for its service), replayed, or all.") var status = "dead"
        @Option(help: "At most this many.") var limit = 50
        @Flag(help: "Print each letter's raw text in full.") var raw = false

        func run() async throws {
            guard ["dead", "replay", "replayed", "all"].contains(status) else { throw ValidationError("--status: dead, replay, replayed or all") }
            let since = try filter.sinceSeconds()
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let letters = try await Store.withRunning(configuration, logger: quietLogger()) { store in
                try await store.transaction { connection in
                    try await DeadLetters.list(
                        service: filter.service, status: status == "all" ? nil : status, since: since, limit: limit,
                        on: connection, logger: store.logger)
                }
            }
            guard !letters.isEmpty else {
                print("no dead letters" + (status == "all" ? "" : " (status \(status))"))
                return
            }
            let formatter = ISO8601DateFormatter()
            for letter in letters {
                let when = formatter.string(from: Date(timeIntervalSince1970: TimeInterval(letter.createdAt)))
                print("#\(letter.id)  \(when)  \(letter.service)  \(letter.status)\(letter.attempts > 0 ? " (replayed \(letter.attempts)×)" : "")  \(letter.origin)")
                print("    reason: \(letter.reason)")
                let text = raw ? letter.raw : String(letter.raw.prefix(160)) + (letter.raw.count > 160 ? "…" : "")
                print("    raw:    \(text)")
            }
        }
    }

    struct Replay: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Ask each letter's service to take it through its normal path once.",
            discussion: """
                The running service replays what is asked for within a poll (consumers: 200 ms; the fetcher: its \
                next pass; cron: the next `fetcher --once`/`--backfill` or `resolver --once`). A row that goes through \
                is marked replayed; one that still fails stays dead with its new reason. A replayed trade behind its \
                partition's watermark is stored late: settled and scored, never copied.
                """)
        @OptionGroup var filter: Filter
        @Option(help: "Only these letters (repeat the option for several).") var id: [Int64] = []
        @Option(help: "Wait up to this many seconds for the services, then print each letter's outcome (0: do not wait).")
        var wait = 0.0

        func run() async throws {
            let since = try filter.sinceSeconds()
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            try await Store.withRunning(configuration, logger: quietLogger()) { store in
                let asked = try await store.transaction { connection in
                    try await DeadLetters.requestReplay(ids: id, service: filter.service, since: since, on: connection, logger: store.logger)
                }
                print("replay asked for \(asked.count) dead letter(s)" + (asked.isEmpty ? "" : ": " + asked.prefix(20).map { "#\($0)" }.joined(separator: " ")))
                guard wait > 0, !asked.isEmpty else { return }
                let deadline = Date().addingTimeInterval(wait)
                var letters: [DeadLetter] = []
                repeat {
                    try await Task.sleep(for: .milliseconds(200))
                    letters = try await store.transaction { connection in
                        try await DeadLetters.list(service: nil, status: nil, since: nil, limit: 100_000, on: connection, logger: store.logger)
                    }.filter { asked.contains($0.id) }
                } while Date() < deadline && letters.contains { $0.status == "replay" }
                let replayed = letters.filter { $0.status == "replayed" }.count
                let dead = letters.filter { $0.status == "dead" }
                let waiting = letters.filter { $0.status == "replay" }.count
                print("replayed \(replayed), still failing \(dead.count), not taken yet \(waiting)")
                for letter in dead.prefix(20) { print("  #\(letter.id) \(letter.service): \(letter.reason)") }
                if waiting > 0 { print("  (is the service running? the letters wait for it)") }
            }
        }
    }
}
