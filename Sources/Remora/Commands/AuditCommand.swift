import ArgumentParser
import Foundation
import RemoraCore
import RemoraRuntime
import RemoraStore

/// The risk guard's audit chain (docs/risk.md, "Audit chain"): verify every link, or show the
/// latest entries.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "The risk guard's tamper-evident log: verify its hash chain, or show its latest entries (DATABASE_URL).",
        subcommands: [Verify.self, Show.self])

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check every link of the audit chain; name the first broken one (exit 1).",
            discussion: """
                Each entry's hash is SHA-256 over the previous entry's hash, a newline and the entry's canonical JSON. \
                An edited entry no longer hashes to its stored hash; a deleted, inserted or reordered one breaks the \
                link to its neighbour. Keep the head hash this prints somewhere else: a chain cut short at its end, \
                head and all, can only be told from that.
                """)

        func run() async throws {
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let (checked, head, broken) = try await Store.withRunning(configuration, logger: quietLogger()) { store in
                var head: (seq: Int64, hash: String)?
                var checked = 0
                while true {
                    let rows = try await AuditStore.rows(after: head?.seq ?? 0, limit: 10_000, on: store.client, logger: store.logger)
                    if let broken = AuditChain.firstBreak(rows, after: head) { return (checked, head, broken as String?) }
                    guard let last = rows.last else { return (checked, head, nil) }
                    checked += rows.count
                    head = (last.seq, last.hash)
                }
            }
            if let broken {
                throw Refusal("audit chain broken after \(checked) good entries: \(broken)")
            }
            if let head {
                print("audit chain intact: \(checked) entries, head \(head.seq) \(head.hash)")
            } else {
                print("audit chain empty: the risk guard has decided nothing yet")
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The chain's entries by kind and its latest entries.")
        @Option(help: "How many of the latest entries to print.") var last = 10

        func run() async throws {
            let configuration = try DatabaseConfiguration(url: try databaseURLFromEnvironment())
            let lines = try await Store.withRunning(configuration, logger: quietLogger()) { store -> [String] in
                let (kinds, head) = try await AuditStore.summary(on: store.client, logger: store.logger)
                guard let head else { return ["audit chain empty"] }
                var lines = ["\(head.seq) entries (\(kinds.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))"]
                let rows = try await AuditStore.rows(after: max(0, head.seq - Int64(last)), limit: last, on: store.client, logger: store.logger)
                for row in rows { lines.append("\(row.seq)  \(row.hash.prefix(16))…  \(row.text.prefix(240))") }
                return lines
            }
            print(lines.joined(separator: "\n"))
        }
    }
}
