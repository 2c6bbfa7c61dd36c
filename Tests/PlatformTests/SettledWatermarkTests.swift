import Foundation
import RemoraStore
import RemoraTestSupport
import Testing

/// `trade.settled`'s watermark at the end of a resolution pass, against a trade step that commits
/// while the pass waits for the heads (real PostgreSQL, two transactions).
@Suite("Settled watermark")
struct SettledWatermarkTests {
    @Test("a trade step committed while the pass waits brings its watermark and its watched markets together: the hold keeps the watermark below the new market")
    func holdAndWatermarkTogether() async throws {
        let logger = TestPostgres.testLogger
        let configuration = try await TestPostgres.freshDatabase()
        try await Store.withRunning(configuration, logger: logger) { store in
            try await store.transaction { connection in
                try await connection.run("INSERT INTO source_cursors (source, watermark) VALUES ('markets', 9000000)", logger: logger)
                try await connection.run(
                    "INSERT INTO consumer_cursors (consumer, stream, partition, watermark) SELECT 'resolver', 'trade', p, 1000 FROM generate_series(0, 15) p",
                    logger: logger)
            }
            let (release, releaseNow) = AsyncStream.makeStream(of: Void.self)
            let (held, heldNow) = AsyncStream.makeStream(of: Void.self)
            // The trade step: a market first traded at 5,000 goes on the watch list and partition
            // 0's trades are consumed through 8,000; it holds trade.settled's heads, as its append does.
            let step = Task {
                try await store.transaction { connection in
                    try await connection.run(
                        "INSERT INTO market_watch (condition_id, first_seen, first_trade) VALUES ('0xm', 0, 5000)", logger: logger)
                    try await connection.run(
                        "UPDATE consumer_cursors SET watermark = 8000 WHERE consumer = 'resolver' AND partition = 0", logger: logger)
                    try await connection.run(
                        "SELECT 1 FROM stream_heads WHERE stream = 'trade.settled' ORDER BY partition FOR UPDATE", logger: logger)
                    heldNow.yield()
                    for await _ in release { break }
                }
            }
            for await _ in held { break }
            let pass = Task {
                try await store.transaction { connection in
                    try await SettledWatermark.advance(
                        consumer: "resolver", source: "markets", holdingForUncheckedMarkets: true, on: connection, logger: logger)
                }
            }
            // Commit the step only once the pass waits for the heads' locks.
            var waiting = false
            for _ in 0..<500 where !waiting {
                try await Task.sleep(for: .milliseconds(10))
                waiting = try await store.transaction { connection in
                    var found = false
                    for try await count in try await connection.query(
                        "SELECT count(*)::bigint FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()",
                        logger: logger
                    ).decode(Int64.self) { found = count > 0 }
                    return found
                }
            }
            #expect(waiting, "the pass never waited for the heads")
            releaseNow.yield()
            try await step.value
            try await pass.value
            let marks = try await store.transaction { connection in
                var marks: [Int: Int64] = [:]
                for try await (partition, watermark) in try await connection.query(
                    "SELECT partition, watermark FROM stream_heads WHERE stream = 'trade.settled' AND partition IN (0, 1)", logger: logger
                ).decode((Int, Int64).self) { marks[partition] = watermark }
                return marks
            }
            // Partition 0 consumed through 8,000, but the market first traded at 5,000 is not
            // checked yet: 4,999. A hold read before the step committed gave 8,000.
            #expect(marks[0] == 4999, "\(marks)")
            #expect(marks[1] == 1000, "\(marks)")
        }
    }
}
